"""Lithium-ion electrode tables: the paper's schema as a preset of :mod:`surrogate.data.tables`.

One row per electrode: its chemistry, six process inputs and two measured targets. The
canonical columns and units are below (and in ``data/README.md``); other names are mapped with a
small YAML or JSON file ``{their column: canonical column}``. The dataset names ``graphite``,
``sigra`` and ``nmc`` resolve to :func:`electrode_spec`: the canonical inputs and bounds, a
target (``density`` or ``mass_loading``) and the row filter of one chemistry. Tables are read by
:func:`surrogate.data.tables.read_table` and validated by
:func:`surrogate.data.tables.validate_table`
(every problem at once, with its row and column); the chemistry column (known chemistries and
their aliases) is checked here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from generator.sweep.dataset import SHIPPED_DATA
from surrogate._shared import ELECTRODE_PRESETS, ELECTRODE_TARGETS
from surrogate.data.tables import (
    SYNTHETIC_NOTE,
    Problem,
    TableError,
    TableSpec,
    ValidatedTable,
    apply_where,
    find_problems,
    read_table,
    validate_table,
)

__all__ = [
    "ALIASES",
    "CHEMISTRIES",
    "DEFAULT_TABLE",
    "INPUTS",
    "NAMES",
    "TARGETS",
    "TARGET_NAMES",
    "TableError",
    "electrode_dataset",
    "electrode_spec",
    "load_electrode_table",
    "read_mapping",
    "read_table",
    "validate",
]

CHEMISTRIES = {"graphite": "graphite", "si-graphite": "si-graphite", "nmc": "nmc"}
ALIASES = {
    "graphite": "graphite",
    "gr": "graphite",
    "si-graphite": "si-graphite",
    "si-gra": "si-graphite",
    "sigra": "si-graphite",
    "si_graphite": "si-graphite",
    "si/graphite": "si-graphite",
    "nmc": "nmc",
    "nmc111": "nmc",
}
# Dataset names the surrogate registry resolves to a chemistry.
NAMES = ELECTRODE_PRESETS

INPUTS = {
    # column: (unit, low, high) -- physical bounds, wider than any one study
    "am_wt_percent": ("%", 0.0, 100.0),
    "solid_content_percent": ("%", 0.0, 100.0),
    "coating_speed_m_min": ("m/min", 0.0, 20.0),
    "comma_gap_um": ("um", 0.0, 2000.0),
    "roll_speed_m_min": ("m/min", 0.0, 20.0),
    "roll_gap_um": ("um", 0.0, 2000.0),
}
TARGETS = {
    "density_g_cm3": ("g/cm3", 0.1, 6.0),
    "mass_loading_mg_cm2": ("mg/cm2", 0.01, 100.0),
}
TARGET_NAMES = ELECTRODE_TARGETS
# Found from any working directory: the data folder beside the source tree.
DEFAULT_TABLE = SHIPPED_DATA / "electrodes_synthetic.csv"
# How the shipped table is named in provenance (never an install path).
SHIPPED_NAME = "data/electrodes_synthetic.csv"


def read_mapping(path) -> dict[str, str]:
    """``{their column: canonical column}`` from a YAML or JSON file.

    Parameters
    ----------
    path : str or Path
        ``.yaml``/``.yml``, or JSON.

    Returns
    -------
    dict
        Keys stripped of surrounding whitespace.

    Raises
    ------
    ValueError
        When the file is not a mapping or maps to a name that is not a canonical column.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from surrogate.data.electrodes import read_mapping
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "columns.json"
    ...     _ = path.write_text(json.dumps({" Density [g/cm3]": "density_g_cm3"}))
    ...     read_mapping(path)
    {'Density [g/cm3]': 'density_g_cm3'}
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        mapping = yaml.safe_load(text)
    else:
        mapping = json.loads(text)
    if not isinstance(mapping, dict):
        raise ValueError(f"{path}: expected a mapping {{their column: canonical column}}")
    canonical = {"chemistry", *INPUTS, *TARGETS}
    unknown = sorted(str(v) for v in mapping.values() if v not in canonical)
    if unknown:
        raise ValueError(
            f"{path}: mapping targets {unknown} are not canonical columns "
            f"({', '.join(sorted(canonical))})"
        )
    return {str(k).strip(): str(v) for k, v in mapping.items()}


