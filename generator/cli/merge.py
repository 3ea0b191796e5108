"""``gdl-generator merge``: the sample files of a sharded sweep consolidated into its dataset."""

from __future__ import annotations

import typer

from generator.cli.options import PLAN, RANGES, ShardBaseOption, option_groups


@option_groups
def merge(
    plan: dict = PLAN,
    ranges: dict = RANGES,
    shards: int = typer.Option(
        None,
        envvar="GDL_SHARDS",
        help="Shards the sweep ran in: name the ones to rerun for missing samples.",
    ),
    shard_base: ShardBaseOption = 1,
    force: bool = typer.Option(False, "--force", help="Replace a dataset of another plan."),
) -> None:
    """Merge the sample files of a sharded sweep into its dataset.

    Give the same plan options as the sweep.

    Missing samples are listed on stderr with the shards to rerun; the exit code is then 1.
    """
    from generator._shared.provenance import command_line
    from generator.cli.output import print_report
    from generator.sweep.options import PlanOptions, merge_from_options

    report = merge_from_options(
        PlanOptions(**plan, ranges=ranges), shards=shards, shard_base=shard_base, force=force,
        command_line=command_line(),
    )  # fmt: skip
    print_report(report)
