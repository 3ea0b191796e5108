"""Independent fits side by side, one process each: repetitions of a replay or a learning
curve, ladders of a study.

The nets here are small (tens of parameters): a step is Python and framework overhead, not
arithmetic, so one process gets little from a second thread while a second process doubles
the work done. Each worker is a fresh interpreter (``spawn``: never a fork of a process that
holds torch's threads) with one torch thread. A task's result does not depend on the process
it ran in (every fit seeds itself), so ``workers`` changes the time, never the numbers.
"""

from __future__ import annotations

import os
from contextlib import ExitStack, contextmanager


def _one_thread() -> None:
    # A worker of the pool: the cores are shared out by task, not inside a fit.
    import torch

    torch.set_num_threads(1)


def default_workers() -> int:
    """Processes to use by default: the cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def workers_for(epochs: int, workers: int | None = None) -> int:
    """``workers`` when given; else the cores this process may use for trainings of 100
    epochs or more, 1 below (the processes' start-up, a few seconds of importing torch,
    would cost more than the short fits save).

    Examples
    --------
    >>> workers_for(20), workers_for(250, 3)
    (1, 3)
    """
    if workers is not None:
        return int(workers)
    return default_workers() if epochs >= 100 else 1


@contextmanager
def process_pool(workers: int):
    """A pool of ``workers`` processes that several :func:`map_in_processes` calls share (each
    process starts once: a fresh interpreter that imports torch takes seconds), or None for
    one process (then the calls run in this one).

    Examples
    --------
    >>> with process_pool(1) as pool:
    ...     map_in_processes(abs, [-1, 2], pool or 1)
    [1, 2]
    """
    if int(workers) != workers or workers < 1:
        raise ValueError(f"workers={workers!r} must be a whole number of at least 1")
    if workers == 1:
        yield None
        return
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(
        int(workers), mp_context=get_context("spawn"), initializer=_one_thread
    ) as pool:
        yield pool


def map_in_processes(function, tasks: list, workers=1, on_done=None) -> list:
    """``[function(task) for task in tasks]``, in up to ``workers`` processes.

    Parameters
    ----------
    function : callable
        A module-level function (it is pickled by name into the workers).
    tasks : list
        Its arguments, one per call; pickled into the workers.
    workers : int or concurrent.futures.Executor
        Processes at most (1: in this process, nothing spawned), or a pool of
        :func:`process_pool` to run in.
    on_done : callable, optional
        ``on_done(task, result)`` in this process as each result arrives, in the order of
        ``tasks`` (progress counters).

    Returns
    -------
    list
        The results, in the order of ``tasks``.

    Raises
    ------
    ValueError
        ``workers`` below 1.

    Notes
    -----
    The workers are spawned, as for any ``multiprocessing`` pool: a script that calls this
    with ``workers > 1`` needs the usual ``if __name__ == "__main__":`` guard.
    """
    if isinstance(workers, int) and workers < 1:
        raise ValueError(f"workers={workers!r} must be a whole number of at least 1")
    with ExitStack() as stack:
        if not isinstance(workers, int):
            results = workers.map(function, tasks)
        elif workers == 1 or len(tasks) <= 1:
            results = map(function, tasks)
        else:
            pool = stack.enter_context(process_pool(min(workers, len(tasks))))
            results = pool.map(function, tasks)
        done = []
        for task, result in zip(tasks, results, strict=True):
            done.append(result)
            if on_done is not None:
                on_done(task, result)
        return done
