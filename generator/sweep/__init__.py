"""Sweep: datasets of many samples, on a laptop or a cluster.

A plan (:mod:`~generator.sweep.plan`: a space-filling design from :mod:`~generator.sweep.design`
and the tasks' ids) runs through an executor (:mod:`~generator.sweep.executors`, in process or
on Dask, whose clusters :mod:`~generator.sweep.clusters` starts); each task
(:mod:`~generator.sweep.sample_task`) writes one sample file, and :mod:`~generator.sweep.run`
consolidates them into one dataset file (:mod:`~generator.sweep.dataset`). What a sweep may
touch is decided in :mod:`~generator.sweep.ownership`; :mod:`~generator.sweep.options` takes a
sweep or a merge from options as a person gives them (what the command lines call);
:mod:`~generator.sweep.noise_floor` measures the seed-to-seed scatter of a design.

Public API
----------
SweepPlan, run_sweep, merge, missing_shards
    Plan a sweep, run it, merge shards, list what is missing.
DaskExecutor, InProcessExecutor, numba_cache_folder
    Where the tasks run; the workers' numba cache.
PlanOptions, ClusterOptions, sweep_from_options, merge_from_options, SweepReport
    A sweep or a merge from a person's options, with what to print and the exit code.
open_dataset, SweepDataset, TAU_COLUMNS, UNITS, SHIPPED_DATA
    Read a dataset; its columns, units and the shipped datasets' folder.
PARAMETERS, make_design, parse_ranges, validate_ranges, MAX_SAMPLES
    The design's parameters and ranges; the most samples a design holds.
floor_sentence
    The noise floor of the shipped datasets, in one sentence.
"""

from generator._shared.lazy import lazy_index

_EXPORTS = {
    "SweepPlan": "generator.sweep.plan",
    "run_sweep": "generator.sweep.run",
    "merge": "generator.sweep.run",
    "missing_shards": "generator.sweep.run",
    "DaskExecutor": "generator.sweep.executors",
    "InProcessExecutor": "generator.sweep.executors",
    "numba_cache_folder": "generator.sweep.executors",
    "PlanOptions": "generator.sweep.options",
    "ClusterOptions": "generator.sweep.options",
    "SweepReport": "generator.sweep.options",
    "sweep_from_options": "generator.sweep.options",
    "merge_from_options": "generator.sweep.options",
    "open_dataset": "generator.sweep.dataset",
    "SweepDataset": "generator.sweep.dataset",
    "TAU_COLUMNS": "generator.sweep.dataset",
    "UNITS": "generator.sweep.dataset",
    "SHIPPED_DATA": "generator.sweep.dataset",
    "PARAMETERS": "generator.sweep.design",
    "MAX_SAMPLES": "generator.sweep.design",
    "make_design": "generator.sweep.design",
    "parse_ranges": "generator.sweep.design",
    "validate_ranges": "generator.sweep.design",
    "floor_sentence": "generator.sweep.noise_floor",
}

__all__ = [
    "ClusterOptions",
    "DaskExecutor",
    "InProcessExecutor",
    "MAX_SAMPLES",
    "PARAMETERS",
    "PlanOptions",
    "SHIPPED_DATA",
    "SweepDataset",
    "SweepPlan",
    "SweepReport",
    "TAU_COLUMNS",
    "UNITS",
    "floor_sentence",
    "make_design",
    "merge",
    "merge_from_options",
    "missing_shards",
    "numba_cache_folder",
    "open_dataset",
    "parse_ranges",
    "run_sweep",
    "sweep_from_options",
    "validate_ranges",
]

__getattr__, __dir__ = lazy_index(__name__, _EXPORTS)
