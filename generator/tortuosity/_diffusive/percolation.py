"""numba kernels: which pore percolates, and the neighbour codes of the fine level.

Plain arrays: ``state`` is uint8 ``(nz, ny, nx)`` with the flow axis first; on entry bit 0
marks pore. :func:`fill_from_face` marks (with another bit) every voxel that a face-connected
(6-connected) path of eligible voxels joins to the first or the last slice (both at once, one
per thread, in :func:`fill_from_both_faces`); :func:`encode` then turns ``state`` in place
into the fine level's codes (:data:`ACTIVE` and one bit per
active face neighbour), so the solver's level 0 stores no conductances at all.

With ``periodic``, the sides (axes 1 and 2) wrap around: a voxel of the last row is a face
neighbour of the voxel of the first row. An axis of one voxel has no neighbour across its wrap
(that would be the voxel itself).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from generator._shared.numba_compile import PARALLEL, use_shared_cache

use_shared_cache()  # before any kernel is defined: see generator._shared.numba_compile

ACTIVE = 1  # percolating pore: an unknown of the solve
ZM, ZP, YM, YP, XM, XP = 2, 4, 8, 16, 32, 64  # active face neighbour at -z, +z, -y, +y, -x, +x
FROM_FIRST, FROM_LAST = 2, 4  # transient bits of the fills (before encoding)


@nb.njit(cache=True, inline="always")
def _open(state, k, j, i, eligible, bit):
    """Voxel ``(k, j, i)`` has the bits of ``eligible`` and not yet ``bit``."""
    s = state[k, j, i]
    return (s & eligible) == eligible and (s & bit) == 0


@nb.njit(cache=True)
def _fill_spans(state, k, stack, top, eligible, bit, periodic):
    """Scanline fill within slice ``k`` from the ``top`` stacked seeds (flat indices ``j nx +
    i``, not yet marked): a seed's whole run along x is marked at once, and the start of each
    open segment beside it in the rows before and after is stacked (twice as fast as a fill
    voxel by voxel). Returns the voxels marked."""
    ny, nx = state.shape[1], state.shape[2]
    marked = 0
    while top > 0:
        top -= 1
        j, i = stack[top] // nx, stack[top] % nx
        if not _open(state, k, j, i, eligible, bit):
            continue
        left = i
        while left > 0 and _open(state, k, j, left - 1, eligible, bit):
            left -= 1
        right = i
        while right < nx - 1 and _open(state, k, j, right + 1, eligible, bit):
            right += 1
        row = state[k, j]
        for m in range(left, right + 1):
            row[m] |= bit
        marked += right - left + 1
        if periodic and nx > 1:  # the run continues across the wrapped side
            if left == 0 and _open(state, k, j, nx - 1, eligible, bit):
                stack[top] = j * nx + nx - 1
                top += 1
            if right == nx - 1 and _open(state, k, j, 0, eligible, bit):
                stack[top] = j * nx
                top += 1
        for side in range(2):
            jj = j - 1 if side == 0 else j + 1
            if jj < 0 or jj >= ny:
                if not periodic or ny == 1:
                    continue
                jj = jj % ny
            other = state[k, jj]
            inside = False
            for m in range(left, right + 1):
                if (other[m] & eligible) == eligible and (other[m] & bit) == 0:
                    if not inside:
                        stack[top] = jj * nx + m
                        top += 1
                        inside = True
                else:
                    inside = False
    return marked


@nb.njit(cache=True)
def fill_from_face(state, from_last, eligible, bit, periodic):
    """Mark with ``bit`` every voxel whose bits include ``eligible`` and that a face-connected
    path of such voxels joins to the first (``from_last`` False) or last slice.

    Sweeps slice by slice: a slice takes the voxels next to marked voxels of the slice behind,
    then fills within its plane (:func:`_fill_spans`); sweeps alternate direction until one
    marks nothing (a path that turns back through the thickness costs one more sweep; 4
    sweeps on a GDL sample). Returns the voxels marked.
    """
    nz, ny, nx = state.shape
    # Each voxel is stacked at most once as a seed from behind and twice from the rows
    # beside, and each run at most twice across a wrapped side.
    stack = np.empty(5 * ny * nx + 16, dtype=np.int32)
    changed_before = np.ones(nz, dtype=np.bool_)
    changed_now = np.zeros(nz, dtype=np.bool_)
    source = nz - 1 if from_last else 0
    direction = -1 if from_last else 1
    first = True
    total = 0
    while True:
        changed_now[:] = False
        any_change = False
        start = source if direction == (-1 if from_last else 1) else nz - 1 - source
        for n in range(nz):
            k = start + n * direction
            behind = k - direction
            seeded = first and k == source
            if not seeded and not (
                0 <= behind < nz and (changed_before[behind] or changed_now[behind])
            ):
                continue
            top = 0
            for j in range(ny):
                row = state[k, j]
                back = row if seeded else state[behind, j]
                inside = False
                for i in range(nx):
                    if (
                        (row[i] & eligible) == eligible
                        and (row[i] & bit) == 0
                        and (seeded or (back[i] & bit) != 0)
                    ):
                        if not inside:  # one seed per run of seeds
                            stack[top] = j * nx + i
                            top += 1
                            inside = True
                    else:
                        inside = False
            if top:
                # int64, not the literal 0 type inference sees first: one compilation.
                marked = _fill_spans(state, k, stack, np.int64(top), eligible, bit, periodic)
                if marked:
                    total += marked
                    changed_now[k] = True
                    any_change = True
        if not any_change:
            return total
        changed_before[:] = changed_now
        direction = -direction
        first = False


@nb.njit(cache=True, parallel=PARALLEL)
def fill_from_both_faces(state, other, periodic):
    """Mark pore joined to the first slice in ``state`` (:data:`FROM_FIRST`) and, at the same
    time on a second thread, pore joined to the last slice in ``other``, a copy of ``state``
    (:data:`FROM_LAST`)."""
    pore = np.uint8(ACTIVE)
    for side in nb.prange(2):
        # One call with run-time values: constant arguments would compile the fill twice.
        from_last = side == 1
        bit = np.uint8(FROM_LAST) if from_last else np.uint8(FROM_FIRST)
        fill_from_face(other if from_last else state, from_last, pore, bit, periodic)


@nb.njit(cache=True, parallel=PARALLEL)
def keep_percolating(state, other):
    """``state`` becomes :data:`ACTIVE` where it is marked :data:`FROM_FIRST` and ``other``
    :data:`FROM_LAST`, 0 elsewhere; returns the count per slice."""
    nz = state.shape[0]
    counts = np.zeros(nz, dtype=np.int64)
    for k in nb.prange(nz):
        plane, marks = state[k], other[k]
        n = 0
        for j in range(plane.shape[0]):
            for i in range(plane.shape[1]):
                both = (plane[j, i] & FROM_FIRST) != 0 and (marks[j, i] & FROM_LAST) != 0
                plane[j, i] = ACTIVE if both else 0
                n += 1 if both else 0
        counts[k] = n
    return counts


@nb.njit(cache=True, parallel=PARALLEL)
def encode(state, periodic):
    """Add to every :data:`ACTIVE` voxel of ``state`` one bit per active face neighbour (in
    place: only bit 0 of the neighbours is read)."""
    nz, ny, nx = state.shape
    for k in nb.prange(nz):
        for j in range(ny):
            jm, jp = j - 1, j + 1
            wrap_jm = jm < 0 and periodic and ny > 1
            wrap_jp = jp >= ny and periodic and ny > 1
            for i in range(nx):
                if (state[k, j, i] & ACTIVE) == 0:
                    continue
                c = ACTIVE
                if k > 0 and (state[k - 1, j, i] & ACTIVE) != 0:
                    c |= ZM
                if k < nz - 1 and (state[k + 1, j, i] & ACTIVE) != 0:
                    c |= ZP
                if (jm >= 0 and (state[k, jm, i] & ACTIVE) != 0) or (
                    wrap_jm and (state[k, ny - 1, i] & ACTIVE) != 0
                ):
                    c |= YM
                if (jp < ny and (state[k, jp, i] & ACTIVE) != 0) or (
                    wrap_jp and (state[k, 0, i] & ACTIVE) != 0
                ):
                    c |= YP
                im, ip = i - 1, i + 1
                if (im >= 0 and (state[k, j, im] & ACTIVE) != 0) or (
                    im < 0 and periodic and nx > 1 and (state[k, j, nx - 1] & ACTIVE) != 0
                ):
                    c |= XM
                if (ip < nx and (state[k, j, ip] & ACTIVE) != 0) or (
                    ip >= nx and periodic and nx > 1 and (state[k, j, 0] & ACTIVE) != 0
                ):
                    c |= XP
                state[k, j, i] = c
