"""The figures of a transfer run: loss curves, parity, target distributions, and SHAP.

Each is drawn on its own :class:`matplotlib.figure.Figure`, which needs no backend and leaves
the caller's (pyplot's) state alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from surrogate.evaluation.evaluate import TransferResult

# What the GDL targets measure, for axis labels (any other target is named as it is).
TARGET_WORDS = {
    "tortuosity": "tortuosity τ (euclidean metric)",
    "tortuosity_lattice": "tortuosity τ (lattice metric)",
}
DPI = 110


def transfer_figures(result: TransferResult, source, destination, run: Path) -> dict:
    """``loss_curves.png``, ``parity.png`` and ``distributions.png`` in ``run``; returns
    ``{name: path}``. ``source`` is None when the pretrained net came from an earlier run."""
    files = {
        "loss_curves": run / "loss_curves.png",
        "parity": run / "parity.png",
        "distributions": run / "distributions.png",
    }
    loss_curves_figure(result, source, destination).savefig(files["loss_curves"], dpi=DPI)
    parity_figure(result, destination).savefig(files["parity"], dpi=DPI)
    distributions_figure(result.target, source, destination).savefig(
        files["distributions"], dpi=DPI
    )
    return files


def _curve_rows(result: TransferResult, source) -> dict:
    """``{net: (training rows, validation rows)}`` behind each loss curve: the target's from
    ``split_rows``, the source's from its first split."""
    rows = {"transferred": (result.split_rows.get("train"), result.split_rows.get("validation"))}
    if source is not None and "source_train" in result.first_split:
        n_source = len(source.arrays(result.target)[0])
        s_train = len(result.first_split["source_train"])
        s_test = len(result.first_split.get("source_test", []))
        rows["pretrained"] = (s_train, n_source - s_train - s_test)
    return rows


def loss_curves_figure(result: TransferResult, source, destination):
    """Training and validation MAPE per epoch of the pretrained and transferred nets, each
    curve labelled with its rows, the kept epoch marked."""
    from matplotlib.figure import Figure

    curves = [name for name in ("pretrained", "transferred") if result.histories.get(name)]
    rows = _curve_rows(result, source)
    fig = Figure(figsize=(6 * len(curves), 4.4), layout="constrained")
    axes = fig.subplots(1, len(curves))
    for ax, name in zip(np.atleast_1d(axes), curves, strict=True):
        data = destination if name == "transferred" else source
        _loss_curve(
            ax, result.histories[name], name, data, destination, *rows.get(name, (None, None))
        )
    return fig


def _loss_curve(ax, history, name, data, destination, n_train, n_val) -> None:
    from matplotlib.ticker import FuncFormatter

    train, validation = 100 * np.array(history.train), 100 * np.array(history.validation)
    best = history.best_epoch
    ax.plot(train, label=f"training rows (n={n_train})" if n_train else "training rows")
    ax.plot(validation, label=f"validation rows (n={n_val})" if n_val else "validation rows")
    kept = validation[best]
    ax.axvline(best, color="k", linestyle=":", label=f"kept epoch {best}")
    ax.plot(best, kept, "ko", markersize=5, label=f"kept validation MAPE {kept:.3g} %")
    ax.annotate(
        f"{kept:.3g} %", (best, kept), xytext=(5, -13), textcoords="offset points", fontsize=9
    )
    ax.margins(y=0.12)  # room under the kept point for its label
    ax.set_xlabel("epoch")
    ax.set_ylabel("MAPE (%)")
    title = f"{name} net, {data.name} ({'target' if data is destination else 'source'}) data"
    if n_val is not None and n_val < 10:
        title += f"\nvalidation: {n_val} rows \N{EM DASH} noisy"
    ax.set_title(title, fontsize=11)
    both = np.concatenate([train, validation])
    both = both[np.isfinite(both) & (both > 0)]
    if len(both) and both.max() / both.min() > 10:  # log only over more than a decade
        ax.set_yscale("log")  # ticks as plain numbers (2, 5, 10, 20), not 2×10⁰
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(
            FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else "")
        )
    ax.legend(fontsize=9)


def _unit_text(unit: str) -> str:
    return "" if unit in ("", "1", "-") else f" ({unit})"


