"""``gdl-generator sweep``: a dataset of samples and their tortuosity, on Dask or in shards."""

from __future__ import annotations

from pathlib import Path

import typer

from generator.cli.options import (
    AccountOption,
    BinderRange,
    ClusterOption,
    CompressionRange,
    CoresOption,
    CountOption,
    DatasetOutOption,
    DesignOption,
    DiameterRange,
    DomainOption,
    FibreRange,
    InterfaceOption,
    JobExtraOption,
    JobPrologueOption,
    JobsOption,
    LogDirOption,
    MaxResubmitsOption,
    MemoryOption,
    PairingOption,
    QueueOption,
    SchedulerOption,
    SeedOption,
    ShardBaseOption,
    StratifyOption,
    ThicknessRange,
    VolumesOption,
    VoxelOption,
    WalltimeOption,
    WorkersOption,
)


def sweep(
    domain: DomainOption = "1000",
    n: CountOption = None,
    design: DesignOption = "sobol",
    seed: SeedOption = 0,
    voxel_um: VoxelOption = 1.0,
    out: DatasetOutOption = None,
    keep_volumes: VolumesOption = True,
    stratify: StratifyOption = True,
    pairing: PairingOption = "independent",
    fiber_diameter_range: DiameterRange = None,
    fiber_fraction_range: FibreRange = None,
    binder_fraction_range: BinderRange = None,
    thickness_range: ThicknessRange = None,
    compression_range: CompressionRange = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan, run nothing."),
    force: bool = typer.Option(
        False, "--force", help="Start over: remove this project's dataset and sample files."
    ),
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    cluster: ClusterOption = None,
    jobs: JobsOption = 1,
    cores: CoresOption = None,
    memory: MemoryOption = None,
    walltime: WalltimeOption = None,
    queue: QueueOption = None,
    account: AccountOption = None,
    job_extra: JobExtraOption = None,
    job_script_prologue: JobPrologueOption = None,
    interface: InterfaceOption = None,
    log_dir: LogDirOption = None,
    max_resubmits: MaxResubmitsOption = 3,
    print_job_script: bool = typer.Option(
        False, "--print-job-script", help="--cluster: print the job script and submit nothing."
    ),
    shard: str = typer.Option(
        None,
        help="Run only shard I of N here, as I/N, or I alone for N = n (one sample a shard); "
        "merge consolidates.",
    ),
    shard_base: ShardBaseOption = 1,
    numba_cache: Path = typer.Option(
        None, help="numba cache folder (default: $NUMBA_CACHE_DIR, else the user's cache)."
    ),
) -> None:
    """Generate a dataset of samples and their tortuosity.

    A design of samples run on Dask (local, a scheduler or a batch cluster), tortuosity by
    both metrics, one HDF5 dataset.
    Re-running the same command resumes (files are verified first); a failed sample is recorded
    and the exit code is 1.
    """
    import os

    from generator._shared.provenance import command_line
    from generator.cli.output import print_report
    from generator.sweep.executors import numba_cache_folder
    from generator.sweep.options import ClusterOptions, PlanOptions, sweep_from_options

    where = ClusterOptions(
        workers=workers, scheduler=scheduler, cluster=cluster, jobs=jobs, cores=cores,
        memory=memory, walltime=walltime, queue=queue, account=account,
        job_extra_directives=job_extra, job_script_prologue=job_script_prologue,
        interface=interface, log_directory=log_dir, max_resubmits=max_resubmits,
    )  # fmt: skip
    cache = numba_cache_folder(numba_cache)
    if shard:
        # A shard runs its samples in this process: numba reads its cache folder once, when the
        # first kernel module loads, so the command (the process's owner) sets it here, first.
        os.environ["NUMBA_CACHE_DIR"] = str(cache)
    options = PlanOptions(
        domain=domain, n=n, design=design, seed=seed, voxel_um=voxel_um, out=out,
        keep_volumes=keep_volumes, stratify=stratify, pairing=pairing,
        ranges=dict(
            fiber_diameter_um=fiber_diameter_range, fiber_fraction=fiber_fraction_range,
            binder_fraction=binder_fraction_range, thickness_um=thickness_range,
            compression=compression_range,
        ),
    )  # fmt: skip
    report = sweep_from_options(
        options, where, shard=shard, shard_base=shard_base, numba_cache=cache, dry_run=dry_run,
        force=force, print_job_script=print_job_script, command_line=command_line(),
    )  # fmt: skip
    print_report(report)
