"""Every command that writes, given a hostile output target: a device node (/dev/null: as root
the danger is real), a FIFO, a symbolic link to a user's file, a dangling link, a directory
where a file goes (a file where a folder goes), a 300-character name, and a user's file without
--force. Each ends in exit code 2 with one line naming the target, before any work, and nothing
the user owns is touched: the folder holds what it held, byte for byte, and /dev/null is still a
character device. The commands run in this process, at tiny sizes."""

import os
import stat

import pytest

from tests.cli_runner import generator_cli, surrogate
from tests.conftest import one_line_error
from tests.surrogate.synthetic import synthetic_dataset_file

KINDS = ["device", "fifo", "link", "dangling", "directory", "long", "existing"]
# A folder target: a directory is what it should be, so that kind is no hostile case.
FOLDER_KINDS = [kind for kind in KINDS if kind != "directory"]
SWEEP = ["--domain", "200", "--n", "2", "--voxel-um", "6"]
GENERATOR_COMMANDS = ["sample", "show", "export", "sweep", "sweep --dry-run", "merge"]


def make_target(kind: str, folder, suffix: str = ""):
    """The hostile target of ``kind`` in ``folder`` (a user's file ``mine`` beside a link)."""
    target = folder / f"target{suffix}"
    if kind == "device":
        return "/dev/null"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "link":
        (folder / "mine").write_bytes(b"a user's file\n")
        target.symlink_to(folder / "mine")
    elif kind == "dangling":
        target.symlink_to(folder / "nowhere")
    elif kind == "directory":
        target.mkdir()
        (target / "inside").write_bytes(b"keep\n")
    elif kind == "long":
        target = folder / ("x" * 300 + suffix)
    elif kind == "existing":
        target.write_bytes(b"a user's file\n")
    return target


def snapshot(folder) -> dict:
    """What is in ``folder`` (recursively): each path's kind, and a regular file's bytes."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            found[path] = (
                stat.S_IFMT(mode),
                open(path, "rb").read() if stat.S_ISREG(mode) else os.readlink(path)
                if stat.S_ISLNK(mode) else None,
            )  # fmt: skip
    return found


def assert_refused(done, target, kind, folder, before) -> None:
    line = one_line_error(done)
    assert "Traceback" not in done.stderr + done.stdout
    if kind == "long":
        assert "bytes long" in line, line
    else:
        assert str(target) in line, line
    assert snapshot(folder) == before
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory, small_sample):
    path = tmp_path_factory.mktemp("hostile_outputs") / "s.h5"
    small_sample.to_hdf5(path)
    return path


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile_tables")
    synthetic_dataset_file(folder / "src.h5", 24, 1, 0.0)
    synthetic_dataset_file(folder / "dst.h5", 16, 2, 0.02)
    return folder


def generator_args(command, target, sample_file, force):
    extra = ["--force"] if force else []
    if command == "sample":
        return ["sample", "--out", target, "--domain", "200", "--voxel-um", "8", *extra]
    if command == "show":
        return ["show", sample_file, "--out", target, *extra]
    if command == "export":
        return ["export", sample_file, "--format", "tiff", "--out", target, *extra]
    if command == "sweep --dry-run":
        return ["sweep", *SWEEP, "--out", target, "--dry-run", *extra]
    return [command, *SWEEP, "--out", target, *extra]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", GENERATOR_COMMANDS)
def test_generator_commands_refuse_hostile_outputs(tmp_path, sample_file, command, kind):
    suffix = {"show": ".png", "export": ".tif"}.get(command, ".h5")
    target = make_target(kind, tmp_path, suffix)
    before = snapshot(tmp_path)
    # --force on every hostile kind (the danger is with it); a user's file without it.
    args = generator_args(command, target, sample_file, force=kind != "existing")
    done = generator_cli(*args, cwd=tmp_path)
    assert_refused(done, target, kind, tmp_path, before)
    if kind == "existing" and command in ("sample", "show", "export"):
        assert "pass --force" in done.stderr


def surrogate_args(command, target, tables):
    src, dst = tables / "src.h5", tables / "dst.h5"
    tiny = ["--epochs", "1", "--restarts", "1"]
    if command == "pretrain":
        return ["pretrain", src, "--runs", target, *tiny]
    if command == "transfer":
        return ["transfer", src, dst, "--runs", target, "--splits", "1", "--members", "2", *tiny]
    if command == "curve":
        return ["curve", src, dst, "--runs", target, "--repetitions", "1", *tiny]
    return ["active", src, "--domain", "200", "--budget", "8", "--voxel-um", "6", "--out", target]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", ["pretrain", "transfer", "curve", "active"])
def test_surrogate_commands_refuse_hostile_outputs(tmp_path, tables, command, kind):
    if command != "active" and kind == "directory":
        pytest.skip("a folder of runs is a directory")
    target = make_target(kind, tmp_path, ".h5" if command == "active" else "")
    before = snapshot(tmp_path)
    done = surrogate(*surrogate_args(command, target, tables), cwd=tmp_path)
    assert_refused(done, target, kind, tmp_path, before)


@pytest.mark.parametrize("kind", FOLDER_KINDS)
@pytest.mark.parametrize("module", ["gdl_study", "electrode_study", "active_replay"])
def test_report_workflows_refuse_hostile_output_folders(tmp_path, capsys, module, kind):
    import importlib

    target = make_target(kind, tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(SystemExit) as done:
        importlib.import_module(f"workflows.{module}").main(["--out", str(target)])
    assert done.value.code == 2
    error = capsys.readouterr().err
    assert ("bytes long" if kind == "long" else str(target)) in " ".join(error.split())
    assert "Traceback" not in error
    assert snapshot(tmp_path) == before
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
