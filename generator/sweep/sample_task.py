"""One sample of a sweep: generate, measure the tortuosity, write one file atomically; and the
check that decides whether a file found later is a finished sample of a given task.

This is the unit of work a Dask worker (or a batch array task) runs. It never raises: a sample
that fails returns a row with ``status = "failed"`` and the error, and writes no file, so a
resumed sweep tries it again. The file is an ordinary sample file (the format
``python -m generator sample`` writes, read by ``read_sample``, ``show`` and ``tortuosity``)
with the sweep's task, plan and table row as extra attributes.
"""

from __future__ import annotations

import json
import math
import os
import resource
import time
import traceback
from pathlib import Path

from generator._shared.phases import PORE
from generator.sweep.design import PARAMETERS
from generator.tortuosity.inputs import METRICS

# Root attributes a sweep adds to a sample file.
TASK_ATTRIBUTE, ROW_ATTRIBUTE, PLAN_ATTRIBUTE = "sweep_task", "sweep_row", "sweep_plan"
# The sweep sample format of versions before 2 (a file of its own kind), recognised so that
# --force can remove it and a resume can name it.
LEGACY_FORMAT = "gdl-sweep-sample"
# Task keys that say which sample it is (the rest say where and how to store it).
IDENTITY_KEYS = ("id", "index", "seed", "domain", "voxel_um", "stratify", *PARAMETERS)


_WARMED = False


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def warm_up() -> float:
    """Compile (or load from numba's cache) every kernel a sample uses, once per process.

    Returns the seconds it took (0 after the first call), recorded as ``compile_s`` so that
    the generation and tortuosity timings of a sample never include compilation.
    """
    global _WARMED
    if _WARMED:
        return 0.0
    from generator.structure.generate import generate
    from generator.tortuosity.geometric import geometric_tortuosity

    tic = time.perf_counter()
    sample = generate(domain=(160, 160), voxel_um=4.0, fiber_diameter_um=8, compression=0.2)
    for metric in METRICS:
        geometric_tortuosity(sample.volume, metric=metric, voxel_um=4.0, pore_label=PORE)
    _WARMED = True
    return time.perf_counter() - tic


