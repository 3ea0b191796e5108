"""The figures of a transfer run: loss curves, parity, target distributions, and SHAP.

Each is drawn on its own :class:`matplotlib.figure.Figure`, which needs no backend and leaves
the caller's (pyplot's) state alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from generator.viz.style import display_unit, format_value, legend_outside, unit_suffix
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
    distributions_figure(
        result.target, source, destination, source_target=result.source_target
    ).savefig(files["distributions"], dpi=DPI)
    return files


def _curve_rows(result: TransferResult, source) -> dict:
    """``{net: (training rows, validation rows)}`` behind each loss curve: the target's from
    ``split_rows``, the source's from its first split."""
    rows = {"transferred": (result.split_rows.get("train"), result.split_rows.get("validation"))}
    if source is not None and "source_train" in result.first_split:
        n_source = len(source.arrays(result.source_target or result.target)[0])
        s_train = len(result.first_split["source_train"])
        s_test = len(result.first_split.get("source_test", []))
        rows["pretrained"] = (s_train, n_source - s_train - s_test)
    return rows


def loss_curves_figure(result: TransferResult, source, destination):
    """Training and validation MAPE per epoch of the pretrained and transferred nets, each
    curve labelled with its rows, the kept epoch marked; legends beside the panels."""
    from matplotlib.figure import Figure

    curves = [name for name in ("pretrained", "transferred") if result.histories.get(name)]
    rows = _curve_rows(result, source)
    fig = Figure(figsize=(7.5 * len(curves), 4.4), layout="constrained")
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
    legend_outside(ax)


def _quantity(target: str, unit: str) -> str:
    """The target as an axis names it, its unit shown as figures show units (µm)."""
    return TARGET_WORDS.get(target, target) + unit_suffix(unit)


def _mape_text(truth, prediction) -> str:
    """Test MAPE of one split to 2 significant digits (one split has no spread to round to)."""
    mape = 100 * float(np.mean(np.abs((prediction - truth) / truth)))
    return f"MAPE {format_value(mape, fallback=2)} %"


def flat_rows(prediction, truth, *, tolerance: float = 1e-6) -> np.ndarray:
    """Indices of the rows that share one prediction (to within ``tolerance`` of the truth's
    scale) with another row of a different truth: where the net is flat.

    Parameters
    ----------
    prediction, truth : array_like, shape (n,)
    tolerance : float
        Relative to the mean absolute truth.

    Returns
    -------
    ndarray of int
        Sorted; empty when every distinct truth gets its own prediction.

    Examples
    --------
    >>> from surrogate.evaluation.figures import flat_rows
    >>> flat_rows([1.02, 1.1121, 1.05, 1.1121], [1.02, 1.13, 1.05, 1.142]).tolist()
    [1, 3]
    >>> flat_rows([1.0, 1.0], [1.2, 1.2]).tolist()  # the same truth: nothing is flat
    []
    """
    prediction, truth = np.asarray(prediction, dtype=float), np.asarray(truth, dtype=float)
    step = tolerance * (float(np.mean(np.abs(truth))) or 1.0)
    same = np.abs(prediction[:, None] - prediction[None, :]) <= step
    differ = np.abs(truth[:, None] - truth[None, :]) > step
    return np.flatnonzero(np.any(same & differ, axis=1))


