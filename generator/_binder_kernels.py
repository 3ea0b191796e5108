"""numba kernels for the binder: closing masks, counts, the ordered shell fill, attachment.

Labels: 0 pore, 1 fibre, 2 binder. ``dist_fibre`` and ``dist_open`` are capped squared distance
maps (uint16) from :mod:`generator._edt_kernels`.
"""

from __future__ import annotations

import numba as nb
import numpy as np

PORE, FIBRE, BINDER = 0, 1, 2


@nb.njit(cache=True, parallel=True)
def count_closed_pore(volume, dist_open, k):
    """Number of pore voxels inside the closing: ``dist_open > k`` (squared units)."""
    nz = volume.shape[0]
    per_slice = np.zeros(nz, dtype=np.int64)
    for z in nb.prange(nz):
        c = 0
        for j in range(volume.shape[1]):
            for i in range(volume.shape[2]):
                if volume[z, j, i] == PORE and dist_open[z, j, i] > k:
                    c += 1
        per_slice[z] = c
    return per_slice.sum()


@nb.njit(cache=True, parallel=True)
def mark_closed(volume, dist_open, k, label):
    """Set ``label`` on pore voxels with ``dist_open > k``; returns how many were set."""
    nz = volume.shape[0]
    per_slice = np.zeros(nz, dtype=np.int64)
    for z in nb.prange(nz):
        c = 0
        for j in range(volume.shape[1]):
            for i in range(volume.shape[2]):
                if volume[z, j, i] == PORE and dist_open[z, j, i] > k:
                    volume[z, j, i] = label
                    c += 1
        per_slice[z] = c
    return per_slice.sum()


@nb.njit(cache=True, parallel=True)
def relabel(volume, old, new):
    """Replace label ``old`` by ``new`` everywhere."""
    for z in nb.prange(volume.shape[0]):
        for j in range(volume.shape[1]):
            for i in range(volume.shape[2]):
                if volume[z, j, i] == old:
                    volume[z, j, i] = new


@nb.njit(cache=True, nogil=True)
def _mix(index, seed):
    """A 32-bit hash of a voxel index: a deterministic tie-breaker without spatial bias."""
    x = (index * 0x9E3779B97F4A7C15 + seed) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 33
    return x & 0xFFFF


@nb.njit(cache=True, parallel=True)
def shell_histogram(volume, dist_open, dist_fibre, k_hi, shell_label, n_bins):
    """Histogram of distance-to-fibre over shell voxels (pore with ``dist_open > k_hi``).

    Shell voxels are labelled ``shell_label`` on the way, so the fill can find them again.
    """
    nz = volume.shape[0]
    hist = np.zeros((nz, n_bins), dtype=np.int64)
    for z in nb.prange(nz):
        for j in range(volume.shape[1]):
            for i in range(volume.shape[2]):
                if volume[z, j, i] == PORE and dist_open[z, j, i] > k_hi:
                    volume[z, j, i] = shell_label
                    d = dist_fibre[z, j, i]
                    hist[z, min(d, n_bins - 1)] += 1
    return hist.sum(axis=0)


@nb.njit(cache=True, parallel=True)
def tie_histogram(volume, dist_fibre, shell_label, tie_value, seed):
    """Histogram of the 16-bit hash over shell voxels at the tie distance."""
    nz, ny, nx = volume.shape
    hist = np.zeros((nz, 65536), dtype=np.int32)
    for z in nb.prange(nz):
        for j in range(ny):
            for i in range(nx):
                if volume[z, j, i] == shell_label and dist_fibre[z, j, i] == tie_value:
                    hist[z, _mix((z * ny + j) * nx + i, seed)] += 1
    return hist.astype(np.int64).sum(axis=0)


@nb.njit(cache=True, parallel=True)
def resolve_shell(volume, dist_fibre, shell_label, tie_value, hash_cut, seed):
    """Shell voxels nearer the fibres than ``tie_value``, or at it with hash below ``hash_cut``,
    become binder; the rest return to pore."""
    nz, ny, nx = volume.shape
    for z in nb.prange(nz):
        for j in range(ny):
            for i in range(nx):
                if volume[z, j, i] == shell_label:
                    d = dist_fibre[z, j, i]
                    take = d < tie_value or (
                        d == tie_value and _mix((z * ny + j) * nx + i, seed) < hash_cut
                    )
                    volume[z, j, i] = BINDER if take else PORE


@nb.njit(cache=True)
def detach_floating_binder(volume):
    """Turn binder voxels not linked to a fibre through binder (26-connectivity) into pore.

    Breadth-first search from every binder voxel touching a fibre. Returns the number of
    voxels removed.
    """
    nz, ny, nx = volume.shape
    flat = volume.reshape(-1)
    reached = np.uint8(3)
    queue = np.empty(1024, dtype=np.int64)
    head = 0
    tail = 0
    # Seeds: binder voxels with a fibre among their 26 neighbours.
    for z in range(nz):
        for j in range(ny):
            for i in range(nx):
                if volume[z, j, i] != BINDER:
                    continue
                touching = False
                for dz in range(-1, 2):
                    for dj in range(-1, 2):
                        for di in range(-1, 2):
                            zz, jj, ii = z + dz, j + dj, i + di
                            if 0 <= zz < nz and 0 <= jj < ny and 0 <= ii < nx:
                                if volume[zz, jj, ii] == FIBRE:
                                    touching = True
                if touching:
                    volume[z, j, i] = reached
                    if tail == queue.size:
                        queue = np.concatenate((queue, np.empty(queue.size, np.int64)))
                    queue[tail] = (z * ny + j) * nx + i
                    tail += 1
    while head < tail:
        index = queue[head]
        head += 1
        z = index // (ny * nx)
        j = (index // nx) % ny
        i = index % nx
        for dz in range(-1, 2):
            for dj in range(-1, 2):
                for di in range(-1, 2):
                    zz, jj, ii = z + dz, j + dj, i + di
                    if 0 <= zz < nz and 0 <= jj < ny and 0 <= ii < nx:
                        n = (zz * ny + jj) * nx + ii
                        if flat[n] == BINDER:
                            flat[n] = reached
                            if tail == queue.size:
                                queue = np.concatenate((queue, np.empty(queue.size, np.int64)))
                            queue[tail] = n
                            tail += 1
    removed = 0
    for n in range(flat.size):
        if flat[n] == BINDER:
            flat[n] = PORE
            removed += 1
        elif flat[n] == reached:
            flat[n] = BINDER
    return removed
