import os

import pytest

from generator import generate
from generator.sweep.executors import numba_cache_folder

# One numba cache for the session, set before any kernel module loads: the kernels this process
# compiles and those a sweep's workers and subprocesses load are the same files, so a fresh
# clone compiles each kernel once instead of once here and once for the sweeps.
os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_folder()))

# Small but real: the 200 preset at 4 um voxels is 500 x 50 x 75 voxels.
SMALL = dict(domain="200", voxel_um=4.0)


def one_line_error(done):
    """The one stderr line of a command that ended with exit code 2 (bad input)."""
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    return lines[0]


@pytest.fixture(scope="session")
def small_sample():
    return generate(
        fiber_diameter_um=9.0,
        fiber_fraction=0.18,
        binder_fraction=0.07,
        thickness_um=300.0,
        compression=0.0,
        seed=3,
        **SMALL,
    )
