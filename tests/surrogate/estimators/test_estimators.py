"""One estimator interface for every method, architectures by flag, and honest comparisons."""

import copy

import numpy as np
import pytest
import torch
from scipy import stats

from surrogate.estimators.methods import TARGET_METHODS, SplitContext
from surrogate.estimators.regressors import NetOptions
from surrogate.evaluation.compare import compare
from surrogate.evaluation.report import verdict_sentences
from surrogate.nets.models import MLP, parse_hidden, trainable_parameters


@pytest.mark.parametrize(
    ("text", "widths"),
    [("3x3", (3, 3, 3)), ("4×4", (4, 4, 4, 4)), ("8,8,4", (8, 8, 4)), (" 2 ", (2,))],
)
def test_hidden_layers_by_flag(text, widths):
    assert parse_hidden(text) == widths


@pytest.mark.parametrize("text", ["0x3", "3x0", "abc", "3x", "", "4,-1", "2x2x2"])
def test_bad_hidden_layers_are_named(text):
    with pytest.raises(ValueError, match="LAYERSxWIDTH"):
        parse_hidden(text)


def test_parameter_count_of_uneven_widths_by_hand():
    # 5 -> 8 -> 4 -> 1: (5*8 + 8) + (8*4 + 4) + (4 + 1) = 89
    assert trainable_parameters(MLP(5, (8, 4))) == 89


def test_the_paired_test_reduces_to_scipys_paired_t_test_without_overlap():
    # With n_test / n_train -> 0 the correction vanishes: scipy's ttest_rel is the reference.
    rng = np.random.default_rng(0)
    a = rng.normal(2.0, 0.3, 8)
    b = a + rng.normal(0.2, 0.25, 8)
    ours = compare(a, b, n_train=10**12, n_test=1)
    reference = stats.ttest_rel(a, b)
    assert ours.p_value == pytest.approx(reference.pvalue, rel=1e-6)


def test_the_correction_makes_overlapping_splits_less_confident():
    rng = np.random.default_rng(1)
    a = rng.normal(2.0, 0.1, 10)
    b = a + 0.05 + rng.normal(0, 0.05, 10)
    plain = compare(a, b, n_train=10**12, n_test=1)
    corrected = compare(a, b, n_train=60, n_test=30)  # a 70/30 split shares most rows
    assert corrected.p_value > plain.p_value


@pytest.mark.parametrize(
    ("shift", "outcome"),
    [(-1.0, "beats"), (1.0, "loses"), (0.0, "ties")],
)
def test_verdicts_on_constructed_errors(shift, outcome):
    rng = np.random.default_rng(2)
    b = rng.uniform(5, 6, 10)
    noise = rng.normal(0, 0.05, 10)
    noise -= noise.mean()  # shift 0: exactly no mean difference
    assert compare(b + shift + noise, b, n_train=50, n_test=20).outcome == outcome


def test_the_issue_example_is_a_tie_not_a_win():
    # 16.20 +- 6.15 % against 16.36 +- 1.50 % over five splits: no honest "beats".
    rng = np.random.default_rng(3)
    a = 16.20 + 6.15 * stats.zscore(rng.normal(size=5))
    b = 16.36 + 1.50 * stats.zscore(rng.normal(size=5))
    assert compare(a, b, n_train=55, n_test=24).outcome == "ties"


def test_one_split_cannot_be_tested():
    assert compare([1.0], [2.0], n_train=10, n_test=5).outcome == "untested"


def _summary(values_by_method):
    return {
        method: {"mape": {"mean": float(np.mean(v)), "std": float(np.std(v)), "values": list(v)}}
        for method, v in values_by_method.items()
    }


def test_report_sentences_say_loses_in_words():
    b = np.array([2.0, 2.1, 1.9, 2.05, 1.95, 2.0])
    summary = _summary(
        {
            "transferred": b + 1.0,
            "scratch": b,
            "pretrained_on_target": b + 5.0,
            "mean": b + 3.0,
            "linear": b + 0.5,
        }
    )
    text = "\n".join(verdict_sentences(summary, {"train": 40, "validation": 4, "test": 19}))
    assert "**loses to** the same MLP trained on the target alone" in text
    assert "**loses to** the best baseline, linear regression," in text
    assert "**beats** the pretrained net used as it is" in text
    assert "corrected resampled t-test" in text


def _context(x, y, seed=0):
    pretrained = MLP(x.shape[1], (3, 3, 3))
    pretrained.set_scalers(torch.as_tensor(x), torch.as_tensor(y))
    options = NetOptions(epochs=5, restarts=1)
    return SplitContext(pretrained, None, (3, 3, 3), None, options, seed, members=3)


def test_every_method_fits_on_the_training_rows_only():
    # The mean baseline must predict the mean of the training rows, not of train + validation:
    # every method gets the same rows.
    rng = np.random.default_rng(4)
    x_train, y_train = rng.random((20, 3)).astype(np.float32), rng.uniform(1, 2, 20)
    x_val, y_val = rng.random((4, 3)).astype(np.float32), np.full(4, 100.0)
    mean = TARGET_METHODS["mean"](_context(x_train, y_train)).fit(x_train, y_train, x_val, y_val)
    assert mean.predict(x_val) == pytest.approx(np.full(4, y_train.mean()))


def test_every_method_has_the_same_interface_and_leaves_the_pretrained_net_alone():
    rng = np.random.default_rng(5)
    x = rng.random((30, 3)).astype(np.float32)
    y = (1 + x.sum(axis=1)).astype(np.float32)
    context = _context(x, y)
    before = copy.deepcopy(context.pretrained.state_dict())
    for name, make in TARGET_METHODS.items():
        estimator = make(context)
        if estimator is None:  # needs the source table or a ladder, which this context lacks
            assert name in ("quadratic_ridge_plus_offset", "cheap_value_input")
            continue
        prediction = estimator.fit(x[:24], y[:24], x[24:], y[24:]).predict(x[24:])
        assert prediction.shape == (6,) and np.isfinite(prediction).all(), name
    for key, tensor in context.pretrained.state_dict().items():
        assert torch.equal(tensor, before[key]), key


def test_a_net_that_starts_dead_gets_extra_restarts():
    # A net whose first start has every ReLU dead (hand-made: large negative biases) can only
    # predict a constant; training must notice and restart with a fresh seed.
    from surrogate.nets.models import MLP
    from surrogate.nets.training import fit, mape_loss

    class DeadFirst(MLP):
        starts = 0

        def reinitialise(self):
            self.starts += 1
            for layer in self.modules():
                if isinstance(layer, torch.nn.Linear):
                    layer.reset_parameters()
                    if self.starts == 1 and layer.out_features > 1:
                        torch.nn.init.constant_(layer.bias, -100.0)

    rng = np.random.default_rng(0)
    x = rng.random((60, 2)).astype(np.float32)
    y = (1 + x[:, 0] + 0.5 * x[:, 1] ** 2).astype(np.float32)
    net = DeadFirst(2, (8, 8))
    net.set_scalers(torch.as_tensor(x), torch.as_tensor(y))
    history = fit(net, x[:50], y[:50], x[50:], y[50:], epochs=60, restarts=1, seed=1)
    assert net.starts >= 2 and history.restart >= 1
    constant = float(mape_loss(torch.full((10,), float(np.median(y[:50]))), torch.tensor(y[50:])))
    with torch.no_grad():
        fitted = float(mape_loss(net(torch.tensor(x[50:])), torch.tensor(y[50:])))
    assert fitted < 0.5 * constant
