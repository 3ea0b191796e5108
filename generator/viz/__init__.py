"""Figures of samples and their tortuosity, drawn on :class:`matplotlib.figure.Figure` objects
(no pyplot, no backend chosen): :mod:`~generator.viz.figures`. Needs the ``viz`` extra.

Public API
----------
plot_sample, plot_volume, plot_tortuosity
    Draw and save a figure.
sample_figure, volume_figure, tortuosity_figure
    The figures themselves.
describe_parameters
    A sample's parameters in one line, for titles.
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
}

__all__ = [
    "describe_parameters",
    "plot_sample",
    "plot_tortuosity",
    "plot_volume",
    "sample_figure",
    "tortuosity_figure",
    "volume_figure",
]

__getattr__, __dir__ = lazy_index(__name__, _EXPORTS)
