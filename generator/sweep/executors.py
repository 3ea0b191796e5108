"""Executors: run a list of sample tasks here, one after another, or on a Dask cluster.

An executor takes tasks and a task function and calls ``on_row`` with each row as it comes; it
never writes the dataset (that is :func:`generator.sweep.run.consolidate`'s job). A task that dies
with its worker becomes a failed row, so the sweep goes on.
"""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator._shared.extras import require_extra
from generator.sweep.design import PARAMETERS

log = logging.getLogger("generator.sweep.executors")
DASK_FEATURE = "a sweep on Dask"


# numba reads NUMBA_CACHE_DIR when it is imported, and a kernel module takes its cache location
# when it is imported: the folder must be in the environment of the process that compiles
# before that process imports a kernel. Nothing here sets it in the caller's process. The
# warm-up compiles in a child started with it; local workers get it from their nanny before
# they start (clusters.worker_env), batch jobs from their job script; kernels are imported on
# first use, so a worker has not loaded one by then. A process that runs samples itself (a
# shard, InProcessExecutor) uses the cache it was started with: the command line sets it before
# any kernel is imported.
def numba_cache_folder(given: Path | None = None) -> Path:
    """numba's cache folder for a sweep's workers: ``given``, else the package's own rule
    (:func:`generator._shared.numba_compile.cache_folder`: ``$NUMBA_CACHE_DIR``, else one
    per-user folder in the user's cache directory), so that a sweep's workers, every job of a
    cluster whose home is shared and a later ``generator sample`` load the same compiled
    kernels (numba recompiles an entry whose source changed).

    Examples
    --------
    >>> numba_cache_folder(Path("/scratch/numba"))
    PosixPath('/scratch/numba')
    """
    if given is not None:
        return Path(given).expanduser()
    from generator._shared.numba_compile import cache_folder

    return cache_folder()


def failed_row(task: dict, error: str) -> dict:
    """The table row of a task that produced no row of its own (a task that extends a finished
    sample keeps its stored values)."""
    row = dict(
        task.get("start_row") or {key: task[key] for key in ("id", "index", "seed", *PARAMETERS)}
    )
    row.update(status="failed", error=error)
    return row


class InProcessExecutor:
    """Runs the tasks in this process, one after another (a batch-array task), with this
    process's numba threads and cache (``NUMBA_CACHE_DIR`` as it was when numba was
    imported)."""

    description = "this process"

    def check_plan(self, plan) -> None:
        """Nothing to check: this process runs whatever the plan asks."""

    def worker_memory(self) -> float:
        """Bytes a sample may use here: the share of the memory available now that the guards
        allow (:data:`generator._shared.guards.MEMORY_SHARE`)."""
        from generator._shared.guards import MEMORY_SHARE, available_bytes

        return MEMORY_SHARE * available_bytes()

    def run(self, plan, tasks: list[dict], function, on_row) -> None:
        for task in tasks:
            on_row(function(task))


def parse_memory(text) -> float | None:
    """Bytes of a memory size such as ``4GB``, ``3.5GiB``, ``500M``; None when not given."""
    if text in (None, ""):
        return None
    require_extra("sweep", DASK_FEATURE)
    import dask.utils

    try:
        return float(dask.utils.parse_bytes(str(text)))
    except (ValueError, TypeError) as err:
        raise ValueError(f"memory {text!r} is not a size such as 4GB or 3.5GiB") from err


