"""Sweeps: a plan of samples run by an executor, one file per sample, consolidated into a
dataset.

The pieces: :class:`generator.sweep.plan.SweepPlan` (the design, ids and what is done),
:mod:`generator.sweep.ownership` (what may be written or removed), :mod:`generator.sweep.executors`
(here or
on Dask) and :func:`consolidate` (the dataset file, also used by :func:`merge`). Durability: each
worker writes its own sample file under a temporary name and renames it into place; a resumed
sweep trusts a file only when its checksum, its model version and its row verify against its
task, and says which files it redoes and why.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from generator._shared.progress import ProgressCounter
from generator.sweep.design import PARAMETERS
from generator.sweep.executors import DaskExecutor, InProcessExecutor, failed_row
from generator.sweep.plan import SweepPlan

log = logging.getLogger("generator.sweep.run")


@dataclass
class SweepSummary:
    """What a sweep (or a merge) did."""

    dataset: Path
    total: int
    skipped: int = 0
    ran: int = 0
    failed: list = field(default_factory=list)  # (index, error)
    redone: list = field(default_factory=list)  # (index, reason a found file was not trusted)
    missing: list = field(default_factory=list)  # indices without a finished sample (merge)
    seconds: float = 0.0
    dry_run: bool = False


def sweep_provenance(plan: SweepPlan, command_line: str = "") -> dict:
    """What a dataset file records about how it was made, with the plan's identity."""
    from generator import __version__
    from generator._shared.provenance import provenance

    record = provenance()
    record.update(
        command_line=command_line or record["command_line"],
        design=plan.design,
        design_seed=plan.seed,
        n=plan.n,
        domain=plan.domain,
        voxel_um=plan.voxel_um,
        ranges={name: list(plan.ranges[name]) for name in PARAMETERS},
        generator_version=__version__,
        model_version=plan.model,
        plan=plan.identity(),
    )
    return record


def consolidate(
    plan: SweepPlan,
    rows_by_id: dict,
    command_line: str = "",
    tasks: list[dict] | None = None,
    selection: dict | None = None,
) -> Path:
    """Write the plan's dataset from the rows at hand: one row per task (every task of the
    plan, or ``tasks``), in design order; a task without a row is recorded as failed
    ("missing"). ``selection`` (how ``tasks`` were chosen) goes into the provenance."""
    from generator.sweep.dataset import write_dataset

    tasks = plan.tasks if tasks is None else sorted(tasks, key=lambda task: task["index"])
    rows = [
        rows_by_id.get(task["id"]) or failed_row(task, "missing: no finished sample file")
        for task in tasks
    ]
    record = sweep_provenance(plan, command_line)
    if selection is not None:
        record["selection"] = selection
    plan.out.parent.mkdir(parents=True, exist_ok=True)
    return write_dataset(plan.out, rows, record, plan.folder if plan.keep_volumes else None)


def _dry_run(plan: SweepPlan, tasks: list[dict], scan) -> None:
    print(plan.describe())
    for task, reason in scan.redo:
        print(f"would redo {task['index']:4d} {task['id']}: {reason}")
    for task in scan.pending:
        values = ", ".join(f"{name}={task[name]:.4g}" for name in PARAMETERS)
        print(f"would run {task['index']:4d} {task['id']} seed={task['seed']} {values}")
    print(f"{len(scan.pending)} to run, {len(scan.done)} already done, dataset {plan.out}")