def run_sample(task: dict) -> dict:
    """Generate one sample and its tortuosities; write ``<folder>/<id>.h5``; return its row.

    Parameters
    ----------
    task : dict
        ``id``, ``index``, the five parameters, ``seed``, ``domain``, ``voxel_um``,
        ``stratify``, ``folder``, ``keep_volume`` and ``plan`` (the plan's identity, stored
        with the file).

    Returns
    -------
    dict
        The table row: the task's values, the measured fractions, ``tau`` and ``tau_volume`` per
        metric, connected and percolating fractions, status, error, seconds per stage, the
        worker's peak memory, host and process id.
    """
    row = {key: task[key] for key in ("id", "index", "seed", *PARAMETERS)}
    row.update(status="failed", error="", host=os.uname().nodename, pid=os.getpid())
    row["compile_s"] = 0.0
    start = time.perf_counter()
    try:
        row["compile_s"] = warm_up()
        start = time.perf_counter()
        from generator.structure.generate import generate
        from generator.tortuosity.geometric import geometric_tortuosity

        sample = generate(
            domain=task["domain"],
            seed=int(task["seed"]),
            voxel_um=float(task["voxel_um"]),
            stratify=bool(task["stratify"]),
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
            result = geometric_tortuosity(
                sample.volume, metric=metric, voxel_um=sample.voxel_um, pore_label=PORE
            )
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
    from generator.structure.sample import write_sample

    stored_task = {key: task[key] for key in IDENTITY_KEYS}
    write_sample(
        sample,
        path,
        force=True,  # the sweep found no valid file here: a stale or damaged one is replaced
        keep_volume=bool(task["keep_volume"]),
        extra_attrs={
            TASK_ATTRIBUTE: json.dumps(stored_task),
            PLAN_ATTRIBUTE: json.dumps(task["plan"], sort_keys=True),
            ROW_ATTRIBUTE: json.dumps(row),
        },
    )


def sample_file_kind(path) -> str:
    """What a file in a samples folder is: ``"sweep-sample"`` (this project's sweep sample),
    ``"legacy-sample"`` (the sweep format before version 2), ``"sample"`` (a sample file
    without sweep attributes), ``"damaged"`` (not readable as HDF5) or ``"foreign"``."""
    import h5py

    from generator.structure.sample import FORMAT

    try:
        with h5py.File(path, "r") as f:
            file_format = f.attrs.get("format")
            has_row = ROW_ATTRIBUTE in f.attrs
    except OSError:
        return "damaged"
    if file_format == FORMAT:
        return "sweep-sample" if has_row else "sample"
    return "legacy-sample" if file_format == LEGACY_FORMAT else "foreign"


def stored_plan(path) -> dict | None:
    """The plan identity recorded in a sweep sample file, None when it has none."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            text = f.attrs.get(PLAN_ATTRIBUTE)
            return json.loads(text) if text is not None else None
    except (OSError, ValueError):
        return None


def _same_number(a, b) -> bool:
    try:
        return repr(float(a)) == repr(float(b))
    except (TypeError, ValueError):
        return False


def _row_problem(row: dict, task: dict) -> str | None:
    """Why a stored row cannot be this task's finished row, or None when it can."""
    from generator.sweep.dataset import UNITS

    if row.get("status") != "ok":
        return f"its row has status {row.get('status')!r}"
    if set(row) != set(UNITS):
        extra = sorted(set(row) - set(UNITS))
        missing = sorted(set(UNITS) - set(row))
        return f"its row has columns {extra} it should not have and lacks {missing}"
    if row["id"] != task["id"] or int(row["index"]) != int(task["index"]):
        return f"its row is sample {row['index']} ({row['id']}), not {task['index']}"
    if int(row["seed"]) != int(task["seed"]):
        return f"its row has seed {row['seed']}, the task {task['seed']}"
    for name in PARAMETERS:
        if not _same_number(row[name], task[name]):
            return f"its row has {name}={row[name]}, the task {task[name]}"
    for metric in METRICS:
        for key in (f"tau_{metric}", f"tau_volume_{metric}"):
            value = float(row[key])
            if math.isnan(value) or value < 1.0:
                return f"its {key}={value} is not a tortuosity (>= 1 or inf)"
    for key in ("connected_fraction", "percolating_fraction"):
        if not 0.0 <= float(row[key]) <= 1.0:
            return f"its {key}={row[key]} is outside [0, 1]"
    return None


def verify_sample_file(path, task: dict) -> tuple[dict | None, str]:
    """The finished row of ``task`` stored at ``path``, or None and the reason it is not one.

    A file is trusted only when it is a sweep sample file whose checksum verifies, made by this
    code (model version), for this task (identity keys), with a row that matches the task and
    holds valid values, and with a volume if the task keeps volumes.

    Parameters
    ----------
    path : str or Path
    task : dict

    Returns
    -------
    (dict or None, str)
        The row and ``""``, or None and why (``"missing"`` when there is no file).
    """
    import h5py

    from generator._shared.hdf5 import verify_checksum
    from generator._shared.model_version import model_version
    from generator.structure.sample import FORMAT

    path = Path(path)
    if not path.exists():
        return None, "missing"
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT or ROW_ATTRIBUTE not in f.attrs:
                return None, "not a sweep sample file of this version"
            if not verify_checksum(f):
                return None, "its checksum does not match its content (damaged file)"
            made_by = str(f.attrs.get("model_version"))
            if made_by != model_version():
                return None, f"made by model {made_by}, this code is {model_version()}"
            stored_task = json.loads(f.attrs[TASK_ATTRIBUTE])
            row = json.loads(f.attrs[ROW_ATTRIBUTE])
            has_volume = "volume" in f
    except (OSError, KeyError, ValueError, RuntimeError) as err:
        return None, f"unreadable ({type(err).__name__}: {err})"
    for key in IDENTITY_KEYS:
        if not (stored_task.get(key) == task[key] or _same_number(stored_task.get(key), task[key])):
            return None, f"made for {key}={stored_task.get(key)!r}, the task has {task[key]!r}"
    problem = _row_problem(row, task)
    if problem:
        return None, problem
    if task["keep_volume"] and not has_volume:
        return None, "it stores no volume (made with keep_volumes=False) and volumes are asked for"
    return row, ""
