"""The electrode study: graphite -> Si-graphite and graphite -> NMC, density and mass loading.

    python -m workflows.electrode_study [--table FILE] [--columns MAP.yaml] [--out electrode_study]

Runs ``surrogate``'s transfer evaluation for the four (destination, target) pairs and writes one
report (``<out>/report.md``) with the evaluation tables beside the paper's Table 1 and the
parity and SHAP figures of each run. With the shipped table every number is SYNTHETIC.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from generator.paper import TABLE_1_MAPE as PAPER_TABLE_1
from workflows._cli import output_folder, run, workflow_app

app = workflow_app()
DEFAULT_OUT = Path("electrode_study")

# The methods of the paper's Table 1, in the order of its tuples.
PAPER_METHODS = ("pretrained_on_source", "pretrained_on_target", "transferred")
PAPER_HEADER = "paper MAPE % (Table 1)"


def with_paper_column(markdown: str, name: str, target: str) -> str:
    """The evaluation table with the paper's Table 1 MAPE of ``(name, target)`` in its own
    column, on the rows of the three methods the paper reports (the others left blank)."""
    from surrogate.evaluation.report import LABELS

    paper = dict(zip(PAPER_METHODS, PAPER_TABLE_1[(name, target)], strict=True))
    by_label = {f"| {LABELS[m]} |": value for m, value in paper.items()}
    lines = []
    for line in markdown.splitlines():
        if line.startswith("| method |"):
            line += f" {PAPER_HEADER} |"
        elif line.startswith("|---"):
            line += "---|"
        elif line.startswith("| "):
            value = next((v for label, v in by_label.items() if line.startswith(label)), "")
            line += f" {value} |"
        lines.append(line)
    return "\n".join(lines)


def value_groups(values, gap: float) -> list[tuple[float, float, int]]:
    """Sorted ``values`` split wherever two neighbours are more than ``gap`` apart:
    ``[(low, high, count), ...]``."""
    ordered = np.sort(np.asarray(values, dtype=float))
    if not len(ordered):
        return []
    cuts = np.flatnonzero(np.diff(ordered) > gap) + 1
    return [(float(p[0]), float(p[-1]), len(p)) for p in np.split(ordered, cuts)]


def two_groups(values, *, separation: float = 5.0, smallest: float = 0.1):
    """The best split of ``values`` into a low and a high group (least within-group variance),
    when the groups' means are at least ``separation`` pooled standard deviations apart and
    each holds at least ``smallest`` of the rows (and 3); else None.

    Returns ``((low, high, count), (low, high, count), separation)``. Uniform values give a
    separation of about 3.5 and normal ones about 3, so 5 means a real gap in the middle.
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    n = len(ordered)
    least = max(3, int(np.ceil(smallest * n)))
    best = None
    for k in range(least, n - least + 1):
        low, high = ordered[:k], ordered[k:]
        within = (low.var() * len(low) + high.var() * len(high)) / n
        if best is None or within < best[0]:
            best = (within, k)
    if best is None or best[0] <= 0:
        return None
    within, k = best
    low, high = ordered[:k], ordered[k:]
    apart = float((high.mean() - low.mean()) / np.sqrt(within))
    if apart < separation:
        return None
    return (float(low[0]), float(low[-1]), k), (float(high[0]), float(high[-1]), n - k), apart


def _span(low: float, high: float, spread: float) -> str:
    """``1.4`` for a level narrower than 0.5 % of ``spread``, else ``1.38-1.42``."""
    return f"{low:.3g}" if high - low < 0.005 * spread else f"{low:.3g}-{high:.3g}"


def plateau(prediction, truth, tolerance: float, *, least: int = 3):
    """Indices of the largest set of rows whose predictions lie within ``tolerance`` of each
    other (neighbours when sorted) while their true values spread over more than 10 times
    ``tolerance`` -- a net flat over those rows -- when it holds at least ``least`` rows and a
    fifth of them; else None."""
    prediction, truth = np.asarray(prediction, dtype=float), np.asarray(truth, dtype=float)
    order = np.argsort(prediction, kind="stable")
    cuts = np.flatnonzero(np.diff(prediction[order]) > tolerance) + 1
    best = max(np.split(order, cuts), key=len)
    if len(best) < max(least, 0.2 * len(prediction)):
        return None
    if np.ptp(prediction[best]) > tolerance or np.ptp(truth[best]) <= 10 * tolerance:
        return None
    return np.sort(best)


