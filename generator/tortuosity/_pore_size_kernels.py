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

from generator._shared.numba_compile import use_shared_cache

use_shared_cache()  # before any kernel is defined: see generator._shared.numba_compile


@nb.njit(cache=True, inline="always")
def _lower_envelope_line(f, out, beyond, v, z):
    """out[q] = min over p of f[p] + (q - p)^2, ``beyond`` where that exceeds ``beyond - 1``.

    The lower envelope of parabolas (Felzenszwalb and Huttenlocher 2012), exact in integers:
    O(n) a line whatever the reach, where a window of minima costs one pass per offset. Inputs
    at ``beyond`` count as infinitely far; ``v`` (int64) and ``z`` (float64, n + 1) are
    scratch.
    """
    n = f.shape[0]
    k = -1
    for q in range(n):
        fq = np.int64(f[q])
        if fq >= beyond:
            continue
        if k < 0:
            k = 0
            v[0] = q
            z[0] = -np.inf
            z[1] = np.inf
            continue
        while True:
            p = v[k]
            s = ((fq + q * q) - (np.int64(f[p]) + p * p)) / (2.0 * (q - p))
            if s <= z[k]:
                k -= 1
                if k < 0:
                    break
            else:
                break
        k += 1
        v[k] = q
        z[k] = s if k > 0 else -np.inf
        z[k + 1] = np.inf
    if k < 0:
        for q in range(n):
            out[q] = beyond
        return
    k = 0
    for q in range(n):
        while z[k + 1] < q:
            k += 1
        p = v[k]
        d = (q - p) * (q - p) + np.int64(f[p])
        out[q] = d if d < beyond else beyond


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
    # y then z: exact lower envelopes along each line (the x pass above is a capped scan).
    for k2 in nb.prange(mz):
        v = np.empty(my, dtype=np.int64)
        z = np.empty(my + 1, dtype=np.float64)
        line = np.empty(my, dtype=np.uint16)
        res = np.empty(my, dtype=np.uint16)
        plane = out[k2]
        for i2 in range(mx):
            for j2 in range(my):
                line[j2] = plane[j2, i2]
            _lower_envelope_line(line, res, beyond, v, z)
            for j2 in range(my):
                plane[j2, i2] = res[j2]
    for j2 in nb.prange(my):
        v = np.empty(mz, dtype=np.int64)
        z = np.empty(mz + 1, dtype=np.float64)
        column = np.ascontiguousarray(out[:, j2, :].T)  # (mx, mz): each z-line contiguous
        res = np.empty(mz, dtype=np.uint16)
        for i2 in range(mx):
            _lower_envelope_line(column[i2], res, beyond, v, z)
            for k2 in range(mz):
                out[k2, j2, i2] = res[k2]


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
def _ridge_marks(dist2, beyond, table, marks):
    # The ridge test runs once a point: its bit in ``marks`` (read back by the fill pass, which
    # re-ran the whole test before) and the count a slice.
    mz, my, mx = dist2.shape
    counts = np.zeros(mz, dtype=np.int64)
    one = np.uint64(1)
    for k in nb.prange(mz):
        n = 0
        for j in range(my):
            row = marks[k, j]
            for i in range(mx):
                if _is_ridge(dist2, k, j, i, beyond, table):
                    row[i >> 6] |= one << np.uint64(i & 63)
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
    mz, my, mx = dist2.shape
    marks = np.zeros((mz, my, (mx + 63) >> 6), dtype=np.uint64)
    counts = _ridge_marks(dist2, beyond, table, marks)
    starts = np.zeros(counts.size + 1, dtype=np.int64)
    for k in range(counts.size):
        starts[k + 1] = starts[k] + counts[k]
    coords = np.empty((starts[-1], 3), dtype=np.int32)
    radii2 = np.empty(starts[-1], dtype=np.int32)
    one = np.uint64(1)
    for k in nb.prange(mz):
        n = starts[k]
        for j in range(my):
            for w in range(marks.shape[2]):
                bits = marks[k, j, w]
                i = w << 6
                while bits != 0:
                    if bits & one:
                        coords[n, 0] = k
                        coords[n, 1] = j
                        coords[n, 2] = i
                        radii2[n] = dist2[k, j, i]
                        n += 1
                    bits >>= one
                    i += 1
    return coords, radii2


@nb.njit(cache=True, inline="always")
def _row_span(xc, rem2):
    # The voxels i with (2 i - xc)^2 < rem2: |2 i - xc| <= h = isqrt(rem2 - 1), in integers
    # (the float root of an integer below 2^52 is exact on perfect squares, so the floor is).
    h = np.int64(math.sqrt(rem2 - 1))
    while h * h > rem2 - 1:
        h -= 1
    while (h + 1) * (h + 1) <= rem2 - 1:
        h += 1
    return (xc - h + 1) >> 1, (xc + h) >> 1


