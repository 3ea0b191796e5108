"""Run folders tampered with in every way a careless copy or a hostile sender could: each of
``predict``, ``explain`` and ``transfer RUN_DIR`` ends in exit 2 with one line naming the run
folder and what is wrong, no traceback, no code run from a weights file and nothing written.

One tiny real transfer run is made once; each case tampers a copy of it (at the same depth, so
its dataset references still resolve) in the file the command reads first.
"""

import json
import pickle
import shutil

import pytest
import torch

from tests.cli_runner import surrogate
from tests.conftest import one_line_error
from tests.surrogate.synthetic import synthetic_dataset_file

INPUTS = {
    "fiber_diameter_um": 9,
    "fiber_fraction": 0.18,
    "binder_fraction": 0.07,
    "thickness_um": 300,
    "compression": 0.2,
}
TINY = dict(splits=1, epochs=3, restarts=1, members=2)
# The net each command reads: predict the ensemble, explain the transferred net, transfer the
# pretrained net.
COMMANDS = {
    "predict": "transferred_ensemble",
    "explain": "transferred",
    "transfer": "pretrained",
}


class Payload:
    """Unpickling this creates ``path``: code a weights file must never get to run."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tampered")
    synthetic_dataset_file(folder / "src.h5", 40, 1, 0.0)
    synthetic_dataset_file(folder / "dst.h5", 20, 2, 0.02)
    done = surrogate("transfer", folder / "src.h5", folder / "dst.h5", runs=folder / "runs", **TINY)
    assert done.returncode == 0, done.stderr
    return folder, next((folder / "runs").iterdir())


def run_command(command, run, base_folder, runs=None):
    if command == "predict":
        pairs = [a for k, v in INPUTS.items() for a in ("--set", f"{k}={v}")]
        return surrogate("predict", run, *pairs)
    if command == "explain":
        return surrogate("explain", run)
    runs = runs or base_folder / "new_runs"
    return surrogate("transfer", run, base_folder / "dst.h5", runs=runs, **TINY)


def tamper(run, kind, how, marker):
    pt, meta = run / f"{kind}.pt", run / f"{kind}.json"
    if how == "garbage":
        pt.write_bytes(b"these are not the weights you are looking for\n" * 20)
    elif how == "pickle":
        pt.write_bytes(pickle.dumps(Payload(marker)))
    elif how == "torch-pickle":
        torch.save({"net.0.weight": Payload(marker)}, pt)
    elif how == "truncated":
        pt.write_bytes(pt.read_bytes()[: pt.stat().st_size // 2])
    elif how == "invalid-json":
        meta.write_text('{"features": ["a", "b"')
    elif how == "architecture":
        record = json.loads(meta.read_text())
        record["architecture"]["hidden"] = [4, 2]
        meta.write_text(json.dumps(record))
    elif how == "missing":
        pt.unlink()
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_intact_copy_works(base, tmp_path, command):
    folder, run = base
    copy = folder / f"c_intact_{command}" / run.name
    shutil.copytree(run, copy)
    done = run_command(command, copy, folder, runs=tmp_path / "runs")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "how",
    ["garbage", "pickle", "torch-pickle", "truncated", "invalid-json", "architecture", "missing"],
)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_tampered_run_folder_is_refused_in_one_line(base, command, how):
    folder, run = base
    copy = folder / f"c_{command}_{how}" / run.name
    shutil.copytree(run, copy)
    marker = folder / f"marker_{command}_{how}"
    kind = COMMANDS[command]
    tamper(copy, kind, how, marker)
    before = sorted(p.name for p in copy.iterdir())
    done = run_command(command, copy, folder)
    line = one_line_error(done)
    assert "Traceback" not in done.stderr + done.stdout
    assert f"run folder {copy}" in line, line
    assert kind in line, line  # names the file (kind.pt or kind.json)
    assert not marker.exists()  # the payload never ran
    assert sorted(p.name for p in copy.iterdir()) == before  # nothing written into it
    assert not (folder / "new_runs").exists()  # transfer started no run


def test_a_folder_without_a_net_is_named(base, tmp_path):
    folder, _ = base
    empty = tmp_path / "not_a_run"
    empty.mkdir()
    for command in COMMANDS:
        line = one_line_error(run_command(command, empty, folder))
        assert f"run folder {empty}" in line, line
