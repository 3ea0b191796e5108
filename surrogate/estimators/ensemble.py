"""Ensembles of nets with calibrated prediction intervals.

A bootstrap ensemble: every member is the same estimator (for transfer, a fresh adapter on the
frozen pretrained net) fitted with its own seed on its own bootstrap resample of the training
rows; the ensemble's prediction is the members' mean and its disagreement their standard
deviation.

The raw interval ``mean ± z·std`` (``z`` the normal quantile) describes only how much the
members disagree, not the noise of the data or what all members get wrong alike, so it is
usually over-confident. The interval reported is therefore calibrated by split-conformal
scaling on the *out-of-bag* rows: each training row is predicted by the members whose resample
left it out, its residual is divided by the ensemble's spread there, and the interval's
half-width is that spread times the ``level`` conformal quantile of these ratios. The
validation rows of a transfer are too few (2–5) to calibrate on; the out-of-bag rows are about
a third of the training rows for each member and cover nearly every row at ten members.
Exchangeability of the out-of-bag rows with new rows is the assumption, as for any conformal
interval; coverage is measured, not assumed (see :func:`interval_scores` and the tests).

A target that is positive in every training row (every target a MAPE loss trains on: a mass
loading, a density, a tortuosity) cannot have a negative value, so a lower bound below 0 says
only that the members disagree widely there: it is clipped at 0 (:attr:`lower_limit_`), and
:func:`interval_scores` counts how often that happened, for the report to say so.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

DEFAULT_MEMBERS = 10
DEFAULT_LEVEL = 0.9


class EnsembleRegressor(RegressorMixin, BaseEstimator):
    """A bootstrap ensemble of ``make_member(seed)`` estimators with calibrated intervals.

    Parameters
    ----------
    make_member : callable
        ``make_member(seed)`` returns an unfitted estimator with ``fit(X, y, X_val, y_val)``.
    members : int
        Ensemble size (at least 2; the out-of-bag calibration wants about 10).
    level : float
        Nominal coverage of :meth:`predict_interval` (0.9: a 90 % interval).
    seed : int

    Attributes
    ----------
    members_ : list
        The fitted members.
    scale_ : float
        The calibrated multiplier of the spread (``nan`` if no row was ever out of bag).
    floor_ : float
        The smallest spread an interval is built on: a tenth of the members' median spread over
        the calibration rows (over all training rows when none was out of bag), so a row where
        the members happen to agree exactly gets no zero-width interval.
    calibration_rows_ : int
        Out-of-bag rows the multiplier was calibrated on.
    oob_mape_ : float
        MAPE (%) of the out-of-bag predictions on those rows: an error estimate that costs no
        held-out row.
    lower_limit_ : float or None
        0 when every training target is positive (the interval's lower bound is clipped
        there), else None.
    """

    def __init__(self, make_member=None, members=DEFAULT_MEMBERS, level=DEFAULT_LEVEL, seed=0):
        self.make_member = make_member
        self.members = members
        self.level = level
        self.seed = seed

    def fit(self, X, y, X_val, y_val):
        if int(self.members) != self.members or self.members < 2:
            raise ValueError(f"members={self.members!r}: an ensemble needs at least 2 members")
        if not 0.0 < self.level < 1.0:
            raise ValueError(f"level={self.level!r} must lie strictly between 0 and 1")
        X, y = np.asarray(X), np.asarray(y, dtype=float)
        n = len(X)
        rng = np.random.default_rng(self.seed)
        out_of_bag = np.full((self.members, n), np.nan)
        self.members_ = []
        for member in range(self.members):
            resample = _bootstrap(rng, n)
            estimator = self.make_member(self.seed * 1000 + member)
            estimator.fit(X[resample], y[resample], X_val, y_val)
            self.members_.append(estimator)
            left_out = np.setdiff1d(np.arange(n), resample)
            if len(left_out):
                out_of_bag[member, left_out] = estimator.predict(X[left_out])
        # Detected positive (as every MAPE target is): no interval reaches below 0.
        self.lower_limit_ = 0.0 if n and bool(np.all(y > 0)) else None
        seen = ~np.all(np.isnan(out_of_bag), axis=0)
        self.calibration_rows_ = int(seen.sum())
        spread = self.predict_members(X[seen] if seen.any() else X).std(axis=0, ddof=1)
        self.floor_ = 0.1 * float(np.median(spread)) + 1e-12
        if not seen.any():
            self.scale_ = self.oob_mape_ = float("nan")
            return self
        oob_mean = np.nanmean(out_of_bag[:, seen], axis=0)
        self.oob_mape_ = 100.0 * float(np.mean(np.abs((y[seen] - oob_mean) / y[seen])))
        ratios = np.abs(y[seen] - oob_mean) / np.maximum(spread, self.floor_)
        self.scale_ = conformal_quantile(ratios, self.level)
        return self

    def _spread(self, predictions: np.ndarray) -> np.ndarray:
        """The members' spread per row, at least :attr:`floor_` (set by :meth:`fit`)."""
        return np.maximum(predictions.std(axis=0, ddof=1), self.floor_)

    def predict_members(self, X) -> np.ndarray:
        """Every member's predictions, shape (members, rows)."""
        return np.stack([np.asarray(m.predict(X), dtype=float) for m in self.members_])

    def predict(self, X) -> np.ndarray:
        """The members' mean."""
        return self.predict_members(X).mean(axis=0)

    def predict_interval(self, X, *, calibrated: bool = True):
        """Mean, lower and upper bound of the ``level`` interval per row.

        ``calibrated=False`` gives the raw ``mean ± z·std`` interval (normal quantile ``z``),
        for comparison. Either lower bound is clipped at :attr:`lower_limit_` (0 for a
        positive target).
        """
        predictions = self.predict_members(X)
        mean = predictions.mean(axis=0)
        spread = self._spread(predictions)
        if calibrated:
            half = self.scale_ * spread
        else:
            from scipy.stats import norm

            half = norm.ppf(0.5 + self.level / 2) * predictions.std(axis=0, ddof=1)
        low = mean - half
        if getattr(self, "lower_limit_", None) is not None:
            low = np.maximum(low, self.lower_limit_)
        return mean, low, mean + half

    def disagreement(self, X) -> np.ndarray:
        """The members' standard deviation per row (what the active loop ranks by)."""
        return self.predict_members(X).std(axis=0, ddof=1)