def disk_containment_table(max_radius2: int) -> np.ndarray:
    """For each parity class of a disk centre in a slice, neighbour offset and squared radius,
    the reach a neighbouring disk needs to hold every voxel centre of this disk.

    The slice-wise counterpart of :func:`containment_table` (a ball cuts a voxel slice in a
    disk centred on the half-voxel grid of that slice).

    Parameters
    ----------
    max_radius2 : int
        Largest squared radius (half-voxel units) to tabulate.

    Returns
    -------
    ndarray of int32, shape (4, 9, max_radius2 + 1)
        ``table[p, o, r2]``: the largest ``|v - o|^2`` over the voxel centres ``v`` (relative
        to a centre of parity class ``p = 2 (j % 2) + i % 2``) with ``|v|^2 < r2``, ``o`` one of
        the 3 x 3 offsets ``(o // 3 - 1, o % 3 - 1)``; -1 when there are none.
    """
    reach = math.isqrt(max_radius2) + 2
    table = np.full((4, 9, max_radius2 + 1), -1, dtype=np.int32)
    axis = np.arange(-reach, reach + 1)
    for p in range(4):
        parity = ((p >> 1) & 1, p & 1)
        grids = [axis[(axis - q) % 2 == 0] for q in parity]
        y, x = (g.ravel() for g in np.meshgrid(*grids, indexing="ij"))
        sq = y**2 + x**2
        keep = sq <= max_radius2
        order = np.argsort(sq[keep], kind="stable")
        y, x, sq = y[keep][order], x[keep][order], sq[keep][order]
        last = np.searchsorted(sq, np.arange(max_radius2 + 1), side="left") - 1
        for o in range(9):
            oy, ox = o // 3 - 1, o % 3 - 1
            running = np.maximum.accumulate((y - oy) ** 2 + (x - ox) ** 2)
            table[p, o] = np.where(last >= 0, running[np.maximum(last, 0)], -1)
    return table


@nb.njit(cache=True, inline="always")
def _disk_held(best, yc, xc, rem, table):
    # Whether the disks taken before in this slice (so of balls at least as large) hold every
    # voxel centre of this one: the disk at the same centre, or one of its 8 neighbours by the
    # lattice table. ``best`` keeps the largest squared reach taken, or held by taken disks,
    # at each centre.
    if rem <= best[yc, xc]:
        return True
    my, mx = best.shape
    p = (yc & 1) * 2 + (xc & 1)
    for oy in range(-1, 2):
        y2 = yc + oy
        if y2 < 0 or y2 >= my:
            continue
        for ox in range(-1, 2):
            x2 = xc + ox
            if x2 < 0 or x2 >= mx or (oy == 0 and ox == 0):
                continue
            if best[y2, x2] > table[p, (oy + 1) * 3 + ox + 1, rem]:
                return True
    return False


