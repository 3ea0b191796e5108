"""Sweep datasets: consolidate per-sample files into one HDF5 file, and read it back.

Schema (``schema_version`` 1, documented in ``data/README.md``): attributes ``format`` =
"gdl-dataset", ``schema_version``, ``provenance`` (JSON) and ``units`` (JSON, one unit per
column); group ``table`` with one dataset per column; group ``volumes`` with an HDF5 external
link per sample (``volumes/<id>`` -> ``<samples folder>/<id>.h5:/volume``) when volumes are kept.

Examples
--------
>>> from generator.sweep import SHIPPED_DATA, TAU_COLUMNS, UNITS
>>> TAU_COLUMNS, UNITS["tau_euclidean"], UNITS["peak_rss_gib"], SHIPPED_DATA.name
({'euclidean': 'tau_euclidean', 'lattice': 'tau_lattice'}, '1', 'GiB', 'data')
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from generator.sweep.properties import PROPERTIES
from generator.tortuosity.inputs import METRICS

FORMAT = "gdl-dataset"
# The reference datasets shipped beside the source tree (read by any run, rewritten by none
# without an explicit --out and --force).
SHIPPED_DATA = Path(__file__).resolve().parents[2] / "data"
SCHEMA_VERSION = 1
# Table column of each path metric's tortuosity.
TAU_COLUMNS = {metric: f"tau_{metric}" for metric in METRICS}

# Columns every sample row has, whatever the properties: what it is and how it was made.
SAMPLE_UNITS = {
    "index": "1",
    "id": "",
    "seed": "1",
    "status": "",
    "error": "",
    "fiber_diameter_um": "um",
    "fiber_fraction": "1",
    "binder_fraction": "1",
    "thickness_um": "um",
    "compression": "1",
    "pore_fraction_before": "1",
    "fibre_fraction_before": "1",
    "binder_fraction_before": "1",
    "pore_fraction_after": "1",
    "fibre_fraction_after": "1",
    "binder_fraction_after": "1",
    "thickness_voxels": "voxels",
    "n_fibres": "1",
}
RUN_UNITS = {"compile_s": "s", "generate_s": "s", "generate_cpu_s": "s"}
RUN_END_UNITS = {"total_s": "s", "peak_rss_gib": "GiB", "host": "", "pid": ""}
# Every column a row may have, in table order: the sample, each property's values
# (generator.sweep.properties), then the run's timings and where it ran.
UNITS = {
    **SAMPLE_UNITS,
    **{column: unit for p in PROPERTIES.values() for column, unit in p.columns.items()},
    **RUN_UNITS,
    **{column: "s" for p in PROPERTIES.values() for column in p.timings},
    **RUN_END_UNITS,
}
# Columns every finished row has, whichever properties it holds.
BASE_COLUMNS = (*SAMPLE_UNITS, *RUN_UNITS, *RUN_END_UNITS)
# Columns that describe the run (where, how long), not the sample: they may differ between
# otherwise identical sweeps.
RUN_COLUMNS = (
    *RUN_UNITS,
    *(column for p in PROPERTIES.values() for column in p.timings),
    *RUN_END_UNITS,
)


def rows_to_table(rows: list[dict]) -> pd.DataFrame:
    """Rows (dicts) to a table ordered by design index, with the schema's columns first.

    Parameters
    ----------
    rows : list of dict
        One per sample, each with an ``index``.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`UNITS` in its order, then any others (but ``traceback``).

    Examples
    --------
    >>> from generator.sweep.dataset import rows_to_table
    >>> rows = [{"note": "b", "tau_euclidean": 1.3, "index": 1, "id": "b"},
    ...         {"note": "a", "tau_euclidean": 1.2, "index": 0, "id": "a"}]
    >>> table = rows_to_table(rows)
    >>> list(table.columns), table["id"].tolist()
    (['index', 'id', 'tau_euclidean', 'note'], ['a', 'b'])
    """
    table = pd.DataFrame(rows)
    ordered = [c for c in UNITS if c in table.columns]
    extra = [c for c in table.columns if c not in UNITS and c != "traceback"]
    return table[ordered + extra].sort_values("index").reset_index(drop=True)


def write_dataset(path, rows: list[dict], provenance: dict, samples_folder=None) -> Path:
    """Write the consolidated dataset file atomically (temporary name, then rename).

    Parameters
    ----------
    path : str or Path
    rows : list of dict
        One table row per sample, in any order: at least ``index`` (and ``id`` and
        ``status`` when ``samples_folder`` is given).
    provenance : dict
        Stored as JSON.
    samples_folder : str or Path, optional
        Folder of the sample files: each ``ok`` sample's volume is then linked from
        ``volumes/<id>``.

    Returns
    -------
    Path

    See Also
    --------
    open_dataset : reads it back (with an example that writes one).
    """
    import h5py

    from generator._shared.targets import atomic_file

    path = Path(path)
    table = rows_to_table(rows)
    with atomic_file(path) as temporary:
        with h5py.File(temporary, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["provenance"] = json.dumps(provenance)
            f.attrs["units"] = json.dumps({c: UNITS.get(c, "") for c in table.columns})
            group = f.create_group("table")
            for column in table.columns:
                values = table[column].to_numpy()
                if values.dtype == object or pd.api.types.is_string_dtype(table[column]):
                    data = np.array([str(v) for v in values], dtype=h5py.string_dtype())
                else:
                    data = values
                group.create_dataset(column, data=data)
            if samples_folder is not None:
                volumes = f.create_group("volumes")
                relative = os.path.relpath(samples_folder, path.parent)
                for sample_id, status in zip(table["id"], table["status"], strict=True):
                    if status == "ok":
                        volumes[sample_id] = h5py.ExternalLink(
                            f"{relative}/{sample_id}.h5", "/volume"
                        )
    return path


class SweepDataset:
    """A consolidated sweep dataset: ``.table`` (pandas) and volumes on demand.

    Use :func:`open_dataset`.

    Attributes
    ----------
    path : Path
    table : pandas.DataFrame
        One row per sample, ordered by design index.
    provenance : dict
    units : dict
        Unit of every column (``"1"`` dimensionless, ``""`` text).

    Examples
    --------
    A volume is read only when asked for, through the dataset's link to its sample file:

    >>> import pathlib, tempfile
    >>> import h5py
    >>> import numpy as np
    >>> from generator import open_dataset
    >>> from generator.sweep.dataset import write_dataset
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     samples = pathlib.Path(folder) / "d_samples"
    ...     samples.mkdir()
    ...     with h5py.File(samples / "a.h5", "w") as f:
    ...         f["volume"] = np.ones((2, 2, 2), dtype=np.uint8)
    ...     rows = [{"index": 0, "id": "a", "status": "ok"}]
    ...     data = open_dataset(write_dataset(samples.with_name("d.h5"), rows, {}, samples))
    ...     volume = data.volume(0)  # by table position, or data.volume("a") by id
    >>> volume.shape, int(volume.sum())
    ((2, 2, 2), 8)
    """

    def __init__(self, path: Path, table: pd.DataFrame, provenance: dict, units: dict):
        self.path = path
        self.table = table
        self.provenance = provenance
        self.units = units

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return f"SweepDataset({str(self.path)!r}, {len(self)} samples)"

    def volume(self, sample) -> np.ndarray:
        """The label volume of a sample, by table position (int) or id (str).

        Parameters
        ----------
        sample : int or str
            Position in :attr:`table` (not the design index), or the sample's id.

        Returns
        -------
        ndarray of uint8, shape (nz, ny, nx)

        Raises
        ------
        KeyError
            The dataset stores no volume for that sample.
        """
        import h5py

        sample_id = (
            self.table["id"].iloc[sample] if isinstance(sample, (int, np.integer)) else sample
        )
        with h5py.File(self.path, "r") as f:
            if "volumes" not in f or sample_id not in f["volumes"]:
                raise KeyError(
                    f"no volume stored for sample {sample_id!r} (swept with keep_volumes=False?)"
                )
            return f["volumes"][sample_id][()]

    def volumes(self):
        """Iterate over (row, volume) for every sample with a stored volume."""
        for position in range(len(self.table)):
            if self.table["status"].iloc[position] == "ok":
                yield self.table.iloc[position], self.volume(position)


def open_dataset(path) -> SweepDataset:
    """Open a dataset written by ``python -m generator sweep``.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    SweepDataset

    Examples
    --------
    A dataset of two rows, written in a temporary folder and read back in design order:

    >>> import pathlib, tempfile
    >>> from generator import open_dataset
    >>> from generator.sweep.dataset import write_dataset
    >>> rows = [{"index": 1, "id": "b", "status": "ok", "tau_euclidean": 1.3},
    ...         {"index": 0, "id": "a", "status": "ok", "tau_euclidean": 1.2}]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = open_dataset(write_dataset(pathlib.Path(folder) / "d.h5", rows, {}))
    >>> len(data), data.table["tau_euclidean"].tolist(), data.units["tau_euclidean"]
    (2, [1.2, 1.3], '1')
    """
    from generator._shared.hdf5 import open_checked

    path = Path(path)
    with open_checked(path, FORMAT, "sweep dataset") as f:
        version = int(f.attrs["schema_version"])
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"{path} has schema version {version}; this reader knows up to "
                f"{SCHEMA_VERSION}: upgrade the package"
            )
        columns = {}
        for name, dataset in f["table"].items():
            values = dataset[()]
            if values.dtype.kind in "OS":
                values = np.array(
                    [v.decode() if isinstance(v, bytes) else v for v in values], dtype=object
                )
            columns[name] = values
        order = json.loads(f.attrs["units"])
        table = pd.DataFrame({c: columns[c] for c in order if c in columns})
        return SweepDataset(path, table, json.loads(f.attrs["provenance"]), order)
