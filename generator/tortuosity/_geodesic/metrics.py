"""Per-voxel updates of the two metrics (numba, plain values and rows).

* Lattice: the 26-connected voxel graph, steps of length ``|offset * spacing|``; at the solver's
  fixed point this is exactly Dijkstra's distance on that graph (:func:`lattice_row_from`).
* Euclidean: a semi-Lagrangian update on the same neighbourhood. A voxel may be reached from any
  point ``p`` of a segment or triangle spanned by neighbouring reached voxels, at the linearly
  interpolated value there plus the straight length ``|v - p|``: in the plane, the segments
  between consecutive ring neighbours (:func:`ring_update_euclidean`); across slices, the
  triangles (:func:`triangles_row`) and segments (:func:`patch_segments_gathered`) of the
  3 x 3 patch in the adjacent slice. Linear (planar-front) fields are carried exactly, so
  oblique straight paths no longer pay the lattice's detour of up to 8 %. Lattice steps remain
  candidates, so the connectivity is the lattice's.

Across slices the updates are float32 throughout, written with selects rather than branches
so that whole rows vectorise; the voxels at the plane's edges take the same gathered segments
(+inf beyond the edge), so a result does not depend on where a voxel sits.

The kernels called per row or per voxel that allocate nothing are compiled without numba's
reference counting (``_nrt=False``): each call, and each row view made in it, took an atomic
increment and decrement of its array's count, millions of times a solve (a euclidean solve
3-7 % faster, the same bits). Their arrays belong to the caller throughout.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True, inline="always")
def improves(stored, current, tolerance):
    """Whether ``stored`` replaces ``current``: lower by more than ``tolerance`` (relative)."""
    return stored < current and (current == np.inf or current - stored > tolerance * current)


@nb.njit(cache=True, nogil=True, _nrt=False)
def lattice_row_from(best, row, w_centre, w_side, lo, hi):
    """best[i] = min(best[i], row[i] + w_centre, row[i -+ 1] + w_side) for columns ``lo`` to
    ``hi - 1``, vectorised.

    One loop over the columns, not one per offset: rows are short (hundreds of voxels), and a
    vector loop's start and remainder cost as much as its body there. The loop indexes with
    unsigned integers: a signed index from a variable start keeps numba's negative-index wrap,
    which stops the loop vectorising (6-9x slower).
    """
    nx = best.shape[0]
    if nx == 1:
        best[0] = min(best[0], row[0] + w_centre)
        return
    if lo == 0:
        best[0] = min(best[0], min(row[0] + w_centre, row[1] + w_side))
    start = max(lo, 1)
    for k in range(min(hi, nx - 1) - start):
        i = np.uint64(start + k)
        best[i] = min(best[i], min(row[i] + w_centre, min(row[i - 1], row[i + 1]) + w_side))
    if hi == nx:
        best[nx - 1] = min(best[nx - 1], min(row[nx - 1] + w_centre, row[nx - 2] + w_side))


@nb.njit(cache=True, nogil=True, _nrt=False)
def lattice_patch_block(best, up, centre, down, w_straight, w_x, w_y, w_corner, lo, hi):
    """best[i] = min(best[i], every lattice step from the 3 x 3 patch of rows ``up``,
    ``centre``, ``down`` of the slice behind) for columns ``lo`` to ``hi - 1``, in one
    vectorised loop (unsigned indices, as :func:`lattice_row_from`)."""
    nx = best.shape[0]
    for i in (0, nx - 1):
        if i < lo or i >= hi:
            continue
        value = min(centre[i] + w_straight, min(up[i], down[i]) + w_y)
        for x in (i - 1, i + 1):
            if 0 <= x < nx:
                value = min(value, centre[x] + w_x)
                value = min(value, min(up[x], down[x]) + w_corner)
        best[i] = min(best[i], value)
    start = max(lo, 1)
    for k in range(min(hi, nx - 1) - start):
        i = np.uint64(start + k)
        a = min(centre[i] + w_straight, min(centre[i - 1], centre[i + 1]) + w_x)
        b = min(up[i], down[i]) + w_y
        c = min(min(up[i - 1], up[i + 1]), min(down[i - 1], down[i + 1])) + w_corner
        best[i] = min(best[i], min(a, min(b, c)))


@nb.njit(cache=True, nogil=True, _nrt=False)
def patch_lowest_and_steps(lowest, best, row, up, centre, down, w_straight, w_x, w_y, w_corner):
    """For every column of a row at once: ``lowest[i]``, the lowest value of the 3 x 3 patch of
    rows ``up``, ``centre``, ``down`` behind, and ``best[i]``, the least of ``row[i]`` and every
    lattice step from that patch (:func:`lattice_patch_block`'s values, the same bits), in one
    vectorised loop: the euclidean step across needs both, and two loops read the patch twice.
    """
    nx = best.shape[0]
    for i in (0, nx - 1):
        straight = centre[i]
        axial_y = min(up[i], down[i])
        low = min(straight, axial_y)
        value = min(straight + w_straight, axial_y + w_y)
        for x in (i - 1, i + 1):
            if 0 <= x < nx:
                side = centre[x]
                corner = min(up[x], down[x])
                low = min(low, min(side, corner))
                value = min(value, side + w_x)
                value = min(value, corner + w_corner)
        lowest[i] = low
        best[i] = min(row[i], value)
    for k in range(nx - 2):
        i = np.uint64(k + 1)  # unsigned, as in lattice_row_from: no index wrap
        straight = centre[i]
        side = min(centre[i - 1], centre[i + 1])
        axial_y = min(up[i], down[i])
        corner = min(min(up[i - 1], up[i + 1]), min(down[i - 1], down[i + 1]))
        lowest[i] = min(min(straight, side), min(axial_y, corner))
        a = min(straight + w_straight, side + w_x)
        b = axial_y + w_y
        c = corner + w_corner
        best[i] = min(row[i], min(a, min(b, c)))


# --- In the plane: ring segments (scalar, used by the queue and the raster passes) ------------


@nb.njit(cache=True, nogil=True, inline="always")
def _edge_from_foot(start, other, q2, inv_length, length2):
    """min over the inside of a segment of (linear value) + (distance to v); +inf at an end.

    The segment runs from ``start`` (its point nearest to ``v``, at squared distance ``q2``)
    to ``other``, ``sqrt(length2)`` away. With slope ``g = (start - other) / length`` the
    optimum is ``start + sqrt(q2 (1 - g^2))``, ``g sqrt(q2 / (1 - g^2))`` along the segment:
    kept when that lies strictly inside.
    """
    g = (start - other) * inv_length
    rest = 1.0 - g * g
    if g <= 0.0 or rest <= 0.0 or g * g * q2 >= rest * length2:
        return np.inf
    return start + math.sqrt(q2 * rest)


@nb.njit(cache=True, nogil=True, inline="always")
def _step_to(value, step, w_min, best):
    """``best`` or the lattice step from a neighbour of ``value``, ``step`` away."""
    if value + w_min < best:
        candidate = value + step
        if candidate < best:
            best = candidate
    return best


@nb.njit(cache=True, nogil=True, inline="always")
def _segments_to(a, b_first, b_second, q, inv_step, step2, best):
    """Best of ``best`` and the two ring segments from an axial neighbour of value ``a`` (their
    foot, ``q`` from ``v``) to the diagonal neighbours beside it (``b_first``, ``b_second``,
    ``sqrt(step2)`` from it; +inf beyond the plane's edge)."""
    if a == np.inf:
        return best
    q2 = q * q
    for b in (b_first, b_second):
        if b < a and b + q < best:
            value = _edge_from_foot(a, b, q2, inv_step, step2)
            if value < best:
                best = value
    return best


@nb.njit(cache=True, nogil=True, inline="always")
def _value_at(dist_k, y, x):
    """``dist_k[y, x]``, +inf beyond the plane's edge."""
    ny, nx = dist_k.shape
    return dist_k[y, x] if 0 <= y < ny and 0 <= x < nx else np.float32(np.inf)


@nb.njit(cache=True, nogil=True, _nrt=False)
def ring_update_euclidean(dist_k, j, i, hy, hx, best):
    """Best value at (j, i) from its 8 neighbours in the same plane: lattice steps, then the
    ring segments from each axial neighbour (their foot) to the diagonal ones beside it.

    The neighbours are read once (+inf beyond the plane's edge, which no step or segment
    takes), with no bounds to test away from the edges."""
    ny, nx = dist_k.shape
    if 0 < j < ny - 1 and 0 < i < nx - 1:
        above = dist_k[j - 1]
        middle = dist_k[j]
        below = dist_k[j + 1]
        left = middle[i - 1]
        up_left = above[i - 1]
        up = above[i]
        up_right = above[i + 1]
        right = middle[i + 1]
        down_right = below[i + 1]
        down = below[i]
        down_left = below[i - 1]
    else:
        left = _value_at(dist_k, j, i - 1)
        up_left = _value_at(dist_k, j - 1, i - 1)
        up = _value_at(dist_k, j - 1, i)
        up_right = _value_at(dist_k, j - 1, i + 1)
        right = _value_at(dist_k, j, i + 1)
        down_right = _value_at(dist_k, j + 1, i + 1)
        down = _value_at(dist_k, j + 1, i)
        down_left = _value_at(dist_k, j + 1, i - 1)
    w_min = min(hy, hx)
    w_diagonal = math.sqrt(hy * hy + hx * hx)
    # The lattice steps, then the segments, in ring order.
    best = _step_to(left, hx, w_min, best)
    best = _step_to(up_left, w_diagonal, w_min, best)
    best = _step_to(up, hy, w_min, best)
    best = _step_to(up_right, w_diagonal, w_min, best)
    best = _step_to(right, hx, w_min, best)
    best = _step_to(down_right, w_diagonal, w_min, best)
    best = _step_to(down, hy, w_min, best)
    best = _step_to(down_left, w_diagonal, w_min, best)
    inv_y = 1.0 / hy
    inv_x = 1.0 / hx
    best = _segments_to(left, up_left, down_left, hx, inv_y, hy * hy, best)
    best = _segments_to(up, up_left, up_right, hy, inv_x, hx * hx, best)
    best = _segments_to(right, up_right, down_right, hx, inv_y, hy * hy, best)
    return _segments_to(down, down_left, down_right, hy, inv_x, hx * hx, best)


# --- Across slices: triangles and segments of the 3 x 3 patch behind (float32, vectorised) ----


@nb.njit(cache=True, nogil=True, _nrt=False)
def triangles_row(out, up, centre, down, hy, hx, hz, lo, hi):
    """Semi-Lagrangian values across slices from the patch's triangles, columns ``lo`` to
    ``hi - 1`` of a row at once.

    ``up``, ``centre`` and ``down`` are rows j - 1, j, j + 1 of the slice behind (hz away).
    For voxel i, ``d00`` is the voxel straight behind it, ``d10`` its neighbour at ``dy = sy``,
    ``d01`` at ``dx = sx`` and ``d11`` the corner, ``sy`` and ``sx`` towards the lower
    neighbour on each axis. The value is linear on each triangle, with slopes ``gy``, ``gx`` per
    unit length towards ``sy``, ``sx``; the optimum of ``D(p) + |v - p|`` is
    ``d00 + hz sqrt(1 - |g|^2)`` at the foot ``u = -g hz / sqrt(1 - |g|^2)``, kept when ``u``
    lies in the triangle: triangle 0 is (0,0), (sy,0), (sy,sx); triangle 1 is (0,0), (0,sx),
    (sy,sx). ``out[i]`` is the smaller valid value, +inf where neither triangle holds the
    optimum (and at both ends of the row). The tests are multiplied out so that no division or
    square root decides validity: the loop vectorises.
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
    if lo == 0:
        out[0] = inf
    if hi == nx:
        out[nx - 1] = inf
    start = max(lo, 1)
    for k in range(min(hi, nx - 1) - start):
        i = np.uint64(start + k)  # unsigned: no index wrap, so the loop vectorises
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
def _edge_select(start, other, q2, inv_length, length2):
    """:func:`_edge_from_foot` in float32 with selects instead of branches (vectorises);
    +inf when either end is +inf."""
    one = np.float32(1.0)
    g = (start - other) * inv_length
    rest = one - g * g
    inside = (g > 0) & (rest > 0) & (g * g * q2 < rest * length2)
    value = start + math.sqrt(q2 * (rest if inside else one))
    return value if inside else np.float32(np.inf)


@nb.njit(cache=True, nogil=True)
def patch_constants(hy, hx, hz):
    """float32 lengths of the patch segments: (hz^2, 1/hy, hy^2, 1/hx, hx^2, 1/diagonal,
    diagonal^2, ring-segment distance^2 along y and along x)."""
    fy = np.float32(hy)
    fx = np.float32(hx)
    hz2 = np.float32(hz * hz)
    y2 = fy * fy
    x2 = fx * fx
    return (
        hz2,
        np.float32(1.0 / hy),
        y2,
        np.float32(1.0 / hx),
        x2,
        np.float32(1.0 / math.sqrt(hy * hy + hx * hx)),
        y2 + x2,
        y2 + hz2,
        x2 + hz2,
    )


@nb.njit(cache=True, nogil=True, inline="always")
def _patch_value(p0, p1, p2, p3, p4, p5, p6, p7, p8, constants):
    """Best spoke or ring segment of one 3 x 3 patch (``p4`` straight behind ``v``, ``p(3 (dy
    + 1) + dx + 1)`` at offset (dy, dx)); +inf if none holds an inside optimum.

    The 8 spokes run from the voxel behind (the foot, hz away) out to each neighbour; the 8
    ring segments from each axial neighbour (their foot) to the diagonal ones beside it.
    """
    hz2, inv_y, y2, inv_x, x2, inv_d, d2, ring_y2, ring_x2 = constants
    best = _edge_select(p4, p1, hz2, inv_y, y2)
    best = min(best, _edge_select(p4, p7, hz2, inv_y, y2))
    best = min(best, _edge_select(p4, p3, hz2, inv_x, x2))
    best = min(best, _edge_select(p4, p5, hz2, inv_x, x2))
    best = min(best, _edge_select(p4, p0, hz2, inv_d, d2))
    best = min(best, _edge_select(p4, p2, hz2, inv_d, d2))
    best = min(best, _edge_select(p4, p6, hz2, inv_d, d2))
    best = min(best, _edge_select(p4, p8, hz2, inv_d, d2))
    best = min(best, _edge_select(p1, p0, ring_y2, inv_x, x2))
    best = min(best, _edge_select(p1, p2, ring_y2, inv_x, x2))
    best = min(best, _edge_select(p7, p6, ring_y2, inv_x, x2))
    best = min(best, _edge_select(p7, p8, ring_y2, inv_x, x2))
    best = min(best, _edge_select(p3, p0, ring_x2, inv_y, y2))
    best = min(best, _edge_select(p3, p6, ring_x2, inv_y, y2))
    best = min(best, _edge_select(p5, p2, ring_x2, inv_y, y2))
    best = min(best, _edge_select(p5, p8, ring_x2, inv_y, y2))
    return best


@nb.njit(cache=True, nogil=True, _nrt=False)
def patch_segments_gathered(out, patch, count, constants):
    """Patch segment values of ``count`` voxels at once (vectorised): ``patch[k, n]`` holds
    voxel n's 3 x 3 patch, ``k = 3 (dy + 1) + (dx + 1)``."""
    for n in range(count):
        out[n] = _patch_value(
            patch[0, n],
            patch[1, n],
            patch[2, n],
            patch[3, n],
            patch[4, n],
            patch[5, n],
            patch[6, n],
            patch[7, n],
            patch[8, n],
            constants,
        )
