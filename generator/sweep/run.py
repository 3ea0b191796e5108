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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from generator._shared.progress import ProgressCounter
from generator.sweep.design import PARAMETERS
from generator.sweep.executors import DaskExecutor, InProcessExecutor, failed_row
from generator.sweep.plan import SweepPlan
from generator.sweep.properties import PROPERTIES

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
    refused: list = field(default_factory=list)  # (index, why the guards refuse it; not run)
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
        properties=list(plan.properties),
        property_settings={name: PROPERTIES[name].settings for name in plan.properties},
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
    record["cpu_seconds"] = cpu_seconds(rows)
    if selection is not None:
        record["selection"] = selection
    plan.out.parent.mkdir(parents=True, exist_ok=True)
    return write_dataset(plan.out, rows, record, plan.folder if plan.keep_volumes else None)


def cpu_seconds(rows: list[dict]) -> dict:
    """CPU seconds the finished rows took, by stage (``generate`` and each property measured):
    what the dataset cost, whatever the machine's threads and load.

    Examples
    --------
    >>> rows = [{"status": "ok", "generate_cpu_s": 2.0, "diffusive_cpu_s": 5.0},
    ...         {"status": "ok", "generate_cpu_s": 3.0, "geodesic_cpu_s": 1.0},
    ...         {"status": "failed", "generate_cpu_s": 9.0}]
    >>> cpu_seconds(rows)
    {'generate': 5.0, 'geodesic': 1.0, 'diffusive': 5.0}
    """
    totals = {}
    for stage in ("generate", *PROPERTIES):
        column = f"{stage}_cpu_s"
        values = [float(row[column]) for row in rows if row.get("status") == "ok" and column in row]
        if values:
            totals[stage] = sum(values)
    return totals


def _refusal_counts(refused: list) -> str:
    """``"voxel coarser than the fibre diameter: 3"``, one entry per reason."""
    counts = Counter(reason for _, reason, _ in refused)
    return ", ".join(f"{reason}: {count}" for reason, count in counts.items())


def _refuse_all(refused: list) -> None:
    """Refuse a sweep whose every sample the guards refuse (nothing would run)."""
    task, _, message = refused[0]
    raise ValueError(
        f"all {len(refused)} samples to run would be refused ({_refusal_counts(refused)}); "
        f"sample {task['index']}: {message}"
    )


def _dry_run(plan: SweepPlan, scan, refused: list) -> None:
    print(plan.describe())
    for task, reason in scan.redo:
        print(f"would redo {task['index']:4d} {task['id']}: {reason}")
    for task, _, message in refused:
        print(f"would refuse {task['index']:4d} {task['id']}: {message}")
    refused_ids = {task["id"] for task, _, _ in refused}
    for task in scan.pending:
        if task["id"] in refused_ids:
            continue
        if "start_row" in task:
            source = "its stored volume" if task["stored_volume"] else "the regenerated structure"
            print(
                f"would add {', '.join(task['properties'])} to {task['index']:4d} {task['id']} "
                f"(on {source})"
            )
            continue
        values = ", ".join(f"{name}={task[name]:.4g}" for name in PARAMETERS)
        print(f"would run {task['index']:4d} {task['id']} seed={task['seed']} {values}")
    counts = f", {len(refused)} refused ({_refusal_counts(refused)})" if refused else ""
    extend = sum("start_row" in task for task in scan.pending if task["id"] not in refused_ids)
    adding = f" ({extend} of them adding properties to a finished sample)" if extend else ""
    print(
        f"{len(scan.pending) - len(refused)} to run{adding}{counts}, "
        f"{len(scan.done)} already done, dataset {plan.out}"
    )


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
        Print the plan, what would run and what the guards would refuse; write nothing (the
        executor, the output and the guards are checked as for a run).
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
        Samples the guards refuse (:meth:`SweepPlan.refusals`: a voxel coarser than their
        fibres, a grid too small, more memory than a worker has) are not run: they are
        recorded as failed, with the reason.

    Raises
    ------
    ValueError
        Bad options, an output this sweep does not own, or every sample to run refused.
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
    # A dry run checks what the run checks (executor, output, guards) and writes nothing.
    executor.check_plan(plan)
    check_output(plan, force=force, explicit_out=explicit_out)
    if force and not dry_run:
        removed = remove_plan_files(plan)
        log.info("force removed %d files of this project", len(removed))
    scan = plan.scan(tasks)
    worker_memory = getattr(executor, "worker_memory", lambda: None)()
    refused = plan.refusals(scan.pending, worker_memory=worker_memory)
    if refused and len(refused) == len(scan.pending) and not scan.done:
        _refuse_all(refused)
    summary = SweepSummary(dataset=plan.out, total=len(tasks), dry_run=dry_run)
    summary.skipped = len(scan.done)
    summary.redone = [(task["index"], reason) for task, reason in scan.redo]
    summary.refused = [(task["index"], message) for task, _, message in refused]
    if dry_run:
        _dry_run(plan, scan, refused)
        return summary
    for index, reason in summary.redone:
        print(f"redoing sample {index}: {reason}", file=sys.stderr)
    check_writable(
        plan.folder, todo=len(scan.pending), voxels=plan.voxels(), keep_volumes=plan.keep_volumes
    )
    start = time.time()
    rows = dict(scan.done)
    for task, _, message in refused:  # recorded as failed, never run
        rows[task["id"]] = failed_row(task, f"refused: {message}")
        summary.failed.append((task["index"], rows[task["id"]]["error"]))
    refused_ids = {task["id"] for task, _, _ in refused}
    pending = [task for task in scan.pending if task["id"] not in refused_ids]
    if pending:
        label = f"sweep {plan.domain}" + (f" shard {shard[0]}/{shard[1]}" if shard else "")
        progress = ProgressCounter(len(pending), label)

        def on_row(row: dict) -> None:
            rows[row["id"]] = row
            progress.step(row["status"] == "ok")
            if row["status"] != "ok":
                summary.failed.append((row["index"], row["error"]))
                log.warning("sample %s failed: %s", row["index"], row["error"])

        try:
            executor.run(plan, pending, sample_function or run_sample, on_row)
        finally:
            progress.close()
        summary.ran = len(pending)
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
    # Samples the guards refuse are failed, not missing: rerunning their shard cannot help.
    refused = plan.refusals(scan.pending)
    rows = dict(scan.done)
    for task, _, message in refused:
        rows[task["id"]] = failed_row(task, f"refused: {message}")
        summary.refused.append((task["index"], message))
    refused_ids = {task["id"] for task, _, _ in refused}
    summary.missing = [task["index"] for task in scan.pending if task["id"] not in refused_ids]
    summary.redone = [(task["index"], reason) for task, reason in scan.redo]
    summary.failed = [(index, "missing: no finished sample file") for index in summary.missing]
    summary.failed += [(index, f"refused: {message}") for index, message in summary.refused]
    consolidate(plan, rows, command_line)
    return summary


def missing_shards(plan: SweepPlan, indices: list[int], count: int, base: int = 1) -> list[int]:
    """Shard numbers (from ``base``) that hold the given design indices."""
    return sorted({index % count + base for index in indices})