def _spec(target_column: str, target: str | None = None) -> TableSpec:
    """The canonical inputs and ``target_column`` (named ``target`` after renaming)."""
    target = target or target_column
    unit, low, high = TARGETS[target_column]
    return TableSpec(
        inputs=tuple(INPUTS),
        target=target,
        units={name: spec[0] for name, spec in INPUTS.items()} | {target: unit},
        bounds={name: spec[1:] for name, spec in INPUTS.items()} | {target: (low, high)},
        # A setting one chemistry holds fixed (graphite's coating speed) is still an input of
        # the chemistry it transfers to.
        allow_constant=tuple(INPUTS),
    )


def electrode_spec(name: str, target: str = "density") -> TableSpec:
    """The table spec of one chemistry of the canonical electrode table.

    Parameters
    ----------
    name : {"graphite", "sigra", "nmc"}
    target : {"density", "mass_loading"}

    Returns
    -------
    TableSpec
        The six canonical inputs with their units and physical bounds, the target renamed from
        its canonical column (``density_g_cm3``, ``mass_loading_mg_cm2``), and the row filter
        ``chemistry == '<chemistry>'``.

    Examples
    --------
    >>> from surrogate.data.electrodes import electrode_spec
    >>> spec = electrode_spec("sigra", target="mass_loading")
    >>> spec.target, spec.where, spec.units["mass_loading"], len(spec.inputs)
    ('mass_loading', "chemistry == 'si-graphite'", 'mg/cm2', 6)
    """
    if name not in NAMES:
        raise ValueError(f"unknown electrode dataset {name!r}; expected {', '.join(NAMES)}")
    if target not in TARGET_NAMES:
        raise ValueError(f"unknown electrode target {target!r}; expected {', '.join(TARGET_NAMES)}")
    spec = _spec(TARGET_NAMES[target], target)
    return TableSpec(
        inputs=spec.inputs,
        target=spec.target,
        units=spec.units,
        bounds=spec.bounds,
        renames={column: short for short, column in TARGET_NAMES.items()},
        where=f"chemistry == '{NAMES[name]}'",
        allow_constant=spec.allow_constant,
    )


def _chemistry_problems(table: pd.DataFrame) -> list[Problem]:
    if "chemistry" not in table.columns:
        return [Problem(None, "missing column `chemistry`", "column")]
    problems = []
    for label, value in table["chemistry"].items():
        if pd.isna(value) or not str(value).strip():
            message = "missing value"
        elif value not in CHEMISTRIES:
            message = f"unknown chemistry {value!r} (expected {', '.join(CHEMISTRIES)})"
        else:
            continue
        problems.append(Problem(label, f"row {label + 1}, column `chemistry`: {message}"))
    return problems


def _validate(table: pd.DataFrame, *, source: str, drop_invalid: bool) -> ValidatedTable:
    """The whole table against the schema: chemistry, six inputs, two targets."""
    integer_rows = pd.api.types.is_integer_dtype(table.index) and table.index.is_unique
    table = table.copy() if integer_rows else table.reset_index(drop=True)
    if "chemistry" in table.columns:
        table["chemistry"] = table["chemistry"].map(
            lambda v: ALIASES.get(str(v).strip().lower(), str(v).strip()) if pd.notna(v) else v
        )
    problems = _chemistry_problems(table)
    # Rows of different chemistries with the same numbers are no duplicates.
    if "chemistry" in table.columns and len(table):
        parts = [part for _, part in table.groupby(table["chemistry"].fillna(""), sort=False)]
    else:
        parts = [table]
    specs = [_spec(column) for column in TARGETS]
    for part in parts:
        found = [find_problems(part, spec) for spec in specs]
        # A duplicate is a row the same in both targets (a row with a missing density may
        # share its inputs and mass loading with another: it is reported as missing).
        repeated = [{p for p in ps if p.kind == "duplicate"} for ps in found]
        both = set.intersection(*repeated)
        problems += [p for ps in found for p in ps if p.kind != "duplicate" or p in both]
    valid = validate_table(
        table, specs[0], source=source, drop_invalid=drop_invalid, problems=problems
    )
    frame = valid.frame
    for column in TARGETS:
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return valid


