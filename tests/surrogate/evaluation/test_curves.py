"""Learning curves on a source/target pair with a known shift (a known answer)."""

import json

import numpy as np
import pytest

from surrogate.evaluation.curves import CURVE_METHODS, learning_curve
from tests.cli_runner import surrogate
from tests.surrogate.synthetic import shifted_pair, synthetic_dataset_file


@pytest.fixture(scope="module")
def curve():
    # Target y = 1.02 + 1.6 (f(x) - 1.03): a stretch an adapter learns from a few rows, while
    # a net from scratch must learn f itself.
    source, target = shifted_pair(n_source=240, n_target=110, seed=4)
    return learning_curve(
        source, target, "t", sizes=(5, 10, 20), repetitions=3, epochs=60, restarts=1, seed=1
    )


def test_sizes_test_set_and_repetitions(curve):
    assert curve.test_rows == 33 and curve.pool_rows == 77  # 30 % of 110 held out
    assert curve.sizes == [5, 10, 20, 77]
    # Every method of the curve but the paired cheap value (these tables are no ladder).
    assert set(curve.mape) == set(CURVE_METHODS) - {"cheap_value_input"}
    for method in curve.mape:
        assert [len(values) for values in curve.mape[method]] == [3, 3, 3, 3]


def test_transfer_needs_fewer_target_rows_than_scratch(curve):
    scratch_all = float(np.mean(curve.mape["scratch"][-1]))
    transfer_rows = curve.rows_to_reach("transferred", scratch_all)
    # (at most 20 of 77: the pretraining keeps no net with a flat region, which here costs the
    # transfer a size step against the net it kept before, 10 rows)
    assert transfer_rows is not None and transfer_rows <= 20
    assert curve.rows_to_reach("scratch", scratch_all) == 77
    for k in range(3):  # at every small size the transfer is ahead
        assert np.mean(curve.mape["transferred"][k]) < np.mean(curve.mape["scratch"][k])
    sentence = curve.sentence()  # by default: scratch's error with all 77 rows
    assert f"To reach {scratch_all:.3g} % MAPE (training from scratch with all 77 rows)" in sentence
    assert f"transfer needs {transfer_rows} target rows, training from scratch 77" in sentence
    saved = 77 - transfer_rows
    assert f"transfer saves {saved} rows ({100 * saved / 77:.0f} %)" in sentence


def test_the_pretrained_net_alone_does_not_improve_with_rows(curve):
    # It never sees the target: the same error at every size, an independent sanity check.
    means = [np.mean(v) for v in curve.mape["pretrained_on_target"]]
    assert max(means) == pytest.approx(min(means), rel=1e-9)


def test_cli_curve_writes_a_run(tmp_path):
    synthetic_dataset_file(tmp_path / "src.h5", 80, 1, 0.0)
    synthetic_dataset_file(tmp_path / "dst.h5", 30, 2, 0.02)
    done = surrogate(
        "curve", tmp_path / "src.h5", tmp_path / "dst.h5", "--sizes", "5,10", "--repetitions",
        "1", "--epochs", "5", "--restarts", "1", "--runs", tmp_path / "runs",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (run,) = list((tmp_path / "runs").iterdir())
    record = json.loads((run / "curve.json").read_text())
    assert record["sizes"] == [5, 10, 21] and record["test_rows"] == 9
    assert "To reach" in record["sentence"] and (run / "learning_curve.png").stat().st_size > 0
    # The subsets fitted in two processes: the same curve.
    apart = surrogate(
        "curve", tmp_path / "src.h5", tmp_path / "dst.h5", "--sizes", "5,10", "--repetitions",
        "1", "--epochs", "5", "--restarts", "1", "--runs", tmp_path / "apart", "--workers", "2",
    )  # fmt: skip
    assert apart.returncode == 0, apart.stderr
    (other,) = list((tmp_path / "apart").iterdir())
    assert json.loads((other / "curve.json").read_text())["mape_values"] == record["mape_values"]
    bad = surrogate("curve", tmp_path / "src.h5", tmp_path / "dst.h5", "--sizes", "2,x")
    assert bad.returncode == 2 and "--sizes '2,x'" in bad.stderr
