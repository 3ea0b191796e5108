"""The surrogate CLI given what a hostile or careless user types: every case ends in exit 2 with
one line naming the value and what was expected, and prints valid JSON when it succeeds."""

import json

import numpy as np
import pytest

from generator.sweep.dataset import write_dataset
from generator.sweep.design import make_design
from tests.cli_runner import surrogate
from tests.conftest import one_line_error
from tests.surrogate.synthetic import synthetic_dataset_file

INPUTS = {
    "fiber_diameter_um": "9",
    "fiber_fraction": "0.18",
    "binder_fraction": "0.07",
    "thickness_um": "300",
    "compression": "0.2",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    synthetic_dataset_file(folder / "src.h5", 60, 1, 0.0)
    synthetic_dataset_file(folder / "dst.h5", 30, 2, 0.02)
    return folder


@pytest.fixture(scope="module")
def run(files):
    done = surrogate(
        "transfer", files / "src.h5", files / "dst.h5", "--splits", 1, "--epochs", 5,
        "--restarts", 1, "--members", 2, "--runs", files / "runs",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return next((files / "runs").iterdir())


def predict_args(run, **changes):
    pairs = {**INPUTS, **changes}
    return ["predict", run, *[a for k, v in pairs.items() for a in ("--set", f"{k}={v}")]]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"compression": "-100"}, "compression=-100 (row 1) is outside the range"),
        ({"compression": "nan"}, "compression='nan' (row 1) is not a finite number"),
        ({"compression": "inf"}, "compression='inf' (row 1) is not a finite number"),
        ({"compression": "abc"}, "compression='abc' (row 1) is not a finite number"),
    ],
)
def test_predict_refuses_values_it_cannot_answer(run, changes, message):
    assert message in one_line_error(surrogate(*predict_args(run, **changes)))


def test_predict_refuses_malformed_pairs(run):
    assert "--set 'x' must be name=value" in one_line_error(surrogate("predict", run, "--set", "x"))
    assert "give the inputs" in one_line_error(surrogate("predict", run))


def test_extrapolation_is_allowed_only_when_asked_and_then_warned(run):
    done = surrogate(*predict_args(run, compression="0.6"), "--allow-extrapolation")
    assert done.returncode == 0, done.stderr
    assert "warning: compression=0.6" in done.stderr
    assert np.isfinite(json.loads(done.stdout)["tortuosity"])  # strict JSON, finite


def test_a_csv_of_inputs_gives_one_json_line_per_row(run, files):
    csv = files / "in.csv"
    csv.write_text(",".join(INPUTS) + "\n" + ",".join(INPUTS.values()) + "\n" * 2)
    done = surrogate("predict", run, "--csv", csv)
    assert done.returncode == 0, done.stderr
    assert len([json.loads(line) for line in done.stdout.splitlines()]) == 1
    (files / "bad.csv").write_bytes(b"\xff\xfe\x00garbage")
    one_line_error(surrogate("predict", run, "--csv", files / "bad.csv"))


def bad_target_file(path, values):
    """40 samples whose targets are 1.05 but for rows 7, 8, ...: ``values``."""
    rows = []
    for r in make_design(40, domain="1000", seed=5).to_dict("records"):
        rows.append(dict(r, id=str(r["index"]), status="ok", error="", tau_lattice=1.1))
        rows[-1]["tau_euclidean"] = 1.05
    for row, value in enumerate(values, start=7):
        rows[row]["tau_euclidean"] = value
    write_dataset(path, rows, {"design": "test table with bad targets"})


def test_targets_no_mape_model_can_use_are_named_or_dropped(files, tmp_path):
    # Infinite, missing and zero: one row each, named together, dropped together.
    bad_target_file(tmp_path / "bad.h5", [np.inf, np.nan, 0.0])
    common = ["--splits", 1, "--epochs", 3, "--restarts", 1, "--members", 2]
    common += ["--runs", tmp_path / "runs"]
    line = one_line_error(surrogate("transfer", files / "src.h5", tmp_path / "bad.h5", *common))
    # Named as the sweep names them: by sample index.
    assert "3 row(s) cannot train a MAPE model on 'tortuosity': sample 7 (target" in line
    assert ", sample 8 (target" in line and ", sample 9 (target" in line
    assert "--drop-invalid" in line
    done = surrogate("transfer", files / "src.h5", tmp_path / "bad.h5", *common, "--drop-invalid")
    assert done.returncode == 0, done.stderr
    assert "dropped 3 invalid row(s)" in done.stderr
    assert all(f"sample {i}:" in done.stderr for i in (7, 8, 9))


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--epochs", "--epochs 0 must be a whole number of at least 1"),
        ("--restarts", "--restarts 0 must be a whole number of at least 1"),
        ("--splits", "--splits 0 must be at least 1"),
    ],
)
def test_zero_epochs_restarts_or_splits(files, option, message, tmp_path):
    done = surrogate(
        "transfer", files / "src.h5", files / "dst.h5", option, 0, "--runs", tmp_path / "runs"
    )
    assert message in one_line_error(done)
    assert not (tmp_path / "runs").exists()
