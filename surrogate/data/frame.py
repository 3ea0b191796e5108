"""The table every surrogate trains on: named inputs and targets with units, plus provenance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class TableDataset:
    """Inputs and targets of one dataset.

    Attributes
    ----------
    name : str
    inputs : pandas.DataFrame
        One column per input feature.
    targets : pandas.DataFrame
        One column per target.
    units : dict
        Unit of every input and target column.
    provenance : dict
    rows : pandas.DataFrame or None
        Per-row columns that are neither inputs nor targets, aligned with them (a sweep's
        ``id``, which pairs the rows of a fidelity ladder, and its per-sample times); None for
        a table that has none.

    Examples
    --------
    Build one with :func:`from_frame` (or :func:`surrogate.data.registry.load_dataset`):

    >>> import pandas as pd
    >>> from surrogate.data import from_frame
    >>> frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 0.25, 0.0], "y": [2.0, 4.0, 6.0]})
    >>> data = from_frame("toy", frame, inputs=["a", "b"], targets=["y"], units={"y": "g"})
    >>> data.feature_names, len(data)
    (['a', 'b'], 3)
    >>> x, y = data.arrays("y")
    >>> x.shape, x.dtype, y.tolist()
    ((3, 2), dtype('float32'), [2.0, 4.0, 6.0])

    A target that is zero or missing cannot train under the MAPE loss, and says which rows:

    >>> bad = from_frame("toy", frame.assign(y=[2.0, 0.0, None]), ["a", "b"], ["y"])
    >>> bad.arrays("y")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: dataset 'toy': 2 row(s) cannot train a MAPE model on 'y': row 2 (target 0 is
    not positive), row 3 (target nan); ...
    """

    name: str
    inputs: pd.DataFrame
    targets: pd.DataFrame
    units: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    rows: pd.DataFrame | None = None

    @property
    def feature_names(self) -> list[str]:
        """The input columns' names, in order."""
        return list(self.inputs.columns)

    def __len__(self) -> int:
        return len(self.inputs)

    def arrays(self, target: str) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)`` as float32 arrays for one target.

        Parameters
        ----------
        target : str
            A column of :attr:`targets`.

        Returns
        -------
        X : ndarray of float32, shape (n, n_inputs)
        y : ndarray of float32, shape (n,)

        Raises
        ------
        ValueError
            An unknown target, or naming the rows (as ``provenance["row_names"]`` names them,
            else counted from 1) when an input is not finite or the target is not a finite
            positive number (the MAPE loss divides by it).
        """
        if target not in self.targets.columns:
            raise ValueError(
                f"dataset {self.name!r} has no target {target!r}; it has "
                f"{', '.join(self.targets.columns)}"
            )
        x = self.inputs.to_numpy(np.float64)
        y = self.targets[target].to_numpy(np.float64)
        bad = invalid_rows(x, y)
        if len(bad):
            # Rows as the table names them: its own names (a sweep's "sample 7"), else from 1.
            names = self.provenance.get("row_names") or []
            shown = ", ".join(
                f"{names[i] if i < len(names) else f'row {i + 1}'} ({reason})"
                for i, reason in bad[:5]
            )
            more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            raise ValueError(
                f"dataset {self.name!r}: {len(bad)} row(s) cannot train a MAPE model on "
                f"{target!r}: {shown}{more}; pass drop_invalid=True to leave them out"
            )
        return x.astype(np.float32), y.astype(np.float32)


def invalid_rows(x: np.ndarray, y: np.ndarray) -> list[tuple[int, str]]:
    """``(row, reason)`` of rows with a non-finite input, or a target that is not a finite
    positive number.

    Parameters
    ----------
    x : ndarray, shape (n, n_inputs)
    y : ndarray, shape (n,)

    Returns
    -------
    list of (int, str)
        0-based row positions and why each cannot train under the MAPE loss.

    Examples
    --------
    >>> import numpy as np
    >>> from surrogate.data.frame import invalid_rows
    >>> invalid_rows(np.array([[1.0], [np.nan], [2.0]]), np.array([1.0, 1.0, 0.0]))
    [(1, 'input not finite'), (2, 'target 0 is not positive')]
    """
    bad = []
    for i in np.flatnonzero(~np.isfinite(x).all(axis=1) | ~np.isfinite(y) | ~(y > 0)):
        if not np.isfinite(x[i]).all():
            reason = "input not finite"
        elif not np.isfinite(y[i]):
            reason = f"target {y[i]}"
        else:
            reason = f"target {y[i]:g} is not positive"
        bad.append((int(i), reason))
    return bad


def from_frame(
    name: str, frame: pd.DataFrame, inputs, targets, units=None, provenance=None, *, rows=None
) -> TableDataset:
    """A dataset from a DataFrame, naming its input and target columns.

    Parameters
    ----------
    name : str
    frame : pandas.DataFrame
        Other columns are left out.
    inputs, targets : sequence of str
        Column names.
    units : dict, optional
    provenance : dict, optional
    rows : sequence of str, optional
        Further columns kept as :attr:`TableDataset.rows` (ids, per-row times).

    Returns
    -------
    TableDataset
        Rows renumbered from 0.

    Raises
    ------
    ValueError
        Naming the columns the frame lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> from surrogate.data import from_frame
    >>> frame = pd.DataFrame({"a": [1.0, 2.0], "note": ["x", "y"], "y": [2.0, 4.0]})
    >>> list(from_frame("toy", frame, ["a"], ["y"]).inputs.columns)
    ['a']
    >>> from_frame("toy", frame, ["a", "c"], ["y"])
    Traceback (most recent call last):
    ...
    ValueError: dataset 'toy' lacks the columns c
    """
    missing = [c for c in [*inputs, *targets, *(rows or [])] if c not in frame.columns]
    if missing:
        raise ValueError(f"dataset {name!r} lacks the columns {', '.join(missing)}")
    return TableDataset(
        name,
        frame[list(inputs)].reset_index(drop=True),
        frame[list(targets)].reset_index(drop=True),
        dict(units or {}),
        dict(provenance or {}),
        frame[list(rows)].reset_index(drop=True) if rows else None,
    )
