"""HDF5 files of single samples: write atomically, read back, record provenance."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from generator.phases import PHASE_LABELS

FORMAT = "gdl-sample"
# 2: the volume may be absent (a sweep with --no-volumes), model_version and checksum added.
FORMAT_VERSION = 2
CHECKSUM_ATTRIBUTE = "checksum"


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
    git checkout."""
    return _git(["rev-parse", "HEAD"], folder or Path(__file__).resolve().parent) or ""


def git_dirty(folder=None) -> bool | None:
    """True when tracked files differ from the commit (the code that ran is not the commit's
    alone), None outside a git checkout."""
    status = _git(
        ["status", "--porcelain", "--untracked-files=no"],
        folder or Path(__file__).resolve().parent,
    )
    return None if status is None else bool(status)


def command_line(argv=None) -> str:
    """The command line as typed, without this machine's paths.

    ``python -m generator sweep ...`` for a package run with ``-m`` (whose ``argv[0]`` is the
    absolute path of its ``__main__.py``), the program's file name otherwise; the arguments
    are kept as given.
    """
    argv = list(sys.argv if argv is None else argv)
    if not argv:
        return ""
    program = Path(argv[0])
    if program.name == "__main__.py":
        head = f"python -m {program.parent.name}"
    elif program.suffix == ".py":
        head = f"python {program.name}"
    else:
        head = program.name
    return " ".join([head, *argv[1:]])


def provenance() -> dict[str, str | bool | None]:
    """Versions, commit, time and command line, as stored with every file.

    ``git_dirty`` is a boolean: True when tracked files differed from ``git_commit`` (the code
    that ran is not the commit's alone), None when the code did not run from a git checkout
    (``git_commit`` is then ``""``). A sample file stores it as an HDF5 boolean attribute
    ``provenance_git_dirty`` (h5py reads a ``numpy.bool_``) and leaves the attribute out when
    it is None; a dataset's JSON provenance has ``true``, ``false`` or ``null``. Files written
    before this was a boolean hold the strings ``"true"``, ``"false"`` or ``""``:
    :func:`read_git_dirty` reads both forms.
    """
    import h5py
    import numba

    from generator import __version__

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


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds.

    Readers never see a half-written file: on any error the temporary file is removed and
    ``path`` is left as it was. The result gets the permissions of an ordinary new file.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    umask = os.umask(0)  # mkstemp creates 0600
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _chunks(shape) -> tuple[int, ...]:
    return tuple(min(n, c) for n, c in zip(shape, (16, 128, 128), strict=True))


