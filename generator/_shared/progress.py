"""Progress of long steps, one way everywhere: a live line on a terminal, plain periodic log
lines otherwise (batch logs, pipes), nothing for steps that end within a few seconds.

Two shapes: :class:`ProgressCounter` for ``n`` of ``total`` items (samples, splits) and
:func:`stage` for one named step of unknown length (a generation stage, a tortuosity pass).
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

# Without a terminal, a line at most this often (and when a step ends after at least this long).
LOG_INTERVAL_S = 30.0


def _terminal(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


class ProgressCounter:
    """``done`` of ``total`` items with failures and time left: a rich bar on a terminal, a
    log line every :data:`LOG_INTERVAL_S` seconds and at the end otherwise; ``total=0`` is
    silent.

    The time left is estimated from the items finished after the first one, so it appears
    from the second finished item on: the first carries the start-up (compiling kernels,
    starting workers), which would otherwise be extrapolated to every item left.

    Parameters
    ----------
    total : int
        Items to count; 0 reports nothing.
    label : str
        Starts each line (and names the bar).
    unit : str
        What the items are, in the log lines.
    stream : file-like, optional
        Where to report; default ``sys.stderr``.

    Examples
    --------
    Without a terminal (a log file, a pipe; here a string buffer) the first step and the last
    write a line; the first has no time left yet:

    >>> import io
    >>> from generator import ProgressCounter
    >>> log = io.StringIO()
    >>> counter = ProgressCounter(3, "sweep", stream=log)
    >>> counter.step()
    >>> counter.step(ok=False)
    >>> counter.step()
    >>> counter.close()
    >>> print(log.getvalue(), end="")  # doctest: +ELLIPSIS
    sweep: 1/3 samples, 0 failed, ... s elapsed
    sweep: 3/3 samples, 1 failed, ... s elapsed
    """

    def __init__(self, total: int, label: str, unit: str = "samples", stream=None):
        self.total, self.done, self.failed = total, 0, 0
        self.label, self.unit = label, unit
        self.stream = stream or sys.stderr
        self.start = time.time()
        self.first_done = None  # when the first item finished
        self.last_line = 0.0
        self.bar = None
        if _terminal(self.stream) and total:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[left]}"),  # ours, not rich's (which counts the first)
                console=Console(file=self.stream),
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task(label, total=total, left="")

    def seconds_left(self) -> float | None:
        """Time left from the pace since the first finished item; None before the second
        finishes, and when every item is done."""
        if self.first_done is None or self.done < 2 or self.done >= self.total:
            return None
        pace = (time.time() - self.first_done) / (self.done - 1)
        return pace * (self.total - self.done)

    def step(self, ok: bool = True) -> None:
        """Count one item done (``ok=False``: failed) and report if it is time to."""
        self.done += 1
        self.failed += 0 if ok else 1
        if self.first_done is None:
            self.first_done = time.time()
        if not self.total:
            return  # a counter of nothing (progress switched off) says nothing
        left = self.seconds_left()
        left_text = "" if left is None else f"~{left:.0f} s left"
        if self.bar is not None:
            label = f"{self.label} ({self.failed} failed)" if self.failed else self.label
            self.bar.update(self.task, advance=1, description=label, left=left_text)
        elif time.time() - self.last_line > LOG_INTERVAL_S or self.done == self.total:
            elapsed = time.time() - self.start
            print(
                f"{self.label}: {self.done}/{self.total} {self.unit}, {self.failed} failed, "
                f"{elapsed:.0f} s elapsed" + (f", {left_text}" if left_text else ""),
                file=self.stream,
                flush=True,
            )
            self.last_line = time.time()

    def close(self) -> None:
        """End the bar on a terminal (nothing to do otherwise)."""
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def silent(name: str, stream=None):
    """A stage that reports nothing (the library default); same signature as :func:`stage`."""
    yield


@contextmanager
def stage(name: str, stream=None):
    """One named step: a spinner with the elapsed time on a terminal; without one, a line when
    it ends if it took :data:`LOG_INTERVAL_S` seconds or more.

    Parameters
    ----------
    name : str
        The step, as the line names it.
    stream : file-like, optional
        Default ``sys.stderr``.

    Examples
    --------
    A short step without a terminal says nothing:

    >>> import io
    >>> from generator._shared.progress import stage
    >>> log = io.StringIO()
    >>> with stage("binder", stream=log):
    ...     pass
    >>> log.getvalue()
    ''
    """
    stream = stream or sys.stderr
    start = time.time()
    if _terminal(stream):
        from rich.console import Console

        with Console(file=stream).status(f"{name} ..."):
            yield
        print(f"{name}: {time.time() - start:.1f} s", file=stream, flush=True)
        return
    yield
    if time.time() - start >= LOG_INTERVAL_S:
        print(f"{name}: {time.time() - start:.1f} s", file=stream, flush=True)
