"""A sweep or a merge from options as a person gives them: ranges as ``"LOW,HIGH"`` texts, a
shard as ``"I/N"``, where to run as dask-jobqueue's names. What to print comes back with the
summary, so a command line (``python -m generator sweep|merge``, ``surrogate active``, the
workflows) only parses, calls one function and prints.

Errors are ``ValueError`` (and ``OSError`` for files) naming the parameter as a Python caller
writes it (``workers=0 must be at least 1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator.sweep.design import PARAMETERS
from generator.sweep.run import SweepSummary


@dataclass(frozen=True)
class PlanOptions:
    """The options of a sweep's plan, shared by the sweep, its shards and their merge.

    Attributes
    ----------
    domain, n, design, seed, voxel_um, keep_volumes, stratify, pairing, properties, design_from
        As :meth:`generator.sweep.plan.SweepPlan.create` takes them (``properties`` also as
        one comma-separated text; ``domain`` None: 1000, or the ``design_from`` dataset's).
    out : Path, optional
        The dataset file; named explicitly, it may be a shipped dataset (with ``force``).
    ranges : dict
        ``{parameter: "LOW,HIGH" or None}`` (:func:`generator.sweep.design.parse_ranges`).
    """

    domain: str | None = None
    n: int | None = None
    design: str = "sobol"
    seed: int = 0
    voxel_um: float = 1.0
    out: Path | None = None
    keep_volumes: bool = True
    stratify: bool = True
    pairing: str = "independent"
    properties: str | tuple = "geodesic"
    design_from: Path | None = None
    ranges: dict = field(default_factory=dict)

    def plan(self):
        """The :class:`~generator.sweep.plan.SweepPlan` of these options (nothing is read or
        written)."""
        from generator.sweep.design import parse_ranges
        from generator.sweep.plan import SweepPlan

        unknown = sorted(set(self.ranges) - set(PARAMETERS))
        if unknown:
            raise ValueError(f"ranges of {unknown} are not design parameters ({PARAMETERS})")
        if self.design_from is not None:
            # The design is the dataset's: a design option given beside it would be ignored.
            defaults = PlanOptions()
            given = [
                f"{name}={getattr(self, name)!r}"
                for name in ("design", "seed", "stratify", "pairing")
                if getattr(self, name) != getattr(defaults, name)
            ]
            given += [f"{name} range" for name, text in self.ranges.items() if text is not None]
            if given:
                raise ValueError(
                    f"design_from= takes the design from the dataset; {', '.join(given)} "
                    "cannot be changed with it (leave them out)"
                )
        return SweepPlan.create(
            domain=self.domain,
            n=self.n,
            design=self.design,
            seed=self.seed,
            ranges=parse_ranges(**self.ranges),
            voxel_um=self.voxel_um,
            out=self.out,
            keep_volumes=self.keep_volumes,
            stratify=self.stratify,
            pairing=self.pairing,
            properties=self.properties,
            design_from=self.design_from,
        )


@dataclass(frozen=True)
class ClusterOptions:
    """Where a sweep's samples run: local workers, a running scheduler or batch jobs.

    The batch settings carry dask-jobqueue's names (``cores``, ``memory``, ``walltime``,
    ``queue``, ``account``, ``job_extra_directives``, ``job_script_prologue``, ``interface``,
    ``log_directory``); unset ones come from ``jobqueue.<cluster>`` in the Dask config.
    """

    workers: int | None = None
    scheduler: str | None = None
    cluster: str | None = None
    jobs: int = 1
    cores: int | None = None
    memory: str | None = None
    walltime: str | None = None
    queue: str | None = None
    account: str | None = None
    job_extra_directives: list[str] | None = None
    job_script_prologue: list[str] | None = None
    interface: str | None = None
    log_directory: str | None = None
    max_resubmits: int = 3

    def __post_init__(self):
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers={self.workers} must be at least 1")
        if self.cluster and self.cores is not None and self.cores < 1:
            raise ValueError(f"cores={self.cores} must be at least 1")

    def jobqueue_options(self) -> dict:
        """dask-jobqueue's keyword arguments (unset ones as None)."""
        return {
            "cores": self.cores,
            "memory": self.memory,
            "walltime": self.walltime,
            "queue": self.queue,
            "account": self.account,
            "job_extra_directives": list(self.job_extra_directives or []) or None,
            "job_script_prologue": list(self.job_script_prologue or []) or None,
            "interface": self.interface,
            "log_directory": str(self.log_directory) if self.log_directory else None,
        }

    def executor(self, numba_cache: Path | None = None):
        """The :class:`~generator.sweep.executors.DaskExecutor` of these options."""
        from generator.sweep.executors import DaskExecutor

        return DaskExecutor(
            workers=self.workers,
            scheduler=self.scheduler,
            cluster=self.cluster,
            jobqueue_options=self.jobqueue_options(),
            jobs=self.jobs,
            numba_cache=numba_cache,
            max_resubmits=self.max_resubmits,
        )

    def job_script(self, numba_cache: Path | None = None) -> str:
        """The batch script of one worker job; nothing is submitted."""
        from generator.sweep.clusters import job_script

        if not self.cluster:
            raise ValueError("print_job_script=True needs cluster= one of slurm, pbs, sge, lsf")
        return job_script(
            self.cluster,
            self.jobqueue_options(),
            threads=int(self.cores or 1),
            numba_cache=numba_cache,
        )


