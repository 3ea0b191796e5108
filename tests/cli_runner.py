"""Command lines run in this process, looking like a finished process (``returncode``,
``stdout``, ``stderr``): a second or more faster than a fresh interpreter per call (no torch
imported again), and numba's and shap's compilations once per test session. Tests about the
process itself (``python -m``, a terminal, a fresh interpreter's imports, a killed sweep)
still start one, with the command line of :func:`python_m`.

Options can be given as keywords: ``voxel_um=6`` is ``--voxel-um 6``, ``dry_run=True`` the flag
``--dry-run`` alone (:func:`flags`)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass


def flags(**options) -> list[str]:
    """Options as a command line takes them: ``voxel_um=6`` as ``--voxel-um 6``, True as the
    flag alone (``no_volumes=True``: ``--no-volumes``).

    Examples
    --------
    >>> flags(domain=200, voxel_um=6, dry_run=True)
    ['--domain', '200', '--voxel-um', '6', '--dry-run']
    """
    args = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        args += [flag] if value is True else [flag, str(value)]
    return args


def python_m(module: str, *args, **options) -> list[str]:
    """The command line ``python -m MODULE ARGS OPTIONS`` of this interpreter."""
    return [sys.executable, "-m", module, *map(str, args), *flags(**options)]


def run_python_m(module: str, *args, cwd=None, timeout=None, **options):
    """``python -m MODULE ARGS OPTIONS`` in a process of its own (in the folder ``cwd``), its
    output captured as text: a ``subprocess.CompletedProcess``."""
    command = python_m(module, *args, **options)
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout)


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


def generator_cli(*args, cwd=None, **options) -> Done:
    """``python -m generator ARGS OPTIONS``, in this process."""
    from generator.cli.app import app

    return invoke(app, [*args, *flags(**options)], cwd)


def surrogate(*args, cwd=None, **options) -> Done:
    """``surrogate ARGS OPTIONS`` (``python -m surrogate``), in this process."""
    from surrogate.cli.app import app

    return invoke(app, [*args, *flags(**options)], cwd)
