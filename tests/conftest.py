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


# The kernels a whole-suite run needs, compiled into numba's cache by two processes at once
# before the tests start (generator.sweep.sample_task.compile_in_parallel): numba compiles on
# one core, so on a fresh clone (every CI run) this overlaps what the tests would otherwise
# compile one kernel after another. Runs of a few test files skip it.
_WARM_UP_ABOVE = 200  # collected tests


def pytest_collection_finish(session):
    if len(session.items) <= _WARM_UP_ABOVE or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    from generator.sweep.sample_task import COMPILE_CPU_S, compile_in_parallel

    try:
        seconds = compile_in_parallel(COMPILE_CPU_S)
        print(f"\nnumba kernels compiled (or loaded) in {seconds:.0f} s", flush=True)
    except RuntimeError as error:  # only slower: the tests compile what they use, and fail
        print(f"\n{error}", flush=True)
