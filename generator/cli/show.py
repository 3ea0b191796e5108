"""``gdl-generator show``: a sample drawn as a PNG, with its tortuosity map on request."""

from __future__ import annotations

from pathlib import Path

import typer

from generator.cli.options import OverwriteOption


def show(
    path: Path = typer.Argument(..., help="A sample file written by 'sample'."),
    out: Path = typer.Option(
        None,
        "--out",
        help="Output PNG (default: next to the sample; the suffix picks the format: .png, "
        ".pdf, .svg...).",
    ),
    tortuosity: bool = typer.Option(
        False,
        "--tortuosity",
        help="Also compute the tortuosity and draw its map (<out>_tortuosity.png).",
    ),
    metric: str = typer.Option("euclidean", help="Path metric for --tortuosity."),
    force: OverwriteOption = False,
) -> None:
    """Draw a sample: slices by phase and the phase profile.

    Three orthogonal slices coloured by phase, the through-plane phase profile, the sample's
    parameters in the title; with --tortuosity also the outlet-face map of path lengths.
    """
    from generator._shared.targets import check_output_file
    from generator.structure.sample import read_sample
    from generator.tortuosity.inputs import METRICS
    from generator.viz.figures import figure_path, plot_sample

    # Every option and output is checked before the sample is read or anything is drawn.
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not one of {', '.join(METRICS)}")
    target = figure_path(out or path.with_suffix(".png"))
    map_path = target.with_name(target.stem + "_tortuosity.png")
    for each in (target, map_path) if tortuosity else (target,):
        if each.resolve() == path.resolve():
            raise ValueError(f"out={each} is the sample being drawn; choose another 'out'")
        check_output_file(each, force=force)
    loaded = read_sample(path)
    typer.echo(f"wrote {plot_sample(loaded, target)}")
    if tortuosity:
        from generator._shared.phases import PORE
        from generator.tortuosity.geometric import geometric_tortuosity
        from generator.viz.figures import describe_parameters, plot_tortuosity

        result = geometric_tortuosity(
            loaded.volume, metric=metric, voxel_um=loaded.voxel_um, pore_label=PORE, progress=True
        )
        title = f"{path.name}: {describe_parameters(loaded.parameters)}, seed {loaded.seed}"
        typer.echo(f"wrote {plot_tortuosity(result, map_path, title=title)}")
