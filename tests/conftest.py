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
# before the tests start: numba compiles on one core, so on a fresh clone (every CI run) this
# halves the compilation the tests would otherwise do one kernel after another. Runs of a few
# test files skip it (they compile only what they use).
_WARM_UP_ABOVE = 200  # collected tests
_WARM_UP_JOBS = (
    # the generation (with the wide binder closing's kernels) and the geodesic property
    "from generator.sweep.sample_task import warm_up; warm_up(('geodesic',), wide_closing=True)",
    # the diffusive (no-flux and periodic sides) and pore-size kernels, on a volume of their own
    "import numpy as np; from generator.sweep.properties import measure_property;"
    " from generator import diffusive_tortuosity;"
    " v = np.zeros((24, 22, 30), np.uint8); v[5:9, :, 4:26] = 1; v[:, 12:15, 10:20] = 2;"
    " [measure_property(name, v, 4.0) for name in ('diffusive', 'psd')];"
    " diffusive_tortuosity(v, pore_label=0, boundary='periodic')",
)


def pytest_collection_finish(session):
    if len(session.items) <= _WARM_UP_ABOVE or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    import subprocess
    import sys
    import time

    started = time.time()
    jobs = [subprocess.Popen([sys.executable, "-c", code]) for code in _WARM_UP_JOBS]
    failed = [code for code, job in zip(_WARM_UP_JOBS, jobs, strict=True) if job.wait() != 0]
    # A failed warm-up is only slower: the tests compile what they need, and fail on their own.
    print(
        f"\nnumba kernels warmed in {time.time() - started:.0f} s by {len(jobs)} processes"
        + (f" ({len(failed)} failed)" if failed else ""),
        flush=True,
    )