def run_sweep(
    plan: SweepPlan,
    *,
    executor=None,
    force: bool = False,
    dry_run: bool = False,
    shard: tuple[int, int] | None = None,
    shard_base: int = 1,
    explicit_out: bool = True,
    sample_function=None,
    command_line: str = "",
    indices: list[int] | None = None,
    selection: dict | None = None,
) -> SweepSummary:
    """Run (or resume) a sweep and write its dataset file.

    Parameters
    ----------
    plan : SweepPlan
    executor : DaskExecutor or InProcessExecutor, optional
        Where the samples run; a local Dask cluster by default, this process for a shard.
    force : bool
        Start over: remove this project's dataset and sample files at the plan's paths
        (refused with ``shard``: one shard must not remove the others' samples).
    dry_run : bool
        Print the plan and what would run; write nothing.
    shard : (int, int), optional
        ``(I, N)``: run only shard I of N interleaved slices, in this process, and leave the
        dataset to :func:`merge` (batch arrays).
    shard_base : {1, 0}
        Number of the first shard.
    explicit_out : bool
        Whether the user named the output (the shipped datasets are rewritten only then).
    sample_function : callable, optional
        Replaces :func:`generator.sweep.sample_task.run_sample` (task dict -> row dict); it must be
        importable by the workers.
    command_line : str
        Recorded in the dataset's provenance.
    indices : list of int, optional
        Run only these samples of the design (by index), and write a dataset of them alone:
        the samples an active-learning loop chose from the plan's design as its candidates.
    selection : dict, optional
        How ``indices`` were chosen, recorded in the dataset's provenance.

    Returns
    -------
    SweepSummary
    """
    from generator.sweep.ownership import check_output, check_writable, remove_plan_files
    from generator.sweep.sample_task import run_sample

    if force and shard is not None:
        raise ValueError("force=True with a shard would remove the other shards' samples: refused")
    if indices is not None:
        if shard is not None:
            raise ValueError("a shard and a list of sample indices exclude each other")
        bad = [i for i in indices if not 0 <= int(i) < plan.n]
        if bad:
            raise ValueError(f"sample indices {bad[:5]} are outside the design's 0..{plan.n - 1}")
        tasks = [plan.tasks[int(i)] for i in sorted(set(indices))]
    else:
        tasks = plan.tasks if shard is None else plan.shard(*shard, base=shard_base)
    if executor is None:
        executor = InProcessExecutor() if shard is not None else DaskExecutor()
    if not dry_run:
        executor.check_plan(plan)
        check_output(plan, force=force, explicit_out=explicit_out)
        if force:
            removed = remove_plan_files(plan)
            log.info("force removed %d files of this project", len(removed))
    scan = plan.scan(tasks)
    summary = SweepSummary(dataset=plan.out, total=len(tasks), dry_run=dry_run)
    summary.skipped = len(scan.done)
    summary.redone = [(task["index"], reason) for task, reason in scan.redo]
    if dry_run:
        _dry_run(plan, tasks, scan)
        return summary
    for index, reason in summary.redone:
        print(f"redoing sample {index}: {reason}", file=sys.stderr)
    check_writable(
        plan.folder, todo=len(scan.pending), voxels=plan.voxels(), keep_volumes=plan.keep_volumes
    )
    start = time.time()
    rows = dict(scan.done)
    if scan.pending:
        label = f"sweep {plan.domain}" + (f" shard {shard[0]}/{shard[1]}" if shard else "")
        progress = ProgressCounter(len(scan.pending), label)

        def on_row(row: dict) -> None:
            rows[row["id"]] = row
            progress.step(row["status"] == "ok")
            if row["status"] != "ok":
                summary.failed.append((row["index"], row["error"]))
                log.warning("sample %s failed: %s", row["index"], row["error"])

        try:
            executor.run(plan, scan.pending, sample_function or run_sample, on_row)
        finally:
            progress.close()
        summary.ran = len(scan.pending)
    summary.seconds = time.time() - start
    if shard is None:
        consolidate(plan, rows, command_line, tasks if indices is not None else None, selection)
    return summary


def merge(
    plan: SweepPlan,
    *,
    shards: int | None = None,
    force: bool = False,
    explicit_out: bool = True,
    command_line: str = "",
) -> SweepSummary:
    """Consolidate the sample files of a sharded sweep into its dataset file.

    Samples whose file is missing or not trusted are recorded as failed and listed in
    ``summary.missing`` (with ``shards``, :func:`missing_shards` names the shards to rerun).
    """
    from generator.sweep.ownership import check_output

    check_output(plan, force=force, explicit_out=explicit_out)
    scan = plan.scan()
    summary = SweepSummary(dataset=plan.out, total=len(plan.tasks), skipped=len(scan.done))
    summary.missing = [task["index"] for task in scan.pending]
    summary.redone = [(task["index"], reason) for task, reason in scan.redo]
    summary.failed = [(index, "missing: no finished sample file") for index in summary.missing]
    consolidate(plan, scan.done, command_line)
    return summary


def missing_shards(plan: SweepPlan, indices: list[int], count: int, base: int = 1) -> list[int]:
    """Shard numbers (from ``base``) that hold the given design indices."""
    return sorted({index % count + base for index in indices})