@dataclass
class DaskExecutor:
    """Runs the tasks on Dask: a local cluster (default), an existing scheduler, or batch jobs.

    Attributes
    ----------
    workers : int, optional
        Local worker processes (default: from the cores and the memory a sample needs).
    scheduler : str, optional
        Address of a running scheduler.
    cluster : {"slurm", "pbs", "sge", "lsf"}, optional
        Start workers as batch jobs through dask-jobqueue.
    jobqueue_options : dict
        dask-jobqueue keyword arguments (``cores``, ``memory``, ``walltime``, ``queue``,
        ``account``, ``job_script_prologue``, ``job_extra_directives``, ``log_directory``...).
    jobs : int
        Batch jobs (one sample at a time each).
    numba_cache : Path, optional
        numba's cache folder for the workers (shared; compiled once).
    max_resubmits : int
        Batch jobs replaced at most this many times in all before the sweep gives up.
    """

    workers: int | None = None
    scheduler: str | None = None
    cluster: str | None = None
    jobqueue_options: dict = field(default_factory=dict)
    jobs: int = 1
    numba_cache: Path | None = None
    max_resubmits: int = 3
    _session: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers={self.workers} must be at least 1")
        if self.jobs < 1:
            raise ValueError(f"jobs={self.jobs} must be at least 1")
        from generator.sweep.clusters import JOBQUEUE_KINDS

        if self.cluster is not None and self.cluster not in JOBQUEUE_KINDS:
            raise ValueError(f"cluster={self.cluster!r} is not one of {', '.join(JOBQUEUE_KINDS)}")
        parse_memory(self.jobqueue_options.get("memory"))  # a bad size fails before any work
        if self.scheduler and self.cluster:
            raise ValueError(
                f"scheduler={self.scheduler!r} and cluster={self.cluster!r} exclude each other: "
                "choose one"
            )

    @property
    def description(self) -> str:
        if self.scheduler:
            return f"the scheduler at {self.scheduler}"
        if self.cluster:
            return f"{self.jobs} {self.cluster} job(s)"
        return "a local cluster"

    def local_size(self, peak_bytes: float) -> tuple[int, int]:
        """Local worker processes and numba threads each, from cores and available memory."""
        import psutil

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        cores = cores or os.cpu_count() or 1
        by_memory = max(1, int(psutil.virtual_memory().available * 0.8 // max(peak_bytes, 1)))
        n_workers = self.workers or max(1, min(cores, by_memory))
        return n_workers, max(1, cores // n_workers)

    def check_plan(self, plan) -> None:
        """Refuse, before anything is written or submitted, what the executor cannot run (and a
        missing ``sweep`` extra, with one line naming it)."""
        require_extra("sweep", DASK_FEATURE)
        if self.cluster:
            self.check_batch_memory(plan.peak_bytes())

    def worker_memory(self) -> float | None:
        """Bytes one worker may use: a local worker, the share of this machine's memory
        available now that the guards allow; a batch job, its ``memory`` (None when not given);
        a running scheduler's workers, None (unknown)."""
        if self.scheduler:
            return None
        if self.cluster:
            return parse_memory(self.jobqueue_options.get("memory"))
        from generator._shared.guards import MEMORY_SHARE, available_bytes

        return MEMORY_SHARE * available_bytes()

    def check_batch_memory(self, peak_bytes: float) -> None:
        """Refuse a batch job memory that cannot hold one sample (one sample runs per job)."""
        memory = parse_memory(self.jobqueue_options.get("memory"))
        if memory is not None and memory < peak_bytes:
            raise ValueError(
                f"memory={self.jobqueue_options['memory']} cannot hold one sample of this plan "
                f"(about {peak_bytes / 2**30:.1f} GiB at its peak): ask for more memory per job "
                "or a coarser voxel_um"
            )

    def warm_cache(
        self, properties=("geodesic",), *, wide_closing: bool = False, worker_threads: int = 2
    ) -> float:
        """Compile the kernels of the generation and of ``properties`` once into the workers'
        numba cache, in child processes side by side (so the cache folder applies whatever
        this process already loaded, and numba's one-core compiles overlap); workers then
        only load. ``wide_closing`` adds the uint16 kernels of a wide binder closing (the
        plan's :meth:`may_need_wide_closing`), which both workers would otherwise compile in
        their first sample; ``worker_threads`` is the workers' numba threads (with one, the
        lattice's band-joining kernels, which such a worker never runs, are left
        out). Returns the seconds it took."""
        from generator.sweep.sample_task import compile_in_parallel

        if self.numba_cache is None or self.scheduler:
            return 0.0
        parts = ["wide" if wide_closing else "generate", *properties]
        env = dict(os.environ, NUMBA_CACHE_DIR=str(self.numba_cache))
        return compile_in_parallel(parts, env=env, solver_threads=worker_threads)

    def worker_threads(self, plan) -> int:
        """numba threads of each worker that runs ``plan``'s samples: a batch job's
        ``cores``, a local worker's share of the cores (:meth:`local_size`)."""
        if self.cluster:
            return int(self.jobqueue_options.get("cores") or 1)
        return self.local_size(plan.peak_bytes())[1]

    def _warm_cache_for(self, plan) -> float:
        return self.warm_cache(
            plan.properties,
            wide_closing=plan.may_need_wide_closing(),
            worker_threads=self.worker_threads(plan),
        )

    def _connect(self, stack: ExitStack, plan):
        """A client (and the batch jobs' watch, or None) for ``plan``, closed with ``stack``."""
        from generator.sweep.clusters import batch_client, local_client, scheduler_client

        if self.scheduler:
            return stack.enter_context(scheduler_client(self.scheduler)), None
        if self.cluster:
            threads = self.worker_threads(plan)
            return stack.enter_context(
                batch_client(
                    self.cluster,
                    self.jobqueue_options,
                    jobs=self.jobs,
                    threads=threads,
                    tls_folder=plan.folder / ".dask-tls",
                    numba_cache=self.numba_cache,
                    max_resubmits=self.max_resubmits,
                )
            )
        n_workers, threads = self.local_size(plan.peak_bytes())
        client = stack.enter_context(local_client(n_workers, threads, numba_cache=self.numba_cache))
        return client, None

    @contextmanager
    def session(self, plan):
        """Keep one cluster (and its workers or batch jobs) for every :meth:`run` inside, as
        the active loop's batches want, instead of one cluster a run."""
        self.check_plan(plan)
        self._warm_cache_for(plan)
        with ExitStack() as stack:
            self._session = self._connect(stack, plan)
            try:
                yield self
            finally:
                self._session = None

    def run(self, plan, tasks: list[dict], function, on_row) -> None:
        from distributed import wait

        from generator.sweep.clusters import SAMPLE_RESOURCE

        with ExitStack() as stack:
            if self._session is not None:
                client, watch = self._session
            else:
                self.check_plan(plan)
                self._warm_cache_for(plan)
                client, watch = self._connect(stack, plan)
            keys = [f"sample-{task['id']}" for task in tasks]
            by_key = dict(zip(keys, tasks, strict=True))
            extra = {"resources": {SAMPLE_RESOURCE: 1}} if self.cluster else {}
            remaining = set(client.map(function, tasks, key=keys, pure=False, **extra))
            while remaining:
                # Wake on a result, or every few seconds to look after the batch jobs.
                try:
                    wait(list(remaining), timeout=5.0, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    pass
                for future in [f for f in remaining if f.done()]:
                    remaining.discard(future)
                    on_row(self._row(future, by_key[future.key]))
                if watch is not None and remaining:
                    try:
                        watch.check()
                    except Exception:
                        client.cancel(list(remaining))
                        raise

    @staticmethod
    def _row(future, task: dict) -> dict:
        try:
            return future.result()
        except Exception as err:  # the task died (e.g. its worker was killed 3 times)
            return failed_row(task, f"{type(err).__name__}: {err}")
