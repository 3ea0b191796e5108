"""Sweeps: a design of samples run on Dask, one file per sample, consolidated into a dataset.

Durability: each worker writes its own sample file under a temporary name and renames it into
place; the dataset file is rebuilt from the sample files at the end. A sample's identity is a
hash of its parameters, seed, domain, voxel size and generator version, so re-running the same
command skips the samples whose files are complete and redoes the missing or corrupt ones.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from generator.design import PARAMETERS, make_design, sample_id
from generator.parameters import resolve_domain, voxel_shape

PAPER_COUNTS = {"200": 240, "1000": 78}
BYTES_PER_VOXEL_PEAK = 7.5  # measured: generation ~5.5, tortuosity ~5 on top of the volume
COMPRESSED_BYTES_PER_VOXEL = 0.1  # gzip volumes measured at ~0.066 bytes a voxel

log = logging.getLogger("generator.sweep")


@dataclass
class SweepSummary:
    """What a sweep did."""

    dataset: Path
    total: int
    skipped: int = 0
    ran: int = 0
    failed: list = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False


def default_output(domain: str) -> Path:
    """``data/gdl<domain>.h5`` under the current folder."""
    return Path("data") / f"gdl{domain}.h5"


def samples_folder(dataset: Path) -> Path:
    """Folder of the per-sample files next to a dataset file."""
    return dataset.with_name(dataset.stem + "_samples")


def _resolve_sweep(domain, n, out):
    """Preset name, in-plane size, sample count, dataset path and samples folder of a sweep."""
    domain_name, in_plane = resolve_domain(domain)
    if domain_name not in PAPER_COUNTS:
        raise ValueError(
            f"sweep domain must be a preset ({', '.join(PAPER_COUNTS)}), got {domain!r}"
        )
    n = PAPER_COUNTS[domain_name] if n is None else n
    out = Path(out) if out else default_output(domain_name)
    return domain_name, in_plane, n, out, samples_folder(out)


def plan_tasks(*, domain, n, design, seed, ranges, voxel_um, out, keep_volumes):
    """Design table and task dicts (with ids) of a sweep."""
    from generator import __version__

    table = make_design(n, design=design, seed=seed, ranges=ranges)
    folder = samples_folder(out)
    tasks = []
    for row in table.to_dict("records"):
        params = {name: row[name] for name in PARAMETERS}
        ident = sample_id(
            params, row["seed"], domain=domain, voxel_um=voxel_um, version=__version__
        )
        tasks.append(
            {
                "id": ident,
                "index": int(row["index"]),
                "seed": int(row["seed"]),
                **params,
                "domain": domain,
                "voxel_um": float(voxel_um),
                "folder": str(folder),
                "keep_volume": bool(keep_volumes),
            }
        )
    return table, tasks


def check_output(out: Path, folder: Path, todo: int, voxels: int, keep_volumes: bool) -> None:
    """Fail early, with a clear message, when the output cannot be written or will not fit."""
    out.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / ".write-test"
    try:
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as err:
        raise OSError(f"cannot write to {folder}: {err.strerror}") from err
    need = todo * (voxels * COMPRESSED_BYTES_PER_VOXEL if keep_volumes else 1e5) + 1e7
    free = shutil.disk_usage(folder).free
    if free < need:
        raise OSError(
            f"not enough disk space in {folder}: {free / 2**30:.2f} GiB free, about "
            f"{need / 2**30:.2f} GiB needed for {todo} samples (use --no-volumes to keep only "
            "the table)"
        )


def local_cluster_size(voxels: int, workers: int | None = None):
    """Worker processes and numba threads each, from the cores and memory of this machine."""
    import psutil

    cores = os.cpu_count() or 1
    per_sample = voxels * BYTES_PER_VOXEL_PEAK
    by_memory = max(1, int(psutil.virtual_memory().available * 0.8 // max(per_sample, 1)))
    n_workers = workers or max(1, min(cores, by_memory))
    return n_workers, max(1, cores // n_workers)


def sweep_provenance(command_line, design, seed, n, domain, voxel_um, ranges) -> dict:
    """What a dataset file records about how it was made."""
    from generator import __version__
    from generator.io import provenance

    record = provenance()
    record.update(
        command_line=command_line or record["command_line"],
        design=design,
        design_seed=int(seed),
        n=int(n),
        domain=domain,
        voxel_um=float(voxel_um),
        ranges={k: list(v) for k, v in (ranges or {}).items()},
        generator_version=__version__,
    )
    return record


def warm_up() -> None:
    """Compile (or load) every numba kernel once, here, before the workers start.

    Workers then load the on-disk cache instead of compiling at the same time and racing on it.
    """
    from generator.structure import generate
    from generator.tortuosity import geometric_tortuosity

    sample = generate(domain=(80, 80), voxel_um=4.0, fiber_diameter_um=12, compression=0.2)
    for metric in ("euclidean", "lattice"):
        geometric_tortuosity(sample.volume, metric=metric, voxel_um=4.0)


JOBQUEUE_KINDS = ("slurm", "pbs", "sge", "lsf")


def jobqueue_cluster(kind: str, options: dict, threads: int):
    """A dask-jobqueue cluster of ``kind``; its defaults come from the Dask config
    (``jobqueue.<kind>`` in ``~/.config/dask/jobqueue.yaml``), overridden by ``options``.

    The job script exports a node-local numba cache (``$TMPDIR``) and the numba thread count,
    so workers never race on a cache on a shared filesystem.
    """
    import dask_jobqueue

    if kind not in JOBQUEUE_KINDS:
        raise ValueError(f"cluster={kind!r} is not one of {', '.join(JOBQUEUE_KINDS)}")
    classes = {
        "slurm": "SLURMCluster",
        "pbs": "PBSCluster",
        "sge": "SGECluster",
        "lsf": "LSFCluster",
    }
    cls = getattr(dask_jobqueue, classes[kind])
    kwargs = {k: v for k, v in options.items() if v not in (None, [], "")}
    # One worker process a job by default: a sample uses every core of its job through numba.
    kwargs.setdefault("processes", 1)
    if kwargs.get("cores"):
        threads = max(1, int(kwargs["cores"]) // int(kwargs["processes"]))
    prologue = [
        'export NUMBA_CACHE_DIR="${TMPDIR:-/tmp}/numba-cache-${USER:-gdl}"',
        f"export NUMBA_NUM_THREADS={threads}",
        "export OMP_NUM_THREADS=1",
    ]
    kwargs["job_script_prologue"] = prologue + list(kwargs.get("job_script_prologue", []))
    kwargs.setdefault("python", sys.executable)
    return cls(**kwargs)


def _client(scheduler, n_workers, threads, cluster_kind=None, jobqueue_options=None, jobs=1):
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="30s"), None
    if cluster_kind:
        cluster = jobqueue_cluster(cluster_kind, jobqueue_options or {}, threads)
        cluster.scale(jobs=jobs)
        return Client(cluster), cluster
    env = {
        "NUMBA_NUM_THREADS": str(threads),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=0,
        env=env,
    )
    return Client(cluster), cluster


class _Progress:
    """A progress bar on a terminal; plain periodic log lines otherwise (batch logs)."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.failed = total, 0, 0
        self.start = time.time()
        self.last_line = 0.0
        self.bar = None
        if stream.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("samples", total=total)

    def step(self, ok: bool) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        if self.bar is not None:
            label = f"samples ({self.failed} failed)" if self.failed else "samples"
            self.bar.update(self.task, advance=1, description=label)
        elif time.time() - self.last_line > 30 or self.done == self.total:
            elapsed = time.time() - self.start
            left = elapsed / self.done * (self.total - self.done)
            print(
                f"sweep: {self.done}/{self.total} samples, {self.failed} failed, "
                f"{elapsed:.0f} s elapsed, ~{left:.0f} s left",
                file=sys.stderr,
                flush=True,
            )
            self.last_line = time.time()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def run_sweep(
    *,
    domain="1000",
    n=None,
    design="sobol",
    seed=0,
    ranges=None,
    voxel_um=1.0,
    out=None,
    keep_volumes=True,
    dry_run=False,
    force=False,
    scheduler=None,
    workers=None,
    command_line="",
    sample_function=None,
    shard=None,
    cluster=None,
    jobqueue_options=None,
    jobs=1,
) -> SweepSummary:
    """Run (or resume) a sweep and write its dataset file.

    Parameters
    ----------
    domain : {"200", "1000"}
    n : int, optional
        Number of samples; the paper's (240 for ``200``, 78 for ``1000``) by default.
    design : {"sobol", "lhs", "random"}
    seed : int
        Seeds the design and every sample.
    ranges : dict, optional
        ``{parameter: (low, high)}`` inside the paper's ranges.
    voxel_um : float
    out : path, optional
        Dataset file; ``data/gdl<domain>.h5`` by default. Sample files go to
        ``<out stem>_samples/`` beside it.
    keep_volumes : bool
        Store each compressed volume (linked from the dataset); False keeps only the table.
    dry_run : bool
        Only report what would run.
    force : bool
        Start over: delete an existing dataset and its sample files.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:port``); a local cluster otherwise.
    workers : int, optional
        Local worker processes (default: from cores and memory).
    cluster : {"slurm", "pbs", "sge", "lsf"}, optional
        Run the workers as batch jobs through dask-jobqueue.
    jobqueue_options : dict, optional
        dask-jobqueue keyword arguments (``cores``, ``memory``, ``walltime``, ``queue``,
        ``account``, ``job_script_prologue``, ``worker_extra_args``, ``interface``...).
    jobs : int
        Batch jobs to start with ``cluster``.
    shard : tuple of int, optional
        ``(i, count)``: run only the i-th (1-based) of ``count`` interleaved slices of the
        design, in this process, without Dask, and leave consolidation to :func:`merge`
        (batch-array jobs).
    sample_function : callable, optional
        Replaces :func:`generator.sample_task.run_sample` (task dict -> row dict), for example
        to add properties; it must be importable by the workers.

    Returns
    -------
    SweepSummary
    """
    from generator.dataset import write_dataset
    from generator.sample_task import read_sample_row, run_sample

    domain_name, in_plane, n, out, folder = _resolve_sweep(domain, n, out)
    table, tasks = plan_tasks(
        domain=domain_name,
        n=n,
        design=design,
        seed=seed,
        ranges=ranges,
        voxel_um=voxel_um,
        out=out,
        keep_volumes=keep_volumes,
    )
    summary = SweepSummary(dataset=out, total=len(tasks), dry_run=dry_run)
    if force and not dry_run:
        out.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
    if shard is not None:
        index, count = shard
        if not (1 <= index <= count):
            raise ValueError(f"shard {index}/{count} must satisfy 1 <= I <= N")
        tasks = tasks[index - 1 :: count]
        summary.total = len(tasks)
    done = {}
    for task in tasks:
        row = read_sample_row(folder / f"{task['id']}.h5")
        if row is not None:
            done[task["id"]] = row
    todo = [task for task in tasks if task["id"] not in done]
    summary.skipped = len(done)
    if dry_run:
        for task in todo:
            values = ", ".join(f"{name}={task[name]:.4g}" for name in PARAMETERS)
            print(f"would run {task['index']:4d} {task['id']} seed={task['seed']} {values}")
        print(f"{len(todo)} to run, {len(done)} already done, dataset {out}")
        return summary
    voxels = 1
    for size in voxel_shape(in_plane, 320.0, voxel_um):
        voxels *= size
    check_output(out, folder, len(todo), voxels, keep_volumes)
    start = time.time()
    rows = list(done.values())
    if shard is not None:
        # A batch-array task: run here, one sample after another; merge consolidates later.
        function = sample_function or run_sample
        progress = _Progress(len(todo))
        for task in todo:
            row = function(task)
            progress.step(row["status"] == "ok")
            if row["status"] != "ok":
                summary.failed.append((row["index"], row["error"]))
        progress.close()
        summary.ran = len(todo)
        summary.seconds = time.time() - start
        return summary
    if todo:
        warm_up()
        n_workers, threads = local_cluster_size(voxels, workers)
        if cluster:
            threads = int((jobqueue_options or {}).get("cores") or threads)
        client, local = _client(scheduler, n_workers, threads, cluster, jobqueue_options, jobs)
        progress = _Progress(len(todo))
        try:
            from distributed import as_completed

            function = sample_function or run_sample
            keys = [f"sample-{t['id']}" for t in todo]
            by_key = dict(zip(keys, todo, strict=True))
            futures = client.map(function, todo, key=keys, pure=False)
            for future in as_completed(futures):
                try:
                    row = future.result()
                except Exception as err:  # the task died (e.g. its worker was killed 3 times)
                    task = by_key[future.key]
                    row = {key: task[key] for key in ("id", "index", "seed", *PARAMETERS)}
                    row.update(status="failed", error=f"{type(err).__name__}: {err}")
                rows.append(row)
                progress.step(row["status"] == "ok")
                if row["status"] != "ok":
                    summary.failed.append((row["index"], row["error"]))
                    log.warning("sample %s failed: %s", row["index"], row["error"])
        finally:
            progress.close()
            client.close()
            if local is not None:
                local.close()
        summary.ran = len(todo)
    summary.seconds = time.time() - start
    record = sweep_provenance(command_line, design, seed, n, domain_name, voxel_um, ranges)
    write_dataset(out, rows, record, folder if keep_volumes else None)
    return summary


