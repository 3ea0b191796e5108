"""Tables of one's own: read a lab's file, name its inputs and target, filter, validate.

A :class:`TableSpec` says which columns are the inputs and which is the target (as typed in the
file's header, units and brackets included), with optional units, physical bounds, renames and
a row filter; :func:`table_dataset` turns a file and a spec into a
:class:`~surrogate.data.frame.TableDataset`. The steps are public on their own:

read_table
    CSV (comma, semicolon or tab separated, decimal point or comma, UTF-8 with or without BOM,
    ``#`` comment lines, leading ``# key: value`` lines as metadata), Excel ``.xlsx``, Parquet.
apply_where
    A row filter in a small grammar (never ``pandas.eval``, which can run code).
find_problems, validate_table
    Every problem at once, each with its row and column; :class:`TableError` lists them.

Row numbers in messages count the data rows of the file from 1 (the row under the header is
row 1; comment lines and blank lines are not counted).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import operator
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

DELIMITED = (".csv", ".tsv", ".txt")
EXCEL = (".xlsx", ".xlsm")
PARQUET = (".parquet", ".pq")
SUPPORTED = (*DELIMITED, *EXCEL, ".xls", *PARQUET)
SEPARATORS = (",", "\t", ";")  # in rising preference on a tie
# The provenance's ``data`` line of a table whose file says ``synthetic: true``.
SYNTHETIC_NOTE = "SYNTHETIC table (its file says synthetic: true), not experimental data"
# Keys a spec file may hold.
SPEC_KEYS = ("inputs", "target", "units", "bounds", "renames", "where", "allow_constant")

# Excel writes its cell errors into CSV files: such a line is data, not a comment.
_EXCEL_ERROR = re.compile(r"#(N/A|DIV/0!|VALUE!|REF!|NAME\?|NUM!|NULL!)")
_META_LINE = re.compile(r"([A-Za-z_][\w\- ]{0,39}?)\s*:\s*(.*)")
_COMMA_NUMBER = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
_POINT_NUMBER = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


class TableError(ValueError):
    """A table that failed validation; ``problems`` lists one line per problem.

    Examples
    --------
    >>> from surrogate.data import TableError
    >>> error = TableError("t.csv", ["row 2, column `y`: missing value"])
    >>> print(error)
    t.csv: 1 problem(s):
      row 2, column `y`: missing value
    >>> isinstance(error, ValueError)
    True
    """

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))


class TableRead(NamedTuple):
    """What :func:`read_table` returns (unpacks as ``frame, metadata``)."""

    frame: pd.DataFrame
    metadata: dict


class Problem(NamedTuple):
    """One validation problem.

    ``row`` is the frame's row label (None for the whole table); ``kind`` is ``"column"`` (a
    missing column), ``"cell"`` (a value) or ``"duplicate"`` (a row repeating an earlier one).
    """

    row: Hashable | None
    message: str
    kind: str = "cell"


class ValidatedTable(NamedTuple):
    """What :func:`validate_table` returns (unpacks as ``frame, dropped, warnings``)."""

    frame: pd.DataFrame
    dropped: list[str]
    warnings: list[str]


# --------------------------------------------------------------------------------------------
# Reading


def read_table(path, *, sheet=None) -> TableRead:
    """Read a table file into a DataFrame, with its metadata and how it was read.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.tsv``/``.txt`` (delimited text), ``.xlsx``/``.xlsm`` (Excel), ``.parquet``.
        A legacy ``.xls`` is read only when ``xlrd`` is installed.
    sheet : str or int, optional
        Excel sheet name or 0-based position; default the first sheet.

    Returns
    -------
    TableRead
        ``frame``: one column per header cell, names as typed (surrounding whitespace
        stripped); the row labels are the 0-based data rows of the file (rows with no value
        at all are left out, their labels skipped). ``metadata``: the leading
        ``# key: value`` lines (``synthetic`` parsed to a bool), other leading comment lines
        under ``comments``, and how the file was read: ``format``, and ``encoding``,
        ``separator``, ``decimal`` for text or ``sheet`` for Excel.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        Unsupported suffix, empty or unreadable file, or column names that repeat.

    Notes
    -----
    Delimited text is decoded as UTF-8 (a BOM is dropped), UTF-16 with a BOM, or else
    Windows-1252 (Excel's "CSV" in Western European locales). Lines starting with ``#`` are
    comments (Excel's ``#N/A`` and other cell errors are data). The separator is the one of
    ``,`` ``;`` tab that splits the header and the data lines into the same number of cells
    (Excel's ``sep=;`` first line is honoured). With ``;`` or tab separators, cells like
    ``0,55`` make the decimal mark a comma; with ``,`` separators it never is.

    Examples
    --------
    A semicolon-separated file with decimal commas and two comment lines, as Excel writes in
    a German locale:

    >>> import pathlib, tempfile
    >>> from surrogate.data import read_table
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "t.csv"
    ...     lines = ["# synthetic: true", "# by hand", "A [%];B;y", "90;0,5;1,25", "95;0,75;1,5"]
    ...     _ = path.write_text("\\n".join(lines))
    ...     frame, metadata = read_table(path)
    >>> frame["B"].tolist(), frame["y"].tolist(), list(frame.columns)
    ([0.5, 0.75], [1.25, 1.5], ['A [%]', 'B', 'y'])
    >>> metadata["separator"], metadata["decimal"], metadata["synthetic"], metadata["comments"]
    (';', ',', True, ['by hand'])
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: a directory; expected a table file ({', '.join(SUPPORTED)})")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; expected a table ({', '.join(SUPPORTED)})")
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in (*EXCEL, ".xls"):
        raise ValueError(f"{path}: sheet={sheet!r} applies to Excel files only")
    if suffix in DELIMITED:
        frame, metadata = _read_delimited(path)
    elif suffix in EXCEL or suffix == ".xls":
        frame, metadata = _read_excel(path, sheet)
    elif suffix in PARQUET:
        frame, metadata = _read_parquet(path)
    else:
        raise ValueError(
            f"{path}: unsupported table type {suffix or '(no suffix)'!r}; supported: "
            f"{', '.join(SUPPORTED)}"
        )
    return TableRead(_tidy(frame, path), metadata)


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"PK\x03\x04"):
        raise ValueError(f"{path}: this is a zip file (an Excel workbook?); name it .xlsx")
    if b"\x00" in data:
        raise ValueError(f"{path}: binary content; expected a delimited text table")
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{path}: unreadable text, neither UTF-8 nor Windows-1252 ({err})"
        ) from err


