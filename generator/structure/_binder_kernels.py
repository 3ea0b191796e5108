"""numba kernels for the binder: the closing pass, the ordered shell fill, attachment.

Labels: 0 pore, 1 fibre, 2 binder. ``dist_fibre`` is a capped squared distance map to the
fibres (uint8 or uint16, from :func:`generator._shared.edt_kernels.capped_squared_edt`). The
distance to the closing's complement is never stored: :func:`closing_pass` streams it band by
band (:mod:`generator._shared.edt_kernels`) and uses each finished row at once.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from generator._shared.edt_kernels import band_totals, edt_pass
from generator._shared.numba_compile import PARALLEL, use_shared_cache
from generator._shared.phases import BINDER, FIBRE, PORE

use_shared_cache()  # before any kernel is defined: see generator._shared.numba_compile

PENDING = 4  # transient label: binder not (yet) known to touch a fibre through binder
HASH_CHUNKS = 16  # partial tie histograms (65536 bins each), summed at the end


def closing_pass(dist_fibre, threshold, k, w, rows, volume, write, label, n_bins):
    """Pore voxels inside the closing of squared radius ``k``, counted and optionally labelled.

    ``dist_open``, the squared distance to ``dist_fibre >= threshold`` (``threshold = k + 1``,
    of ``dist_fibre``'s dtype) capped by the window ``w``, is streamed in bands of ``rows``
    rows (:func:`generator._shared.edt_kernels.edt_pass`, never stored); every pore voxel with
    ``dist_open > k`` (``k`` as uint16) is in the closing. With ``write`` it becomes ``label``.

    Returns the histogram of ``min(dist_fibre, n_bins - 1)`` over those voxels (int64,
    ``n_bins``): one bin counts them all.
    """
    return edt_pass(
        dist_fibre,
        threshold,
        w,
        rows,
        dist_fibre,
        volume,
        dist_fibre,
        k,
        PORE,
        label if write else -1,
        n_bins,
    )


@nb.njit(cache=True, parallel=PARALLEL)
def relabel(volume, old, new):
    """Replace label ``old`` by ``new`` everywhere."""
    for z in nb.prange(volume.shape[0]):
        for j in range(volume.shape[1]):
            row = volume[z, j]
            for i in range(volume.shape[2]):
                if row[i] == old:
                    row[i] = new


@nb.njit(cache=True, nogil=True)
def _mix(index, seed):
    """A 32-bit hash of a voxel index: a deterministic tie-breaker without spatial bias."""
    x = (index * 0x9E3779B97F4A7C15 + seed) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 33
    return x & 0xFFFF


@nb.njit(cache=True, parallel=PARALLEL)
def shell_pass(volume, dist_fibre, shell_label, tie_value, hash_cut, seed, resolve):
    """The shell's two passes, one kernel (one compilation).

    ``resolve`` False: the histogram (65536 bins) of the 16-bit hash over shell voxels at the
    tie distance. True: shell voxels nearer the fibres than ``tie_value``, or at it with hash
    below ``hash_cut``, become binder, the rest pore (returns one empty bin).
    """
    nz, ny, nx = volume.shape
    chunks = min(nz, HASH_CHUNKS)
    hist = np.zeros((chunks, 1 if resolve else 65536), dtype=np.int64)
    for c in nb.prange(chunks):
        h = hist[c]
        for z in range(c * nz // chunks, (c + 1) * nz // chunks):
            for j in range(ny):
                labels = volume[z, j]
                near = dist_fibre[z, j]
                for i in range(nx):
                    if labels[i] != shell_label:
                        continue
                    d = near[i]
                    if resolve:
                        take = d < tie_value or (
                            d == tie_value and _mix((z * ny + j) * nx + i, seed) < hash_cut
                        )
                        labels[i] = BINDER if take else PORE
                    elif d == tie_value:
                        h[_mix((z * ny + j) * nx + i, seed)] += 1
    return band_totals(hist)


def tie_histogram(volume, dist_fibre, shell_label, tie_value, seed):
    """Histogram of the 16-bit hash over shell voxels at the tie distance (:func:`shell_pass`)."""
    return shell_pass(volume, dist_fibre, shell_label, tie_value, 0, seed, False)


def resolve_shell(volume, dist_fibre, shell_label, tie_value, hash_cut, seed):
    """Shell voxels nearer the fibres than ``tie_value``, or at it with hash below ``hash_cut``,
    become binder; the rest return to pore (:func:`shell_pass`)."""
    shell_pass(volume, dist_fibre, shell_label, tie_value, hash_cut, seed, True)


@nb.njit(cache=True, nogil=True)
def _holds(row, label):
    """Whether ``row`` holds ``label`` (a full pass: it vectorises, an early exit would not)."""
    found = False
    for i in range(row.shape[0]):
        found |= row[i] == label
    return found


@nb.njit(cache=True, nogil=True)
def _touches(volume, z, j, i, label):
    """Whether a 26-neighbour of voxel (z, j, i) has ``label``."""
    nz, ny, nx = volume.shape
    for dz in range(max(z - 1, 0), min(z + 2, nz)):
        for dj in range(max(j - 1, 0), min(j + 2, ny)):
            row = volume[dz, dj]
            for di in range(max(i - 1, 0), min(i + 2, nx)):
                if row[di] == label:
                    return True
    return False


@nb.njit(cache=True, parallel=PARALLEL)
def _hold_unattached(volume, pending):
    """Binder with no fibre among its 26 neighbours becomes ``PENDING``; ``pending[z]`` counts
    them per slice. Only fibre labels are read, so threads never see each other's writes.

    Row at a time: the fibre voxels of the 3 x 3 rows around a row are OR-ed, then widened by
    one voxel along x (``near`` has a zero guard at each end).
    """
    nz, ny, nx = volume.shape
    for z in nb.prange(nz):
        near = np.zeros(nx + 2, dtype=np.bool_)
        count = 0
        for j in range(ny):
            row = volume[z, j]
            if not _holds(row, BINDER):
                continue
            inner = near[1 : nx + 1]
            inner[:] = False
            for dz in range(max(z - 1, 0), min(z + 2, nz)):
                for dj in range(max(j - 1, 0), min(j + 2, ny)):
                    other = volume[dz, dj]
                    for i in range(nx):
                        inner[i] |= other[i] == FIBRE
            left, right = near[:nx], near[2:]
            for i in range(nx):
                hold = row[i] == BINDER and not (left[i] or inner[i] or right[i])
                row[i] = PENDING if hold else row[i]
                count += hold
        pending[z] = count


@nb.njit(cache=True, parallel=PARALLEL)
def _attach_sweep(volume, pending, backward):
    """One Gauss-Seidel sweep over the rows that hold pending voxels: a pending voxel next to
    binder (attached) becomes binder. Returns how many did."""
    nz, ny, nx = volume.shape
    changed = np.zeros(nz, dtype=np.int64)
    flip = np.int64(1 if backward else 0)
    for step in nb.prange(nz):
        z = step + flip * (nz - 1 - 2 * step)
        if pending[z] == 0:
            continue
        for jj in range(ny):
            j = jj + flip * (ny - 1 - 2 * jj)
            row = volume[z, j]
            if not _holds(row, PENDING):
                continue
            for ii in range(nx):
                i = ii + flip * (nx - 1 - 2 * ii)
                if row[i] == PENDING and _touches(volume, z, j, i, BINDER):
                    row[i] = BINDER
                    changed[z] += 1
        pending[z] -= changed[z]
    return changed.sum()


def detach_floating_binder(volume):
    """Turn binder voxels not linked to a fibre through binder (26-connectivity) into pore.

    Binder touching a fibre is attached at once; the rest is held apart and attached by
    alternating forward and backward sweeps over the slices that still hold some, until nothing
    changes. The fixed point (all binder connected to a fibre) does not depend on the order in
    which threads visit voxels. Returns the number of voxels removed.
    """
    pending = np.zeros(volume.shape[0], dtype=np.int64)
    _hold_unattached(volume, pending)
    backward = False
    while pending.any() and _attach_sweep(volume, pending, backward):
        backward = not backward
    removed = int(pending.sum())
    if removed:
        relabel(volume, PENDING, PORE)  # the rest was never attached
    return removed
