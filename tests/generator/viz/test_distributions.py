"""Compared histograms: the datasets of a panel share their bin edges, counts are densities,
the legend (n, mean ± sd rounded to the sd) sits outside the data, and units read µm."""

import numpy as np
import pytest
from matplotlib.patches import Polygon

from generator.viz.distributions import histograms_figure, plot_histograms


def _outlines(ax):
    """The x and y vertices of each dataset's outline (histtype="step"), in drawing order."""
    return [p.get_xy() for p in ax.patches if isinstance(p, Polygon) and not p.get_fill()]


@pytest.fixture(scope="module")
def figure():
    # Two datasets of different ranges: their own 4 bins would not line up.
    small = [1.0, 1.2, 1.2, 1.4]
    large = [1.3, 1.5, 1.8, 2.0, np.nan]
    panels = {"fibre diameter": {"small": small, "large": large}, "other": {"only": [2.0, 4.0]}}
    return histograms_figure(panels, unit="um", bins=4, title="two domains")


def test_datasets_of_a_panel_share_bin_edges(figure):
    ax = figure.axes[0]
    small, large = _outlines(ax)
    # By hand: both datasets together span 1.0 to 2.0, so 4 bins of 0.25.
    expected = [1.0, 1.25, 1.5, 1.75, 2.0]
    for outline in (small, large):
        assert np.unique(outline[:, 0]).tolist() == pytest.approx(expected)
    assert ax.get_xlim() == pytest.approx((1.0, 2.0))


def test_heights_are_densities_of_area_one(figure):
    small, large = _outlines(figure.axes[0])
    # small: counts 3 (1.0, 1.2, 1.2), 1 (1.4), 0, 0 of 4 in bins of 0.25 -> densities 3, 1,
    # 0, 0 (count / (4 x 0.25)).
    heights = small[1:-1:2, 1]
    assert heights.tolist() == pytest.approx([3.0, 1.0, 0.0, 0.0])
    # large (NaN left out): 0, 1, 1, 2 of 4.
    assert large[1:-1:2, 1].tolist() == pytest.approx([0.0, 1.0, 1.0, 2.0])


def test_legend_gives_n_and_mean_rounded_to_the_sd_outside_the_data(figure):
    ax = figure.axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    # small: mean 1.2, sd 0.1633 -> 1.20 ± 0.16; large: mean 1.65, sd 0.3109 -> 1.65 ± 0.31.
    assert texts == ["small\nn = 4, mean 1.20 ± 0.16 (sd)", "large\nn = 4, mean 1.65 ± 0.31 (sd)"]
    figure.draw_without_rendering()
    assert not ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())


def test_units_are_written_in_micrometres(figure):
    ax = figure.axes[0]
    assert ax.get_xlabel() == "fibre diameter (µm)"
    assert ax.get_ylabel() == "probability density (1/µm)"
    assert figure.get_suptitle() == "two domains"


def test_a_density_of_a_compound_unit_is_per_that_unit_in_parentheses():
    fig = histograms_figure({"density": {"a": [1.0, 1.2]}}, unit="g/cm3")
    assert fig.axes[0].get_ylabel() == "probability density (1/(g/cm3))"


def test_bad_panels_are_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="panels is empty"):
        histograms_figure({})
    with pytest.raises(ValueError, match="'tau': no finite value in b"):
        histograms_figure({"tau": {"a": [1.0], "b": [np.nan]}})
    path = plot_histograms({"tau": {"a": [1.0, 1.1]}}, tmp_path / "h.png")
    assert path.stat().st_size > 0