def _is_comment(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith("#") and not _EXCEL_ERROR.match(stripped)


def _metadata(path: Path, comments: list[str]) -> dict:
    """``# key: value`` lines as a dict; other comment lines under ``comments``."""
    metadata, other = {}, []
    for line in comments:
        body = line.strip()[1:].strip()
        match = _META_LINE.fullmatch(body)
        if not match:
            if body:
                other.append(body)
            continue
        key, value = match.group(1).strip(), match.group(2).strip()
        if key.lower() == "synthetic":
            flag = value.lower()
            if flag not in (*_TRUE, *_FALSE):
                raise ValueError(f"{path}: {line.strip()!r}: synthetic must be true or false")
            if metadata.get("synthetic", flag in _TRUE) != (flag in _TRUE):
                raise ValueError(f"{path}: the comment lines say both synthetic true and false")
            metadata["synthetic"] = flag in _TRUE
        else:
            metadata[key] = value
    if other:
        metadata["comments"] = other
    return metadata


def _cells(lines: list[str], separator: str) -> list[list[str]]:
    """The records of ``lines`` split on ``separator`` (quotes respected; a blank line is [])."""
    return list(csv.reader(io.StringIO("\n".join(lines)), delimiter=separator))


def _sniff_separator(header: str, body: list[str]) -> str:
    """The separator that splits the header into most cells and every line alike."""
    sample = body[:200]
    candidates = []
    for separator in SEPARATORS:
        width = len(_cells([header], separator)[0])
        if width < 2:
            continue
        widths = {len(row) for row in _cells(sample, separator) if row}
        consistent = widths <= {width}
        # On a tie, ";" (Excel in decimal-comma locales), then tab, then ",".
        candidates.append((consistent, width, SEPARATORS.index(separator), separator))
    if not candidates:
        return ","  # one column: nothing to split
    return max(candidates)[-1]


def _sniff_decimal(rows: list[list[str]], separator: str) -> str:
    if separator == ",":
        return "."  # a comma cannot be both; "0,55" there is two cells
    comma = point = 0
    for row in rows[:1000]:
        for cell in row:
            cell = cell.strip()
            comma += bool(_COMMA_NUMBER.fullmatch(cell))
            point += bool(_POINT_NUMBER.fullmatch(cell))
    return "," if comma > point else "."


def _read_delimited(path: Path) -> tuple[pd.DataFrame, dict]:
    text, encoding = _decode(path, path.read_bytes())
    lines = text.splitlines()
    leading, position = [], 0
    while position < len(lines) and (_is_comment(lines[position]) or not lines[position].strip()):
        if lines[position].strip():
            leading.append(lines[position])
        position += 1
    metadata = _metadata(path, leading)
    # Blank lines stay (they count as rows, as in a spreadsheet); comment lines go.
    rest = [line for line in lines[position:] if not _is_comment(line)]
    separator = None
    declared = re.fullmatch(r"sep=(.)", rest[0].strip(), flags=re.IGNORECASE) if rest else None
    if declared:
        separator, rest = declared.group(1), rest[1:]
        while rest and not rest[0].strip():
            rest = rest[1:]
    if not rest:
        raise ValueError(f"{path}: empty file; expected a header row and data rows")
    header, body = rest[0], rest[1:]
    separator = separator or _sniff_separator(header, body)
    names = [name.strip() for name in _cells([header], separator)[0]]
    rows = _cells(body, separator)
    width = len(names)
    for number, row in enumerate(rows, start=1):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            raise ValueError(
                f"{path}: data row {number} has {len(row)} cells but the header names {width} "
                f"columns (separator {separator!r})"
            )
    decimal = _sniff_decimal(rows, separator)
    # Trailing empty cells (Excel's "1;2;;") get placeholder names, dropped when empty.
    longest = max([width, *(len(row) for row in rows)])
    names += [""] * (longest - width)
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join(body)),
            sep=separator,
            decimal=decimal,
            header=None,
            names=list(range(longest)),
            index_col=False,
            skipinitialspace=True,
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=list(range(longest)))
    except (pd.errors.ParserError, ValueError) as err:
        raise ValueError(f"{path}: unreadable as a table ({err})") from err
    frame.columns = names
    how = {"format": "csv", "encoding": encoding, "separator": separator, "decimal": decimal}
    return frame, {**metadata, **how}


