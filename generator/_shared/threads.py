"""Threads for fine-grained parallel kernels on a shared machine.

The geodesic solver runs its threads on bands of rows, one parallel region per round (a few per
call); it used to launch several per slice and sweep, and each parallel region ends at a
barrier. When other processes want the cores, one of our threads is often descheduled and the
others wait a scheduler time slice for it (measured on 2 cores beside two busy processes, with
a region per slice a call took 2-25x its single-threaded time); with bands, the thread that
waits is idle for the rest of the round. Coarse kernels (the generator's) keep every thread.

:class:`ThreadPacer` measures how many cores other processes used over the last fraction of a
second (the busy time of the CPUs this process may run on, minus this process's own CPU time,
both read through psutil) and gives the solver only the cores left: all of them on an idle
machine, one when the machine is busy. It re-decides between kernel calls, so a call adapts
when a neighbour starts or stops.

Pacing is on unless switched off: by the ``adaptive`` argument (the solver's
``adaptive_threads``), else by the environment variable ``GDL_ADAPTIVE_THREADS=0``. The upper
bound is always numba's current thread count (``NUMBA_NUM_THREADS``,
``numba.set_num_threads``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

# Shortest window over which the other processes' CPU use is averaged (CPU times count in
# 10 ms ticks: 0.2 s on 2 cores is 40 ticks, +-2 of them).
WINDOW_S = 0.2
# A thread is given only if at least this much of a core beyond the others' use stays free.
FREE_CORE_MARGIN = 0.7
ENV_SWITCH = "GDL_ADAPTIVE_THREADS"


def adaptive_enabled(adaptive: bool | None = None) -> bool:
    """Whether the solver adapts its thread count: ``adaptive`` when given, else
    ``GDL_ADAPTIVE_THREADS`` (default on; ``0``, ``false``, ``no`` or ``off`` switch it off).

    Examples
    --------
    >>> adaptive_enabled(False)
    False
    """
    if adaptive is not None:
        return bool(adaptive)
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def thread_count(free_cores: float, max_threads: int) -> int:
    """Threads to run beside other processes when ``free_cores`` cores are left to us: one
    for every core of which at least :data:`FREE_CORE_MARGIN` stays free, between 1 and
    ``max_threads``.

    Examples
    --------
    >>> thread_count(2.0, 2), thread_count(1.6, 2), thread_count(0.2, 4)
    (2, 1, 1)
    """
    return int(max(1, min(max_threads, free_cores + 1.0 - FREE_CORE_MARGIN)))


@dataclass(frozen=True)
class CpuReading:
    """CPU time counters at one instant, in seconds.

    Attributes
    ----------
    busy_s : float
        Time the CPUs this process may run on spent busy since boot (everything but idle and
        waiting for I/O), summed over the CPUs.
    own_s : float
        This process's CPU time (user and system, every thread).
    """

    busy_s: float
    own_s: float


class CpuProbe:
    """This machine's CPU counters, through psutil.

    Attributes
    ----------
    cpus : list of int
        The CPUs this process may run on (all of them where the OS has no affinity).
    """

    def __init__(self):
        import psutil

        self._psutil = psutil
        self._process = psutil.Process()
        try:
            self.cpus = sorted(self._process.cpu_affinity())
        except (AttributeError, psutil.Error, OSError):  # no affinity (macOS)
            self.cpus = list(range(psutil.cpu_count() or 1))

    def clock(self) -> float:
        """Seconds on a monotonic clock (cheap: checked at every kernel call)."""
        return time.monotonic()

    def read(self) -> CpuReading | None:
        """The counters now (None where the OS does not give them)."""
        try:
            per_cpu = self._psutil.cpu_times(percpu=True)
            own = self._process.cpu_times()
        except (self._psutil.Error, OSError, NotImplementedError):
            return None
        busy = 0.0
        for cpu in self.cpus:
            if cpu >= len(per_cpu):
                return None
            times = per_cpu[cpu]
            # Linux counts guest time inside user time: drop it, with idle and I/O wait.
            busy += sum(times) - sum(
                getattr(times, name, 0.0) for name in ("idle", "iowait", "guest", "guest_nice")
            )
        return CpuReading(busy_s=busy, own_s=own.user + own.system)

    def runnable_elsewhere(self) -> float | None:
        """Tasks on the machine that are running or ready to run right now, minus this
        process's own running threads (None where the OS does not tell).

        The instantaneous run queue, not the load average: the 1-minute average
        (``psutil.getloadavg``) lags a neighbour that started a second ago and still counts
        this process's own earlier work. Linux gives the run queue in ``/proc/loadavg``
        (psutil does not read it).
        """
        try:
            with open("/proc/loadavg") as loadavg:
                running = int(loadavg.read().split()[3].split("/")[0])
            own = 0
            for task in os.listdir("/proc/self/task"):
                try:
                    with open(f"/proc/self/task/{task}/stat") as stat:
                        if stat.read().rsplit(")", 1)[1].split()[0] == "R":
                            own += 1
                except OSError:
                    continue
        except (OSError, ValueError, IndexError):
            return None
        return max(0.0, float(running - own))


class ThreadPacer:
    """Chooses numba's thread count from the cores other processes leave free.

    Use as a context manager around a solver run and call :meth:`pace` between kernel calls:
    it re-decides at most every :data:`WINDOW_S` seconds (a clock read otherwise) and
    restores the caller's thread count on exit.

    Parameters
    ----------
    adaptive : bool, optional
        Pace the threads (default: ``GDL_ADAPTIVE_THREADS``, on unless ``0``). Off, numba's
        thread count is used as set.
    probe : CpuProbe, optional
        Where the CPU counters come from (default: this machine's); anything with the
        methods and ``cpus`` of :class:`CpuProbe` will do, for example scripted readings.

    Attributes
    ----------
    decisions : list of int
        The thread count of every decision, in order (the first from the run queue when the
        OS gives it, the others from measured windows).

    Notes
    -----
    The first decision comes from the run queue at entry: running tasks elsewhere leave
    ``len(cpus) - running`` cores. Every later one from the last window: the other processes
    used ``(busy CPU time - own CPU time) / window`` cores, the rest are free. Either way
    :func:`thread_count` turns free cores into threads.
    """

    def __init__(self, adaptive: bool | None = None, *, probe=None):
        import numba

        self._numba = numba
        self.probe = probe if probe is not None else CpuProbe()
        self.cpus: Sequence[int] = self.probe.cpus
        self.enabled = adaptive_enabled(adaptive)
        self.max_threads = 1
        self.decisions: list[int] = []
        self._wall = 0.0
        self._last: CpuReading | None = None

    def __enter__(self) -> ThreadPacer:
        self.max_threads = self._numba.get_num_threads()
        self.caller_threads = self.max_threads
        if self.enabled and self.max_threads > 1:
            self._last, self._wall = self.probe.read(), self.probe.clock()
            if self._last is None:  # no counters on this OS: keep numba's count
                self.enabled = False
                return self
            # First decision from the instantaneous run queue; measured windows follow.
            elsewhere = self.probe.runnable_elsewhere()
            if elsewhere is not None:
                self._apply(len(self.cpus) - elsewhere)
        return self

    def __exit__(self, *exc) -> None:
        self._numba.set_num_threads(self.caller_threads)

    def _apply(self, free_cores: float) -> None:
        threads = thread_count(free_cores, self.max_threads)
        if not self.decisions or self.decisions[-1] != threads:
            self._numba.set_num_threads(threads)
        self.decisions.append(threads)

    def pace(self) -> None:
        """Re-decide the thread count if a measuring window has passed."""
        if not self.enabled or self.max_threads <= 1:
            return
        now = self.probe.clock()
        elapsed = now - self._wall
        if elapsed < WINDOW_S:
            return
        reading = self.probe.read()
        if reading is None:
            return
        busy_cores = (reading.busy_s - self._last.busy_s) / elapsed
        own_cores = (reading.own_s - self._last.own_s) / elapsed
        self._apply(len(self.cpus) - max(0.0, busy_cores - own_cores))
        self._wall, self._last = now, reading
