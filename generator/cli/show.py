"""``gdl-generator show``: a sample drawn as a PNG, with its tortuosity map on request."""

from __future__ import annotations

from pathlib import Path

import typer


def show(
    path: Path = typer.Argument(..., help="A sample file written by 'sample'."),
    out: Path = typer.Option(None, "--out", help="Output PNG (default: next to the sample)."),
    tortuosity: bool = typer.Option(
        False,
        "--tortuosity",
        help="Also compute the tortuosity and draw its map (<out>_tortuosity.png).",
    ),
    metric: str = typer.Option("euclidean", help="Path metric for --tortuosity."),
) -> None:
    """Draw a sample: slices by phase and the phase profile.

    Three orthogonal slices coloured by phase, the through-plane phase profile, the sample's
    parameters in the title; with --tortuosity also the outlet-face map of path lengths.
    """
    from generator.cli.output import check_output_file
    from generator.structure.sample import read_sample
    from generator.viz.figures import plot_sample

    loaded = read_sample(path)
    target = out or path.with_suffix(".png")
    check_output_file(target)
    plot_sample(loaded, target)
    typer.echo(f"wrote {target}")
    if tortuosity:
        from generator._shared.phases import PORE
        from generator.tortuosity.geometric import geometric_tortuosity
        from generator.viz.figures import describe_parameters, plot_tortuosity

        result = geometric_tortuosity(
            loaded.volume, metric=metric, voxel_um=loaded.voxel_um, pore_label=PORE, progress=True
        )
        map_path = target.with_name(target.stem + "_tortuosity.png")
        title = f"{path.name}: {describe_parameters(loaded.parameters)}, seed {loaded.seed}"
        plot_tortuosity(result, map_path, title=title)
        typer.echo(f"wrote {map_path}")