def write_sample(
    sample, path, *, force: bool = False, keep_volume: bool = True, extra_attrs=None
) -> Path:
    """Write a :class:`~generator.structure.GDLSample` to ``path`` (HDF5).

    The file is written under a temporary name in the same folder and renamed into place, so
    an interrupted write never leaves a truncated file at ``path``. It records the model
    version (:func:`generator.model_version.model_version`) and a checksum of its whole content
    (:func:`content_digest`), so a later reader can tell a finished file from a damaged one.

    Parameters
    ----------
    sample : GDLSample
    path : str or Path
    force : bool
        Overwrite an existing file.
    keep_volume : bool
        Store the label volume (False keeps fibres, parameters and attributes only).
    extra_attrs : dict, optional
        More root attributes (a sweep stores its task and table row here).

    Returns
    -------
    Path
    """
    import h5py

    from generator.model_version import model_version

    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass force=True (--force) to overwrite it")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"output folder {folder} does not exist")
    with atomic_file(path) as temporary:
        with h5py.File(temporary, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["model_version"] = model_version()
            if keep_volume:
                volume = f.create_dataset(
                    "volume",
                    data=sample.volume,
                    chunks=_chunks(sample.volume.shape),
                    compression="gzip",
                    compression_opts=4,
                    shuffle=True,
                )
                volume.attrs["axes"] = "z,y,x"
                volume.attrs["labels"] = json.dumps(PHASE_LABELS)
                volume.attrs["voxel_um"] = sample.voxel_um
            f.attrs["shape_zyx"] = np.asarray(sample.volume.shape, dtype=np.int64)
            fibres = f.create_group("fibres")
            fibres.attrs["frame"] = "um, (x, y, z), before compression"
            for name in ("centre", "direction", "radius", "length"):
                fibres.create_dataset(name, data=getattr(sample.fibres, name))
            params = f.create_group("parameters")
            for name, value in sample.parameters.as_dict().items():
                params.attrs[name] = value
            f.attrs["seed"] = sample.seed
            f.attrs["voxel_um"] = sample.voxel_um
            f.attrs["units"] = "lengths in um, fractions as voxel fractions (0-1)"
            f.attrs["domain"] = sample.domain
            f.attrs["domain_um"] = np.asarray(sample.domain_um)
            f.attrs["fractions"] = json.dumps(sample.fractions)
            f.attrs["orientation_target"] = np.asarray(sample.orientation_target)
            f.attrs["orientation_tensor"] = sample.orientation_tensor
            f.attrs["stratify"] = bool(sample.stratify)
            f.attrs["binder"] = json.dumps(
                {
                    "squared_radius_low": sample.binder.squared_radius_low,
                    "squared_radius_high": sample.binder.squared_radius_high,
                    "detached_voxels": sample.binder.detached_voxels,
                }
            )
            f.attrs["scaled_columns"] = sample.scaled_columns
            f.attrs["timings"] = json.dumps(sample.timings)
            for key, value in provenance().items():
                if value is not None:  # an unknown git state is left out, not stored as ""
                    f.attrs[f"provenance_{key}"] = value
            for key, value in (extra_attrs or {}).items():
                f.attrs[key] = value
        with h5py.File(temporary, "r+") as f:
            f.attrs[CHECKSUM_ATTRIBUTE] = content_digest(f)
    return path


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
    """True when an open file's stored checksum equals its content's digest."""
    stored = f.attrs.get(CHECKSUM_ATTRIBUTE)
    return stored is not None and str(stored) == content_digest(f)


def open_checked(path, file_format: str, what: str):
    """Open an HDF5 file for reading, with one clear error for a missing, unreadable or foreign
    file (its ``format`` attribute is not ``file_format``)."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} file at {path}")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{path} is not a readable HDF5 file ({err})") from err
    if f.attrs.get("format") != file_format:
        f.close()
        raise ValueError(f"{path} is not a {what} file (no '{file_format}' format attribute)")
    return f


def read_git_dirty(value) -> bool | None:
    """The ``git_dirty`` provenance entry as True, False or None (unknown), from any form a
    file holds: a boolean (HDF5 attribute or JSON, from this version on), ``None`` or a missing
    entry, or the strings ``"true"``, ``"false"`` and ``""`` of older files."""
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


def _read_provenance(attrs) -> dict:
    """A sample file's ``provenance_*`` attributes: strings, and ``git_dirty`` as True, False
    or None whichever form the file stores it in."""
    record = {
        key.removeprefix("provenance_"): str(value)
        for key, value in attrs.items()
        if key.startswith("provenance_")
    }
    record["git_dirty"] = read_git_dirty(attrs.get("provenance_git_dirty"))
    return record


def read_sample(path):
    """Read a sample file written by :func:`write_sample`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    GDLSample
    """
    from generator.binder import BinderResult
    from generator.fibres import FibreSet
    from generator.parameters import SampleParameters
    from generator.structure import GDLSample

    with open_checked(path, FORMAT, "sample") as f:
        if "volume" not in f:
            raise ValueError(
                f"{path} stores no volume (its sweep ran with --no-volumes); only its table "
                "row and fibres are in it"
            )
        fibres = FibreSet(**{name: f["fibres"][name][()] for name in f["fibres"]})
        sample = GDLSample(
            volume=f["volume"][()],
            fibres=fibres,
            parameters=SampleParameters(**dict(f["parameters"].attrs)),
            seed=int(f.attrs["seed"]),
            voxel_um=float(f.attrs["voxel_um"]),
            domain=str(f.attrs["domain"]),
            domain_um=tuple(float(v) for v in f.attrs["domain_um"]),
            fractions=json.loads(f.attrs["fractions"]),
            orientation_target=tuple(float(v) for v in f.attrs["orientation_target"]),
            binder=BinderResult(**json.loads(f.attrs["binder"])),
            scaled_columns=int(f.attrs["scaled_columns"]),
            stratify=bool(f.attrs.get("stratify", True)),
            timings=json.loads(f.attrs["timings"]),
            provenance=_read_provenance(f.attrs),
        )
    return sample