@nb.njit(cache=True, parallel=True)
def insert_balls(coords, radii2, reach, pore, out, disk_table):
    """out[v] = max over balls reaching voxel v of sqrt(r2) - 1 (the diameter in voxels).

    Each thread owns output z-slices (no write races). In a slice the balls that cut it are
    taken largest first, so a voxel's first value is its final one: a disk (a ball's cut) held
    by a disk taken before it at the same or a neighbouring centre adds nothing and is skipped
    (balls along a tube cut a slice in nested disks), a bit a voxel says which pore voxels are
    still open, whole 64-voxel words of a ball's row are skipped once they are set, rows with
    no open voxel under the ball's box (and a slice with none) are not visited, and a ball
    whose bounding box meets only closed tiles of 2 rows x 16 voxels is skipped whole. Same
    map as writing the maximum of every ball into every voxel it reaches.

    Parameters
    ----------
    coords : ndarray of int32, (m, 3)
        Ball centres in half-voxel units, sorted by z.
    radii2 : ndarray of int32, (m,)
        Squared radii in half-voxel units; a ball reaches voxel centres strictly inside.
    reach : int
        Largest radius in half-voxel units, rounded up.
    pore : ndarray of bool, (nz, ny, nx)
        The voxels the balls can reach (the others stay 0).
    out : ndarray of float32, (nz, ny, nx), zero-filled
    disk_table : ndarray of int32
        From :func:`disk_containment_table`, covering ``radii2.max()``.
    """
    nz, ny, nx = out.shape
    words = (nx + 63) // 64
    zc = coords[:, 0]
    one = np.uint64(1)
    for k in nb.prange(nz):
        kk = 2 * k
        lo = np.searchsorted(zc, kk - reach)
        hi = np.searchsorted(zc, kk + reach, side="right")
        plane = out[k]
        # Open (not yet set) pore voxels of this slice, as bits, and their count a row.
        free = np.zeros((ny, words), dtype=np.uint64)
        left = np.zeros(ny, dtype=np.int64)
        # and a tile of 2 rows x 16 voxels: a ball whose box meets no open tile is skipped whole
        tiles = np.zeros(((ny + 1) >> 1, (nx + 15) >> 4), dtype=np.int32)
        # the largest squared reach of a disk taken (or held) so far at each half-grid centre
        best = np.zeros((2 * ny - 1, 2 * nx - 1), dtype=np.int32)
        total = 0
        for j in range(ny):
            for i in range(nx):
                if pore[k, j, i]:
                    free[j, i >> 6] |= one << np.uint64(i & 63)
                    left[j] += 1
                    tiles[j >> 1, i >> 4] += 1
            total += left[j]
        # The disks that cut this slice (squared radius, reach, centre), packed in the order of
        # their squared radius, largest first (a counting sort), so the loop below reads them
        # in sequence rather than from the whole ball list.
        cand = np.empty(hi - lo, dtype=np.int64)
        n = 0
        top = 0
        for b in range(lo, hi):
            dz = kk - zc[b]
            if radii2[b] - dz * dz > 0:
                cand[n] = b
                n += 1
                top = max(top, radii2[b])
        starts = np.zeros(top + 2, dtype=np.int64)
        for t in range(n):
            starts[top - radii2[cand[t]] + 1] += 1
        for r in range(top + 1):
            starts[r + 1] += starts[r]
        disks = np.empty((n, 4), dtype=np.int32)
        for t in range(n):
            b = cand[t]
            r2 = radii2[b]
            slot = top - r2
            dz = kk - zc[b]
            at = starts[slot]
            disks[at, 0] = r2
            disks[at, 1] = r2 - dz * dz
            disks[at, 2] = coords[b, 1]
            disks[at, 3] = coords[b, 2]
            starts[slot] = at + 1
        for t in range(n):
            if total == 0:
                break
            r2 = disks[t, 0]
            rem = disks[t, 1]
            yc = disks[t, 2]
            xc = disks[t, 3]
            if _disk_held(best, yc, xc, rem, disk_table):
                # its voxels are taken: so are those of any disk it holds
                if rem > best[yc, xc]:
                    best[yc, xc] = rem
                continue
            best[yc, xc] = rem
            value = np.float32(math.sqrt(r2) - 1.0)
            span = math.sqrt(rem)
            j0 = max(0, int(math.ceil((yc - span) / 2.0)) - 1)
            j1 = min(ny - 1, int(math.floor((yc + span) / 2.0)) + 1)
            x0 = max(0, int(math.ceil((xc - span) / 2.0)) - 1)
            x1 = min(nx - 1, int(math.floor((xc + span) / 2.0)) + 1)
            open_tiles = 0
            for jt in range(j0 >> 1, (j1 >> 1) + 1):
                for it in range(x0 >> 4, (x1 >> 4) + 1):
                    open_tiles += tiles[jt, it]
            if open_tiles == 0:
                continue
            wa = x0 >> 6
            wb = x1 >> 6
            first = ~np.uint64(0) << np.uint64(x0 & 63)
            last = ~np.uint64(0) >> np.uint64(63 - (x1 & 63))
            for j in range(j0, j1 + 1):
                if left[j] == 0:
                    continue
                dy = 2 * j - yc
                rem2 = rem - dy * dy
                if rem2 <= 0:
                    continue
                closed = True  # the row's bits under the ball's box: skip the row if all set
                for w in range(wa, wb + 1):
                    m = free[j, w]
                    if w == wa:
                        m &= first
                    if w == wb:
                        m &= last
                    if m != 0:
                        closed = False
                        break
                if closed:
                    continue
                i0, i1 = _row_span(xc, rem2)
                i0 = max(i0, 0)
                i1 = min(i1, nx - 1)
                if i0 > i1:
                    continue
                row = plane[j]
                for w in range(i0 >> 6, (i1 >> 6) + 1):
                    base = w << 6
                    a = max(i0, base)
                    e = min(i1, base + 63)
                    width = e - a + 1
                    if width == 64:
                        seg = ~np.uint64(0)
                    else:
                        seg = ((one << np.uint64(width)) - one) << np.uint64(a - base)
                    m = free[j, w] & seg
                    if m == 0:
                        continue
                    free[j, w] ^= m
                    for i in range(a, e + 1):
                        if (m >> np.uint64(i - base)) & one:
                            row[i] = value
                            left[j] -= 1
                            tiles[j >> 1, i >> 4] -= 1
                            total -= 1
