"""``gdl-generator tortuosity``: the geometric or diffusive tortuosity of any 3D image, as JSON."""

from __future__ import annotations

from pathlib import Path

import typer

METHODS = ("geodesic", "diffusive")


def voxel_spacing(text: str | None, default: float | None) -> float | list[float]:
    """The voxel size of ``--voxel-um``: one value, or three (z,y,x) separated by commas or
    spaces; without it the file's own (``default``), else 1."""
    if text is None:
        return default or 1.0
    try:
        parts = [float(v) for v in text.replace(",", " ").split()]
    except ValueError:
        parts = []
    if len(parts) not in (1, 3):
        raise ValueError(f"--voxel-um {text!r} needs one value or three (z,y,x)")
    return parts[0] if len(parts) == 1 else parts


def tortuosity(
    image: Path = typer.Argument(..., help="A .h5 sample, a .tif/.tiff stack or a .npy array."),
    axis: str = typer.Option("z", help="Flow axis: z (array axis 0), y or x."),
    method: str = typer.Option(
        "geodesic",
        help="geodesic: shortest paths through the pore (tau, --metric); diffusive: steady "
        "diffusion, the tortuosity factor and effective diffusivity (TauFactor's convention).",
    ),
    metric: str = typer.Option(
        "euclidean", help="Path metric of --method geodesic: euclidean or lattice."
    ),
    boundary: str = typer.Option(
        "no_flux", help="Sides of --method diffusive: no_flux (closed) or periodic."
    ),
    voxel_um: str = typer.Option(
        None,
        "--voxel-um",
        help="Voxel size in um: one value or three (z,y,x). Default: the file's own, else 1.",
    ),
    pore_label: int = typer.Option(
        None,
        "--pore-label",
        help="Label of the pore phase: needed for integer images, unless the file records its "
        "labels (this generator's samples do). Boolean .npy masks are True = pore.",
    ),
    dataset: str = typer.Option(
        None, "--dataset", help="The 3D dataset to read from an HDF5 file of another tool."
    ),
) -> None:
    """Geodesic or diffusive tortuosity of an image, as JSON.

    Which voxels are pore is never guessed: a boolean mask is True = pore, a generator sample
    says its own labels, any other image needs --pore-label (PuMA, GeoDict and ImageJ masks mark
    pore 0; PoreSpy marks pore 1).
    """
    import json

    from generator.tortuosity.diffusive import BOUNDARIES
    from generator.tortuosity.images import read_image

    if method not in METHODS:
        raise ValueError(f"--method {method!r} is not one of {', '.join(METHODS)}")
    if boundary not in BOUNDARIES:  # checked before the image is read
        raise ValueError(f"--boundary {boundary!r} is not one of {', '.join(BOUNDARIES)}")
    loaded = read_image(image, dataset=dataset)
    label = pore_label if pore_label is not None else loaded.pore_label
    common = dict(
        axis=int(axis) if axis.isdigit() else axis,
        voxel_um=voxel_spacing(voxel_um, loaded.voxel_um),
        pore_label=label,
        progress=True,
    )
    if method == "diffusive":
        from generator.tortuosity.diffusive import diffusive_tortuosity

        summary = diffusive_tortuosity(loaded.array, boundary=boundary, **common).to_dict()
        summary.update(method="diffusive")
    else:
        from generator.tortuosity.geometric import geometric_tortuosity

        summary = geometric_tortuosity(loaded.array, metric=metric, **common).summary()
        summary.update(method="geodesic")
    # The axis as the user names it (z, y, x); its array index beside it.
    summary.update(axis_index=summary["axis"], axis="zyx"[summary["axis"]], image=str(image))
    summary["pore_label"] = label
    typer.echo(json.dumps(summary, indent=2))
