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
    """

    name: str
    inputs: pd.DataFrame
    targets: pd.DataFrame
    units: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return list(self.inputs.columns)

    def __len__(self) -> int:
        return len(self.inputs)

    def arrays(self, target: str) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)`` as float32 arrays for one target.

        Raises ``ValueError`` naming the rows when an input is not finite or the target is not
        a finite positive number (the MAPE loss divides by it).
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
            shown = ", ".join(f"{i} ({reason})" for i, reason in bad[:5])
            more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            raise ValueError(
                f"dataset {self.name!r}: {len(bad)} row(s) cannot train a MAPE model on "
                f"{target!r}: {shown}{more}; pass --drop-invalid to leave them out"
            )
        return x.astype(np.float32), y.astype(np.float32)


def invalid_rows(x: np.ndarray, y: np.ndarray) -> list[tuple[int, str]]:
    """``(row, reason)`` of rows with a non-finite input, or a target that is not a finite
    positive number."""
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
    name: str, frame: pd.DataFrame, inputs, targets, units=None, provenance=None
) -> TableDataset:
    """A dataset from a DataFrame, naming its input and target columns."""
    missing = [c for c in [*inputs, *targets] if c not in frame.columns]
    if missing:
        raise ValueError(f"dataset {name!r} lacks the columns {', '.join(missing)}")
    return TableDataset(
        name,
        frame[list(inputs)].reset_index(drop=True),
        frame[list(targets)].reset_index(drop=True),
        dict(units or {}),
        dict(provenance or {}),
    )