def _bootstrap(rng, n: int) -> np.ndarray:
    """Row indices drawn with replacement; redrawn until at least two rows differ (a member
    fitted to one repeated row learns nothing)."""
    while True:
        resample = rng.integers(0, n, n)
        if n < 2 or len(np.unique(resample)) >= 2:
            return resample


def conformal_quantile(scores, level: float) -> float:
    """The split-conformal quantile: the ``ceil((n + 1) level)``-th smallest of ``n`` scores
    (``inf`` when ``n`` is too small for the level, as the method requires)."""
    scores = np.sort(np.asarray(scores, dtype=float))
    rank = math.ceil((len(scores) + 1) * level)
    return float(scores[rank - 1]) if rank <= len(scores) else float("inf")


def interval_scores(y_true, mean, lower, upper) -> dict[str, float]:
    """Coverage (%) of the intervals, their mean width relative to the truth (%), and the share
    (%) whose lower bound sits at or below 0 (clipped there, for a positive target).

    Examples
    --------
    >>> from surrogate.estimators.ensemble import interval_scores
    >>> interval_scores([1.0, 2.0], [1.0, 2.0], [0.0, 1.5], [2.0, 2.5])
    {'coverage': 100.0, 'width': 125.0, 'clipped': 50.0}
    """
    y_true, lower, upper = (np.asarray(v, dtype=float) for v in (y_true, lower, upper))
    inside = (y_true >= lower) & (y_true <= upper)
    return {
        "coverage": 100.0 * float(np.mean(inside)),
        "width": 100.0 * float(np.mean((upper - lower) / np.abs(y_true))),
        "clipped": 100.0 * float(np.mean(lower <= 0)),
    }


def ensemble_state(ensemble: EnsembleRegressor) -> tuple[dict, dict]:
    """The members' nets as one state_dict (keys ``<member>.<parameter>``) and the
    calibration that goes with them, for :func:`ensemble_from_state`."""
    state = {
        f"{i}.{key}": value
        for i, member in enumerate(ensemble.members_)
        for key, value in member.model_.state_dict().items()
    }
    calibration = {
        "members": len(ensemble.members_),
        "level": float(ensemble.level),
        "scale": float(ensemble.scale_) if np.isfinite(ensemble.scale_) else None,
        "floor": float(ensemble.floor_),
        "calibration_rows": int(ensemble.calibration_rows_),
        "lower_limit": ensemble.lower_limit_,
        "calibration": "split-conformal scaling of the members' spread on out-of-bag rows",
    }
    return state, calibration


def ensemble_from_state(state: dict, calibration: dict, build_model) -> EnsembleRegressor:
    """An :class:`EnsembleRegressor` ready to predict, from :func:`ensemble_state`'s output;
    ``build_model()`` makes one member's (untrained) net."""
    from surrogate.estimators.regressors import FixedRegressor

    ensemble = EnsembleRegressor(members=calibration["members"], level=calibration["level"])
    ensemble.members_ = []
    for i in range(calibration["members"]):
        model = build_model()
        prefix = f"{i}."
        model.load_state_dict(
            {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}
        )
        ensemble.members_.append(FixedRegressor(model))
    scale = calibration["scale"]
    ensemble.scale_ = float("inf") if scale is None else scale
    ensemble.floor_ = calibration["floor"]
    ensemble.calibration_rows_ = calibration["calibration_rows"]
    # Runs saved before the limit was recorded trained on positive targets only (MAPE).
    ensemble.lower_limit_ = calibration.get("lower_limit", 0.0)
    return ensemble