def extrapolation_sentence(source, destination) -> str:
    """The inputs of ``destination`` outside the range of ``source`` (where a net trained on
    ``source`` extrapolates), with both ranges and how many rows lie outside; "" if none."""
    parts = []
    for name in destination.feature_names:
        src = source.inputs[name].to_numpy(float)
        dst = destination.inputs[name].to_numpy(float)
        low, high = src.min(), src.max()
        outside = int(np.sum((dst < low - 1e-9 * abs(low)) | (dst > high + 1e-9 * abs(high))))
        if not outside:
            continue
        unit = destination.units.get(name, "")
        unit = f" {unit}" if unit not in ("", "1", "-") else ""

        def span(a, b, unit=unit):
            return f"{a:.3g}{unit}" if a == b else f"{a:.3g}-{b:.3g}{unit}"

        parts.append(
            f"{name} ({outside} of {len(dst)} rows; {destination.name} "
            f"{span(dst.min(), dst.max())}, {source.name} {span(low, high)})"
        )
    if not parts:
        return ""
    return (
        f"Inputs of the {destination.name} rows outside the {source.name} rows' range, where "
        f"the pretrained net extrapolates: {'; '.join(parts)}."
    )


def levels_sentences(
    y, y_test, predictions: dict, *, target: str, unit: str, name: str
) -> list[str]:
    """Sentences for a parity plot whose points sit at a few levels: when the target takes
    few distinct values, falls into two separated groups, or a net's test predictions take
    few distinct values (groups closer than 2 % of the true test range merged)."""
    y = np.asarray(y, dtype=float)
    unit_text = f" {unit}" if unit not in ("", "1", "-") else ""
    lines = []
    distinct = np.unique(y)
    groups = two_groups(y)
    if len(distinct) <= max(5, len(y) // 10):
        shown = ", ".join(f"{v:.4g}" for v in distinct[:8]) + (", ..." if len(distinct) > 8 else "")
        lines.append(
            f"The {name} {target} takes only {len(distinct)} distinct values in this table "
            f"({shown}{unit_text}), so the parity plot's points sit in vertical columns."
        )
    elif groups is not None:
        (lo1, hi1, n1), (lo2, hi2, n2), apart = groups
        lines.append(
            f"The {name} {target} values fall into two groups with few rows between them: "
            f"{n1} rows at {lo1:.3g}-{hi1:.3g}{unit_text} and {n2} rows at "
            f"{lo2:.3g}-{hi2:.3g}{unit_text} (their means are {apart:.1f} pooled standard "
            f"deviations apart). The parity plot's points form two clusters and R² mostly "
            f"measures telling the two groups apart, so read it together with the MAPE."
        )
    y_test = np.asarray(y_test, dtype=float)
    spread = float(np.ptp(y_test)) if len(y_test) else 0.0
    if spread <= 0 or len(y_test) < 8:
        return lines
    flat = {}
    for method, prediction in predictions.items():
        prediction = np.asarray(prediction, dtype=float)
        levels = value_groups(prediction, 0.02 * spread)
        if len(levels) == 1:
            lines.append(
                f"The {method} net predicts about the same value, {_span(*levels[0][:2], spread)}"
                f"{unit_text}, for all {len(y_test)} test rows of split 1 (within 2 % of the true "
                f"range): it has collapsed to a near-constant output, and its errors are those "
                f"of a constant guess."
            )
        elif len(levels) <= 3:
            shown = ", ".join(_span(low, high, spread) for low, high, _ in levels)
            lines.append(
                f"The {method} net's predictions on the {len(y_test)} test rows of split 1 "
                f"take about {len(levels)} distinct values ({shown}{unit_text}; values closer "
                f"than 2 % of the true range counted as one): it tells a few groups of "
                f"electrodes apart but hardly the electrodes within a group."
            )
        else:
            rows = plateau(prediction, y_test, 0.005 * spread)
            if rows is None:
                continue
            flat[method] = rows
            lines.append(
                f"The {method} net gives {len(rows)} of the {len(y_test)} test rows of split 1 "
                f"one prediction, {np.mean(prediction[rows]):.3g}{unit_text} (within 0.5 % of "
                f"the true range), while their true values span {y_test[rows].min():.3g}-"
                f"{y_test[rows].max():.3g}{unit_text}: it is flat over these electrodes, and "
                f"the parity plot shows them as a horizontal row."
            )
    if "pretrained" in flat and "transferred" in flat:
        shared = np.intersect1d(flat["pretrained"], flat["transferred"])
        if len(shared) >= 0.5 * len(flat["transferred"]):
            same = (
                f"here the same {len(shared)} rows"
                if len(shared) == len(flat["transferred"]) == len(flat["pretrained"])
                else f"{len(shared)} of its {len(flat['transferred'])} flat rows are the "
                f"pretrained net's"
            )
            lines.append(
                "The transferred net's adapter sees only the pretrained net's output, so where "
                f"the pretrained net is flat the transferred one is flat too ({same})."
            )
    return lines


def run_electrode_study(
    *,
    out=Path("electrode_study"),
    table=None,
    columns=None,
    splits=5,
    epochs=250,
    restarts=3,
    seed=0,
) -> Path:
    """Run the four transfers and write the report; returns its path."""
    from generator import provenance
    from surrogate.data.registry import load_dataset
    from surrogate.evaluation.evaluate import evaluate_transfer
    from surrogate.evaluation.parallel import workers_for
    from surrogate.evaluation.report import (
        new_run_dir,
        table_markdown,
        verdict_sentences,
        write_transfer_run,
    )
    from workflows.readme_blocks import machine, machine_text

    started, origin = time.time(), provenance()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    source = load_dataset("graphite", table=table, columns=columns)
    synthetic = source.provenance.get("synthetic") is True  # the table's explicit flag
    lines = [
        "# Electrode study: transfer from graphite to Si-graphite and NMC",
        "",
        "**SYNTHETIC data (physical model): these are not experimental results.**"
        if synthetic
        else f"Table: {source.provenance.get('file')}",
        "",
    ]
    summary = {}
    for target in ("density", "mass_loading"):
        for name in ("sigra", "nmc"):
            start = time.time()
            print(f"study stage: graphite -> {name}, {target}", file=sys.stderr, flush=True)
            destination = load_dataset(name, table=table, columns=columns)
            result = evaluate_transfer(
                source,
                destination,
                target,
                splits=splits,
                seed=seed,
                epochs=epochs,
                restarts=restarts,
                progress=True,
                workers=workers_for(epochs),
            )
            run = new_run_dir(out / "runs", "transfer", "graphite", name, target)
            record = write_transfer_run(
                result,
                source,
                destination,
                run,
                {**provenance(), "data": source.provenance.get("data", "")},
            )
            summary[f"{name}/{target}"] = record["methods"]
            relative = run.relative_to(out)
            unit = destination.units.get(target, "")
            first = result.first_split
            levels = levels_sentences(
                destination.arrays(target)[1],
                first["target_true"],
                {
                    "pretrained": first["pretrained_prediction"],
                    "transferred": first["transferred_prediction"],
                },
                target=target,
                unit=unit,
                name=destination.name,
            )
            outside = extrapolation_sentence(source, destination)
            lines += [
                f"## {target}: graphite -> {destination.name} ({len(destination)} electrodes)",
                "",
                with_paper_column(table_markdown(record["methods"], target, unit), name, target),
                "",
                "Paper's Table 1 is the last column (test MAPE %, experimental electrodes), "
                "for the three methods it reports"
                + (
                    "; the rows here are synthetic, so compare sizes and ordering, not digits."
                    if synthetic
                    else "."
                ),
                "",
                *verdict_sentences(record["methods"], record["rows"]["per_split"]),
                "",
                *[line for sentence in [outside, *levels] if sentence for line in (sentence, "")],
                f"![parity]({relative}/parity.png)",
                f"![loss curves]({relative}/loss_curves.png)",
                f"![SHAP one electrode]({relative}/shap_one_prediction.png)",
                f"![SHAP beeswarm]({relative}/shap_beeswarm.png)",
                "",
                f"Run `{relative}` ({time.time() - start:.0f} s).",
                "",
            ]
    lines += [
        "## Provenance",
        "",
        "- " + ", ".join(f"{k} {v}" for k, v in origin.items() if k != "command_line"),
        f"- command line: `{origin['command_line']}`",
        f"- measured on: {machine_text(machine())}, {time.time() - started:.0f} s in all",
    ]
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n")
    (out / "study.json").write_text(
        json.dumps({"synthetic": synthetic, "metrics": summary}, indent=2)
    )
    return report


@app.command()
def electrode_study(
    table: Annotated[
        Path | None, typer.Option(help="Electrode table (default: the shipped synthetic one).")
    ] = None,
    columns: Annotated[
        Path | None, typer.Option(help="YAML/JSON mapping {their column: canonical}.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = DEFAULT_OUT,
    splits: Annotated[int, typer.Option(help="Random 70/30 splits.")] = 5,
    epochs: Annotated[int, typer.Option(help="Epochs per training.")] = 250,
    restarts: Annotated[int, typer.Option(help="Restarts per training, chosen on validation.")] = 3,
) -> None:
    """The electrode study: graphite -> Si-graphite and graphite -> NMC, density and mass
    loading."""
    output_folder(out)
    report = run_electrode_study(
        out=out, table=table, columns=columns, splits=splits, epochs=epochs, restarts=restarts
    )
    print(f"report: {report}")


def main(argv=None) -> None:
    run(app, "workflows.electrode_study", argv)


if __name__ == "__main__":
    main()
