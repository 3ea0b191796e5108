"""Evaluation: how well each method does, and the reports that say so.

:mod:`~surrogate.evaluation.evaluate` (pretrain, transfer and every baseline over random
splits), :mod:`~surrogate.evaluation.compare` (paired verdicts),
:mod:`~surrogate.evaluation.curves` (learning curves), :mod:`~surrogate.evaluation.explain`
(SHAP) and :mod:`~surrogate.evaluation.report` (run folders, tables, figures and sentences).

Public API
----------
evaluate_transfer, pretrain, TransferResult
    The evaluation over splits.
compare
    A paired test between two methods' per-split errors.
learning_curve, CurveResult
    Test error against the number of destination rows.
explain
    SHAP values of a net.
"""

from surrogate.evaluation.compare import compare
from surrogate.evaluation.curves import CurveResult, learning_curve
from surrogate.evaluation.evaluate import TransferResult, evaluate_transfer, pretrain
from surrogate.evaluation.explain import explain

__all__ = [
    "CurveResult",
    "TransferResult",
    "compare",
    "evaluate_transfer",
    "explain",
    "learning_curve",
    "pretrain",
]
