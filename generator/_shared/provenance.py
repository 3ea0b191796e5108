"""Provenance recorded with every file: package version, git commit and state, time, command
line and library versions."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from generator._shared.version import __version__


def _git(args, folder) -> str | None:
    """Output of a git command run in ``folder``; None when git or the checkout is missing."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def git_commit(folder=None) -> str:
    """Commit of the source tree this package runs from (or of ``folder``), ``""`` outside a
    git checkout.

    Parameters
    ----------
    folder : str or Path, optional
        Default the folder of this package.

    Returns
    -------
    str
        40 hex digits, or ``""``.

    Examples
    --------
    >>> from generator._shared.provenance import git_commit
    >>> len(git_commit()) in (0, 40)  # 40 hex digits in a checkout
    True
    """
    return _git(["rev-parse", "HEAD"], folder or Path(__file__).resolve().parent) or ""


def git_dirty(folder=None) -> bool | None:
    """True when tracked files differ from the commit (the code that ran is not the commit's
    alone), None outside a git checkout.

    Parameters
    ----------
    folder : str or Path, optional
        Default the folder of this package.

    Returns
    -------
    bool or None

    Examples
    --------
    >>> from generator._shared.provenance import git_dirty
    >>> git_dirty() in (True, False, None)
    True
    """
    status = _git(
        ["status", "--porcelain", "--untracked-files=no"],
        folder or Path(__file__).resolve().parent,
    )
    return None if status is None else bool(status)


def command_line(argv=None, orig_argv=None) -> str:
    """The command line as typed, without this machine's paths.

    ``python -m workflows.gdl_study ...`` for a module run with ``-m`` (whose ``argv[0]`` is
    the absolute path of the module's file, so the module's name comes from the interpreter's
    own arguments, ``sys.orig_argv``), ``python -m generator`` for a package's
    ``__main__.py``, the program's file name otherwise; the arguments are kept as given.

    Parameters
    ----------
    argv : list of str, optional
        Default ``sys.argv``.
    orig_argv : list of str, optional
        The interpreter's arguments (``sys.orig_argv``), read for the ``-m`` module name;
        default ``sys.orig_argv`` when ``argv`` is not given, none otherwise.

    Returns
    -------
    str
        ``""`` for an empty ``argv``.

    Examples
    --------
    >>> from generator import command_line
    >>> command_line(["/home/me/gdl/generator/__main__.py", "sweep", "--n", "4"])
    'python -m generator sweep --n 4'
    >>> command_line(
    ...     ["/home/me/gdl/workflows/gdl_study.py", "--out", "s"],
    ...     orig_argv=["/usr/bin/python3", "-m", "workflows.gdl_study", "--out", "s"],
    ... )
    'python -m workflows.gdl_study --out s'
    >>> command_line(["/home/me/gdl/run.py", "--fast"]), command_line(["/opt/bin/surrogate"])
    ('python run.py --fast', 'surrogate')
    """
    if argv is None:
        argv, orig_argv = sys.argv, getattr(sys, "orig_argv", None)
    argv = list(argv)
    if not argv:
        return ""
    program = Path(argv[0])
    module = _module_run(orig_argv or [])
    if module:
        head = f"python -m {module}"
    elif program.name == "__main__.py":
        head = f"python -m {program.parent.name}"
    elif program.suffix == ".py":
        head = f"python {program.name}"
    else:
        head = program.name
    return " ".join([head, *argv[1:]])


def _module_run(orig_argv: list[str]) -> str | None:
    """The module of ``python [options] -m MODULE ...`` (also ``-mMODULE``), None otherwise."""
    words = iter(orig_argv[1:])
    for word in words:
        if word == "-m":
            return next(words, None)
        if word.startswith("-m"):
            return word[2:]
        if word in ("-W", "-X"):
            next(words, None)  # the option's value
        elif word in ("-c", "-") or not word.startswith("-"):
            return None  # a script, a command or stdin: no module
    return None


def provenance() -> dict[str, str | bool | None]:
    """Versions, commit, time and command line, as stored with every file.

    ``git_dirty`` is a boolean: True when tracked files differed from ``git_commit`` (the code
    that ran is not the commit's alone), None when the code did not run from a git checkout
    (``git_commit`` is then ``""``). A sample file stores it as an HDF5 boolean attribute
    ``provenance_git_dirty`` (h5py reads a ``numpy.bool_``) and leaves the attribute out when
    it is None; a dataset's JSON provenance has ``true``, ``false`` or ``null``. Files written
    before this was a boolean hold the strings ``"true"``, ``"false"`` or ``""``:
    :func:`read_git_dirty` reads both forms.

    Returns
    -------
    dict
        ``package_version``, ``git_commit``, ``git_dirty``, ``created_utc`` (ISO 8601, to the
        second), ``command_line`` (:func:`command_line`) and the versions of Python, NumPy,
        numba and h5py.

    Examples
    --------
    >>> import generator
    >>> record = generator.provenance()
    >>> sorted(record)
    ['command_line', 'created_utc', 'git_commit', 'git_dirty', 'h5py', 'numba', 'numpy',
     'package_version', 'python']
    >>> record["package_version"] == generator.__version__
    True
    """
    import h5py
    import numba

    return {
        "package_version": __version__,
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command_line": command_line(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "h5py": h5py.__version__,
    }


def read_git_dirty(value) -> bool | None:
    """The ``git_dirty`` provenance entry as True, False or None (unknown), from any form a
    file holds: a boolean (HDF5 attribute or JSON, from this version on), ``None`` or a missing
    entry, or the strings ``"true"``, ``"false"`` and ``""`` of older files.

    Parameters
    ----------
    value : bool, numpy.bool_, str, bytes or None

    Returns
    -------
    bool or None

    Raises
    ------
    ValueError
        Any other value.

    Examples
    --------
    >>> import numpy as np
    >>> from generator._shared.provenance import read_git_dirty
    >>> read_git_dirty("true"), read_git_dirty(np.bool_(False)), read_git_dirty("")
    (True, False, None)
    >>> read_git_dirty("maybe")
    Traceback (most recent call last):
    ...
    ValueError: git_dirty 'maybe' is not true, false or empty
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "unknown", "none", "null"):
            return None
        if text in ("true", "false"):
            return text == "true"
        raise ValueError(f"git_dirty {value!r} is not true, false or empty")
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"git_dirty {value!r} is not a boolean")


def read_provenance_attributes(attrs) -> dict:
    """A sample file's ``provenance_*`` attributes: strings, and ``git_dirty`` as True, False
    or None whichever form the file stores it in.

    Parameters
    ----------
    attrs : mapping
        The file's root attributes (``h5py`` ``File.attrs``, or any dict).

    Returns
    -------
    dict
        Keys without the ``provenance_`` prefix.

    Examples
    --------
    >>> from generator._shared.provenance import read_provenance_attributes
    >>> attributes = {"seed": 1, "provenance_git_commit": "abc", "provenance_git_dirty": "false"}
    >>> read_provenance_attributes(attributes)
    {'git_commit': 'abc', 'git_dirty': False}
    """
    record = {
        key.removeprefix("provenance_"): str(value)
        for key, value in attrs.items()
        if key.startswith("provenance_")
    }
    record["git_dirty"] = read_git_dirty(attrs.get("provenance_git_dirty"))
    return record
