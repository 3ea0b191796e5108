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

ACTIVE = 1  # percolating pore: an unknown of the solve
ZM, ZP, YM, YP, XM, XP = 2, 4, 8, 16, 32, 64  # active face neighbour at -z, +z, -y, +y, -x, +x
FROM_FIRST, FROM_LAST = 2, 4  # transient bits of the fills (before encoding)


@nb.njit(cache=True)
def _fill_slice(state, k, queue, count, eligible, bit, periodic):
    """Breadth-first fill within slice ``k`` from the ``count`` queued flat indices (already
    marked); returns the number of voxels marked in all."""
    ny, nx = state.shape[1], state.shape[2]
    head = 0
    while head < count:
        flat = queue[head]
        head += 1
        j, i = flat // nx, flat % nx
        for step in range(4):
            jj, ii = j, i
            if step == 0:
                jj = j - 1
            elif step == 1:
                jj = j + 1
            elif step == 2:
                ii = i - 1
            else:
                ii = i + 1
            if jj < 0 or jj >= ny:
                if not periodic or ny == 1:
                    continue
                jj = jj % ny
            if ii < 0 or ii >= nx:
                if not periodic or nx == 1:
                    continue
                ii = ii % nx
            s = state[k, jj, ii]
            if (s & eligible) == eligible and (s & bit) == 0:
                state[k, jj, ii] = s | bit
                queue[count] = jj * nx + ii
                count += 1
    return count


@nb.njit(cache=True)
def fill_from_face(state, from_last, eligible, bit, periodic):
    """Mark with ``bit`` every voxel whose bits include ``eligible`` and that a face-connected
    path of such voxels joins to the first (``from_last`` False) or last slice.

    Sweeps slice by slice: a slice takes the voxels next to marked voxels of the slice behind,
    then fills within its plane; sweeps alternate direction until one marks nothing (a path
    that turns back through the thickness costs one more sweep). Returns the voxels marked.
    """
    nz, ny, nx = state.shape
    queue = np.empty(ny * nx, dtype=np.int64)
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
            count = 0
            if first and k == source:
                for j in range(ny):
                    for i in range(nx):
                        s = state[k, j, i]
                        if (s & eligible) == eligible and (s & bit) == 0:
                            state[k, j, i] = s | bit
                            queue[count] = j * nx + i
                            count += 1
            elif 0 <= behind < nz and (changed_before[behind] or changed_now[behind]):
                for j in range(ny):
                    for i in range(nx):
                        s = state[k, j, i]
                        if (
                            (s & eligible) == eligible
                            and (s & bit) == 0
                            and (state[behind, j, i] & bit) != 0
                        ):
                            state[k, j, i] = s | bit
                            queue[count] = j * nx + i
                            count += 1
            if count:
                total += _fill_slice(state, k, queue, count, eligible, bit, periodic)
                changed_now[k] = True
                any_change = True
        if not any_change:
            return total
        changed_before[:] = changed_now
        direction = -direction
        first = False


@nb.njit(cache=True, parallel=True)
def fill_from_both_faces(state, other, periodic):
    """Mark pore joined to the first slice in ``state`` (:data:`FROM_FIRST`) and, at the same
    time on a second thread, pore joined to the last slice in ``other``, a copy of ``state``
    (:data:`FROM_LAST`)."""
    pore = np.uint8(ACTIVE)
    for side in nb.prange(2):
        if side == 0:
            fill_from_face(state, False, pore, np.uint8(FROM_FIRST), periodic)
        else:
            fill_from_face(other, True, pore, np.uint8(FROM_LAST), periodic)


@nb.njit(cache=True, parallel=True)
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


@nb.njit(cache=True, parallel=True)
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
