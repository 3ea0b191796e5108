"""Measure the fibre direction distribution the generator realises, and plot it.

For each domain preset and each fibre sampling mode (stratified, independent) this places the
fibres of several seeds at one mid-range parameter set and records, per sample, the
length-weighted histogram of the in-plane angle phi (15 degree bins, relative to uniform), of
the tilt theta (relative to the documented uniform law), the moments <cos 2phi> and <cos 4phi>,
T33 and the fibre count. ``--reference`` adds a table written earlier (for example by another
version of the model) to the plot.

Run: ``python -m workflows.fibre_directions --out generator/doc/fibre_directions``; the shipped
figure adds the model before the Poisson line process with
``--reference generator/doc/fibre_directions_before.csv``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from generator.structure import DEFAULT_ORIENTATION, tilt_limit
from generator.structure.parameters import DOMAIN_PRESETS, voxel_shape
from workflows._cli import run, workflow_app

app = workflow_app()
DEFAULT_OUT = Path("fibre_directions")

PHI_BINS = 12  # 15 degrees each over [0, 180)
TILT_BINS = 8
MID = {"fiber_diameter_um": 9.0, "fiber_fraction": 0.175, "thickness_um": 300.0}


def direction_statistics(direction: np.ndarray, length: np.ndarray, t33: float) -> dict:
    """Length-weighted direction statistics of one fibre list."""
    phi = np.mod(np.arctan2(direction[:, 1], direction[:, 0]), np.pi)
    theta = np.arcsin(np.clip(direction[:, 2], -1, 1))
    weight = length / length.sum()
    phi_share, _ = np.histogram(phi, bins=PHI_BINS, range=(0, np.pi), weights=weight)
    limit = tilt_limit(t33)
    tilt_share, _ = np.histogram(theta, bins=TILT_BINS, range=(-limit, limit), weights=weight)
    row = {
        "cos2phi": float(weight @ np.cos(2 * phi)),
        "cos4phi": float(weight @ np.cos(4 * phi)),
        "t33": float(weight @ direction[:, 2] ** 2),
        "n_fibres": int(np.count_nonzero(length > 0)),
    }
    row.update({f"phi_{k}": PHI_BINS * v for k, v in enumerate(phi_share)})
    row.update({f"tilt_{k}": TILT_BINS * v for k, v in enumerate(tilt_share)})
    return row


def measure(seeds: int = 8, voxel_um: float = 2.0, label: str = "current") -> pd.DataFrame:
    """One row per domain, mode and seed, from the fibres placed by the generator."""
    from generator.structure.generate import place_fibres

    rows = []
    for domain, in_plane in DOMAIN_PRESETS.items():
        shape = voxel_shape(in_plane, MID["thickness_um"], voxel_um)
        for stratify in (True, False):
            for seed in range(seeds):
                _, fibres = place_fibres(
                    shape,
                    voxel_um,
                    0.5 * MID["fiber_diameter_um"],
                    MID["fiber_fraction"],
                    DEFAULT_ORIENTATION,
                    seed,
                    stratify=stratify,
                )
                row = {"model": label, "domain": domain, "stratify": stratify, "seed": seed}
                row.update(
                    direction_statistics(fibres.direction, fibres.length, DEFAULT_ORIENTATION[2])
                )
                rows.append(row)
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per model, domain and mode: worst bin, worst per-sample moments, mean T33 and count."""
    phi_columns = [c for c in table if c.startswith("phi_")]
    groups = table.groupby(["model", "domain", "stratify"], sort=False)
    out = groups.apply(
        lambda g: pd.Series(
            {
                "phi_bin_min": g[phi_columns].mean().min(),
                "phi_bin_max": g[phi_columns].mean().max(),
                "max_abs_cos2phi": g["cos2phi"].abs().max(),
                "max_abs_cos4phi": g["cos4phi"].abs().max(),
                "t33_mean": g["t33"].mean(),
                "n_fibres_mean": g["n_fibres"].mean(),
            }
        ),
        include_groups=False,
    )
    return out.reset_index()