def parity_figure(result: TransferResult, destination):
    """Predicted against true on the first split's test rows, on equal axes around the line
    y = x.

    The pretrained net (squares), the transferred one (circles) and, with an ensemble, its mean
    with its interval as a bar; rows whose truth falls outside their interval ringed; rows the
    transferred net gives one prediction although their truths differ joined by a line (the
    net is flat there). Every mark is named in the legend beside the plot, with its test MAPE
    or its count of rows.
    """
    from matplotlib.figure import Figure

    first = result.first_split
    fig = Figure(figsize=(8.6, 5.4), layout="constrained")
    ax = fig.subplots()
    y = np.asarray(first["target_true"], dtype=float)
    unit = display_unit(destination.units.get(result.target, ""))
    unit_text = "" if unit_suffix(unit) == "" else f" {unit}"
    drawn, handles = [y], []
    predictions = {}
    for key, marker, colour, name in (
        ("pretrained_prediction", "s", "#c0392b", "pretrained net"),
        ("transferred_prediction", "o", "#2f6fce", "transferred net"),
    ):
        prediction = np.asarray(first[key], dtype=float)
        predictions[key] = prediction
        drawn.append(prediction)
        handles.append(
            ax.scatter(
                y,
                prediction,
                marker=marker,
                s=26,
                color=colour,
                alpha=0.85,
                zorder=3,
                label=f"{name} ({_mape_text(y, prediction)})",
            )
        )
    if "ensemble_prediction" in first:
        mean = np.asarray(first["ensemble_prediction"], dtype=float)
        low = np.asarray(first["ensemble_low"], dtype=float)
        high = np.asarray(first["ensemble_high"], dtype=float)
        drawn += [low[np.isfinite(low)], high[np.isfinite(high)]]
        level = round(100 * result.architecture.get("interval_level", 0.9))
        members = result.architecture.get("ensemble_members")
        ensemble = f"ensemble of {members}" if members else "ensemble"
        unbounded = int(np.sum(~(np.isfinite(low) & np.isfinite(high))))
        # Too few out-of-bag rows to calibrate on give an infinite interval: no bar to draw.
        note = f"\n(unbounded, not drawn, on {unbounded} rows)" if unbounded else ""
        handles.append(
            ax.errorbar(
                y,
                mean,
                yerr=[mean - low, high - mean],
                fmt="D",
                markersize=4,
                color="#27ae60",
                ecolor="#27ae60",
                elinewidth=1.2,
                alpha=0.8,
                capsize=3,
                zorder=2,
                label=f"{ensemble} mean ({_mape_text(y, mean)})\nbar: its {level} % "
                f"interval, calibrated\non out-of-bag training rows{note}",
            )
        )
        outside = (y < low) | (y > high)
        handles.append(
            ax.scatter(
                y[outside],
                mean[outside],
                s=150,
                facecolors="none",
                edgecolors="k",
                linewidths=1.2,
                zorder=4,
                label=f"true value outside its {level} % interval\n"
                f"({int(outside.sum())} of {len(y)} test rows)",
            )
        )
    flat = flat_rows(predictions["transferred_prediction"], y)
    if len(flat):
        level_value = predictions["transferred_prediction"][flat]
        (line,) = ax.plot(
            np.sort(y[flat]),
            np.full(len(flat), float(np.mean(level_value))),
            color="#2f6fce",
            linewidth=2.5,
            alpha=0.5,
            zorder=2,
            label=f"transferred net flat: one prediction,\n{format_value(level_value[0])}"
            f"{unit_text}, for {len(flat)} rows of true\n"
            f"{format_value(y[flat].min())}\N{EN DASH}{format_value(y[flat].max())}{unit_text}",
        )
        handles.append(line)
    every = np.concatenate([np.ravel(v) for v in drawn])
    every = every[np.isfinite(every)]
    low_end, high_end = float(every.min()), float(every.max())
    pad = 0.05 * (high_end - low_end or abs(high_end) or 1.0)
    limits = (low_end - pad, high_end + pad)
    (diagonal,) = ax.plot(
        limits, limits, "k--", linewidth=1, zorder=1, label="y = x (prediction = truth)"
    )
    handles.append(diagonal)
    ax.set_xlim(limits)
    ax.set_ylim(limits)
    ax.set_aspect("equal", adjustable="box")
    quantity = _quantity(result.target, unit)
    ax.set_xlabel(f"true {quantity}")
    ax.set_ylabel(f"predicted {quantity}")
    ax.set_title(f"{destination.name}: the {len(y)} test rows of split 1", fontsize=11)
    legend_outside(ax, handles=handles)
    return fig


def distributions_figure(target: str, source, destination, *, source_target=None):
    """Histograms (each of area 1, on shared bin edges) of the target in both datasets (the
    source's ``source_target`` when it learned another column, named in its legend)."""
    from generator.viz.distributions import histograms_figure

    source_target = source_target or target
    datasets = {}
    for data, role, column in ((source, "source", source_target), (destination, "target", target)):
        if data is not None:
            named = f": {column}" if source_target != target else ""
            datasets[f"{data.name} ({role}{named})"] = data.targets[column]
    unit = destination.units.get(target, "")
    return histograms_figure(
        {TARGET_WORDS.get(target, target): datasets},
        unit=unit,
        title=f"{target} in both datasets (histograms of area 1)",
    )


def input_label(name: str, unit: str) -> str:
    """An input's name as a figure shows it beside its unit: without a trailing ``_<unit>``.

    Examples
    --------
    >>> from surrogate.evaluation.figures import input_label
    >>> input_label("thickness_um", "um"), input_label("fiber_fraction", "1")
    ('thickness', 'fiber_fraction')
    >>> input_label("loading_mg_cm2", "mg/cm2")
    'loading_mg_cm2'
    """
    if unit not in ("", "1", "-") and name.endswith(f"_{unit}") and len(name) > len(unit) + 1:
        return name[: -len(unit) - 1]
    return name


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
    # Run folders keep ASCII units ("um"); the figures show µm, and the inputs by their names
    # without the unit's suffix ("thickness = 300 µm", not "thickness_um = 300 um").
    unit = display_unit(meta.get("target_unit", "") if unit is None else unit)
    raw_units = meta.get("units", {}) if units is None else units
    names = [input_label(name, raw_units.get(name, "")) for name in feature_names]
    units = {
        label: display_unit(raw_units.get(name, ""))
        for label, name in zip(names, feature_names, strict=True)
    }
    explanation = explain(model, x_background, x_test, names)
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