def validate(table: pd.DataFrame, *, source: str = "table", drop_invalid: bool = False):
    """Canonical, validated table; ``TableError`` listing every problem unless dropping.

    Parameters
    ----------
    table : DataFrame
        Columns already mapped to canonical names (extra columns are kept and ignored).
    source : str
        Name used in messages.
    drop_invalid : bool
        Drop the rows with problems instead of failing; a table-level problem (a missing
        column) still fails.

    Returns
    -------
    (DataFrame, list of str)
        The valid table (rows renumbered, chemistry aliases normalised, inputs and targets as
        float64) and the messages of dropped rows.

    Examples
    --------
    Three electrodes; the third has a negative density (row 3 of the table):

    >>> import pandas as pd
    >>> from surrogate.data.electrodes import validate
    >>> row = {"chemistry": "Gr", "am_wt_percent": 95, "solid_content_percent": 50,
    ...        "coating_speed_m_min": 1, "comma_gap_um": 200, "roll_speed_m_min": 1,
    ...        "roll_gap_um": 80, "density_g_cm3": 1.5, "mass_loading_mg_cm2": 10}
    >>> table = pd.DataFrame([row, {**row, "chemistry": "nmc111", "comma_gap_um": 250},
    ...                       {**row, "comma_gap_um": 300, "density_g_cm3": -1}])
    >>> valid, dropped = validate(table, drop_invalid=True)
    >>> valid["chemistry"].tolist(), dropped
    (['graphite', 'nmc'], ['row 3, column `density_g_cm3`: -1 is outside [0.1, 6] g/cm3'])
    """
    valid = _validate(table, source=source, drop_invalid=drop_invalid)
    return valid.frame.reset_index(drop=True), valid.dropped


def _read(path, columns) -> tuple[pd.DataFrame, dict, str]:
    """The table (columns mapped), its metadata, and its name for messages and provenance."""
    if path:
        frame, metadata = read_table(path)
        file = str(path)
    else:
        frame, metadata = read_table(DEFAULT_TABLE)
        file = SHIPPED_NAME
    if columns:
        mapping = read_mapping(columns) if isinstance(columns, (str, Path)) else dict(columns)
        frame = frame.rename(columns=mapping)
        repeated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
        if repeated:
            raise ValueError(
                f"{file}: after the column mapping, columns {repeated} appear more than once"
            )
    return frame, metadata, file


def load_electrode_table(path=None, *, columns=None, drop_invalid=False):
    """Read, map and validate an electrode table (the shipped synthetic one by default).

    Parameters
    ----------
    path : str or Path, optional
        CSV, Excel or Parquet file (:func:`surrogate.data.tables.read_table`); default the shipped
        ``data/electrodes_synthetic.csv``, found from any working directory.
    columns : str, Path or dict, optional
        ``{their column: canonical column}``, or a YAML/JSON file of it.
    drop_invalid : bool
        Drop the rows with problems (their messages are returned) instead of failing.

    Returns
    -------
    (DataFrame, list of str, dict)
        Valid table, messages of dropped rows, and the file's metadata with ``file`` (as given)
        and ``synthetic`` (True only when the file says ``# synthetic: true``).

    Examples
    --------
    The shipped table says it is synthetic, and is named by its place in the source tree:

    >>> from surrogate.data.electrodes import load_electrode_table
    >>> table, dropped, metadata = load_electrode_table()
    >>> metadata["file"], metadata["synthetic"], dropped
    ('data/electrodes_synthetic.csv', True, [])
    >>> sorted(table["chemistry"].unique())
    ['graphite', 'nmc', 'si-graphite']
    """
    frame, metadata, file = _read(path, columns)
    valid = _validate(frame, source=file, drop_invalid=drop_invalid)
    meta = {
        **metadata,
        "file": file,
        "synthetic": metadata.get("synthetic") is True,
        "warnings": valid.warnings,
    }
    return valid.frame.reset_index(drop=True), valid.dropped, meta


