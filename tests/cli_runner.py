"""Command lines run in this process, looking like a finished process (``returncode``,
``stdout``, ``stderr``): a second or more faster than a fresh interpreter per call (no torch
imported again), and numba's and shap's compilations once per test session. Tests about the
process itself (``python -m``, a terminal, a fresh interpreter's imports) still start one."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def invoke(app, args, cwd=None) -> Done:
    """Run the typer ``app`` with ``args`` (in ``cwd``); an unexpected exception is raised
    here, with its traceback, as the process would print it."""
    from typer.testing import CliRunner

    # A sweep (or `surrogate active`) sets NUMBA_CACHE_DIR if unset: the runner restores it.
    env = {"NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR")}
    with contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Done(result.exit_code, result.stdout, result.stderr)


def generator_cli(*args, cwd=None) -> Done:
    """``python -m generator ARGS``, in this process."""
    from generator.cli.app import app

    return invoke(app, args, cwd)


def surrogate(*args, cwd=None) -> Done:
    """``surrogate ARGS`` (``python -m surrogate``), in this process."""
    from surrogate.cli.app import app

    return invoke(app, args, cwd)
