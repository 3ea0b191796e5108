"""Data: the tables the surrogates learn from.

:mod:`~surrogate.data.frame` (:class:`TableDataset`, the one form every method trains on),
:mod:`~surrogate.data.tables` (a lab's own table: read CSV, Excel or Parquet, name its inputs
and target, filter and validate its rows), :mod:`~surrogate.data.electrodes` (the electrode
tables' preset on the same path), :mod:`~surrogate.data.registry` (names such as ``gdl200``
resolved to the shipped datasets, or any path) and :mod:`~surrogate.data.costs` (what each row
of a sweep cost: its recorded CPU, else wall, seconds).

Public API
----------
load_dataset, TableDataset, from_frame
    A dataset by name or path; the table form; a table from a DataFrame.
read_table, TableSpec, table_dataset, TableError
    A lab's own table.
electrode_dataset
    One chemistry of an electrode table.
row_costs, RowCosts
    The seconds each row of a sweep dataset cost for a target.
"""

from surrogate.data.costs import RowCosts, row_costs
from surrogate.data.electrodes import electrode_dataset
from surrogate.data.frame import TableDataset, from_frame
from surrogate.data.registry import GDL_TARGETS, load_dataset
from surrogate.data.tables import TableError, TableSpec, read_table, table_dataset

__all__ = [
    "GDL_TARGETS",
    "RowCosts",
    "TableDataset",
    "TableError",
    "TableSpec",
    "electrode_dataset",
    "from_frame",
    "load_dataset",
    "read_table",
    "row_costs",
    "table_dataset",
]
