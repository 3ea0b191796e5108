"""numba kernels that move through the volume, slice by slice along axis 0 (the flow axis).

Plain arrays: ``pore`` is uint8 with the bits of :mod:`generator.tortuosity._geodesic.flags` (bit 0
pore), ``dist`` float32 with +inf at solid or unreached voxels, ``spacing = (hz, hy, hx)`` the
voxel sizes along axes 0, 1, 2. The metric ``euclidean`` (True: semi-Lagrangian, False: lattice)
is a literal argument: numba compiles each kernel once per metric, with no branch on it in the
loops. Every kernel here is serial and works on one plane (or a band of its rows): the threads
take whole bands (:mod:`generator.tortuosity._geodesic.bands`, which also holds the entry points
Python calls).

A slice takes the best values reachable from the slice behind it (:func:`step_across`), then
relaxes within its plane (:func:`relax_plane`, raster passes). Paths that turn back through
the thickness are caught by sparse sweeps in alternating directions: a slice is looked at only
if the slice behind it changed, and only the voxels it improves seed a label-correcting
relaxation within the plane (:func:`relax_sparse`). In a fibrous GDL about 1 % of the pore
needs such a correction.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from generator.tortuosity._geodesic.flags import (
    CHANGED_BEFORE_BIT,
    CHANGED_BIT,
    PORE_BIT,
    QUEUED_BIT,
    RING_DX,
    RING_DY,
    STALE_BIT,
)
from generator.tortuosity._geodesic.metrics import (
    improves,
    lattice_patch_block,
    lattice_row_from,
    patch_constants,
    patch_lowest_and_steps,
    patch_segments_gathered,
    ring_update_euclidean,
    triangles_row,
)

# Columns a step across takes or skips together: a block with no voxel that can improve (no
# recent change in its patches behind, or, for the euclidean metric, none above its patch's
# lowest value plus hz) is skipped. A row-wide test let most rows through after the first
# sweep: the 1 % of the pore that paths turning back correct lies a few voxels in every row
# (a `1000` sample: 81 % of rows in the second sweep, for 5 thousand updates).
STEP_BLOCK = 32


@nb.njit(cache=True, nogil=True)
def step_scratch(ny, nx):
    """The work arrays of :func:`step_across` for planes of ``ny`` x ``nx`` voxels, made once per
    band solve: the gathered columns (int64), their patches (float32, 9 x nx) and segment
    values, which voxels can improve and the OR of the flags beside them (uint8 rows), which
    rows behind hold a recent change (uint8, ny), and which voxels take the patch segments
    (uint8, padded with zeros to whole 8-byte words) with its view as words."""
    falls_back = np.zeros(8 * ((nx + 7) // 8), dtype=np.uint8)
    return (
        np.empty(nx, dtype=np.int64),
        np.empty((9, nx), dtype=np.float32),
        np.empty(nx, dtype=np.float32),
        np.empty(nx, dtype=np.uint8),
        np.empty(nx, dtype=np.uint8),
        np.empty(ny, dtype=np.uint8),
        falls_back,
        falls_back.view(np.uint64),
    )


# Called for every slice of every sweep, it allocates nothing and runs without numba's
# reference counting (its row views took about 20 counts a row; see metrics).
@nb.njit(cache=True, nogil=True, _nrt=False)
def step_across(
    dist_k, dist_n, pore_k, pore_n, spacing, euclidean, tolerance, mark, sparse, fresh,
    seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows, scratch, r_lo, r_hi,
):  # fmt: skip
    """Improve rows ``r_lo`` to ``r_hi - 1`` of slice ``dist_k`` from the adjacent slice
    ``dist_n``; returns how many improved. Serial: the threads work on bands of rows
    (:mod:`generator.tortuosity._geodesic.bands`), each with its own views of these arrays.

    With ``mark``, improved voxels are queued (for :func:`relax_sparse`) and flagged changed,
    and their flat indices are written to ``seeds[j * nx : j * nx + row_counts[j]]``.
    The work rows (float32 best, lowest and triangle values, uint8 ``near_rows``) are row 0
    of the arrays given (the caller's :class:`Workspace`, allocated once per image), reused
    for every row; ``scratch`` is :func:`step_scratch`'s, for a plane as large as ``dist_k``.
    With ``sparse``, only voxels whose 3 x 3 patch in ``dist_n`` holds a voxel flagged changed
    (this sweep or the last) are looked at: nothing else can have become improvable.
    A row is worked on in runs of :data:`STEP_BLOCK`-column blocks that hold a voxel that can
    improve; the other blocks are left as they are. With ``fresh`` (the dense sweep's first
    visit of a slice) each row starts unreached, +inf, just before it is worked on.
    """
    nb.literally(euclidean)
    hz, hy, hx = spacing
    ny, nx = dist_k.shape
    w_straight = np.float32(hz)
    w_face_y = np.float32(math.sqrt(hy * hy + hz * hz))
    w_face_x = np.float32(math.sqrt(hx * hx + hz * hz))
    w_corner = np.float32(math.sqrt(hy * hy + hx * hx + hz * hz))
    recent = CHANGED_BIT | CHANGED_BEFORE_BIT
    constants = patch_constants(hy, hx, hz)
    blocks = (nx + STEP_BLOCK - 1) // STEP_BLOCK
    # where, patch, values: the voxels that take the patch segments, gathered.
    where, patch, values, able, near_change, row_recent, falls_back, falls_back_words = scratch
    improved = 0
    if sparse:
        # Which rows behind hold a recent change at all (one OR over each row): most rows of
        # a sparse sweep are skipped on three of these bytes.
        for y in range(max(r_lo - 1, 0), min(r_hi + 1, ny)):
            flags = np.uint8(0)
            for i in range(nx):
                flags |= pore_n[y, i]
            row_recent[y] = flags & recent
    for j in range(r_lo, r_hi):
        if mark:
            row_counts[j] = 0
        if fresh:
            # Here rather than in a fill of the slice beforehand: the row is then in the
            # cache when it is read (a fill ahead was a pass over memory of its own).
            fresh_row = dist_k[j]
            for i in range(nx):
                fresh_row[np.uint64(i)] = np.float32(np.inf)
        y0 = max(j - 1, 0)
        y1 = min(j + 2, ny)
        near = near_rows[0]
        if sparse:
            if (row_recent[y0] | row_recent[j] | row_recent[y1 - 1]) == 0:
                continue
            above = pore_n[y0]
            centre = pore_n[j]
            below = pore_n[y1 - 1]
            for i in range(nx):
                near[i] = above[i] | centre[i] | below[i]
        # Rows j - 1 and j + 1 behind; row j itself stands in for one beyond the plane's edge
        # (its steps then cost more than the straight and face steps from the same voxels,
        # so they change nothing).
        up = dist_n[j - 1] if j > 0 else dist_n[j]
        down = dist_n[j + 1] if j < ny - 1 else dist_n[j]
        row = dist_k[j]
        pore_row = pore_k[j]
        lowest = lowest_rows[0]
        best = best_rows[0]
        if euclidean:
            # Lowest value of each 3 x 3 patch (no semi-Lagrangian update beats it plus hz)
            # and the lattice steps from it, for the whole row in one loop.
            patch_lowest_and_steps(
                lowest, best, row, up, dist_n[j], down, w_straight, w_face_x, w_face_y, w_corner
            )
        triangle = triangle_rows[0]
        take = lowest_rows[0]  # reused within a run: 1.0 where the voxel improves
        # Which voxels can improve (1), a vectorised pass over the row.
        if euclidean:
            for i in range(nx):
                able[i] = (pore_row[i] & PORE_BIT != 0) & (lowest[i] + w_straight < row[i])
        else:
            able[:] = 1
        if sparse:
            # And have a recent change in their patch behind.
            near_change[0] = near[0] | near[min(1, nx - 1)]
            near_change[nx - 1] = near[max(nx - 2, 0)] | near[nx - 1]
            for k in range(nx - 2):
                i = np.uint64(k + 1)
                near_change[i] = near[i - 1] | near[i] | near[i + 1]
            for i in range(nx):
                able[i] &= near_change[i] & recent != 0
        if euclidean or sparse:
            flags = np.uint8(0)
            for i in range(nx):
                flags |= able[i]
            if flags == 0:
                continue
        count = 0
        run_start = np.int64(-1)  # not a bare -1: a literal type compiled the callees twice
        for b in range(blocks + 1):
            c0 = b * STEP_BLOCK
            if b < blocks:
                c1 = min(c0 + STEP_BLOCK, nx)
                flags = np.uint8(0)
                for k in range(c1 - c0):
                    flags |= able[np.uint64(c0 + k)]
                if flags:
                    if run_start < 0:
                        run_start = c0
                    continue
            if run_start < 0:
                continue
            lo = run_start
            hi = min(c0, nx)
            run_start = np.int64(-1)
            if not euclidean:
                for k in range(hi - lo):
                    i = np.uint64(lo + k)  # unsigned, as in the vector loops: no index wrap
                    best[i] = row[i]
                # Lattice steps from the 3 x 3 patch (one vectorised loop).
                lattice_patch_block(
                    best, up, dist_n[j], down, w_straight, w_face_x, w_face_y, w_corner, lo, hi
                )
            else:
                gain = False
                for k in range(hi - lo):
                    i = np.uint64(lo + k)
                    gain |= lowest[i] + hz < best[i]
                inner = gain and 0 < j < ny - 1
                if inner:
                    # Triangle updates for the run (vectorised), inside the plane's edges.
                    triangles_row(
                        triangle, dist_n[j - 1], dist_n[j], dist_n[j + 1], hy, hx, hz, lo, hi
                    )
                    start = max(lo, 1)
                    for k in range(min(hi, nx - 1) - start):
                        i = np.uint64(start + k)
                        best[i] = min(best[i], triangle[i])
                if gain:
                    # The patch's segments where no triangle was tried or none holds the
                    # optimum (the edge rows and columns, and +inf triangles): gathered, then
                    # solved together (vectorised), +inf beyond the plane's edge.
                    # Which fall back, in one vectorised loop (triangles_row leaves +inf at
                    # the plane's edge columns); zeros to whole words around the run.
                    w0 = lo // 8
                    w1 = (hi + 7) // 8
                    falls_back_words[w0] = 0
                    falls_back_words[w1 - 1] = 0
                    for k in range(hi - lo):
                        i = np.uint64(lo + k)
                        untried = (not inner) | (triangle[i] == np.inf)
                        falls_back[i] = (able[i] != 0) & (lowest[i] + hz < best[i]) & untried
                    # Gathered a word of 8 voxels at a time, skipping words where none falls
                    # back; within a word written always, counted when it falls back (no
                    # branch to mispredict: about a sixth of a dense sweep's voxels do).
                    fallback = np.int64(0)  # a bare 0 compiled the gathered solve twice
                    for w in range(w0, w1):
                        if falls_back_words[w] == 0:
                            continue
                        for i in range(8 * w, min(8 * w + 8, hi)):
                            where[fallback] = i
                            fallback += falls_back[np.uint64(i)]
                    if fallback:
                        middle = dist_n[j]
                        for n in range(fallback):
                            i = where[n]
                            if inner and 0 < i < nx - 1:
                                # Inside the plane: the patch's nine voxels as they stand.
                                patch[0, n] = up[i - 1]
                                patch[1, n] = up[i]
                                patch[2, n] = up[i + 1]
                                patch[3, n] = middle[i - 1]
                                patch[4, n] = middle[i]
                                patch[5, n] = middle[i + 1]
                                patch[6, n] = down[i - 1]
                                patch[7, n] = down[i]
                                patch[8, n] = down[i + 1]
                                continue
                            for k in range(9):
                                y = j + k // 3 - 1
                                x = i + k % 3 - 1
                                inside = 0 <= y < ny and 0 <= x < nx
                                patch[k, n] = dist_n[y, x] if inside else np.float32(np.inf)
                        patch_segments_gathered(values, patch, fallback, constants)
                        for n in range(fallback):
                            best[where[n]] = min(best[where[n]], values[n])
            if sparse:
                # Only voxels with a recent change in their patch behind (then the same loop).
                for k in range(hi - lo):
                    i = np.uint64(lo + k)
                    if near_change[i] & recent == 0:
                        best[i] = row[i]
            run_count = 0
            for k in range(hi - lo):
                i = np.uint64(lo + k)
                current = row[i]
                stored = best[i]
                ok = (pore_row[i] & PORE_BIT != 0) & (stored < current)
                if euclidean:
                    ok &= (current == np.inf) | (current - stored > tolerance * current)
                row[i] = stored if ok else current
                take[i] = np.float32(1.0) if ok else np.float32(0.0)
                run_count += ok
            if mark and run_count:
                n = count
                for i in range(lo, hi):
                    if take[i] != 0:
                        pore_k[j, i] |= QUEUED_BIT | CHANGED_BIT
                        seeds[j * nx + n] = j * nx + i
                        n += 1
            count += run_count
        improved += count
        if mark:
            row_counts[j] = count
    return improved


@nb.njit(cache=True, nogil=True, _nrt=False)
def age_change_flags(pore_k):
    """End of a sweep, on one plane: 'changed now' becomes 'changed before', 'changed now' is
    cleared."""
    ny, nx = pore_k.shape
    for j in range(ny):
        for i in range(nx):
            v = pore_k[j, i]
            pore_k[j, i] = (v & (PORE_BIT | QUEUED_BIT)) | ((v & CHANGED_BIT) << 1)


@nb.njit(cache=True, nogil=True, _nrt=False)
def mark_turning(pore_k, pore_n):
    """End of the lattice's first sweep, on one plane (``pore_n`` the plane it stepped from):
    flag 'changed before' the voxels a backward step across can improve from, clear the rest.

    A voxel u that kept the value of its step across, ``d(v') + w(u, v')`` for some v' of its
    patch behind, cannot improve any v of that patch when the voxel c straight behind u is
    pore: the plane behind is at its in-plane fixed point, so ``d(v) <= d(v') + |v' c| + |c v|``
    (in float32, rounding being monotonic), and each in-plane step is shorter than the step
    through u (``|v' c| < w(u, v')``). Only voxels the in-plane relaxation improved (flagged
    changed or changed before by it) and voxels with solid straight behind can: on a blobs
    volume 8 % of the pore, on a fibrous one 3 %.
    """
    ny, nx = pore_k.shape
    recent = CHANGED_BIT | CHANGED_BEFORE_BIT
    for j in range(ny):
        for i in range(nx):
            v = pore_k[j, i]
            turning = (v & recent != 0) | ((v & PORE_BIT != 0) & (pore_n[j, i] & PORE_BIT == 0))
            pore_k[j, i] = (v & PORE_BIT) | (CHANGED_BEFORE_BIT if turning else np.uint8(0))


@nb.njit(cache=True, nogil=True, _nrt=False)
def clear_flags(pore_k):
    """Leave only the pore bit, on one plane."""
    ny, nx = pore_k.shape
    for j in range(ny):
        for i in range(nx):
            pore_k[j, i] &= PORE_BIT


RELAX_BLOCK = 64  # columns a raster pass after the first takes or skips together


# _bounds and _bounds_at (per block and per voxel, allocating nothing) run without numba's
# reference counting, as the per-row kernels of metrics do (see there).


@nb.njit(cache=True, nogil=True, _nrt=False)
def _bounds(
    dist_k, pore_k, j, previous, b0, b1, euclidean, weights, look, candidate, lowest, movable,
    movable_words, visits, count,
):  # fmt: skip
    """Columns ``b0`` to ``b1 - 1`` of row ``j``, values as they stand: each voxel's candidate
    (itself, and the lattice steps from the row before it in the pass) and lower bound (every
    in-plane neighbour plus the shortest step, the lattice's own update for that metric), and
    whether it can move (its ``look`` flags set, pore, bound below its value); clears the
    stale flags there. Appends the columns that can move to ``visits`` from ``count`` on, in
    column order, and returns the new count."""
    ny, nx = dist_k.shape
    wy, wx, wd, w_bound_y, w_bound_x, w_bound_diagonal = weights
    inf = np.float32(np.inf)
    row = dist_k[j]
    mask = pore_k[j]
    for k in range(b1 - b0):
        lowest[np.uint64(b0 + k)] = inf
    if euclidean:
        for k in range(b1 - b0):
            i = np.uint64(b0 + k)
            candidate[i] = row[i]
        if 0 <= previous < ny:
            lattice_row_from(candidate, dist_k[previous], wy, wd, b0, b1)
        for y in (j - 1, j + 1):
            if 0 <= y < ny:
                lattice_row_from(lowest, dist_k[y], w_bound_y, w_bound_diagonal, b0, b1)
        start = max(b0, 1)
        for k in range(b1 - start):
            i = np.uint64(start + k)
            lowest[i] = min(lowest[i], row[i - 1] + w_bound_x)
        for k in range(min(b1, nx - 1) - b0):
            i = np.uint64(b0 + k)
            lowest[i] = min(lowest[i], row[i + 1] + w_bound_x)
    else:
        # The lattice's bound is its update: every step in one loop (the row behind is among
        # them, so the candidate is the bound; row j stands in for a row beyond the edge,
        # its steps costing more than the face steps beside them).
        up = dist_k[j - 1] if j > 0 else row
        down = dist_k[j + 1] if j < ny - 1 else row
        lattice_patch_block(lowest, up, row, down, inf, wx, wy, wd, b0, b1)
        for k in range(b1 - b0):
            i = np.uint64(b0 + k)
            candidate[i] = lowest[i]
    for k in range(b1 - b0):
        i = np.uint64(b0 + k)
        bound = min(lowest[i], candidate[i])
        movable[i] = (mask[i] & look != 0) & (mask[i] & PORE_BIT != 0) & (bound < row[i])
        mask[i] &= ~STALE_BIT
    # Gathered a word of 8 voxels at a time (``b0`` is a multiple of 8; the words skipped
    # hold none that can move), within a word without a branch: written always, counted
    # when movable.
    for w in range(b0 // 8, (b1 + 7) // 8):
        if movable_words[w] == 0:
            continue
        for i in range(8 * w, min(8 * w + 8, b1)):
            visits[count] = i
            count += movable[np.uint64(i)]
    return count


@nb.njit(cache=True, nogil=True, _nrt=False)
def _bounds_at(dist_k, j, i, previous, euclidean, weights):
    """:func:`_bounds` for voxel ``i`` alone, as (candidate, lower bound): the same sums, so
    the same bits. Its neighbour before it in the pass may have improved since the row's
    bounds were taken; every use of the bound also takes that neighbour's value as it stands
    (``run``), so the result is the same either way."""
    ny, nx = dist_k.shape
    wy, wx, wd, w_bound_y, w_bound_x, w_bound_diagonal = weights
    inf = np.float32(np.inf)
    row = dist_k[j]
    low = inf
    if euclidean:
        cand = row[i]
        if 0 <= previous < ny:
            cand = min(cand, _steps_at(dist_k[previous], i, wy, wd))
        for y in (j - 1, j + 1):
            if 0 <= y < ny:
                low = min(low, _steps_at(dist_k[y], i, w_bound_y, w_bound_diagonal))
        if i > 0:
            low = min(low, row[i - 1] + w_bound_x)
        if i < nx - 1:
            low = min(low, row[i + 1] + w_bound_x)
        return cand, low
    up = dist_k[j - 1] if j > 0 else row
    down = dist_k[j + 1] if j < ny - 1 else row
    low = min(up[i], down[i]) + wy
    for x in (i - 1, i + 1):
        if 0 <= x < nx:
            low = min(low, row[x] + wx)
            low = min(low, min(up[x], down[x]) + wd)
    return low, low


@nb.njit(cache=True, nogil=True, inline="always")
def _steps_at(other, i, w_centre, w_side):
    """min(other[i] + w_centre, other[i -+ 1] + w_side): :func:`lattice_row_from` at one
    voxel."""
    nx = other.shape[0]
    value = other[i] + w_centre
    if i > 0:
        value = min(value, other[i - 1] + w_side)
    if i < nx - 1:
        value = min(value, other[i + 1] + w_side)
    return value


@nb.njit(cache=True, nogil=True)
def plane_scratch(nx):
    """The work arrays of :func:`relax_plane` for rows of ``nx`` voxels, made once per band
    solve: each voxel's candidate and lower bound (float32), whether it can move (uint8,
    padded with zeros to whole 8-byte words) with its view as words, the columns to visit
    (int64) and which blocks were taken (bool)."""
    movable = np.zeros(8 * ((nx + 7) // 8), dtype=np.uint8)
    return (
        np.empty(nx, dtype=np.float32),
        np.empty(nx, dtype=np.float32),
        movable,
        movable.view(np.uint64),
        np.empty(nx, dtype=np.int64),
        np.empty((nx + RELAX_BLOCK - 1) // RELAX_BLOCK, dtype=np.bool_),
    )


# Called for every slice of a dense sweep, it allocates nothing (its work arrays are
# plane_scratch's) and runs without numba's reference counting: its row views took a count
# each, tens of millions a solve.
@nb.njit(cache=True, nogil=True, _nrt=False)
def relax_plane(dist_k, pore_k, hy, hx, euclidean, tolerance, max_passes, scratch):
    """Relax a whole slice within its plane: raster passes until one changes nothing.

    Each pass takes the row behind it first (vectorised), then finds which voxels of the row
    can improve at all: those above their lowest neighbour plus the shortest in-plane step
    (vectorised, values as they stand). Only those, and the voxels after one that just
    improved, are updated one by one, so a row at its fixed point costs a few vector loops. A
    pass that changes nothing has looked at every neighbour of every voxel: the slice is at its
    fixed point. After ``max_passes`` passes that still change something, the voxels the last
    pass changed are queued and the function returns -1: :func:`relax_sparse` finishes from
    them (the semi-Lagrangian update converges slowly by whole passes in fibre shadows).

    After the first pass a row is taken in blocks of :data:`RELAX_BLOCK` columns, and a block
    none of whose voxels is stale is skipped (but for the voxels after one that just improved):
    later passes re-examined whole rows for a few stale voxels, three times the slice's voxels
    on a `1000` sample. The values are the same bit for bit.
    """
    nb.literally(euclidean)
    ny, nx = dist_k.shape
    wy = np.float32(hy)
    wx = np.float32(hx)
    wd = np.float32(math.sqrt(hy * hy + hx * hx))
    w_min = np.float32(min(hy, hx))
    w_bound_y = w_min if euclidean else wy
    w_bound_x = w_min if euclidean else wx
    w_bound_diagonal = w_min if euclidean else wd
    weights = (wy, wx, wd, w_bound_y, w_bound_x, w_bound_diagonal)
    # movable is read a word at a time, to skip runs of voxels that cannot move.
    candidate, lowest, movable, movable_words, visits, taken = scratch
    # Bits a finished relaxation leaves: the pore, and the lattice's in-plane marks.
    keep = PORE_BIT if euclidean else PORE_BIT | CHANGED_BEFORE_BIT
    passes = 0
    while True:
        changed = False
        # The four raster orders in turn (fast sweeping): every in-plane direction of travel
        # is carried a whole row or column at a time by one of them.
        rows_back = passes % 2 == 1
        columns_back = (passes // 2) % 2 == 1
        width = nx if passes == 0 else RELAX_BLOCK
        blocks = (nx + width - 1) // width
        look = PORE_BIT | STALE_BIT if passes == 0 else STALE_BIT
        for jj in range(ny):
            j = ny - 1 - jj if rows_back else jj
            previous = j + 1 if rows_back else j - 1
            row = dist_k[j]
            mask = pore_k[j]
            # Bounds of the blocks that can move (every block in the first pass; after it,
            # those with a stale voxel: a neighbour changed since it was last looked at), and
            # the columns that can move, in order.
            count = np.int64(0)
            for b in range(blocks):
                b0 = b * width
                b1 = min(b0 + width, nx)
                if passes > 0:
                    flags = np.uint8(0)
                    for k in range(b1 - b0):
                        flags |= mask[np.uint64(b0 + k)]
                    if flags & STALE_BIT == 0:
                        taken[b] = False
                        continue
                taken[b] = True
                count = _bounds(
                    dist_k, pore_k, j, previous, b0, b1, euclidean, weights, look,
                    candidate, lowest, movable, movable_words, visits, count,
                )  # fmt: skip
            if count == 0:
                continue
            # Visit, in the pass's column order, the columns that can move and each voxel
            # after one that just improved (in a block not taken too: its bounds are taken
            # there and then). The list skips the rest without looking at them.
            step = -1 if columns_back else 1
            n = count - 1 if columns_back else np.int64(0)
            last = np.int64(nx) if columns_back else np.int64(-1)
            after_change = False
            while True:
                if after_change:
                    i = last + step
                    if i < 0 or i >= nx:
                        break
                else:
                    if columns_back:
                        while n >= 0 and visits[n] >= last:
                            n -= 1
                        if n < 0:
                            break
                    else:
                        while n < count and visits[n] <= last:
                            n += 1
                        if n >= count:
                            break
                    i = visits[n]
                last = i
                after_change = False
                at = np.uint64(i)  # unsigned, as in the vector loops: no index wrap
                if mask[at] & PORE_BIT == 0:
                    continue
                if taken[i // width]:
                    cand = candidate[at]
                    low = lowest[at]
                else:
                    cand, low = _bounds_at(dist_k, j, i, previous, euclidean, weights)
                before = i + 1 if columns_back else i - 1
                run = row[np.uint64(before)] if 0 <= before < nx else np.float32(np.inf)
                current = row[at]
                value = min(cand, run + wx)
                # Every neighbour counts, so a voxel looked at is settled until one changes.
                if euclidean:
                    if min(low, run + w_min) < value:
                        value = ring_update_euclidean(dist_k, j, i, hy, hx, value)
                else:
                    value = min(value, low)
                stored = np.float32(value)
                if improves(stored, current, tolerance):
                    row[at] = stored
                    changed = True
                    after_change = True
                    if not euclidean:
                        # Below its step across: the lattice's first backward sweep
                        # looks here (see mark_turning).
                        mask[at] |= CHANGED_BEFORE_BIT
                    for y in range(max(j - 1, 0), min(j + 2, ny)):
                        for x in range(max(i - 1, 0), min(i + 2, nx)):
                            pore_k[y, x] |= STALE_BIT
                    if passes + 1 >= max_passes:
                        mask[at] |= QUEUED_BIT
        passes += 1
        if not changed:
            for j in range(ny):
                for i in range(nx):
                    pore_k[j, i] &= keep if passes >= max_passes else ~STALE_BIT
            return passes
        if passes >= max_passes:
            for j in range(ny):
                for i in range(nx):
                    pore_k[j, i] &= ~STALE_BIT
            return -1


@nb.njit(cache=True, nogil=True)
def relax_sparse(
    dist_k, pore_k, spacing, euclidean, tolerance, seeds, row_counts, scan, r_lo, r_hi, touched
):  # fmt: skip
    """Relax a slice within its plane from its queued voxels only (label-correcting FIFO).

    The queued voxels are the ``seeds`` lists written by :func:`step_across` for rows ``r_lo``
    to ``r_hi - 1``, or, with ``scan``, found by scanning the slice for the queued bit. The
    slice must be at its in-plane fixed point apart from the neighbours of queued voxels;
    queued bits are cleared. ``touched`` receives the rows ``[lo, hi)`` that hold the seeds
    and every voxel updated (so the caller knows where the slice's 'changed' flags lie).
    Returns the number of updates.
    """
    nb.literally(euclidean)
    _, hy, hx = spacing
    ny, nx = dist_k.shape
    capacity = 1024
    if not scan:
        capacity = max(capacity, 2 * int(row_counts[r_lo:r_hi].sum()))
    queue = np.empty(capacity, dtype=np.int64)
    head = 0
    size = 0
    low_row = ny
    high_row = 0
    if not scan:
        for j in range(r_lo, r_hi):
            if row_counts[j]:
                low_row = min(low_row, j)
                high_row = j + 1
            for n in range(row_counts[j]):
                queue[size] = seeds[j * nx + n]
                size += 1
    for j in range(ny if scan else 0):
        # OR-reduce the row first (vectorised): most rows hold no queued voxel.
        flags = np.uint8(0)
        for i in range(nx):
            flags |= pore_k[j, i]
        if flags & QUEUED_BIT == 0:
            continue
        low_row = min(low_row, j)
        high_row = j + 1
        for i in range(nx):
            if pore_k[j, i] & QUEUED_BIT:
                if size == capacity:
                    queue = np.concatenate((queue, np.empty(capacity, np.int64)))
                    capacity *= 2
                queue[size] = j * nx + i
                size += 1
    updates = 0
    while size > 0:
        index = queue[head]
        head = head + 1 if head + 1 < capacity else 0
        size -= 1
        j = index // nx
        i = index % nx
        pore_k[j, i] &= ~QUEUED_BIT
        source = dist_k[j, i]
        for r in range(8):
            y = j + RING_DY[r]
            x = i + RING_DX[r]
            if not (0 <= y < ny and 0 <= x < nx) or pore_k[y, x] & PORE_BIT == 0:
                continue
            current = dist_k[y, x]
            if source >= current:
                continue
            if euclidean:
                value = ring_update_euclidean(dist_k, y, x, hy, hx, current)
            else:
                value = source + math.sqrt((RING_DY[r] * hy) ** 2 + (RING_DX[r] * hx) ** 2)
            stored = np.float32(value)
            if not improves(stored, current, tolerance):
                continue
            dist_k[y, x] = stored
            updates += 1
            low_row = min(low_row, y)
            high_row = max(high_row, y + 1)
            pore_k[y, x] |= CHANGED_BIT
            if pore_k[y, x] & QUEUED_BIT:
                continue
            pore_k[y, x] |= QUEUED_BIT
            if size == capacity:
                grown = np.empty(2 * capacity, np.int64)
                for n in range(size):
                    grown[n] = queue[(head + n) % capacity]
                queue = grown
                head = 0
                capacity *= 2
            queue[(head + size) % capacity] = y * nx + x
            size += 1
    touched[0] = low_row
    touched[1] = high_row
    return updates
