"""The figure conventions on hand-worked cases: µm for um, values rounded to their spread,
shared bin edges, and a legend that leaves the data box alone."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from generator.viz.style import (
    display_unit,
    format_spread,
    format_value,
    legend_outside,
    shared_bin_edges,
    unit_suffix,
)


@pytest.mark.parametrize(
    ("unit", "shown"),
    [
        ("um", "µm"),
        ("1/um", "1/µm"),
        ("um^3", "µm^3"),
        ("um2", "µm2"),
        ("mg/cm2", "mg/cm2"),
        ("umol/L", "umol/L"),  # micromole is not a micrometre; left alone
        ("mum", "mum"),
        ("", ""),
    ],
)
def test_display_unit_writes_the_micro_sign_for_micrometres_only(unit, shown):
    assert display_unit(unit) == shown


def test_unit_suffix_is_empty_for_a_dimensionless_quantity():
    assert [unit_suffix(u) for u in ("um", "1", "-", "", None)] == [" (µm)", "", "", "", ""]


@pytest.mark.parametrize(
    ("value", "spread", "text"),
    [
        (1.0293847, 0.0134, "1.029"),  # spread 0.013: to the thousandth
        (1.0293847, 0.0012345, "1.0294"),  # spread 0.0012: to the ten-thousandth
        (35.71234, 2.4, "35.7"),
        (35.71234, 24.0, "36"),
        (1234.5, 870.0, "1230"),  # spread 870: to the ten
        (0.000123456, 0.0000051, "0.0001235"),
        (1.0293847, None, "1.029"),  # no spread: 4 significant digits
        (1.03, 0.0, "1.030"),  # trailing zeros kept
        (float("inf"), 0.1, "inf"),
    ],
)
def test_format_value_rounds_to_two_significant_digits_of_the_spread(value, spread, text):
    assert format_value(value, spread) == text


@pytest.mark.parametrize(
    ("value", "spread", "text"),
    [
        (1.0293847, 0.013412, "1.029 ± 0.013"),
        (35.71234, 2.449, "35.7 ± 2.4"),
        (1234.5, 871.0, "1230 ± 870"),
        (1.0293847, -0.013412, "1.029 ± 0.013"),
        (12.3456, 0.0, "12.35"),  # a zero spread is not written
        (1.0293847, 1.1e-16, "1.029"),  # nor one at rounding error
        (1.0293847, float("nan"), "1.029"),
    ],
)
def test_format_spread(value, spread, text):
    assert format_spread(value, spread) == text


def test_shared_bin_edges_span_every_sample_in_equal_bins():
    # By hand: 0 to 2 in 4 bins of 0.5, whichever sample holds the ends; NaN and inf ignored.
    edges = shared_bin_edges([[0.0, 1.0, np.nan], [0.5, 2.0, np.inf]], bins=4)
    assert edges.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    with pytest.raises(ValueError, match="no finite value"):
        shared_bin_edges([[np.nan], []])


def test_legend_outside_leaves_the_data_box_and_stays_on_the_canvas():
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    # Data everywhere in the box: any legend inside would cover some.
    x = np.linspace(0, 1, 50)
    ax.plot(x, x, label="a rising line")
    ax.plot(x, 1 - x, label="a falling line")
    legend = legend_outside(ax)
    fig.draw_without_rendering()
    box, data = legend.get_window_extent(), ax.get_window_extent()
    assert box.x0 > data.x1  # to the right of the data box
    assert not box.overlaps(data)
    assert box.x1 <= fig.bbox.x1 + 1
    assert [t.get_text() for t in legend.get_texts()] == ["a rising line", "a falling line"]