def merge(
    *,
    domain="1000",
    n=None,
    design="sobol",
    seed=0,
    ranges=None,
    voxel_um=1.0,
    out=None,
    keep_volumes=True,
    command_line="",
) -> SweepSummary:
    """Consolidate the sample files of a sharded sweep into its dataset file.

    Takes the same design options as :func:`run_sweep`; samples whose file is missing or
    corrupt are listed as failed ("missing"), so a later run of the shards can complete them.
    """
    from generator.dataset import write_dataset
    from generator.sample_task import read_sample_row

    domain_name, in_plane, n, out, folder = _resolve_sweep(domain, n, out)
    _, tasks = plan_tasks(
        domain=domain_name,
        n=n,
        design=design,
        seed=seed,
        ranges=ranges,
        voxel_um=voxel_um,
        out=out,
        keep_volumes=keep_volumes,
    )
    summary = SweepSummary(dataset=out, total=len(tasks))
    rows = []
    for task in tasks:
        row = read_sample_row(folder / f"{task['id']}.h5")
        if row is None:
            row = {key: task[key] for key in ("id", "index", "seed", *PARAMETERS)}
            row.update(status="failed", error="missing: no finished sample file")
            summary.failed.append((task["index"], row["error"]))
        else:
            summary.skipped += 1
        rows.append(row)
    record = sweep_provenance(command_line, design, seed, n, domain_name, voxel_um, ranges)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_dataset(out, rows, record, folder if keep_volumes else None)
    return summary
