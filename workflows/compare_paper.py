"""The shipped reference datasets beside the paper: tortuosity by metric, cost per sample.

    python -m workflows.compare_paper                       # data/gdl200.h5, data/gdl1000.h5
    python -m workflows.compare_paper --figure tau.png      # and the two distributions

Prints Markdown tables: the tortuosity of each dataset by metric (mean, min, max, standard
deviation) beside the paper's reported values, the shift from the small to the large domain,
and the wall time and peak memory per sample as the sweep recorded them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from generator.dataset import TAU_COLUMNS as METRIC_COLUMNS
from generator.paper import TAU as PAPER_TAU

DATA = Path(__file__).resolve().parents[1] / "data"


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


def shift_table(tables: dict) -> str:
    """Markdown: how far the large domain sits right of the small one, per metric."""
    if not {"gdl200", "gdl1000"} <= set(tables):
        return ""
    from scipy.stats import mannwhitneyu

    lines = [
        "| metric | mean gdl1000 − gdl200 | median gdl1000 − gdl200 | Mann–Whitney p |",
        "|---|---|---|---|",
    ]
    paper = PAPER_TAU["gdl1000"]["mean"] - PAPER_TAU["gdl200"]["mean"]
    lines.append(f"| paper | {paper:+.2f} | | |")
    for metric, column in METRIC_COLUMNS.items():
        small, large = (
            tables[name].loc[tables[name]["status"] == "ok", column].to_numpy(dtype=float)
            for name in ("gdl200", "gdl1000")
        )
        p = mannwhitneyu(large, small, alternative="two-sided").pvalue
        lines.append(
            f"| `{metric}` | {large.mean() - small.mean():+.4f} | "
            f"{np.median(large) - np.median(small):+.4f} | {p:.2g} |"
        )
    return "\n".join(lines)


def cost_table(datasets: dict) -> str:
    """Markdown: per-sample wall time (median, max) by stage and peak worker memory."""
    from generator.parameters import resolve_domain

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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", type=Path, help="default: the shipped ones")
    parser.add_argument("--figure", type=Path, help="write the tau distributions to this PNG")
    args = parser.parse_args(argv)

    from generator import open_dataset

    paths = args.datasets or [DATA / "gdl200.h5", DATA / "gdl1000.h5"]
    datasets = {path.stem: open_dataset(path) for path in paths}
    tables = {name: data.table for name, data in datasets.items()}
    print(tortuosity_table(tables), end="\n\n")
    shift = shift_table(tables)
    if shift:
        print(shift, end="\n\n")
    print(cost_table(datasets))
    if args.figure:
        from workflows.gdl_study import plot_tortuosity_distributions

        print(f"\nfigure: {plot_tortuosity_distributions(tables, args.figure)}")


if __name__ == "__main__":
    main()
