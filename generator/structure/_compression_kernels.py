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

from generator._shared.numba_compile import PARALLEL, use_shared_cache

use_shared_cache()  # before any kernel is defined: see generator._shared.numba_compile

# Rows of y a thread compresses with one scratch slab.
ROW_CHUNKS = 64


@nb.njit(cache=True, parallel=PARALLEL)
def compress_columns(volume, out):
    """Compress ``volume`` (nz, ny, nx) along axis 0 into ``out`` (nz_out, ny, nx).

    ``out`` may be ``volume[:nz_out]`` (in place): each row of columns is copied to a scratch
    slab before its output is written. Returns the number of columns that had to be scaled
    (more solid than ``nz_out``).
    """
    nz, ny, nx = volume.shape
    nz_out = out.shape[0]
    chunks = min(ny, ROW_CHUNKS)
    scaled_per_chunk = np.zeros(chunks, dtype=np.int64)
    for chunk in nb.prange(chunks):
        slab = np.empty((nz, nx), dtype=volume.dtype)
        column = np.empty(nz, dtype=volume.dtype)
        solid = np.empty(nx, dtype=np.int64)
        alpha = np.empty(nx, dtype=np.float64)
        pore_seen = np.empty(nx, dtype=np.float64)  # whole counts, exact in float64
        solid_seen = np.empty(nx, dtype=np.int64)
        where = np.empty(nx, dtype=np.int64)
        for j in range(chunk * ny // chunks, (chunk + 1) * ny // chunks):
            solid[:] = 0
            for k in range(nz):
                src = volume[k, j]
                dst = slab[k]
                for i in range(nx):
                    dst[i] = src[i]
                    solid[i] += src[i] != 0
            for i in range(nx):
                alpha[i] = (nz_out - solid[i]) / (nz - solid[i]) if solid[i] < nz else 0.0
            for k in range(nz_out):
                dst = out[k, j]
                for i in range(nx):
                    dst[i] = 0
            pore_seen[:] = 0.0
            solid_seen[:] = 0
            for k in range(nz):
                src = slab[k]
                # Where each voxel of the row would land, for the whole row at once (this loop
                # vectorises); then only the solid voxels are scattered.
                for i in range(nx):
                    where[i] = solid_seen[i] + np.int64(math.floor(alpha[i] * pore_seen[i] + 0.5))
                    is_solid = src[i] != 0
                    solid_seen[i] += is_solid
                    pore_seen[i] += 1.0 - is_solid
                for i in range(nx):
                    v = src[i]
                    if v != 0 and solid[i] <= nz_out:
                        out[where[i], j, i] = v
            # Columns with more solid than room: drop the pore, resample the solid sequence.
            for i in range(nx):
                if solid[i] <= nz_out:
                    continue
                scaled_per_chunk[chunk] += 1
                n = 0
                for k in range(nz):
                    if slab[k, i] != 0:
                        column[n] = slab[k, i]
                        n += 1
                for k in range(nz_out):
                    out[k, j, i] = column[min(n - 1, int((k + 0.5) * n / nz_out))]
    return scaled_per_chunk.sum()
