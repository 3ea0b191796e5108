"""Dask clusters for sweeps: a local one, an existing scheduler, or workers as batch jobs.

Every cluster the sweep starts is its owner's only: the scheduler and workers talk TLS with a
certificate made for this run (``Security.temporary()``), so a client without it cannot connect,
let alone run code. The local cluster also listens on loopback only. Batch-job workers read
their copy of the certificate from files only the user can read, in a folder beside the sweep's
output (a shared filesystem, as the sample files are).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from generator._shared.extras import require_extra

JOBQUEUE_KINDS = ("slurm", "pbs", "sge", "lsf")
_JOBQUEUE_CLASSES = {
    "slurm": "SLURMCluster",
    "pbs": "PBSCluster",
    "sge": "SGECluster",
    "lsf": "LSFCluster",
}
# Dask resource that limits a batch worker to one sample at a time, whatever its thread count.
SAMPLE_RESOURCE = "sample"

log = logging.getLogger("generator.sweep.clusters")
# Loggers of this process whose routine messages (a worker restarted, a worker process killed
# when the cluster closes) are the cluster's business, not the user's.
CHATTY_LOGGERS = ("distributed.nanny", "distributed.process")


class _ChatterToLog(logging.Filter):
    """Moves a record below ERROR from a chatty Dask logger to this module's log at INFO (kept
    for whoever configures logging, off the terminal); errors pass through unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            return True
        log.info("%s: %s", record.name, record.getMessage())
        return False


@contextmanager
def dask_chatter_logged():
    """While the cluster lives and closes, log Dask's worker-restart chatter instead of printing
    it (``Worker process still alive after 4.0 seconds, killing``, ``Restarting worker``):
    it lands on the ``generator.sweep.clusters`` logger at INFO."""
    chatter = _ChatterToLog()
    loggers = [logging.getLogger(name) for name in CHATTY_LOGGERS]
    for logger in loggers:
        logger.addFilter(chatter)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(chatter)


class ClusterLost(RuntimeError):
    """The batch workers could not be started or kept alive."""


def _security():
    from distributed.security import Security

    try:
        return Security.temporary()
    except ImportError as err:  # pragma: no cover - cryptography is a dependency
        raise RuntimeError("TLS for the sweep's cluster needs the 'cryptography' package") from err


def worker_env(threads: int, numba_cache: Path | None) -> dict[str, str]:
    """Environment of a worker process: numba threads for one sample, no nested BLAS/OpenMP
    pools, and the shared numba cache."""
    env = {
        "NUMBA_NUM_THREADS": str(threads),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    if numba_cache is not None:
        env["NUMBA_CACHE_DIR"] = str(numba_cache)
    return env


@contextmanager
def _environment_kept(keys):
    """Put these variables of this process's environment back as they were, on exit."""
    saved = {key: os.environ.get(key) for key in keys}

    def put_back():
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            elif os.environ.get(key) != value:
                os.environ[key] = value

    try:
        yield put_back
    finally:
        put_back()


@contextmanager
def local_client(
    n_workers: int, threads: int, *, numba_cache: Path | None = None, scratch: Path | None = None
):
    """A client of a local cluster of ``n_workers`` single-task worker processes, on loopback,
    with TLS; closed on exit.

    Parameters
    ----------
    n_workers : int
    threads : int
        numba threads of each worker.
    numba_cache : Path, optional
        The workers' numba cache folder.
    scratch : Path, optional
        The workers' temporary folder (default: ``$TMPDIR``, else Dask's default).

    Notes
    -----
    Each worker process gets :func:`worker_env` from its nanny before the worker starts, so
    before a task imports a kernel module (kernels are imported on first use; numba reads
    ``NUMBA_CACHE_DIR`` and ``NUMBA_NUM_THREADS`` when it is imported). This process's
    environment stays as it was: distributed's nanny writes its ``pre-spawn-environ``
    (``OMP_NUM_THREADS=1``, ``MALLOC_TRIM_THRESHOLD_``...) and ``PYTHONHASHSEED`` into the
    environment of the process that spawns the workers, so they are put back once the workers
    have started and again when the cluster closes.
    """
    require_extra("sweep", "a sweep on Dask")
    import dask
    from distributed import Client, LocalCluster

    scratch = scratch or os.environ.get("TMPDIR") or None
    spawn_keys = {*dask.config.get("distributed.nanny.pre-spawn-environ", {}), "PYTHONHASHSEED"}
    with _environment_kept(spawn_keys) as put_back, dask_chatter_logged():
        with dask.config.set({"temporary-directory": str(scratch)} if scratch else {}):
            cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                protocol="tls://",
                security=_security(),
                dashboard_address=None,
                # No dashboard, but the scheduler still serves HTTP (health checks): on a free
                # port of loopback, not 8787 with a "Port 8787 is already in use" warning.
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                memory_limit=0,
                env=worker_env(threads, numba_cache),
            )
        put_back()
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()


