"""``gdl-generator sample``: one sample, written to an HDF5 file."""

from __future__ import annotations

from pathlib import Path

import typer

from generator.cli.options import STRATIFY_HELP, OverwriteOption


def sample(
    out: Path = typer.Option(..., "--out", help="Output HDF5 file."),
    domain: str = typer.Option(
        "200", help="Domain preset: 200 (2000 x 200 um) or 1000 (1000 x 1000 um)."
    ),
    fiber_diameter: float = typer.Option(9.0, help="Fibre diameter in um (6-12)."),
    fiber_fraction: float = typer.Option(0.18, help="Fibre volume fraction (0.10-0.25)."),
    binder_fraction: float = typer.Option(0.07, help="Binder (PTFE) volume fraction (0.05-0.10)."),
    thickness: float = typer.Option(300.0, help="Thickness before compression in um (280-320)."),
    compression: float = typer.Option(0.2, help="Compression factor (0-0.5)."),
    seed: int = typer.Option(0, help="Random seed; same seed, same volume."),
    voxel_um: float = typer.Option(1.0, "--voxel-um", help="Voxel size in um; >1 coarsens."),
    stratify: bool = typer.Option(
        True, "--stratify/--no-stratify", help=STRATIFY_HELP, show_default=True
    ),
    force: OverwriteOption = False,
) -> None:
    """Generate one sample and write it to an HDF5 file."""
    from generator._shared.progress import stage
    from generator._shared.targets import check_output_file
    from generator.structure.generate import generate

    check_output_file(out, force=force)
    result = generate(
        fiber_diameter_um=fiber_diameter,
        fiber_fraction=fiber_fraction,
        binder_fraction=binder_fraction,
        thickness_um=thickness,
        compression=compression,
        domain=domain,
        seed=seed,
        voxel_um=voxel_um,
        stratify=stratify,
        progress=True,
    )
    with stage(f"writing {out}"):
        result.to_hdf5(out, force=force)
    before, after = result.fractions["before_compression"], result.fractions["after_compression"]
    nz, ny, nx = result.volume.shape
    typer.echo(
        f"wrote {out}: {nx} x {ny} x {nz} voxels of {voxel_um:g} um, {len(result.fibres)} fibres; "
        f"fibre {before['fibre']:.4f}, binder {before['binder']:.4f} before compression; "
        f"porosity {after['pore']:.4f} after; {sum(result.timings.values()):.1f} s"
    )
