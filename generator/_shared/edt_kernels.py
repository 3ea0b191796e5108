"""numba kernels: squared Euclidean distance transform, exact up to a cap, in one streaming pass.

Separable like Felzenszwalb & Huttenlocher's transform, but each minimum runs over offsets
``|d| <= w`` only: any voxel whose squared distance is at most ``w^2`` has an optimal path with
every offset within ``w``, so those values are exact; farther voxels read ``w^2 + 1``. Because
every pass only looks ``w`` voxels away, the volume is processed in bands of rows along y, each
streamed slice by slice along z through a ring of ``2 w + 1`` slices small enough to stay in
cache: the binary distance along y (whole rows at a time, so it vectorises), the windowed
minimum along x, then along z. Nothing but the result touches main memory, and a caller can
consume each finished row (count it, label the volume from it) instead of storing a distance
map at all (:mod:`generator.structure._binder_kernels` does). Values are uint16 (2w^2 + 1 fits
for ``w <= 180``); a stored map may be uint8 when ``w^2 + 1 <= 255``.

The building blocks are ``nogil`` helpers on plain arrays, so a kernel that fuses its own
consumer compiles them into its own loop.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from generator._shared.numba_compile import PARALLEL, use_shared_cache

use_shared_cache()  # before any kernel is defined: see generator._shared.numba_compile

MAX_WINDOW = 180  # uint16 holds 2 * 180^2 + 1 without overflow
# Per-thread working set aimed at (the ring of one band): about a core's L2 cache.
BAND_BYTES = 512 * 1024


@nb.njit(cache=True, nogil=True)
def _window_min_rows(src, dst, w, beyond):
    """dst[r, :] = min over |d| <= w of src[r + d, :] + d^2, saturated at ``beyond``.

    Rows are whole contiguous lines of the volume, so the inner loop vectorises. (Used by the
    local thickness's half-grid transform.)
    """
    rows, cols = src.shape
    for r in range(rows):
        row = dst[r]
        for i in range(cols):
            row[i] = src[r, i]
        for d in range(1, w + 1):
            dd = d * d
            if r - d >= 0:
                other = src[r - d]
                for i in range(cols):
                    v = other[i] + dd
                    if v < row[i]:
                        row[i] = v
            if r + d < rows:
                other = src[r + d]
                for i in range(cols):
                    v = other[i] + dd
                    if v < row[i]:
                        row[i] = v
        for i in range(cols):
            if row[i] > beyond:
                row[i] = beyond


def band_rows(window: int, nx: int, ny: int, threads: int) -> int:
    """Rows of y in one band: the ring (``2 window + 1`` slices of ``rows x nx`` uint16) fits
    :data:`BAND_BYTES`, with at least four bands a thread when ``ny`` allows.

    Parameters
    ----------
    window : int
    nx, ny : int
        Row length and row count of the volume.
    threads : int

    Returns
    -------
    int
        Between 1 and ``ny``.

    Examples
    --------
    >>> band_rows(10, 1000, 1000, 2), band_rows(10, 2000, 200, 2), band_rows(2, 20, 20, 2)
    (12, 6, 3)
    """
    rows = BAND_BYTES // ((2 * window + 1) * nx * 2)
    rows = min(rows, -(-ny // (4 * threads)))
    return int(max(1, min(rows, ny)))


@nb.njit(cache=True, nogil=True)
def band_scratch(w, rows, nx):
    """A band's scratch, flat uint16 planes of ``rows`` rows of ``nx`` values, each row
    followed (and the first one preceded) by ``w`` guard values: the ring of ``2 w + 1`` planes,
    the y-pass plane (guards at the cap, so a shifted minimum over the whole plane never lets
    one row reach into the next), a finished plane and a run counter.

    Row ``r`` of a plane starts at ``w + r * (nx + w)`` (:func:`band_offset`).
    """
    size = w + rows * (nx + w)
    ring = np.empty((2 * w + 1, size), dtype=np.uint16)
    line = np.full(size, w * w + 1, dtype=np.uint16)
    plane = np.empty(size, dtype=np.uint16)
    run = np.empty(nx, dtype=np.uint16)
    return ring, line, plane, run


@nb.njit(cache=True, nogil=True)
def band_offset(w, nx, r):
    """Where row ``r`` starts in a band plane (see :func:`band_scratch`)."""
    return w + r * (nx + w)


@nb.njit(cache=True, nogil=True)
def band_slice(source, threshold, z, j0, j1, w, line, run, out):
    """Slice ``z`` of a band (rows ``j0:j1``) after the passes along y and x, into ``out``.

    Row ``r`` of ``out`` holds the minimum over ``|dy|, |dx| <= w`` of ``dy^2 + dx^2`` to a
    voxel with ``source >= threshold`` (``threshold`` of the source's dtype) in slice ``z``,
    saturated at ``w^2 + 1``. ``line`` and ``out`` are band planes, ``run`` scratch. Arithmetic
    stays in uint16 (``w <= 180``) so that it vectorises at full width, and the pass along x
    runs over the whole plane at once (its guards keep rows apart).
    """
    ny = source.shape[1]
    nx = source.shape[2]
    far = np.uint16(w + 1)
    one = np.uint16(1)
    cap = np.uint16(w * w + 1)
    # Binary distance along y, whole rows at a time: forward from w rows before the band...
    for i in range(nx):
        run[i] = far
    for j in range(max(0, j0 - w), j1):
        row = source[z, j]
        for i in range(nx):
            run[i] = np.uint16(0) if row[i] >= threshold else min(np.uint16(run[i] + one), far)
        if j >= j0:
            start = band_offset(w, nx, j - j0)
            dst = line[start : start + nx]
            for i in range(nx):
                d = run[i]
                dst[i] = np.uint16(d * d) if d < far else cap
    # ...and backward from w rows after it.
    for i in range(nx):
        run[i] = far
    for j in range(min(ny, j1 + w) - 1, j0 - 1, -1):
        row = source[z, j]
        for i in range(nx):
            run[i] = np.uint16(0) if row[i] >= threshold else min(np.uint16(run[i] + one), far)
        if j < j1:
            start = band_offset(w, nx, j - j0)
            dst = line[start : start + nx]
            for i in range(nx):
                d = run[i]
                dst[i] = min(dst[i], np.uint16(d * d) if d < far else cap)
    # Windowed minimum along x over the whole plane at once, both offsets +-d in one loop. The
    # views are shifted and indexed from 0: an index like i - d would get numba's
    # negative-index wraparound and stop the loop vectorising.
    size = line.shape[0]
    for i in range(size):
        out[i] = line[i]
    for d in range(1, w + 1):
        dd = np.uint16(d * d)
        n = size - 2 * d
        here, ahead, behind = out[d : size - d], line[2 * d :], line[:n]
        for i in range(n):
            here[i] = min(here[i], np.uint16(min(ahead[i], behind[i]) + dd))
    for i in range(size):
        out[i] = min(out[i], cap)


@nb.njit(cache=True, nogil=True)
def band_step(source, threshold, z_in, w, j0, j1, ring, line, run, plane):
    """Feed slice ``z_in`` of the band into the ring (nothing past the last slice) and, once
    ``w`` more slices are in, finish slice ``z_in - w`` into ``plane``: the windowed minimum
    along z, saturated at ``w^2 + 1``. Returns the finished slice (negative: none yet).

    Call it for ``z_in`` from 0 to ``nz + w - 1``; the finished rows are at
    :func:`band_offset` in ``plane``.
    """
    nz = source.shape[0]
    size = ring.shape[0]
    if z_in < nz:
        band_slice(source, threshold, z_in, j0, j1, w, line, run, ring[z_in % size])
    z = z_in - w
    if z < 0:
        return z
    n = plane.shape[0]
    cap = np.uint16(w * w + 1)
    src = ring[z % size]
    for i in range(n):
        plane[i] = src[i]
    for d in range(1, w + 1):
        dd = np.uint16(d * d)
        if z - d >= 0 and z + d < nz:
            below, above = ring[(z - d) % size], ring[(z + d) % size]
            for i in range(n):
                plane[i] = min(plane[i], np.uint16(min(below[i], above[i]) + dd))
        elif z - d >= 0 or z + d < nz:
            src = ring[(z - d) % size] if z - d >= 0 else ring[(z + d) % size]
            for i in range(n):
                plane[i] = min(plane[i], np.uint16(src[i] + dd))
    for i in range(n):
        plane[i] = min(plane[i], cap)
    return z


@nb.njit(cache=True)
def band_totals(hist):
    """Column sums of a (bands, bins) int64 histogram: what ``hist.sum(axis=0)`` gives, summed
    by hand because that compiled numba's axis check with its message formatting (1.1 s of
    the generation's compile)."""
    total = np.zeros(hist.shape[1], dtype=np.int64)
    for b in range(hist.shape[0]):
        for v in range(hist.shape[1]):
            total[v] += hist[b, v]
    return total


@nb.njit(cache=True, parallel=PARALLEL)
def edt_pass(source, threshold, w, rows, out, labels, near, k, pick, label, n_bins):
    """One streaming transform of ``source >= threshold`` (window ``w``, bands of ``rows``),
    consumed row by row in one of two ways.

    ``pick < 0``: store the distances in ``out`` (``labels`` and ``near`` unused). Otherwise
    each voxel with ``labels == pick`` and distance above ``k`` (a uint16) is counted in the
    histogram of ``min(near, n_bins - 1)`` and, when ``label >= 0``, relabelled ``label``
    (``out`` unused). Returns that histogram (int64, ``n_bins``; zeros when storing).

    One kernel for both, so that a distance map and the closings read from it (the binder's)
    compile once for a given pair of dtypes.
    """
    nz, ny, nx = source.shape
    n_bands = (ny + rows - 1) // rows
    hist = np.zeros((n_bands, n_bins), dtype=np.int64)
    top = n_bins - 1
    for band in nb.prange(n_bands):
        j0 = band * rows
        j1 = min(ny, j0 + rows)
        ring, line, plane, run = band_scratch(w, j1 - j0, nx)
        h = hist[band]
        for z_in in range(nz + w):
            z = band_step(source, threshold, z_in, w, j0, j1, ring, line, run, plane)
            if z < 0:
                continue
            for r in range(j1 - j0):
                start = band_offset(w, nx, r)
                row = plane[start : start + nx]
                if pick < 0:
                    dst = out[z, j0 + r]
                    for i in range(nx):
                        dst[i] = row[i]
                    continue
                here = labels[z, j0 + r]
                values = near[z, j0 + r]
                for i in range(nx):
                    if row[i] > k and here[i] == pick:
                        if label >= 0:
                            here[i] = label
                        h[min(values[i], top)] += 1
    return band_totals(hist)


def source_threshold(source, threshold):
    """``threshold`` as a scalar of ``source``'s dtype (the kernels compare in that width).

    Parameters
    ----------
    source : ndarray of an unsigned integer dtype
    threshold : int
        1 to the dtype's maximum.

    Returns
    -------
    numpy scalar

    Examples
    --------
    >>> import numpy as np
    >>> source_threshold(np.zeros(3, dtype=np.uint8), 46).dtype
    dtype('uint8')
    """
    top = np.iinfo(source.dtype).max
    if not 1 <= int(threshold) <= top:
        raise ValueError(f"threshold={threshold} must be in [1, {top}] for a {source.dtype} source")
    return source.dtype.type(threshold)


def capped_squared_edt(source, threshold, out, window) -> None:
    """Squared distance to the nearest ``source >= threshold`` voxel, exact up to ``window^2``.

    Values above ``window^2`` are reported as ``window^2 + 1`` ("farther"). Each pass is a
    sliding minimum of ``2 window + 1`` parabola offsets over whole rows: for the small radii
    of binder closings this is several times faster than the exact envelope, and as exact
    within the cap (an optimum with squared distance <= window^2 has every offset <= window).

    Parameters
    ----------
    source : ndarray, 3D, C-contiguous
    threshold : int
    out : ndarray of uint16 (or uint8 when ``window^2 + 1 <= 255``), same shape as ``source``
    window : int
        1 to 180.

    Examples
    --------
    One feature voxel in a 1 x 1 x 7 row: squared distances 0, 1, 4, 9, then "farther" (5)
    beyond a window of 2:

    >>> import numpy as np
    >>> source = np.zeros((1, 1, 7), dtype=np.uint8)
    >>> source[0, 0, 0] = 1
    >>> out = np.empty((1, 1, 7), dtype=np.uint16)
    >>> capped_squared_edt(source, 1, out, 2)
    >>> out.ravel().tolist()
    [0, 1, 4, 5, 5, 5, 5]
    """
    import numba

    window = int(window)
    if not 1 <= window <= MAX_WINDOW:
        raise ValueError(f"window={window} must be in [1, {MAX_WINDOW}]")
    if out.shape != source.shape or source.ndim != 3:
        raise ValueError(f"out {out.shape} must have the 3D shape of source {source.shape}")
    if window * window + 1 > np.iinfo(out.dtype).max:
        raise ValueError(f"out of {out.dtype} cannot hold window={window}'s cap")
    nz, ny, nx = source.shape
    rows = band_rows(window, nx, ny, numba.get_num_threads())
    # The arguments of the counting mode, typed as the binder passes them (one compilation).
    unused = np.empty((0, 0, 0), dtype=np.uint8)
    threshold = source_threshold(source, threshold)
    edt_pass(source, threshold, window, rows, out, unused, out, np.uint16(0), -1, -1, 1)
