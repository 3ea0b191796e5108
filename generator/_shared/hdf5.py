"""HDF5 files read with checks: a content checksum, and one clear error for a missing,
unreadable or foreign file (files are written with :func:`generator._shared.targets.atomic_file`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CHECKSUM_ATTRIBUTE = "checksum"


def _digest_value(digest, value) -> None:
    if isinstance(value, str):
        digest.update(value.encode())
    elif isinstance(value, bytes):
        digest.update(value)
    else:
        array = np.asarray(value)
        if array.dtype.kind == "O":
            for item in array.ravel():
                _digest_value(digest, item)
        else:
            digest.update(array.dtype.str.encode() + repr(array.shape).encode())
            digest.update(array.tobytes())


def content_digest(f) -> str:
    """SHA-256 of everything an HDF5 file holds but its checksum attribute.

    Chunked datasets are hashed as their stored (compressed) chunks, read without decoding:
    verifying a 3e8-voxel volume costs a read of ~20 MB, and any changed stored byte shows.

    Parameters
    ----------
    f : h5py.File
        Open for reading.

    Returns
    -------
    str
        Hex digest.

    Examples
    --------
    A stored checksum verifies until one stored value changes:

    >>> import pathlib, tempfile
    >>> import h5py
    >>> from generator._shared.hdf5 import content_digest, verify_checksum
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with h5py.File(pathlib.Path(folder) / "f.h5", "w") as f:
    ...         f["x"] = [1, 2, 3]
    ...         f.attrs["checksum"] = content_digest(f)
    ...         before = verify_checksum(f)
    ...         f["x"][0] = 7
    ...         after = verify_checksum(f)
    >>> before, after
    (True, False)
    """
    import hashlib

    import h5py

    digest = hashlib.sha256()

    def attributes(name, obj) -> None:
        for key in sorted(obj.attrs):
            if name == "/" and key == CHECKSUM_ATTRIBUTE:
                continue
            digest.update(f"{name}@{key}=".encode())
            _digest_value(digest, obj.attrs[key])

    def visit(name, obj) -> None:
        attributes(name, obj)
        if not isinstance(obj, h5py.Dataset):
            return
        digest.update(f"{name}:{obj.dtype.str}:{obj.shape}".encode())
        if obj.chunks is None:
            _digest_value(digest, obj[()])
            return
        for position in range(obj.id.get_num_chunks()):
            info = obj.id.get_chunk_info(position)
            mask, stored = obj.id.read_direct_chunk(info.chunk_offset)
            digest.update(repr((info.chunk_offset, mask)).encode())
            digest.update(stored)

    attributes("/", f)
    names = []
    f.visit(names.append)
    for name in sorted(names):
        visit(name, f[name])
    return digest.hexdigest()


def verify_checksum(f) -> bool:
    """True when an open file's stored checksum equals its content's digest.

    Parameters
    ----------
    f : h5py.File
        Open for reading.

    Returns
    -------
    bool
        False too when the file stores no checksum. See :func:`content_digest` for an example.
    """
    stored = f.attrs.get(CHECKSUM_ATTRIBUTE)
    return stored is not None and str(stored) == content_digest(f)


def open_checked(path, file_format: str, what: str):
    """Open an HDF5 file for reading, with one clear error for a missing, unreadable or foreign
    file (its ``format`` attribute is not ``file_format``).

    Parameters
    ----------
    path : str or Path
    file_format : str
        The ``format`` attribute expected (``"gdl-sample"``, ``"gdl-dataset"``).
    what : str
        What the file should be, in messages.

    Returns
    -------
    h5py.File
        Open for reading; the caller closes it (``with open_checked(...) as f``).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        Not HDF5, or another format.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import h5py
    >>> from generator._shared.hdf5 import open_checked
    >>> open_checked("missing.h5", "gdl-sample", "sample")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no sample file at missing.h5
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "f.h5"
    ...     h5py.File(path, "w").close()  # an HDF5 file without a format attribute
    ...     open_checked(path, "gdl-sample", "sample")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...f.h5 is not a sample file (no 'gdl-sample' format attribute)
    """
    path = Path(path)
    f = open_readable(path, what)
    if f.attrs.get("format") != file_format:
        f.close()
        raise ValueError(f"{path} is not a {what} file (no '{file_format}' format attribute)")
    return f


def open_readable(path, what: str, error: type[ValueError] = ValueError):
    """Open an HDF5 file for reading, with one clear error for a missing or unreadable file.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file should be, in messages (``"sample"``: "no sample file at ...").
    error : ValueError subclass
        Raised for a file that is not readable HDF5.

    Returns
    -------
    h5py.File
        Open for reading; the caller closes it. See :func:`open_checked`, which checks its
        format too, for examples.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        (``error``) Not HDF5, or unreadable.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} file at {path}")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise error(f"{path} is not a readable HDF5 file ({err})") from err
