"""numba kernels for the binder: closing masks, counts, the ordered shell fill, attachment.

Labels: 0 pore, 1 fibre, 2 binder. ``dist_fibre`` and ``dist_open`` are capped squared distance
maps (uint16) from :mod:`generator._shared.edt_kernels`.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from generator._shared.phases import BINDER, FIBRE, PORE

ATTACHED = 4  # transient label during the attachment sweeps (3 is the binder shell)


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


@nb.njit(cache=True, parallel=True)
def _attach_sweep(volume, backward):
    """One Gauss-Seidel sweep: binder next to fibre or attached binder becomes attached (3)."""
    nz, ny, nx = volume.shape
    changed = np.zeros(nz, dtype=np.int64)
    flip = np.int64(1 if backward else 0)
    for step in nb.prange(nz):
        z = step + flip * (nz - 1 - 2 * step)
        for jj in range(ny):
            j = jj + flip * (ny - 1 - 2 * jj)
            for ii in range(nx):
                i = ii + flip * (nx - 1 - 2 * ii)
                if volume[z, j, i] != BINDER:
                    continue
                found = False
                for dz in range(max(z - 1, 0), min(z + 2, nz)):
                    for dj in range(max(j - 1, 0), min(j + 2, ny)):
                        for di in range(max(i - 1, 0), min(i + 2, nx)):
                            v = volume[dz, dj, di]
                            if v == FIBRE or v == ATTACHED:
                                found = True
                if found:
                    volume[z, j, i] = ATTACHED
                    changed[z] += 1
    return changed.sum()


@nb.njit(cache=True, parallel=True)
def _release_unattached(volume):
    nz = volume.shape[0]
    removed = np.zeros(nz, dtype=np.int64)
    for z in nb.prange(nz):
        for j in range(volume.shape[1]):
            for i in range(volume.shape[2]):
                v = volume[z, j, i]
                if v == BINDER:
                    volume[z, j, i] = PORE
                    removed[z] += 1
                elif v == ATTACHED:
                    volume[z, j, i] = BINDER
    return removed.sum()


def detach_floating_binder(volume):
    """Turn binder voxels not linked to a fibre through binder (26-connectivity) into pore.

    Alternating forward and backward sweeps mark binder reached from the fibres until nothing
    changes; the fixed point (all binder connected to a fibre) does not depend on the order in
    which threads visit voxels. Binder sits within a closing radius of the fibres, so a few
    sweeps suffice. Returns the number of voxels removed.
    """
    backward = False
    while _attach_sweep(volume, backward):
        backward = not backward
    return int(_release_unattached(volume))
