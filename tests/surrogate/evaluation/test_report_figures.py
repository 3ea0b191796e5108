"""Report figures a reviewer would accept: SHAP values with 3 significant digits (never "+0"),
loss curves labelled by split with the kept epoch, no "6×10⁰" tick labels, the paper's Table 1
in its own column of the electrode report, and a sentence when a parity plot sits on few levels."""

import re

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from generator.paper import TABLE_1_MAPE
from surrogate.data.frame import from_frame
from surrogate.evaluation.evaluate import METHODS, TransferResult
from surrogate.evaluation.explain import explain, format_effect, plot_beeswarm, plot_waterfall
from surrogate.evaluation.figures import shap_figures, transfer_figures
from surrogate.evaluation.report import LABELS, table_markdown
from surrogate.nets.training import History
from workflows.electrode_study import (
    PAPER_HEADER,
    extrapolation_sentence,
    levels_sentences,
    plateau,
    two_groups,
    with_paper_column,
)

NAMES = ["thickness_um", "fiber_fraction", "binder_fraction", "fiber_diameter_um", "compression"]
# A tortuosity-like model: 1.02 plus effects of a few thousandths.
WEIGHTS = torch.tensor([0.006, -0.004, 0.003, -0.0015, 0.0008])


class Linear(torch.nn.Module):
    def forward(self, x):
        return 1.02 + (x * WEIGHTS).sum(1)


@pytest.fixture
def saved_figures(monkeypatch):
    """Every Figure that is saved, kept for inspection (the file is still written)."""
    figures = []
    original = Figure.savefig

    def savefig(self, *args, **kwargs):
        figures.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return figures


def significant_digits(label: str) -> int:
    mantissa = re.sub(r"e[−-]?\d+$", "", label.lstrip("+−-"))
    return len(mantissa.replace(".", "").lstrip("0"))


def tick_texts(fig):
    fig.draw_without_rendering()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = axis.get_ticklabels() + axis.get_ticklabels(minor=True)
            yield ax, axis, [t.get_text() for t in labels if t.get_text()]


def assert_no_power_of_ten_ticks(fig):
    """No tick label like 6×10⁰ (LogFormatterSciNotation's); and no log axis spanning less
    than a decade, where such labels appear."""
    for ax, axis, texts in tick_texts(fig):
        assert not [t for t in texts if "times" in t or "10^" in t], (ax.get_title(), texts)
        if axis.get_scale() == "log":
            low, high = sorted(axis.get_view_interval())
            assert high / low > 10, (ax.get_title(), low, high)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.00312, "+0.00312"),
        (-0.0012345, "−0.00123"),
        (0.0456, "+0.0456"),
        (-1.5, "−1.50"),
        (12.34, "+12.3"),
        (-3.2e-6, "−3.20e−06"),
        (0.0, "0"),
    ],
)
def test_effects_keep_three_significant_digits(value, text):
    assert format_effect(value) == text


def test_waterfall_of_thousandths_shows_three_significant_digits():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (24, 5)).astype(np.float32)
    explanation = explain(Linear(), x[:16], x[16:], NAMES)
    row = explanation[0]
    assert np.all(np.abs(row.values) < 0.005)  # effects of thousandths, as for tortuosity
    fig = plot_waterfall(row, target="tortuosity", unit="1", units={"thickness_um": "um"})
    fig.draw_without_rendering()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts]
    assert len(labels) == 5
    assert not {"+0", "-0", "−0", "+0.00", "-0.00", "−0.00"} & set(labels), labels
    assert all(significant_digits(label) == 3 for label in labels), labels
    # Each label is its SHAP value to 3 significant digits.
    assert sorted(labels) == sorted(format_effect(v) for v in row.values)
    shown = [float(label.replace("−", "-")) for label in labels]
    for value in row.values:
        assert min(abs(s - value) for s in shown) <= 5e-3 * abs(value)
    # Base value and prediction with the decimals the effects need, in the legend.
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert f"E[f(X)] = {float(row.base_values):.5f}" in legend
    assert "model output: tortuosity, dimensionless" in ax.get_xlabel()
    assert "thickness_um = " in " ".join(t.get_text() for t in ax.get_yticklabels())
    assert_no_power_of_ten_ticks(fig)


def test_beeswarm_axis_names_target_and_unit():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (24, 5)).astype(np.float32)
    explanation = explain(Linear(), x[:16], x[16:], NAMES)
    fig = plot_beeswarm(explanation, target="density", unit="g/cm3")
    assert fig.axes[0].get_xlabel() == "SHAP value (effect on density [g/cm3])"