def _read_excel(path: Path, sheet) -> tuple[pd.DataFrame, dict]:
    engine = "openpyxl"
    if path.suffix.lower() == ".xls":
        try:
            import xlrd  # noqa: F401
        except ImportError:
            raise ValueError(
                f"{path}: a legacy Excel .xls file; save it as .xlsx or CSV (or install xlrd)"
            ) from None
        engine = "xlrd"
    try:
        with pd.ExcelFile(path, engine=engine) as book:
            names = book.sheet_names
            if sheet is None:
                chosen = names[0]
            elif isinstance(sheet, int) and 0 <= sheet < len(names):
                chosen = names[sheet]
            elif sheet in names:
                chosen = sheet
            else:
                chosen = None
            raw = (
                pd.read_excel(book, sheet_name=chosen, header=None) if chosen is not None else None
            )
    except Exception as err:  # openpyxl, xlrd and zipfile raise their own types
        raise ValueError(f"{path}: unreadable as an Excel workbook ({err})") from err
    if raw is None:
        raise ValueError(f"{path}: no sheet {sheet!r}; the sheets are {names}")
    raw = raw.dropna(how="all")
    leading = []
    while len(raw) and isinstance(raw.iat[0, 0], str) and _is_comment(raw.iat[0, 0]):
        leading.append(raw.iat[0, 0])
        raw = raw.iloc[1:]
    if raw.empty:
        raise ValueError(f"{path}: sheet {chosen!r} is empty; expected a header row and data rows")
    header_label = raw.index[0]
    names = ["" if pd.isna(v) else str(v).strip() for v in raw.iloc[0]]
    frame = raw.iloc[1:].copy()
    frame.columns = names
    # Labels count the sheet's rows under the header from 0, as for a CSV file.
    frame.index = frame.index - header_label - 1
    frame = frame.infer_objects()
    return frame, {**_metadata(path, leading), "format": "xlsx", "sheet": chosen}


def _read_parquet(path: Path) -> tuple[pd.DataFrame, dict]:
    try:
        import pyarrow.parquet as pq

        frame = pd.read_parquet(path)
        schema_metadata = pq.read_schema(path).metadata or {}
    except Exception as err:  # pyarrow raises its own types
        raise ValueError(f"{path}: unreadable as a Parquet file ({err})") from err
    # Key-value metadata of one's own (pandas keeps its schema under b"pandas").
    lines = [
        f"# {k.decode(errors='replace')}: {v.decode(errors='replace')}"
        for k, v in schema_metadata.items()
        if k != b"pandas" and not k.startswith(b"ARROW:")
    ]
    if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index(drop=frame.index.name is None)
    frame = frame.reset_index(drop=True)
    return frame, {**_metadata(path, lines), "format": "parquet"}


def _tidy(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Names as typed (stripped), placeholders for empty header cells, no empty rows."""
    names = [str(name).strip() for name in frame.columns]
    unnamed = [i for i, name in enumerate(names) if not name]
    for i in unnamed:
        names[i] = f"column {i + 1}"
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"{path}: column names appear more than once: {', '.join(map(_tick, repeated))}"
        )
    frame = frame.copy()
    frame.columns = names
    empty = [names[i] for i in unnamed if frame[names[i]].isna().all()]
    frame = frame.drop(columns=empty)
    if not len(frame.columns):
        raise ValueError(f"{path}: no columns; expected a header row and data rows")
    return frame[~frame.isna().all(axis=1)]


# --------------------------------------------------------------------------------------------
# Row filter


_OPERATORS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_CLAUSE = re.compile(
    r"""\s*(?:`(?P<quoted>[^`]+)`|(?P<bare>[^\W\d]\w*))
    \s*(?P<op>==|!=|<=|>=|<|>)\s*
    (?:(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
      |'(?P<single>[^']*)'|"(?P<double>[^"]*)")\s*""",
    re.VERBOSE,
)
_PIECES = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\s+and\s+|[^`'\"\s]+|\s+|.")
WHERE_HELP = (
    "a filter is clauses COLUMN OP VALUE joined by ' and ': COLUMN a bare name or "
    "`a name in backticks`, OP one of == != < <= > >=, VALUE a number or a quoted string, "
    "e.g. Chemistry == 'graphite' and `Active Material [%]` >= 90"
)


class _Clause(NamedTuple):
    text: str
    column: str
    op: str
    value: float | str


def _split_clauses(text: str) -> list[str]:
    """``text`` cut at each `` and `` outside quotes and backticks."""
    clauses, current = [], []
    for piece in _PIECES.findall(text):
        if piece.strip() == "and" and piece[0].isspace() and piece[-1].isspace():
            clauses.append("".join(current))
            current = []
        else:
            current.append(piece)
    clauses.append("".join(current))
    return [clause.strip() for clause in clauses]


