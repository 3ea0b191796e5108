"""Distributions of one quantity in several datasets, compared panel by panel.

Public API
----------
histograms_figure, plot_histograms
    Histograms of area 1 on shared bin edges, one panel per quantity, each dataset's n and
    mean ± standard deviation (rounded to that deviation) in a legend outside the data.

The two domains' tortuosity (``python -m workflows.compare_paper --figure``) and a transfer
run's target distributions are drawn with it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from generator._shared.extras import require_extra
from generator.viz.style import format_spread, legend_outside, shared_bin_edges, unit_suffix

# The first two are the source (small domain) and destination (large domain) colours of every
# report figure; further datasets take matplotlib's tab10.
COLOURS = ("#c0392b", "#2f6fce", "#27ae60", "#8e44ad", "#d68910")
BINS = 20


def _per(unit: str) -> str:
    """The unit of a probability density of a quantity in ``unit``: ``1/µm``, ``1/(g/cm3)``."""
    return f"1/({unit})" if any(c in unit for c in "/· *") else f"1/{unit}"


def _finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=float).ravel()
    return values[np.isfinite(values)]


def histograms_figure(
    panels: Mapping[str, Mapping[str, object]],
    *,
    unit: str = "",
    bins: int = BINS,
    title: str = "",
):
    """Histograms (each of area 1) of several datasets, on one set of bin edges per panel.

    Parameters
    ----------
    panels : mapping
        ``{quantity: {dataset: values}}``: one panel per quantity (its x label), one histogram
        per dataset (its legend entry). Values that are not finite are left out.
    unit : str
        The quantities' unit (``um`` is shown as ``µm``); "" or "1" for a dimensionless one.
    bins : int
        Equal bins over every dataset of a panel together: bar *i* of one dataset covers the
        same interval as bar *i* of another.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel, stacked; each dataset drawn as a translucent fill and an outline of its
        colour, its mean as a dashed line, its legend entry
        ``name`` over ``n = 240, mean 1.029 ± 0.013 (sd)`` beside the panel.

    Raises
    ------
    ValueError
        No panel, a panel without datasets, or a dataset without a finite value.
    """
    require_extra("viz", "figures")
    from matplotlib.figure import Figure

    if not panels:
        raise ValueError("panels is empty: expected {quantity: {dataset: values}}")
    # Panels stacked, each as wide as the page less its legend: a row of panels with a legend
    # beside each would leave half the figure empty.
    fig = Figure(figsize=(9.5, 0.4 + 3.4 * len(panels)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(panels), 1))
    suffix = unit_suffix(unit)
    for ax, (quantity, datasets) in zip(axes, panels.items(), strict=True):
        if not datasets:
            raise ValueError(f"panel {quantity!r} has no dataset to draw")
        samples = {name: _finite(values) for name, values in datasets.items()}
        empty = [name for name, values in samples.items() if not values.size]
        if empty:
            raise ValueError(f"panel {quantity!r}: no finite value in {', '.join(empty)}")
        edges = shared_bin_edges(samples.values(), bins=bins)
        for index, (name, values) in enumerate(samples.items()):
            colour = COLOURS[index % len(COLOURS)]
            mean = float(values.mean())
            sd = float(values.std(ddof=1)) if values.size > 1 else None
            label = f"{name}\nn = {values.size}, mean {format_spread(mean, sd)}" + (
                " (sd)" if sd else ""
            )
            ax.hist(values, bins=edges, density=True, histtype="stepfilled", alpha=0.3,
                    color=colour)  # fmt: skip
            ax.hist(values, bins=edges, density=True, histtype="step", linewidth=1.5,
                    color=colour, label=label)  # fmt: skip
            ax.axvline(mean, color=colour, linestyle="--", linewidth=1.2)
        ax.set_xlim(edges[0], edges[-1])
        ax.set_xlabel(f"{quantity}{suffix}")
        density_unit = "" if not suffix else f" ({_per(suffix[2:-1])})"
        ax.set_ylabel(f"probability density{density_unit}")
        ax.set_title(f"{len(edges) - 1} shared bins; dashed: means", fontsize=10)
        legend_outside(ax)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_histograms(panels, path, *, unit: str = "", bins: int = BINS, title: str = ""):
    """Save :func:`histograms_figure` to ``path`` (its suffix picks the format).

    Returns
    -------
    Path
        The file written.
    """
    require_extra("viz", "figures")
    from generator.viz.figures import save_figure

    return save_figure(histograms_figure(panels, unit=unit, bins=bins, title=title), path)
