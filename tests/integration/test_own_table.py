"""A lab's own table through the surrogate CLI, as a stranger would run it (issue: any table).

Real files and the real command (run in this process, to spare each call the import of torch),
from another working directory; the references are independent: the same data written as a
plain CSV by pandas, a saved net compared bit for bit, and counts of rows and columns made by
hand.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from generator.sweep.dataset import SHIPPED_DATA
from tests.cli_runner import surrogate
from tests.conftest import one_line_error

EXAMPLE = SHIPPED_DATA / "examples" / "coating_trials.csv"
INPUTS = "Active Material [%],Solid Content [%],Comma Gap [µm],Calender Gap [µm]"
TARGET = "Mass Loading [mg/cm²]"
QUICK = ["--epochs", "5", "--restarts", "1"]
# Transfers here test tables, not intervals (tests/surrogate/estimators/test_ensemble.py):
# a small ensemble.
SMALL_ENSEMBLE = ["--members", "2"]


def only_run(folder: Path) -> Path:
    (run,) = list(folder.iterdir())
    return run


@pytest.fixture(scope="module")
def plain_copy(tmp_path_factory):
    """The example's data as a plain comma-separated, decimal-point CSV without metadata,
    written by pandas from a frame parsed here independently of the project's reader."""
    folder = tmp_path_factory.mktemp("plain")
    lines = [
        line
        for line in EXAMPLE.read_text(encoding="utf-8-sig").splitlines()
        if not line.startswith("#")
    ]
    header, *rows = (line.split(";") for line in lines)
    frame = pd.DataFrame(
        [[cell if i == 0 else float(cell.replace(",", ".")) for i, cell in enumerate(row)]
         for row in rows],
        columns=header,
    )  # fmt: skip
    path = folder / "coating_trials_plain.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def transfers(plain_copy, tmp_path_factory):
    """The same transfer run on the European-locale example and on its plain copy."""
    runs = {}
    for label, table in (("european", EXAMPLE), ("plain", plain_copy)):
        cwd = tmp_path_factory.mktemp(label)
        done = surrogate(
            "transfer", table, table, "--inputs", INPUTS, "--target", TARGET,
            "--source-where", "Chemistry == 'Graphite'", "--dest-where", "Chemistry == 'NMC'",
            "--splits", "2", *QUICK, *SMALL_ENSEMBLE, cwd=cwd,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        runs[label] = only_run(cwd / "runs")
    return runs


def test_a_european_csv_trains_exactly_like_the_same_data_in_a_plain_csv(transfers):
    metrics = {k: json.loads((run / "metrics.json").read_text()) for k, run in transfers.items()}
    assert metrics["european"]["rows"] == metrics["plain"]["rows"]
    # 60 Graphite and 30 NMC rows, counted in the file by hand.
    assert metrics["plain"]["rows"]["source"] == 60
    assert metrics["plain"]["rows"]["destination"] == 30
    for method, scores in metrics["plain"]["methods"].items():
        assert metrics["european"]["methods"][method]["mape"]["values"] == pytest.approx(
            scores["mape"]["values"], rel=1e-6
        ), method


def test_only_the_flagged_table_is_reported_as_synthetic(transfers):
    # The example carries "# synthetic: true"; its plain copy is the same numbers without it.
    assert "Synthetic data" in (transfers["european"] / "report.md").read_text()
    assert "Synthetic data" not in (transfers["plain"] / "report.md").read_text()
    assert "synthetic" not in (transfers["plain"] / "report.md").read_text().lower()


def test_the_report_names_its_verdicts_with_the_test(transfers):
    report = (transfers["plain"] / "report.md").read_text()
    assert "the same MLP trained on the target alone" in report
    assert "corrected resampled t-test" in report
    assert "paper MAPE" not in report  # the paper has no such table


@pytest.fixture(scope="module")
def pretrain_run(plain_copy, tmp_path_factory):
    cwd = tmp_path_factory.mktemp("pretrain")
    done = surrogate(
        "pretrain", plain_copy, "--inputs", INPUTS, "--target", TARGET,
        "--where", "Chemistry == 'Graphite'", "--hidden", "4,3", *QUICK, cwd=cwd,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "trainable parameters" in done.stdout
    return only_run(cwd / "runs")


def test_a_pretrain_run_transfers_without_retraining(pretrain_run, plain_copy, tmp_path):
    done = surrogate(
        "transfer", pretrain_run, plain_copy, "--dest-where", "Chemistry == 'NMC'",
        "--splits", "2", *QUICK, *SMALL_ENSEMBLE, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = only_run(tmp_path / "runs")
    saved = torch.load(pretrain_run / "pretrained.pt", weights_only=True)
    reused = torch.load(run / "pretrained.pt", weights_only=True)
    transferred = torch.load(run / "transferred.pt", weights_only=True)
    for key, tensor in saved.items():
        assert torch.equal(reused[key], tensor), key
        assert torch.equal(transferred[f"pretrained.{key}"], tensor), key
    metrics = json.loads((run / "metrics.json").read_text())
    # 4 inputs -> 4 -> 3 -> 1: (4*4 + 4) + (4*3 + 3) + (3 + 1) = 39, counted by hand; only
    # the adapter (1 -> 3 -> 1: 10) trained here.
    assert metrics["architecture"]["trainable_pretrained"] == 39
    assert metrics["architecture"]["trainable_adapter"] == 10
    assert metrics["architecture"]["pretrained_from_run"] is True
    assert "pretrained_on_source" not in metrics["methods"]
    # Named by the rows the net learned from (the pretrain's filter), not "saved net", in the
    # metrics, the report and the run folder's name.
    assert metrics["source"] == "coating_trials_plain where Chemistry == 'Graphite'"
    assert "saved by an earlier run" in (run / "report.md").read_text()
    assert "-transfer-coating_trials_plain_where_Chemistry_Graphite-to-" in run.name
    # The same pretrained predictions from both runs, through the CLI.
    point = [
        "--set", "Active Material [%]=94", "--set", "Solid Content [%]=50",
        "--set", "Comma Gap [µm]=200", "--set", "Calender Gap [µm]=100",
    ]  # fmt: skip
    answers = [
        surrogate(
            "predict",
            folder,
            "--model",
            "pretrained",
            *point,
            "--allow-extrapolation",
            cwd=tmp_path,
        )  # fmt: skip
        for folder in (pretrain_run, run)
    ]
    assert all(a.returncode == 0 for a in answers), [a.stderr for a in answers]
    assert json.loads(answers[0].stdout)[TARGET] == json.loads(answers[1].stdout)[TARGET]


def test_explain_and_predict_on_a_pretrain_run(pretrain_run, tmp_path):
    explained = surrogate("explain", pretrain_run, cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert (pretrain_run / "shap_pretrained_beeswarm.png").is_file()
    assert float(explained.stdout.strip().splitlines()[-1].split("=")[-1]) < 1e-4
    low, high = json.loads((pretrain_run / "pretrained.json").read_text())["input_range"][
        "Comma Gap [µm]"
    ]
    point = [
        "--set", "Active Material [%]=94", "--set", "Solid Content [%]=50",
        "--set", f"Comma Gap [µm]={(low + high) / 2}", "--set", "Calender Gap [µm]=100",
    ]  # fmt: skip
    answer = surrogate("predict", pretrain_run, *point, "--allow-extrapolation", cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert np.isfinite(json.loads(answer.stdout)[TARGET])
    far = surrogate("predict", pretrain_run, *point[:4], "--set", f"Comma Gap [µm]={3 * high}",
                    *point[6:], cwd=tmp_path)  # fmt: skip
    assert far.returncode == 2 and "outside the range" in one_line_error(far)


def test_explain_and_predict_on_an_electrode_preset_run(tmp_path):
    done = surrogate(
        "transfer", "graphite", "nmc", "--target", "density", "--splits", "1", *QUICK,
        *SMALL_ENSEMBLE,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = only_run(tmp_path / "runs")
    assert "Synthetic data" in (run / "report.md").read_text()  # the shipped table's flag
    explained = surrogate("explain", run, cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert (run / "shap_transferred_beeswarm.png").is_file()
    ranges = json.loads((run / "transferred.json").read_text())["input_range"]
    point = [arg for name, (lo, hi) in ranges.items() for arg in ("--set", f"{name}={lo}")]
    answer = surrogate("predict", run, *point, cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert 0.5 < json.loads(answer.stdout)["density"] < 5


def test_a_table_too_small_to_split_names_the_minimum(plain_copy, tmp_path):
    small = tmp_path / "small.csv"
    pd.read_csv(plain_copy).head(8).to_csv(small, index=False)
    done = surrogate("pretrain", small, "--inputs", INPUTS, "--target", TARGET, cwd=tmp_path)
    assert done.returncode == 2
    assert "has 8 usable row(s)" in one_line_error(done)
    assert "needs at least 10" in one_line_error(done)


def test_different_inputs_on_the_two_sides_are_listed(tmp_path):
    done = surrogate("transfer", "gdl200", "graphite", "--target", "density", cwd=tmp_path)
    assert done.returncode == 2
    message = one_line_error(done)
    assert "only in gdl200: ['fiber_diameter_um'" in message
    assert "only in graphite: ['am_wt_percent'" in message


def test_a_table_without_named_columns_lists_its_columns(tmp_path):
    done = surrogate("transfer", EXAMPLE, EXAMPLE, cwd=tmp_path)
    assert done.returncode == 2
    message = one_line_error(done)
    assert "name its inputs and its target" in message and "Calender Gap [µm]" in message


def test_drop_invalid_lists_each_row_once_under_its_table(tmp_path):
    table = pd.read_csv(SHIPPED_DATA / "electrodes_synthetic.csv", comment="#", dtype=str)
    chemistry = table["chemistry"]
    graphite_row = int(np.flatnonzero(chemistry == "graphite")[3])
    nmc_row = int(np.flatnonzero(chemistry == "nmc")[2])
    table.loc[graphite_row, "density_g_cm3"] = "abc"
    table.loc[nmc_row, "comma_gap_um"] = "-5"
    table.loc[graphite_row + 1, "chemistry"] = "LFP"  # belongs to neither side
    bad = tmp_path / "bad.csv"
    table.to_csv(bad, index=False)
    done = surrogate(
        "transfer", "graphite", "nmc", "--target", "density", "--table", bad, "--drop-invalid",
        "--splits", "1", "--epochs", "2", "--restarts", "1", *SMALL_ENSEMBLE, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Not the progress lines (of the splits, and of shap's explainer when it is slow), nor the
    # warning that 2 epochs transfer worse than a baseline.
    lines = [
        line
        for line in done.stderr.splitlines()
        if "splits" not in line and "xplainer" not in line and "the baseline is better" not in line
    ]
    assert lines == [
        "dropped 1 invalid row(s) of graphite:",
        f"  row {graphite_row + 1}, column `density_g_cm3`: not a number: 'abc'",
        f"dropped 1 invalid row(s) of {bad}:",
        f"  row {graphite_row + 2}, column `chemistry`: unknown chemistry 'LFP' (expected "
        "graphite, si-graphite, nmc)",
        "dropped 1 invalid row(s) of nmc:",
        f"  row {nmc_row + 1}, column `comma_gap_um`: -5 is outside [0, 2000] um",
    ]


@pytest.mark.parametrize(
    "where", ["__import__('os').system('touch pwned')", "Chemistry = 'NMC'", "`Nope` > 1"]
)
def test_a_bad_row_filter_is_one_line_and_runs_nothing(where, tmp_path):
    done = surrogate(
        "pretrain", EXAMPLE, "--inputs", INPUTS, "--target", TARGET, "--where", where,
        cwd=tmp_path,
    )  # fmt: skip
    message = one_line_error(done)
    assert "filter" in message or "Nope" in message
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "runs").exists()
