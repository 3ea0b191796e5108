"""SHAP explanations of a trained surrogate: exact Shapley values for a handful of inputs, and
the two figures a reader sees (one prediction as a waterfall, the test set as a beeswarm)."""

from __future__ import annotations

import math

import numpy as np

# Bar colours of shap's own plots (red raises the prediction, blue lowers it).
_RAISES, _LOWERS = "#ff0051", "#008bfb"
MINUS = "\N{MINUS SIGN}"


def _shap():
    """shap, imported without the deprecation notices its import raises about matplotlib's
    colormap API (shap's business, not a user's: under a warnings-showing runner they would
    reach the command's stderr)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import shap
    return shap


def explain(model, x_background, x_explain, feature_names):
    """Exact SHAP values of ``model`` at ``x_explain`` against a background sample.

    With 5 or 6 inputs the exact explainer enumerates every coalition (2^6 = 64), so the
    values are exact for the masker: ``values.sum(1) + base_values == prediction``.

    Returns
    -------
    shap.Explanation
    """
    from surrogate.nets.training import predict

    shap = _shap()

    def f(x):
        return predict(model, x)

    masker = shap.maskers.Independent(
        np.asarray(x_background, dtype=np.float32), max_samples=len(x_background)
    )
    explainer = shap.explainers.Exact(f, masker, feature_names=list(feature_names))
    # silent: shap's own progress bar would reach a user's terminal (and batch logs) as noise.
    return explainer(np.asarray(x_explain, dtype=np.float32), silent=True)


def warm_up_explainer(n_inputs: int = 5) -> None:
    """Run the exact explainer once on a tiny net: shap compiles its own numba functions
    (several seconds, uncached, once per process) here rather than in the first real
    explanation; a caller can do it while it waits on other work."""
    import torch

    from surrogate.nets.models import MLP

    net = MLP(n_inputs, hidden=(2,))
    x = np.linspace(0.0, 1.0, 3 * n_inputs, dtype=np.float32).reshape(3, n_inputs)
    net.set_scalers(torch.as_tensor(x), torch.as_tensor(x.sum(axis=1)))
    explain(net, x, x[:1], [f"x{i}" for i in range(n_inputs)])


def additivity_error(model, explanation, x_explain) -> float:
    """Largest |sum of SHAP values + base value - prediction| over the explained rows."""
    from surrogate.nets.training import predict

    total = explanation.values.sum(axis=1) + explanation.base_values
    return float(np.max(np.abs(total - predict(model, x_explain))))


def format_effect(value: float, digits: int = 3) -> str:
    """``value`` signed, with ``digits`` significant digits and a typographic minus.

    An effect of 0.00312 reads ``+0.00312`` (never ``+0``, which rounding to a fixed number of
    decimals gives); below 1e-4 in magnitude it is written in powers of ten (``+3.12e-05``).
    """
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    exponent = math.floor(math.log10(abs(value)))
    if exponent < -4:
        text = f"{value:+.{digits - 1}e}"
    else:
        text = f"{value:+.{max(0, digits - 1 - exponent)}f}"
    return text.replace("-", MINUS)


def unit_suffix(unit: str, style: str = "()") -> str:
    """`` (g/cm3)`` or `` [g/cm3]`` for a unit; ``, dimensionless`` for "1" or "-"; nothing
    when the unit is not known ("": a table whose header names none)."""
    if unit in ("", None):
        return ""
    if unit in ("1", "-"):
        return ", dimensionless"
    return f" {style[0]}{unit}{style[1]}"


def _decimals(effects) -> int:
    """Decimals that show the largest effect with 3 significant digits (2 to 8)."""
    largest = float(np.max(np.abs(effects))) if len(effects) else 0.0
    if largest == 0 or not math.isfinite(largest):
        return 3
    return int(min(8, max(2, 2 - math.floor(math.log10(largest)))))


def plot_waterfall(
    explanation,
    *,
    target: str = "prediction",
    unit: str = "",
    units: dict | None = None,
    max_display: int = 10,
    background: str = "over the background rows",
    ax=None,
):
    """A waterfall of one explained prediction: from the base value, each input's SHAP value.

    Parameters
    ----------
    explanation : shap.Explanation
        One row (``explanation[i]``): values, base value, the inputs and their names.
    target, unit : str
        What the model predicts and its unit, for the axis and the legend.
    units : dict, optional
        ``{input: unit}``, written after each input's value.
    max_display : int
        Inputs shown one per bar; the rest are summed into one bar.
    background : str
        What the base value averages over, for the legend.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure

    Notes
    -----
    Every bar is labelled with its value to 3 significant digits (:func:`format_effect`);
    the base value and the prediction get as many decimals as the largest effect needs, so
    effects of 0.001 on a tortuosity of 1.02 stay readable.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    values = np.asarray(explanation.values, dtype=float).ravel()
    base = float(np.ravel(explanation.base_values)[0])
    data = np.asarray(explanation.data, dtype=float).ravel()
    names = list(explanation.feature_names or [f"input {i}" for i in range(len(values))])
    units = units or {}

    order = list(np.argsort(-np.abs(values), kind="stable"))
    labels, effects = [], []
    shown = order if len(order) <= max_display else order[: max_display - 1]
    for i in shown:
        unit_i = units.get(names[i], "")
        suffix = f" {unit_i}" if unit_i not in ("", "1", "-") else ""
        labels.append(f"{names[i]} = {data[i]:.4g}{suffix}")
        effects.append(values[i])
    rest = order[len(shown) :]
    if rest:
        labels.append(f"{len(rest)} other inputs")
        effects.append(float(values[rest].sum()))

    if ax is None:
        ax = Figure(figsize=(8, 2.1 + 0.45 * len(effects)), layout="constrained").subplots()
    fig = ax.figure
    # Largest effect on top; the bottom bar starts at the base value, the top one ends at f(x).
    start = base
    ends = [base]
    bars = []
    for row, effect in enumerate(effects[::-1]):
        colour = _RAISES if effect > 0 else _LOWERS if effect < 0 else "0.4"
        ax.barh(row, effect, left=start, height=0.6, color=colour)
        bars.append((row, start, effect, colour))
        start += effect
        ends.append(start)
    prediction = start
    decimals = _decimals(effects)
    unit_text = "" if unit in ("", "1", "-", None) else f" {unit}"
    ax.axvline(
        base,
        color="0.45",
        linestyle="--",
        linewidth=1,
        label=f"E[f(X)] = {base:.{decimals}f}{unit_text} (mean prediction {background})",
    )
    ax.axvline(
        prediction,
        color="k",
        linestyle=":",
        linewidth=1.2,
        label=f"f(x) = {prediction:.{decimals}f}{unit_text} (this prediction)",
    )
    low, high = min(ends), max(ends)
    span = (high - low) or abs(base) * 1e-3 or 1e-3
    ax.set_xlim(low - 0.3 * span, high + 0.3 * span)
    ax.set_ylim(-0.6, len(effects) - 0.4)
    ax.set_yticks(range(len(effects)), labels[::-1])
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.xaxis.get_major_formatter().set_useOffset(False)
    ax.set_xlabel(f"model output: {target}{unit_suffix(unit)}")
    title = f"SHAP: how each input moves this prediction of {target}"
    if max(abs(e) for e in effects) < 1e-5 * max(abs(base), 1e-12):
        title += "\nevery effect is below 1e-5 of the prediction: the model is nearly constant here"
    ax.set_title(title, fontsize=11)
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Patch(color=_RAISES, label="input raises the prediction"),
        Patch(color=_LOWERS, label="input lowers the prediction"),
    ]
    fig.legend(handles=handles, loc="outside lower center", fontsize=9, frameon=False, ncols=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _label_bars(ax, bars)
    return fig


def _label_bars(ax, bars) -> None:
    """Each bar's value: inside the bar (white) where it fits, else just beyond its end."""
    ax.figure.draw_without_rendering()  # the final layout: the bars' widths in pixels
    for row, start, effect, colour in bars:
        end = start + effect
        text = ax.annotate(
            format_effect(effect),
            (end, row),
            xytext=(4 if effect >= 0 else -4, 0),
            textcoords="offset points",
            ha="left" if effect >= 0 else "right",
            va="center",
            color=colour,
            fontsize=10,
            in_layout=False,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8},
        )
        width = text.get_window_extent().width
        x0, x1 = ax.transData.transform([(start, row), (end, row)])[:, 0]
        if abs(x1 - x0) > width + 12:
            text.xy, text.xyann = ((start + end) / 2, row), (0, 0)
            text.set(color="white", ha="center", bbox=None)


def plot_beeswarm(explanation, *, target: str = "prediction", unit: str = ""):
    """shap's beeswarm of many explained predictions, its axis naming the target and unit
    (on a figure of its own, of the size shap would give it: 0.4 inch a row)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    shap = _shap()
    rows = min(np.shape(explanation.values)[1], 10)  # shap shows 10 inputs at most
    ax = Figure(figsize=(8, 0.4 * rows + 1.5)).subplots()
    shap.plots.beeswarm(
        explanation,
        ax=ax,
        show=False,
        plot_size=None,
        color_bar_label="input value (low to high)",
    )

    ax.set_xlabel(f"SHAP value (effect on {target}{unit_suffix(unit, '[]')})", fontsize=12)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.xaxis.get_major_formatter().set_useOffset(False)
    return ax.figure
