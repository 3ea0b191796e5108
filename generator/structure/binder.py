"""PTFE binder as a morphological closing of the fibres, tuned to a target volume fraction.

Model (after GeoDict FiberGeo's binder, which closes the fibre phase): with ``D_f`` the squared
distance to the nearest fibre voxel and an integer squared radius ``k = r^2``,

* dilation ``A_k = {D_f <= k}``; its complement ``S_k = {D_f >= k + 1}``,
* closing ``C_k = {D_o > k}`` with ``D_o`` the squared distance to ``S_k``,
* binder ``B_k = C_k \\ fibres``: the pore that no ball of radius ``r`` free of fibres reaches,
  that is the wedges where fibres cross or run close.

``|B_k|`` grows with ``k`` in steps. ``k`` is searched until ``|B_lo| <= target <= |B_hi|`` for
neighbouring radii; ``B_lo`` is kept whole and the shell ``B_hi \\ B_lo`` is filled from the
fibre surface outwards (ascending ``D_f``; exact ties broken by a hash of the voxel index, so no
spatial bias), which hits the target voxel count. Binder not linked through binder to a fibre
(26-connectivity) is finally returned to pore, so no blob floats free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator._shared.phases import BINDER, PORE

# The numba kernels are imported where they are used, not here: reading a sample file (which
# needs BinderResult) then loads no numba, and numba's cache folder is still the one the
# process was started with when the first kernel module is imported.

SHELL = 3
MAX_WINDOW = 180  # uint16 holds 2 * 180^2 + 1 without overflow
PROBE_SHARE = 1 / 16  # share of the in-plane area used to estimate the closing radius
PROBE_MIN_VOXELS = 4_000_000  # below this the whole volume is the probe
BRACKET_SLACK = 0.04  # relative binder margin for the first full-volume bracket
# First window of the probe's fibre distances: exact to 225, so uint8 (closings up to 224).
PROBE_WINDOW = 15


@dataclass(frozen=True)
class BinderResult:
    """How the binder was placed.

    Attributes
    ----------
    squared_radius_low, squared_radius_high : int
        Closing radii squared (voxel units) bracketing the target: the closing at the low
        radius is binder whole, the shell up to the high radius is filled from the fibres out.
    detached_voxels : int
        Binder voxels removed because they did not touch a fibre through binder.

    Examples
    --------
    >>> from generator.structure import BinderResult
    >>> round(BinderResult(1, 5, 0).radius_um(2.0), 4)  # sqrt(5) voxels of 2 um
    4.4721
    """

    squared_radius_low: int
    squared_radius_high: int
    detached_voxels: int

    def radius_um(self, voxel_um: float) -> float:
        """Closing radius (upper bracket) in micrometres.

        Parameters
        ----------
        voxel_um : float
            Voxel edge length of the volume the binder was placed in.

        Returns
        -------
        float
            ``sqrt(squared_radius_high) * voxel_um``.
        """
        return float(np.sqrt(self.squared_radius_high) * voxel_um)


def _window_for(k: int) -> int:
    window = int(np.ceil(np.sqrt(k + 1)))
    if window > MAX_WINDOW:
        raise ValueError(
            f"binder needs a closing radius above {MAX_WINDOW} voxels; use a finer voxel or a "
            "lower binder fraction"
        )
    return window


def _fibre_distance(volume, window: int) -> np.ndarray:
    """Squared distance to the fibres, exact up to ``window^2`` (``window^2 + 1`` beyond),
    in uint8 when that fits (half the memory and traffic), uint16 otherwise."""
    from generator._shared import held_memory
    from generator._shared.edt_kernels import capped_squared_edt

    dtype = np.uint8 if window * window + 1 <= np.iinfo(np.uint8).max else np.uint16
    # A sweep worker's held block: the distance fields of the last sample's tortuosity.
    dist_fibre = held_memory.scratch(volume.shape, dtype)
    capped_squared_edt(volume, 1, dist_fibre, window)
    return dist_fibre


def _closing(dist_fibre, volume, k: int, *, write: bool = False, label: int = 0, bins: int = 1):
    """:func:`~generator.structure._binder_kernels.closing_pass` at squared radius ``k``: the
    histogram of ``min(dist_fibre, bins - 1)`` over the pore voxels inside the closing."""
    import numba

    from generator._shared.edt_kernels import band_rows, source_threshold
    from generator.structure._binder_kernels import closing_pass

    window = _window_for(k)
    nz, ny, nx = volume.shape
    rows = band_rows(window, nx, ny, numba.get_num_threads())
    threshold = source_threshold(dist_fibre, k + 1)
    return closing_pass(
        dist_fibre, threshold, np.uint16(k), window, rows, volume, write, label, bins
    )


def _closed_counts(volume, targets) -> dict[int, int]:
    """Binder voxel count of the closing at every squared radius that the bisections for each
    target count visit (one shared cache)."""
    window = PROBE_WINDOW
    dist_fibre = _fibre_distance(volume, window)
    counts = {0: 0}

    def count(k: int) -> int:
        nonlocal window, dist_fibre
        if k not in counts:
            if k + 1 > window * window:
                window = _window_for(2 * k)
                dist_fibre = _fibre_distance(volume, window)
            counts[k] = int(_closing(dist_fibre, volume, k)[0])
        return counts[k]

    for target in targets:
        low, high = 0, 1
        while count(high) < target:
            low, high = high, 2 * high
            if high > MAX_WINDOW**2 // 2:
                raise ValueError(
                    f"binder fraction {target / volume.size:.4f} cannot be reached: a closing "
                    f"of radius {np.sqrt(low):.1f} voxels fills {count(low) / volume.size:.4f}"
                )
        while high - low > 1:
            middle = (low + high) // 2
            if count(middle) < target:
                low = middle
            else:
                high = middle
    return counts


def estimate_squared_radii(volume, target_fraction: float) -> tuple[int, int]:
    """Squared closing radii expected to bracket ``target_fraction``, from a central probe block.

    The probe spans the whole thickness and ``PROBE_SHARE`` of the in-plane area, so its
    fibre arrangement is representative while the search costs a fraction of a full pass. The
    bracket aims at the target -/+ ``BRACKET_SLACK`` (exactly the target when the volume is
    small enough to be its own probe).
    """
    nz, ny, nx = volume.shape
    if volume.size <= PROBE_MIN_VOXELS:
        probe, slack = volume, 0.0
    else:
        side = np.sqrt(PROBE_SHARE)
        py = ny if ny * side < 64 else max(1, int(ny * side))
        px = max(1, int(round(nx * ny * PROBE_SHARE / py)))
        y0, x0 = (ny - py) // 2, (nx - px) // 2
        probe = np.ascontiguousarray(volume[:, y0 : y0 + py, x0 : x0 + px])
        slack = BRACKET_SLACK
    low_target = int(target_fraction * (1 - slack) * probe.size)
    high_target = int(np.ceil(target_fraction * (1 + slack) * probe.size))
    counts = _closed_counts(probe, [low_target, high_target])
    below = [k for k, c in counts.items() if c <= low_target]
    above = [k for k, c in counts.items() if c >= high_target]
    return max(below), min(above)


def add_binder(volume: np.ndarray, target_fraction: float, *, seed: int) -> BinderResult:
    """Add binder (label 2) to a fibre volume (labels 0/1) in place.

    Parameters
    ----------
    volume : ndarray of uint8, shape (nz, ny, nx)
        Pore 0 and fibre 1; modified in place.
    target_fraction : float
        Binder voxels over all voxels.
    seed : int
        Seeds the tie-break hash.

    Returns
    -------
    BinderResult

    Examples
    --------
    Two square rods along z, one voxel apart: the binder fills the gap between them first.
    A target of 12 voxels (the gap: 3 voxels a slice in 4 slices) fills the gap exactly.

    >>> import numpy as np
    >>> from generator.structure.binder import add_binder
    >>> volume = np.zeros((4, 9, 11), dtype=np.uint8)
    >>> volume[:, 3:6, 2:5] = 1
    >>> volume[:, 3:6, 6:9] = 1
    >>> result = add_binder(volume, 12 / volume.size, seed=0)
    >>> int(np.count_nonzero(volume == 2)), bool(np.all(volume[:, 3:6, 5] == 2))
    (12, True)
    """
    from generator.structure._binder_kernels import (
        detach_floating_binder,
        relabel,
        resolve_shell,
        tie_histogram,
    )

    target = int(round(target_fraction * volume.size))
    k_low, k_high = estimate_squared_radii(volume, target_fraction)
    window = _window_for(2 * k_high)
    dist_fibre = _fibre_distance(volume, window)

    # Lower bracket: the whole closing becomes binder; too much -> undo, shrink the radius.
    while True:
        if k_low == 0:
            placed = 0
            break
        placed = int(_closing(dist_fibre, volume, k_low, write=True, label=BINDER)[0])
        if placed <= target:
            break
        relabel(volume, BINDER, PORE)
        k_low -= max(1, k_low // 8)
    # Upper bracket: the shell of pore the larger closing adds must cover the remainder.
    while True:
        if k_high + 1 > window * window:
            window = _window_for(2 * k_high)
            del dist_fibre
            dist_fibre = _fibre_distance(volume, window)
        histogram = _closing(dist_fibre, volume, k_high, write=True, label=SHELL, bins=k_high + 2)
        if placed + histogram.sum() >= target:
            break
        relabel(volume, SHELL, PORE)
        k_high += max(1, k_high // 8)

    # Fill the shell from the fibre surface outwards: ascending distance, hashed ties.
    needed = target - placed
    cumulative = np.cumsum(histogram)
    tie_value = int(np.searchsorted(cumulative, needed, side="left"))
    at_tie = needed - (int(cumulative[tie_value - 1]) if tie_value > 0 else 0)
    hash_seed = (int(seed) * 0x2545F491 + 0x9E3779B9) & 0xFFFFFFFF
    hash_cut = 0
    if at_tie > 0:
        ties = np.cumsum(tie_histogram(volume, dist_fibre, SHELL, tie_value, hash_seed))
        hash_cut = int(np.searchsorted(ties, at_tie, side="right"))
    resolve_shell(volume, dist_fibre, SHELL, tie_value, hash_cut, hash_seed)
    del dist_fibre
    detached = int(detach_floating_binder(volume))
    return BinderResult(k_low, k_high, detached)


def compile_kernels() -> None:
    """Compile (or load from numba's cache) the binder kernels only some samples reach: the
    attachment of floating binder and the relabelling that undoes a closing. A small
    generation may never take them, and each sweep worker then compiled them in its first
    real sample (about 3 CPU-s); here they run on a hand-made volume.

    Examples
    --------
    >>> from generator.structure.binder import compile_kernels
    >>> compile_kernels()
    """
    from generator._shared.phases import FIBRE
    from generator.structure._binder_kernels import detach_floating_binder, relabel

    volume = np.zeros((4, 4, 4), dtype=np.uint8)
    volume[0, 0, 0] = FIBRE
    volume[0, 0, 1] = BINDER  # attached: touches the fibre
    volume[3, 3, 3] = BINDER  # floating: held, swept, then removed
    detach_floating_binder(volume)
    relabel(volume, BINDER, PORE)
