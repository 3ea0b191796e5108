"""``git_dirty`` in provenance: a real boolean in HDF5 and JSON, left out when unknown, and the
string form of older files still read."""

import json

import h5py
import numpy as np
import pytest

import generator._shared.provenance as provenance_module
from generator import read_sample
from generator._shared.provenance import provenance, read_git_dirty


@pytest.mark.parametrize("state", [True, False])
def test_sample_file_stores_git_dirty_as_an_hdf5_boolean(
    small_sample, tmp_path, monkeypatch, state
):
    monkeypatch.setattr(provenance_module, "git_dirty", lambda folder=None: state)
    path = tmp_path / "s.h5"
    small_sample.to_hdf5(path)
    with h5py.File(path) as f:
        stored = f.attrs["provenance_git_dirty"]
        assert type(stored) is np.bool_ and bool(stored) is state
        assert f.attrs.get_id("provenance_git_dirty").dtype == np.bool_
    assert read_sample(path).provenance["git_dirty"] is state


def test_unknown_git_state_is_left_out(small_sample, tmp_path, monkeypatch):
    monkeypatch.setattr(provenance_module, "git_dirty", lambda folder=None: None)
    path = tmp_path / "s.h5"
    small_sample.to_hdf5(path)
    with h5py.File(path) as f:
        assert "provenance_git_dirty" not in f.attrs
        assert "provenance_git_commit" in f.attrs  # the rest is still recorded
    assert read_sample(path).provenance["git_dirty"] is None


@pytest.mark.parametrize(("old", "read"), [("true", True), ("false", False), ("", None)])
def test_old_files_with_the_string_form_still_read(small_sample, tmp_path, old, read):
    path = tmp_path / "s.h5"
    small_sample.to_hdf5(path)
    with h5py.File(path, "r+") as f:  # as written before git_dirty was a boolean
        f.attrs["provenance_git_dirty"] = old
    assert read_sample(path).provenance["git_dirty"] is read


def test_json_provenance_has_a_json_boolean(monkeypatch):
    for state, text in ((True, "true"), (False, "false"), (None, "null")):
        monkeypatch.setattr(provenance_module, "git_dirty", lambda folder=None, s=state: s)
        record = provenance()
        assert record["git_dirty"] is state
        assert f'"git_dirty": {text}' in json.dumps(record)


@pytest.mark.parametrize(
    ("value", "read"),
    [
        (True, True),
        (np.bool_(False), False),
        (None, None),
        ("true", True),
        ("false", False),
        ("", None),
        (b"true", True),
        ("True", True),
    ],
)
def test_read_git_dirty_accepts_every_stored_form(value, read):
    assert read_git_dirty(value) is read


@pytest.mark.parametrize("value", ["maybe", 1.5, [True]])
def test_read_git_dirty_refuses_what_is_not_a_boolean(value):
    with pytest.raises(ValueError, match="git_dirty"):
        read_git_dirty(value)


def test_a_module_run_with_dash_m_is_recorded_by_its_module_name(tmp_path):
    import subprocess
    import sys

    (tmp_path / "probe_module.py").write_text(
        "from generator import command_line\nprint(command_line())\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "probe_module", "--out", "a b"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "python -m probe_module --out a b"