def _parse_where(text: str) -> list[_Clause]:
    """The clauses of a row filter; ValueError naming the first bad one."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"empty row filter {text!r}; {WHERE_HELP}")
    clauses = []
    for clause in _split_clauses(text):
        match = _CLAUSE.fullmatch(clause)
        if not match:
            raise ValueError(f"bad filter clause {clause!r} in {text!r}; {WHERE_HELP}")
        number = match["number"]
        if number is not None:
            value = float(number)
        else:
            value = match["single"] if match["single"] is not None else match["double"]
        clauses.append(_Clause(clause, match["quoted"] or match["bare"], match["op"], value))
    return clauses


def _mask(frame: pd.DataFrame, clause: _Clause, text: str) -> pd.Series:
    if clause.column not in frame.columns:
        raise ValueError(
            f"filter clause {clause.text!r} of {text!r}: no column {_tick(clause.column)}; the "
            f"columns are {', '.join(_tick(c) for c in frame.columns)}"
        )
    cells = frame[clause.column]
    present = cells.notna()
    compare = _OPERATORS[clause.op]
    if isinstance(clause.value, float):
        numbers = pd.to_numeric(cells, errors="coerce")
        if present.any() and numbers.isna().all():
            raise ValueError(
                f"filter clause {clause.text!r}: column {_tick(clause.column)} holds text, not "
                "numbers; quote the value to compare text"
            )
        # A missing cell or one that is not a number matches no clause, not even !=.
        return compare(numbers, clause.value) & numbers.notna()
    strings = pd.Series(
        [str(v).strip() if ok else "" for v, ok in zip(cells, present, strict=True)],
        index=frame.index,
        dtype=object,
    )
    return compare(strings, clause.value) & present


def apply_where(frame: pd.DataFrame, text: str) -> pd.DataFrame:
    """The rows of ``frame`` that satisfy a row filter, with their original labels.

    Parameters
    ----------
    frame : DataFrame
    text : str
        Clauses ``COLUMN OP VALUE`` joined by `` and ``. COLUMN is a bare name (letters,
        digits, ``_``) or a name in backticks (`` `Active Material [%]` ``); OP one of
        ``== != < <= > >=``; VALUE a number or a string in single or double quotes.

    Returns
    -------
    DataFrame
        The matching rows (a copy), labels kept so messages can name the rows of the file.

    Raises
    ------
    ValueError
        Bad syntax (naming the clause), an unknown column (listing the columns), a number
        compared with a text column, or no matching row (naming the filter).

    Notes
    -----
    A number compares numerically; a quoted string compares with the cell's text, case
    sensitive, surrounding whitespace of the cell ignored. A missing cell matches no clause.
    The filter is parsed by a fixed grammar, never evaluated as Python or by ``pandas.eval``.

    Examples
    --------
    >>> import pandas as pd
    >>> from surrogate.data.tables import apply_where
    >>> frame = pd.DataFrame({"Chemistry": ["graphite", "nmc", "graphite"],
    ...                       "Active Material [%]": [95, 90, 85]})
    >>> apply_where(frame, "Chemistry == 'graphite' and `Active Material [%]` >= 90")
      Chemistry  Active Material [%]
    0  graphite                   95
    >>> apply_where(frame, "Chemistry = 'graphite'")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: bad filter clause "Chemistry = 'graphite'" in "Chemistry = 'graphite'"; ...
    """
    clauses = _parse_where(text)
    keep = pd.Series(True, index=frame.index)
    for clause in clauses:
        keep &= _mask(frame, clause, text)
    if not keep.any():
        raise ValueError(f"the filter {text!r} matches none of the {len(frame)} rows")
    return frame[keep.to_numpy()].copy()


# --------------------------------------------------------------------------------------------
# Spec


def parse_inputs(text: str) -> list[str]:
    """Column names from a comma-separated list (``"A [%],B,C"``), stripped.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        On an empty name or a name given twice.

    Examples
    --------
    >>> from surrogate.data.tables import parse_inputs
    >>> parse_inputs(" A [%], B ,C")
    ['A [%]', 'B', 'C']
    >>> parse_inputs("A,B,A")
    Traceback (most recent call last):
    ...
    ValueError: inputs 'A,B,A' name `A` twice
    """
    names = [name.strip() for name in str(text).split(",")]
    if not any(names) or not all(names):
        raise ValueError(f"inputs {text!r}: expected column names separated by commas")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"inputs {text!r} name {', '.join(map(_tick, repeated))} twice")
    return names


def _bound(value, name: str) -> float | None:
    if value is None:
        return None
    try:
        # YAML reads 1e3 (no dot) as a string.
        number = float(value) if isinstance(value, (int, float, str)) else math.nan
    except ValueError:
        number = math.nan
    if isinstance(value, bool) or math.isnan(number):
        raise ValueError(f"bound {value!r} of {_tick(name)} is not a number or null")
    return number


def _mapping(value, key: str, source: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{source}: {key} must be a mapping {{column: ...}}, not {value!r}")
    return dict(value)


@dataclass(frozen=True)
class TableSpec:
    """Which columns of a table a surrogate learns from, and what they may hold.

    Attributes
    ----------
    inputs : tuple of str
        Input columns, as named after ``renames``.
    target : str
        The column to learn.
    units : dict
        ``{column: unit}``; columns without one get ``""``.
    bounds : dict
        ``{column: (low, high)}``, either None for no limit; values outside are problems.
    renames : dict
        ``{their column: new name}``, applied right after reading, before anything else.
    where : str or None
        Row filter (:func:`apply_where`), applied after renaming.
    allow_constant : tuple of str
        Inputs that may be constant in this table (a setting held fixed here but varied in a
        table it transfers to); other constant inputs are refused.

    Examples
    --------
    Inputs may be one comma-separated string; names are stripped, bounds become floats (None
    for no limit), and :meth:`to_dict` / :meth:`from_dict` round-trip:

    >>> from surrogate.data import TableSpec
    >>> spec = TableSpec(inputs="A [%], B", target="y", bounds={"y": [0, None]})
    >>> spec.columns, spec.bounds
    (('A [%]', 'B', 'y'), {'y': (0.0, None)})
    >>> TableSpec.from_dict(spec.to_dict()) == spec
    True
    >>> TableSpec(inputs=["a", "y"], target="y")
    Traceback (most recent call last):
    ...
    ValueError: the target `y` is also an input
    """

    inputs: tuple[str, ...]
    target: str
    units: dict = field(default_factory=dict)
    bounds: dict = field(default_factory=dict)
    renames: dict = field(default_factory=dict)
    where: str | None = None
    allow_constant: tuple[str, ...] = ()

    def __post_init__(self):
        inputs = self.inputs
        if isinstance(inputs, str):
            inputs = parse_inputs(inputs)
        inputs = tuple(str(name).strip() for name in inputs)
        if not inputs or not all(inputs):
            raise ValueError(f"a table spec needs input column names, not {self.inputs!r}")
        repeated = sorted({name for name in inputs if inputs.count(name) > 1})
        if repeated:
            raise ValueError(f"inputs name {', '.join(map(_tick, repeated))} twice")
        target = str(self.target).strip() if self.target is not None else ""
        if not target:
            raise ValueError("a table spec needs a target column")
        if target in inputs:
            raise ValueError(f"the target {_tick(target)} is also an input")
        bounds = {}
        for name, pair in dict(self.bounds).items():
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(f"bounds of {_tick(name)} must be [low, high], not {pair!r}")
            low, high = (_bound(v, name) for v in pair)
            if low is not None and high is not None and low > high:
                raise ValueError(f"bounds of {_tick(name)}: low {low:g} > high {high:g}")
            bounds[str(name)] = (low, high)
        renames = {str(k).strip(): str(v).strip() for k, v in dict(self.renames).items()}
        new = list(renames.values())
        repeated = sorted({name for name in new if new.count(name) > 1})
        if repeated:
            raise ValueError(f"renames give two columns the name {', '.join(map(_tick, repeated))}")
        where = self.where.strip() if isinstance(self.where, str) and self.where.strip() else None
        if where is not None:
            _parse_where(where)  # bad syntax fails here, not later on a table
        allow = self.allow_constant
        allow = parse_inputs(allow) if isinstance(allow, str) else allow
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "units", {str(k): str(v) for k, v in dict(self.units).items()})
        object.__setattr__(self, "bounds", bounds)
        object.__setattr__(self, "renames", renames)
        object.__setattr__(self, "where", where)
        object.__setattr__(self, "allow_constant", tuple(str(name).strip() for name in allow))

    @property
    def columns(self) -> tuple[str, ...]:
        """Inputs and target."""
        return (*self.inputs, self.target)

    def rename(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with :attr:`renames` applied (ValueError if two columns would share a
        name).

        Examples
        --------
        >>> import pandas as pd
        >>> from surrogate.data import TableSpec
        >>> spec = TableSpec(inputs="B", target="y", renames={"Y [1]": "y"})
        >>> list(spec.rename(pd.DataFrame({"Y [1]": [1.0], "B": [2.0]})).columns)
        ['y', 'B']
        """
        if not self.renames:
            return frame
        present = {old: new for old, new in self.renames.items() if old in frame.columns}
        kept = [c for c in frame.columns if c not in present]
        clashes = sorted(set(kept) & set(present.values()))
        if clashes:
            raise ValueError(
                f"renaming would give two columns {', '.join(map(_tick, clashes))}: the table "
                "has that column already"
            )
        return frame.rename(columns=present)

    def to_dict(self) -> dict:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return {
            "inputs": list(self.inputs),
            "target": self.target,
            "units": dict(self.units),
            "bounds": {name: list(pair) for name, pair in self.bounds.items()},
            "renames": dict(self.renames),
            "where": self.where,
            "allow_constant": list(self.allow_constant),
        }

    @classmethod
    def from_dict(cls, data: Mapping, *, source: str = "spec") -> TableSpec:
        """A spec from a dict with the keys of :data:`SPEC_KEYS` (``inputs`` as a list or a
        comma-separated string, ``bounds`` as ``[low, high]`` lists, null for no limit).

        Parameters
        ----------
        data : mapping
            As a YAML or JSON spec file holds it; ``inputs`` and ``target`` are required.
        source : str
            Where it came from, starting every message.

        Returns
        -------
        TableSpec

        Raises
        ------
        ValueError
            Unknown keys, missing inputs or target, or a bad value (naming it).

        Examples
        --------
        >>> from surrogate.data import TableSpec
        >>> TableSpec.from_dict({"inputs": "a, b", "target": "y"}).inputs
        ('a', 'b')
        >>> TableSpec.from_dict({"inputs": "a", "target": "y", "weights": 1})
        Traceback (most recent call last):
        ...
        ValueError: spec: unknown key(s) weights; allowed: inputs, target, units, bounds,
        renames, where, allow_constant
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: expected a mapping with keys {', '.join(SPEC_KEYS)}")
        unknown = sorted(str(k) for k in data if k not in SPEC_KEYS)
        if unknown:
            raise ValueError(
                f"{source}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(SPEC_KEYS)}"
            )
        missing = [k for k in ("inputs", "target") if data.get(k) in (None, "", [])]
        if missing:
            raise ValueError(f"{source}: {' and '.join(missing)} missing")
        inputs = data["inputs"]
        if not isinstance(inputs, (str, list, tuple)):
            raise ValueError(f"{source}: inputs must be a list or a comma-separated string")
        try:
            return cls(
                inputs=inputs,
                target=data["target"],
                units=_mapping(data.get("units"), "units", source),
                bounds=_mapping(data.get("bounds"), "bounds", source),
                renames=_mapping(data.get("renames"), "renames", source),
                where=data.get("where"),
                allow_constant=data.get("allow_constant") or (),
            )
        except ValueError as err:
            raise ValueError(f"{source}: {err}") from err

    @classmethod
    def from_file(cls, path) -> TableSpec:
        """A spec from a small YAML (``.yaml``/``.yml``) or JSON file; see :meth:`from_dict`.

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        TableSpec

        Raises
        ------
        FileNotFoundError
            No file at ``path``.
        ValueError
            Another suffix, unreadable YAML or JSON, or a bad spec (naming the file).
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such spec file")
        suffix = path.suffix.lower()
        if suffix not in (".yaml", ".yml", ".json"):
            raise ValueError(f"{path}: a spec file is .yaml, .yml or .json, not {suffix!r}")
        text = path.read_text(encoding="utf-8-sig")
        if suffix == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}: unreadable JSON ({err})") from err
        else:
            import yaml

            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as err:
                raise ValueError(f"{path}: unreadable YAML ({err})") from err
        return cls.from_dict(data, source=str(path))


