"""numba kernels: geodesic distance from one face of a 3D pore mask, slice by slice.

Private: plain arrays in and out. The flow axis is axis 0 of ``pore`` (uint8, nonzero = pore);
``dist`` is float32 and holds +inf at solid or unreached voxels. ``spacing`` is the voxel size
along (axis 0, axis 1, axis 2).

Scheme. Almost every shortest path from an inlet plane runs monotonically through the
thickness, so the solver advances one slice at a time: a slice first takes the best value
reachable from the slice behind it (one step across), then relaxes within its own plane until
nothing changes (alternating raster passes). Paths that turn back are caught by sweeps in the
opposite direction, repeated until a whole sweep changes nothing. Each sweep only revisits the
slices next to a slice that changed, so the backward sweep usually costs one cheap check per
slice. At the fixed point every voxel satisfies the discrete Bellman (or eikonal) equation.

Metrics.
* ``LATTICE``: the 26-connected voxel graph, steps of length ``|offset * spacing|``; identical
  to Dijkstra on that graph.
* ``EUCLIDEAN``: a semi-Lagrangian update on the same neighbourhood. A voxel may be reached from
  any point ``p`` of a segment or triangle spanned by neighbouring pore voxels, at the linearly
  interpolated value there plus the straight length ``|v - p|``. Within the plane this uses the
  segments between neighbours around the voxel; across slices, the triangles of the 3 x 3 patch
  in the slice behind. Planar fronts are carried exactly, so oblique straight paths no longer pay
  the lattice's up-to-8 % detour.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

LATTICE = 0
EUCLIDEAN = 1

# The 8 in-plane neighbours in ring order (dy, dx), so consecutive entries are adjacent.
RING_DY = np.array([0, -1, -1, -1, 0, 1, 1, 1], dtype=np.int64)
RING_DX = np.array([-1, -1, 0, 1, 1, 1, 0, -1], dtype=np.int64)


@nb.njit(cache=True, nogil=True, inline="always")
def _segment_update(a, b, qay, qax, qaz, ey, ex):
    """min over t in (0, 1) of a + t (b - a) + |q_a - t e|; +inf when the optimum is an end.

    ``q_a = v - p_a`` and ``e = p_b - p_a``, both with the segment in a plane of constant z
    (``e_z = 0``); ``qaz`` is the height of ``v`` over that plane.
    """
    delta = b - a
    e2 = ey * ey + ex * ex
    if delta * delta >= e2:
        return np.inf
    c = qay * ey + qax * ex
    q2 = qay * qay + qax * qax + qaz * qaz
    cross2 = e2 * q2 - c * c
    if cross2 < 0.0:
        cross2 = 0.0
    s = math.sqrt(cross2 / (e2 - delta * delta))
    t = (c - delta * s) / e2
    if t <= 0.0 or t >= 1.0:
        return np.inf
    r2 = q2 - 2.0 * t * c + t * t * e2
    return a + t * delta + math.sqrt(r2 if r2 > 0.0 else 0.0)


@nb.njit(cache=True, nogil=True)
def _relax_plane(dist_k, pore_k, hy, hx, metric, tolerance):
    """Relax one slice within its plane until a raster pass changes nothing.

    Returns True if any value changed.
    """
    ny, nx = dist_k.shape
    w_ring = np.empty(8)
    for r in range(8):
        w_ring[r] = math.sqrt((RING_DY[r] * hy) ** 2 + (RING_DX[r] * hx) ** 2)
    w_min = min(hy, hx)
    any_change = False
    passes = 0
    while True:
        backward = passes % 2 == 1
        changed = False
        for jj in range(ny):
            j = ny - 1 - jj if backward else jj
            for ii in range(nx):
                i = nx - 1 - ii if backward else ii
                if pore_k[j, i] == 0:
                    continue
                current = dist_k[j, i]
                # Smallest neighbour value: nothing to do if even it cannot improve this voxel.
                best_r = -1
                best = current
                lowest = np.inf
                for r in range(8):
                    y = j + RING_DY[r]
                    x = i + RING_DX[r]
                    if 0 <= y < ny and 0 <= x < nx:
                        value = dist_k[y, x]
                        if value < lowest:
                            lowest = value
                        candidate = value + w_ring[r]
                        if candidate < best:
                            best = candidate
                            best_r = r
                if lowest + w_min >= current:
                    continue
                if metric == EUCLIDEAN:
                    # Segments from the best neighbour to its two ring neighbours.
                    for r0 in range(8):
                        y0 = j + RING_DY[r0]
                        x0 = i + RING_DX[r0]
                        if not (0 <= y0 < ny and 0 <= x0 < nx):
                            continue
                        a = dist_k[y0, x0]
                        r1 = (r0 + 1) % 8
                        y1 = j + RING_DY[r1]
                        x1 = i + RING_DX[r1]
                        if not (0 <= y1 < ny and 0 <= x1 < nx):
                            continue
                        b = dist_k[y1, x1]
                        if a == np.inf or b == np.inf or min(a, b) + w_min >= best:
                            continue
                        value = _segment_update(
                            a,
                            b,
                            -RING_DY[r0] * hy,
                            -RING_DX[r0] * hx,
                            0.0,
                            (RING_DY[r1] - RING_DY[r0]) * hy,
                            (RING_DX[r1] - RING_DX[r0]) * hx,
                        )
                        if value < best:
                            best = value
                stored = np.float32(best)
                if stored < current and (
                    current == np.inf or current - stored > tolerance * current
                ):
                    dist_k[j, i] = stored
                    changed = True
        passes += 1
        if changed:
            any_change = True
        elif passes >= 2:
            break
        if passes > 10000:
            break
    return any_change


@nb.njit(cache=True, nogil=True)
def _triangle_update(d00, d01, d10, d11, sy, sx, hy, hx, hz):
    """Best value over the two triangles of the patch quadrant towards (sy, sx).

    ``d00`` is the voxel behind ``v``, ``d10`` its neighbour at ``dy = sy``, ``d01`` at
    ``dx = sx``, ``d11`` the corner. The value field is linear on each triangle; the optimum of
    ``D(p) + |v - p|`` over the plane is ``D(v') + hz sqrt(1 - |g|^2)`` at
    ``p = v' - g hz / sqrt(1 - |g|^2)`` (``v'`` the foot of ``v``), kept when ``p`` is inside.
    """
    best = np.inf
    # Triangle A: (0,0), (sy,0), (sy,sx); triangle B: (0,0), (0,sx), (sy,sx).
    for tri in range(2):
        if tri == 0:
            if d10 == np.inf or d11 == np.inf:
                continue
            gy = (d10 - d00) / (sy * hy)
            gx = (d11 - d10) / (sx * hx)
        else:
            if d01 == np.inf or d11 == np.inf:
                continue
            gx = (d01 - d00) / (sx * hx)
            gy = (d11 - d01) / (sy * hy)
        g2 = gy * gy + gx * gx
        if g2 >= 1.0:
            continue
        root = math.sqrt(1.0 - g2)
        # Foot point offsets in units of one voxel step towards (sy, sx).
        uy = -gy * hz / root / (sy * hy)
        ux = -gx * hz / root / (sx * hx)
        if tri == 0:
            inside = 0.0 <= ux <= uy <= 1.0
        else:
            inside = 0.0 <= uy <= ux <= 1.0
        if inside:
            value = d00 + hz * root
            if value < best:
                best = value
    return best


@nb.njit(cache=True, nogil=True)
def _step_across(dist_k, dist_n, pore_k, hy, hx, hz, metric, tolerance):
    """Improve slice ``dist_k`` from the adjacent slice ``dist_n``; True if anything changed."""
    ny, nx = dist_k.shape
    w = np.empty((3, 3))
    for dy in range(-1, 2):
        for dx in range(-1, 2):
            w[dy + 1, dx + 1] = math.sqrt((dy * hy) ** 2 + (dx * hx) ** 2 + hz * hz)
    changed = False
    for j in range(ny):
        for i in range(nx):
            if pore_k[j, i] == 0:
                continue
            current = dist_k[j, i]
            best = current
            lowest = np.inf
            for dy in range(-1, 2):
                y = j + dy
                if y < 0 or y >= ny:
                    continue
                for dx in range(-1, 2):
                    x = i + dx
                    if x < 0 or x >= nx:
                        continue
                    value = dist_n[y, x]
                    if value < lowest:
                        lowest = value
                    candidate = value + w[dy + 1, dx + 1]
                    if candidate < best:
                        best = candidate
            if lowest + hz >= current:
                continue
            if metric == EUCLIDEAN:
                d00 = dist_n[j, i]
                if d00 < np.inf:
                    for sy in (-1, 1):
                        y = j + sy
                        if y < 0 or y >= ny:
                            continue
                        for sx in (-1, 1):
                            x = i + sx
                            if x < 0 or x >= nx:
                                continue
                            value = _triangle_update(
                                d00, dist_n[j, x], dist_n[y, i], dist_n[y, x], sy, sx, hy, hx, hz
                            )
                            if value < best:
                                best = value
                # Segments in the patch behind: centre to each ring point, and ring edges.
                for r0 in range(8):
                    y0 = j + RING_DY[r0]
                    x0 = i + RING_DX[r0]
                    if not (0 <= y0 < ny and 0 <= x0 < nx):
                        continue
                    a = dist_n[y0, x0]
                    if a == np.inf:
                        continue
                    if d00 < np.inf:
                        value = _segment_update(
                            d00, a, 0.0, 0.0, hz, RING_DY[r0] * hy, RING_DX[r0] * hx
                        )
                        if value < best:
                            best = value
                    r1 = (r0 + 1) % 8
                    y1 = j + RING_DY[r1]
                    x1 = i + RING_DX[r1]
                    if not (0 <= y1 < ny and 0 <= x1 < nx):
                        continue
                    b = dist_n[y1, x1]
                    if b == np.inf:
                        continue
                    value = _segment_update(
                        a,
                        b,
                        -RING_DY[r0] * hy,
                        -RING_DX[r0] * hx,
                        hz,
                        (RING_DY[r1] - RING_DY[r0]) * hy,
                        (RING_DX[r1] - RING_DX[r0]) * hx,
                    )
                    if value < best:
                        best = value
            stored = np.float32(best)
            if stored < current and (current == np.inf or current - stored > tolerance * current):
                dist_k[j, i] = stored
                changed = True
    return changed


@nb.njit(cache=True)
def geodesic_from_face(pore, dist, spacing, metric, from_last, tolerance):
    """Fill ``dist`` with the geodesic distance from the first (or last) slice of axis 0.

    Returns the number of sweeps made.
    """
    nz = pore.shape[0]
    hz, hy, hx = spacing[0], spacing[1], spacing[2]
    dist[:] = np.inf
    source = nz - 1 if from_last else 0
    for j in range(pore.shape[1]):
        for i in range(pore.shape[2]):
            if pore[source, j, i] != 0:
                dist[source, j, i] = 0.0
    _relax_plane(dist[source], pore[source], hy, hx, metric, tolerance)
    # A slice is looked at again only if the slice behind it changed in this or the last sweep.
    changed_last = np.zeros(nz, dtype=np.bool_)
    changed_last[source] = True
    sweeps = 0
    while True:
        away = sweeps % 2 == 0  # even sweeps move away from the source face
        step = 1 if away != from_last else -1
        changed_now = np.zeros(nz, dtype=np.bool_)
        for n in range(1, nz):
            k = n if step == 1 else nz - 1 - n
            behind = k - step
            if not (changed_last[behind] or changed_now[behind]):
                continue
            if _step_across(dist[k], dist[behind], pore[k], hy, hx, hz, metric, tolerance):
                _relax_plane(dist[k], pore[k], hy, hx, metric, tolerance)
                changed_now[k] = True
        sweeps += 1
        if not changed_now.any():
            break
        changed_last = changed_now
    return sweeps
