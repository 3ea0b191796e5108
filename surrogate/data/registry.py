"""Tabular datasets for the surrogates: named inputs and targets with units, plus provenance.

Names resolve through a small registry: ``gdl200`` and ``gdl1000`` are the generator's sweep
datasets (``data/gdl200.h5``, ``data/gdl1000.h5``, read with :func:`generator.open_dataset`),
``gdl200_4um`` and ``gdl200_2um`` the ``gdl200`` designs at coarser voxels; any path to such a
file works too. The same :class:`TableDataset` serves other tables (for
example lithium-ion electrode tables) through :func:`from_frame`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generator.sweep.dataset import TAU_COLUMNS
from generator.sweep.design import PARAMETERS
from surrogate._shared import GDL_DATASETS, GDL_TARGET_NAMES
from surrogate.data.frame import TableDataset, from_frame, invalid_rows

GDL_INPUTS = PARAMETERS
# The target names the command line offers (surrogate._shared), in the order of the metrics.
GDL_TARGETS = dict(
    zip(
        GDL_TARGET_NAMES,
        (
            TAU_COLUMNS["euclidean"],
            TAU_COLUMNS["lattice"],
            "tau_diffusive",
            "effective_diffusivity",
        ),
        strict=True,
    )
)
# Per-row columns kept beside the inputs and targets (``TableDataset.rows``): the id that
# pairs the rows of a fidelity ladder, and what each row cost.
GDL_ROW_COLUMNS = ("id", "generate_cpu_s", "generate_s", "total_s")
# Named GDL datasets: the reference datasets shipped with the source tree. A dataset of one's
# own is given by its path (a name never silently means a file in the working directory).
REGISTRY = GDL_DATASETS


def registry_path(name: str) -> Path:
    """The shipped reference dataset called ``name``.

    Parameters
    ----------
    name : str
        ``gdl200``, ``gdl1000``, ``gdl200_4um`` or ``gdl200_2um``.

    Returns
    -------
    Path
        ``data/<name>.h5`` beside the source tree (whether or not it exists).

    Examples
    --------
    >>> from surrogate.data.registry import registry_path
    >>> registry_path("gdl200").name, registry_path("gdl200").parent.name
    ('gdl200.h5', 'data')
    """
    from generator.sweep.dataset import SHIPPED_DATA

    return SHIPPED_DATA / f"{name}.h5"


def is_registry_name(text: str) -> bool:
    """Whether ``text`` names a shipped dataset (GDL or electrode preset) rather than a file.

    Parameters
    ----------
    text : str

    Returns
    -------
    bool

    Examples
    --------
    >>> from surrogate.data.registry import is_registry_name
    >>> is_registry_name("gdl200"), is_registry_name("sigra"), is_registry_name("my.csv")
    (True, True, False)
    """
    from surrogate.data.electrodes import NAMES

    return text in REGISTRY or text in NAMES


def load_dataset(
    name_or_path, *, spec=None, table=None, columns=None, drop_invalid=False
) -> TableDataset:
    """Resolve a dataset name or a path.

    ``gdl200``, ``gdl1000``, ``gdl200_4um``, ``gdl200_2um`` or a path to a sweep dataset file
    (``.h5``): only samples with status ``ok``; inputs the five design parameters, targets
    ``tortuosity`` (euclidean metric) and ``tortuosity_lattice`` (and the diffusive columns
    where measured) -- or, with a ``spec``, any of its table's columns.
    ``graphite``, ``sigra``, ``nmc``: that chemistry's rows of an electrode table (``table``,
    default the shipped synthetic one), with a column mapping file ``columns``; targets
    ``density`` and ``mass_loading``.
    Any other path (CSV, Excel, Parquet): a lab's own table, read by
    :func:`surrogate.data.tables.read_table`; ``spec`` (a :class:`surrogate.data.tables.TableSpec`
    or
    its dict) names the inputs, the target and optionally units, bounds, renames and a row
    filter. ``drop_invalid`` leaves out the rows that fail validation (listed in the
    provenance's ``dropped_rows``) instead of failing.

    Parameters
    ----------
    name_or_path : str or Path
        ``gdl200``, ``gdl1000``, ``graphite``, ``sigra``, ``nmc``, or a path (``.h5`` sweep
        dataset, or a CSV, Excel or Parquet table).
    spec : TableSpec or dict, optional
        Inputs, target and checks; needed for a table of one's own, refused for an electrode
        preset.
    table : str or Path, optional
        For an electrode preset: the electrode table (default the shipped synthetic one).
    columns : str, Path or dict, optional
        For an electrode preset: ``{their column: canonical column}`` or a YAML/JSON file of it.
    drop_invalid : bool

    Returns
    -------
    TableDataset
        Its provenance records how it was asked for (``reference``), never an absolute path.

    Raises
    ------
    ValueError
        An unknown name, a table without a spec, or rows that fail validation.
    FileNotFoundError
        No file at the path (or a shipped dataset missing).

    Examples
    --------
    The shipped ``gdl200`` dataset: the paper's 240 samples, the five manufacturing parameters
    as inputs and, as targets, the tortuosity by both path metrics and the diffusive factor and
    effective diffusivity.

    >>> from surrogate.data import load_dataset
    >>> data = load_dataset("gdl200")
    >>> len(data), data.feature_names
    (240, ['fiber_diameter_um', 'fiber_fraction', 'binder_fraction', 'thickness_um',
     'compression'])
    >>> list(data.targets.columns), data.units["thickness_um"]
    (['tortuosity', 'tortuosity_lattice', 'tau_diffusive', 'effective_diffusivity'], 'um')
    """
    from surrogate.data.electrodes import NAMES, electrode_dataset
    from surrogate.data.tables import TableSpec, read_table, table_dataset

    text = str(name_or_path)
    if isinstance(spec, dict):
        spec = TableSpec.from_dict(spec)
    reference = {
        "dataset": text,
        "spec": spec.to_dict() if spec is not None else None,
        "table": str(table) if table else None,
        "columns": str(columns) if columns else None,
        "drop_invalid": bool(drop_invalid),
    }
    if text in NAMES:
        if spec is not None:
            raise ValueError(
                f"{text!r} is the paper's electrode preset (fixed columns); to choose inputs "
                "or a target, give the table's path instead of the preset name"
            )
        data = electrode_dataset(text, table=table, columns=columns, drop_invalid=drop_invalid)
        data.provenance["reference"] = reference
        return data
    path = registry_path(text) if text in REGISTRY else Path(text)
    if text not in REGISTRY and not path.suffix:
        names = ", ".join([*REGISTRY, *NAMES])
        raise ValueError(f"unknown dataset {text!r}: a name ({names}) or a path to a table")
    if not path.is_file():
        hint = " (make it with python -m generator sweep)" if text in REGISTRY else ""
        raise FileNotFoundError(f"dataset {text!r}: no file at {path}{hint}")
    if path.suffix.lower() not in (".h5", ".hdf5"):
        if spec is None:
            frame, _ = read_table(path)
            raise ValueError(
                f"{text} is a table: name its inputs and its target (inputs= and target=, or "
                f"spec=); its columns are {', '.join(map(str, frame.columns))}"
            )
        # A filtered table is named by its filter too: graphite rows and NMC rows of one file
        # are two datasets.
        name = f"{path.stem} where {spec.where}" if spec.where else path.stem
        data = table_dataset(path, spec, name=name, drop_invalid=drop_invalid)
        data.provenance["file"] = text
        data.provenance["reference"] = reference
        return data
    data = _gdl_dataset(text, path, spec, drop_invalid)
    data.provenance["reference"] = reference
    return data


def _gdl_dataset(text: str, path: Path, spec, drop_invalid: bool) -> TableDataset:
    from generator import open_dataset
    from generator.sweep.dataset import UNITS
    from surrogate.data.tables import table_dataset

    data = open_dataset(path)
    # Targets the sweep measured: the diffusive ones only with --properties ...,diffusive.
    targets = [t for t, column in GDL_TARGETS.items() if column in data.table.columns]
    table = data.table[data.table["status"] == "ok"].rename(
        columns={column: target for target, column in GDL_TARGETS.items() if target in targets}
    )
    name = text if text in REGISTRY else path.stem
    if spec is not None and spec.where:
        name = f"{name} where {spec.where}"
    # A registry name, or the path as given: never an absolute install path.
    provenance = {**data.provenance, "file": text}
    if spec is not None:
        # Any columns of the sweep's table (porosity as an input, say), validated as a table.
        result = table_dataset(
            table.reset_index(drop=True), spec, name=name, drop_invalid=drop_invalid
        )
        result.provenance = {**provenance, **result.provenance, "file": text}
        return result
    dropped = []
    if drop_invalid:
        # A non-percolating sample (tau = inf) is valid data, but no MAPE target.
        x = table[list(GDL_INPUTS)].to_numpy(np.float64)
        keep = np.ones(len(table), dtype=bool)
        for target in targets:
            for row, reason in invalid_rows(x, table[target].to_numpy(np.float64)):
                keep[row] = False
                dropped.append(f"sample {table['index'].iloc[row]}: {target} {reason}")
        table = table[keep]
    units = {c: data.units.get(c, "") for c in GDL_INPUTS} | {t: "1" for t in targets}
    timings = [c for c in table.columns if c.endswith("_cpu_s") or c in UNITS and c.endswith("_s")]
    kept = [c for c in (*GDL_ROW_COLUMNS, *timings) if c in table.columns]
    return from_frame(
        name,
        table,
        GDL_INPUTS,
        targets,
        units,
        # A sweep's rows are its samples: messages name them by their index.
        {**provenance, "dropped_rows": dropped,
         "row_names": [f"sample {i}" for i in table["index"]]},
        rows=list(dict.fromkeys(kept)),
    )  # fmt: skip
