"""``gdl-generator sweep``: a dataset of samples and their tortuosity, on Dask or in shards."""

from __future__ import annotations

from pathlib import Path

import typer

from generator.cli.options import CLUSTER, PLAN, RANGES, ShardBaseOption, option_groups


@option_groups
def sweep(
    plan: dict = PLAN,
    ranges: dict = RANGES,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan, run nothing."),
    force: bool = typer.Option(
        False, "--force", help="Start over: remove this project's dataset and sample files."
    ),
    where: dict = CLUSTER,
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

    where = ClusterOptions(**where)
    cache = numba_cache_folder(numba_cache)
    if shard:
        # A shard runs its samples in this process: numba reads its cache folder once, when the
        # first kernel module loads, so the command (the process's owner) sets it here, first.
        os.environ["NUMBA_CACHE_DIR"] = str(cache)
    report = sweep_from_options(
        PlanOptions(**plan, ranges=ranges), where, shard=shard, shard_base=shard_base,
        numba_cache=cache, dry_run=dry_run, force=force, print_job_script=print_job_script,
        command_line=command_line(),
    )  # fmt: skip
    print_report(report)