def electrode_dataset(name: str, *, table=None, columns=None, drop_invalid=False):
    """The :class:`~surrogate.data.frame.TableDataset` of one chemistry of an electrode table.

    Parameters
    ----------
    name : {"graphite", "sigra", "nmc"}
    table : str or Path, optional
        The electrode table; default the shipped synthetic one.
    columns : str, Path or dict, optional
        Column mapping, as for :func:`load_electrode_table`.
    drop_invalid : bool
        Drop invalid rows (listed in the provenance's ``dropped_rows``) instead of failing.

    Returns
    -------
    TableDataset
        The six canonical inputs; targets ``density`` and ``mass_loading``; the rows of
        :func:`electrode_spec`'s filter, after the whole table was validated.

    Examples
    --------
    The graphite rows of the shipped synthetic table:

    >>> from surrogate.data import electrode_dataset
    >>> from surrogate.data.electrodes import load_electrode_table
    >>> data = electrode_dataset("graphite")
    >>> table = load_electrode_table()[0]
    >>> len(data) == int((table["chemistry"] == "graphite").sum()), list(data.targets.columns)
    (True, ['density', 'mass_loading'])
    >>> data.provenance["synthetic"]
    True
    """
    from surrogate.data.frame import from_frame

    spec = electrode_spec(name)
    frame, metadata, file = _read(table, columns)
    valid = _validate(frame, source=file, drop_invalid=drop_invalid)
    rows = spec.rename(valid.frame)
    try:
        rows = apply_where(rows, spec.where)
    except ValueError as err:
        raise ValueError(f"{file}: no {NAMES[name]} rows ({err})") from err
    units = {k: v[0] for k, v in INPUTS.items()}
    units |= {short: TARGETS[column][0] for short, column in TARGET_NAMES.items()}
    synthetic = metadata.get("synthetic") is True
    own, elsewhere = _dropped_by_chemistry(valid.dropped, frame, NAMES[name])
    provenance = {
        "file": file,
        "chemistry": NAMES[name],
        "where": spec.where,
        "metadata": metadata,
        "rows": {"table": len(frame), "selected": len(rows)},
        # The dropped rows of this chemistry; those of no known chemistry are the table's.
        "dropped_rows": own,
        "dropped_rows_of_table": elsewhere,
        "warnings": valid.warnings,
        "synthetic": synthetic,
    }
    if synthetic:
        provenance["data"] = SYNTHETIC_NOTE
    return from_frame(name, rows, list(INPUTS), list(TARGET_NAMES), units, provenance)


def _dropped_by_chemistry(messages, frame, chemistry) -> tuple[list[str], list[str]]:
    """Split drop messages (``row N, ...``) into this chemistry's rows and rows of no known
    chemistry; rows of another known chemistry belong to that chemistry's dataset."""
    own, elsewhere = [], []
    for message in messages:
        match = re.match(r"row (\d+)", message)
        row = int(match.group(1)) - 1 if match else None
        value = frame["chemistry"].get(row) if row is not None and "chemistry" in frame else None
        known = ALIASES.get(str(value).strip().lower()) if pd.notna(value) else None
        if known == chemistry:
            own.append(message)
        elif known is None:
            elsewhere.append(message)
    return own, elsewhere
