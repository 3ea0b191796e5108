"""The solver's thread pacing: one thread beside busy processes, the same distances either way."""

import os

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from generator._shared.threads import ThreadPacer  # noqa: E402
from workflows._contention import busy_neighbours, core_count  # noqa: E402

pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/stat") or core_count() < 2 or numba.config.NUMBA_NUM_THREADS < 2,
    reason="needs Linux /proc and at least 2 cores",
)


def _decisions(seconds: float) -> list[int]:
    import time

    with ThreadPacer() as pacer:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            sum(range(20_000))  # our own work, which must not count as the neighbours'
            pacer.pace()
    return pacer.decisions


def test_one_thread_beside_busy_processes():
    # Every core taken by a spinning neighbour: the measured windows must all give one thread.
    with busy_neighbours(core_count()):
        decisions = _decisions(1.5)
    assert len(decisions) >= 4
    assert decisions[1:] == [1] * (len(decisions) - 1)


def test_switch_off_keeps_the_thread_count(monkeypatch):
    monkeypatch.setenv("GDL_ADAPTIVE_THREADS", "0")
    threads = numba.get_num_threads()
    with busy_neighbours(core_count()):
        decisions = _decisions(0.5)
        assert numba.get_num_threads() == threads
    assert decisions == []


def test_thread_count_restored_and_distances_unchanged():
    from generator import geodesic_distance

    rng = np.random.default_rng(3)
    pore = rng.random((40, 64, 64)) < 0.7
    threads = numba.get_num_threads()
    free = geodesic_distance(pore, metric="euclidean")
    assert numba.get_num_threads() == threads
    with busy_neighbours(core_count()):
        busy = geodesic_distance(pore, metric="euclidean")
    numba.set_num_threads(1)
    try:
        single = geodesic_distance(pore, metric="euclidean")
    finally:
        numba.set_num_threads(threads)
    # Bands are fixed, not per thread: bit-identical whatever the pacing decided.
    assert np.array_equal(free, busy) and np.array_equal(free, single)
