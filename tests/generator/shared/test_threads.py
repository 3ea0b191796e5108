"""The solver's thread pacing: decisions counted by hand from scripted CPU readings, one thread
beside busy processes that psutil sees using the cores, the switch, and the same distances
whatever the pacing decided."""

import os
import time

import numpy as np
import pytest

numba = pytest.importorskip("numba")
psutil = pytest.importorskip("psutil")

from generator._shared.threads import CpuReading, ThreadPacer, thread_count  # noqa: E402
from workflows._contention import busy_neighbours, core_count  # noqa: E402

needs_two_threads = pytest.mark.skipif(
    numba.config.NUMBA_NUM_THREADS < 2, reason="needs numba with at least 2 threads"
)
needs_two_cores = pytest.mark.skipif(
    not os.path.exists("/proc/loadavg") or core_count() < 2 or numba.config.NUMBA_NUM_THREADS < 2,
    reason="needs Linux /proc and at least 2 cores",
)


class ScriptedProbe:
    """Two CPUs whose counters, clock and run queue the test sets."""

    cpus = [0, 1]

    def __init__(self, runnable_elsewhere):
        self.now = 0.0
        self.busy_s = 100.0
        self.own_s = 10.0
        self.runnable = runnable_elsewhere

    def advance(self, seconds, *, own_cores, other_cores):
        self.now += seconds
        self.own_s += own_cores * seconds
        self.busy_s += (own_cores + other_cores) * seconds

    def clock(self):
        return self.now

    def read(self):
        return CpuReading(busy_s=self.busy_s, own_s=self.own_s)

    def runnable_elsewhere(self):
        return self.runnable


@pytest.fixture
def two_threads():
    threads = numba.get_num_threads()
    numba.set_num_threads(2)
    yield
    numba.set_num_threads(threads)


def test_free_cores_to_threads_by_hand():
    # One thread a core of which at least 0.7 stays free: free + 0.3, rounded down, in [1, max].
    free_cores = (2.0, 1.75, 1.65, 1.0, 0.0, -1.0)
    assert [thread_count(free, 2) for free in free_cores] == [2, 2, 1, 1, 1, 1]
    assert thread_count(3.5, 8) == 3 and thread_count(8.0, 4) == 4


@needs_two_threads
def test_decisions_from_scripted_readings(two_threads):
    probe = ScriptedProbe(runnable_elsewhere=0.0)
    with ThreadPacer(adaptive=True, probe=probe) as pacer:
        assert pacer.decisions == [2]  # nothing runs elsewhere: 2 free cores
        seen = []
        # (window s, our cores, others' cores) -> free = 2 - others; threads = int(free + 0.3)
        for window, own, other in [
            (0.1, 2.0, 1.0),  # shorter than a window: no decision
            (0.25, 2.0, 1.0),  # 0.35 s since the mark: others 1.0 core -> 1.3 -> 1 thread
            (0.25, 1.0, 0.4),  # others 0.4 -> free 1.6 -> 1.9 -> 1
            (0.25, 1.0, 0.2),  # others 0.2 -> free 1.8 -> 2.1 -> 2
            (0.5, 2.0, 0.0),  # idle elsewhere -> 2
        ]:
            probe.advance(window, own_cores=own, other_cores=other)
            pacer.pace()
            seen.append(numba.get_num_threads())
        assert pacer.decisions == [2, 1, 1, 2, 2]
        assert seen == [2, 1, 1, 2, 2]
    assert numba.get_num_threads() == 2


@needs_two_threads
def test_first_decision_from_the_run_queue(two_threads):
    # 1.5 tasks elsewhere on 2 CPUs leave 0.5 cores: one thread before any window is measured.
    with ThreadPacer(adaptive=True, probe=ScriptedProbe(runnable_elsewhere=1.5)) as pacer:
        assert pacer.decisions == [1] and numba.get_num_threads() == 1
    assert numba.get_num_threads() == 2
    # An OS without a run queue: no first decision, the first window decides.
    with ThreadPacer(adaptive=True, probe=ScriptedProbe(runnable_elsewhere=None)) as pacer:
        assert pacer.decisions == []


@needs_two_threads
def test_switch_off_by_argument_or_environment(two_threads, monkeypatch):
    busy = ScriptedProbe(runnable_elsewhere=2.0)  # would give one thread
    with ThreadPacer(adaptive=False, probe=busy) as pacer:
        busy.advance(1.0, own_cores=1.0, other_cores=1.0)
        pacer.pace()
        assert numba.get_num_threads() == 2
    assert pacer.decisions == []
    monkeypatch.setenv("GDL_ADAPTIVE_THREADS", "0")
    with ThreadPacer(probe=ScriptedProbe(runnable_elsewhere=2.0)) as pacer:
        assert pacer.decisions == []
    # The argument wins over the environment.
    with ThreadPacer(adaptive=True, probe=ScriptedProbe(runnable_elsewhere=2.0)) as pacer:
        assert pacer.decisions == [1]


@needs_two_cores
def test_one_thread_beside_busy_processes():
    # Every core taken by a spinning neighbour, as psutil confirms: every measured window must
    # give one thread.
    cores = core_count()
    with busy_neighbours(cores) as pids:
        neighbours = [psutil.Process(pid) for pid in pids]
        before = sum(sum(p.cpu_times()[:2]) for p in neighbours)
        tic = time.monotonic()
        with ThreadPacer(adaptive=True) as pacer:
            while time.monotonic() < tic + 1.0:
                sum(range(20_000))  # our own work, which must not count as the neighbours'
                pacer.pace()
        used = (sum(sum(p.cpu_times()[:2]) for p in neighbours) - before) / (time.monotonic() - tic)
    # psutil saw them run (on a machine shared with other work they get less than a core each;
    # together with it they leave none with 0.7 free, which is what the pacer measures).
    assert used > 0.1 * cores, used
    assert len(pacer.decisions) >= 4
    assert pacer.decisions[1:] == [1] * (len(pacer.decisions) - 1)


@needs_two_cores
def test_thread_count_restored_and_distances_unchanged():
    from generator import geodesic_distance

    rng = np.random.default_rng(3)
    pore = rng.random((40, 64, 64)) < 0.7
    threads = numba.get_num_threads()
    free = geodesic_distance(pore, metric="euclidean")
    assert numba.get_num_threads() == threads
    with busy_neighbours(core_count()):
        busy = geodesic_distance(pore, metric="euclidean")
        fixed = geodesic_distance(pore, metric="euclidean", adaptive_threads=False)
    numba.set_num_threads(1)
    try:
        single = geodesic_distance(pore, metric="euclidean")
    finally:
        numba.set_num_threads(threads)
    # Bands are fixed, not per thread: bit-identical whatever the pacing decided.
    for other in (busy, fixed, single):
        assert np.array_equal(free, other)
