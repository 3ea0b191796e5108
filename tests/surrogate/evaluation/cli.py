"""The ``surrogate`` command run in this process, looking like a finished process
(``returncode``, ``stdout``, ``stderr``): no fresh interpreter importing torch per call, and
shap's and numba's compilations once per test session. Tests about the process itself
(``python -m surrogate``, its imports) still start one."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def surrogate(*args, cwd=None) -> Done:
    """``surrogate ARGS`` (in the folder ``cwd``); an unexpected exception is raised here, with
    its traceback, as the process would print it."""
    from typer.testing import CliRunner

    from surrogate.cli.app import app

    # `surrogate active` sets NUMBA_CACHE_DIR if unset: the runner restores it afterwards.
    env = {"NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR")}
    with contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Done(result.exit_code, result.stdout, result.stderr)