def directions_figure(table: pd.DataFrame):
    """Mean length share per phi and tilt bin, relative to the target law, per domain.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows as :func:`measure` writes them (one per model, domain, mode and seed).

    Returns
    -------
    matplotlib.figure.Figure
        One column per domain preset (phi above, tilt below), one line per model and mode, the
        band of ± 5 % in grey, the legend beside the panels.
    """
    from matplotlib.figure import Figure  # no pyplot: the caller's backend stays as it is

    from generator.viz import legend_outside

    # Constrained layout makes room for the legend beside the panels (tight_layout would not).
    fig = Figure(figsize=(13, 7), layout="constrained")
    axes = fig.subplots(2, 2, sharey="row")
    phi_centres = (np.arange(PHI_BINS) + 0.5) * 180 / PHI_BINS
    limit = np.degrees(tilt_limit(DEFAULT_ORIENTATION[2]))
    tilt_centres = -limit + (np.arange(TILT_BINS) + 0.5) * 2 * limit / TILT_BINS
    for column, domain in enumerate(DOMAIN_PRESETS):
        for (model, stratify), group in table[table["domain"] == domain].groupby(
            ["model", "stratify"], sort=False
        ):
            label = f"{model}, {'stratified' if stratify else 'independent'}"
            phi = group[[f"phi_{k}" for k in range(PHI_BINS)]]
            tilt = group[[f"tilt_{k}" for k in range(TILT_BINS)]]
            axes[0, column].plot(phi_centres, phi.mean(), marker="o", label=label)
            axes[1, column].plot(tilt_centres, tilt.mean(), marker="o", label=label)
        x_um, y_um = DOMAIN_PRESETS[domain]
        axes[0, column].set_title(f"domain {domain} ({x_um:g} × {y_um:g} µm)")
        axes[0, column].set_xlabel("in-plane angle φ (°), 15° bins")
        axes[1, column].set_xlabel("tilt θ (°)")
        for row in range(2):
            axes[row, column].axhspan(0.95, 1.05, color="0.9", zorder=0)
            axes[row, column].axhline(1.0, color="k", lw=0.8)
    axes[0, 0].set_ylabel("length share / uniform")
    axes[1, 0].set_ylabel("length share / documented law")
    legend_outside(axes[0, 1], fontsize=8)
    n_seeds = table.groupby(["model", "domain", "stratify"]).size().max()
    fig.suptitle(f"Fibre directions, mean over {n_seeds} seeds (grey: ± 5 %)")
    return fig


def plot(table: pd.DataFrame, path: Path) -> None:
    """Save :func:`directions_figure` of ``table`` to ``path`` as a PNG."""
    directions_figure(table).savefig(path, dpi=110)


@app.command()
def fibre_directions(
    out: Annotated[Path, typer.Option(help="Output path (.csv, .png).")] = DEFAULT_OUT,
    seeds: Annotated[int, typer.Option(help="Samples per domain.")] = 8,
    voxel_um: Annotated[float, typer.Option("--voxel-um", help="Voxel size in µm.")] = 2.0,
    label: Annotated[str, typer.Option(help="Name of this run in the table.")] = "current",
    reference: Annotated[
        Path | None, typer.Option(help="A table written earlier, to compare.")
    ] = None,
) -> None:
    """Measure the fibre direction distribution the generator realises, and plot it."""
    table = measure(seeds, voxel_um, label)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out.with_suffix(".csv"), index=False)
    if reference:
        table = pd.concat([pd.read_csv(reference, dtype={"domain": str}), table], ignore_index=True)
    plot(table, out.with_suffix(".png"))
    with pd.option_context("display.width", 140, "display.precision", 4):
        print(summary(table).to_string(index=False))


def main(argv=None) -> None:
    run(app, "workflows.fibre_directions", argv)


if __name__ == "__main__":
    main()
