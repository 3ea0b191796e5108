"""What a sweep measures on each sample: the properties, their table columns, units, checks
and memory.

Three properties, chosen with ``--properties`` (default ``geodesic``):

``geodesic``
    Geometric tortuosity through the thickness by both path metrics
    (:func:`generator.tortuosity.geometric.geometric_tortuosity`): ``tau_<metric>``,
    ``tau_volume_<metric>``, the connected and percolating pore fractions.
``diffusive``
    The diffusive tortuosity factor (:func:`generator.tortuosity.diffusive.diffusive_tortuosity`,
    TauFactor's convention, sides closed): ``tau_diffusive``, ``effective_diffusivity`` (D_eff /
    D_bulk), the share of the pore that carries flux and the solver's iterations, residual and
    flux balance.
``psd``
    Pore diameters by local thickness
    (:func:`generator.tortuosity.pore_sizes.pore_size_distribution`): volume-weighted ``d10``,
    ``d50``, ``d90``, their mean and maximum, in um.

A property's columns are all present in a row or all absent: a sweep that asks for a property a
finished sample lacks computes only that one and adds its columns to the sample's file.

Examples
--------
>>> from generator.sweep.properties import check_properties, PROPERTIES
>>> check_properties("psd,geodesic")
('geodesic', 'psd')
>>> sorted(PROPERTIES["psd"].columns)
['pore_d10_um', 'pore_d50_um', 'pore_d90_um', 'pore_max_um', 'pore_mean_um']
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from generator._shared.guards import (
    DIFFUSIVE_BYTES_PER_VOXEL,
    GENERATE_BYTES_PER_VOXEL,
    TORTUOSITY_BYTES_PER_VOXEL,
)
from generator._shared.phases import PORE
from generator.tortuosity.inputs import METRICS
from generator.tortuosity.pore_sizes import PORE_SIZE_BYTES_PER_VOXEL

DEFAULT_PROPERTIES = ("geodesic",)


@dataclass(frozen=True)
class Property:
    """One measured property of a sample.

    Attributes
    ----------
    name : str
    columns : dict
        ``{column: unit}`` of the values it adds to a table row.
    timings : tuple of str
        Columns of its wall times in seconds (run columns: where and how fast, not what); the
        last is ``<name>_cpu_s``, the process's CPU seconds (all threads) it took, which the
        sweep measures around :attr:`measure`.
    bytes_per_voxel : float
        Its peak memory per voxel, the label volume it runs on included.
    measure : callable
        ``measure(volume, voxel_um) -> dict`` of its columns and timings.
    problem : callable
        ``problem(row) -> str or None``: why a stored row's values are not valid ones.
    settings : dict
        How it is computed (recorded in a dataset's provenance).
    measure_pore : callable or None
        ``measure_pore(pore_mask, voxel_um) -> dict``, the same values, for a property that
        reads nothing but the pore: ``pore_mask()`` gives a fresh boolean mask (``True`` pore)
        the property may work in. A sweep then holds the labels packed meanwhile
        (:func:`measure_sample_property`).
    uses_held_block : bool
        Whether its largest array is a sweep worker's held scratch block
        (:mod:`generator._shared.held_memory`); a worker gives the block back before a
        property that does not, so that the block adds nothing to its peak.
    """

    name: str
    columns: dict
    timings: tuple
    bytes_per_voxel: float
    measure: Callable
    problem: Callable
    settings: dict
    measure_pore: Callable | None = None
    uses_held_block: bool = False


def _tortuosity_problem(row: dict, key: str) -> str | None:
    value = float(row[key])
    if math.isnan(value) or value < 1.0:
        return f"its {key}={value} is not a tortuosity (>= 1 or inf)"
    return None


def _fraction_problem(row: dict, key: str) -> str | None:
    if not 0.0 <= float(row[key]) <= 1.0:
        return f"its {key}={row[key]} is outside [0, 1]"
    return None


def _measure_geodesic(volume, voxel_um: float) -> dict:
    return _geodesic_values(lambda: volume == PORE, voxel_um)


def _geodesic_values(pore_mask: Callable, voxel_um: float) -> dict:
    """Both metrics' tortuosity on one fresh boolean pore mask from ``pore_mask()``, which the
    solver works in (copied only where it lays the axes out otherwise); the first metric's
    time includes the mask."""
    from generator.tortuosity.geometric import geometric_tortuosity_by_metric

    values = {}
    tic = time.perf_counter()
    # One pass after the other: side by side would add 5 bytes a voxel to the worker's
    # peak beyond what the sweep's memory estimate (and its refusals) count.
    results = geometric_tortuosity_by_metric(
        pore_mask(),
        METRICS,
        voxel_um=voxel_um,
        overwrite_input=True,
        passes_side_by_side=False,
    )
    for metric, result in zip(METRICS, results, strict=True):
        values[f"tau_{metric}"] = result.tau
        values[f"tau_volume_{metric}"] = result.tau_volume
        toc = time.perf_counter()
        values[f"tortuosity_{metric}_s"] = toc - tic
        tic = toc
    values["connected_fraction"] = result.connected_fraction
    values["percolating_fraction"] = result.percolating_fraction
    values["isolated_pore_voxels"] = result.isolated_pore_voxels
    return values


def _geodesic_problem(row: dict) -> str | None:
    for metric in METRICS:
        for key in (f"tau_{metric}", f"tau_volume_{metric}"):
            problem = _tortuosity_problem(row, key)
            if problem:
                return problem
    for key in ("connected_fraction", "percolating_fraction"):
        problem = _fraction_problem(row, key)
        if problem:
            return problem
    return None


def _measure_diffusive(volume, voxel_um: float) -> dict:
    import warnings

    from generator.tortuosity.diffusive import diffusive_tortuosity

    tic = time.perf_counter()
    with warnings.catch_warnings():
        # A sample without a percolating path is a valid row (tau inf), not a warning per sample.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = diffusive_tortuosity(volume, axis="z", voxel_um=voxel_um, pore_label=PORE)
    if not result.converged and result.effective_diffusivity > 0:
        raise RuntimeError(
            f"the diffusive solve stopped after {result.iterations} iterations at relative "
            f"residual {result.relative_residual:.2e} (tolerance {result.tolerance:.0e}) and flux "
            f"balance {result.flux_balance:.2e}: not converged, not recorded"
        )
    return {
        "tau_diffusive": result.tau_factor,
        "effective_diffusivity": result.effective_diffusivity,
        "diffusive_percolating_fraction": result.percolating_fraction,
        "diffusive_iterations": int(result.iterations),
        "diffusive_residual": result.relative_residual,
        "diffusive_flux_balance": result.flux_balance,
        "diffusive_s": time.perf_counter() - tic,
    }


def _diffusive_problem(row: dict) -> str | None:
    problem = _tortuosity_problem(row, "tau_diffusive")
    if problem:
        return problem
    for key in ("effective_diffusivity", "diffusive_percolating_fraction"):
        problem = _fraction_problem(row, key)
        if problem:
            return problem
    if float(row["effective_diffusivity"]) > 0 and int(row["diffusive_iterations"]) < 1:
        return f"its diffusive_iterations={row['diffusive_iterations']} is not a solve"
    return None


def _measure_psd(volume, voxel_um: float) -> dict:
    from generator.tortuosity.pore_sizes import pore_size_distribution

    tic = time.perf_counter()
    result = pore_size_distribution(volume, voxel_um=voxel_um, pore_label=PORE)
    return {
        "pore_d10_um": result.d10,
        "pore_d50_um": result.d50,
        "pore_d90_um": result.d90,
        "pore_mean_um": result.mean,
        "pore_max_um": result.max,
        "psd_s": time.perf_counter() - tic,
    }


def _psd_problem(row: dict) -> str | None:
    values = [float(row[f"pore_{key}_um"]) for key in ("d10", "d50", "d90", "max")]
    if not all(math.isfinite(v) and v > 0 for v in values) or values != sorted(values):
        return f"its pore diameters d10, d50, d90, max = {values} are not increasing positive sizes"
    return None


def _geodesic_columns() -> dict:
    columns = {}
    for metric in METRICS:
        columns[f"tau_{metric}"] = "1"
        columns[f"tau_volume_{metric}"] = "1"
    columns.update(connected_fraction="1", percolating_fraction="1", isolated_pore_voxels="voxels")
    return columns


PROPERTIES = {
    "geodesic": Property(
        name="geodesic",
        columns=_geodesic_columns(),
        timings=(*(f"tortuosity_{metric}_s" for metric in METRICS), "geodesic_cpu_s"),
        bytes_per_voxel=TORTUOSITY_BYTES_PER_VOXEL,
        measure=_measure_geodesic,
        problem=_geodesic_problem,
        settings={"metrics": list(METRICS), "axis": "z", "inflow": "first slice"},
        measure_pore=_geodesic_values,
        uses_held_block=True,
    ),
    "diffusive": Property(
        name="diffusive",
        columns={
            "tau_diffusive": "1",
            "effective_diffusivity": "1",
            "diffusive_percolating_fraction": "1",
            "diffusive_iterations": "1",
            "diffusive_residual": "1",
            "diffusive_flux_balance": "1",
        },
        timings=("diffusive_s", "diffusive_cpu_s"),
        bytes_per_voxel=DIFFUSIVE_BYTES_PER_VOXEL + 1.0,
        measure=_measure_diffusive,
        problem=_diffusive_problem,
        settings={"axis": "z", "boundary": "no_flux", "convention": "TauFactor"},
    ),
    "psd": Property(
        name="psd",
        columns={
            "pore_d10_um": "um",
            "pore_d50_um": "um",
            "pore_d90_um": "um",
            "pore_mean_um": "um",
            "pore_max_um": "um",
        },
        timings=("psd_s", "psd_cpu_s"),
        bytes_per_voxel=PORE_SIZE_BYTES_PER_VOXEL + 1.0,
        measure=_measure_psd,
        problem=_psd_problem,
        settings={"method": "local thickness", "weighting": "volume"},
    ),
}


def measure_property(name: str, volume, voxel_um: float) -> dict:
    """Measure one property: its columns, its timings and ``<name>_cpu_s``.

    ``<name>_cpu_s`` is the CPU time of the whole process (every thread) while it ran: with
    ``generate_cpu_s``, the cost of a sample at this fidelity in CPU seconds, whatever the
    threads or the machine's load.
    """
    return _cpu_timed(name, lambda: PROPERTIES[name].measure(volume, voxel_um))


def measure_sample_property(name: str, sample) -> dict:
    """:func:`measure_property` on a generated sample, with the least memory: while a property
    that reads only the pore runs (:attr:`Property.measure_pore`), the sample's labels are held
    at two bits a voxel (:class:`~generator._shared.packed_labels.PackedLabels`) instead of a
    byte, and given back to ``sample.volume`` unchanged afterwards, also when it fails.

    The values are those of ``measure_property(name, sample.volume, sample.voxel_um)``.
    """
    measure_pore = PROPERTIES[name].measure_pore
    if measure_pore is None:
        return measure_property(name, sample.volume, sample.voxel_um)
    from generator._shared.packed_labels import PackedLabels

    def measure() -> dict:
        packed = PackedLabels.pack(sample.volume)
        sample.volume = None  # the sample held the only reference: the packed copy stands in
        try:
            return measure_pore(lambda: packed.mask(PORE), sample.voxel_um)
        finally:
            sample.volume = packed.unpack()

    return _cpu_timed(name, measure)


def _cpu_timed(name: str, measure: Callable) -> dict:
    cpu = time.process_time()
    values = measure()
    values[f"{name}_cpu_s"] = time.process_time() - cpu
    return values


def check_properties(properties) -> tuple[str, ...]:
    """The properties asked for, validated, without repeats, in the canonical order.

    Parameters
    ----------
    properties : str or iterable of str
        Names, or one comma-separated text (``"geodesic,diffusive"``).

    Returns
    -------
    tuple of str

    Raises
    ------
    ValueError
        An unknown name (naming it and the known ones), or none at all.

    Examples
    --------
    >>> check_properties(["diffusive", "geodesic", "diffusive"])
    ('geodesic', 'diffusive')
    >>> check_properties("tortuosity")
    Traceback (most recent call last):
    ...
    ValueError: 'properties' names 'tortuosity', which is not one of geodesic, diffusive, psd
    """
    names = properties.split(",") if isinstance(properties, str) else list(properties)
    names = [str(name).strip() for name in names if str(name).strip()]
    for name in names:
        if name not in PROPERTIES:
            raise ValueError(
                f"'properties' names {name!r}, which is not one of {', '.join(PROPERTIES)}"
            )
    if not names:
        raise ValueError(f"'properties' names none; expected some of {', '.join(PROPERTIES)}")
    return tuple(name for name in PROPERTIES if name in names)


def property_columns(name: str) -> tuple[str, ...]:
    """Every column a property adds to a row: its values, its timing(s) and its CPU seconds."""
    return (*PROPERTIES[name].columns, *PROPERTIES[name].timings)


def properties_in_row(row: dict) -> tuple[tuple[str, ...], str | None]:
    """Which properties a stored row holds, or why its columns are not whole properties.

    Returns
    -------
    (tuple of str, str or None)
        The properties whose columns are all in the row, and a problem when a property's
        columns are only partly there.
    """
    present = []
    for name in PROPERTIES:
        columns = property_columns(name)
        found = [column for column in columns if column in row]
        if len(found) == len(columns):
            present.append(name)
        elif found:
            missing = sorted(set(columns) - set(found))
            return tuple(present), f"its row has part of the {name} columns (lacks {missing})"
    return tuple(present), None


def peak_bytes_per_voxel(properties) -> float:
    """Peak bytes a voxel of one sample task: generation, then the volume beside the largest of
    the properties' working memories (one property runs at a time).

    Examples
    --------
    >>> peak_bytes_per_voxel(("geodesic",))
    7.5
    >>> peak_bytes_per_voxel(("geodesic", "diffusive"))
    23.0
    """
    largest = max(PROPERTIES[name].bytes_per_voxel for name in check_properties(properties))
    return max(GENERATE_BYTES_PER_VOXEL, largest)
