"""A transfer run's parity and distribution figures, checked on the drawn objects: the line
y = x on equal axes, every mark named (interval bars with their level, rows outside their
interval counted by hand, a flat net's rows joined), legends outside the data, shared bin
edges, units in µm."""

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.patches import Polygon
from matplotlib.text import Text

from surrogate.data.frame import from_frame
from surrogate.evaluation.evaluate import TransferResult
from surrogate.evaluation.figures import (
    distributions_figure,
    flat_rows,
    input_label,
    parity_figure,
)

ASCII_MICRO = re.compile(r"(?<![A-Za-z])um(?![A-Za-z])")


def _dataset(name, values):
    frame = pd.DataFrame({"a": np.arange(len(values), dtype=float), "d": values})
    return from_frame(name, frame, ["a"], ["d"], units={"a": "1", "d": "um"})


@pytest.fixture(scope="module")
def parity():
    truth = np.array([10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
    result = TransferResult("src", "dst", "d", ["a"])
    result.architecture = {"interval_level": 0.8, "ensemble_members": 7}
    mean = truth + [0.1, -0.1, 0.2, 0.0, -1.3, -2.3]
    result.first_split = {
        "target_true": truth,
        "pretrained_prediction": truth * 0.9,  # MAPE 10 %
        # The last two rows: one prediction, 12.7, for truths 14 and 15 (a flat net).
        "transferred_prediction": np.array([10.1, 10.9, 12.2, 13.0, 12.7, 12.7]),
        "ensemble_prediction": mean,
        # Half-widths 0.5: rows 5 and 6 (|error| 1.3 and 2.3) fall outside, by hand.
        "ensemble_low": mean - 0.5,
        "ensemble_high": mean + 0.5,
    }
    fig = parity_figure(result, _dataset("dst", truth))
    fig.draw_without_rendering()
    return fig


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_parity_has_the_line_y_equals_x_on_equal_axes(parity):
    ax = parity.axes[0]
    (diagonal,) = [line for line in ax.lines if line.get_label().startswith("y = x")]
    x, y = diagonal.get_data()
    assert np.array_equal(x, y)
    assert ax.get_xlim() == ax.get_ylim() == (x[0], x[-1])
    assert ax.get_aspect() == 1.0
    # Every point (truths 10-15, predictions 9-15.5) inside the limits.
    assert x[0] < 9.0 and x[-1] > 15.1


def test_parity_legend_names_every_mark_with_its_numbers(parity):
    texts = _legend_texts(parity.axes[0])
    # MAPE by hand: pretrained 10 %; transferred mean(|e|/y) over 6 rows = 3.9 %.
    by_hand = np.mean(np.array([0.1, 0.1, 0.2, 0.0, 1.3, 2.3]) / np.arange(10, 16)) * 100
    assert texts[0] == "pretrained net (MAPE 10 %)"
    assert texts[1] == f"transferred net (MAPE {by_hand:.2g} %)"
    assert texts[2].startswith("ensemble of 7 mean") and "its 80 % interval" in texts[2]
    assert texts[3] == "true value outside its 80 % interval\n(2 of 6 test rows)"
    assert "one prediction,\n12.70 µm, for 2 rows of true\n14.00–15.00 µm" in texts[4]
    assert texts[5] == "y = x (prediction = truth)"


def test_parity_rings_exactly_the_rows_outside_their_interval(parity):
    ax = parity.axes[0]
    rings = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_sizes()[0] > 100]
    (ring,) = rings
    assert ring.get_offsets()[:, 0].tolist() == [14.0, 15.0]


def test_parity_legend_sits_outside_the_data_and_units_read_micrometres(parity):
    ax = parity.axes[0]
    assert not ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())
    assert ax.get_xlabel() == "true d (µm)" and ax.get_ylabel() == "predicted d (µm)"
    texts = [t.get_text() for t in parity.findobj(Text) if t.get_text()]
    assert [t for t in texts if ASCII_MICRO.search(t)] == []


def test_parity_says_when_an_interval_is_unbounded():
    truth = np.array([1.0, 1.1, 1.2])
    result = TransferResult("src", "dst", "d", ["a"])
    result.architecture = {"interval_level": 0.9}
    result.first_split = {
        "target_true": truth,
        "pretrained_prediction": truth,
        "transferred_prediction": truth + [0.01, -0.01, 0.02],
        "ensemble_prediction": truth,
        "ensemble_low": truth - [0.1, np.inf, np.inf],
        "ensemble_high": truth + [0.1, np.inf, np.inf],
    }
    ax = parity_figure(result, _dataset("dst", truth)).axes[0]
    texts = _legend_texts(ax)
    assert texts[2].endswith("(unbounded, not drawn, on 2 rows)")
    assert texts[3] == "true value outside its 90 % interval\n(0 of 3 test rows)"
    assert np.all(np.isfinite(ax.get_xlim()))


def test_flat_rows_finds_one_prediction_for_different_truths():
    assert flat_rows([1.0, 2.0, 2.0, 3.0], [1.0, 2.0, 2.5, 3.0]).tolist() == [1, 2]
    assert flat_rows([1.0, 2.0, 2.0 + 1e-3, 3.0], [1.0, 2.0, 2.5, 3.0]).tolist() == []
    assert flat_rows([2.0, 2.0], [2.0, 2.0]).tolist() == []  # same truth: nothing flat


def test_distributions_of_both_datasets_share_bin_edges():
    source = _dataset("gdl200", np.linspace(1.0, 1.2, 50))
    destination = _dataset("gdl1000", np.linspace(1.1, 1.4, 20))
    fig = distributions_figure("d", source, destination)
    ax = fig.axes[0]
    outlines = [p.get_xy() for p in ax.patches if isinstance(p, Polygon) and not p.get_fill()]
    edges = [np.unique(outline[:, 0]) for outline in outlines]
    assert len(edges) == 2 and np.array_equal(edges[0], edges[1])
    # 20 equal bins over both datasets together: 1.0 to 1.4 in steps of 0.02.
    assert edges[0] == pytest.approx(np.linspace(1.0, 1.4, 21))
    assert ax.get_xlabel() == "d (µm)"
    names = [t.split("\n")[0] for t in _legend_texts(ax)]
    assert names == ["gdl200 (source)", "gdl1000 (target)"]


@pytest.mark.parametrize(
    ("name", "unit", "label"),
    [
        ("thickness_um", "um", "thickness"),
        ("fiber_fraction", "1", "fiber_fraction"),
        ("um", "um", "um"),
        ("loading", "mg/cm2", "loading"),
    ],
)
def test_input_label_drops_the_unit_suffix_it_repeats(name, unit, label):
    assert input_label(name, unit) == label