def parity_figure(result: TransferResult, destination):
    """Predicted against true on the first split's test rows: the pretrained net (squares),
    the transferred one (circles) and, with an ensemble, its mean and intervals."""
    from matplotlib.figure import Figure

    first = result.first_split
    fig = Figure(figsize=(5.5, 5), layout="constrained")
    ax = fig.subplots()
    y = first["target_true"]
    ax.scatter(y, first["pretrained_prediction"], marker="s", color="#c0392b", label="pretrained")
    ax.scatter(y, first["transferred_prediction"], marker="o", color="#2f6fce", label="transferred")
    if "ensemble_prediction" in first:
        mean = first["ensemble_prediction"]
        level = round(100 * result.architecture.get("interval_level", 0.9))
        ax.errorbar(
            y, mean, yerr=[mean - first["ensemble_low"], first["ensemble_high"] - mean], fmt="D",
            markersize=3, color="#27ae60", ecolor="#27ae60", alpha=0.7, capsize=2,
            label=f"ensemble mean, {level} % interval",
        )  # fmt: skip
    low, high = float(np.min(y)), float(np.max(y))
    pad = 0.05 * (high - low or 1)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], "k--", label="ideal")
    unit = _unit_text(destination.units.get(result.target, ""))
    quantity = TARGET_WORDS.get(result.target, result.target)
    ax.set_xlabel(f"true {quantity}{unit}, {destination.name} test rows")
    ax.set_ylabel(f"predicted {quantity}{unit}")
    ax.set_title(f"{destination.name} test set (split 1)")
    ax.legend()
    return fig


def distributions_figure(target: str, source, destination):
    """Histograms (each of area 1) of the target in both datasets."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for data, colour in ((source, "#c0392b"), (destination, "#2f6fce")):
        if data is None:
            continue
        ax.hist(
            data.targets[target], bins=20, alpha=0.6, color=colour, density=True,
            label=f"{data.name} (n={len(data)})",
        )  # fmt: skip
    unit = destination.units.get(target, "")
    dimensionless = unit in ("", "1", "-")
    ax.set_xlabel(f"{target}" + ("" if dimensionless else f" ({unit})"))
    ax.set_ylabel("probability density" + ("" if dimensionless else f" (1/{unit})"))
    ax.set_title(f"{target} of both datasets (histograms, each of area 1)")
    ax.legend()
    return fig


def _labels_of_run(run: Path, prefix: str) -> dict:
    """The metadata of the model a SHAP prefix names (else the transferred or pretrained
    net's) already in ``run``; empty when there is none."""
    for name in (prefix.removeprefix("shap_"), "transferred", "pretrained"):
        if (run / f"{name}.json").is_file():
            return json.loads((run / f"{name}.json").read_text())
    return {}


def shap_figures(
    model,
    x_background,
    x_test,
    feature_names,
    run: Path,
    prefix="shap",
    *,
    target: str | None = None,
    unit: str | None = None,
    units: dict | None = None,
):
    """SHAP waterfall of one test prediction and a beeswarm of the test set.

    ``target``, ``unit`` (the target's) and ``units`` (the inputs') label the axes; when not
    given they are read from the model metadata already in ``run`` (``<model>.json``, else
    ``transferred.json`` or ``pretrained.json``). Bars are labelled to 3 significant digits.

    Returns
    -------
    (dict, float)
        ``{"shap_one": path, "shap_beeswarm": path}`` and the largest additivity error.
    """
    from generator import atomic_file
    from surrogate.evaluation.explain import (
        additivity_error,
        explain,
        plot_beeswarm,
        plot_waterfall,
    )

    meta = _labels_of_run(run, prefix)
    target = target or meta.get("target") or "prediction"
    unit = meta.get("target_unit", "") if unit is None else unit
    units = meta.get("units", {}) if units is None else units
    explanation = explain(model, x_background, x_test, feature_names)
    error = additivity_error(model, explanation, x_test)
    files = {
        "shap_one": run / f"{prefix}_one_prediction.png",
        "shap_beeswarm": run / f"{prefix}_beeswarm.png",
    }
    background = f"over {len(x_background)} background rows"
    waterfall = plot_waterfall(
        explanation[0], target=target, unit=unit, units=units, background=background
    )
    beeswarm = plot_beeswarm(explanation, target=target, unit=unit)
    # Written again into an existing run folder: under a temporary name, renamed into place
    # (a link or a device planted there is never written through).
    for figure, path in ((waterfall, files["shap_one"]), (beeswarm, files["shap_beeswarm"])):
        with atomic_file(path) as temporary:
            figure.savefig(temporary, format="png", dpi=DPI, bbox_inches="tight")
    return files, error
