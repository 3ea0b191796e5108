"""Transfer-learning surrogates: small PyTorch MLPs from manufacturing parameters to properties.

Public API
----------
load_dataset, from_frame, TableDataset
    Tables of named inputs and targets (``gdl200``, ``gdl1000`` or any path).
read_table, TableSpec, table_dataset, TableError
    A lab's own table: read it (CSV, Excel, Parquet), name its inputs and target, filter and
    validate its rows (:mod:`surrogate.tables`).
MLP, Adapter, TransferModel
    The paper's networks (:mod:`surrogate.models`).
evaluate_transfer
    Pretrain, transfer, compare with alternatives and baselines over random splits.
"""

from surrogate.datasets import TableDataset, from_frame, load_dataset
from surrogate.tables import TableError, TableSpec, read_table, table_dataset

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
        from surrogate.evaluate import evaluate_transfer

        return evaluate_transfer
    if name in ("MLP", "Adapter", "TransferModel"):
        from surrogate import models

        return getattr(models, name)
    raise AttributeError(name)
