"""One sample of a sweep: generate, measure the tortuosity, write one file atomically.

This is the unit of work a Dask worker (or a batch array task) runs. It never raises: a sample
that fails returns a row with ``status = "failed"`` and the error, and writes no file, so a
resumed sweep tries it again.
"""

from __future__ import annotations

import json
import os
import resource
import time
import traceback
from pathlib import Path

import numpy as np

from generator.design import PARAMETERS

METRICS = ("euclidean", "lattice")
RESULT_FORMAT = "gdl-sweep-sample"


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_sample(task: dict) -> dict:
    """Generate one sample and its tortuosities; write ``<folder>/<id>.h5``; return its row.

    Parameters
    ----------
    task : dict
        ``id``, ``index``, the five parameters, ``seed``, ``domain``, ``voxel_um``, ``folder``
        and ``keep_volume``.

    Returns
    -------
    dict
        The table row: the task's values, the measured fractions, ``tau`` and ``tau_volume`` per
        metric, connected and percolating fractions, status, error, seconds per stage, the
        worker's peak memory, host and process id.
    """
    row = {key: task[key] for key in ("id", "index", "seed", *PARAMETERS)}
    row.update(status="failed", error="", host=os.uname().nodename, pid=os.getpid())
    start = time.perf_counter()
    try:
        from generator.structure import generate
        from generator.tortuosity import geometric_tortuosity

        sample = generate(
            domain=task["domain"],
            seed=int(task["seed"]),
            voxel_um=float(task["voxel_um"]),
            **{name: float(task[name]) for name in PARAMETERS},
        )
        for stage in ("before_compression", "after_compression"):
            for phase, value in sample.fractions[stage].items():
                row[f"{phase}_fraction_{stage.split('_')[0]}"] = value
        row["thickness_voxels"] = int(sample.volume.shape[0])
        row["n_fibres"] = len(sample.fibres)
        row["generate_s"] = time.perf_counter() - start
        for metric in METRICS:
            tic = time.perf_counter()
            result = geometric_tortuosity(sample.volume, metric=metric, voxel_um=sample.voxel_um)
            row[f"tau_{metric}"] = result.tau
            row[f"tau_volume_{metric}"] = result.tau_volume
            row[f"tortuosity_{metric}_s"] = time.perf_counter() - tic
        row["connected_fraction"] = result.connected_fraction
        row["percolating_fraction"] = result.percolating_fraction
        row["isolated_pore_voxels"] = result.isolated_pore_voxels
        row["status"] = "ok"
        row["total_s"] = time.perf_counter() - start
        row["peak_rss_gib"] = _peak_rss_gib()
        _write_sample_file(Path(task["folder"]) / f"{task['id']}.h5", row, task, sample)
    except Exception as err:  # a failed sample is data for the table, not a crash
        row["status"] = "failed"
        row["error"] = f"{type(err).__name__}: {err}"
        row["traceback"] = traceback.format_exc(limit=5)
        row["total_s"] = time.perf_counter() - start
    return row


def _write_sample_file(path: Path, row: dict, task: dict, sample) -> None:
    import h5py

    from generator.io import atomic_file, provenance

    with atomic_file(path) as temporary:
        with h5py.File(temporary, "w") as f:
            f.attrs["format"] = RESULT_FORMAT
            f.attrs["row"] = json.dumps(row)
            f.attrs["task"] = json.dumps({k: v for k, v in task.items() if k != "folder"})
            f.attrs["provenance"] = json.dumps(provenance())
            if task["keep_volume"]:
                f.create_dataset(
                    "volume",
                    data=sample.volume,
                    chunks=tuple(
                        min(n, c) for n, c in zip(sample.volume.shape, (16, 128, 128), strict=True)
                    ),
                    compression="gzip",
                    compression_opts=4,
                    shuffle=True,
                )
                f["volume"].attrs["axes"] = "z,y,x"
                f["volume"].attrs["voxel_um"] = sample.voxel_um
            f.create_dataset("fibre_direction", data=sample.fibres.direction.astype(np.float32))


def read_sample_row(path) -> dict | None:
    """The row stored in a finished sample file, or None if the file is missing or corrupt."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != RESULT_FORMAT:
                return None
            row = json.loads(f.attrs["row"])
    except (OSError, KeyError, ValueError):
        return None
    return row if row.get("status") == "ok" else None