@dataclass
class SweepReport:
    """What a sweep or a merge did (``summary``; None when only a job script was asked for),
    the lines to show on stdout and stderr, and the exit code: 1 when samples failed or are
    missing."""

    summary: SweepSummary | None
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    exit_code: int = 0


def parse_shard(text: str, n: int) -> tuple[int, int]:
    """``(I, N)`` from ``"I/N"``, or from ``"I"`` alone with N = n (one sample a shard).

    Examples
    --------
    >>> parse_shard("3/10", 40), parse_shard("7", 40)
    ((3, 10), (7, 40))
    """
    try:
        parts = [int(v) for v in str(text).split("/")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts.append(n)
    if len(parts) != 2:
        raise ValueError(f"shard={text!r} must be I/N or I, for example 3/10")
    return parts[0], parts[1]


def sweep_from_options(
    options: PlanOptions,
    where: ClusterOptions | None = None,
    *,
    shard: str | None = None,
    shard_base: int = 1,
    numba_cache: Path | None = None,
    dry_run: bool = False,
    force: bool = False,
    print_job_script: bool = False,
    command_line: str = "",
) -> SweepReport:
    """Plan, check and run (or resume) a sweep; see :func:`generator.sweep.run.run_sweep`.

    Parameters
    ----------
    options : PlanOptions
    where : ClusterOptions, optional
        Where the samples run (a local Dask cluster by default); a shard runs in this process.
    shard : str, optional
        ``"I/N"``, or ``"I"`` for N = n: run only that shard, in this process, and leave the
        dataset to :func:`merge_from_options`.
    shard_base : {1, 0}
        Number of the first shard.
    numba_cache : Path, optional
        The workers' numba cache (:func:`generator.sweep.executors.numba_cache_folder`).
    dry_run : bool
        Print the plan and what would run; write nothing.
    force : bool
        Start over: remove this plan's dataset and sample files.
    print_job_script : bool
        Only return the batch job script in ``stdout`` (needs ``where.cluster``).
    command_line : str
        Recorded in the dataset's provenance.

    Returns
    -------
    SweepReport
    """
    from generator.sweep.executors import InProcessExecutor
    from generator.sweep.run import run_sweep

    where = where or ClusterOptions()
    plan = options.plan()
    if print_job_script:
        return SweepReport(None, stdout=[where.job_script(numba_cache)])
    parts = parse_shard(shard, plan.n) if shard is not None else None
    summary = run_sweep(
        plan,
        executor=InProcessExecutor() if parts else where.executor(numba_cache),
        force=force,
        dry_run=dry_run,
        shard=parts,
        shard_base=shard_base,
        explicit_out=options.out is not None,
        command_line=command_line,
    )
    report = SweepReport(summary, exit_code=1 if summary.failed else 0)
    if summary.dry_run:
        return report
    what = f"shard {shard}" if parts else f"dataset {summary.dataset}"
    report.stdout.append(
        f"{what}: {summary.total} samples, {summary.skipped} already done, "
        f"{summary.ran} run, {len(summary.failed)} failed, {summary.seconds:.1f} s"
    )
    report.stderr += [f"failed sample {index}: {error}" for index, error in summary.failed]
    return report


def merge_from_options(
    options: PlanOptions,
    *,
    shards: int | None = None,
    shard_base: int = 1,
    force: bool = False,
    command_line: str = "",
) -> SweepReport:
    """Merge the sample files of a sharded sweep into its dataset; see
    :func:`generator.sweep.run.merge`.

    ``shards`` (how many the sweep ran in) names the shards to rerun for missing samples.
    """
    from generator.sweep.run import merge, missing_shards

    plan = options.plan()
    if shards is not None and not 1 <= shards <= plan.n:
        raise ValueError(f"shards={shards} must be between 1 and n = {plan.n}")
    summary = merge(
        plan, force=force, explicit_out=options.out is not None, command_line=command_line
    )
    report = SweepReport(summary, exit_code=1 if summary.failed else 0)
    refused = f", {len(summary.refused)} refused" if summary.refused else ""
    report.stdout.append(
        f"dataset {summary.dataset}: {summary.total} samples, {summary.skipped} merged, "
        f"{len(summary.missing)} missing{refused}"
    )
    report.stderr += [f"sample {index} not trusted: {reason}" for index, reason in summary.redone]
    report.stderr += [f"sample {index} refused: {reason}" for index, reason in summary.refused]
    if summary.missing:
        report.stderr.append(
            f"missing samples (design index): {', '.join(map(str, summary.missing))}"
        )
        if shards:
            listed = ",".join(map(str, missing_shards(plan, summary.missing, shards, shard_base)))
            report.stderr.append(
                f"shards to rerun: {listed}; for example: sbatch --array={listed} "
                "workflows/slurm/sweep-array.sbatch (same GDL_* settings), then merge again"
            )
    return report
