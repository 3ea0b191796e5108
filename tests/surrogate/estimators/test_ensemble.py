"""Ensembles of transferred nets: calibrated intervals measured on fresh rows, hand counts of
the conformal rank, fitted attributes set by fit alone, and the interval through the command
line (run in this process)."""

import json

import numpy as np
import pytest

from surrogate.estimators.ensemble import EnsembleRegressor, conformal_quantile, interval_scores
from surrogate.estimators.regressors import NetOptions, TransferRegressor
from surrogate.evaluation.evaluate import pretrain
from tests.cli_runner import surrogate
from tests.surrogate.synthetic import shifted_pair


def test_conformal_rank_by_hand():
    scores = np.arange(10, 0, -1.0)  # 10 scores 1..10, unsorted
    assert conformal_quantile(scores, 0.9) == 10.0  # ceil(11 * 0.9) = 10th smallest
    assert conformal_quantile(scores, 0.5) == 6.0  # ceil(5.5) = 6th
    assert conformal_quantile(scores, 0.8) == 9.0  # ceil(8.8) = 9th
    assert conformal_quantile(scores[:5], 0.9) == np.inf  # ceil(5.4) = 6 > 5 scores


def test_interval_scores_by_hand():
    scores = interval_scores([1.0, 2.0, 4.0], [1, 2, 4], [0.9, 2.1, 3.0], [1.1, 2.2, 5.0])
    assert scores["coverage"] == pytest.approx(200 / 3)  # the middle row is outside
    assert scores["width"] == pytest.approx(100 * (0.2 / 1 + 0.1 / 2 + 2.0 / 4) / 3)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    # Nets of a few dozen weights: a second torch thread only waits for the first (on a busy
    # 2-core machine the training took twice as long with two).
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def well_specified():
    # Target = a known stretch of the source function plus 0.3 % Gaussian noise: an adapter on
    # the pretrained net is the right model, so a calibrated 90 % interval must hold ~90 % of
    # fresh rows.
    source, target = shifted_pair(n_source=240, n_target=236, seed=4)
    xs, ys = source.arrays("t")
    xt, yt = target.arrays("t")
    yt = yt * (1 + 0.003 * np.random.default_rng(9).standard_normal(len(yt)))
    order = np.random.default_rng(0).permutation(len(xs))
    options = NetOptions(epochs=120, restarts=1)
    net, _ = pretrain(xs, ys, order[24:], order[:24], (3, 3, 3), options, 0)
    train, val, fresh = np.arange(4, 36), np.arange(4), np.arange(36, 236)
    ensemble = EnsembleRegressor(
        lambda seed: TransferRegressor(net, None, NetOptions(epochs=120, restarts=1), seed),
        members=10,
        level=0.9,
        seed=3,
    ).fit(xt[train], yt[train], xt[val], yt[val])
    return ensemble, xt[fresh], yt[fresh], len(train)


def test_calibrated_intervals_cover_fresh_rows(well_specified):
    ensemble, x, y, _ = well_specified
    mean, low, high = ensemble.predict_interval(x)
    assert np.all(low < mean) and np.all(mean < high)
    coverage = interval_scores(y, mean, low, high)["coverage"]
    assert 80.0 <= coverage <= 98.0, coverage
    # The raw spread of the members is over-confident here: calibration is doing the work.
    raw = interval_scores(y, *ensemble.predict_interval(x, calibrated=False))["coverage"]
    assert raw < coverage


def test_members_differ_and_see_bootstrap_resamples(well_specified):
    ensemble, x, _, n_train = well_specified
    predictions = ensemble.predict_members(x)
    assert predictions.shape == (10, len(x))
    assert np.all(predictions.std(axis=0) > 0)
    # A bootstrap of n rows leaves each row out with probability (1 - 1/n)^n; over 10
    # members nearly every row is out of bag at least once.
    assert ensemble.calibration_rows_ >= n_train - 2


def test_too_few_members_refused():
    with pytest.raises(ValueError, match="members=1"):
        EnsembleRegressor(lambda s: None, members=1).fit(np.zeros((4, 1)), np.ones(4), [], [])


