"""Transfer-learning surrogates: small PyTorch MLPs from manufacturing parameters to properties.

Subpackages, bottom up (each imports only those before it): :mod:`surrogate.data` (tables),
:mod:`surrogate.nets` (networks and training), :mod:`surrogate.estimators` (every method behind
``fit``/``predict``), :mod:`surrogate.evaluation` (splits, verdicts, curves, SHAP, reports),
:mod:`surrogate.active` (the active loop and its replay) and :mod:`surrogate.cli`.

Public API
----------
load_dataset, from_frame, TableDataset
    Tables of named inputs and targets (``gdl200``, ``gdl1000`` or any path).
read_table, TableSpec, table_dataset, TableError
    A lab's own table: read it (CSV, Excel, Parquet), name its inputs and target, filter and
    validate its rows (:mod:`surrogate.data.tables`).
MLP, Adapter, TransferModel
    The paper's networks (:mod:`surrogate.nets.models`).
evaluate_transfer
    Pretrain, transfer, compare with alternatives and baselines over random splits.
"""

from surrogate.data.frame import TableDataset, from_frame
from surrogate.data.registry import load_dataset
from surrogate.data.tables import TableError, TableSpec, read_table, table_dataset

__all__ = [
    "TableDataset",
    "TableError",
    "TableSpec",
    "evaluate_transfer",
    "from_frame",
    "load_dataset",
    "read_table",
    "table_dataset",
]


def __getattr__(name):
    # torch loads only when a model is asked for, so `surrogate --help` stays instant.
    if name == "evaluate_transfer":
        from surrogate.evaluation.evaluate import evaluate_transfer

        return evaluate_transfer
    if name in ("MLP", "Adapter", "TransferModel"):
        from surrogate.nets import models

        return getattr(models, name)
    raise AttributeError(name)
