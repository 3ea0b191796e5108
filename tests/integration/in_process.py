"""A command line run in this process, looking like a finished process (``returncode``,
``stdout``, ``stderr``): a second or more faster than a fresh interpreter per call, and the
numba kernels compiled once per test session. Tests about the process itself (``python -m``,
a terminal, a fresh interpreter's imports) still start one."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from typer.testing import CliRunner


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def invoke(app, args, cwd=None) -> Done:
    """Run the typer ``app`` with ``args`` (in ``cwd``); an unexpected exception is raised
    here, with its traceback, as the process would print it."""
    # A sweep sets NUMBA_CACHE_DIR for its workers if unset: the runner restores it afterwards.
    env = {"NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR")}
    with contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Done(result.exit_code, result.stdout, result.stderr)


def generator_cli(*args, cwd=None) -> Done:
    """``python -m generator *args``, in this process."""
    from generator.cli.app import app

    return invoke(app, args, cwd)
