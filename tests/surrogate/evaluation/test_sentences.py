"""Sentences and labels of the reports, each computed from the numbers it describes: savings of
a learning curve, ties within the spread, the warning when a baseline beats the transfer, the
paper's numbers only for the paper's datasets, units in the error labels. Every expectation is
worked out by hand from small made-up numbers."""

import pandas as pd
import pytest

from generator.paper import TABLE_1_MAPE, TABLE_2_MAPE
from surrogate.data.frame import from_frame
from surrogate.evaluation.curves import CurveResult
from surrogate.evaluation.report import (
    baseline_warning,
    paper_reference,
    plus_minus,
    table_markdown,
)


def curve(transferred, scratch, sizes=(5, 10, 40)):
    return CurveResult("src", "lab", "y", list(sizes), {"transferred": transferred,
                                                        "scratch": scratch})  # fmt: skip


@pytest.mark.parametrize(
    ("transferred", "scratch", "expected"),
    [
        # Scratch reaches 3 % with all 40 rows; transfer with 10: 30 of 40 rows saved.
        ([[4.0], [3.0], [2.5]], [[9.0], [6.0], [3.0]], "transfer saves 30 rows (75 %)."),
        # Transfer also needs all 40 rows: no saving (the vacuous "needs 40 rows" of old).
        ([[9.0], [5.0], [3.0]], [[9.0], [6.0], [3.0]], "transfer needs 40 lab rows, "
                                                       "training from scratch 40: no saving."),
        # Transfer never gets to scratch's 3 %: no saving.
        ([[4.0], [3.5], [3.2]], [[9.0], [6.0], [3.0]], "transfer does not reach it with up to "
                                                       "40: no saving."),
    ],
)  # fmt: skip
def test_the_savings_sentence_follows_from_the_means(transferred, scratch, expected):
    sentence = curve(transferred, scratch).sentence()
    assert sentence.startswith("To reach 3 % MAPE (training from scratch with all 40 rows), ")
    assert sentence.endswith(expected), sentence


def test_a_level_scratch_never_reaches_gives_a_lower_bound_on_the_saving():
    sentence = curve([[4.0], [2.0], [1.5]], [[9.0], [6.0], [3.0]]).sentence(2.0)
    assert sentence.endswith("transfer needs 10 lab rows, training from scratch does not reach "
                             "it with up to 40: transfer saves more than 30 rows.")  # fmt: skip


def test_a_difference_within_the_spread_is_a_tie():
    # Paired differences scratch - transfer: 2, -1, 2 -> mean 1, sd sqrt(3) = 1.7: a tie.
    tie = curve([[5.0, 6.0, 4.0]], [[7.0, 5.0, 6.0]], sizes=(5,)).comparison()
    assert "transfer (5 ± 0.82 % MAPE) ties with training from scratch (6 ± 0.82 %)" in tie
    assert "the difference, 1 points, is within its spread over 3 repetitions (± 1.7)" in tie
    # Differences 4, 4, 5 -> mean 4.3 > sd 0.58: scratch is better, transfer loses.
    lost = curve([[9.0, 9.0, 9.0]], [[5.0, 5.0, 4.0]], sizes=(5,)).comparison()
    assert "loses to" in lost and "exceeds its spread" in lost


def scores(*values):
    return {"mape": {"mean": sum(values) / len(values), "std": 0.0, "values": list(values)}}


def test_a_baseline_better_by_more_than_the_spread_is_named_to_use():
    # transferred - ridge per split: 25, 24, 26 -> mean 25, sd 1: warn.
    summary = {"transferred": scores(32.0, 31.0, 33.0), "quadratic_ridge": scores(7.0, 7.0, 7.0),
               "linear": scores(18.0, 19.0, 17.0), "scratch": scores(1.0, 1.0, 1.0)}  # fmt: skip
    warning = baseline_warning(summary)
    assert "quadratic ridge, target only (7 %), by 25 percentage points" in warning
    assert "spread of that difference over 3 splits (± 1)" in warning
    assert warning.endswith("the baseline is better here; use it")
    # "scratch" is no baseline: the same MLP doing better never triggers this warning.
    assert baseline_warning({"transferred": scores(5.0, 6.0), "scratch": scores(1.0, 1.0)}) is None


def test_no_warning_when_the_difference_is_within_the_spread():
    # transferred - linear: 10, -6 -> mean 2 < sd 11.3.
    summary = {"transferred": scores(20.0, 4.0), "linear": scores(10.0, 10.0)}
    assert baseline_warning(summary) is None


def test_zero_spread_reads_zero():
    assert plus_minus(1.5, 1.1e-16, ".4g", ".2g") == "1.5 ± 0"
    assert plus_minus(1.5, 0.0) == "1.500 ± 0"
    assert plus_minus(1.5, 0.25) == "1.500 ± 0.250"


def _summary():
    score = {"mean": 5.0, "std": 1.0, "values": [4.0, 6.0]}
    return {m: {"mape": score, "mae": score, "r2": score} for m in ("transferred", "linear")}


@pytest.mark.parametrize(
    ("unit", "label"),
    [("mg/cm²", "MAE (mg/cm²)"), ("1", "MAE (dimensionless)"), ("", "MAE (target's unit)")],
)
def test_mae_is_labelled_in_the_targets_unit(unit, label):
    head = table_markdown(_summary(), "Mass Loading [mg/cm²]", unit, paper=None).splitlines()[0]
    assert label in head and "MAPE %" in head and "paper" not in head


def test_paper_numbers_only_for_the_papers_datasets():
    from surrogate.data.registry import load_dataset

    gdl200, gdl1000 = load_dataset("gdl200"), load_dataset("gdl1000")
    table_2 = paper_reference(gdl200, gdl1000, "tortuosity")
    assert table_2 == {"table": "Table 2", "mape_percent": TABLE_2_MAPE}
    head = table_markdown(_summary(), "tortuosity", "1", paper=table_2).splitlines()[0]
    assert head.endswith("paper MAPE % (Table 2) |")
    # Reversed, or the same domain on both sides: not the paper's setting.
    assert paper_reference(gdl1000, gdl200, "tortuosity") is None
    assert paper_reference(gdl200, gdl200, "tortuosity") is None
    # A saved net pretrained on gdl200, transferred to gdl1000.
    assert paper_reference(None, gdl1000, "tortuosity", pretrained_meta={"source": "gdl200"})
    # A lab's table whose column happens to be called tortuosity.
    frame = pd.DataFrame({"a": [1.0, 2.0], "tortuosity": [1.1, 1.2]})
    lab = from_frame("lab", frame, ["a"], ["tortuosity"])
    assert paper_reference(lab, lab, "tortuosity") is None


def test_table_1_for_the_electrode_presets():
    from surrogate.data.registry import load_dataset

    graphite, nmc = load_dataset("graphite"), load_dataset("nmc")
    reference = paper_reference(graphite, nmc, "mass_loading")
    by_hand = TABLE_1_MAPE[("nmc", "mass_loading")]
    assert reference["table"] == "Table 1"
    assert reference["mape_percent"] == {
        "pretrained_on_source": by_hand[0], "pretrained_on_target": by_hand[1],
        "transferred": by_hand[2],
    }  # fmt: skip
    assert paper_reference(nmc, graphite, "mass_loading") is None  # the paper went one way
