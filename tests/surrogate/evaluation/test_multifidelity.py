"""Multi-fidelity transfer: a cheap column pretrains, an expensive one is learnt; the baselines
of a practitioner beside it; what each point of the learning curve cost. Checked on a
synthetic ladder whose expensive target is exactly a + b × the cheap one."""

import json

import numpy as np
import pytest

from surrogate.data.costs import row_costs
from surrogate.estimators.regressors import FixedRegressor, LinearCorrectionRegressor
from surrogate.evaluation.curves import learning_curve
from surrogate.evaluation.evaluate import evaluate_transfer
from surrogate.evaluation.sides import load_sides
from tests.cli_runner import surrogate
from tests.surrogate.synthetic import LADDER_CPU_S, LADDER_LINE, ladder_files


@pytest.fixture(scope="module")
def ladder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ladder")
    cheap, dear = ladder_files(folder, n=30)
    sides = load_sides(str(cheap), str(dear), source_target="tortuosity", target="tau_diffusive")
    return folder, sides


def test_linear_correction_recovers_a_line_of_the_cheap_model():
    class Cheap:  # an exact cheap model, so the fit has nothing but a and b to find
        def predict(self, x):
            return 1.0 + x[:, 0] ** 2 - 0.3 * x[:, 1]

    x = np.random.default_rng(0).uniform(0, 1, (12, 2))
    a, b = LADDER_LINE
    fitted = LinearCorrectionRegressor(FixedRegressor(Cheap())).fit(
        x[:5], a + b * Cheap().predict(x[:5])
    )
    assert fitted.intercept_ == pytest.approx(a, abs=1e-9)
    assert fitted.slope_ == pytest.approx(b, abs=1e-9)
    np.testing.assert_allclose(fitted.predict(x[5:]), a + b * Cheap().predict(x[5:]), rtol=1e-12)


def test_sides_pair_rows_by_id_not_by_order(ladder):
    _, sides = ladder
    a, b = LADDER_LINE
    assert sides.source_target == "tortuosity" and sides.target == "tau_diffusive"
    # dear = a + b * cheap row by row, though the dear file lists its rows reversed.
    expected = (sides.destination.targets["tau_diffusive"].to_numpy() - a) / b
    np.testing.assert_allclose(sides.paired(), expected, rtol=1e-12)


def test_no_pairing_when_a_destination_row_has_no_cheap_twin(tmp_path):
    cheap, dear = ladder_files(tmp_path, n=20, cheap_rows=15)
    sides = load_sides(str(cheap), str(dear), source_target="tortuosity", target="tau_diffusive")
    assert sides.paired() is None


def test_row_costs_by_hand(ladder):
    _, sides = ladder
    dear, cheap = LADDER_CPU_S["dear"], LADDER_CPU_S["cheap"]
    expensive = row_costs(sides.destination, "tau_diffusive")
    assert expensive.kind == "CPU" and expensive.total() == 30 * (30.0 + 150.0)
    source = row_costs(sides.source, "tortuosity")
    assert source.kind == "CPU" and source.total() == 30 * (cheap["generate"] + cheap["geodesic"])
    assert dear["generate"] + dear["diffusive"] == 180.0


def test_wall_times_when_no_cpu_seconds(tmp_path):
    from generator import open_dataset
    from generator.sweep.dataset import write_dataset
    from tests.surrogate.synthetic import synthetic_dataset_file

    synthetic_dataset_file(tmp_path / "old.h5", 12, 1, 0.0)
    rows = open_dataset(tmp_path / "old.h5").table.to_dict("records")
    rows = [
        dict(r, generate_s=2.0, tortuosity_euclidean_s=0.5, tortuosity_lattice_s=0.25) for r in rows
    ]
    write_dataset(tmp_path / "walls.h5", rows, {"design": "synthetic", "synthetic": True})
    from surrogate.data import load_dataset

    costs = row_costs(load_dataset(str(tmp_path / "walls.h5")), "tortuosity")
    assert costs.kind == "wall" and costs.total() == pytest.approx(12 * 2.75)


def test_transfer_across_columns_and_the_baselines(ladder):
    _, sides = ladder
    result = evaluate_transfer(
        sides.source, sides.destination, "tau_diffusive", splits=1, epochs=40, restarts=1,
        source_target="tortuosity", paired=sides.paired(),
    )  # fmt: skip
    summary = result.summary()
    for method in (
        "linear_correction",
        "stacking",
        "cheap_value_input",
        "random_forest",
        "scratch",
    ):
        assert len(summary[method]["mape"]["values"]) == 1
    # The expensive target is a line of the cheap one: a line through the pretrained net's
    # predictions is within the net's own error of the cheap column (a fraction of a percent
    # on a target near 3), far better than the mean predictor.
    assert summary["linear_correction"]["mape"]["mean"] < 1.0
    assert summary["linear_correction"]["mape"]["mean"] < summary["mean"]["mape"]["mean"] / 3
    # The adapter starts from that line, not from the cheap column's scale (a target near 3
    # predicted near 1.05 is 65 % off): the transferred net lands within a few percent.
    assert summary["transferred"]["mape"]["mean"] < 2.0
    assert summary["finetune_all"]["mape"]["mean"] < 2.0  # its output scale mapped alike


