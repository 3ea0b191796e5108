"""``surrogate active``: the surrogate chooses which samples to simulate, on a local Dask
cluster, a scheduler or batch jobs (the options of ``gdl-generator sweep``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cli.options import CLUSTER, option_groups
from generator.structure.parameters import DOMAIN_PRESETS
from surrogate._shared import GDL_TARGET_NAMES, or_list
from surrogate.cli._errors import echo_lines
from surrogate.cli._options import EpochsOption, GDLSourceArgument, SeedOption

EXIT_RESUMABLE = 1


@option_groups
def active(
    source: GDLSourceArgument,
    domain: Annotated[
        str, typer.Option(help=f"Domain preset the loop simulates: {or_list(DOMAIN_PRESETS)}.")
    ] = "1000",
    budget: Annotated[
        int, typer.Option(help="Expensive samples to simulate at most (all in all).")
    ] = ...,
    batch: Annotated[int, typer.Option(help="Samples chosen per iteration.")] = 4,
    initial: Annotated[int, typer.Option(help="Space-filling samples to start from.")] = 8,
    holdout: Annotated[
        int,
        typer.Option(
            help="Space-filling samples simulated once and never trained on: the error "
            "estimate --target-mape stops on (0: the out-of-bag MAPE, pessimistic on chosen "
            "samples)."
        ),
    ] = 0,
    pool: Annotated[
        int, typer.Option(help="Candidates: a scrambled Sobol design of this size.")
    ] = 1024,
    target: Annotated[
        str,
        typer.Option(
            help=f"Target the loop simulates and learns: {or_list(GDL_TARGET_NAMES)} (a "
            "diffusive target runs the diffusive solver on each chosen sample, not the geodesic "
            "one)."
        ),
    ] = "tortuosity",
    source_target: Annotated[
        str | None,
        typer.Option(
            help=f"Column of SOURCE to pretrain on ({or_list(GDL_TARGET_NAMES)}, a cheap one); "
            "default --target."
        ),
    ] = None,
    target_mape: Annotated[
        float | None,
        typer.Option(
            help="Stop early once the estimated MAPE (%) is at most this: measured on the "
            "--holdout samples, or out of bag without them."
        ),
    ] = None,
    members: Annotated[int, typer.Option(help="Transferred nets in the ensemble.")] = 10,
    epochs: EpochsOption = 250,
    seed: SeedOption = 0,
    voxel_um: Annotated[float, typer.Option(help="Voxel edge of the simulations (um).")] = 1.0,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Dataset of the chosen samples (default active<domain>.h5); the loop's log "
            "and nets go to <stem>_active/ beside it."
        ),
    ] = None,
    volumes: Annotated[bool, typer.Option(help="Keep each sample's volume in its file.")] = False,
    where: dict = CLUSTER,
) -> None:
    """Let the surrogate choose which samples to simulate.

    Pretrain on SOURCE, simulate a few space-filling DOMAIN samples, then repeatedly fit an
    ensemble of transferred nets and simulate the candidates it disagrees on most, until
    --budget or --target-mape. Re-running the same command resumes.
    """

    from generator import command_line
    from generator.sweep import ClusterOptions, numba_cache_folder
    from generator.sweep.clusters import ClusterLost
    from surrogate.active import ActiveSettings, TooFewSamples, start_active

    settings = ActiveSettings(
        source=str(source), domain=str(domain), pool=pool, initial=initial, batch=batch,
        budget=budget, holdout=holdout, target=target, target_mape=target_mape, members=members,
        epochs=epochs, seed=seed, voxel_um=voxel_um, source_target=source_target or "",
    )  # fmt: skip
    settings.check()
    cache = numba_cache_folder()  # workers and the warm-up get it; this process never compiles
    executor = ClusterOptions(**where).executor(numba_cache=cache)
    try:
        outcome = start_active(
            settings, out=out, keep_volumes=volumes, executor=executor, echo=typer.echo,
            note=lambda line: typer.echo(line, err=True), command_line=command_line(),
        )  # fmt: skip
    except (TooFewSamples, ClusterLost) as err:  # failed simulations, or a lost batch cluster
        echo_lines([f"error: {err}", "finished samples are kept; run the same command again "
                    "to resume"], err=True)  # fmt: skip
        raise typer.Exit(EXIT_RESUMABLE) from None
    typer.echo(f"{outcome.sentence(settings)}; predict with: surrogate predict {outcome.folder}")
