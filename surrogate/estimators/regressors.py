"""Every method of a transfer evaluation as a scikit-learn-style estimator.

One interface for the nets and the baselines: ``fit(X, y, X_val, y_val)`` then ``predict(X)``.
Every method gets the same training rows and the same validation rows of a split: the nets pick
their restart and epoch on the validation rows, the baselines that have nothing to choose
ignore them (:class:`~sklearn.linear_model.RidgeCV` chooses its penalty by leave-one-out on the
training rows). No method sees the test rows.

:mod:`surrogate.estimators.methods` names the methods of an evaluation.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin

from surrogate.nets.models import MLP, TransferModel
from surrogate.nets.training import fit, predict


@dataclass
class NetOptions:
    """Training options shared by every net of an evaluation."""

    epochs: int = 250
    restarts: int = 3
    learning_rate: float = 0.01
    batch_size: int = 16

    def as_fit_kwargs(self) -> dict:
        return {
            "epochs": self.epochs,
            "restarts": self.restarts,
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
        }


class _NetEstimator(RegressorMixin, BaseEstimator):
    """A net trained by :func:`surrogate.nets.training.fit`; subclasses build ``model_``."""

    def _train(self, model, X, y, X_val, y_val, **overrides):
        self.model_ = model
        kwargs = {**_options(self).as_fit_kwargs(), **overrides}
        self.history_ = fit(model, X, y, X_val, y_val, seed=self.seed, **kwargs)
        return self

    def predict(self, X):
        return predict(self.model_, X)


class NetRegressor(_NetEstimator):
    """The MLP trained from scratch on the rows given (the paper's net; ``scratch``).

    Parameters
    ----------
    hidden : tuple of int
        Hidden-layer widths.
    options : NetOptions
    seed : int
    """

    def __init__(self, hidden=(3, 3, 3), options=None, seed=0):
        self.hidden = hidden
        self.options = options
        self.seed = seed

    def fit(self, X, y, X_val, y_val):
        model = MLP(np.shape(X)[1], self.hidden)
        model.set_scalers(torch.as_tensor(X), torch.as_tensor(y))
        return self._train(model, X, y, X_val, y_val)


class TransferRegressor(_NetEstimator):
    """A frozen pretrained net followed by a small trainable adapter (the paper's transfer).

    Only the adapter is fitted; the pretrained net passed in is never modified. With
    ``rescale`` (the destination's target is another column than the one pretrained on) the
    adapter starts from the least-squares line of the training targets on the pretrained
    prediction (:meth:`~surrogate.nets.models.TransferModel.start_from_line`) instead of the
    identity: the new scale is where training starts, the adapter learns the rest.
    """

    def __init__(self, pretrained=None, adapter_width=None, options=None, seed=0, rescale=False):
        self.pretrained = pretrained
        self.adapter_width = adapter_width
        self.options = options
        self.seed = seed
        self.rescale = rescale

    def fit(self, X, y, X_val, y_val):
        model = TransferModel(copy.deepcopy(self.pretrained), self.adapter_width)
        if self.rescale:
            model.start_from_line(*_line(predict(self.pretrained, X), y))
        return self._train(model, X, y, X_val, y_val)


def _line(f, y) -> tuple[float, float]:
    """Intercept and slope of the least-squares line of ``y`` on ``f``; an offset (slope 1)
    when ``f`` does not vary over the rows."""
    f, y = np.asarray(f, dtype=float), np.asarray(y, dtype=float)
    if len(f) < 2 or np.ptp(f) <= 1e-12 * max(1.0, float(np.abs(f).max())):
        return float(np.mean(y - f)), 1.0
    slope, intercept = np.polyfit(f, y, 1)
    return float(intercept), float(slope)


class FineTuneRegressor(_NetEstimator):
    """Every layer of a copy of the pretrained net trained further (one run from the
    pretrained weights: a restart would throw them away).

    With ``rescale`` (another column than the one pretrained on) the copy's output scale
    (``y_mean``, ``y_std``) is first mapped through the least-squares line of the training
    targets on its prediction, so training starts on the new scale.
    """

    def __init__(self, pretrained=None, options=None, seed=0, rescale=False):
        self.pretrained = pretrained
        self.options = options
        self.seed = seed
        self.rescale = rescale

    def fit(self, X, y, X_val, y_val):
        model = copy.deepcopy(self.pretrained)
        if self.rescale:
            cheap = predict(self.pretrained, X)
            intercept, slope = _line(cheap, y)
            if slope <= 0:  # a standard deviation cannot turn negative: an offset only
                intercept, slope = float(np.mean(np.asarray(y, float) - cheap)), 1.0
            # a + b (m + s z) = (a + b m) + (b s) z: the same line on the net's output scale.
            with torch.no_grad():
                model.y_mean.copy_(intercept + slope * model.y_mean)
                model.y_std.mul_(slope)
        return self._train(model, X, y, X_val, y_val, restarts=1, init=lambda net: None)


class FixedRegressor(RegressorMixin, BaseEstimator):
    """A trained model used as it is (``fit`` learns nothing): the pretrained net on the
    destination, or a model fitted on the source table."""

    def __init__(self, model=None):
        self.model = model

    def fit(self, X, y, X_val=None, y_val=None):
        return self

    def predict(self, X):
        if isinstance(self.model, torch.nn.Module):
            return predict(self.model, X)
        return np.asarray(self.model.predict(X), dtype=float)


class OffsetRegressor(RegressorMixin, BaseEstimator):
    """A fixed model plus one constant learned on the training rows: the simplest transfer.

    The constant minimises the MAPE on the training rows (:func:`mape_offset`).
    """

    def __init__(self, base=None):
        self.base = base

    def fit(self, X, y, X_val=None, y_val=None):
        self.offset_ = mape_offset(y, self.base.predict(X))
        return self

    def predict(self, X):
        return self.base.predict(X) + self.offset_


class LinearCorrectionRegressor(RegressorMixin, BaseEstimator):
    """``y ≈ a + b · f(x)``: a straight line (least squares) through a fixed cheap model's
    predictions ``f``, the first multi-fidelity correction a practitioner tries.

    Examples
    --------
    An expensive value that is exactly ``0.5 + 2 × cheap`` is recovered from two rows:

    >>> import numpy as np
    >>> from surrogate.estimators.regressors import FixedRegressor, LinearCorrectionRegressor
    >>> class Cheap:
    ...     def predict(self, x):
    ...         return x[:, 0] ** 2
    >>> x = np.array([[1.0], [2.0], [3.0]])
    >>> line = LinearCorrectionRegressor(FixedRegressor(Cheap()))
    >>> fitted = line.fit(x[:2], 0.5 + 2 * x[:2, 0] ** 2)
    >>> round(fitted.intercept_, 6), round(fitted.slope_, 6)
    (0.5, 2.0)
    >>> fitted.predict(x[2:]).round(6).tolist()
    [18.5]
    """

    def __init__(self, base=None):
        self.base = base

    def fit(self, X, y, X_val=None, y_val=None):
        from sklearn.linear_model import LinearRegression

        cheap = np.asarray(self.base.predict(X), dtype=float).reshape(-1, 1)
        line = LinearRegression().fit(cheap, np.asarray(y, dtype=float))
        self.intercept_, self.slope_ = float(line.intercept_), float(line.coef_[0])
        return self

    def predict(self, X):
        return self.intercept_ + self.slope_ * np.asarray(self.base.predict(X), dtype=float)


class AugmentedRegressor(RegressorMixin, BaseEstimator):
    """Another estimator trained on the inputs plus one column computed from them: stacking
    (the cheap model's prediction as an extra input) or, on a fidelity ladder, the paired
    cheap value itself.

    Parameters
    ----------
    inner : estimator
        Fitted as ``inner.fit(X', y, X_val', y_val)`` on the widened inputs.
    extra : callable
        ``extra(X)`` -> one value per row.
    """

    def __init__(self, inner=None, extra=None):
        self.inner = inner
        self.extra = extra

    def _widen(self, X):
        X = np.asarray(X)
        column = np.asarray(self.extra(X), dtype=X.dtype).reshape(len(X), 1)
        return np.hstack([X, column])

    def fit(self, X, y, X_val=None, y_val=None):
        X_val = None if X_val is None else self._widen(X_val)
        self.inner.fit(self._widen(X), y, X_val, y_val)
        return self

    def predict(self, X):
        return np.asarray(self.inner.predict(self._widen(X)), dtype=float)


class SklearnRegressor(RegressorMixin, BaseEstimator):
    """A scikit-learn regressor under the same ``fit(X, y, X_val, y_val)`` call (the
    validation rows are not used)."""

    def __init__(self, regressor=None):
        self.regressor = regressor

    def fit(self, X, y, X_val=None, y_val=None):
        from sklearn.base import clone

        self.regressor_ = clone(self.regressor).fit(X, y)
        return self

    def predict(self, X):
        return np.asarray(self.regressor_.predict(X), dtype=float)


def _options(estimator) -> NetOptions:
    return estimator.options or NetOptions()


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
    penalty chosen by leave-one-out cross-validation on the training rows."""
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    return make_pipeline(
        StandardScaler(),
        PolynomialFeatures(degree=2, include_bias=False),
        StandardScaler(),
        RidgeCV(alphas=np.logspace(-4, 3, 30)),
    )