@contextmanager
def scheduler_client(address: str):
    """A client of a running scheduler (its TLS settings, if any, from the Dask config)."""
    require_extra("sweep", "a sweep on Dask")
    from distributed import Client

    with Client(address, timeout="30s") as client:
        yield client


def _walltime_seconds(walltime: str | None) -> int | None:
    """Seconds of a batch walltime ``[D-]HH:MM:SS``, ``MM:SS`` or ``SS``; None if not given."""
    if not walltime:
        return None
    text = str(walltime)
    days = 0
    if "-" in text:
        head, text = text.split("-", 1)
        days = int(head)
    seconds = 0
    for part in text.split(":"):
        seconds = seconds * 60 + int(part)
    return days * 86400 + seconds


def jobqueue_cluster(
    kind: str, options: dict, *, threads: int, tls_folder: Path, numba_cache: Path | None = None
):
    """A dask-jobqueue cluster of ``kind`` (no job submitted yet).

    Defaults come from the Dask config (``jobqueue.<kind>`` in
    ``~/.config/dask/jobqueue.yaml``), overridden by ``options``. Each job runs one worker
    process that runs one sample at a time with ``threads`` numba threads; it ends itself a
    little before its walltime (``--lifetime``) so that no sample is cut off silently. The
    scheduler listens with TLS only and has no dashboard.
    """
    if kind not in JOBQUEUE_KINDS:
        raise ValueError(f"cluster={kind!r} is not one of {', '.join(JOBQUEUE_KINDS)}")
    require_extra("sweep", "a sweep on batch jobs")
    import dask_jobqueue

    cls = getattr(dask_jobqueue, _JOBQUEUE_CLASSES[kind])
    kwargs = {k: v for k, v in options.items() if v not in (None, [], "")}
    kwargs["processes"] = 1
    extra_args = list(kwargs.pop("worker_extra_args", []))
    extra_args += ["--resources", f"{SAMPLE_RESOURCE}=1"]
    lifetime = _walltime_seconds(kwargs.get("walltime"))
    if lifetime and lifetime >= 300:
        extra_args += ["--lifetime", f"{lifetime - max(60, lifetime // 20)}s"]
    kwargs["worker_extra_args"] = extra_args
    exports = [f'export {key}="{value}"' for key, value in worker_env(threads, None).items()]
    if numba_cache is not None:
        exports.append(f'export NUMBA_CACHE_DIR="{numba_cache}"')
    # Worker scratch in the job's own temporary folder, not a shared /tmp path.
    exports.append('export DASK_TEMPORARY_DIRECTORY="${TMPDIR:-/tmp}"')
    kwargs["job_script_prologue"] = exports + list(kwargs.get("job_script_prologue", []))
    kwargs.setdefault("python", sys.executable)
    tls_folder.mkdir(parents=True, exist_ok=True)
    os.chmod(tls_folder, 0o700)
    scheduler_options = dict(kwargs.pop("scheduler_options", {}))
    scheduler_options.setdefault("dashboard_address", None)
    return cls(
        security=_security(),
        protocol="tls://",
        shared_temp_directory=str(tls_folder),
        scheduler_options=scheduler_options,
        **kwargs,
    )


