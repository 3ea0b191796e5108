"""Evaluation of a transfer: the paper's nets, the alternatives and baselines, over splits."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch

from generator.paper import TABLE_2_MAPE as PAPER_TABLE_2  # noqa: F401 (re-exported)
from surrogate.datasets import TableDataset
from surrogate.models import DEFAULT_ARCHITECTURES, MLP, TransferModel, trainable_parameters
from surrogate.training import fit, predict

METHODS = (
    "pretrained_on_source",
    "pretrained_on_target",
    "transferred",
    "scratch",
    "finetune_all",
    "pretrained_plus_offset",
    "quadratic_ridge_plus_offset",
    "mean",
    "linear",
    "quadratic_ridge",
    "random_forest",
)


def split_indices(n: int, seed: int, test_fraction=0.3, validation_fraction=0.1):
    """Random train / validation / test indices: 70/30, then 10 % of the train for validation."""
    if n < 10:
        raise ValueError(f"a dataset of {n} rows is too small to split (need at least 10)")
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(test_fraction * n))
    test, rest = order[:n_test], order[n_test:]
    n_val = max(1, int(round(validation_fraction * len(rest))))
    return rest[n_val:], rest[:n_val], test


def mape_offset(y_true, y_pred) -> float:
    """The constant ``c`` minimising the MAPE of ``y_pred + c``: the median of the residuals
    weighted by ``1 / |y_true|`` (MAPE is a weighted L1 loss)."""
    residual = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    weight = 1.0 / np.abs(np.asarray(y_true, dtype=float))
    order = np.argsort(residual)
    cumulative = np.cumsum(weight[order])
    return float(residual[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def quadratic_ridge():
    """Ridge regression on standardised inputs and all their squares and products, the
    penalty chosen by leave-one-out cross-validation."""
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    return make_pipeline(
        StandardScaler(),
        PolynomialFeatures(degree=2, include_bias=False),
        StandardScaler(),
        RidgeCV(alphas=np.logspace(-4, 3, 30)),
    )


def metrics(y_true, y_pred) -> dict[str, float]:
    """MAPE (%), MAE and R^2 (scikit-learn's definitions)."""
    from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error, r2_score

    return {
        "mape": 100.0 * float(mean_absolute_percentage_error(y_true, y_pred)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)),
    }


@dataclass
class TransferResult:
    """Per-split metrics of every method, and the models and curves of the first split."""

    source: str
    target_dataset: str
    target: str
    feature_names: list
    scores: dict = field(default_factory=dict)  # method -> metric -> list over splits
    pretrained: MLP | None = None
    transferred: TransferModel | None = None
    histories: dict = field(default_factory=dict)
    first_split: dict = field(default_factory=dict)
    architecture: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """``{method: {metric: {"mean", "std", "values"}}}``."""
        return {
            method: {
                name: {"mean": float(np.mean(v)), "std": float(np.std(v)), "values": list(v)}
                for name, v in by_metric.items()
            }
            for method, by_metric in self.scores.items()
        }


def _record(scores, method, values):
    for name, value in values.items():
        scores.setdefault(method, {}).setdefault(name, []).append(value)


