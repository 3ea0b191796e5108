"""numba kernels: draw cylinders into a label volume and count phases.

Private: plain arrays in, plain arrays out. Coordinates are in voxel units in *array* axis order
(0 = z, 1 = y, 2 = x), with voxel ``k`` centred at coordinate ``k``. A voxel belongs to a fibre
when its centre lies within the radius of the fibre axis.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from generator._shared.numba_compile import PARALLEL, use_shared_cache

use_shared_cache()  # before any kernel is defined: see generator._shared.numba_compile


@nb.njit(cache=True, nogil=True)
def _segment_in_box(p, d, low, high):
    """Parameter interval of the line p + t d inside [low, high]^3 (per axis bounds)."""
    t0 = -1e300
    t1 = 1e300
    for ax in range(3):
        if abs(d[ax]) > 1e-12:
            a = (low[ax] - p[ax]) / d[ax]
            b = (high[ax] - p[ax]) / d[ax]
            if a > b:
                a, b = b, a
            t0 = max(t0, a)
            t1 = min(t1, b)
        elif p[ax] < low[ax] or p[ax] > high[ax]:
            return 1.0, -1.0
    return t0, t1


@nb.njit(cache=True, nogil=True)
def _draw_one(flat, shape, strides, p, d, r, label):
    """Set ``label`` in every voxel whose centre is within ``r`` of the line ``p + t d``."""
    # a: axis along which fibre rows are filled (largest |d|); b: outer loop; c: inner loop.
    a = 0
    for ax in range(1, 3):
        if abs(d[ax]) > abs(d[a]):
            a = ax
    b = (a + 1) % 3
    c = (a + 2) % 3
    if abs(d[c]) > abs(d[b]):
        b, c = c, b
    low = np.empty(3)
    high = np.empty(3)
    for ax in range(3):
        low[ax] = -r
        high[ax] = shape[ax] - 1 + r
    t0, t1 = _segment_in_box(p, d, low, high)
    if t0 > t1:
        return
    # Bounding box of the clipped cylinder, in voxel indices.
    lo_b = min(p[b] + t0 * d[b], p[b] + t1 * d[b]) - r
    hi_b = max(p[b] + t0 * d[b], p[b] + t1 * d[b]) + r
    lo_c = min(p[c] + t0 * d[c], p[c] + t1 * d[c]) - r
    hi_c = max(p[c] + t0 * d[c], p[c] + t1 * d[c]) + r
    ib0 = max(0, int(math.ceil(lo_b)))
    ib1 = min(shape[b] - 1, int(math.floor(hi_b)))
    quad_a = 1.0 - d[a] * d[a]
    r2 = r * r
    for ib in range(ib0, ib1 + 1):
        eb = ib - p[b]
        # The cylinder cut by the plane x_b = ib spans c(ib) +- r sqrt(1 + (d_c / d_b)^2).
        if abs(d[b]) > 1e-9:
            ratio = d[c] / d[b]
            centre_c = p[c] + eb * ratio
            half_c = r * math.sqrt(1.0 + ratio * ratio)
            lo = max(lo_c, centre_c - half_c)
            hi = min(hi_c, centre_c + half_c)
        else:
            lo = lo_c
            hi = hi_c
        ic0 = max(0, int(math.ceil(lo)))
        ic1 = min(shape[c] - 1, int(math.floor(hi)))
        for ic in range(ic0, ic1 + 1):
            ec = ic - p[c]
            m = eb * d[b] + ec * d[c]
            # Squared distance to the axis along the row: quad_a u^2 - 2 d_a m u + (|e|^2 - m^2).
            const = eb * eb + ec * ec - m * m - r2
            if quad_a < 1e-12:
                if const > 0:
                    continue
                ia0 = 0
                ia1 = shape[a] - 1
            else:
                lin = -2.0 * d[a] * m
                disc = lin * lin - 4.0 * quad_a * const
                if disc < 0:
                    continue
                root = math.sqrt(disc)
                u0 = (-lin - root) / (2.0 * quad_a)
                u1 = (-lin + root) / (2.0 * quad_a)
                ia0 = max(0, int(math.ceil(p[a] + u0)))
                ia1 = min(shape[a] - 1, int(math.floor(p[a] + u1)))
            base = ib * strides[b] + ic * strides[c]
            for ia in range(ia0, ia1 + 1):
                flat[base + ia * strides[a]] = label


@nb.njit(cache=True, parallel=PARALLEL)
def draw_cylinders(volume, points, dirs, radii, label):
    """Draw every cylinder into ``volume`` (uint8, C-contiguous, shape (nz, ny, nx)).

    Cylinders may overlap; all write the same label, so the result does not depend on the
    order in which threads draw them.
    """
    shape = np.array(volume.shape, dtype=np.int64)
    strides = np.array([volume.shape[1] * volume.shape[2], volume.shape[2], 1], dtype=np.int64)
    flat = volume.reshape(-1)
    for k in nb.prange(points.shape[0]):
        _draw_one(flat, shape, strides, points[k], dirs[k], radii[k], label)


@nb.njit(cache=True, parallel=PARALLEL)
def count_labels_per_slice(volume, n_labels):
    """Voxel count of each label in each slice along axis 0: int64 array (nz, n_labels)."""
    nz = volume.shape[0]
    counts = np.zeros((nz, n_labels), dtype=np.int64)
    for k in nb.prange(nz):
        plane = volume[k]
        for j in range(plane.shape[0]):
            row = plane[j]
            # One pass a label over a row in cache: comparisons vectorise, a scatter would not.
            for label in range(n_labels):
                c = 0
                for i in range(row.shape[0]):
                    c += row[i] == label
                counts[k, label] += c
    return counts
