"""HDF5 files read back for real, the CLI end to end, the picture as a real PNG, import hygiene."""

import subprocess
import sys

import h5py
import matplotlib.image as mpimg
import numpy as np
import pytest

import generator
from generator import read_sample
from tests.cli_runner import generator_cli


def test_hdf5_round_trip(small_sample, tmp_path):
    path = tmp_path / "sample.h5"
    small_sample.to_hdf5(path)
    back = read_sample(path)
    assert np.array_equal(back.volume, small_sample.volume)
    assert np.array_equal(back.fibres.direction, small_sample.fibres.direction)
    assert back.parameters == small_sample.parameters
    assert back.seed == small_sample.seed and back.voxel_um == small_sample.voxel_um
    assert back.fractions == small_sample.fractions
    assert back.provenance["package_version"] == generator.__version__
    with h5py.File(path) as f:
        assert f["volume"].compression == "gzip"
        assert f["volume"].chunks is not None
        assert f["volume"].attrs["axes"] == "z,y,x"
        assert f["parameters"].attrs["fiber_fraction"] == 0.18
    # No temporary file is left next to the result.
    assert [p.name for p in tmp_path.iterdir()] == ["sample.h5"]


def test_existing_file_is_kept_without_force(small_sample, tmp_path):
    path = tmp_path / "sample.h5"
    path.write_bytes(b"keep me")
    with pytest.raises(FileExistsError, match="force"):
        small_sample.to_hdf5(path)
    assert path.read_bytes() == b"keep me"


def test_reading_a_file_that_is_not_a_sample(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_text("not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        read_sample(bad)
    with pytest.raises(FileNotFoundError, match="no sample file"):
        read_sample(tmp_path / "missing.h5")


def test_cli_sample_then_show_writes_a_real_png(tmp_path):
    out = tmp_path / "s.h5"
    png = tmp_path / "s.png"
    args = ["--domain", "1000", "--voxel-um", "5", "--seed", "4", "--compression", "0.25"]
    done = generator_cli("sample", *args, "--no-stratify", "--out", out)
    assert done.returncode == 0, done.stderr
    # 1000 um / 5 um = 200 in-plane; 300 um / 5 um = 60 through-plane, times 0.75 = 45.
    back = read_sample(out)
    assert back.volume.shape == (45, 200, 200)
    assert back.stratify is False  # the option reached the generator and the file
    shown = generator_cli("show", out, "--out", png)
    assert shown.returncode == 0, shown.stderr
    image = mpimg.imread(png)
    assert image.shape[0] > 500 and image.shape[1] > 1000
    # The fibre colour (#2b2b2b) and the binder colour (#2f8fce) are both drawn.
    rgb = (image[..., :3] * 255).round().astype(int)
    for colour in ((0x2B, 0x2B, 0x2B), (0x2F, 0x8F, 0xCE)):
        assert np.any(np.all(rgb == colour, axis=-1))


def test_import_loads_no_torch_and_compiles_nothing():
    code = (
        "import sys, generator, generator.structure.generate;"
        "import generator.structure._raster_kernels as k;"
        "assert 'torch' not in sys.modules;"
        "assert not k.draw_cylinders.overloads;"
        "print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_command_line_keeps_no_machine_paths():
    from generator._shared.provenance import command_line

    assert command_line(["/opt/x/generator/__main__.py", "sweep", "--domain", "200"]) == (
        "python -m generator sweep --domain 200"
    )
    assert command_line(["/home/u/bench.py", "--sizes", "500"]) == "python bench.py --sizes 500"
    assert command_line(["/usr/local/bin/surrogate", "transfer"]) == "surrogate transfer"
    assert command_line([]) == ""


def test_git_state_of_a_checkout(tmp_path):
    import subprocess

    from generator._shared.provenance import git_commit, git_dirty

    assert git_commit(tmp_path) == "" and git_dirty(tmp_path) is None  # not a checkout

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", "code.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.strip()
    assert git_commit(tmp_path) == head and git_dirty(tmp_path) is False
    (tmp_path / "notes.txt").write_text("untracked files do not count\n")
    assert git_dirty(tmp_path) is False
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_dirty(tmp_path) is True


def run_in_terminal(args, cwd):
    """Run a command with a pseudo-terminal as its stdout and stderr; return what it printed."""
    import os
    import pty

    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execv(sys.executable, [sys.executable, *args])
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(errors="replace")


def test_long_steps_report_progress_on_a_terminal_only(tmp_path):
    args = ["sample", "--voxel-um", "4", "--out", "s.h5"]
    code, shown = run_in_terminal(["-m", "generator", *args], tmp_path)
    assert code == 0, shown
    for stage in ("fibres (500x50x75 voxels): ", "binder: ", "compression: ", "writing s.h5: "):
        assert stage in shown, shown
    done = generator_cli(*args, "--force", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""  # quick steps, no terminal: silent
