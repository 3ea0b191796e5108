"""numba kernel: compress every through-plane column on its own (ProcessGeo style).

A column of ``nz`` voxels becomes ``nz_out``. While its solid voxels fit, pore runs shrink by the
common factor ``alpha = (nz_out - solid) / (nz - solid)`` and solid runs keep their length and
order, pushed together without overlap: a solid voxel with ``s`` solid and ``p`` pore voxels
below it lands at ``s + round(alpha * p)``. A column with more solid than ``nz_out`` loses all
its pore and its solid sequence is resampled to ``nz_out`` (mass is then not conserved).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, parallel=True)
def compress_columns(volume, out):
    """Compress ``volume`` (nz, ny, nx) along axis 0 into ``out`` (nz_out, ny, nx).

    Returns the number of columns that had to be scaled (more solid than ``nz_out``).
    """
    nz, ny, nx = volume.shape
    nz_out = out.shape[0]
    scaled_per_row = np.zeros(ny, dtype=np.int64)
    for j in nb.prange(ny):
        solid = np.zeros(nx, dtype=np.int64)
        for k in range(nz):
            for i in range(nx):
                if volume[k, j, i] != 0:
                    solid[i] += 1
        alpha = np.zeros(nx, dtype=np.float64)
        for i in range(nx):
            if solid[i] < nz:
                alpha[i] = (nz_out - solid[i]) / (nz - solid[i])
        for k in range(nz_out):
            for i in range(nx):
                out[k, j, i] = 0
        pore_seen = np.zeros(nx, dtype=np.int64)
        solid_seen = np.zeros(nx, dtype=np.int64)
        for k in range(nz):
            for i in range(nx):
                if solid[i] > nz_out:
                    continue
                v = volume[k, j, i]
                if v == 0:
                    pore_seen[i] += 1
                else:
                    position = solid_seen[i] + int(math.floor(alpha[i] * pore_seen[i] + 0.5))
                    out[position, j, i] = v
                    solid_seen[i] += 1
        # Columns with more solid than room: drop the pore, resample the solid sequence.
        column = np.empty(nz, dtype=volume.dtype)
        for i in range(nx):
            if solid[i] <= nz_out:
                continue
            scaled_per_row[j] += 1
            n = 0
            for k in range(nz):
                if volume[k, j, i] != 0:
                    column[n] = volume[k, j, i]
                    n += 1
            for k in range(nz_out):
                out[k, j, i] = column[min(n - 1, int((k + 0.5) * n / nz_out))]
    return scaled_per_row.sum()