class _ErrorLog(logging.Handler):
    """Keeps the last error a cluster logged (an sbatch message, for example)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.last = ""

    def emit(self, record):
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message}: {record.exc_info[1]}"
        self.last = " ".join(message.split())[:500]


# Queue states in which a job will still run (or is running), per batch system.
_ALIVE_STATES = {
    "slurm": {
        "PENDING",
        "RUNNING",
        "CONFIGURING",
        "COMPLETING",
        "REQUEUED",
        "RESIZING",
        "SUSPENDED",
    },
    # PBS Pro / OpenPBS and Torque one-letter states; C (Torque) and F (PBS Pro) are finished.
    "pbs": set("QRHWTSBEU"),
    # Grid Engine: r, t, qw, hqw, s... ; states with E (error) or d (being deleted) will not run.
    "sge": None,
    "lsf": {"PEND", "RUN", "PSUSP", "USUSP", "SSUSP", "WAIT", "PROV"},
}
# Messages of a query that named jobs the system has forgotten (they ended).
_NOT_FOUND = re.compile(r"invalid job id|unknown job id|is not found|do not exist", re.IGNORECASE)


def _queue_command(kind: str, job_ids: list[str]) -> list[str]:
    if kind == "slurm":
        return ["squeue", "-h", "-o", "%i %T", "-j", ",".join(job_ids)]
    if kind == "pbs":
        return ["qstat", *job_ids]
    if kind == "sge":
        return ["qstat"]  # the user's jobs; -j prints a different, multi-line format
    return ["bjobs", "-noheader", "-o", "jobid stat", *job_ids]


def parse_queue(kind: str, text: str) -> set[str]:
    """Numeric ids of the jobs that will still run, from a queue listing of ``kind``.

    Formats: ``squeue -h -o "%i %T"`` (slurm), ``qstat`` (pbs: id, name, user, time, state,
    queue; sge: id, priority, name, user, state, ...), ``bjobs -noheader -o "jobid stat"`` (lsf).
    """
    alive = set()
    for line in text.splitlines():
        parts = line.split()
        if not parts or not parts[0].split(".")[0].isdigit():
            continue  # headers and separators
        job_id = parts[0].split(".")[0]
        if kind == "slurm" and len(parts) >= 2:
            state = parts[1]
        elif kind == "pbs" and len(parts) >= 6:
            state = parts[-2]
        elif kind == "sge" and len(parts) >= 5:
            state = "dead" if set(parts[4]) & set("Ed") else "alive"
        elif kind == "lsf" and len(parts) >= 2:
            state = parts[1]
        else:
            continue
        states = _ALIVE_STATES[kind]
        if (states is None and state == "alive") or (states is not None and state in states):
            alive.add(job_id)
    return alive


def queue_alive(kind: str, job_ids: list[str]) -> set[str] | None:
    """The jobs among ``job_ids`` that the batch system still holds to run; ``None`` when the
    system could not be asked (a missing command, a timeout, an error that does not say the
    jobs are unknown), so that a busy controller never looks like lost workers."""
    if kind not in _ALIVE_STATES or not job_ids:
        return None
    try:
        done = subprocess.run(
            _queue_command(kind, job_ids),
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    alive = parse_queue(kind, done.stdout)
    if done.returncode != 0 and not alive and not _NOT_FOUND.search(done.stderr):
        return None
    return alive & {str(job_id).split(".")[0] for job_id in job_ids}


class BatchWatch:
    """Keeps ``jobs`` worker jobs of a dask-jobqueue cluster alive, within bounds.

    Call :meth:`check` every few seconds while waiting for results. A job that could not be
    submitted, or ended (walltime, preemption, a crash), is replaced up to ``max_resubmits``
    times in all; then, or when no job could be submitted for ``submit_timeout`` seconds,
    :class:`ClusterLost` is raised with the reason. Jobs waiting in the queue are waited for.
    """

    def __init__(
        self, cluster, kind: str, jobs: int, *, max_resubmits: int = 3, submit_timeout: float = 20.0
    ):
        self.cluster, self.kind, self.jobs = cluster, kind, jobs
        self.max_resubmits, self.submit_timeout = max_resubmits, submit_timeout
        self.resubmits = 0
        self.started = time.monotonic()
        self.errors = _ErrorLog()
        for name in ("distributed.deploy.spec", "distributed.deploy", "dask_jobqueue"):
            logging.getLogger(name).addHandler(self.errors)

    def start(self) -> None:
        self.cluster.scale(jobs=self.jobs)

    def close(self) -> None:
        for name in ("distributed.deploy.spec", "distributed.deploy", "dask_jobqueue"):
            logging.getLogger(name).removeHandler(self.errors)

    def _dead_jobs(self) -> tuple[list[str], list[str]]:
        """Names of jobs never submitted, and of submitted jobs no longer in the queue."""
        jobs = dict(self.cluster.workers)
        unsubmitted = [name for name, job in jobs.items() if getattr(job, "job_id", None) is None]
        submitted = {
            name: str(job.job_id).split(".")[0] for name, job in jobs.items() if job.job_id
        }
        alive = queue_alive(self.kind, list(submitted.values()))
        if alive is None:
            return unsubmitted, []
        workers = self.cluster.scheduler_info.get("workers", {}).values()
        connected = {str(worker.get("name")) for worker in workers}
        gone = [
            name
            for name, job_id in submitted.items()
            if job_id not in alive and str(name) not in connected
        ]
        return unsubmitted, gone

    def check(self) -> None:
        """Replace lost jobs, or raise :class:`ClusterLost`."""
        unsubmitted, gone = self._dead_jobs()
        waited = time.monotonic() - self.started
        if unsubmitted and waited < self.submit_timeout and not gone:
            return  # submissions may still be on their way
        lost = unsubmitted + gone
        if not lost:
            return
        if self.resubmits >= self.max_resubmits:
            reason = self.errors.last or f"{len(lost)} of {self.jobs} worker jobs ended"
            raise ClusterLost(
                f"worker jobs could not be started or kept alive after {self.resubmits} "
                f"resubmissions: {reason}"
            )
        self.resubmits += 1
        log.warning(
            "%d worker job(s) lost (%s); resubmitting (%d of %d)",
            len(lost),
            self.errors.last or "ended",
            self.resubmits,
            self.max_resubmits,
        )
        for name in lost:
            self.cluster.worker_spec.pop(name, None)
        self.cluster.scale(jobs=self.jobs)
        self.started = time.monotonic()


def close_cluster(cluster) -> None:
    """Close a dask-jobqueue cluster, cancel jobs it could not close, and remove the worker
    certificate files it wrote (they live as long as their open handles)."""
    try:
        cluster.close()
    except (AssertionError, RuntimeError, OSError):
        # A job that never started cannot be closed cleanly; cancel what is left.
        for job in list(cluster.workers.values()):
            if getattr(job, "job_id", None):
                subprocess.run(
                    [*job.cancel_command.split(), str(job.job_id)],
                    capture_output=True,
                    check=False,
                )
    for name in [n for n in vars(cluster) if n.startswith("_job_")]:
        handle = getattr(cluster, name)
        if hasattr(handle, "close"):
            handle.close()


def job_script(kind: str, options: dict, *, threads: int, numba_cache: Path | None = None) -> str:
    """The script each worker job of ``kind`` would run, without submitting anything (the
    cluster's certificate files live in a temporary folder, removed before returning)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        cluster = jobqueue_cluster(
            kind, options, threads=threads, tls_folder=Path(folder), numba_cache=numba_cache
        )
        try:
            return cluster.job_script()
        finally:
            close_cluster(cluster)


@contextmanager
def batch_client(
    kind: str,
    options: dict,
    *,
    jobs: int,
    threads: int,
    tls_folder: Path,
    numba_cache: Path | None = None,
    max_resubmits: int = 3,
):
    """A client of a batch cluster of ``jobs`` worker jobs, and its :class:`BatchWatch`."""
    from distributed import Client

    cluster = jobqueue_cluster(
        kind, options, threads=threads, tls_folder=tls_folder, numba_cache=numba_cache
    )
    watch = BatchWatch(cluster, kind, jobs, max_resubmits=max_resubmits)
    try:
        with Client(cluster) as client:
            watch.start()
            yield client, watch
    finally:
        watch.close()
        close_cluster(cluster)
