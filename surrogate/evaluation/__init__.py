"""Evaluation: how well each method does, the runs that record it, and the reports that say so.

:mod:`~surrogate.evaluation.evaluate` (pretrain, transfer and every baseline over random
splits), :mod:`~surrogate.evaluation.compare` (paired verdicts),
:mod:`~surrogate.evaluation.curves` (learning curves), :mod:`~surrogate.evaluation.explain`
(SHAP), :mod:`~surrogate.evaluation.sides` (the datasets of a transfer, as a user names them),
:mod:`~surrogate.evaluation.runs` (pretrain, transfer and curve runs written to a run
directory), :mod:`~surrogate.evaluation.rundir` (a run directory's files),
:mod:`~surrogate.evaluation.predict` (predictions with a run's net),
:mod:`~surrogate.evaluation.figures` and :mod:`~surrogate.evaluation.report` (figures, tables
and sentences).

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
load_sides, load_one, Sides
    The datasets of a run, by name or path, with their columns and filters.
pretrain_run, transfer_run, curve_run, explain_run, predict_run
    What the command line's pretrain, transfer, curve, explain and predict do.
"""

from surrogate.evaluation.compare import compare
from surrogate.evaluation.curves import CurveResult, learning_curve
from surrogate.evaluation.evaluate import TransferResult, evaluate_transfer, pretrain
from surrogate.evaluation.explain import explain
from surrogate.evaluation.predict import predict_run
from surrogate.evaluation.runs import curve_run, explain_run, pretrain_run, transfer_run
from surrogate.evaluation.sides import Sides, load_one, load_sides

__all__ = [
    "CurveResult",
    "Sides",
    "TransferResult",
    "compare",
    "curve_run",
    "evaluate_transfer",
    "explain",
    "explain_run",
    "learning_curve",
    "load_one",
    "load_sides",
    "predict_run",
    "pretrain",
    "pretrain_run",
    "transfer_run",
]
