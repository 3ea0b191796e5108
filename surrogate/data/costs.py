"""What each row of a dataset cost to make: the per-sample seconds a sweep records, summed for
the target a row was made for (its generation plus the property that measures the target).

A sweep records CPU seconds per row (``generate_cpu_s``, ``<property>_cpu_s``: the worker
process's CPU time, all threads); datasets made before that record only wall seconds
(``generate_s``, ``tortuosity_euclidean_s``..., ``total_s``), which are used then and said so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RowCosts:
    """Seconds per row of a dataset for one target.

    Attributes
    ----------
    seconds : numpy.ndarray or None
        One value per row (None when the table records no times).
    kind : str
        ``"CPU"``, ``"wall"`` (no CPU columns: wall times instead) or ``""`` (none).
    columns : list of str
        The columns summed.
    """

    seconds: np.ndarray | None
    kind: str
    columns: list

    def total(self, rows=None) -> float | None:
        """Seconds of the ``rows`` (all by default), or None when not recorded."""
        if self.seconds is None:
            return None
        return float(np.sum(self.seconds if rows is None else self.seconds[rows]))


def _property_of(column: str):
    from generator.sweep.properties import PROPERTIES

    for prop in PROPERTIES.values():
        if column in prop.columns:
            return prop
    return None


def row_costs(data, target: str) -> RowCosts:
    """The seconds each row of ``data`` cost for ``target``.

    CPU seconds ``generate_cpu_s + <property>_cpu_s`` when the table has them, else wall
    seconds ``generate_s`` plus the property's wall timings, else ``total_s``; none for a
    table without times (a table of one's own).

    Parameters
    ----------
    data : TableDataset
    target : str
        A target name (``tortuosity``, ``tau_diffusive``...) or the table's column.

    Returns
    -------
    RowCosts

    Examples
    --------
    >>> import pandas as pd
    >>> from surrogate.data.costs import row_costs
    >>> from surrogate.data.frame import from_frame
    >>> frame = pd.DataFrame({"x": [1.0, 2.0], "tau_diffusive": [2.0, 3.0],
    ...     "generate_cpu_s": [10.0, 20.0], "diffusive_cpu_s": [100.0, 50.0]})
    >>> costs = row_costs(from_frame("d", frame, ["x"], ["tau_diffusive"],
    ...     rows=["generate_cpu_s", "diffusive_cpu_s"]), "tau_diffusive")
    >>> costs.seconds.tolist(), costs.kind, costs.total()
    ([110.0, 70.0], 'CPU', 180.0)
    """
    from surrogate.data.registry import GDL_TARGETS

    rows = data.rows
    if rows is None:
        return RowCosts(None, "", [])
    prop = _property_of(GDL_TARGETS.get(target, target))
    wanted = []
    if prop is not None:
        cpu = f"{prop.name}_cpu_s"
        wall = [c for c in prop.timings if not c.endswith("_cpu_s")]
        wanted = [("CPU", ["generate_cpu_s", cpu]), ("wall", ["generate_s", *wall])]
    wanted.append(("wall", ["total_s"]))
    for kind, columns in wanted:
        if all(c in rows.columns for c in columns):
            seconds = rows[columns].to_numpy(np.float64).sum(axis=1)
            if np.isfinite(seconds).all():
                return RowCosts(seconds, kind, columns)
    return RowCosts(None, "", [])
