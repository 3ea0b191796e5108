"""Where numba caches the package's kernels: NUMBA_CACHE_DIR, else one folder per user."""

import os
import subprocess
import sys
from pathlib import Path

import generator
from generator._shared.numba_compile import cache_folder

PACKAGE = Path(generator.__file__).parent
# band_offset(w=2, nx=10, r=1) = w + r * (nx + w) = 2 + 12, counted by hand.
CALL = "from generator._shared.edt_kernels import band_offset; print(band_offset(2, 10, 1))"


def test_cache_folder_rule(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "given"))
    assert cache_folder() == tmp_path / "given"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "gdl-generator" / "numba"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_folder() == tmp_path / "home" / ".cache" / "gdl-generator" / "numba"


def _run_kernel(env: dict) -> str:
    env = {k: v for k, v in env.items() if k != "NUMBA_CACHE_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", CALL], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _index_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("edt_kernels.band_offset-*.nbi"))


def test_a_worker_without_numba_cache_dir_uses_the_per_user_folder(tmp_path):
    in_package = {p: p.stat().st_mtime_ns for p in _index_files(PACKAGE)}
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert _run_kernel(env) == "14"
    assert _index_files(tmp_path / "cache" / "gdl-generator" / "numba")
    # Nothing written beside the source (a read-only install could not take it).
    assert {p: p.stat().st_mtime_ns for p in _index_files(PACKAGE)} == in_package


def test_an_unwritable_cache_home_falls_back_to_the_temporary_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")  # no folder can be made under it, even by root
    env = dict(os.environ, XDG_CACHE_HOME=str(blocker / "cache"), TMPDIR=str(tmp_path))
    assert _run_kernel(env) == "14"
    assert _index_files(tmp_path / f"gdl-generator-{os.getuid()}" / "numba")


def test_an_edited_callee_in_another_file_is_never_loaded_stale(tmp_path):
    # numba keys a cached kernel by its own file only, yet a caller holds its callee's code:
    # on a copy of the package, a kernel calling one of another file, whose file is then
    # edited alone, must give the new value.
    import shutil

    copy = tmp_path / "copy" / "generator"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    header = (
        "import numba as nb\nimport generator._shared.numba_compile as c\nc.use_shared_cache()\n"
    )
    callee = copy / "_callee.py"
    callee.write_text(header + "@nb.njit(cache=True)\ndef value():\n    return 1\n")
    (copy / "_caller.py").write_text(
        header + "from generator._callee import value\n\n"
        "@nb.njit(cache=True)\ndef call():\n    return value() + 10\n"
    )
    env = dict(os.environ, PYTHONPATH=str(copy.parent), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("NUMBA_CACHE_DIR", None)
    code = "from generator._caller import call; print(call())"

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=tmp_path,  # not the project's root, whose own package would come first
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run() == "11"
    assert run() == "11"  # from the cache
    callee.write_text(header + "@nb.njit(cache=True)\ndef value():\n    return 2  # edited\n")
    assert run() == "12"
    # The same with the folder given as NUMBA_CACHE_DIR (what a sweep gives its workers).
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "given")
    assert run() == "12"
    callee.write_text(header + "@nb.njit(cache=True)\ndef value():\n    return 3  # again\n")
    assert run() == "13"
