"""``gdl-generator merge``: the sample files of a sharded sweep consolidated into its dataset."""

from __future__ import annotations

import typer

from generator.cli.options import (
    BinderRange,
    CompressionRange,
    CountOption,
    DatasetOutOption,
    DesignOption,
    DiameterRange,
    DomainOption,
    FibreRange,
    PairingOption,
    SeedOption,
    ShardBaseOption,
    StratifyOption,
    ThicknessRange,
    VolumesOption,
    VoxelOption,
)


def merge(
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

    options = PlanOptions(
        domain=domain, n=n, design=design, seed=seed, voxel_um=voxel_um, out=out,
        keep_volumes=keep_volumes, stratify=stratify, pairing=pairing,
        ranges=dict(
            fiber_diameter_um=fiber_diameter_range, fiber_fraction=fiber_fraction_range,
            binder_fraction=binder_fraction_range, thickness_um=thickness_range,
            compression=compression_range,
        ),
    )  # fmt: skip
    print_report(
        merge_from_options(
            options, shards=shards, shard_base=shard_base, force=force, command_line=command_line()
        )
    )