def test_fitted_attributes_come_from_fit_alone():
    # scikit-learn's convention: the constructor stores parameters, fit sets every attribute
    # ending in "_" (a refit replaces them all), predicting sets none.
    from sklearn.linear_model import LinearRegression

    from surrogate.estimators.regressors import SklearnRegressor

    rng = np.random.default_rng(0)
    x = rng.random((40, 2))
    small, large = 1 + x.sum(axis=1), 100 * (1 + x.sum(axis=1) + 0.1 * rng.random(40))

    def ensemble():
        return EnsembleRegressor(lambda seed: SklearnRegressor(LinearRegression()), members=4)

    fresh = ensemble()
    assert not [name for name in vars(fresh) if name.endswith("_")]
    fitted = fresh.fit(x, small, [], [])
    fitted_names = sorted(name for name in vars(fitted) if name.endswith("_"))
    assert fitted_names == [
        "calibration_rows_", "floor_", "lower_limit_", "members_", "oob_mape_", "scale_"
    ]  # fmt: skip
    before = dict(vars(fitted))
    fitted.predict_interval(x[:5])
    fitted.disagreement(x[:5])
    assert vars(fitted).keys() == before.keys() and fitted.floor_ == before["floor_"]
    refitted = fitted.fit(x, large, [], [])
    once = ensemble().fit(x, large, [], [])
    for name in ("floor_", "scale_", "oob_mape_"):
        assert getattr(refitted, name) == getattr(once, name), name
    assert refitted.floor_ > 10 * before["floor_"]  # not the first fit's floor


def test_the_methods_cannot_be_changed_from_outside():
    from surrogate.estimators.methods import TARGET_METHODS

    with pytest.raises(TypeError):
        TARGET_METHODS["mine"] = lambda context: None


def test_predict_prints_the_interval_of_a_transfer_run(transfer_run, monkeypatch):
    assert "held the true value" in transfer_run.stdout
    run = transfer_run.run
    record = json.loads((run / "metrics.json").read_text())
    assert len(record["intervals"]["coverage"]["values"]) == 2
    assert "ensemble of transferred nets" in (run / "report.md").read_text()
    inputs = json.loads((run / "transferred_ensemble.json").read_text())["input_range"]
    settings = [f"--set={name}={(low + high) / 2}" for name, (low, high) in inputs.items()]
    monkeypatch.chdir(transfer_run.folder)
    done = surrogate("predict", run, *settings)
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert row["tortuosity_low"] < row["tortuosity"] < row["tortuosity_high"]
    assert row["interval_level"] == 0.9
    single = json.loads(surrogate("predict", run, *settings, "--model", "transferred").stdout)
    assert "tortuosity_low" not in single and "tortuosity" in single


@pytest.mark.parametrize(
    "option, message", [("--members=1", "at least 2 members"), ("--level=1.5", "--level 1.5")]
)
def test_bad_ensemble_options_exit_2(tmp_path, option, message):
    done = surrogate("transfer", "gdl200", "gdl1000", option, runs=tmp_path)
    assert done.returncode == 2 and message in done.stderr
    assert not any(tmp_path.iterdir())


def test_intervals_of_a_positive_target_never_reach_below_zero():
    from sklearn.linear_model import LinearRegression

    from surrogate.estimators.regressors import SklearnRegressor

    # A positive target near 0 with noise as large as its values: wide intervals.
    rng = np.random.default_rng(1)
    x = rng.random((40, 1))
    y = 0.05 + 0.1 * x[:, 0] + 0.05 * rng.random(40)

    def fitted(target):
        members = lambda seed: SklearnRegressor(LinearRegression())  # noqa: E731
        return EnsembleRegressor(members, members=5, level=0.9, seed=2).fit(x, target, [], [])

    positive = fitted(y)
    assert positive.lower_limit_ == 0.0
    # The same targets shifted below 0: no limit, and the same intervals moved down reach
    # below 0 (what the positive target's would do unclipped).
    shifted = fitted(y - 1.0)
    assert shifted.lower_limit_ is None
    grid = np.linspace(-3, 3, 25)[:, None]  # far outside the rows: the members disagree
    mean, low, high = positive.predict_interval(grid)
    _, low_shifted, _ = shifted.predict_interval(grid)
    unclipped = low_shifted + 1.0
    assert np.any(unclipped < 0)
    assert np.all(low >= 0)
    assert np.allclose(low, np.maximum(unclipped, 0.0))
    scores = interval_scores(np.full(len(grid), 0.1), mean, low, high)
    assert scores["clipped"] == pytest.approx(100 * np.mean(unclipped <= 0))
