"""numba kernels: geodesic distance through a 3D pore mask, slice by slice.

Private: plain arrays in and out. The flow axis is axis 0. ``pore`` is uint8 (bit 0 = pore;
bit 1 is a transient "queued" flag), ``dist`` is float32 with +inf at solid or unreached
voxels, ``hz, hy, hx`` are the voxel sizes along axes 0, 1, 2.

The driver (:mod:`generator.geodesic`) advances one slice at a time from the source face: a
slice takes the best values reachable from the slice behind it (:func:`step_across`), then
relaxes within its plane (:func:`relax_plane`, raster passes). Paths that turn back through the
thickness are then caught by sweeps in alternating directions that are cheap because they are
sparse: a slice is looked at only if the slice behind it changed, and only the voxels it
improves seed a label-correcting relaxation within the plane (:func:`relax_sparse`). In a
fibrous GDL about 1 % of the pore needs such a correction. The sweeps stop when one changes
nothing: then every voxel satisfies the discrete Bellman (or eikonal) equation.

Metrics.
* ``LATTICE``: the 26-connected voxel graph, steps of length ``|offset * spacing|``; at the fixed
  point this is exactly Dijkstra's distance on that graph.
* ``EUCLIDEAN``: a semi-Lagrangian update on the same neighbourhood. A voxel may be reached from
  any point ``p`` of a segment or triangle spanned by neighbouring reached voxels, at the linearly
  interpolated value there plus the straight length ``|v - p|``: in the plane, the segments
  between consecutive ring neighbours; across slices, the triangles and segments of the 3 x 3
  patch in the adjacent slice. Linear (planar-front) fields are carried exactly, so oblique
  straight paths no longer pay the lattice's detour of up to 8 %. Lattice steps remain
  candidates, so the connectivity is the lattice's (pores linked only by an edge or a corner
  still connect).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

LATTICE = 0
EUCLIDEAN = 1
PORE_BIT = np.uint8(1)
QUEUED_BIT = np.uint8(2)  # waiting in the in-plane queue
CHANGED_BIT = np.uint8(4)  # improved during the current sweep
CHANGED_BEFORE_BIT = np.uint8(8)  # improved during the previous sweep
STALE_BIT = np.uint8(16)  # in-plane passes: a neighbour changed since this voxel was looked at

# The 8 in-plane neighbours in ring order (dy, dx): consecutive entries are adjacent.
RING_DY = np.array([0, -1, -1, -1, 0, 1, 1, 1], dtype=np.int64)
RING_DX = np.array([-1, -1, 0, 1, 1, 1, 0, -1], dtype=np.int64)


@nb.njit(cache=True, nogil=True, inline="always")
def _edge_from_foot(start, other, q2, inv_length, length2):
    """min over the inside of a segment of (linear value) + (distance to v); +inf at an end.

    The segment runs from ``start`` (its point nearest to ``v``, at squared distance ``q2``)
    to ``other``, ``sqrt(length2)`` away. Every segment of the semi-Lagrangian updates has its
    foot at one end: the spokes from the voxel straight behind ``v`` and the ring segments
    from an axial neighbour to a diagonal one. With slope ``g = (start - other) / length``
    the optimum is ``start + sqrt(q2 (1 - g^2))``, ``g sqrt(q2 / (1 - g^2))`` along the
    segment: kept when that lies strictly inside.
    """
    g = (start - other) * inv_length
    rest = 1.0 - g * g
    if g <= 0.0 or rest <= 0.0 or g * g * q2 >= rest * length2:
        return np.inf
    return start + math.sqrt(q2 * rest)


@nb.njit(cache=True, nogil=True)
def _triangles_row(out, up, centre, down, hy, hx, hz):
    """Semi-Lagrangian values across slices from the patch's triangles, a whole row at once.

    ``up``, ``centre`` and ``down`` are rows j - 1, j, j + 1 of the slice behind (hz away).
    For voxel i, ``d00`` is the voxel straight behind it, ``d10`` its neighbour at ``dy = sy``,
    ``d01`` at ``dx = sx`` and ``d11`` the corner, ``sy`` and ``sx`` towards the lower
    neighbour on each axis. The value is linear on each triangle, with slopes ``gy``, ``gx`` per
    unit length towards ``sy``, ``sx``; the optimum of ``D(p) + |v - p|`` is
    ``d00 + hz sqrt(1 - |g|^2)`` at the foot ``u = -g hz / sqrt(1 - |g|^2)``, kept when ``u``
    lies in the triangle: triangle 0 is (0,0), (sy,0), (sy,sx); triangle 1 is (0,0), (0,sx),
    (sy,sx). ``out[i]`` is the smaller valid value, +inf where neither triangle holds the
    optimum (and at both ends of the row). In float32 with selects, and the tests multiplied
    out so that no division or square root decides validity: the loop vectorises.
    """
    nx = out.shape[0]
    inv_y = np.float32(1.0 / hy)
    inv_x = np.float32(1.0 / hx)
    fy = np.float32(hy)
    fx = np.float32(hx)
    fz = np.float32(hz)
    fz2 = fz * fz
    one = np.float32(1.0)
    zero = np.float32(0.0)
    inf = np.float32(np.inf)
    out[0] = inf
    out[nx - 1] = inf
    for i in range(1, nx - 1):
        d00 = centre[i]
        u = up[i]
        d = down[i]
        left = centre[i - 1]
        right = centre[i + 1]
        go_down = d < u
        go_right = right < left
        d10 = d if go_down else u
        d01 = right if go_right else left
        corner_down = down[i + 1] if go_right else down[i - 1]
        corner_up = up[i + 1] if go_right else up[i - 1]
        d11 = corner_down if go_down else corner_up
        # Triangle 0: (0,0), (sy,0), (sy,sx).
        gy = (d10 - d00) * inv_y
        gx = (d11 - d10) * inv_x
        rest0 = one - (gy * gy + gx * gx)
        ok0 = (
            (gy <= zero)
            & (gx <= zero)
            & (rest0 > zero)
            & (gx * fy >= gy * fx)
            & (gy * gy * fz2 <= rest0 * fy * fy)
        )
        # Triangle 1: (0,0), (0,sx), (sy,sx).
        gx = (d01 - d00) * inv_x
        gy = (d11 - d01) * inv_y
        rest1 = one - (gy * gy + gx * gx)
        ok1 = (
            (gy <= zero)
            & (gx <= zero)
            & (rest1 > zero)
            & (gy * fx >= gx * fy)
            & (gx * gx * fz2 <= rest1 * fx * fx)
        )
        v0 = d00 + fz * math.sqrt(rest0 if ok0 else one)
        v1 = d00 + fz * math.sqrt(rest1 if ok1 else one)
        a = v0 if ok0 else inf
        b = v1 if ok1 else inf
        out[i] = a if a < b else b


@nb.njit(cache=True, nogil=True, inline="always")
def _ring_segments_from(field, y, x, dy, dx, a, q, q2, inv_step, step2, best):
    """Best of ``best`` and the two ring segments from the axial neighbour ``(y, x)`` (value
    ``a``, offset ``(dy, dx)``, distance ``q`` from ``v``) to the diagonal ones beside it."""
    ny, nx = field.shape
    for side in (-1, 1):
        y1 = y + (side if dy == 0 else 0)
        x1 = x + (side if dx == 0 else 0)
        if not (0 <= y1 < ny and 0 <= x1 < nx):
            continue
        b = field[y1, x1]
        if b >= a or b + q >= best:
            continue
        value = _edge_from_foot(a, b, q2, inv_step, step2)
        if value < best:
            best = value
    return best


@nb.njit(cache=True, nogil=True)
def _segment_constants(hy, hx, hz):
    """Per ring position: spoke length^2 and 1/length; for axial ones, the ring segments'
    squared distance to ``v``, that distance, and their length^2 and 1/length."""
    table = np.zeros((8, 6))
    for r in range(8):
        dy = RING_DY[r]
        dx = RING_DX[r]
        length2 = (dy * hy) ** 2 + (dx * hx) ** 2
        table[r, 0] = length2
        table[r, 1] = 1.0 / math.sqrt(length2)
        if r % 2 == 0:
            step = hx if dx == 0 else hy
            table[r, 2] = length2 + hz * hz
            table[r, 3] = math.sqrt(length2 + hz * hz)
            table[r, 4] = step * step
            table[r, 5] = 1.0 / step
    return table


@nb.njit(cache=True, nogil=True)
def _patch_segments(dist_n, j, i, hz, constants, best):
    """Best of ``best`` and the segments of the 3 x 3 patch of an adjacent slice (hz away).

    The fallback when no triangle of :func:`_triangles_row` holds the optimum (a partly solid
    patch, a front steeper than 45 degrees): the 8 spokes from the voxel straight behind
    ``v`` and the 8 ring segments (``constants`` from :func:`_segment_constants`). Lattice
    steps are the caller's. A segment is only solved when its lower end plus its distance to
    ``v`` beats ``best``.
    """
    ny, nx = dist_n.shape
    hz2 = hz * hz
    d00 = dist_n[j, i]
    for r in range(8):
        dy = RING_DY[r]
        dx = RING_DX[r]
        y = j + dy
        x = i + dx
        if not (0 <= y < ny and 0 <= x < nx):
            continue
        a = dist_n[y, x]
        if a == np.inf:
            continue
        # Spoke from the voxel behind (the foot, hz away) out to this neighbour.
        if a < d00 and a + hz < best:
            value = _edge_from_foot(d00, a, hz2, constants[r, 1], constants[r, 0])
            if value < best:
                best = value
        if r % 2 == 1:
            continue
        best = _ring_segments_from(
            dist_n,
            y,
            x,
            dy,
            dx,
            a,
            constants[r, 3],
            constants[r, 2],
            constants[r, 5],
            constants[r, 4],
            best,
        )
    return best


@nb.njit(cache=True, nogil=True, inline="always")
def _edge_select(start, other, q2, inv_length, length2):
    """:func:`_edge_from_foot` with selects instead of branches (float32, vectorises)."""
    one = np.float32(1.0)
    g = (start - other) * inv_length
    rest = one - g * g
    inside = (g > 0) & (rest > 0) & (g * g * q2 < rest * length2)
    value = start + math.sqrt(q2 * (rest if inside else one))
    return value if inside else np.float32(np.inf)


@nb.njit(cache=True, nogil=True)
def _patch_segments_gathered(out, patch, count, hy, hx, hz):
    """:func:`_patch_segments` for ``count`` interior voxels at once (vectorised).

    ``patch[k, n]`` holds voxel n's 3 x 3 patch, ``k = 3 (dy + 1) + (dx + 1)``; ``out[n]``
    is the best spoke or ring segment value, +inf if none holds an inside optimum.
    """
    fy = np.float32(hy)
    fx = np.float32(hx)
    hz2 = np.float32(hz * hz)
    y2 = fy * fy
    x2 = fx * fx
    d2 = y2 + x2
    inv_y = np.float32(1.0 / hy)
    inv_x = np.float32(1.0 / hx)
    inv_d = np.float32(1.0 / math.sqrt(hy * hy + hx * hx))
    ring_y2 = y2 + hz2  # the ring segments at dy = -+1, from the axial voxel along x
    ring_x2 = x2 + hz2
    for n in range(count):
        d00 = patch[4, n]
        best = _edge_select(d00, patch[1, n], hz2, inv_y, y2)
        best = min(best, _edge_select(d00, patch[7, n], hz2, inv_y, y2))
        best = min(best, _edge_select(d00, patch[3, n], hz2, inv_x, x2))
        best = min(best, _edge_select(d00, patch[5, n], hz2, inv_x, x2))
        best = min(best, _edge_select(d00, patch[0, n], hz2, inv_d, d2))
        best = min(best, _edge_select(d00, patch[2, n], hz2, inv_d, d2))
        best = min(best, _edge_select(d00, patch[6, n], hz2, inv_d, d2))
        best = min(best, _edge_select(d00, patch[8, n], hz2, inv_d, d2))
        best = min(best, _edge_select(patch[1, n], patch[0, n], ring_y2, inv_x, x2))
        best = min(best, _edge_select(patch[1, n], patch[2, n], ring_y2, inv_x, x2))
        best = min(best, _edge_select(patch[7, n], patch[6, n], ring_y2, inv_x, x2))
        best = min(best, _edge_select(patch[7, n], patch[8, n], ring_y2, inv_x, x2))
        best = min(best, _edge_select(patch[3, n], patch[0, n], ring_x2, inv_y, y2))
        best = min(best, _edge_select(patch[3, n], patch[6, n], ring_x2, inv_y, y2))
        best = min(best, _edge_select(patch[5, n], patch[2, n], ring_x2, inv_y, y2))
        best = min(best, _edge_select(patch[5, n], patch[8, n], ring_x2, inv_y, y2))
        out[n] = best


@nb.njit(cache=True, nogil=True)
def _ring_update(dist_k, j, i, hy, hx, best, metric):
    """Best value at (j, i) from its 8 neighbours in the same plane."""
    ny, nx = dist_k.shape
    w_min = min(hy, hx)
    w_diagonal = math.sqrt(hy * hy + hx * hx)
    for r in range(8):
        dy = RING_DY[r]
        dx = RING_DX[r]
        y = j + dy
        x = i + dx
        if 0 <= y < ny and 0 <= x < nx:
            value = dist_k[y, x]
            if value + w_min < best:
                candidate = value + (hx if dy == 0 else (hy if dx == 0 else w_diagonal))
                if candidate < best:
                    best = candidate
    if metric != EUCLIDEAN:
        return best
    # Ring segments from each axial neighbour (their foot) to the diagonal ones beside it.
    for r in range(0, 8, 2):
        dy = RING_DY[r]
        dx = RING_DX[r]
        y = j + dy
        x = i + dx
        if not (0 <= y < ny and 0 <= x < nx):
            continue
        a = dist_k[y, x]
        if a == np.inf:
            continue
        q = hx if dy == 0 else hy
        step = hx if dx == 0 else hy
        best = _ring_segments_from(dist_k, y, x, dy, dx, a, q, q * q, 1.0 / step, step * step, best)
    return best


@nb.njit(cache=True, nogil=True, inline="always")
def _improves(stored, current, tolerance):
    return stored < current and (current == np.inf or current - stored > tolerance * current)


@nb.njit(cache=True, nogil=True)
def _lattice_row_from(best, row, w_centre, w_side):
    """best[i] = min(best[i], row[i] + w_centre, row[i -+ 1] + w_side), vectorised."""
    nx = best.shape[0]
    for i in range(nx):
        c = row[i] + w_centre
        if c < best[i]:
            best[i] = c
    for i in range(1, nx):
        c = row[i - 1] + w_side
        if c < best[i]:
            best[i] = c
    for i in range(nx - 1):
        c = row[i + 1] + w_side
        if c < best[i]:
            best[i] = c


@nb.njit(cache=True, parallel=True)
def step_across(
    dist_k,
    dist_n,
    pore_k,
    pore_n,
    hy,
    hx,
    hz,
    metric,
    tolerance,
    mark,
    sparse,
    seeds,
    row_counts,
    scratch,
    near_rows,
):
    """Improve slice ``dist_k`` from the adjacent slice ``dist_n``; returns how many improved.

    With ``mark``, improved voxels are queued (for :func:`relax_sparse`) and flagged changed,
    and their flat indices are written to ``seeds[j * nx : j * nx + row_counts[j]]``.
    ``scratch`` (float32, (2, ny, nx)) and ``near_rows`` (uint8, (ny, nx)) are work space the
    caller allocates once: fresh large allocations on every call cost page faults.
    With ``sparse``, only voxels whose 3 x 3 patch in ``dist_n`` holds a voxel flagged changed
    (this sweep or the last) are looked at: nothing else can have become improvable.
    """
    ny, nx = dist_k.shape
    w_straight = np.float32(hz)
    w_face_y = np.float32(math.sqrt(hy * hy + hz * hz))
    w_face_x = np.float32(math.sqrt(hx * hx + hz * hz))
    w_corner = np.float32(math.sqrt(hy * hy + hx * hx + hz * hz))
    recent = CHANGED_BIT | CHANGED_BEFORE_BIT
    constants = _segment_constants(hy, hx, hz)
    improved = np.zeros(ny, dtype=np.int64)
    best_rows = scratch[0]
    lowest_rows = scratch[1]
    triangle_rows = scratch[2]
    for j in nb.prange(ny):
        if mark:
            row_counts[j] = 0
        y0 = max(j - 1, 0)
        y1 = min(j + 2, ny)
        near = near_rows[j]
        if sparse:
            near[:] = 0
            for y in range(y0, y1):
                for i in range(nx):
                    near[i] |= pore_n[y, i]
            any_recent = np.uint8(0)
            for i in range(nx):
                any_recent |= near[i]
            if any_recent & recent == 0:
                continue
        # Lowest value of each 3 x 3 patch: no step from the patch beats it plus hz, so a row
        # where no pore voxel stands above that bound is skipped (most rows, against the flow).
        lowest = lowest_rows[j]
        lowest[:] = np.inf
        for y in range(y0, y1):
            _lattice_row_from(lowest, dist_n[y], np.float32(0.0), np.float32(0.0))
        reachable = False
        for i in range(nx):
            reachable |= (pore_k[j, i] & PORE_BIT != 0) & (lowest[i] + w_straight < dist_k[j, i])
        if not reachable:
            continue
        best = best_rows[j]
        best[:] = dist_k[j]
        # Lattice steps from the 3 x 3 patch, row by row (vectorised).
        _lattice_row_from(best, dist_n[j], w_straight, w_face_x)
        if j > 0:
            _lattice_row_from(best, dist_n[j - 1], w_face_y, w_corner)
        if j < ny - 1:
            _lattice_row_from(best, dist_n[j + 1], w_face_y, w_corner)
        if metric == EUCLIDEAN:
            # Triangle updates for the whole row (vectorised), where any voxel can gain.
            triangle = triangle_rows[j]
            gain = False
            for i in range(nx):
                gain |= lowest[i] + hz < best[i]
            if gain and 0 < j < ny - 1:
                _triangles_row(triangle, dist_n[j - 1], dist_n[j], dist_n[j + 1], hy, hx, hz)
                # Where no triangle holds the optimum, the patch's segments: gathered, then
                # solved together (vectorised), into the same row.
                fallback = 0
                for i in range(1, nx - 1):
                    fallback += (
                        (pore_k[j, i] & PORE_BIT != 0)
                        & (lowest[i] + hz < best[i])
                        & (triangle[i] == np.inf)
                        & (not sparse or (near[i - 1] | near[i] | near[i + 1]) & recent != 0)
                    )
                if fallback:
                    where = np.empty(fallback, dtype=np.int64)
                    patch = np.empty((9, fallback), dtype=np.float32)
                    n = 0
                    for i in range(1, nx - 1):
                        if (
                            pore_k[j, i] & PORE_BIT
                            and lowest[i] + hz < best[i]
                            and triangle[i] == np.inf
                            and (not sparse or (near[i - 1] | near[i] | near[i + 1]) & recent)
                        ):
                            where[n] = i
                            for k in range(9):
                                patch[k, n] = dist_n[j + k // 3 - 1, i + k % 3 - 1]
                            n += 1
                    values = np.empty(fallback, dtype=np.float32)
                    _patch_segments_gathered(values, patch, fallback, hy, hx, hz)
                    for n in range(fallback):
                        triangle[where[n]] = values[n]
            else:
                triangle[:] = np.inf
        count = 0
        for i in range(nx):
            if pore_k[j, i] & PORE_BIT == 0:
                continue
            if sparse and (near[max(i - 1, 0)] | near[i] | near[min(i + 1, nx - 1)]) & recent == 0:
                continue
            current = dist_k[j, i]
            value = best[i]
            if metric == EUCLIDEAN and lowest[i] + hz < value:
                if 0 < j < ny - 1 and 0 < i < nx - 1 and gain:
                    value = min(value, triangle[i])
                else:
                    value = _patch_segments(dist_n, j, i, hz, constants, value)
            stored = np.float32(value)
            if _improves(stored, current, tolerance):
                dist_k[j, i] = stored
                if mark:
                    pore_k[j, i] |= QUEUED_BIT | CHANGED_BIT
                    seeds[j * nx + count] = j * nx + i
                count += 1
        improved[j] = count
        if mark:
            row_counts[j] = count
    return improved.sum()


@nb.njit(cache=True, parallel=True)
def age_change_flags(pore):
    """End of a sweep: 'changed now' becomes 'changed before', and 'changed now' is cleared."""
    for k in nb.prange(pore.shape[0]):
        for j in range(pore.shape[1]):
            for i in range(pore.shape[2]):
                v = pore[k, j, i]
                pore[k, j, i] = (v & (PORE_BIT | QUEUED_BIT)) | ((v & CHANGED_BIT) << 1)


@nb.njit(cache=True, parallel=True)
def clear_flags(pore):
    """Leave only the pore bit."""
    for k in nb.prange(pore.shape[0]):
        for j in range(pore.shape[1]):
            for i in range(pore.shape[2]):
                pore[k, j, i] &= PORE_BIT


@nb.njit(cache=True, nogil=True)
def relax_plane(dist_k, pore_k, hy, hx, metric, tolerance, max_passes):
    """Relax a whole slice within its plane: raster passes until one changes nothing.

    Each pass takes the row behind it first (vectorised), then finds which voxels of the row
    can improve at all: those above their lowest neighbour plus the shortest in-plane step
    (vectorised, values as they stand). Only those, and the voxels after one that just
    improved, are updated one by one, so a row at its fixed point costs a few vector loops. A
    pass that changes nothing has looked at every neighbour of every voxel: the slice is at its
    fixed point. After ``max_passes`` passes that still change something, the voxels the last
    pass changed are queued and the function returns -1: :func:`relax_sparse` finishes from
    them (the semi-Lagrangian update converges slowly by whole passes in fibre shadows).
    """
    ny, nx = dist_k.shape
    wy = np.float32(hy)
    wx = np.float32(hx)
    wd = np.float32(math.sqrt(hy * hy + hx * hx))
    w_min = np.float32(min(hy, hx))
    euclidean = metric == EUCLIDEAN
    w_bound_y = w_min if euclidean else wy
    w_bound_x = w_min if euclidean else wx
    w_bound_diagonal = w_min if euclidean else wd
    inf = np.float32(np.inf)
    candidate = np.empty(nx, dtype=np.float32)
    lowest = np.empty(nx, dtype=np.float32)
    movable = np.empty(nx, dtype=np.bool_)
    passes = 0
    while True:
        changed = False
        # The four raster orders in turn (fast sweeping): every in-plane direction of travel
        # is carried a whole row or column at a time by one of them.
        rows_back = passes % 2 == 1
        columns_back = (passes // 2) % 2 == 1
        for jj in range(ny):
            j = ny - 1 - jj if rows_back else jj
            previous = j + 1 if rows_back else j - 1
            row = dist_k[j]
            mask = pore_k[j]
            if passes > 0:
                # After the first pass, a row none of whose voxels is stale is settled.
                flags = np.uint8(0)
                for i in range(nx):
                    flags |= mask[i]
                if flags & STALE_BIT == 0:
                    continue
            for i in range(nx):
                candidate[i] = row[i]
            if 0 <= previous < ny:
                _lattice_row_from(candidate, dist_k[previous], wy, wd)
            # Lower bound from each of the 8 neighbours as values stand: the lattice step
            # itself, or (euclidean) the value plus the shortest step, below every segment
            # update. A neighbour lowered later in this pass is either the one just before
            # (the run, in the loop) or in the row ahead, which the next pass sees.
            lowest[:] = inf
            for y in (j - 1, j + 1):
                if 0 <= y < ny:
                    _lattice_row_from(lowest, dist_k[y], w_bound_y, w_bound_diagonal)
            for i in range(1, nx):
                lowest[i] = min(lowest[i], row[i - 1] + w_bound_x)
            for i in range(nx - 1):
                lowest[i] = min(lowest[i], row[i + 1] + w_bound_x)
            # Only a voxel with a neighbour changed since it was last looked at can move.
            any_movable = False
            look = PORE_BIT | STALE_BIT if passes == 0 else STALE_BIT
            for i in range(nx):
                bound = min(lowest[i], candidate[i])
                movable[i] = (mask[i] & look != 0) & (mask[i] & PORE_BIT != 0) & (bound < row[i])
                any_movable |= movable[i]
                mask[i] &= ~STALE_BIT
            if not any_movable:
                continue
            after_change = False
            for ii in range(nx):
                i = nx - 1 - ii if columns_back else ii
                if not (movable[i] or after_change):
                    continue
                after_change = False
                if mask[i] & PORE_BIT == 0:
                    continue
                before = i + 1 if columns_back else i - 1
                run = row[before] if 0 <= before < nx else inf
                current = row[i]
                value = min(candidate[i], run + wx)
                # Every neighbour counts, so a voxel looked at is settled until one changes.
                if metric == EUCLIDEAN:
                    if min(lowest[i], run + w_min) < value:
                        value = _ring_update(dist_k, j, i, hy, hx, value, metric)
                else:
                    value = min(value, lowest[i])
                stored = np.float32(value)
                if _improves(stored, current, tolerance):
                    row[i] = stored
                    changed = True
                    after_change = True
                    for y in range(max(j - 1, 0), min(j + 2, ny)):
                        for x in range(max(i - 1, 0), min(i + 2, nx)):
                            pore_k[y, x] |= STALE_BIT
                    if passes + 1 >= max_passes:
                        mask[i] |= QUEUED_BIT
        passes += 1
        if not changed:
            for j in range(ny):
                for i in range(nx):
                    pore_k[j, i] &= PORE_BIT if passes >= max_passes else ~STALE_BIT
            return passes
        if passes >= max_passes:
            for j in range(ny):
                for i in range(nx):
                    pore_k[j, i] &= ~STALE_BIT
            return -1


@nb.njit(cache=True, parallel=True)
def relax_plane_bands(dist_k, pore_k, hy, hx, metric, tolerance, max_passes, bands):
    """:func:`relax_plane` on ``bands`` horizontal bands of the slice at once, one per thread.

    Each band relaxes as if its edges were the slice's (bands are independent, so the result
    does not depend on timing). The voxels on both sides of every band edge are then queued,
    and so are those still changing in a band that reached ``max_passes``: the caller finishes
    with :func:`relax_sparse` (``scan=True``), which carries paths across the band edges.
    Returns True when such a finish is needed.
    """
    ny, nx = dist_k.shape
    edges = np.empty(bands + 1, dtype=np.int64)
    for b in range(bands + 1):
        edges[b] = (b * ny) // bands
    limited = np.zeros(bands, dtype=np.bool_)
    for b in nb.prange(bands):
        r0 = edges[b]
        r1 = edges[b + 1]
        passes = relax_plane(dist_k[r0:r1], pore_k[r0:r1], hy, hx, metric, tolerance, max_passes)
        limited[b] = passes < 0
    for b in range(1, bands):
        for row in (edges[b] - 1, edges[b]):
            for i in range(nx):
                if pore_k[row, i] & PORE_BIT and dist_k[row, i] < np.inf:
                    pore_k[row, i] |= QUEUED_BIT
    return bands > 1 or limited.any()


@nb.njit(cache=True, nogil=True)
def relax_sparse(dist_k, pore_k, hy, hx, metric, tolerance, seeds, row_counts, scan):
    """Relax a slice within its plane from its queued voxels only (label-correcting FIFO).

    The queued voxels are the ``seeds`` lists written by :func:`step_across`, or, with
    ``scan``, found by scanning the slice for the queued bit. The slice must be at its in-plane
    fixed point apart from the neighbours of queued voxels; queued bits are cleared. Returns
    the number of updates.
    """
    ny, nx = dist_k.shape
    capacity = 1024
    if not scan:
        capacity = max(capacity, 2 * int(row_counts.sum()))
    queue = np.empty(capacity, dtype=np.int64)
    head = 0
    size = 0
    if not scan:
        for j in range(ny):
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
            if metric == EUCLIDEAN:
                value = _ring_update(dist_k, y, x, hy, hx, current, metric)
            else:
                value = source + math.sqrt((RING_DY[r] * hy) ** 2 + (RING_DX[r] * hx) ** 2)
            stored = np.float32(value)
            if not _improves(stored, current, tolerance):
                continue
            dist_k[y, x] = stored
            updates += 1
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
    return updates
