"""Geometric tortuosity through the pore space, from shortest-path geodesic distances.

Definitions (``L = (n - 1) h`` is the straight distance between the centres of the inlet slice
and the outlet slice along the flow axis, ``D_in`` and ``D_out`` the geodesic distances from the
inlet and from the outlet face, see :mod:`generator.tortuosity.geodesic`):

* ``tau`` (as GeoDict reports it): the mean, over the inlet-face pore voxels ``s`` that
  percolate, of the shortest path to the outlet face over the straight distance,
  ``tau = mean_s D_out(s) / L``.
* ``tau_volume``: the mean over every pore voxel ``v`` reached from the inlet, past the first
  slice, of ``D_in(v) / z(v)`` with ``z(v)`` the straight distance of ``v`` to the inlet plane
  (the paper's equation 5 applied voxel by voxel).
* ``connected_fraction``: pore reached from the inlet over all pore; ``percolating_fraction``:
  pore reached from both faces over all pore; pore the inlet cannot reach is isolated (excluded
  from the means and counted).

A structure without a percolating path gives ``tau = inf`` and ``percolating = False`` with a
warning, never an error and never a finite number.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from generator.tortuosity.geodesic import Metric


@dataclass
class TortuosityResult:
    """Geometric tortuosity of one image along one axis.

    Attributes
    ----------
    tau : float
        Mean over percolating inlet pore voxels of (shortest path to the outlet face) / L.
    tau_volume : float
        Mean over reachable pore voxels past the first slice of D_in(v) / z(v).
    percolating : bool
    metric : str
    axis : int
        Array axis of the flow.
    voxel_um : tuple of float
        Voxel size per array axis.
    length_um : float
        Straight distance L between inlet and outlet slice centres.
    porosity : float
    connected_fraction, percolating_fraction : float
        Shares of the pore volume (see module docstring).
    isolated_pore_voxels : int
        Pore voxels not connected to the inlet.
    inlet_pore_voxels, percolating_inlet_voxels : int
    path_lengths_um : ndarray of float32
        Shortest path to the outlet face from each percolating inlet voxel.
    outlet_ratio : ndarray of float32, 2D
        D_in / L on the outlet face (inf where solid or unreached).
    distance_from_inlet, distance_from_outlet : ndarray or None
        Per-voxel distances in um when asked for (``return_maps=True``).

    Examples
    --------
    A label image (0 pore, 1 solid) of 4 slices of 5 x 5 voxels with one straight pore
    channel and one pore voxel that touches nothing: porosity 5 / 100, the channel's 4 voxels
    are 0.8 of the pore, and the lone voxel is isolated.

    >>> import numpy as np
    >>> from generator import geometric_tortuosity
    >>> image = np.ones((4, 5, 5), dtype=np.uint8)
    >>> image[:, 0, 0] = 0
    >>> image[2, 4, 4] = 0
    >>> result = geometric_tortuosity(image, pore_label=0)
    >>> result.tau, result.porosity, result.percolating_fraction, result.isolated_pore_voxels
    (1.0, 0.05, 0.8, 1)
    >>> result.summary()["length_um"]  # (4 - 1) slices between inlet and outlet centres
    3.0
    """

    tau: float
    tau_volume: float
    percolating: bool
    metric: str
    axis: int
    voxel_um: tuple
    length_um: float
    porosity: float
    connected_fraction: float
    percolating_fraction: float
    isolated_pore_voxels: int
    inlet_pore_voxels: int
    percolating_inlet_voxels: int
    path_lengths_um: np.ndarray = field(repr=False)
    outlet_ratio: np.ndarray = field(repr=False)
    distance_from_inlet: np.ndarray | None = field(default=None, repr=False)
    distance_from_outlet: np.ndarray | None = field(default=None, repr=False)

    def summary(self) -> dict:
        """The scalar fields as a JSON-ready dictionary (inf as the string "inf")."""

        def plain(value):
            if isinstance(value, float) and not np.isfinite(value):
                return "inf"
            return value

        keys = (
            "tau",
            "tau_volume",
            "percolating",
            "metric",
            "axis",
            "voxel_um",
            "length_um",
            "porosity",
            "connected_fraction",
            "percolating_fraction",
            "isolated_pore_voxels",
            "inlet_pore_voxels",
            "percolating_inlet_voxels",
        )
        out = {key: plain(getattr(self, key)) for key in keys}
        out["voxel_um"] = [float(v) for v in self.voxel_um]
        return out


def geometric_tortuosity(
    image: np.ndarray,
    *,
    axis="z",
    metric: Metric = "euclidean",
    voxel_um=1.0,
    pore_label=None,
    return_maps: bool = False,
    progress: bool = False,
    adaptive_threads: bool | None = None,
    overwrite_input: bool = False,
    passes_side_by_side: bool | None = None,
) -> TortuosityResult:
    """Geometric tortuosity of the pore space of a 3D image along one axis.

    Parameters
    ----------
    image : ndarray, 3D
        Boolean pore mask (``True`` pore) or a label image with ``pore_label`` (see
        :func:`generator.tortuosity.inputs.pore_mask`: labels are never guessed).
    axis : {"z", "y", "x"} or int
        Flow axis (``"z"`` is array axis 0, the generator's through-plane axis).
    metric : {"euclidean", "lattice"}
        Path metric, see :mod:`generator.tortuosity.geodesic`.
    voxel_um : float or sequence of 3 floats
        Voxel size per array axis, in um.
    pore_label : int, optional
    return_maps : bool
        Keep both per-voxel distance maps (8 bytes a voxel) in the result.
    progress : bool
        Show each of the two distance passes on stderr (see :mod:`generator._shared.progress`).
    adaptive_threads : bool, optional
        Pace the solver's threads to the cores other processes leave free (see
        :func:`generator.tortuosity.geodesic.geodesic_distance`); default
        ``GDL_ADAPTIVE_THREADS``, on unless ``0``. The result is the same either way.
    overwrite_input : bool
        Let a C-contiguous boolean mask flowing along axis 0 be the solver's working array
        instead of copying it (a byte a voxel less at the peak); its contents are then
        undefined. Other images, and one whose second in-plane axis is much the longer (the
        solver lays it out as rows, see :mod:`generator.tortuosity._geodesic.driver`), are
        copied whatever this says.
    passes_side_by_side : bool, optional
        Solve the two distance passes at once, each in its own thread (on half the threads),
        instead of one after the other with the threads on bands of rows. Default: when
        numba's thread count (paced as ``adaptive_threads`` says) is 2 or more and the extra
        memory fits (a second distance field, unless ``return_maps``, and a second pore
        array: 5 bytes a voxel). The passes share nothing, so they scale by about 2x on 2
        cores where the lattice's bands gave 1.3x (``python -m workflows.bench_tortuosity
        --profile``). The result is the same either way; any other value is a ValueError.

    Returns
    -------
    TortuosityResult

    Examples
    --------
    An open block: every path runs straight, ``tau`` is 1. A 45-degree channel of single
    voxels in the (z, x) plane: ``tau`` is sqrt(2).

    >>> import numpy as np
    >>> from generator import geometric_tortuosity
    >>> geometric_tortuosity(np.ones((4, 3, 3), dtype=bool)).tau
    1.0
    >>> slanted = np.zeros((5, 1, 5), dtype=bool)
    >>> slanted[np.arange(5), 0, np.arange(5)] = True
    >>> round(geometric_tortuosity(slanted).tau, 4)
    1.4142

    A wall across the middle slice with one gap, at the last x: from the inlet voxel at
    ``x = i`` the path runs ``3 - i`` steps along x, one diagonal step into the gap and one
    step to the outlet (just two straight steps from ``x = 4``); ``tau`` is their mean over
    the straight distance of 2 voxels.

    >>> wall = np.ones((3, 1, 5), dtype=bool)
    >>> wall[1, 0, :4] = False
    >>> result = geometric_tortuosity(wall)
    >>> print(result.path_lengths_um.round(3))
    [5.414 4.414 3.414 2.414 2.   ]
    >>> round(result.tau, 4)
    1.7657
    """
    from generator.tortuosity._geodesic import prepare

    prepared = prepare(
        image,
        axis=axis,
        metric=metric,
        voxel_um=voxel_um,
        pore_label=pore_label,
        min_slices=2,
        overwrite_input=overwrite_input,
    )
    return _tortuosity(
        prepared,
        return_maps=return_maps,
        progress=progress,
        adaptive_threads=adaptive_threads,
        passes_side_by_side=passes_side_by_side,
    )


def geometric_tortuosity_by_metric(
    image: np.ndarray,
    metrics=("euclidean", "lattice"),
    *,
    axis="z",
    voxel_um=1.0,
    pore_label=None,
    overwrite_input: bool = False,
    passes_side_by_side: bool | None = None,
    adaptive_threads: bool | None = None,
) -> Iterator[TortuosityResult]:
    """:func:`geometric_tortuosity` of one image by several metrics, one after the other, on
    one copy of its pore space laid out for the solver (validated and copied once, not once
    a metric: a sweep's `200` sample spent 0.13 s of each metric in the mask and the copy).

    Parameters
    ----------
    image : ndarray, 3D
    metrics : {"euclidean", "lattice"} or a sequence of them
    axis, voxel_um, pore_label, overwrite_input, passes_side_by_side, adaptive_threads
        As :func:`geometric_tortuosity` takes them.

    Yields
    ------
    TortuosityResult
        One a metric, in the order of ``metrics``, each the same as
        ``geometric_tortuosity(image, metric=metric, ...)`` gives (no maps). The next metric
        is solved only when asked for, so a caller may time each.

    Raises
    ------
    ValueError
        As :func:`geometric_tortuosity`; a metric that is not one before anything is solved.

    Examples
    --------
    >>> import numpy as np
    >>> from generator.tortuosity.geometric import geometric_tortuosity_by_metric
    >>> slanted = np.zeros((5, 1, 5), dtype=bool)
    >>> slanted[np.arange(5), 0, np.arange(5)] = True
    >>> [round(r.tau, 4) for r in geometric_tortuosity_by_metric(slanted)]
    [1.4142, 1.4142]
    """
    from generator.tortuosity._geodesic import prepare
    from generator.tortuosity.inputs import METRICS, check_metric

    # One name alone is one metric, not the letters of its name.
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    for metric in metrics:
        check_metric(metric)
    if not metrics:
        raise ValueError("metrics is empty: give at least one of " + ", ".join(METRICS))
    prepared = prepare(
        image,
        axis=axis,
        metric=metrics[0],
        voxel_um=voxel_um,
        pore_label=pore_label,
        min_slices=2,
        overwrite_input=overwrite_input,
    )
    return _each_metric(prepared, metrics, adaptive_threads, passes_side_by_side)


def _each_metric(prepared, metrics, adaptive_threads, passes_side_by_side):
    # A generator of its own, so that the caller's bad arguments raise at the call, not at
    # the first result. The solver clears its flags from the pore array before it returns, so
    # the next metric finds the pore space as prepared.
    import dataclasses

    n_pore = int(np.count_nonzero(prepared.pore))  # the same for every metric: counted once
    for metric in metrics:
        yield _tortuosity(
            dataclasses.replace(prepared, metric=metric),
            return_maps=False,
            progress=False,
            adaptive_threads=adaptive_threads,
            passes_side_by_side=passes_side_by_side,
            n_pore=n_pore,
        )


def _tortuosity(
    prepared, *, return_maps, progress, adaptive_threads, passes_side_by_side, n_pore=None
) -> TortuosityResult:
    """:func:`geometric_tortuosity` of a prepared image
    (:func:`generator.tortuosity._geodesic.prepare`); ``n_pore``, its pore voxels when already
    counted."""
    from generator._shared import held_memory
    from generator._shared.progress import silent, stage
    from generator.tortuosity._geodesic import Workspace, solve
    from generator.tortuosity._geodesic.tally import tally_reached

    metric = prepared.metric
    pore = prepared.pore
    if n_pore is None:
        n_pore = int(np.count_nonzero(pore))
    if n_pore == 0:
        raise ValueError("the image has no pore voxels (check pore_label)")
    nz = pore.shape[0]
    step = float(prepared.spacing[0])
    length = (nz - 1) * step

    report = stage if progress else silent
    # Inlet and outlet planes in the caller's in-plane order (the solver may have swapped it).
    inlet_pore = prepared.restore_plane(pore[0]) != 0
    threads = _threads_for_both_passes(passes_side_by_side, pore, return_maps, adaptive_threads)
    if threads:
        with report(f"{metric} distances from the outlet and the inlet, side by side"):
            dist_out, dist_in = _solve_side_by_side(prepared, threads, adaptive_threads)
        path_lengths = _path_lengths(prepared, dist_out, inlet_pore)
        reached_out = _reached_bits(dist_out)
    else:
        workspace = Workspace(prepared)
        with report(f"{metric} distances from the outlet"):
            dist_out = solve(
                prepared,
                from_last=True,
                workspace=workspace,
                adaptive_threads=adaptive_threads,
                # A sweep worker's held block, its pages already backed (see held_memory).
                out=held_memory.scratch(pore.shape, np.float32),
            )
        path_lengths = _path_lengths(prepared, dist_out, inlet_pore)
        reached_out = _reached_bits(dist_out)
        with report(f"{metric} distances from the inlet"):
            dist_in = solve(
                prepared,
                from_last=False,
                workspace=workspace,
                adaptive_threads=adaptive_threads,
                out=None if return_maps else dist_out,  # its pages already mapped
            )
    if not return_maps:
        del dist_out

    # Counts, and tau_volume (D_in(v) / z(v) over reached voxels past the first slice), in one
    # pass.
    n_connected, n_percolating, ratio_sum, ratio_count = tally_reached(
        dist_in.reshape(nz, -1), reached_out, step
    )
    del reached_out
    outlet_ratio = np.ascontiguousarray(prepared.restore_plane(dist_in[-1]) / length, np.float32)

    percolating = path_lengths.size > 0
    if percolating:
        tau = float(path_lengths.mean(dtype=np.float64) / length)
    else:
        tau = float("inf")
        warnings.warn(
            "no pore path connects the inlet to the outlet: tau is inf",
            RuntimeWarning,
            stacklevel=2,
        )
    tau_volume = ratio_sum / ratio_count if ratio_count else float("inf")
    return TortuosityResult(
        tau=tau,
        tau_volume=float(tau_volume),
        percolating=bool(percolating),
        metric=metric,
        axis=prepared.flow_axis,
        voxel_um=prepared.voxel_um,
        length_um=length,
        porosity=n_pore / pore.size,
        connected_fraction=n_connected / n_pore,
        percolating_fraction=n_percolating / n_pore,
        isolated_pore_voxels=n_pore - n_connected,
        inlet_pore_voxels=int(np.count_nonzero(inlet_pore)),
        percolating_inlet_voxels=int(path_lengths.size),
        path_lengths_um=path_lengths,
        outlet_ratio=outlet_ratio,
        distance_from_inlet=prepared.restore(dist_in) if return_maps else None,
        distance_from_outlet=prepared.restore(dist_out) if return_maps else None,
    )


def _path_lengths(prepared, dist_out, inlet_pore) -> np.ndarray:
    """The outlet distances of the inlet's pore voxels that reach it, float32."""
    inlet_paths = prepared.restore_plane(dist_out[0])[inlet_pore]
    return inlet_paths[np.isfinite(inlet_paths)].astype(np.float32)


def _reached_bits(dist: np.ndarray) -> np.ndarray:
    """Which voxels a distance field reaches, one bit each, packed slice by slice: a
    full-size boolean (and the one for the inlet, and their AND) lifted a 1000-domain
    sample's peak by 0.9 GB."""
    reached = np.empty((dist.shape[0], (dist[0].size + 7) // 8), dtype=np.uint8)
    for k in range(dist.shape[0]):
        reached[k] = np.packbits(np.isfinite(dist[k]), axis=None)
    return reached


def _threads_for_both_passes(requested, pore, return_maps, adaptive_threads) -> int:
    """numba threads for the two passes side by side (see :func:`geometric_tortuosity`'s
    ``passes_side_by_side``), or 0 to solve them one after the other."""
    if requested not in (None, True, False):
        raise ValueError(f"passes_side_by_side={requested!r} is not True, False or None")
    if requested is False:
        return 0
    import numba

    from generator._shared.guards import MEMORY_SHARE, available_bytes
    from generator._shared.threads import ThreadPacer

    with ThreadPacer(adaptive_threads):  # its first decision: the cores free now
        threads = numba.get_num_threads()
    if requested:
        return threads
    # A second pore array, and a second distance field unless both are kept anyway.
    extra = pore.size * (1 if return_maps else 5)
    if threads < 2 or extra > MEMORY_SHARE * available_bytes():
        return 0
    return threads


def _solve_side_by_side(prepared, threads: int, adaptive_threads=None):
    """Distances from the last slice and from the first at once, the first in this thread and
    the other in a second one, each on half of ``threads`` numba threads (numba's count is
    per thread); the second works in its own copy of the pore array (the solver keeps
    transient flags in it). Returns ``(from_last, from_first)``, as
    :func:`~generator.tortuosity._geodesic.solve` gives them.
    """
    import dataclasses
    from concurrent.futures import ThreadPoolExecutor

    import numba

    from generator.tortuosity._geodesic import Workspace, solve

    other = dataclasses.replace(prepared, pore=prepared.pore.copy())
    outlet_threads = max(1, threads // 2)

    def from_last():
        numba.set_num_threads(outlet_threads)
        return solve(
            other, from_last=True, workspace=Workspace(other), adaptive_threads=adaptive_threads
        )

    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(from_last)
        caller_threads = numba.get_num_threads()
        numba.set_num_threads(max(1, threads - outlet_threads))
        try:
            dist_in = solve(
                prepared,
                from_last=False,
                workspace=Workspace(prepared),
                adaptive_threads=adaptive_threads,
            )
        finally:
            numba.set_num_threads(caller_threads)
        dist_out = pending.result()
    return dist_out, dist_in
