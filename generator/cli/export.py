"""``gdl-generator export``: a sample's label volume for ParaView, ImageJ, Avizo or GeoDict."""

from __future__ import annotations

from pathlib import Path

import typer

from generator.cli.options import OverwriteOption


def export(
    path: Path = typer.Argument(
        ..., metavar="SAMPLE", help="A sample file from 'sample', or a sweep dataset."
    ),
    file_format: str = typer.Option(
        ...,
        "--format",
        help="tiff (ImageJ/Fiji, Avizo, GeoDict), vti (ParaView), xdmf (ParaView, VisIt; reads "
        "the HDF5 file in place), raw (+ .mhd and .raw.txt headers: GeoDict, Avizo, ITK, Slicer).",
    ),
    out: Path = typer.Option(
        None, "--out", help="Output file (default: beside SAMPLE, with the format's suffix)."
    ),
    sample: int = typer.Option(
        None, "--sample", help="For a sweep dataset: the sample's design index (table 'index')."
    ),
    force: OverwriteOption = False,
) -> None:
    """Export a sample for ParaView, ImageJ, Avizo or GeoDict.

    The label volume (uint8: 0 pore, 1 fibre, 2 binder) with its voxel size and phase names.
    """
    from generator._shared.progress import stage
    from generator.export.volume import (
        check_format,
        check_outputs,
        default_output,
        export_volume,
        open_volume,
    )

    name = check_format(file_format)
    source = open_volume(path, sample=sample)
    target = out or default_output(source, name)
    check_outputs(source, target, name, force=force)
    with stage(f"writing {target}"):
        result = export_volume(source, target, file_format=name)
    nz, ny, nx = source.shape_zyx
    typer.echo(
        f"wrote {', '.join(map(str, result.paths))}: {nx} x {ny} x {nz} voxels (x y z) of "
        f"{source.voxel_um:g} um, phases {source.phase_text()}"
    )
