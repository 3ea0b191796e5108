"""numba kernels of the local thickness: a squared distance transform on the half-voxel grid,
the ridge of its balls, and the ball insertion.

The half-voxel grid has ``2 n - 1`` points per axis; even points are voxel centres. Balls are
centred on every grid point (so a pore of even width has its centre between two voxels) and
reach the voxel centres strictly closer than the nearest solid voxel centre. Squared distances
are in half-voxel units (4 per voxel squared), uint16, exact up to ``window^2`` like
:func:`generator._shared.edt_kernels.capped_squared_edt`; farther points read ``window^2 + 1``.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from generator._shared.edt_kernels import _window_min_rows


@nb.njit(cache=True, parallel=True)
def half_grid_squared_edt(solid, out, window):
    """Squared distance (half-voxel units) from each half-grid point to the nearest solid point.

    A grid point is solid when every voxel around it is (a voxel centre when that voxel is, a
    midpoint when both voxels are, and so on): the solid as its voxel centres joined across
    faces, edges and corners of solid neighbours.

    Parameters
    ----------
    solid : ndarray of bool, 3D (nz, ny, nx)
    out : ndarray of uint16, shape (2 nz - 1, 2 ny - 1, 2 nx - 1)
    window : int
        1 to 180; values above ``window^2`` read ``window^2 + 1``. Outside the image is not
        solid.
    """
    nz, ny, nx = solid.shape
    mz, my, mx = out.shape
    beyond = window * window + 1
    for k2 in nb.prange(mz):
        line = np.empty(nx, dtype=np.bool_)
        for j2 in range(my):
            row = out[k2, j2]
            # A voxel row of the solid (the AND of the 1, 2 or 4 rows around this grid row).
            for i in range(nx):
                line[i] = (
                    solid[k2 // 2, j2 // 2, i]
                    and solid[(k2 + 1) // 2, j2 // 2, i]
                    and solid[k2 // 2, (j2 + 1) // 2, i]
                    and solid[(k2 + 1) // 2, (j2 + 1) // 2, i]
                )
            last = -(1 << 30)
            for i2 in range(mx):
                if line[i2 // 2] and line[(i2 + 1) // 2]:
                    last = i2
                d = i2 - last
                row[i2] = d * d if d <= window else beyond
            last = 1 << 30
            for i2 in range(mx - 1, -1, -1):
                if line[i2 // 2] and line[(i2 + 1) // 2]:
                    last = i2
                d = last - i2
                if d <= window and d * d < row[i2]:
                    row[i2] = d * d
    for k2 in nb.prange(mz):
        buf = out[k2].copy()
        _window_min_rows(buf, out[k2], min(window, my - 1), beyond)
    for j2 in nb.prange(my):
        buf = out[:, j2, :].copy()
        dst = np.empty_like(buf)
        _window_min_rows(buf, dst, min(window, mz - 1), beyond)
        out[:, j2, :] = dst


def containment_table(max_radius2: int) -> np.ndarray:
    """For each parity class of a centre, neighbour offset and squared radius, the reach a
    neighbour's ball needs to hold every voxel centre of this ball.

    Parameters
    ----------
    max_radius2 : int
        Largest squared radius (half-voxel units) to tabulate.

    Returns
    -------
    ndarray of int32, shape (8, 27, max_radius2 + 1)
        ``table[p, o, r2]``: the largest ``|v - o|^2`` over the voxel centres ``v`` (relative
        to a centre of parity class ``p = 4 (k % 2) + 2 (j % 2) + i % 2``) with
        ``|v|^2 < r2``; -1 when there are none. A neighbour at offset ``o`` whose squared
        radius exceeds it reaches every voxel this ball reaches.
    """
    reach = math.isqrt(max_radius2) + 2
    table = np.full((8, 27, max_radius2 + 1), -1, dtype=np.int32)
    axis = np.arange(-reach, reach + 1)
    for p in range(8):
        parity = ((p >> 2) & 1, (p >> 1) & 1, p & 1)
        grids = [axis[(axis - q) % 2 == 0] for q in parity]
        z, y, x = (g.ravel() for g in np.meshgrid(*grids, indexing="ij"))
        sq = z**2 + y**2 + x**2
        keep = sq <= max_radius2
        order = np.argsort(sq[keep], kind="stable")
        z, y, x, sq = z[keep][order], y[keep][order], x[keep][order], sq[keep][order]
        last = np.searchsorted(sq, np.arange(max_radius2 + 1), side="left") - 1
        for o in range(27):
            oz, oy, ox = o // 9 - 1, (o // 3) % 3 - 1, o % 3 - 1
            running = np.maximum.accumulate((z - oz) ** 2 + (y - oy) ** 2 + (x - ox) ** 2)
            table[p, o] = np.where(last >= 0, running[np.maximum(last, 0)], -1)
    return table


@nb.njit(cache=True, inline="always")
def _is_ridge(dist2, k, j, i, beyond, table):
    # A ball adds nothing when a neighbour's ball at least as large reaches every voxel centre
    # it reaches (exact, by the lattice table); of two balls reaching the same voxels with the
    # same radius the first in raster order stays.
    mz, my, mx = dist2.shape
    c = dist2[k, j, i]
    if c <= 1 or c >= beyond:  # reaches no voxel centre, or beyond the cap
        return False
    if c >= table.shape[2]:  # beyond the table: keep (never wrong, only slower)
        return True
    p = (k & 1) * 4 + (j & 1) * 2 + (i & 1)
    for dk in range(-1, 2):
        kk = k + dk
        if kk < 0 or kk >= mz:
            continue
        for dj in range(-1, 2):
            jj = j + dj
            if jj < 0 or jj >= my:
                continue
            for di in range(-1, 2):
                ii = i + di
                if ii < 0 or ii >= mx or (dk == 0 and dj == 0 and di == 0):
                    continue
                n = dist2[kk, jj, ii]
                if n >= beyond or n < c:
                    continue
                if n > table[p, (dk + 1) * 9 + (dj + 1) * 3 + di + 1, c]:
                    later = dk > 0 or (dk == 0 and (dj > 0 or (dj == 0 and di > 0)))
                    if n == c and later:
                        continue  # an equal ball later in raster order: keep this one
                    return False
    return True


@nb.njit(cache=True, parallel=True)
def _ridge_counts(dist2, beyond, table):
    mz, my, mx = dist2.shape
    counts = np.zeros(mz, dtype=np.int64)
    for k in nb.prange(mz):
        n = 0
        for j in range(my):
            for i in range(mx):
                if _is_ridge(dist2, k, j, i, beyond, table):
                    n += 1
        counts[k] = n
    return counts


@nb.njit(cache=True, parallel=True)
def ridge_points(dist2, beyond, table):
    """Centres of the balls that no neighbour's ball makes redundant, by increasing z.

    Parameters
    ----------
    dist2 : ndarray of uint16
        From :func:`half_grid_squared_edt`.
    beyond : int
        Its cap value (ignored points).
    table : ndarray of int32
        From :func:`containment_table`, covering ``dist2``'s largest value below ``beyond``.

    Returns
    -------
    (ndarray of int32, shape (m, 3), ndarray of int32, shape (m,))
        Coordinates (half-voxel units) and squared radii.
    """
    counts = _ridge_counts(dist2, beyond, table)
    starts = np.zeros(counts.size + 1, dtype=np.int64)
    for k in range(counts.size):
        starts[k + 1] = starts[k] + counts[k]
    coords = np.empty((starts[-1], 3), dtype=np.int32)
    radii2 = np.empty(starts[-1], dtype=np.int32)
    mz, my, mx = dist2.shape
    for k in nb.prange(mz):
        n = starts[k]
        for j in range(my):
            for i in range(mx):
                if _is_ridge(dist2, k, j, i, beyond, table):
                    coords[n, 0] = k
                    coords[n, 1] = j
                    coords[n, 2] = i
                    radii2[n] = dist2[k, j, i]
                    n += 1
    return coords, radii2


@nb.njit(cache=True, parallel=True)
def insert_balls(coords, radii2, reach, out):
    """out[v] = max over balls reaching voxel v of sqrt(r2) - 1 (the diameter in voxels).

    Parameters
    ----------
    coords : ndarray of int32, (m, 3)
        Ball centres in half-voxel units, sorted by z.
    radii2 : ndarray of int32, (m,)
        Squared radii in half-voxel units; a ball reaches voxel centres strictly inside.
    reach : int
        Largest radius in half-voxel units, rounded up.
    out : ndarray of float32, (nz, ny, nx), zero-filled
        Each output slice is one thread's, so no write races.
    """
    nz, ny, nx = out.shape
    zc = coords[:, 0]
    for k in nb.prange(nz):
        kk = 2 * k
        lo = np.searchsorted(zc, kk - reach)
        hi = np.searchsorted(zc, kk + reach, side="right")
        plane = out[k]
        for b in range(lo, hi):
            r2 = radii2[b]
            dz = kk - zc[b]
            rem = r2 - dz * dz
            if rem <= 0:
                continue
            value = np.float32(math.sqrt(r2) - 1.0)
            yc = coords[b, 1]
            xc = coords[b, 2]
            span = math.sqrt(rem)
            j0 = max(0, int(math.ceil((yc - span) / 2.0)))
            j1 = min(ny - 1, int(math.floor((yc + span) / 2.0)))
            for j in range(j0, j1 + 1):
                dy = 2 * j - yc
                rem2 = rem - dy * dy
                if rem2 <= 0:
                    continue
                span2 = math.sqrt(rem2)
                i0 = int(math.ceil((xc - span2) / 2.0))
                i1 = int(math.floor((xc + span2) / 2.0))
                # Exact ends of (2 i - xc)^2 < rem2, whatever the rounding of the root.
                while (2 * (i0 - 1) - xc) ** 2 < rem2:
                    i0 -= 1
                while (2 * (i1 + 1) - xc) ** 2 < rem2:
                    i1 += 1
                while (2 * i0 - xc) ** 2 >= rem2 and i0 <= i1:
                    i0 += 1
                while (2 * i1 - xc) ** 2 >= rem2 and i1 >= i0:
                    i1 -= 1
                row = plane[j]
                for i in range(max(i0, 0), min(i1, nx - 1) + 1):
                    row[i] = max(row[i], value)