def spec_from_options(
    *, inputs=None, target=None, spec=None, where=None, where_name: str = "where"
) -> TableSpec | None:
    """The spec that loose options describe, or None (a preset's or sweep's own columns).

    Parameters
    ----------
    inputs : str or sequence of str, optional
        Input columns (comma separated in a string); they replace the spec file's.
    target : str, optional
        The column to learn; replaces the spec file's.
    spec : path or TableSpec, optional
        A spec (file) to start from.
    where : str, optional
        A row filter, joined with the spec's own by ``and``.
    where_name : str
        What the caller calls ``where``, for messages.

    Raises
    ------
    ValueError
        For inputs without a target, a filter without columns, or a bad spec or filter.
    """
    if spec is not None:
        spec = spec if isinstance(spec, TableSpec) else TableSpec.from_file(spec)
        if inputs:
            spec = replace(spec, inputs=_input_names(inputs))
        if target:
            spec = replace(spec, target=target)
    elif inputs:
        if not target:
            raise ValueError("inputs= needs target=: the column to learn")
        spec = TableSpec(inputs=_input_names(inputs), target=target)
    if where:
        if spec is None:
            raise ValueError(
                f"{where_name}= (a row filter) needs the table's inputs and target: inputs= and "
                "target=, or spec="
            )
        spec = replace(spec, where=f"{spec.where} and {where}" if spec.where else where)
    return spec


