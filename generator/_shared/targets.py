"""Output targets: what a command may write or replace, checked before any work, then written
under a temporary name and renamed into place.

One rule for every command that writes (``sample``, ``show``, ``export``, ``sweep``, ``merge``,
the surrogate's run folders and the active loop's files):

- Only a regular file may be replaced, and only with ``force``; a folder of results is written
  into, never replaced. Nothing else is ever written to: a symbolic link (to anything, or
  dangling: a link is never written through; give the real path), a device node, a FIFO, a
  socket, a directory where a file is expected or a file where a folder is expected.
- A name the file system cannot hold (a component longer than ``PC_NAME_MAX`` bytes, a path of
  ``PC_PATH_MAX`` bytes or more) is refused with its length and the limit.
- The folder a file goes to must exist and take a new file (a probe of the process's own).
- Files are written under a temporary name in the target's folder and renamed onto it
  (:func:`atomic_file`); the target's kind is checked again just before the rename, so even a
  library call never replaces a device or a link that appeared meanwhile.

Errors are :class:`TargetError` (a ``ValueError``) naming the file and what was expected; the
command lines turn them into one line and exit code 2.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# When the file system does not say (pathconf unsupported): Linux's limits.
DEFAULT_NAME_MAX = 255
DEFAULT_PATH_MAX = 4096
# What a file target must be, in messages.
_FILE_EXPECTED = "a file is expected (only a regular file is ever replaced)"
# A temporary name keeps at most this many bytes of the target's name (so it fits too).
_TEMPORARY_STEM_BYTES = 200


class TargetError(ValueError):
    """An output target the rule refuses (see the module's rules)."""


def path_kind(path) -> str | None:
    """``None`` for a regular file or nothing at ``path``; otherwise what is there (the path
    itself, a symbolic link not followed).

    Examples
    --------
    >>> from generator._shared.targets import path_kind
    >>> path_kind("/dev/null"), path_kind("/"), path_kind("/no/such/file")
    ('a character device', 'a directory', None)
    """
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        if err.errno == errno.ENAMETOOLONG:  # check_name says it better
            return None
        raise
    if stat.S_ISREG(mode):
        return None
    for test, name in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return Path(".")


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        value = os.pathconf(folder, name)
    except (OSError, ValueError):
        return default
    return value if value and value > 0 else default


def _shorten(text: str, keep: int = 40) -> str:
    return text if len(text) <= keep else text[:keep] + "..."


def check_name(path, what: str = "output") -> Path:
    """Refuse a path the file system cannot hold: a component longer than ``PC_NAME_MAX``
    bytes, or a whole path of ``PC_PATH_MAX`` bytes or more (limits of the nearest existing
    folder's file system).

    Parameters
    ----------
    path : str or Path
    what : str
        What the path is, in messages.

    Returns
    -------
    Path

    Raises
    ------
    TargetError

    Examples
    --------
    >>> from generator._shared.targets import check_name
    >>> check_name("/tmp/" + "x" * 300 + ".h5")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    generator._shared.targets.TargetError: output name 'xxx...' is 303 bytes long; this file
    system holds names of at most 255 bytes: choose a shorter name
    """
    path = Path(path)
    anchor = _nearest_existing(path.parent)
    name_max = _limit(anchor, "PC_NAME_MAX", DEFAULT_NAME_MAX)
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > name_max:
            raise TargetError(
                f"{what} name {_shorten(part)!r} is {size} bytes long; this file system holds "
                f"names of at most {name_max} bytes: choose a shorter name"
            )
    path_max = _limit(anchor, "PC_PATH_MAX", DEFAULT_PATH_MAX)
    size = len(os.fsencode(os.path.abspath(path)))
    if size >= path_max:
        raise TargetError(
            f"{what} path {_shorten(str(path))!r} is {size} bytes long; this file system takes "
            f"paths of fewer than {path_max} bytes: choose a shorter path"
        )
    return path


def _link_text(path: Path) -> str:
    try:
        return f" to {os.readlink(path)}" + ("" if path.exists() else ", dangling")
    except OSError:
        return ""


def _refuse_kind(path: Path, kind: str, subject: str, expected: str) -> None:
    """Raise :class:`TargetError`: ``subject`` (naming ``path``) is ``kind``, not what was
    ``expected``."""
    if kind == "a symbolic link":
        raise TargetError(
            f"{subject} is a symbolic link{_link_text(path)}; a link is never written "
            "through or replaced: give the real path"
        )
    raise TargetError(f"{subject} is {kind}; {expected}")


def probe_writable(folder) -> None:
    """Raise ``OSError`` naming ``folder`` unless a file can be created in it (a temporary
    file of this process's own, removed at once: concurrent processes never touch each
    other's probes)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".write-probe-", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as err:
        raise OSError(f"cannot write to {folder}: {err.strerror or err}") from err


def check_output_file(path, *, force: bool = False, what: str = "output", probe: bool = True):
    """Refuse, before any work, a file target the rule forbids (see the module).

    Parameters
    ----------
    path : str or Path
        The file to write.
    force : bool
        Replace an existing regular file.
    what : str
        What the file is, in messages (``"output"``, ``"dataset"``).
    probe : bool
        Also check that the folder takes a new file.

    Returns
    -------
    Path

    Raises
    ------
    TargetError
        A link, a device, a FIFO, a socket, a directory, a name too long, or an existing file
        without ``force``.
    FileNotFoundError, OSError
        A missing folder, or one that takes no new file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from generator._shared.targets import check_output_file
    >>> check_output_file("/dev/null", force=True)
    Traceback (most recent call last):
    ...
    generator._shared.targets.TargetError: output /dev/null is a character device; a file is
    expected (only a regular file is ever replaced)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "a.h5"
    ...     _ = path.write_text("mine")
    ...     check_output_file(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileExistsError: output .../a.h5 exists; pass force=True to overwrite it
    """
    path = check_name(path, what)
    kind = path_kind(path)
    if kind:
        _refuse_kind(path, kind, f"{what} {path}", _FILE_EXPECTED)
    folder = path.parent
    folder_kind = path_kind(folder)
    if folder_kind == "a symbolic link" and folder.is_dir():
        folder_kind = None  # a linked folder is written into, not replaced
    if folder_kind and folder_kind != "a directory":
        subject = f"the folder {folder} of {what} {path.name}"
        _refuse_kind(folder, folder_kind, subject, "a folder is expected")
    if path.exists() and not force:
        raise FileExistsError(f"{what} {path} exists; pass force=True to overwrite it")
    if not folder.is_dir():
        raise FileNotFoundError(f"the folder {folder} of {what} {path.name} does not exist")
    if probe:
        probe_writable(folder)
    return path


def check_output_folder(path, *, what: str = "output folder", probe: bool = True) -> Path:
    """Refuse, before any work, a folder target the rule forbids: it must be a directory (not
    a link to one) or not exist yet; its nearest existing ancestor must take new files.

    Parameters
    ----------
    path : str or Path
    what : str
        What the folder is, in messages (``"runs"``).
    probe : bool
        Also check that the folder (or its nearest existing ancestor) takes a new file.

    Returns
    -------
    Path

    Raises
    ------
    TargetError, OSError

    Examples
    --------
    >>> from generator._shared.targets import check_output_folder
    >>> check_output_folder("/dev/null")
    Traceback (most recent call last):
    ...
    generator._shared.targets.TargetError: output folder /dev/null is a character device; a
    folder is expected
    """
    path = check_name(path, what)
    for candidate in (path, *path.parents):
        kind = path_kind(candidate)
        if kind is None and os.path.lexists(candidate):
            kind = "a file"
        if kind == "a directory":
            break
        if kind == "a symbolic link" and candidate != path and candidate.is_dir():
            break  # an ancestor linked to a folder: written into, as any folder
        if kind:
            subject = f"{what} {path}" if candidate == path else f"{candidate} (in {what} {path})"
            _refuse_kind(candidate, kind, subject, "a folder is expected")
    if probe:
        probe_writable(_nearest_existing(path))
    return path


def _temporary_name(name: str) -> str:
    stem = os.fsencode(name)[:_TEMPORARY_STEM_BYTES].decode(errors="ignore")
    return f".{stem}.{secrets.token_hex(6)}.tmp"


@contextmanager
def atomic_file(path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds.

    Readers never see a half-written file: on any error the temporary file is removed and
    ``path`` is left as it was. Just before the rename, ``path`` is checked again: anything but
    a regular file or nothing there (a link, a device, a FIFO, a directory) is left alone and
    :class:`TargetError` raised. The result gets the permissions of an ordinary new file (the
    process's umask applies, as for ``open``; the umask is never changed).

    Parameters
    ----------
    path : str or Path
        The file to write; its folder must exist.

    Yields
    ------
    Path
        ``.<name>.<random>.tmp`` in the same folder (so the rename stays on one file system; a
        long name is cut so that the temporary one fits too).

    Examples
    --------
    An interrupted write leaves the old file as it was, and no temporary file behind:

    >>> import pathlib, tempfile
    >>> from generator._shared.targets import atomic_file
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "a.txt"
    ...     _ = path.write_text("old")
    ...     try:
    ...         with atomic_file(path) as temporary:
    ...             _ = temporary.write_text("half")
    ...             raise KeyboardInterrupt
    ...     except KeyboardInterrupt:
    ...         pass
    ...     with atomic_file(path) as temporary:
    ...         _ = temporary.write_text("new")
    ...     print(path.read_text(), [p.name for p in pathlib.Path(folder).iterdir()])
    new ['a.txt']
    """
    path = Path(path)
    kind = path_kind(path)
    if kind:
        _refuse_kind(path, kind, f"output {path}", _FILE_EXPECTED)
    # Created here with mode 0666 so the umask applies (mkstemp would make it 0600).
    while True:
        temporary = path.parent / _temporary_name(path.name)
        try:
            os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield temporary
        kind = path_kind(path)
        if kind:
            _refuse_kind(path, kind, f"output {path}", _FILE_EXPECTED)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
