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

import importlib

# Public name -> the module that defines it; nothing loads until a name is used, so
# `surrogate --help` starts without pandas or torch.
_EXPORTS = {
    "TableDataset": "surrogate.data.frame",
    "from_frame": "surrogate.data.frame",
    "load_dataset": "surrogate.data.registry",
    "TableError": "surrogate.data.tables",
    "TableSpec": "surrogate.data.tables",
    "read_table": "surrogate.data.tables",
    "table_dataset": "surrogate.data.tables",
    "evaluate_transfer": "surrogate.evaluation.evaluate",
    "MLP": "surrogate.nets.models",
    "Adapter": "surrogate.nets.models",
    "TransferModel": "surrogate.nets.models",
}

__all__ = [
    "Adapter",
    "MLP",
    "TableDataset",
    "TableError",
    "TableSpec",
    "TransferModel",
    "evaluate_transfer",
    "from_frame",
    "load_dataset",
    "read_table",
    "table_dataset",
]


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'surrogate' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(_EXPORTS)
