"""Lithium-ion electrode tables: read (CSV, Excel, Parquet), map columns, validate, select.

One row per electrode: its chemistry, six process inputs and two measured targets. The
canonical columns and units are below (and in ``data/README.md``); other names are mapped with a
small YAML or JSON file ``{their column: canonical column}``. Validation uses pandera, lazily, so
that every problem is reported at once with its row and column.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

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
NAMES = {"graphite": "graphite", "sigra": "si-graphite", "nmc": "nmc"}

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
TARGET_NAMES = {"density": "density_g_cm3", "mass_loading": "mass_loading_mg_cm2"}
DEFAULT_TABLE = Path("data/electrodes_synthetic.csv")


class TableError(ValueError):
    """A table that failed validation; ``problems`` lists one line per problem."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))


def read_table(path) -> pd.DataFrame:
    """A CSV, Excel (.xlsx/.xls) or Parquet file as a DataFrame."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no table at {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, comment="#")
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(path)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    raise ValueError(f"{path}: unsupported table type {suffix!r} (csv, xlsx, xls, parquet)")


def read_mapping(path) -> dict[str, str]:
    """``{their column: canonical column}`` from a YAML or JSON file."""
    path = Path(path)
    text = path.read_text()
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        mapping = yaml.safe_load(text)
    else:
        mapping = json.loads(text)
    canonical = {"chemistry", *INPUTS, *TARGETS}
    unknown = sorted(v for v in mapping.values() if v not in canonical)
    if unknown:
        raise ValueError(
            f"{path}: mapping targets {unknown} are not canonical columns "
            f"({', '.join(sorted(canonical))})"
        )
    return {str(k): str(v) for k, v in mapping.items()}


def _schema():
    import pandera.pandas as pa
    from pandera import Check, Column

    columns = {
        "chemistry": Column(str, Check.isin(sorted(CHEMISTRIES)), nullable=False),
    }
    for name, (_, low, high) in {**INPUTS, **TARGETS}.items():
        columns[name] = Column(float, Check.in_range(low, high), nullable=False, coerce=True)
    return pa.DataFrameSchema(
        columns,
        checks=[
            Check(
                lambda df: ~df.duplicated(keep="first"), element_wise=False, error="duplicated row"
            )
        ],
        strict=False,
    )


def _messages(failures: pd.DataFrame, table: pd.DataFrame) -> list[tuple[int | None, str]]:
    """(row position, message) for each failure pandera found, deduplicated."""
    out = []
    seen = set()
    for case in failures.itertuples():
        column, check, index, value = case.column, str(case.check), case.index, case.failure_case
        if check.startswith("column_in_dataframe"):
            key, message = (None, column), None
            message = f"missing column {value!r}"
        elif index is None or pd.isna(index):
            continue
        else:
            row = int(index)
            key = (row, column)
            if column == "chemistry" and check.startswith("isin"):
                message = f"unknown chemistry {value!r} (expected {', '.join(CHEMISTRIES)})"
            elif check.startswith("not_nullable"):
                message = "missing value"
            elif check.startswith("coerce") or check.startswith("dtype"):
                message = f"not a number: {value!r}"
            elif check.startswith("in_range"):
                unit, low, high = {**INPUTS, **TARGETS}[column]
                message = f"{value} is outside [{low:g}, {high:g}] {unit}"
            elif "duplicated" in check:
                key, message = (row, "*"), "duplicated row"
                column = None
            else:
                message = f"{check} failed for {value!r}"
        if key in seen or message is None:
            continue
        seen.add(key)
        where = f"row {key[0] + 1}" if key[0] is not None else "table"
        out.append((key[0], f"{where}" + (f", column {column}" if column else "") + f": {message}"))
    return out


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
        The valid table (rows renumbered) and the messages of dropped rows.
    """
    import pandera.pandas as pa

    table = table.copy()
    if "chemistry" in table.columns:
        table["chemistry"] = table["chemistry"].map(
            lambda v: ALIASES.get(str(v).strip().lower(), str(v).strip()) if pd.notna(v) else v
        )
    # Numbers first: a cell that is not a number is reported as such (not as out of range).
    bad_cells = []
    for name in [*INPUTS, *TARGETS]:
        if name in table.columns:
            numbers = pd.to_numeric(table[name], errors="coerce")
            for row in table.index[numbers.isna() & table[name].notna()]:
                bad_cells.append(
                    (row, f"row {row + 1}, column {name}: not a number: {table.at[row, name]!r}")
                )
            table[name] = numbers
    problems = list(bad_cells)
    try:
        _schema().validate(table, lazy=True)
    except pa.errors.SchemaErrors as err:
        reported = {row for row, _ in bad_cells}
        for row, message in _messages(err.failure_cases, table):
            if row is not None and row in reported and "missing value" in message:
                continue  # already said: not a number
            problems.append((row, message))
    if not problems:
        return table.reset_index(drop=True), []
    table_level = [m for row, m in problems if row is None]
    if not drop_invalid or table_level:
        raise TableError(source, [m for _, m in sorted(problems, key=lambda p: p[0] or -1)])
    bad_rows = sorted({row for row, _ in problems})
    kept = table.drop(index=bad_rows).reset_index(drop=True)
    return kept, [m for _, m in sorted(problems, key=lambda p: p[0])]


def load_electrode_table(path=None, *, columns=None, drop_invalid=False):
    """Read, map and validate an electrode table (the shipped synthetic one by default).

    Returns
    -------
    (DataFrame, list of str, dict)
        Valid table, messages of dropped rows, and the file's metadata (source, synthetic).
    """
    path = Path(path) if path else DEFAULT_TABLE
    table = read_table(path)
    if columns:
        mapping = read_mapping(columns) if isinstance(columns, (str, Path)) else dict(columns)
        table = table.rename(columns=mapping)
    valid, dropped = validate(table, source=str(path), drop_invalid=drop_invalid)
    meta = {"file": str(path), "synthetic": "synthetic" in path.name.lower()}
    return valid, dropped, meta


def electrode_dataset(name: str, *, table=None, columns=None, drop_invalid=False):
    """The :class:`~surrogate.datasets.TableDataset` of one chemistry (``graphite``, ``sigra``,
    ``nmc``) from an electrode table; targets ``density`` and ``mass_loading``."""
    from surrogate.datasets import from_frame

    chemistry = NAMES[name]
    frame, dropped, meta = load_electrode_table(table, columns=columns, drop_invalid=drop_invalid)
    rows = frame[frame["chemistry"] == chemistry].rename(
        columns={v: k for k, v in TARGET_NAMES.items()}
    )
    if len(rows) == 0:
        raise ValueError(f"no {chemistry} rows in {meta['file']}")
    units = {k: v[0] for k, v in INPUTS.items()} | {"density": "g/cm3", "mass_loading": "mg/cm2"}
    provenance = {**meta, "chemistry": chemistry, "dropped_rows": dropped}
    if meta["synthetic"]:
        provenance["data"] = "SYNTHETIC table (physical model), not experimental data"
    return from_frame(name, rows, list(INPUTS), list(TARGET_NAMES), units, provenance)
