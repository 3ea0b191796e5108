"""Estimators: every method of an evaluation behind one ``fit``/``predict`` interface.

:mod:`~surrogate.estimators.regressors` (the nets and the baselines),
:mod:`~surrogate.estimators.ensemble` (bootstrap ensembles of transferred nets with conformal
intervals) and :mod:`~surrogate.estimators.methods` (the methods by name, for one split).

Public API
----------
NetOptions, NetRegressor, TransferRegressor, FineTuneRegressor, FixedRegressor,
OffsetRegressor, SklearnRegressor, EnsembleRegressor
    The estimators.
LinearCorrectionRegressor, AugmentedRegressor
    Multi-fidelity baselines: a line through a cheap model's predictions; another estimator
    with a cheap value as one more input.
SplitContext, TARGET_METHODS, BASELINES, paired_lookup
    The methods of one split, by name; a ladder's paired cheap values by a row's inputs.
"""

from surrogate.estimators.ensemble import EnsembleRegressor
from surrogate.estimators.methods import BASELINES, TARGET_METHODS, SplitContext, paired_lookup
from surrogate.estimators.regressors import (
    AugmentedRegressor,
    FineTuneRegressor,
    FixedRegressor,
    LinearCorrectionRegressor,
    NetOptions,
    NetRegressor,
    OffsetRegressor,
    SklearnRegressor,
    TransferRegressor,
)

__all__ = [
    "AugmentedRegressor",
    "BASELINES",
    "EnsembleRegressor",
    "FineTuneRegressor",
    "FixedRegressor",
    "LinearCorrectionRegressor",
    "NetOptions",
    "NetRegressor",
    "OffsetRegressor",
    "SklearnRegressor",
    "SplitContext",
    "TARGET_METHODS",
    "TransferRegressor",
    "paired_lookup",
]
