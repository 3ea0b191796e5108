"""Runs that know their table: folder names that say source, destination and target and never
collide, each warning once, rows numbered as the user's table numbers them, and no paper
numbers for a table that is not the paper's."""

import json
from datetime import UTC, datetime

import pandas as pd

from surrogate.data.frame import from_frame
from surrogate.evaluation import rundir
from surrogate.evaluation.sides import dataset_notes
from tests.cli_runner import surrogate
from tests.conftest import one_line_error


def test_run_folders_in_the_same_second_get_a_suffix_never_the_same_folder(tmp_path, monkeypatch):
    class Frozen:
        @staticmethod
        def now(tz=None):
            return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    monkeypatch.setattr(rundir, "datetime", Frozen)
    names = ("coating where Chemistry == 'Graphite'", "coating where Chemistry == 'NMC'", "y [g]")
    first = rundir.new_run_dir(tmp_path, "transfer", *names)
    (first / "metrics.json").write_text("{}")
    second = rundir.new_run_dir(tmp_path, "transfer", *names)
    third = rundir.new_run_dir(tmp_path, "transfer", *names)
    expected = "20260102T030405-transfer-coating_where_Chemistry_Graphite-to-"
    expected += "coating_where_Chemistry_NMC-y_g"
    assert [first.name, second.name, third.name] == [expected, f"{expected}-2", f"{expected}-3"]
    assert (first / "metrics.json").read_text() == "{}" and not any(second.iterdir())
    pretrain = rundir.new_run_dir(tmp_path, "pretrain", "coating", "y [g]")
    assert pretrain.name == "20260102T030405-pretrain-coating-y_g"


def test_a_warning_both_sides_of_one_table_share_is_said_once():
    frame = pd.DataFrame({"a": [1.0, 2.0], "y": [1.0, 2.0]})
    sides = [from_frame(n, frame, ["a"], ["y"], provenance={"warnings": ["looks odd"]})
             for n in ("graphite rows", "nmc rows")]  # fmt: skip
    lines = dataset_notes(sides, ["lab.csv", "lab.csv"])
    assert lines == ["warning: lab.csv: looks odd"]
    # Two files: each says it.
    assert len(dataset_notes(sides, ["a.csv", "b.csv"])) == 2


def test_a_transfer_of_a_table_not_the_papers_has_no_paper_numbers(transfer_run):
    run = transfer_run.run
    assert "-transfer-src-to-dst-tortuosity" in run.name
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["paper"] is None and "paper_table_2_mape_percent" not in metrics
    assert "paper" not in (run / "report.md").read_text().lower().replace("paper's", "")
    assert "MAE (dimensionless)" in transfer_run.stdout  # a sweep's tortuosity: unit "1"


def test_predict_names_rows_as_the_users_table_does(transfer_run, tmp_path):
    run = transfer_run.run
    ranges = json.loads((run / "transferred_ensemble.json").read_text())["input_range"]
    middle = {name: (low + high) / 2 for name, (low, high) in ranges.items()}
    # A user's table: an id column, a column of notes and the inputs; the second row's
    # compression far outside the trained range.
    rows = pd.DataFrame([middle, {**middle, "compression": 0.99}, middle])
    rows.insert(0, "Sample ID", ["A7", "B2", "C9"])
    rows["note"] = ["ok", "pressed hard", "ok"]
    rows.to_csv(tmp_path / "mine.csv", index=False)
    line = one_line_error(surrogate("predict", run, "--csv", tmp_path / "mine.csv"))
    assert "compression=0.99 (Sample ID 'B2') is outside the range" in line
    done = surrogate("predict", run, "--csv", tmp_path / "mine.csv", "--allow-extrapolation")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["Sample ID"] for r in records] == ["A7", "B2", "C9"]
    assert list(records[0])[0] == "Sample ID" and "note" not in records[0]
    # Without an id column: rows counted from 1, as a spreadsheet's data rows.
    rows.drop(columns="Sample ID").to_csv(tmp_path / "plain.csv", index=False)
    line = one_line_error(surrogate("predict", run, "--csv", tmp_path / "plain.csv"))
    assert "compression=0.99 (row 2) is outside the range" in line


def test_a_training_rows_own_value_is_inside_its_range(transfer_run, tmp_path):
    import numpy as np

    run = transfer_run.run
    ranges = json.loads((run / "transferred.json").read_text())["input_range"]
    # Each input at an end of its trained range, written as a table holds it: the shortest
    # decimal of the float32 the net trained on, which float64 may read a hair outside.
    row, trapped = {}, 0
    for name, (low, high) in ranges.items():
        texts = [np.format_float_positional(np.float32(v), unique=True) for v in (low, high)]
        below, above = float(texts[0]) < low, float(texts[1]) > high
        row[name] = texts[1] if above and not below else texts[0]
        trapped += below or above
    assert trapped  # at least one value float64 puts outside: the trap is set
    pd.DataFrame([row]).to_csv(tmp_path / "edge.csv", index=False)
    done = surrogate("predict", run, "--csv", tmp_path / "edge.csv", "--model", "transferred")
    assert done.returncode == 0, done.stderr
    assert "outside" not in done.stderr
