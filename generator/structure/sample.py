"""A generated sample: its result object (:class:`GDLSample`) and its HDF5 file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from generator._shared.formats import SAMPLE_FORMAT
from generator._shared.hdf5 import CHECKSUM_ATTRIBUTE, content_digest, open_checked
from generator._shared.model_version import model_version
from generator._shared.phases import PHASE_LABELS, PHASES
from generator._shared.provenance import provenance, read_provenance_attributes
from generator._shared.targets import atomic_file, check_output_file
from generator.structure.binder import BinderResult
from generator.structure.fibres import STRATIFY_DEFAULT, FibreSet
from generator.structure.parameters import SampleParameters

FORMAT = SAMPLE_FORMAT
# 2: the volume may be absent (a sweep with --no-volumes), model_version and checksum added.
FORMAT_VERSION = 2
GZIP_LEVEL = 4  # of the stored volume's deflate filter


@dataclass
class GDLSample:
    """One generated gas-diffusion-layer sample.

    Attributes
    ----------
    volume : ndarray of uint8, shape (nz, ny, nx)
        Labels 0 pore, 1 fibre, 2 binder; axis 0 is through-plane (z), axis 2 is x.
    fibres : FibreSet
        The fibres as placed, in um, before compression (compression distorts them).
    parameters : SampleParameters
    seed : int
    voxel_um : float
    domain : str
        Preset name or ``"<x>x<y>"``.
    domain_um : tuple of float
        In-plane size (x, y) in um.
    fractions : dict
        ``{"before_compression": {...}, "after_compression": {...}}``, each the voxel fraction
        of pore, fibre and binder.
    orientation_target : tuple of float
        Target diagonal of the orientation tensor.
    binder : BinderResult
    scaled_columns : int
        Columns with more solid than the compressed thickness (scaled, mass not conserved).
    stratify : bool
        Whether the fibre lines came from a scrambled Sobol sequence or independent draws.
    timings : dict
        Seconds per stage.
    provenance : dict
        Versions, commit and command line, filled when read from a file.

    See Also
    --------
    generate : which makes one (with examples).
    """

    volume: np.ndarray
    fibres: FibreSet
    parameters: SampleParameters
    seed: int
    voxel_um: float
    domain: str
    domain_um: tuple[float, float]
    fractions: dict
    orientation_target: tuple[float, float, float]
    binder: BinderResult
    scaled_columns: int
    stratify: bool = STRATIFY_DEFAULT
    timings: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    @property
    def orientation_tensor(self) -> np.ndarray:
        """Orientation tensor of the fibres, weighted by axis length inside the domain."""
        return self.fibres.orientation_tensor()

    def to_hdf5(self, path, **kwargs) -> None:
        """Write the sample to one HDF5 file (see :func:`write_sample`).

        Parameters
        ----------
        path : str or Path
        **kwargs
            ``force``, ``keep_volume``, ``extra_attrs`` of :func:`write_sample`.
        """
        write_sample(self, path, **kwargs)


def phase_profile(volume: np.ndarray) -> np.ndarray:
    """Voxel counts of pore, fibre and binder in each slice of a label volume.

    Parameters
    ----------
    volume : ndarray of uint8, shape (nz, ny, nx)
        Labels 0 pore, 1 fibre, 2 binder.

    Returns
    -------
    ndarray of int64, shape (nz, 3)
        Column ``i`` counts label ``i`` in each z slice.

    Examples
    --------
    >>> import numpy as np
    >>> from generator.structure import phase_profile
    >>> volume = np.zeros((2, 3, 4), dtype=np.uint8)
    >>> volume[1, 0, :] = 1
    >>> phase_profile(volume).tolist()
    [[12, 0, 0], [8, 4, 0]]
    """
    from generator.structure._raster_kernels import count_labels_per_slice

    return count_labels_per_slice(volume, len(PHASES))


def phase_fractions(volume: np.ndarray) -> dict[str, float]:
    """Voxel fraction of pore, fibre and binder in a label volume.

    Parameters
    ----------
    volume : ndarray of uint8, shape (nz, ny, nx)
        Labels 0 pore, 1 fibre, 2 binder.

    Returns
    -------
    dict
        ``{"pore": ..., "fibre": ..., "binder": ...}``: voxels of each label over all voxels.

    Examples
    --------
    Two binder voxels in 20:

    >>> import numpy as np
    >>> from generator import phase_fractions
    >>> volume = np.zeros((2, 2, 5), dtype=np.uint8)
    >>> volume[0, 0, :2] = 2
    >>> phase_fractions(volume)
    {'pore': 0.9, 'fibre': 0.0, 'binder': 0.1}
    """
    counts = phase_profile(volume).sum(axis=0)
    return {name: float(counts[i]) / volume.size for i, name in enumerate(PHASES)}


def _chunks(shape) -> tuple[int, ...]:
    return tuple(min(n, c) for n, c in zip(shape, (16, 128, 128), strict=True))


def _write_chunks(dataset, volume: np.ndarray) -> None:
    """Fill a chunked, gzip-filtered uint8 dataset, deflating its chunks on several threads.

    HDF5 deflates chunk after chunk in the calling thread; zlib releases the GIL, so chunks
    deflated by a thread pool and stored as they are (``write_direct_chunk``) take a fraction
    of the time on several cores. What is stored is what HDF5's own filters would store: the
    shuffle of one-byte values is the identity, then a zlib stream at the same level; an edge
    chunk is stored whole, padded with zeros (the fill value), as HDF5 does.
    """
    import os
    import sys
    import zlib
    from concurrent.futures import ThreadPoolExecutor

    shape, chunk = volume.shape, dataset.chunks
    if volume.dtype != np.uint8 or dataset.compression != "gzip":
        dataset[...] = volume
        return
    corners = [
        (z, y, x)
        for z in range(0, shape[0], chunk[0])
        for y in range(0, shape[1], chunk[1])
        for x in range(0, shape[2], chunk[2])
    ]

    def deflate(corner):
        block = np.zeros(chunk, dtype=np.uint8)
        part = volume[tuple(slice(c, c + n) for c, n in zip(corner, chunk, strict=True))]
        block[tuple(slice(0, n) for n in part.shape)] = part
        return corner, zlib.compress(block.tobytes(), GZIP_LEVEL)

    # numba's thread count when it is loaded (the caller's setting), else the usable cores.
    numba = sys.modules.get("numba")
    if numba is not None:
        cores = numba.get_num_threads()
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = max(1, min(cores or 1, len(corners)))
    with ThreadPoolExecutor(threads) as pool:
        # In order and a batch at a time: deflated chunks wait for the writer, not pile up.
        for start in range(0, len(corners), 64 * threads):
            for corner, data in pool.map(deflate, corners[start : start + 64 * threads]):
                dataset.id.write_direct_chunk(corner, data)


def write_sample(
    sample, path, *, force: bool = False, keep_volume: bool = True, extra_attrs=None
) -> Path:
    """Write a :class:`~generator.structure.sample.GDLSample` to ``path`` (HDF5).

    The file is written under a temporary name in the same folder and renamed into place, so
    an interrupted write never leaves a truncated file at ``path``. It records the model
    version (:func:`generator._shared.model_version.model_version`) and a checksum of its whole
    content
    (:func:`content_digest`), so a later reader can tell a finished file from a damaged one.

    Parameters
    ----------
    sample : GDLSample
    path : str or Path
    force : bool
        Overwrite an existing regular file (a link, a device, a FIFO or a directory is never
        replaced: :func:`generator._shared.targets.check_output_file`).
    keep_volume : bool
        Store the label volume (False keeps fibres, parameters and attributes only).
    extra_attrs : dict, optional
        More root attributes (a sweep stores its task and table row here).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    A sample survives the round trip through its file:

    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from generator import generate, read_sample
    >>> from generator.structure import write_sample
    >>> sample = generate(domain=(120, 120), thickness_um=280, voxel_um=6, seed=1)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     copy = read_sample(write_sample(sample, pathlib.Path(folder) / "s.h5"))
    >>> np.array_equal(copy.volume, sample.volume), copy.parameters == sample.parameters
    (True, True)
    """
    import h5py

    path = check_output_file(path, force=force, probe=False)
    with atomic_file(path) as temporary:
        with h5py.File(temporary, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["model_version"] = model_version()
            if keep_volume:
                volume = f.create_dataset(
                    "volume",
                    shape=sample.volume.shape,
                    dtype=sample.volume.dtype,
                    chunks=_chunks(sample.volume.shape),
                    compression="gzip",
                    compression_opts=GZIP_LEVEL,
                    shuffle=True,
                )
                _write_chunks(volume, sample.volume)
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


def read_sample(path):
    """Read a sample file written by :func:`write_sample`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    GDLSample
        With the ``provenance`` the file records (see :func:`generator.provenance`).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        Not a sample file of this project, or a sample stored without its volume.

    Examples
    --------
    See :func:`write_sample` for a round trip. Another HDF5 file is refused:

    >>> import pathlib, tempfile
    >>> import h5py
    >>> from generator import read_sample
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "other.h5"
    ...     h5py.File(path, "w").close()
    ...     read_sample(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...other.h5 is not a sample file (no 'gdl-sample' format attribute)
    """
    with open_checked(path, FORMAT, "sample") as f:
        if "volume" not in f:
            raise ValueError(
                f"{path} stores no volume (its sweep ran with keep_volumes=False); only its table "
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
            provenance=read_provenance_attributes(f.attrs),
        )
    return sample
