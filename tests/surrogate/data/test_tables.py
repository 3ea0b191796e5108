"""Tables of one's own: reading what a lab's Excel writes, the spec, the row filter, every
validation problem at once, the synthetic flag, and the electrode preset on the same path."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from surrogate.data.tables import (
    TableError,
    TableSpec,
    apply_where,
    parse_inputs,
    read_table,
    table_dataset,
    validate_table,
)

ROOT = Path(__file__).resolve().parents[3]

# One small table, written several ways below. Numbers chosen to be awkward in binary.
NAMES = ["Active Material [%]", "σ Mass Loading", "Comma Gap [μm]", "Dichte [g/cm³]"]
CLEAN = ["am", "loading", "gap", "density"]
VALUES = [
    [93.5, 5.25, 200.0, 1.31],
    [94.1, 4.5, 210.5, 0.1],
    [95.25, 6.0, 1000.0, 1.4567],
    [91.0, 0.0015, 150.0, 2.2],
]
# The same numbers as a German-locale Excel writes them: ";" separator, decimal commas.
GERMAN_CELLS = [
    ["93,5", "5,25", "200", "1,31"],
    ["94,1", "4,5", "210,5", "0,1"],
    ["95,25", "6", "1000", "1,4567"],
    ["91", "1,5E-03", "150", "2,2"],
]


def german_bytes() -> bytes:
    """CSV bytes as Excel "CSV UTF-8" writes them in a German locale, plus comment lines."""
    lines = [
        "# exported: 2024-05-01 10:00",
        "# Labor Nord, Linie 2",
        ";".join(NAMES),
        *(";".join(row) for row in GERMAN_CELLS),
    ]
    return b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n"


def expected_frame(columns=NAMES) -> pd.DataFrame:
    return pd.DataFrame(VALUES, columns=columns, dtype="float64")


# --- reading -----------------------------------------------------------------------------


def test_a_german_excel_csv_reads_to_the_numbers_of_a_clean_csv(tmp_path):
    (tmp_path / "labor.csv").write_bytes(german_bytes())
    expected_frame(CLEAN).to_csv(tmp_path / "clean.csv", index=False)

    german, meta = read_table(tmp_path / "labor.csv")
    clean, clean_meta = read_table(tmp_path / "clean.csv")

    assert list(german.columns) == NAMES  # brackets, units, unicode exactly as typed
    assert meta["separator"] == ";" and meta["decimal"] == ","
    assert meta["encoding"] == "utf-8-sig" and meta["exported"] == "2024-05-01 10:00"
    assert "synthetic" not in meta
    assert clean_meta["separator"] == "," and clean_meta["decimal"] == "."
    renamed = german.rename(columns=dict(zip(NAMES, CLEAN, strict=True)))
    pd.testing.assert_frame_equal(renamed, clean, check_exact=True)
    # And both are the numbers themselves, not just the same misreading.
    assert german.to_numpy().tolist() == VALUES


def test_xlsx_written_with_openpyxl_and_parquet_round_trip(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Messungen"
    sheet.append(["# synthetic: false"])
    sheet.append(NAMES)
    for row in VALUES:
        sheet.append(row)
    book.create_sheet("Notizen").append(["nothing here"])
    book.save(tmp_path / "labor.xlsx")
    frame, meta = read_table(tmp_path / "labor.xlsx")
    pd.testing.assert_frame_equal(frame, expected_frame(), check_exact=True, check_dtype=False)
    assert meta["sheet"] == "Messungen" and meta["synthetic"] is False
    with pytest.raises(ValueError, match=r"no sheet 'Tabelle1'.*Messungen"):
        read_table(tmp_path / "labor.xlsx", sheet="Tabelle1")

    expected_frame().to_parquet(tmp_path / "labor.parquet")
    frame, meta = read_table(tmp_path / "labor.parquet")
    pd.testing.assert_frame_equal(frame, expected_frame(), check_exact=True)
    assert meta["format"] == "parquet"


def test_separators_and_the_decimal_mark_are_sniffed_not_guessed(tmp_path):
    (tmp_path / "tabs.txt").write_text("a b\tc [%]\n1,5\t2\n3\t4,25\n")
    frame, meta = read_table(tmp_path / "tabs.txt")
    assert meta["separator"] == "\t" and meta["decimal"] == ","
    assert frame["a b"].tolist() == [1.5, 3.0] and frame["c [%]"].tolist() == [2.0, 4.25]
    # Comma separated: "0,55" in quotes is a cell that is not a number, never a decimal comma.
    (tmp_path / "comma.csv").write_text('a,b\n"0,55",1\n"0,65",2\n')
    frame, meta = read_table(tmp_path / "comma.csv")
    assert meta["separator"] == "," and meta["decimal"] == "."
    assert frame["a"].tolist() == ["0,55", "0,65"]
    # Semicolons with decimal points stay decimal points; Excel's sep= line is honoured.
    (tmp_path / "points.csv").write_text("sep=;\nx;y\n1.5;2\n2.5;3\n")
    frame, meta = read_table(tmp_path / "points.csv")
    assert meta["separator"] == ";" and meta["decimal"] == "."
    assert frame["x"].tolist() == [1.5, 2.5]


def test_windows_1252_and_comment_lines_between_rows(tmp_path):
    text = "Gap [µm];x\n1,5;2\n# checked by A.\n\n2,5;3\n"
    (tmp_path / "ansi.csv").write_bytes(text.encode("cp1252"))
    frame, meta = read_table(tmp_path / "ansi.csv")
    assert meta["encoding"] == "cp1252" and list(frame.columns) == ["Gap [µm]", "x"]
    assert frame["Gap [µm]"].tolist() == [1.5, 2.5]
    # Labels count data rows: the comment line is not a row, the blank line is (row 2).
    assert frame.index.tolist() == [0, 2]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("t.json", "{}", r"unsupported table type '\.json'; supported: \.csv.*\.xlsx.*\.parquet"),
        ("t.csv", "", "t.csv: empty file"),
        ("t.csv", "# only: comments\n\n", "t.csv: empty file"),
        ("t.csv", "a,b\n1,2\n3,4,5\n", "t.csv: data row 2 has 3 cells but the header names 2"),
        ("t.csv", "a,a ,b\n1,2,3\n", "t.csv: column names appear more than once: `a`"),
        ("t.xlsx", "not a workbook", "t.xlsx: unreadable as an Excel workbook"),
    ],
)
def test_unreadable_files_fail_with_one_line_naming_the_file(tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    with pytest.raises(ValueError, match=message) as caught:
        read_table(tmp_path / name)
    assert "\n" not in str(caught.value)


def test_missing_file_and_legacy_xls(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.csv: no such file"):
        read_table(tmp_path / "nowhere.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    try:
        import xlrd  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match="old.xls: .*save it as .xlsx or CSV"):
            read_table(tmp_path / "old.xls")
    else:
        with pytest.raises(ValueError, match="old.xls"):
            read_table(tmp_path / "old.xls")


# --- spec --------------------------------------------------------------------------------


def test_spec_files_in_yaml_and_json_and_the_dict_round_trip(tmp_path):
    (tmp_path / "spec.yaml").write_text(
        "inputs: Active Material [%], σ Mass Loading\n"
        "target: density\n"
        "units: {density: g/cm3}\n"
        "bounds:\n  'Active Material [%]': [0, 100]\n  density: [0, null]\n"
        "renames: {'Dichte [g/cm³]': density}\n"
        'where: "`Comma Gap [μm]` < 500"\n',
        encoding="utf-8",
    )
    spec = TableSpec.from_file(tmp_path / "spec.yaml")
    assert spec.inputs == ("Active Material [%]", "σ Mass Loading")
    assert spec.bounds == {"Active Material [%]": (0.0, 100.0), "density": (0.0, None)}
    assert spec.renames == {"Dichte [g/cm³]": "density"}
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    assert TableSpec.from_file(tmp_path / "spec.json") == spec
    assert TableSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec

    (tmp_path / "bad.yaml").write_text("inputs: [a]\ntarget: b\ncolour: red\nWhere: x\n")
    with pytest.raises(ValueError) as caught:
        TableSpec.from_file(tmp_path / "bad.yaml")
    assert "bad.yaml" in str(caught.value) and "Where, colour" in str(caught.value)
    assert "allowed: inputs, target, units, bounds, renames, where" in str(caught.value)
    with pytest.raises(ValueError, match="bad filter clause"):
        TableSpec(inputs=("a",), target="b", where="a = 1")
    with pytest.raises(ValueError, match="target `b` is also an input"):
        TableSpec(inputs=("a", "b"), target="b")


def test_parse_inputs_splits_on_commas_and_keeps_names_as_typed():
    assert parse_inputs(" Active Material [%],B ,σ C ") == ["Active Material [%]", "B", "σ C"]
    for bad in ("", "a,,b", "a,b,a"):
        with pytest.raises(ValueError):
            parse_inputs(bad)


# --- row filter --------------------------------------------------------------------------

FILTER_TABLE = pd.DataFrame(
    {
        "Chemistry": ["graphite", " graphite ", "nmc", "Graphite", "graphite", None, "nmc"],
        "Active Material [%]": [93.0, 95.0, 96.0, 94.0, 91.0, 97.0, np.nan],
        "σ Mass Loading": [5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0],
    },
    index=[10, 11, 12, 13, 14, 15, 16],
)


@pytest.mark.parametrize(
    "where, labels",
    [
        # case sensitive ("Graphite" is not), cell whitespace ignored (" graphite " is)
        ("Chemistry == 'graphite'", [10, 11, 14]),
        ('Chemistry != "graphite"', [12, 13, 16]),  # the missing cell matches nothing
        ("Chemistry == 'graphite' and `Active Material [%]` >= 93", [10, 11]),
        ("`Active Material [%]` > 93.5 and `σ Mass Loading` <= 8", [11, 12, 13]),
        ("`σ Mass Loading` < 6e0", [10]),
    ],
)
def test_the_filter_keeps_the_rows_counted_by_hand_with_their_labels(where, labels):
    assert apply_where(FILTER_TABLE, where).index.tolist() == labels


@pytest.mark.parametrize(
    "where",
    [
        "__import__('os').system('x')",
        "Chemistry = 'graphite'",
        "Chemistry == graphite",
        "Chemistry == 'graphite' or Chemistry == 'nmc'",
        "Active Material [%] > 90",
        "Chemistry == 'graphite' and",
        "@pd.io.common.os.system('x') == 1",
    ],
)
def test_bad_filter_syntax_is_refused_naming_the_clause(where):
    with pytest.raises(ValueError, match="bad filter clause") as caught:
        apply_where(FILTER_TABLE, where)
    assert "COLUMN OP VALUE" in str(caught.value)


def test_unknown_columns_text_against_numbers_and_no_match():
    with pytest.raises(ValueError) as caught:
        apply_where(FILTER_TABLE, "Chemistry == 'nmc' and Colour == 'red'")
    message = str(caught.value)
    assert "Colour == 'red'" in message and "no column `Colour`" in message
    assert "`Chemistry`, `Active Material [%]`, `σ Mass Loading`" in message
    with pytest.raises(ValueError, match="holds text, not numbers"):
        apply_where(FILTER_TABLE, "Chemistry == 3")
    with pytest.raises(ValueError, match="the filter \"Chemistry == 'lfp'\" matches none of the 7"):
        apply_where(FILTER_TABLE, "Chemistry == 'lfp'")


# --- validation --------------------------------------------------------------------------


def test_a_table_missing_many_columns_lists_every_one(tmp_path):
    inputs = [f"Input {i} [mm]" for i in range(10)]
    pd.DataFrame({"Input 0 [mm]": [1.0, 2.0], "y": [1.0, 2.0]}).to_csv(
        tmp_path / "few.csv", index=False
    )
    spec = TableSpec(inputs=inputs, target="y")
    with pytest.raises(TableError) as caught:
        table_dataset(tmp_path / "few.csv", spec, drop_invalid=True)
    problems = caught.value.problems
    assert problems == [f"missing column `Input {i} [mm]`" for i in range(1, 10)]
    assert "9 problem(s)" in str(caught.value)


BAD_ROWS = """# key: value
Active Material [%];Comma Gap [μm];Speed;y
93;200;0,3;1,2
94;abc;0,3;1,3
95;;0,4;1,4
96;2500;0,4;1,5
# a comment line is not a row
97;210;0,5;-1
98;220;0,5;0
93;200;0,3;1,2
99;230;0,6;inf
90;240;0,7;
"""


def test_every_problem_is_reported_at_once_with_its_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    spec = TableSpec(
        inputs=("Active Material [%]", "Comma Gap [μm]", "Speed"),
        target="y",
        units={"Comma Gap [μm]": "μm"},
        bounds={"Comma Gap [μm]": (0, 2000)},
    )
    expected = [
        "row 2, column `Comma Gap [μm]`: not a number: 'abc'",
        "row 3, column `Comma Gap [μm]`: missing value",
        "row 4, column `Comma Gap [μm]`: 2500 is outside [0, 2000] μm",
        "row 5, column `y`: target -1 is not > 0 (the MAPE loss divides by it)",
        "row 6, column `y`: target 0 is not > 0 (the MAPE loss divides by it)",
        "row 7: duplicate of row 1 (same inputs and target)",
        "row 8, column `y`: not finite: inf",
        "row 9, column `y`: missing value",
    ]
    with pytest.raises(TableError) as caught:
        table_dataset(path, spec)
    assert caught.value.problems == expected
    assert str(caught.value).startswith(f"{path}: 8 problem(s):")

    data = table_dataset(path, spec, drop_invalid=True)
    assert data.provenance["dropped_rows"] == expected
    assert data.inputs.to_numpy().tolist() == [[93.0, 200.0, 0.3]]  # only row 1 is sound
    # One row left: a constant input cannot be judged (and training refuses so few rows).


def test_a_constant_input_is_refused_by_name_even_when_dropping(tmp_path):
    frame = pd.DataFrame(
        {"a [%]": [90.0, 91.0, 92.0], "Coating Speed": [0.3, 0.3, "x"], "y": [1.0, 2.0, 3.0]}
    )
    spec = TableSpec(inputs=("a [%]", "Coating Speed"), target="y")
    with pytest.raises(TableError) as caught:
        validate_table(frame, spec, source="lab.csv", drop_invalid=True)
    constant, cell = caught.value.problems  # the table-level problem first, then the rows
    assert constant.startswith("input `Coating Speed` is 0.3 in every valid row")
    assert cell == "row 3, column `Coating Speed`: not a number: 'x'"
    allowed = TableSpec(inputs=spec.inputs, target="y", allow_constant=("Coating Speed",))
    frame_out, dropped, warnings = validate_table(
        frame, allowed, source="lab.csv", drop_invalid=True
    )
    assert dropped == ["row 3, column `Coating Speed`: not a number: 'x'"]
    assert "input `Coating Speed` is 0.3 in every row (allowed)" in warnings
    assert frame_out.dtypes.tolist() == ["float64"] * 3


def test_percent_columns_holding_fractions_are_a_warning_not_an_error():
    spec = TableSpec(inputs=("Active Material [%]", "solids", "b"), target="y")
    frame = pd.DataFrame(
        {
            "Active Material [%]": [0.93, 0.95, 0.91],
            "solids": [0.3, 0.4, 0.5],
            "b": [1.0, 2.0, 3.0],
            "y": [1.0, 2.0, 3.0],
        }
    )
    _, _, warnings = validate_table(frame, spec, source="t")
    assert warnings == [
        "column `Active Material [%]` says percent but all its values lie in [0, 1]: they look "
        "like fractions"
    ]
    by_unit = TableSpec(inputs=spec.inputs, target="y", units={"solids": "%"})
    percents = frame.assign(**{"Active Material [%]": [93, 95, 91]})
    _, _, warnings = validate_table(percents, by_unit, source="t")
    assert [w.split(" says")[0] for w in warnings] == ["column `solids`"]
    flat = frame.assign(y=[2.0, 2.0, 2.0 + 1e-9])
    _, _, warnings = validate_table(flat, spec, source="t")
    assert any(w.startswith("target `y` spans less than 1e-6 relative") for w in warnings)


# --- datasets and the synthetic flag -----------------------------------------------------


def test_table_dataset_renames_filters_and_records_the_file_as_given(tmp_path, monkeypatch):
    lines = german_bytes().decode("utf-8-sig").splitlines()
    lines[2] += ";Chemistry"
    lines[3:] = [line + (";graphite" if i % 2 == 0 else ";nmc") for i, line in enumerate(lines[3:])]
    (tmp_path / "labor.csv").write_text("\n".join(lines), encoding="utf-8")
    spec = TableSpec(
        inputs=("Active Material [%]", "σ Mass Loading", "Comma Gap [μm]"),
        target="density",
        units={"density": "g/cm3"},
        renames={"Dichte [g/cm³]": "density"},
        where="Chemistry == 'graphite'",
    )
    monkeypatch.chdir(tmp_path)
    data = table_dataset("labor.csv", spec)
    assert data.name == "labor" and data.feature_names == list(spec.inputs)
    assert list(data.targets.columns) == ["density"] and data.units["density"] == "g/cm3"
    assert data.targets["density"].tolist() == [VALUES[0][3], VALUES[2][3]]
    provenance = data.provenance
    assert provenance["file"] == "labor.csv" and provenance["where"] == spec.where
    assert provenance["spec"] == spec.to_dict() and provenance["metadata"]["decimal"] == ","
    assert provenance["rows"] == {"table": 4, "selected": 2, "used": 2}
    assert provenance["synthetic"] is False and "data" not in provenance
    json.dumps(provenance)  # recordable in a run as it is


def _dataset(tmp_path, name, header, columns="a,b,y"):
    path = tmp_path / name
    path.write_text(header + columns + "\n1,2,3\n2,3,5\n4,1,2\n")
    return table_dataset(path, TableSpec(inputs=("a", "b"), target="y"))


def test_synthetic_only_when_the_file_says_so_in_a_leading_line(tmp_path):
    assert _dataset(tmp_path, "said.csv", "# synthetic: true\n").provenance["synthetic"] is True
    said = _dataset(tmp_path, "said2.csv", "# about: demo\n# Synthetic: yes\n").provenance
    assert said["synthetic"] is True and "SYNTHETIC" in said["data"]
    # A file named synthetic, text that merely mentions it, or the flag set false: not synthetic.
    cases = {
        "synthetic_table.csv": "",
        "notes.csv": "# note: not synthetic: false alarm\n# synthetic data? no, measured\n",
        "false.csv": "# synthetic: false\n",
    }
    for name, header in cases.items():
        assert _dataset(tmp_path, name, header).provenance["synthetic"] is False, name
    column = _dataset(tmp_path, "column.csv", "", columns="a,b,y,synthetic: false").provenance
    assert column["synthetic"] is False
    # A flag after the header is an ordinary comment, not metadata.
    (tmp_path / "late.csv").write_text("a,b,y\n1,2,3\n# synthetic: true\n2,3,5\n4,1,2\n")
    late = table_dataset(tmp_path / "late.csv", TableSpec(inputs=("a", "b"), target="y"))
    assert late.provenance["synthetic"] is False
    with pytest.raises(ValueError, match="synthetic must be true or false"):
        _dataset(tmp_path, "maybe.csv", "# synthetic: maybe\n")


def test_electrode_presets_are_specs_on_the_generic_path():
    from surrogate.data.electrodes import DEFAULT_TABLE, electrode_dataset, electrode_spec
    from workflows.make_electrode_table import ROWS

    spec = electrode_spec("sigra", "mass_loading")
    assert spec.target == "mass_loading" and spec.where == "chemistry == 'si-graphite'"
    assert spec.renames["mass_loading_mg_cm2"] == "mass_loading"
    assert spec.bounds["mass_loading"] == (0.01, 100.0)
    generic = table_dataset(DEFAULT_TABLE, spec)
    preset = electrode_dataset("sigra")
    assert len(generic) == ROWS["si-graphite"] == len(preset)
    assert generic.targets["mass_loading"].tolist() == preset.targets["mass_loading"].tolist()
    assert generic.provenance["synthetic"] is True and preset.provenance["synthetic"] is True


def test_the_shipped_electrode_table_is_found_from_any_directory_and_is_synthetic(tmp_path):
    script = (
        "import json\n"
        "from surrogate.data.registry import load_dataset\n"
        "from surrogate.data.electrodes import load_electrode_table\n"
        "valid, dropped, meta = load_electrode_table()\n"
        "data = load_dataset('nmc')\n"
        "print(json.dumps({'rows': len(valid), 'synthetic': meta['synthetic'],\n"
        "    'nmc': len(data), 'nmc_synthetic': data.provenance['synthetic'],\n"
        "    'file': data.provenance['file']}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {
        "rows": 351,
        "synthetic": True,
        "nmc": 63,
        "nmc_synthetic": True,
        "file": "data/electrodes_synthetic.csv",
    }


def test_units_come_from_the_spec_or_else_the_header():
    frame = pd.DataFrame(
        {"Gap (µm)": [1.0, 2.0, 3.0], "speed": [3.0, 1.0, 2.0], "Mass Loading [mg/cm²]": [1, 2, 4]}
    )
    spec = TableSpec(inputs=["Gap (µm)", "speed"], target="Mass Loading [mg/cm²]")
    data = table_dataset(frame, spec)
    assert data.units == {"Gap (µm)": "µm", "speed": "", "Mass Loading [mg/cm²]": "mg/cm²"}
    # A unit the spec gives wins over the header's.
    spec = TableSpec(inputs=["Gap (µm)", "speed"], target="Mass Loading [mg/cm²]",
                     units={"Mass Loading [mg/cm²]": "g/m²", "speed": "m/min"})  # fmt: skip
    assert table_dataset(frame, spec).units == {
        "Gap (µm)": "µm", "speed": "m/min", "Mass Loading [mg/cm²]": "g/m²"
    }  # fmt: skip


def test_rows_are_named_by_the_tables_id_column_or_counted_from_1():
    from surrogate.data.tables import row_names

    assert row_names(pd.DataFrame({"x": [5.0, 6.0, 7.0]})) == ("row", [1, 2, 3])
    named = pd.DataFrame({"Sample ID": ["A7", "B2"], "x": [5.0, 6.0]})
    assert row_names(named) == ("Sample ID", ["A7", "B2"])
    # An id column that repeats a value cannot name rows: counted instead.
    assert row_names(named.assign(**{"Sample ID": ["A7", "A7"]})) == ("row", [1, 2])
