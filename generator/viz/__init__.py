"""Figures of samples, their tortuosity and compared distributions, drawn on
:class:`matplotlib.figure.Figure` objects (no pyplot, no backend chosen). Needs the ``viz``
extra.

Public API
----------
plot_sample, plot_volume, plot_tortuosity, plot_histograms
    Draw and save a figure (:mod:`~generator.viz.figures`, :mod:`~generator.viz.distributions`).
sample_figure, volume_figure, tortuosity_figure, histograms_figure
    The figures themselves.
describe_parameters
    A sample's parameters in one line, for titles.
save_figure
    Write a figure to the file named (its suffix the format), never through a link.
display_unit, unit_suffix, format_value, format_spread, shared_bin_edges, legend_outside
    The conventions every figure follows (:mod:`~generator.viz.style`): µm, values rounded to
    their spread, shared bins, legends outside the data.
"""

from generator._shared.lazy import lazy_index

_EXPORTS = {
    "plot_sample": "generator.viz.figures",
    "plot_volume": "generator.viz.figures",
    "plot_tortuosity": "generator.viz.figures",
    "sample_figure": "generator.viz.figures",
    "volume_figure": "generator.viz.figures",
    "tortuosity_figure": "generator.viz.figures",
    "describe_parameters": "generator.viz.figures",
    "save_figure": "generator.viz.figures",
    "histograms_figure": "generator.viz.distributions",
    "plot_histograms": "generator.viz.distributions",
    "display_unit": "generator.viz.style",
    "unit_suffix": "generator.viz.style",
    "format_value": "generator.viz.style",
    "format_spread": "generator.viz.style",
    "shared_bin_edges": "generator.viz.style",
    "legend_outside": "generator.viz.style",
}

__all__ = [
    "describe_parameters",
    "display_unit",
    "format_spread",
    "format_value",
    "histograms_figure",
    "legend_outside",
    "plot_histograms",
    "plot_sample",
    "plot_tortuosity",
    "plot_volume",
    "sample_figure",
    "save_figure",
    "shared_bin_edges",
    "tortuosity_figure",
    "unit_suffix",
    "volume_figure",
]

__getattr__, __dir__ = lazy_index(__name__, _EXPORTS)
