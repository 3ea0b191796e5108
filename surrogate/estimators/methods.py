"""The methods of a transfer evaluation, by name: each a factory of an unfitted estimator for
one split (:data:`TARGET_METHODS`), and which of them are baselines (:data:`BASELINES`).

Every method gets the same training rows and the same validation rows of a split; adding a
baseline is one line in :data:`TARGET_METHODS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType

from surrogate.estimators.ensemble import EnsembleRegressor
from surrogate.estimators.regressors import (
    FineTuneRegressor,
    FixedRegressor,
    NetOptions,
    NetRegressor,
    OffsetRegressor,
    SklearnRegressor,
    TransferRegressor,
    quadratic_ridge,
)
from surrogate.nets.models import MLP


@dataclass
class SplitContext:
    """What the methods of one split may build on.

    Attributes
    ----------
    pretrained : MLP
        The net pretrained on the source (frozen inside the methods that use it).
    source_ridge : sklearn estimator or None
        A quadratic ridge fitted on the source's training rows (None when the source table is
        not at hand, as when transferring from a saved run).
    hidden : tuple of int
        Widths of the nets trained from scratch.
    adapter_width : int or None
    options : NetOptions
    seed : int
    members : int
        Size of the ensemble of transferred nets (below 2: no ensemble).
    level : float
        Nominal coverage of the ensemble's intervals.
    """

    pretrained: MLP
    source_ridge: object | None
    hidden: tuple
    adapter_width: int | None
    options: NetOptions = field(default_factory=NetOptions)
    seed: int = 0
    members: int = 0
    level: float = 0.9


def _transferred_ensemble(context: SplitContext):
    if context.members < 2:
        return None
    # One restart a member: the members' seeds and resamples give the variety that restarts
    # would only spend on picking one of them.
    options = replace(context.options, restarts=1)
    return EnsembleRegressor(
        lambda seed: TransferRegressor(context.pretrained, context.adapter_width, options, seed),
        context.members,
        context.level,
        context.seed,
    )


def _random_forest(context: SplitContext):
    from sklearn.ensemble import RandomForestRegressor

    return SklearnRegressor(RandomForestRegressor(n_estimators=200, random_state=context.seed))


def _linear(context: SplitContext):
    from sklearn.linear_model import LinearRegression

    return SklearnRegressor(LinearRegression())


def _mean(context: SplitContext):
    from sklearn.dummy import DummyRegressor

    return SklearnRegressor(DummyRegressor(strategy="mean"))


def _ridge_on_source_plus_offset(context: SplitContext):
    if context.source_ridge is None:
        return None
    return OffsetRegressor(FixedRegressor(context.source_ridge))


# Methods learnt on the destination table, in the order reports list them: name -> a factory
# of an unfitted estimator for one split (None: the method does not apply to this run).
_METHODS = {
    "pretrained_on_target": lambda c: FixedRegressor(c.pretrained),
    "transferred": lambda c: TransferRegressor(c.pretrained, c.adapter_width, c.options, c.seed),
    "transferred_ensemble": _transferred_ensemble,
    "scratch": lambda c: NetRegressor(c.hidden, c.options, c.seed),
    "finetune_all": lambda c: FineTuneRegressor(c.pretrained, c.options, c.seed),
    "pretrained_plus_offset": lambda c: OffsetRegressor(FixedRegressor(c.pretrained)),
    "quadratic_ridge_plus_offset": _ridge_on_source_plus_offset,
    "mean": _mean,
    "linear": _linear,
    "quadratic_ridge": lambda c: SklearnRegressor(quadratic_ridge()),
    "random_forest": _random_forest,
}
# Read-only, so that no caller changes which methods every later evaluation in the process runs.
TARGET_METHODS = MappingProxyType(_METHODS)
# Baselines: what the transferred net must beat to be worth its pretraining.
BASELINES = (
    "pretrained_plus_offset",
    "quadratic_ridge_plus_offset",
    "mean",
    "linear",
    "quadratic_ridge",
    "random_forest",
)