def test_shap_figures_read_target_and_unit_from_the_run(tmp_path, saved_figures):
    (tmp_path / "transferred.json").write_text(
        '{"target": "mass_loading", "target_unit": "mg/cm2", "units": {}}'
    )
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (20, 5)).astype(np.float32)
    files, error = shap_figures(Linear(), x[:12], x[12:], NAMES, tmp_path)
    assert error < 1e-5 and all(path.is_file() for path in files.values())
    waterfall, beeswarm = saved_figures
    assert waterfall.axes[0].get_xlabel() == "model output: mass_loading (mg/cm2)"
    assert beeswarm.axes[0].get_xlabel() == "SHAP value (effect on mass_loading [mg/cm2])"


def _dataset(name, n, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.uniform(0, 1, (n, 2)), columns=["a", "b"])
    frame["tau"] = 1.02 + 0.05 * frame["a"]
    return from_frame(name, frame, ["a", "b"], ["tau"], units={"a": "um", "b": "1", "tau": "1"})


def _history(start, end, epochs, best, seed):
    rng = np.random.default_rng(seed)
    curve = np.geomspace(start, end, epochs)
    return History(
        train=list(curve),
        validation=list(curve * (1 + 0.1 * rng.standard_normal(epochs))),
        best_epoch=best,
    )


def test_loss_curves_name_splits_rows_and_the_kept_epoch(tmp_path, saved_figures):
    source, destination = _dataset("src", 200, 0), _dataset("dst", 30, 1)
    y = destination.targets["tau"].to_numpy()
    result = TransferResult("src", "dst", "tau", ["a", "b"])
    # Pretrained: 30 % -> 2 % (more than a decade, log axis); transferred: 9 % -> 5 % (linear).
    result.histories = {
        "pretrained": _history(0.30, 0.02, 60, 41, 0),
        "transferred": _history(0.09, 0.05, 60, 17, 1),
    }
    result.split_rows = {"train": 19, "validation": 2, "test": 9}
    result.first_split = {
        "source_train": np.arange(126),
        "source_test": np.arange(126, 186),
        "target_train": np.arange(19),
        "target_test": np.arange(21, 30),
        "target_true": y[21:],
        "pretrained_prediction": y[21:] * 1.01,
        "transferred_prediction": y[21:] * 0.995,
    }
    files = transfer_figures(result, source, destination, tmp_path)
    assert files["loss_curves"].is_file()
    curves = next(f for f in saved_figures if len(f.axes) == 2)
    pretrained, transferred = curves.axes
    for ax, rows, history in (
        (pretrained, (126, 14), result.histories["pretrained"]),
        (transferred, (19, 2), result.histories["transferred"]),
    ):
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        kept = 100 * history.validation[history.best_epoch]
        assert legend == [
            f"training rows (n={rows[0]})",
            f"validation rows (n={rows[1]})",
            f"kept epoch {history.best_epoch}",
            f"kept validation MAPE {kept:.3g} %",
        ]
        assert f"{kept:.3g} %" in [t.get_text() for t in ax.texts]
        assert ax.get_ylabel() == "MAPE (%)" and ax.get_xlabel() == "epoch"
    assert "validation: 2 rows — noisy" in transferred.get_title()
    assert "noisy" not in pretrained.get_title()
    assert pretrained.get_yscale() == "log" and transferred.get_yscale() == "linear"
    for fig in saved_figures:
        assert_no_power_of_ten_ticks(fig)
    # The log axis reads in plain numbers (2, 5, 10, 20).
    ticks = [t for _, axis, texts in tick_texts(curves) if axis is pretrained.yaxis for t in texts]
    assert {"2", "5", "10", "20"} <= set(ticks), ticks


def test_figures_leave_the_callers_matplotlib_backend_alone(tmp_path):
    import matplotlib

    from surrogate.evaluation.curves import CurveResult, plot_curve

    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        result = CurveResult("src", "dst", "tau", [5, 10], {"transferred": [[3.0, 2.0], [1.5]]})
        plot_curve(result, tmp_path / "curve.png")
        assert (tmp_path / "curve.png").stat().st_size > 0
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)


def _summary():
    score = {"mean": 5.0, "std": 1.0, "values": [4.0, 6.0]}
    return {m: {"mape": score, "mae": score, "r2": score} for m in METHODS}


@pytest.mark.parametrize("key", sorted(TABLE_1_MAPE))
def test_electrode_table_has_the_papers_numbers_in_their_own_column(key):
    name, target = key
    text = with_paper_column(table_markdown(_summary(), target, "g/cm3"), name, target)
    lines = text.splitlines()
    head = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert head[-1] == PAPER_HEADER
    assert lines[1].count("---") == len(head)
    methods = ("pretrained_on_source", "pretrained_on_target", "transferred")
    paper = dict(zip(methods, TABLE_1_MAPE[key], strict=True))
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == len(head), line
        method = next(m for m in METHODS if LABELS[m] == cells[0])
        assert cells[-1] == (str(paper[method]) if method in paper else ""), line


