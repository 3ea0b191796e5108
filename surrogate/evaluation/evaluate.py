"""Evaluation of a transfer: the paper's nets, the alternatives and baselines, over splits."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generator.paper import TABLE_2_MAPE as PAPER_TABLE_2  # noqa: F401 (re-exported)
from surrogate.data.frame import TableDataset
from surrogate.estimators.methods import TARGET_METHODS, SplitContext
from surrogate.estimators.regressors import NetOptions, quadratic_ridge
from surrogate.nets.models import (
    DEFAULT_ARCHITECTURES,
    FALLBACK_ARCHITECTURE,
    MLP,
    TransferModel,
    trainable_parameters,
)
from surrogate.nets.training import fit, predict

METHODS = ("pretrained_on_source", *TARGET_METHODS)
MIN_ROWS = 10  # the smallest table a 70/30 split with 10 % validation leaves 6/1/3 rows


def split_indices(n: int, seed: int, test_fraction=0.3, validation_fraction=0.1, name="dataset"):
    """Random train / validation / test indices: 70/30, then 10 % of the train for validation.

    Raises
    ------
    ValueError
        For fewer than :data:`MIN_ROWS` rows, naming the table and the minimum.
    """
    if n < MIN_ROWS:
        raise ValueError(
            f"{name} has {n} usable row(s); a 70/30 split with 10 % of the training rows for "
            f"validation needs at least {MIN_ROWS} (6 train, 1 validation, 3 test)"
        )
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(test_fraction * n))
    test, rest = order[:n_test], order[n_test:]
    n_val = max(1, int(round(validation_fraction * len(rest))))
    return rest[n_val:], rest[:n_val], test


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
    """Per-split metrics of every method, and the models and curves of the first split.

    ``pretrained`` is the first split's pretrained net (or the one net given, when transferring
    from a saved run); ``split_rows`` the destination's rows per split (train, validation,
    test), which the paired comparisons need.
    """

    source: str
    target_dataset: str
    target: str
    feature_names: list
    source_target: str = ""  # the column the net was pretrained on (``target`` when empty)
    scores: dict = field(default_factory=dict)  # method -> metric -> list over splits
    pretrained: MLP | None = None
    transferred: TransferModel | None = None
    histories: dict = field(default_factory=dict)
    first_split: dict = field(default_factory=dict)
    architecture: dict = field(default_factory=dict)
    split_rows: dict = field(default_factory=dict)
    intervals: dict = field(default_factory=dict)  # metric -> list over splits
    ensemble: object | None = None  # the first split's EnsembleRegressor, if any

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


def pretrain(x, y, train, val, hidden, options: NetOptions, seed: int):
    """The MLP trained on the rows ``train`` (restart and epoch chosen on ``val``), never a net
    with a hidden layer entirely off on a training row when a restart within the bound avoids
    one (``dead_layers="retry"``: such a flat region is a ceiling no adapter and no linear
    correction can undo).

    Returns
    -------
    (MLP, History)
    """
    import torch

    net = MLP(x.shape[1], hidden)
    net.set_scalers(torch.as_tensor(x[train]), torch.as_tensor(y[train]))
    history = fit(
        net,
        x[train],
        y[train],
        x[val],
        y[val],
        seed=seed,
        dead_layers="retry",
        **options.as_fit_kwargs(),
    )
    return net, history


@dataclass(frozen=True)
class _SplitInputs:
    """What every split of :func:`evaluate_transfer` shares (pickled into a worker)."""

    xd: np.ndarray
    yd: np.ndarray
    xs: np.ndarray | None
    ys: np.ndarray | None
    source_name: str
    destination_name: str
    pretrained: object
    hidden: tuple
    adapter_width: int | None
    options: NetOptions
    seed: int
    members: int
    level: float
    cheap: object
    rescale: bool


def _evaluate_split(task) -> tuple[list, list, dict]:
    """One split of :func:`evaluate_transfer`: ``(method, metrics)`` in the order recorded,
    ``(interval score, value)`` likewise, and for split 0 what the result keeps of it (nets,
    histories, predictions). Its seeds depend only on the split, so it gives the same numbers
    in any process."""
    from surrogate.estimators.ensemble import interval_scores

    shared, split = task
    xd, yd, xs, ys, seed = shared.xd, shared.yd, shared.xs, shared.ys, shared.seed
    scores, intervals, first = [], [], {}
    d_train, d_val, d_test = split_indices(
        len(xd), seed + 100 + split, name=f"destination {shared.destination_name!r}"
    )
    run_seed = seed * 100 + split
    net, source_ridge, h_pre = shared.pretrained, None, None
    if xs is not None:
        s_train, s_val, s_test = split_indices(
            len(xs), seed + split, name=f"source {shared.source_name!r}"
        )
        if shared.pretrained is None:
            net, h_pre = pretrain(xs, ys, s_train, s_val, shared.hidden, shared.options, run_seed)
        scores.append(("pretrained_on_source", metrics(ys[s_test], predict(net, xs[s_test]))))
        source_ridge = quadratic_ridge().fit(xs[s_train], ys[s_train])
    context = SplitContext(
        net, source_ridge, shared.hidden, shared.adapter_width, shared.options, run_seed,
        shared.members, shared.level, shared.cheap, rescale=shared.rescale,
    )  # fmt: skip
    fitted = {}
    for method, make in TARGET_METHODS.items():
        estimator = make(context)
        if estimator is None:
            continue
        estimator.fit(xd[d_train], yd[d_train], xd[d_val], yd[d_val])
        fitted[method] = estimator
        scores.append((method, metrics(yd[d_test], estimator.predict(xd[d_test]))))
        if hasattr(estimator, "predict_interval"):
            for calibrated, suffix in ((True, ""), (False, "_raw")):
                bounds = estimator.predict_interval(xd[d_test], calibrated=calibrated)
                for name, value in interval_scores(yd[d_test], *bounds).items():
                    intervals.append((name + suffix, value))
    if split == 0:
        first["pretrained"], first["transferred"] = net, fitted["transferred"].model_
        first["histories"] = {
            "pretrained": h_pre,
            "transferred": fitted["transferred"].history_,
            "scratch": fitted["scratch"].history_,
        }
        rows = {
            "target_test": d_test,
            "target_train": d_train,
            "target_validation": d_val,
            "target_true": yd[d_test],
            "pretrained_prediction": predict(net, xd[d_test]),
            "transferred_prediction": fitted["transferred"].predict(xd[d_test]),
        }
        if "transferred_ensemble" in fitted:
            first["ensemble"] = fitted["transferred_ensemble"]
            mean, low, high = first["ensemble"].predict_interval(xd[d_test])
            rows |= {"ensemble_prediction": mean, "ensemble_low": low, "ensemble_high": high}
        if xs is not None:
            rows |= {"source_test": s_test, "source_train": s_train}
        first["first_split"] = rows
        first["split_rows"] = {"train": len(d_train), "validation": len(d_val), "test": len(d_test)}
    return scores, intervals, first


def evaluate_transfer(
    source: TableDataset | None,
    destination: TableDataset,
    target: str,
    *,
    splits: int = 5,
    seed: int = 0,
    epochs: int = 250,
    restarts: int = 3,
    hidden=None,
    adapter_width=None,
    learning_rate=0.01,
    batch_size=16,
    progress: bool = False,
    pretrained: MLP | None = None,
    members: int = 0,
    level: float = 0.9,
    source_target: str | None = None,
    paired=None,
    workers: int = 1,
) -> TransferResult:
    """Pretrain on ``source``, transfer to ``destination``, compare with the alternatives.

    For each of ``splits`` random 70/30 splits (10 % of each training split for validation):
    the pretrained MLP on the source test set, then every method of
    :data:`surrogate.estimators.methods.TARGET_METHODS` fitted on the destination's training rows
    (its validation rows for the choices the nets make) and scored on its test rows: the
    pretrained net as it is, the transferred net (frozen MLP + adapter), the same MLP from
    scratch, the pretrained net fine-tuned whole, and the baselines.

    With ``pretrained`` (a net saved by an earlier run) no source is trained: that one net is
    transferred in every split, ``source`` may be None, and the methods that need the source
    table are left out. ``hidden`` (hidden-layer widths) defaults to the paper's net for the
    target. ``progress`` reports each finished split on stderr.

    With ``members`` of 2 or more, an ensemble of that many transferred nets (bootstrap
    resamples, own seeds; :mod:`surrogate.estimators.ensemble`) is one more method, and the
    coverage and
    width of its calibrated ``level`` intervals (and of the raw ones) on the test rows are
    recorded per split in ``intervals``.

    ``source_target`` is the source column the net is pretrained on (default ``target``): a
    cheap column, which the adapter maps to the destination's scale. ``paired`` (one cheap
    value per destination row, a fidelity ladder: :func:`surrogate.evaluation.sides.paired_values`)
    adds the method ``cheap_value_input``. ``workers`` runs the splits side by side, each in
    a process of its own (:func:`surrogate.evaluation.parallel.map_in_processes`); the numbers
    do not depend on it.
    """
    from generator import ProgressCounter

    if splits < 1:
        raise ValueError(f"splits={splits} must be at least 1")
    if members == 1 or members < 0:
        raise ValueError(f"members={members}: an ensemble needs at least 2 members (0 for none)")
    if not 0 < level < 1:
        raise ValueError(
            f"level={level} must lie strictly between 0 and 1 (0.9 for a 90 % interval)"
        )
    if source is not None and source.feature_names != destination.feature_names:
        raise ValueError(
            f"source and target datasets have different inputs: {source.feature_names} vs "
            f"{destination.feature_names}"
        )
    if pretrained is not None:
        hidden = pretrained.hidden
    hidden = tuple(hidden or DEFAULT_ARCHITECTURES.get(target, FALLBACK_ARCHITECTURE))
    options = NetOptions(epochs, restarts, learning_rate, batch_size)
    from surrogate.estimators.methods import paired_lookup

    source_target = source_target or target
    xd, yd = destination.arrays(target)
    if source is not None:
        xs, ys = source.arrays(source_target)
    cheap = None if paired is None else paired_lookup(xd, paired)
    origin = source.name if source is not None else "saved net"
    result = TransferResult(
        origin, destination.name, target, destination.feature_names, source_target=source_target
    )
    counter = ProgressCounter(
        splits if progress else 0, f"transfer {origin} -> {destination.name}", "splits"
    )
    shared = _SplitInputs(
        xd, yd, xs if source is not None else None, ys if source is not None else None,
        source.name if source is not None else "", destination.name, pretrained, hidden,
        adapter_width, options, seed, members, level, cheap, source_target != target,
    )  # fmt: skip
    tasks = [(shared, split) for split in range(splits)]
    from surrogate.evaluation.parallel import map_in_processes

    done = map_in_processes(_evaluate_split, tasks, workers, lambda *_: counter.step())
    counter.close()
    for split, (scores, intervals, first) in enumerate(done):
        for method, values in scores:
            _record(result.scores, method, values)
        for name, value in intervals:
            result.intervals.setdefault(name, []).append(value)
        if split == 0:
            for key, value in first.items():
                setattr(result, key, value)
    result.architecture = {
        "hidden": list(hidden),
        "layers": len(hidden),
        "width": hidden[-1],
        "adapter_width": result.transferred.adapter.width,
        "trainable_pretrained": trainable_parameters(result.pretrained),
        "trainable_adapter": trainable_parameters(result.transferred),
        "pretrained_from_run": pretrained is not None,
        "epochs": epochs,
        "restarts": restarts,
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "loss": "MAPE",
        "optimiser": "Adam",
        "ensemble_members": members if members >= 2 else 0,
        "interval_level": level,
    }
    return result