def test_curve_hours_counted_by_hand(ladder):
    _, sides = ladder
    curve = learning_curve(
        sides.source, sides.destination, "tau_diffusive", sizes=(5,), repetitions=2,
        epochs=3, restarts=1, source_target="tortuosity", paired=sides.paired(),
    )  # fmt: skip
    assert curve.cost_kind == "CPU" and curve.sizes == [5, 21]  # 30 % of 30 held out
    cheap = 30 * 3.0  # every source row: generate 2 + geodesic 1 CPU-s
    assert curve.cheap_seconds == cheap
    for k, size in enumerate(curve.sizes):
        assert curve.expensive_seconds[k] == [size * 180.0] * 2
        np.testing.assert_allclose(curve.hours("scratch", k), [size * 180.0 / 3600] * 2)
        np.testing.assert_allclose(
            curve.hours("linear_correction", k), [(size * 180.0 + cheap) / 3600] * 2
        )
    assert "cheap_value_input" in curve.mape and "stacking" in curve.mape
    # The subsets fitted side by side in two processes: the same numbers, fit for fit.
    apart = learning_curve(
        sides.source, sides.destination, "tau_diffusive", sizes=(5,), repetitions=2,
        epochs=3, restarts=1, source_target="tortuosity", paired=sides.paired(), workers=2,
    )  # fmt: skip
    assert apart.mape == curve.mape and apart.expensive_seconds == curve.expensive_seconds
    sentence = curve.cost_sentence()
    assert sentence.startswith("To reach ") and "CPU-hours" in sentence


@pytest.mark.slow  # two commands, each loading torch and drawing figures
def test_cli_transfer_and_curve_with_a_source_target(ladder):
    folder, _ = ladder
    common = ["--source-target", "tortuosity", "--target", "tau_diffusive", "--epochs", "3",
              "--restarts", "1", "--runs", folder / "runs"]  # fmt: skip
    done = surrogate(
        "transfer", folder / "cheap.h5", folder / "dear.h5", "--splits", "1", "--members", "0",
        *common,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run,) = [p for p in (folder / "runs").iterdir() if "-transfer-" in p.name]
    record = json.loads((run / "metrics.json").read_text())
    assert record["source_target"] == "tortuosity" and record["target"] == "tau_diffusive"
    assert {"linear_correction", "stacking", "cheap_value_input"} <= set(record["methods"])
    assert json.loads((run / "pretrained.json").read_text())["target"] == "tortuosity"
    done = surrogate(
        "curve", folder / "cheap.h5", folder / "dear.h5", "--sizes", "5", "--repetitions", "1",
        *common,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run,) = [p for p in (folder / "runs").iterdir() if "-curve-" in p.name]
    record = json.loads((run / "curve.json").read_text())
    assert record["costs"]["kind"] == "CPU" and record["costs"]["cheap_seconds"] == 90.0
    assert "CPU-hours" in (run / "report.md").read_text()


def test_cli_refuses_an_unknown_source_target(ladder):
    folder, _ = ladder
    done = surrogate(
        "transfer", folder / "cheap.h5", folder / "dear.h5", "--source-target", "tau_diffusive",
        "--target", "tau_diffusive", "--runs", folder / "runs2",
    )  # fmt: skip
    assert done.returncode == 2
    assert "tau_diffusive" in done.stderr and "tortuosity" in done.stderr


def test_cost_sentence_names_the_better_of_equal_cost_and_no_saving():
    from surrogate.evaluation.curves import CurveResult

    seconds = dict(cost_kind="CPU", expensive_seconds=[[360.0] * 2, [3600.0] * 2])
    curve = CurveResult("a", "b", "t", [4, 40], {
        "transferred": [[2.9, 2.9], [2.0, 2.0]], "linear_correction": [[2.0, 2.2], [2.0, 2.0]],
        "scratch": [[9.0, 8.0], [3.0, 3.0]]}, cheap_seconds=0.0, **seconds)  # fmt: skip
    # Both reach 3 % with 4 rows (0.1 CPU-hours each): the lower error there is named.
    assert "linear correction needs 4 b rows and 0.1 ± 0 CPU-hours" in curve.cost_sentence()
    assert ": 10× less CPU time" in curve.cost_sentence()
    # A source that costs more than the expensive rows saved: no saving.
    costly = CurveResult("a", "b", "t", [4, 40], dict(curve.mape), cheap_seconds=36000.0, **seconds)
    assert ": no saving, and at 4 rows" in costly.cost_sentence()