def _input_names(inputs) -> tuple[str, ...]:
    return tuple(parse_inputs(inputs) if isinstance(inputs, str) else inputs)


# --------------------------------------------------------------------------------------------
# Validation


# Header names a table's own row identifier goes by (compared case-insensitively, with spaces,
# underscores and hyphens alike).
ID_NAMES = ("id", "sample", "sample id", "sample no", "experiment", "experiment id", "trial")


def id_column(frame: pd.DataFrame) -> str | None:
    """The column that names ``frame``'s rows (:data:`ID_NAMES`, every value present and
    distinct), or None: then rows are counted from 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from surrogate.data.tables import id_column
    >>> id_column(pd.DataFrame({"Sample_ID": ["A7", "B2"], "x": [1, 2]}))
    'Sample_ID'
    >>> id_column(pd.DataFrame({"id": ["A7", "A7"], "x": [1, 2]})) is None  # not distinct
    True
    """
    for column in frame.columns:
        key = re.sub(r"[\s_-]+", " ", str(column)).strip().lower()
        if key in ID_NAMES:
            values = frame[column]
            if values.notna().all() and values.is_unique:
                return column
    return None


def row_names(frame: pd.DataFrame) -> tuple[str, list]:
    """How a user's table names each row of ``frame``: ``(column, values)`` of its
    :func:`id_column`, else ``("row", [1, 2, ...])`` (data rows counted from 1).

    Examples
    --------
    >>> import pandas as pd
    >>> from surrogate.data.tables import row_names
    >>> row_names(pd.DataFrame({"x": [5.0, 6.0]}))
    ('row', [1, 2])
    """
    column = id_column(frame)
    if column is None:
        return "row", list(range(1, len(frame) + 1))
    return str(column), [v.item() if hasattr(v, "item") else v for v in frame[column]]


def _tick(name) -> str:
    return f"`{name}`"


def _row(label) -> str:
    """How a message names a row: the 1-based data row for an integer label."""
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        return str(int(label) + 1)
    return repr(label)


def _number(value: float) -> str:
    return f"{value:.10g}"


_HEADER_UNIT = re.compile(r"[\[(]\s*([^\[\]()]+?)\s*[\])]\s*$")


def header_unit(name: str) -> str:
    """The unit a column's header names at its end, in brackets or parentheses (``""`` when
    it names none): what every error label of a table without a spec's units reads.

    Examples
    --------
    >>> from surrogate.data.tables import header_unit
    >>> header_unit("Mass Loading [mg/cm²]"), header_unit("Gap (µm)"), header_unit("Chemistry")
    ('mg/cm²', 'µm', '')
    """
    found = _HEADER_UNIT.search(str(name))
    return found.group(1) if found else ""


def _says_percent(name: str, unit: str) -> bool:
    text = f"{name} {unit}".lower()
    return "%" in text or "percent" in text


