"""How the diffusive tortuosity factor of a sweep relates to its porosity and geometric tau.

    python -m workflows.diffusive_relation DATASET [--figure PNG]

Reads a dataset swept with ``--properties geodesic,diffusive`` and prints a Markdown table
(for ``python -m workflows.readme_blocks --capture``): the range of each quantity, their
correlations, and the relative error of relations a modeller would use instead of a solve,
each scored out of sample (leave-one-out: a relation fitted on the other rows predicts each
row):

* Bruggeman, ``tau = porosity ** -0.5`` (nothing fitted);
* a power law in porosity, ``tau = a porosity ** -b``;
* the power law times a power of the geometric tortuosity, ``tau = a porosity ** -b tau_g ** c``.

The figure shows tau against porosity (with Bruggeman and the fitted power law) and against the
geometric tau.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from workflows._cli import bad_option, run, workflow_app

app = workflow_app()
GEOMETRIC = "tau_euclidean"


def design_matrix(porosity: np.ndarray, tau_geometric: np.ndarray | None) -> np.ndarray:
    """Columns of the log-linear fit: 1, log porosity (and log tau_g)."""
    columns = [np.ones_like(porosity), np.log(porosity)]
    if tau_geometric is not None:
        columns.append(np.log(tau_geometric))
    return np.column_stack(columns)


def leave_one_out(matrix: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Out-of-sample predictions of ``exp(matrix @ coef)`` by least squares in log space.

    Examples
    --------
    An exact power law is predicted exactly from the other rows:

    >>> import numpy as np
    >>> porosity = np.array([0.5, 0.6, 0.7, 0.8])
    >>> tau = 1.2 * porosity ** -0.7
    >>> np.allclose(leave_one_out(design_matrix(porosity, None), tau), tau)
    True
    """
    predicted = np.empty_like(target)
    for row in range(len(target)):
        keep = np.arange(len(target)) != row
        coef, *_ = np.linalg.lstsq(matrix[keep], np.log(target[keep]), rcond=None)
        predicted[row] = np.exp(matrix[row] @ coef)
    return predicted


def relation_table(table) -> tuple[str, dict]:
    """The Markdown table and its numbers for the finished rows of ``table``."""
    from scipy import stats

    ok = table[(table["status"] == "ok") & np.isfinite(table["tau_diffusive"])]
    porosity = ok["pore_fraction_after"].to_numpy(float)
    tau = ok["tau_diffusive"].to_numpy(float)
    geometric = ok[GEOMETRIC].to_numpy(float)
    n = len(tau)
    if n < 5:
        raise ValueError(f"the dataset has {n} finished rows with tau_diffusive; at least 5 needed")
    fits = {
        "Bruggeman, porosity^-0.5 (not fitted)": porosity**-0.5,
        "a porosity^-b": leave_one_out(design_matrix(porosity, None), tau),
        "a porosity^-b tau_g^c": leave_one_out(design_matrix(porosity, geometric), tau),
    }
    full, *_ = np.linalg.lstsq(design_matrix(porosity, None), np.log(tau), rcond=None)
    errors = {name: np.abs(pred / tau - 1) for name, pred in fits.items()}
    numbers = {
        "rows": n,
        "tau_diffusive": [float(tau.min()), float(tau.max())],
        "porosity": [float(porosity.min()), float(porosity.max())],
        GEOMETRIC: [float(geometric.min()), float(geometric.max())],
        "pearson_tau_geometric": float(stats.pearsonr(tau, geometric)[0]),
        "pearson_tau_porosity": float(stats.pearsonr(tau, porosity)[0]),
        "power_law": {"a": float(np.exp(full[0])), "b": float(-full[1])},
        "relative_error": {
            name: {"mean": float(e.mean()), "max": float(e.max())} for name, e in errors.items()
        },
    }
    lines = [
        f"{n} samples: tau_diffusive {tau.min():.2f}–{tau.max():.2f}, porosity "
        f"{porosity.min():.2f}–{porosity.max():.2f}, geometric tau ({GEOMETRIC}) "
        f"{geometric.min():.3f}–{geometric.max():.3f}; Pearson r of tau_diffusive with the "
        f"geometric tau {numbers['pearson_tau_geometric']:.2f}, with porosity "
        f"{numbers['pearson_tau_porosity']:.2f}. Fitted on all rows, tau_diffusive ≈ "
        f"{numbers['power_law']['a']:.2f} porosity^-{numbers['power_law']['b']:.2f}.",
        "",
        "| relation | mean relative error | largest |",
        "|---|---|---|",
    ]
    for name, error in errors.items():
        lines.append(f"| {name} | {100 * error.mean():.1f} % | {100 * error.max():.1f} % |")
    lines.append("")
    lines.append("Errors of the fitted relations are out of sample (leave-one-out).")
    return "\n".join(lines) + "\n", numbers


def relation_figure(table, numbers: dict):
    """tau_diffusive against porosity and against the geometric tau (a matplotlib Figure)."""
    from matplotlib.figure import Figure

    from generator.viz import legend_outside

    ok = table[(table["status"] == "ok") & np.isfinite(table["tau_diffusive"])]
    porosity = ok["pore_fraction_after"].to_numpy(float)
    tau = ok["tau_diffusive"].to_numpy(float)
    figure = Figure(figsize=(11, 3.6), layout="constrained")
    left, right = figure.subplots(1, 2)
    left.scatter(porosity, tau, s=12, color="C0", label="samples")
    grid = np.linspace(porosity.min(), porosity.max(), 100)
    a, b = numbers["power_law"]["a"], numbers["power_law"]["b"]
    left.plot(grid, grid**-0.5, color="C1", label="Bruggeman ε$^{-0.5}$")
    left.plot(grid, a * grid**-b, color="C2", label=f"fit {a:.2f} ε$^{{-{b:.2f}}}$")
    left.set_xlabel("porosity ε")
    left.set_ylabel("diffusive tortuosity factor")
    legend_outside(left, frameon=False)
    right.scatter(ok[GEOMETRIC], tau, s=12, color="C0")
    right.set_xlabel("geometric tortuosity (euclidean)")
    right.set_ylabel("diffusive tortuosity factor")
    return figure


@app.command()
def diffusive_relation(
    dataset: Annotated[Path, typer.Argument(help="A dataset with the diffusive columns.")],
    figure: Annotated[
        Path | None, typer.Option("--figure", help="Write the figure to this PNG.")
    ] = None,
) -> None:
    """Print how tau_diffusive relates to porosity and geometric tau (Markdown)."""
    from generator import open_dataset

    try:
        table = open_dataset(dataset).table
        if "tau_diffusive" not in table:
            raise ValueError(
                f"{dataset} has no tau_diffusive column: sweep it with --properties "
                "geodesic,diffusive"
            )
        text, numbers = relation_table(table)
    except (OSError, ValueError) as err:
        raise bad_option(err, "DATASET") from err
    print(text, end="")
    if figure is not None:
        relation_figure(table, numbers).savefig(figure, dpi=120)


def main(argv=None) -> None:
    run(app, "workflows.diffusive_relation", argv)


if __name__ == "__main__":
    main()
