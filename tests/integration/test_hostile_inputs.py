"""The generator CLI given files from other tools and hostile inputs: every case ends in exit 2
with one line naming the value and what was expected, before any heavy work, and leaves no
output file behind. The commands run in this process; one test starts a real one."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from generator import geometric_tortuosity
from tests.cli_runner import generator_cli
from tests.conftest import one_line_error


def test_another_tools_hdf5_is_read_only_from_the_named_dataset(tmp_path):
    rng = np.random.default_rng(2)
    solid = (rng.random((12, 16, 16)) < 0.3).astype(np.uint8)  # PuMA convention: 0 = pore
    path = tmp_path / "puma.h5"
    with h5py.File(path, "w") as f:
        f["grid/data"] = solid
        f["volume"] = solid  # a dataset called 'volume' is not a reason to guess
    line = one_line_error(generator_cli("tortuosity", path))
    assert "is not a generator sample: name the 3D dataset" in line and "grid/data" in line
    done = generator_cli("tortuosity", path, "--dataset", "grid/data", "--pore-label", "0")
    assert done.returncode == 0, done.stderr
    expected = geometric_tortuosity(solid == 0).tau
    assert json.loads(done.stdout)["tau"] == pytest.approx(expected)
    line = one_line_error(generator_cli("tortuosity", path, "--dataset", "grid/data"))
    assert "holds two values, 0 and 1" in line


def test_hostile_hdf5_files(tmp_path):
    group = tmp_path / "group.h5"
    with h5py.File(group, "w") as f:
        f.create_group("volume")
    assert "'volume' is a group" in one_line_error(
        generator_cli("tortuosity", group, "--dataset", "volume")
    )
    huge = tmp_path / "huge.h5"
    with h5py.File(huge, "w") as f:
        f.create_dataset("v", shape=(3000, 3000, 3000), dtype=np.uint8, chunks=(64, 64, 64))
    assert huge.stat().st_size < 100_000  # declares 2.7e10 voxels, stores none
    line = one_line_error(generator_cli("tortuosity", huge, "--dataset", "v", "--pore-label", "0"))
    assert "declares a (3000, 3000, 3000) image of uint8: it needs about" in line
    assert "GiB available: crop or coarsen the image" in line
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 40)
    assert "not a readable HDF5 file" in one_line_error(generator_cli("tortuosity", garbage))


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((0, 0, 0), dtype=np.uint8), "needs at least 2 slices along axis 0"),
        (np.zeros((3, 3, 3), dtype=[("a", "u1"), ("b", "f4")]), "structured array"),
        (np.full((3, 3, 3), 0.5), "neither a boolean mask nor integer labels"),
        (np.zeros((3, 3), dtype=bool), "holds a 2D array"),
    ],
)
def test_hostile_numpy_files(tmp_path, array, message):
    path = tmp_path / "x.npy"
    np.save(path, array)
    assert message in one_line_error(generator_cli("tortuosity", path, "--pore-label", "0"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--voxel-um", "9.5"], "voxel size 9.5 um is coarser than the fibre diameter 9 um"),
        (["--voxel-um", "5000"], "voxel size 5000 um is coarser than the fibre diameter"),
        (["--voxel-um", "inf"], "voxel size inf um must be a finite number in [0.0001, 10000]"),
        (["--voxel-um", "nan"], "voxel size nan um must be a finite number"),
        (["--voxel-um", "1e-40"], "voxel size 1e-40 um must be a finite number"),
        (["--voxel-um", "1e300"], "voxel size 1e+300 um must be a finite number"),
        (["--domain", "1000", "--voxel-um", "0.1"], "GiB available: use a coarser --voxel-um"),
        (["--seed", str(2**64)], "must be a whole number in [0, 2**63)"),
        (["--seed", "-1"], "must be a whole number in [0, 2**63)"),
        (["--domain", "700"], "--domain '700' is not a preset"),
        (["--compression", "0.9"], "compression=0.9 is outside its range [0.0, 0.5]"),
    ],
)
def test_sample_refuses_before_any_work(tmp_path, args, message):
    done = generator_cli("sample", "--out", tmp_path / "s.h5", *args)
    assert message in one_line_error(done)
    assert list(tmp_path.iterdir()) == []


def test_api_refuses_voxels_that_would_break_float32_distances():
    pore = np.ones((4, 4, 4), dtype=bool)
    for voxel in (1e-40, 1e300, float("inf"), -1.0):
        with pytest.raises(ValueError, match=r"must be finite and within \[0.0001, 10000\] um"):
            geometric_tortuosity(pore, voxel_um=voxel)


def test_unwritable_outputs_are_refused_before_the_work(tmp_path, small_sample):
    # /proc refuses new files even to root: a folder nobody can write to.
    line = one_line_error(generator_cli("sample", "--out", "/proc/s.h5", "--voxel-um", "4"))
    assert "cannot write to /proc" in line
    small_sample.to_hdf5(tmp_path / "s.h5")
    line = one_line_error(generator_cli("show", tmp_path / "s.h5", "--out", "/proc/s.png"))
    assert "cannot write to /proc" in line


def test_a_fresh_process_exits_2_with_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "generator", "sample", "--out", tmp_path / "s.h5", "--seed", "-1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "must be a whole number in [0, 2**63)" in one_line_error(done)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["sweep", "--domain", "200", "--n", "2", "--voxel-um", "6"],
        ["sweep", "--cluster", "slurm", "--print-job-script"],
        ["sweep", "--cluster", "slurm", "--memory", "4GB", "--dry-run"],
    ],
)
def test_a_missing_extra_is_named_in_one_line(tmp_path, monkeypatch, args):
    """Without the 'sweep' extra (dask-jobqueue missing, as in a core install), what needs Dask
    says which extra to install; nothing is written."""
    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)  # find_spec then finds nothing
    line = one_line_error(generator_cli(*args, "--out", tmp_path / "d.h5", cwd=tmp_path))
    assert "the 'sweep' extra is needed for a sweep on " in line and "(dask_jobqueue not" in line
    assert "pip install 'gdl-generator[sweep]'" in line
    assert list(tmp_path.iterdir()) == []
