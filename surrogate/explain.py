"""SHAP explanations of a trained surrogate: exact Shapley values for a handful of inputs."""

from __future__ import annotations

import numpy as np


def explain(model, x_background, x_explain, feature_names):
    """Exact SHAP values of ``model`` at ``x_explain`` against a background sample.

    With 5 or 6 inputs the exact explainer enumerates every coalition (2^6 = 64), so the
    values are exact for the masker: ``values.sum(1) + base_values == prediction``.

    Returns
    -------
    shap.Explanation
    """
    import shap

    from surrogate.training import predict

    def f(x):
        return predict(model, x)

    masker = shap.maskers.Independent(
        np.asarray(x_background, dtype=np.float32), max_samples=len(x_background)
    )
    explainer = shap.explainers.Exact(f, masker, feature_names=list(feature_names))
    return explainer(np.asarray(x_explain, dtype=np.float32))


def additivity_error(model, explanation, x_explain) -> float:
    """Largest |sum of SHAP values + base value - prediction| over the explained rows."""
    from surrogate.training import predict

    total = explanation.values.sum(axis=1) + explanation.base_values
    return float(np.max(np.abs(total - predict(model, x_explain))))