def _numbers(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``(numbers, blank)``: cells as float64 (NaN where not a number) and which are empty."""
    if pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_bool_dtype(cells):
        numbers = cells.astype("float64")
        return numbers, numbers.isna()
    blank = cells.isna() | cells.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
    return pd.to_numeric(cells.where(~blank), errors="coerce").astype("float64"), blank


def _missing_column(name: str, frame: pd.DataFrame, spec: TableSpec) -> str:
    message = f"missing column {_tick(name)}"
    before = [old for old, new in spec.renames.items() if new == name]
    if before:
        message += f" (renamed from {_tick(before[0])}, which the table lacks)"
    others = [str(c) for c in frame.columns if c not in spec.columns]
    close = difflib.get_close_matches(name, others, n=1, cutoff=0.75)
    if close:
        message += f"; did you mean {_tick(close[0])}?"
    return message


def find_problems(frame: pd.DataFrame, spec: TableSpec) -> list[Problem]:
    """Every problem of ``frame`` against ``spec``, one :class:`Problem` per cell or row.

    Returns a list of :class:`Problem` (``row`` the frame's label, None for the table).

    Missing input or target columns (one problem each, table-level); then per cell of the
    inputs and target, the first that applies of: missing value, not a number, not finite,
    outside ``spec.bounds``, and for the target not > 0 (the training loss is MAPE); then rows
    that repeat an earlier row in the inputs and target. Constant inputs are judged by
    :func:`validate_table` on the rows it keeps.

    Examples
    --------
    Rows are counted from 1 (frame label + 1):

    >>> import pandas as pd
    >>> from surrogate.data import TableSpec
    >>> from surrogate.data.tables import find_problems
    >>> frame = pd.DataFrame({"a": [1.0, "x", 3.0], "y": [1.0, 2.0, -2.0]})
    >>> for problem in find_problems(frame, TableSpec(inputs=["a"], target="y")):
    ...     print(problem.message)
    row 2, column `a`: not a number: 'x'
    row 3, column `y`: target -2 is not > 0 (the MAPE loss divides by it)
    """
    if not frame.index.is_unique:
        raise ValueError("row labels repeat: a problem could not name its row")
    problems = [
        Problem(None, _missing_column(name, frame, spec), "column")
        for name in spec.columns
        if name not in frame.columns
    ]
    present = [name for name in spec.columns if name in frame.columns]
    valid = pd.Series(True, index=frame.index)
    values = {}
    for name in present:
        cells = frame[name]
        numbers, blank = _numbers(cells)
        unit = spec.units.get(name, "")
        low, high = spec.bounds.get(name, (None, None))
        bad = blank | numbers.isna() | ~np.isfinite(numbers)
        if low is not None:
            bad |= numbers < low
        if high is not None:
            bad |= numbers > high
        if name == spec.target:
            bad |= ~(numbers > 0)
        for label in frame.index[bad.to_numpy()]:
            value = numbers[label]
            if blank[label]:
                message = "missing value"
            elif math.isnan(value):
                message = f"not a number: {cells[label]!r}"
                if isinstance(cells[label], str) and _COMMA_NUMBER.fullmatch(cells[label].strip()):
                    message += " (a decimal comma in a comma-separated file?)"
            elif not math.isfinite(value):
                message = f"not finite: {_number(value)}"
            elif (low is not None and value < low) or (high is not None and value > high):
                message = f"{_number(value)} is " + (
                    f"outside [{_number(low)}, {_number(high)}]"
                    if low is not None and high is not None
                    else f"below the minimum {_number(low)}"
                    if low is not None
                    else f"above the maximum {_number(high)}"
                )
                message += f" {unit}" if unit else ""
            else:
                message = f"target {_number(value)} is not > 0 (the MAPE loss divides by it)"
            problems.append(Problem(label, f"row {_row(label)}, column {_tick(name)}: {message}"))
        valid &= ~bad
        values[name] = numbers
    if present and len(present) == len(spec.columns):
        first = {}
        table = pd.DataFrame(values)[valid.to_numpy()]
        for label, key in zip(table.index, map(tuple, table.to_numpy()), strict=True):
            if key in first:
                message = f"row {_row(label)}: duplicate of row {_row(first[key])}"
                message += " (same inputs and target)"
                problems.append(Problem(label, message, "duplicate"))
            else:
                first[key] = label
    return problems


def _warnings(frame: pd.DataFrame, spec: TableSpec) -> list[str]:
    """Things worth a look that are not errors (on the valid rows)."""
    out = []
    for name in spec.columns:
        numbers = frame[name]
        if (
            len(numbers)
            and _says_percent(name, spec.units.get(name, ""))
            and numbers.between(0, 1).all()
        ):
            out.append(
                f"column {_tick(name)} says percent but all its values lie in [0, 1]: "
                "they look like fractions"
            )
    target = frame[spec.target]
    if len(target) > 1:
        scale = max(abs(target.max()), abs(target.min()))
        if scale > 0 and (target.max() - target.min()) / scale < 1e-6:
            out.append(
                f"target {_tick(spec.target)} spans less than 1e-6 relative "
                f"({_number(target.min())} to {_number(target.max())}): little to learn"
            )
    columns = set(spec.columns)
    for key, names in (("bounds", spec.bounds), ("units", spec.units)):
        unused = [name for name in names if name not in columns]
        if unused:
            out.append(
                f"{key} given for {', '.join(map(_tick, unused))}, neither an input nor the "
                "target: not used"
            )
    unused = [name for name in spec.allow_constant if name not in spec.inputs]
    if unused:
        out.append(f"allow_constant names {', '.join(map(_tick, unused))}, not inputs: not used")
    return out


def validate_table(
    frame: pd.DataFrame,
    spec: TableSpec,
    *,
    source: str,
    drop_invalid: bool = False,
    problems: Iterable[Problem] | None = None,
) -> ValidatedTable:
    """The rows of ``frame`` a surrogate can learn from, or a :class:`TableError` listing
    every problem at once.

    Parameters
    ----------
    frame : DataFrame
        Renamed and filtered already (:meth:`TableSpec.rename`, :func:`apply_where`); the
        row labels name the rows in messages (label + 1 for integer labels).
    spec : TableSpec
    source : str
        Name of the table in messages (the file as given).
    drop_invalid : bool
        Drop the rows with problems and return their messages, instead of failing. A
        table-level problem (missing columns; constant inputs, or no rows, after dropping)
        fails all the same.
    problems : iterable of Problem, optional
        The problems to judge, when the caller found them (with :func:`find_problems` on
        parts of the table, plus checks of its own); default ``find_problems(frame, spec)``.

    Returns
    -------
    ValidatedTable
        ``frame``: the kept rows (labels kept), inputs and target as float64; ``dropped``:
        the messages of dropped rows; ``warnings``: inputs that say percent but hold
        fractions, a target that hardly varies, spec entries for other columns, constant
        inputs that ``spec.allow_constant`` permits.

    Raises
    ------
    TableError
        With one line per problem: ``row 7, column `Comma Gap [μm]`: not a number: 'abc'``.

    Examples
    --------
    >>> import pandas as pd
    >>> from surrogate.data import TableSpec
    >>> from surrogate.data.tables import validate_table
    >>> frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": [1.0, -2.0, 3.0, 5.0]})
    >>> spec = TableSpec(inputs=["a"], target="y")
    >>> validate_table(frame, spec, source="t.csv")
    Traceback (most recent call last):
    ...
    surrogate.data.tables.TableError: t.csv: 1 problem(s):
      row 2, column `y`: target -2 is not > 0 (the MAPE loss divides by it)
    >>> kept, dropped, warnings = validate_table(frame, spec, source="t.csv", drop_invalid=True)
    >>> kept.index.tolist(), len(dropped)
    ([0, 2, 3], 1)
    """
    if not frame.index.is_unique:
        if problems is not None:
            raise ValueError("row labels repeat: the problems given cannot name their rows")
        frame = frame.reset_index(drop=True)
    found = find_problems(frame, spec) if problems is None else list(problems)
    position = {label: i for i, label in enumerate(frame.index)}
    found = sorted(dict.fromkeys(found), key=lambda p: -1 if p.row is None else position[p.row])
    table_level = [p.message for p in found if p.row is None]
    row_level = [p for p in found if p.row is not None]
    kept = frame.drop(index=list(dict.fromkeys(p.row for p in row_level)))
    warnings = []
    if not table_level:
        kept = kept.copy()
        for name in spec.columns:
            kept[name] = pd.to_numeric(kept[name]).astype("float64")
        if len(kept) == 0:
            table_level.append(f"no valid rows (of {len(frame)})" if len(frame) else "no rows")
        for name in spec.inputs if len(kept) > 1 else ():
            if kept[name].nunique() != 1:
                continue
            value = _number(kept[name].iloc[0])
            if name in spec.allow_constant:
                warnings.append(f"input {_tick(name)} is {value} in every row (allowed)")
            else:
                table_level.append(
                    f"input {_tick(name)} is {value} in every valid row: a net cannot learn "
                    "from a constant input; leave it out of the inputs (or list it under "
                    "allow_constant when a table it transfers to varies it)"
                )
        if not table_level:
            warnings += _warnings(kept, spec)
    if table_level or (row_level and not drop_invalid):
        raise TableError(source, table_level + [p.message for p in row_level])
    return ValidatedTable(kept, [p.message for p in row_level], warnings)


# --------------------------------------------------------------------------------------------
# Dataset


def table_dataset(
    path_or_frame,
    spec: TableSpec,
    *,
    name: str | None = None,
    drop_invalid: bool = False,
    metadata: Mapping | None = None,
):
    """A :class:`~surrogate.data.frame.TableDataset` from a table file (or DataFrame) and a spec.

    Parameters
    ----------
    path_or_frame : str, Path or DataFrame
        A file for :func:`read_table`, or a DataFrame (its integer labels + 1 name its rows).
    spec : TableSpec
        Inputs, target, units, bounds, renames and row filter.
    name : str, optional
        Dataset name; default the file's stem (``"table"`` for a DataFrame).
    drop_invalid : bool
        Leave out the rows that fail validation (listed in the provenance) instead of failing.
    metadata : mapping, optional
        Metadata to record over the file's own (for a DataFrame, the only metadata).

    Returns
    -------
    TableDataset
        Inputs ``spec.inputs``, the single target ``spec.target``, units from the spec or
        else from the header (:func:`header_unit`), and a provenance: ``file`` (as given,
        never made absolute; None for a DataFrame), ``where``, ``spec``, ``metadata``,
        ``rows`` (in the table, selected, used), ``dropped_rows``, ``warnings``, and
        ``synthetic``: True only when the metadata say ``synthetic: true``.

    Raises
    ------
    TableError
        The table fails validation (every problem listed).
    ValueError, FileNotFoundError
        The file cannot be read, the renames clash, or the filter is bad or matches nothing.

    Examples
    --------
    >>> import pandas as pd
    >>> from surrogate.data import TableSpec, table_dataset
    >>> frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0], "y": [1.0, 2.0, 3.0]})
    >>> data = table_dataset(frame, TableSpec(inputs="a,b", target="y", where="a >= 2"))
    >>> data.name, len(data), data.provenance["rows"]
    ('table', 2, {'table': 3, 'selected': 2, 'used': 2})
    """
    from surrogate.data.frame import from_frame

    if isinstance(path_or_frame, pd.DataFrame):
        frame, read_metadata, file = path_or_frame.copy(), {}, None
        source = name or "table"
    else:
        frame, read_metadata = read_table(path_or_frame)
        file = str(path_or_frame)
        source = file
    read_metadata = {**read_metadata, **(metadata or {})}
    try:
        frame = spec.rename(frame)
        rows = len(frame)
        if spec.where:
            frame = apply_where(frame, spec.where)
    except ValueError as err:
        raise ValueError(f"{source}: {err}") from err
    valid = validate_table(frame, spec, source=source, drop_invalid=drop_invalid)
    synthetic = read_metadata.get("synthetic") is True
    provenance = {
        "file": file,
        "where": spec.where,
        "spec": spec.to_dict(),
        "metadata": read_metadata,
        "rows": {"table": rows, "selected": len(frame), "used": len(valid.frame)},
        "dropped_rows": valid.dropped,
        "warnings": valid.warnings,
        "synthetic": synthetic,
    }
    if synthetic:
        provenance["data"] = SYNTHETIC_NOTE
    if name is None:
        name = Path(file).stem if file else "table"
    units = {column: spec.units.get(column) or header_unit(column) for column in spec.columns}
    return from_frame(name, valid.frame, spec.inputs, [spec.target], units, provenance)
