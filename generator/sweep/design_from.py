"""A sweep's design taken from an existing dataset: the same rows at another voxel size.

``gdl-generator sweep --design-from gdl200.h5 --voxel-um 4`` recomputes every row of
``gdl200.h5`` (same index, id, seed and parameters, so the same fibres) at 4 um: a cheaper
fidelity paired row for row with the source, joined on ``id``. The domain, design, ranges,
pairing and fibre sampling are the source's; the voxel size, the properties, the volumes and
the output are this sweep's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from generator.sweep.design import PARAMETERS

# Keys of the source's plan identity that a sweep from its design takes over.
INHERITED = ("domain", "design", "design_seed", "pairing", "stratify", "ranges")


@dataclass(frozen=True)
class DesignSource:
    """The design rows of a source dataset and what identifies them.

    Attributes
    ----------
    path : Path
        Where it was read (not part of any identity: the file may move).
    plan : dict
        The source's plan identity.
    rows : tuple of dict
        ``index``, ``id``, ``seed`` and the five parameters of every row, in design order.
    digest : str
        SHA-256 of the rows (16 hex digits): two sources with equal digests give equal tasks.
    """

    path: Path
    plan: dict
    rows: tuple
    digest: str

    def identity(self) -> dict:
        """What a plan built on this source records of it."""
        return {"plan": self.plan, "rows": len(self.rows), "digest": self.digest}


def read_design_source(path) -> DesignSource:
    """Read the design of a dataset written by a sweep.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    DesignSource

    Raises
    ------
    ValueError
        Not a dataset of this project, a dataset that records no plan, or one without rows
        (naming the file).
    FileNotFoundError
        No file at ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from generator.sweep.design_from import read_design_source
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     other = pathlib.Path(folder) / "other.h5"
    ...     _ = other.write_bytes(b"not hdf5")
    ...     read_design_source(other)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: design_from=...other.h5...
    """
    from generator.sweep.dataset import open_dataset

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"design_from={str(path)!r}: no such dataset")
    try:
        data = open_dataset(path)
    except (OSError, ValueError) as err:
        raise ValueError(f"design_from={str(path)!r}: {err}") from err
    plan = data.provenance.get("plan")
    if not plan or any(key not in plan for key in INHERITED):
        raise ValueError(
            f"design_from={str(path)!r} records no sweep plan (made by an older version or not "
            "by a sweep): its design cannot be reproduced"
        )
    missing = [c for c in ("index", "id", "seed", *PARAMETERS) if c not in data.table]
    if missing or not len(data.table):
        raise ValueError(f"design_from={str(path)!r} has no design rows (lacks {missing})")
    rows = tuple(
        {
            "index": int(row["index"]),
            "id": str(row["id"]),
            "seed": int(row["seed"]),
            **{name: float(row[name]) for name in PARAMETERS},
        }
        for row in data.table.to_dict("records")
    )
    text = json.dumps(rows, sort_keys=True).encode()
    return DesignSource(path, plan, rows, hashlib.sha256(text).hexdigest()[:16])
