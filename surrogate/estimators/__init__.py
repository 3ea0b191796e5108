"""Estimators: every method of an evaluation behind one ``fit``/``predict`` interface.

:mod:`~surrogate.estimators.regressors` (the nets and the baselines),
:mod:`~surrogate.estimators.ensemble` (bootstrap ensembles of transferred nets with conformal
intervals) and :mod:`~surrogate.estimators.methods` (the methods by name, for one split).

Public API
----------
NetOptions, NetRegressor, TransferRegressor, FineTuneRegressor, FixedRegressor,
OffsetRegressor, SklearnRegressor, EnsembleRegressor
    The estimators.
SplitContext, TARGET_METHODS, BASELINES
    The methods of one split, by name.
"""

from surrogate.estimators.ensemble import EnsembleRegressor
from surrogate.estimators.methods import BASELINES, TARGET_METHODS, SplitContext
from surrogate.estimators.regressors import (
    FineTuneRegressor,
    FixedRegressor,
    NetOptions,
    NetRegressor,
    OffsetRegressor,
    SklearnRegressor,
    TransferRegressor,
)

__all__ = [
    "BASELINES",
    "EnsembleRegressor",
    "FineTuneRegressor",
    "FixedRegressor",
    "NetOptions",
    "NetRegressor",
    "OffsetRegressor",
    "SklearnRegressor",
    "SplitContext",
    "TARGET_METHODS",
    "TransferRegressor",
]
