"""The shipped reference datasets beside the paper: tortuosity by metric, cost per sample.

    python -m workflows.compare_paper                       # data/gdl200.h5, data/gdl1000.h5
    python -m workflows.compare_paper --figure tau.png      # and the two distributions

Prints Markdown tables: the tortuosity of each dataset by metric (mean, min, max, standard
deviation) beside the paper's reported values, the shift from the small to the large domain
(paired when the designs are), the scatter between seeds at fixed parameters, the inputs ranked
by importance beside the paper's order, and the wall time and peak memory per sample as the
sweep recorded them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from generator.paper import GDL_FEATURE_ORDER as PAPER_FEATURE_ORDER
from generator.paper import TAU as PAPER_TAU
from generator.sweep.dataset import TAU_COLUMNS as METRIC_COLUMNS
from generator.sweep.design import PARAMETERS
from workflows._cli import bad_option, run, workflow_app

app = workflow_app()
DATA = Path(__file__).resolve().parents[1] / "data"


def plot_tortuosity_distributions(tables: dict, path: Path) -> Path:
    """Histograms of the datasets' tortuosity, one panel per metric, saved to ``path``.

    Parameters
    ----------
    tables : dict
        ``{dataset name: sample table}``; only rows whose ``status`` is ``"ok"`` are drawn.
    path : Path
        The figure file (its suffix picks the format).

    Returns
    -------
    Path
        The file written: each metric's datasets on one set of 20 shared bin edges, each
        dataset's n and mean ± sd beside its panel (:func:`generator.viz.plot_histograms`).
    """
    from generator.viz import plot_histograms

    panels = {
        f"geometric tortuosity τ ({metric} metric)": {
            name: table.loc[table["status"] == "ok", column] for name, table in tables.items()
        }
        for metric, column in METRIC_COLUMNS.items()
    }
    return plot_histograms(panels, path)


def tortuosity_table(tables: dict) -> str:
    """Markdown: tau statistics per dataset and metric, the paper's row first."""
    lines = [
        "| dataset | source | n | mean | min | max | std |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, table in tables.items():
        paper = PAPER_TAU.get(name)
        if paper:
            lines.append(
                f"| {name} | paper (GeoDict) | | {paper['mean']:.2f} | {paper['min']:.2f} | "
                f"{paper['max']:.2f} | |"
            )
        ok = table[table["status"] == "ok"]
        for metric, column in METRIC_COLUMNS.items():
            values = ok[column].to_numpy(dtype=float)
            lines.append(
                f"| {name} | ours, `{metric}` | {len(values)} | {values.mean():.4f} | "
                f"{values.min():.4f} | {values.max():.4f} | {values.std(ddof=1):.4f} |"
            )
    return "\n".join(lines)


def _plan(data) -> dict:
    return data.provenance.get("plan", {})


def design_overlap(small, large) -> tuple[int, int]:
    """Rows of ``large`` whose parameter vector, and whose seed, also occur in ``small``."""
    key = list(PARAMETERS)
    vectors = {tuple(np.round(row, 12)) for row in small[key].to_numpy(dtype=float)}
    shared_vectors = sum(
        tuple(np.round(row, 12)) in vectors for row in large[key].to_numpy(dtype=float)
    )
    shared_seeds = int(large["seed"].isin(set(small["seed"])).sum())
    return shared_vectors, shared_seeds


def paired_rows(small, large):
    """Index-aligned rows of two paired designs (same parameter sets), or None."""
    n = min(len(small), len(large))
    a = small.set_index("index").loc[range(n)]
    b = large.set_index("index").loc[range(n)]
    same = np.allclose(a[list(PARAMETERS)], b[list(PARAMETERS)], rtol=1e-12, atol=0)
    return (a, b) if same else None


def shift_table(datasets: dict) -> str:
    """Markdown: how far the large domain sits from the small one, per metric.

    Paired designs (``--pairing paired``: the same parameter sets on both domains) are compared
    sample by sample (mean and sd of the differences, Wilcoxon signed-rank and paired t tests);
    independent designs with Mann-Whitney and Welch tests. Rows whose inputs occur in both
    datasets are counted: with independent designs there are none.
    """
    if not {"gdl200", "gdl1000"} <= set(datasets):
        return ""
    from scipy import stats

    small_data, large_data = datasets["gdl200"], datasets["gdl1000"]
    small = small_data.table[small_data.table["status"] == "ok"]
    large = large_data.table[large_data.table["status"] == "ok"]
    shared_vectors, shared_seeds = design_overlap(small, large)
    pairs = None
    if _plan(small_data).get("pairing") == _plan(large_data).get("pairing") == "paired":
        pairs = paired_rows(small, large)
    paper = PAPER_TAU["gdl1000"]["mean"] - PAPER_TAU["gdl200"]["mean"]
    lines = [
        f"gdl1000 rows whose inputs occur in gdl200: {shared_vectors} of {len(large)}; "
        f"shared seeds: {shared_seeds}.",
        "",
    ]
    if pairs is not None:
        a, b = pairs
        lines += [
            f"| metric | paired shift gdl1000 − gdl200 (mean ± sd, n={len(a)}) "
            "| Wilcoxon p | paired t p |",
            "|---|---|---|---|",
            f"| paper | {paper:+.2f} (not paired) | | |",
        ]
        for metric, column in METRIC_COLUMNS.items():
            diff = b[column].to_numpy(dtype=float) - a[column].to_numpy(dtype=float)
            lines.append(
                f"| `{metric}` | {diff.mean():+.4f} ± {diff.std(ddof=1):.4f} | "
                f"{stats.wilcoxon(diff).pvalue:.2g} | {stats.ttest_1samp(diff, 0).pvalue:.2g} |"
            )
        return "\n".join(lines)
    lines += [
        "| metric | mean gdl1000 − gdl200 | median gdl1000 − gdl200 | Mann–Whitney p | Welch t p |",
        "|---|---|---|---|---|",
        f"| paper | {paper:+.2f} | | | |",
    ]
    for metric, column in METRIC_COLUMNS.items():
        s, g = (t[column].to_numpy(dtype=float) for t in (small, large))
        lines.append(
            f"| `{metric}` | {g.mean() - s.mean():+.4f} | {np.median(g) - np.median(s):+.4f} | "
            f"{stats.mannwhitneyu(g, s, alternative='two-sided').pvalue:.2g} | "
            f"{stats.ttest_ind(g, s, equal_var=False).pvalue:.2g} |"
        )
    return "\n".join(lines)


def feature_ranking(tables: dict, repeats: int = 30) -> str:
    """Markdown: inputs ranked by permutation importance (drop in R² when one input is
    shuffled) of a quadratic ridge fit to each dataset's euclidean tau, beside the paper's
    SHAP order."""
    from sklearn.inspection import permutation_importance

    from surrogate.evaluation.evaluate import quadratic_ridge

    importance = {}
    for name, table in tables.items():
        ok = table[table["status"] == "ok"]
        x = ok[list(PARAMETERS)].to_numpy(dtype=float)
        y = ok[METRIC_COLUMNS["euclidean"]].to_numpy(dtype=float)
        model = quadratic_ridge().fit(x, y)
        result = permutation_importance(model, x, y, n_repeats=repeats, random_state=0)
        importance[name] = (result.importances_mean, model.score(x, y))
    header = "| input | paper rank (SHAP) | " + " | ".join(
        f"{name}: rank (ΔR²), fit R² {r2:.3f}" for name, (_, r2) in importance.items()
    )
    lines = [header + " |", "|---" * (2 + len(importance)) + "|"]
    for parameter in PARAMETERS:
        cells = [parameter, str(PAPER_FEATURE_ORDER.index(parameter) + 1)]
        for values, _ in importance.values():
            rank = int(np.sum(values > values[PARAMETERS.index(parameter)])) + 1
            cells.append(f"{rank} ({values[PARAMETERS.index(parameter)]:.3f})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def noise_floor_table(path: Path | None = None) -> str:
    """Markdown: tau's scatter between seeds at fixed parameters, if it has been measured."""
    import pandas as pd

    from generator.sweep.noise_floor import SHIPPED_FILE, markdown, summarise

    path = path or SHIPPED_FILE
    if not path.exists():
        return ""

    return markdown(summarise(pd.read_csv(path, dtype={"domain": str})))


def cost_table(datasets: dict) -> str:
    """Markdown: per-sample wall time (median, max) by stage and peak worker memory."""
    from generator.structure.parameters import resolve_domain

    lines = [
        "| dataset | voxels a sample (median) | generate s | tortuosity s (euclidean + lattice) "
        "| total s | peak RSS GiB |",
        "|---|---|---|---|---|---|",
    ]
    for name, data in datasets.items():
        ok = data.table[data.table["status"] == "ok"]
        _, (x_um, y_um) = resolve_domain(data.provenance["domain"])
        voxel_um = data.provenance["voxel_um"]
        voxels = ok["thickness_voxels"].median() * round(x_um / voxel_um) * round(y_um / voxel_um)
        tortuosity = ok["tortuosity_euclidean_s"] + ok["tortuosity_lattice_s"]

        def spread(values):
            return f"{np.median(values):.1f} (max {np.max(values):.1f})"

        lines.append(
            f"| {name} | {voxels:.2e} | {spread(ok['generate_s'])} | {spread(tortuosity)} | "
            f"{spread(ok['total_s'])} | {ok['peak_rss_gib'].median():.2f} "
            f"(max {ok['peak_rss_gib'].max():.2f}) |"
        )
    return "\n".join(lines)


@app.command()
def compare_paper(
    datasets_given: Annotated[
        list[Path] | None,
        typer.Argument(metavar="DATASETS", help="Dataset files (default: the shipped ones)."),
    ] = None,
    figure: Annotated[
        Path | None, typer.Option(help="Write the tau distributions to this PNG.")
    ] = None,
) -> None:
    """The shipped reference datasets beside the paper: tortuosity by metric, cost per sample."""
    from generator import open_dataset

    if figure:
        # A name matplotlib would not write as named (no suffix, not an image format) is
        # refused before the datasets are read, not after the tables are printed.
        from generator.viz.figures import figure_path

        try:
            figure_path(figure)
        except ValueError as err:
            # Its message names the library's argument (out=...); the option names itself.
            raise bad_option(ValueError(str(err).removeprefix("out=")), "'--figure'") from None
    paths = datasets_given or [DATA / "gdl200.h5", DATA / "gdl1000.h5"]
    datasets = {path.stem: open_dataset(path) for path in paths}
    tables = {name: data.table for name, data in datasets.items()}
    print(tortuosity_table(tables), end="\n\n")
    shift = shift_table(datasets)
    if shift:
        print(shift, end="\n\n")
    floor = noise_floor_table()
    if floor:
        print("Scatter of tau between seeds at fixed parameters (the MAPE floor):", end="\n\n")
        print(floor, end="\n\n")
    print(feature_ranking(tables), end="\n\n")
    print(cost_table(datasets))
    if figure:
        print(f"\nfigure: {plot_tortuosity_distributions(tables, figure)}")


def main(argv=None) -> None:
    run(app, "workflows.compare_paper", argv)


if __name__ == "__main__":
    main()