def test_two_groups_finds_a_gap_and_not_a_uniform_spread():
    rng = np.random.default_rng(0)
    bimodal = np.concatenate([rng.normal(1.0, 0.04, 30), rng.normal(1.7, 0.06, 25)])
    (low, high, n_low), (low2, high2, n_high), apart = two_groups(bimodal)
    assert (n_low, n_high) == (30, 25) and high < 1.3 < low2 and apart > 5
    assert two_groups(rng.uniform(1, 2, 60)) is None
    assert two_groups(rng.normal(1, 0.1, 60)) is None


def test_levels_sentences_explain_a_parity_plot_on_few_levels():
    rng = np.random.default_rng(0)
    bimodal = np.concatenate([rng.normal(1.0, 0.04, 30), rng.normal(1.7, 0.06, 25)])
    test = bimodal[::3]
    common = dict(target="density", unit="g/cm3", name="sigra")
    # A net that follows the truth: only the target's two groups are remarked on.
    (sentence,) = levels_sentences(bimodal, test, {"transferred": test * 1.01}, **common)
    assert "two groups" in sentence and "30 rows" in sentence and "25 rows" in sentence
    # A net collapsed to two values, and one to a constant.
    two = np.where(test < 1.3, 1.02, 1.68)
    sentences = levels_sentences(
        bimodal, test, {"pretrained": np.full_like(test, 1.4), "transferred": two}, **common
    )
    assert "pretrained net predicts about the same value, 1.4 g/cm3" in sentences[1]
    assert "take about 2 distinct values (1.02, 1.68 g/cm3" in sentences[2]
    # A target measured on a few levels.
    levels = np.repeat([1.1, 1.3, 1.5], 20)
    sentences = levels_sentences(levels, levels[::4], {"transferred": levels[::4]}, **common)
    assert "takes only 3 distinct values in this table (1.1, 1.3, 1.5 g/cm3)" in sentences[0]
    assert "take about 3 distinct values (1.1, 1.3, 1.5 g/cm3" in sentences[1]
    # A uniform target and a net that follows it: nothing to say.
    uniform = rng.uniform(1, 2, 60)
    assert levels_sentences(uniform, uniform[:20], {"transferred": uniform[:20]}, **common) == []


def test_a_net_flat_over_some_rows_is_named_and_traced_to_the_pretrained_net():
    truth = np.linspace(1.0, 2.0, 16)
    follows = truth * 1.02
    flat_pretrained, flat_transferred = truth * 0.8, truth.copy()
    flat_pretrained[10:], flat_transferred[10:] = 1.25, 1.43  # the top 6 rows: one prediction
    assert list(plateau(flat_transferred, truth, 0.005)) == list(range(10, 16))
    assert plateau(follows, truth, 0.005) is None
    sentences = levels_sentences(
        truth,
        truth,
        {"pretrained": flat_pretrained, "transferred": flat_transferred},
        target="density",
        unit="g/cm3",
        name="sigra",
    )
    assert (
        "pretrained net gives 6 of the 16 test rows of split 1 one prediction, 1.25"
        in (sentences[0])
    )
    assert "true values span 1.67-2 g/cm3" in sentences[1]
    assert "flat the transferred one is flat too (here the same 6 rows)" in sentences[2]


def test_inputs_outside_the_source_range_are_listed_with_both_ranges():
    source = from_frame(
        "graphite",
        pd.DataFrame({"am": [91.0, 95.5, 93.0], "speed": [0.3, 0.3, 0.3], "y": [1.0, 1.1, 1.2]}),
        ["am", "speed"],
        ["y"],
        units={"am": "%", "speed": "m/min"},
    )
    inside = from_frame(
        "same", source.inputs.assign(y=[1.0, 1.0, 1.0]), ["am", "speed"], ["y"], units={}
    )
    other = from_frame(
        "sigra",
        pd.DataFrame({"am": [8.0, 15.0], "speed": [0.3, 0.3], "y": [1.0, 1.1]}),
        ["am", "speed"],
        ["y"],
        units={"am": "%", "speed": "m/min"},
    )
    assert extrapolation_sentence(source, inside) == ""
    assert extrapolation_sentence(source, other) == (
        "Inputs of the sigra rows outside the graphite rows' range, where the pretrained net "
        "extrapolates: am (2 of 2 rows; sigra 8-15 %, graphite 91-95.5 %)."
    )
