"""The methods of a transfer evaluation, by name: each a factory of an unfitted estimator for
one split (:data:`TARGET_METHODS`), and which of them are baselines (:data:`BASELINES`).

Every method gets the same training rows and the same validation rows of a split; adding a
baseline is one line in :data:`TARGET_METHODS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from types import MappingProxyType

from surrogate.estimators.ensemble import EnsembleRegressor
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
    rescale : bool
        The destination learns another column than the source (the transferred nets start
        from a line fitted to it: :class:`~surrogate.estimators.regressors.TransferRegressor`).
    cheap : callable or None
        On a fidelity ladder, the paired cheap value of each destination row given its inputs
        (:func:`paired_lookup`); None when the source's rows do not pair with the destination's.
    """

    pretrained: MLP
    source_ridge: object | None
    hidden: tuple
    adapter_width: int | None
    options: NetOptions = field(default_factory=NetOptions)
    seed: int = 0
    members: int = 0
    level: float = 0.9
    cheap: object | None = None
    rescale: bool = False


def paired_lookup(x, values):
    """The paired cheap value of a destination row, looked up by its inputs.

    Parameters
    ----------
    x : numpy.ndarray
        The destination's inputs, one row per sample.
    values : numpy.ndarray
        The cheap value of each row (the same design measured at the cheap fidelity).

    Returns
    -------
    callable or None
        ``lookup(X)`` -> the values of the rows ``X`` (each must be a row of ``x``); None when
        two rows share their inputs (a row would not name its pair).

    Examples
    --------
    >>> import numpy as np
    >>> from surrogate.estimators.methods import paired_lookup
    >>> lookup = paired_lookup(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([10.0, 30.0]))
    >>> lookup(np.array([[3.0, 4.0], [1.0, 2.0]])).tolist()
    [30.0, 10.0]
    """
    import numpy as np

    keys = [row.tobytes() for row in np.ascontiguousarray(x)]
    if len(set(keys)) != len(keys):
        return None
    return _PairedLookup(dict(zip(keys, np.asarray(values, dtype=float), strict=True)),
                         np.asarray(x).dtype)  # fmt: skip


class _PairedLookup:
    """``lookup(rows)`` of :func:`paired_lookup`: a class, not a closure, so that a fit
    using it can run in another process (it pickles)."""

    def __init__(self, table: dict, dtype):
        self.table, self.dtype = table, dtype

    def __call__(self, rows):
        import numpy as np

        rows = np.ascontiguousarray(np.asarray(rows, dtype=self.dtype))
        try:
            return np.array([self.table[row.tobytes()] for row in rows])
        except KeyError:
            raise ValueError("a row without a paired cheap value (not a destination row)") from None


def _transfer_member(pretrained, adapter_width, options, rescale, seed):
    return TransferRegressor(pretrained, adapter_width, options, seed, rescale)


def _transferred_ensemble(context: SplitContext):
    if context.members < 2:
        return None
    # One restart a member: the members' seeds and resamples give the variety that restarts
    # would only spend on picking one of them.
    options = replace(context.options, restarts=1)
    # A partial, not a lambda: the fitted ensemble pickles (a split may run in another process).
    return EnsembleRegressor(
        partial(
            _transfer_member, context.pretrained, context.adapter_width, options, context.rescale
        ),
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


def _stacking(context: SplitContext):
    # The destination model (the same MLP as ``scratch``) with the cheap model's prediction
    # as one more input.
    cheap = FixedRegressor(context.pretrained)
    inner = NetRegressor(context.hidden, context.options, context.seed)
    return AugmentedRegressor(inner, cheap.predict)


def _cheap_value_input(context: SplitContext):
    if context.cheap is None:
        return None
    inner = NetRegressor(context.hidden, context.options, context.seed)
    return AugmentedRegressor(inner, context.cheap)


# Methods learnt on the destination table, in the order reports list them: name -> a factory
# of an unfitted estimator for one split (None: the method does not apply to this run).
_METHODS = {
    "pretrained_on_target": lambda c: FixedRegressor(c.pretrained),
    "transferred": lambda c: TransferRegressor(
        c.pretrained, c.adapter_width, c.options, c.seed, c.rescale
    ),
    "transferred_ensemble": _transferred_ensemble,
    "scratch": lambda c: NetRegressor(c.hidden, c.options, c.seed),
    "finetune_all": lambda c: FineTuneRegressor(c.pretrained, c.options, c.seed, c.rescale),
    "pretrained_plus_offset": lambda c: OffsetRegressor(FixedRegressor(c.pretrained)),
    "linear_correction": lambda c: LinearCorrectionRegressor(FixedRegressor(c.pretrained)),
    "stacking": _stacking,
    "cheap_value_input": _cheap_value_input,
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
    "linear_correction",
    "stacking",
    "cheap_value_input",
    "quadratic_ridge_plus_offset",
    "mean",
    "linear",
    "quadratic_ridge",
    "random_forest",
)
