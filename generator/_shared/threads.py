"""Threads for fine-grained parallel kernels on a shared machine.

The geodesic solver launches about four parallel regions per slice and sweep (a thousand or more
per call), each ending at a barrier. When other processes want the cores, one of our threads is
often descheduled at that barrier and the others wait a scheduler time slice for it: measured on
2 cores beside two busy processes, a call then took 2-25x its single-threaded time. Coarse
kernels (the generator's) do not suffer and keep every thread.

:class:`ThreadPacer` measures how many cores other processes used over the last fraction of a
second (``/proc/stat`` minus this process's own CPU time) and gives the solver only the cores
left: all of them on an idle machine, one when the machine is busy. It re-decides between
kernel calls, so a call adapts when a neighbour starts or stops.

``GDL_ADAPTIVE_THREADS=0`` turns this off (numba's thread count is then used as set); the
upper bound is always numba's current thread count (``NUMBA_NUM_THREADS``,
``numba.set_num_threads``).
"""

from __future__ import annotations

import os
import time

# Shortest window over which the other processes' CPU use is averaged (/proc/stat counts in
# 10 ms ticks: 0.2 s on 2 cores is 40 ticks, +-2 of them).
WINDOW_S = 0.2
# A thread is given only if at least this much of a core beyond the others' use stays free.
FREE_CORE_MARGIN = 0.7
ENV_SWITCH = "GDL_ADAPTIVE_THREADS"


def adaptive_enabled() -> bool:
    """Whether the solver adapts its thread count (``GDL_ADAPTIVE_THREADS``, default on)."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def _allowed_cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return list(range(os.cpu_count() or 1))


def _busy_ticks(cpus: list[int]) -> int | None:
    """Busy clock ticks of the given CPUs since boot (None where /proc/stat is missing)."""
    wanted = {f"cpu{c}" for c in cpus}
    total = 0
    try:
        with open("/proc/stat") as stat:
            for line in stat:
                if not line.startswith("cpu"):
                    break
                fields = line.split()
                if fields[0] in wanted:
                    # user nice system idle iowait irq softirq steal: all but idle and iowait.
                    values = [int(v) for v in fields[1:9]]
                    total += sum(values) - values[3] - values[4]
    except OSError:
        return None
    return total


def _running_elsewhere() -> float | None:
    """Runnable tasks on the machine right now, minus this process's own running threads."""
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
    it re-decides at most every :data:`WINDOW_S` seconds (a few microseconds otherwise) and
    restores the caller's thread count on exit.
    """

    def __init__(self):
        import numba

        self._numba = numba
        self.cpus = _allowed_cpus()
        self.ticks_per_s = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.enabled = adaptive_enabled() and _busy_ticks(self.cpus) is not None
        self.max_threads = 1
        self.decisions: list[int] = []

    def __enter__(self) -> ThreadPacer:
        self.max_threads = self._numba.get_num_threads()
        self.caller_threads = self.max_threads
        if self.enabled and self.max_threads > 1:
            # First decision from the instantaneous run queue; measured windows follow.
            elsewhere = _running_elsewhere()
            if elsewhere is not None:
                self._apply(len(self.cpus) - elsewhere)
            self._mark()
        return self

    def __exit__(self, *exc) -> None:
        self._numba.set_num_threads(self.caller_threads)

    def _mark(self) -> None:
        self.wall = time.monotonic()
        self.own = time.process_time()
        self.busy = _busy_ticks(self.cpus)

    def _apply(self, free_cores: float) -> None:
        threads = int(max(1, min(self.max_threads, free_cores + 1.0 - FREE_CORE_MARGIN)))
        if not self.decisions or self.decisions[-1] != threads:
            self._numba.set_num_threads(threads)
        self.decisions.append(threads)

    def pace(self) -> None:
        """Re-decide the thread count if a measuring window has passed."""
        if not self.enabled or self.max_threads <= 1:
            return
        elapsed = time.monotonic() - self.wall
        if elapsed < WINDOW_S:
            return
        busy = _busy_ticks(self.cpus)
        own = time.process_time()
        if busy is None:
            return
        busy_cores = (busy - self.busy) / self.ticks_per_s / elapsed
        own_cores = (own - self.own) / elapsed
        self._apply(len(self.cpus) - max(0.0, busy_cores - own_cores))
        self.wall, self.own, self.busy = time.monotonic(), own, busy