def evaluate_transfer(
    source: TableDataset,
    destination: TableDataset,
    target: str,
    *,
    splits: int = 5,
    seed: int = 0,
    epochs: int = 250,
    restarts: int = 3,
    architecture=None,
    adapter_width=None,
    learning_rate=0.01,
    batch_size=16,
    progress: bool = False,
) -> TransferResult:
    """Pretrain on ``source``, transfer to ``destination``, compare with the alternatives.

    For each of ``splits`` random 70/30 splits (10 % of each training split for validation):
    the pretrained MLP on the source test set and on the destination test set, the transferred
    net (frozen MLP + adapter), the same MLP trained from scratch on the destination, the
    pretrained MLP fine-tuned whole on the destination, and the baselines: the pretrained MLP
    plus one constant offset learned on the destination (the simplest transfer), a quadratic
    ridge fit on the source plus one offset, and, on the destination alone, the mean predictor,
    linear regression, quadratic ridge and random forest. Restarts are chosen on validation
    loss only. ``progress`` reports each finished split on stderr.
    """
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression

    from generator.progress import Counter

    if source.feature_names != destination.feature_names:
        raise ValueError(
            f"source and target datasets have different inputs: {source.feature_names} vs "
            f"{destination.feature_names}"
        )
    layers, width = architecture or DEFAULT_ARCHITECTURES.get(target, (3, 3))
    xs, ys = source.arrays(target)
    xd, yd = destination.arrays(target)
    result = TransferResult(source.name, destination.name, target, source.feature_names)
    options = dict(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size)
    counter = Counter(
        splits if progress else 0, f"transfer {source.name} -> {destination.name}", "splits"
    )
    for split in range(splits):
        s_train, s_val, s_test = split_indices(len(xs), seed + split)
        d_train, d_val, d_test = split_indices(len(xd), seed + 100 + split)
        run_seed = seed * 100 + split

        pretrained = MLP(xs.shape[1], layers, width)
        pretrained.set_scalers(torch.as_tensor(xs[s_train]), torch.as_tensor(ys[s_train]))
        h_pre = fit(
            pretrained,
            xs[s_train],
            ys[s_train],
            xs[s_val],
            ys[s_val],
            seed=run_seed,
            restarts=restarts,
            **options,
        )
        _record(
            result.scores,
            "pretrained_on_source",
            metrics(ys[s_test], predict(pretrained, xs[s_test])),
        )
        _record(
            result.scores,
            "pretrained_on_target",
            metrics(yd[d_test], predict(pretrained, xd[d_test])),
        )

        transferred = TransferModel(copy.deepcopy(pretrained), adapter_width)
        h_tl = fit(
            transferred,
            xd[d_train],
            yd[d_train],
            xd[d_val],
            yd[d_val],
            seed=run_seed,
            restarts=restarts,
            **options,
        )
        _record(result.scores, "transferred", metrics(yd[d_test], predict(transferred, xd[d_test])))

        scratch = MLP(xd.shape[1], layers, width)
        scratch.set_scalers(torch.as_tensor(xd[d_train]), torch.as_tensor(yd[d_train]))
        h_scratch = fit(
            scratch,
            xd[d_train],
            yd[d_train],
            xd[d_val],
            yd[d_val],
            seed=run_seed,
            restarts=restarts,
            **options,
        )
        _record(result.scores, "scratch", metrics(yd[d_test], predict(scratch, xd[d_test])))

        finetuned = copy.deepcopy(pretrained)
        fit(
            finetuned,
            xd[d_train],
            yd[d_train],
            xd[d_val],
            yd[d_val],
            seed=run_seed,
            restarts=1,
            init=lambda model: None,
            **options,
        )
        _record(result.scores, "finetune_all", metrics(yd[d_test], predict(finetuned, xd[d_test])))

        train_x, train_y = (
            xd[np.concatenate([d_train, d_val])],
            yd[np.concatenate([d_train, d_val])],
        )
        _record(
            result.scores, "mean", metrics(yd[d_test], np.full(len(d_test), float(train_y.mean())))
        )
        offset = mape_offset(train_y, predict(pretrained, train_x))
        _record(
            result.scores,
            "pretrained_plus_offset",
            metrics(yd[d_test], predict(pretrained, xd[d_test]) + offset),
        )
        source_rows = np.concatenate([s_train, s_val])
        ridge_source = quadratic_ridge().fit(xs[source_rows], ys[source_rows])
        offset = mape_offset(train_y, ridge_source.predict(train_x))
        _record(
            result.scores,
            "quadratic_ridge_plus_offset",
            metrics(yd[d_test], ridge_source.predict(xd[d_test]) + offset),
        )
        ridge_target = quadratic_ridge().fit(train_x, train_y)
        _record(
            result.scores, "quadratic_ridge", metrics(yd[d_test], ridge_target.predict(xd[d_test]))
        )
        linear = LinearRegression().fit(train_x, train_y)
        _record(result.scores, "linear", metrics(yd[d_test], linear.predict(xd[d_test])))
        forest = RandomForestRegressor(n_estimators=200, random_state=run_seed).fit(
            train_x, train_y
        )
        _record(result.scores, "random_forest", metrics(yd[d_test], forest.predict(xd[d_test])))

        if split == 0:
            result.pretrained, result.transferred = pretrained, transferred
            result.histories = {"pretrained": h_pre, "transferred": h_tl, "scratch": h_scratch}
            result.first_split = {
                "source_test": s_test,
                "source_train": s_train,
                "target_test": d_test,
                "target_train": d_train,
                "target_true": yd[d_test],
                "pretrained_prediction": predict(pretrained, xd[d_test]),
                "transferred_prediction": predict(transferred, xd[d_test]),
            }
        counter.step()
    counter.close()
    result.architecture = {
        "layers": layers,
        "width": width,
        "adapter_width": result.transferred.adapter.width,
        "trainable_pretrained": trainable_parameters(result.pretrained),
        "trainable_adapter": trainable_parameters(result.transferred),
        "epochs": epochs,
        "restarts": restarts,
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "loss": "MAPE",
        "optimiser": "Adam",
    }
    return result
