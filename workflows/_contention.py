"""Busy neighbour processes for the benchmarks' contention mode.

A shared machine is the normal case (a laptop with a browser, a cluster node with other jobs), so
each benchmark can run its contenders beside ``n`` processes that each want a whole core.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Annotated

import typer

# Each neighbour spins in pure Python: one core's worth of demand, no memory traffic to speak of.
_SPIN = "while True:\n    pass\n"

# The conditions of the contention mode: (label, extra environment, busy neighbours or None for
# the machine's core count).
CONDITIONS = (
    ("alone", {}, 0),
    ("alone, 1 thread", {"NUMBA_NUM_THREADS": "1"}, 0),
    ("contended", {}, None),
    ("contended, 1 thread", {"NUMBA_NUM_THREADS": "1"}, None),
    ("contended, fixed threads", {"GDL_ADAPTIVE_THREADS": "0"}, None),
)

# The benchmarks' option of how many neighbours the contended conditions run beside.
BusyOption = Annotated[
    int | None, typer.Option(help="Busy processes in contention (default: cores).")
]


def core_count() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@contextmanager
def busy_neighbours(count: int):
    """Run ``count`` CPU-bound processes for the duration of the block; yields their pids."""
    spinners = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(count)]
    try:
        time.sleep(0.5 if count else 0.0)  # let the scheduler see them
        yield [spinner.pid for spinner in spinners]
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.wait()


def ratio_lines(seconds: dict[str, float], name: str) -> list[str]:
    """The two figures the contention goals are stated in, from median times per condition."""
    lines = []
    if "alone" in seconds and "alone, 1 thread" in seconds:
        lines.append(
            f"{name}: alone, speed-up over one thread "
            f"{seconds['alone, 1 thread'] / seconds['alone']:.2f}x (goal >= 1.6x)"
        )
    if "contended" in seconds and "contended, 1 thread" in seconds:
        lines.append(
            f"{name}: contended, time / one thread contended "
            f"{seconds['contended'] / seconds['contended, 1 thread']:.2f} (goal <= 1.5)"
        )
    if "contended, fixed threads" in seconds and "contended, 1 thread" in seconds:
        lines.append(
            f"{name}: contended with fixed threads (no adaptation), time / one thread contended "
            f"{seconds['contended, fixed threads'] / seconds['contended, 1 thread']:.2f}"
        )
    return lines
