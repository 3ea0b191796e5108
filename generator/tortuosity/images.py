"""Read 3D images for the tortuosity: the generator's HDF5 samples, other tools' HDF5 datasets,
TIFF stacks and NumPy files.

Which voxels are pore is decided by one rule, :func:`generator.tortuosity.inputs.pore_mask`; a file
contributes only what it records (a generator sample's label table), never a guess.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator._shared.formats import SAMPLE_FORMAT
from generator._shared.guards import TORTUOSITY_BYTES_PER_VOXEL, check_memory

SUFFIXES = (".h5", ".hdf5", ".tif", ".tiff", ".npy")


@dataclass(frozen=True)
class LoadedImage:
    """An image and what its file says about it.

    Attributes
    ----------
    array : ndarray, 3D
    voxel_um : float or None
        Voxel size stored in the file (generator samples), else None.
    pore_label : int or None
        Pore label the file records (generator samples), else None.

    See Also
    --------
    read_image : which returns it (with examples).
    """

    array: np.ndarray
    voxel_um: float | None
    pore_label: int | None


def check_fits(shape, dtype, path) -> None:
    """Refuse, before reading, an image whose tortuosity would not fit in memory.

    Parameters
    ----------
    shape : sequence of int
        The shape the file declares.
    dtype : numpy dtype
        Its element type.
    path : str or Path
        The file, named in the message.

    Raises
    ------
    ValueError
        When the image and the tortuosity's work arrays would take more than the share of
        memory available now (see :func:`generator._shared.guards.check_memory`).

    Examples
    --------
    >>> from generator.tortuosity.images import check_fits
    >>> check_fits((10, 10, 10), "uint8", "small.tif")  # 11 kB: passes
    >>> check_fits((10**6,) * 3, "uint8", "huge.tif")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: huge.tif declares a (1000000, 1000000, 1000000) image of uint8: it needs about
    ... GiB at its peak; ...: crop or coarsen the image
    """
    voxels = math.prod(float(n) for n in shape)
    check_memory(
        voxels * (np.dtype(dtype).itemsize + TORTUOSITY_BYTES_PER_VOXEL),
        f"{path} declares a {tuple(int(n) for n in shape)} image of {np.dtype(dtype)}: it",
        "crop or coarsen the image",
    )


def _recorded_pore_label(volume) -> int | None:
    labels = volume.attrs.get("labels")
    if labels is None:
        return None
    for label, name in json.loads(labels).items():
        if name == "pore":
            return int(label)
    return None


def _read_hdf5(path: Path, dataset: str | None) -> LoadedImage:
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{path} is not a readable HDF5 file ({err})") from err
    with f:
        own = f.attrs.get("format") == SAMPLE_FORMAT
        name = dataset or ("volume" if own else None)
        if name is None:
            found = []
            f.visititems(
                lambda key, item: found.append(key) if isinstance(item, h5py.Dataset) else None
            )
            raise ValueError(
                f"{path} is not a generator sample: name the 3D dataset to read with 'dataset' "
                f"(datasets in it: {', '.join(found[:8]) or 'none'})"
            )
        item = f.get(name)
        if not isinstance(item, h5py.Dataset):
            kind = "a group" if item is not None else "missing"
            raise ValueError(f"{path}: {name!r} is {kind}, not a dataset")
        if item.ndim != 3:
            raise ValueError(f"{path}: {name!r} has shape {item.shape}; need a 3D dataset")
        check_fits(item.shape, item.dtype, path)
        try:
            array = item[()]
        except OSError as err:
            raise ValueError(f"{path}: {name!r} could not be read ({err})") from err
        voxel = float(f.attrs["voxel_um"]) if own and "voxel_um" in f.attrs else None
        return LoadedImage(array, voxel, _recorded_pore_label(item) if own else None)


def read_image(path, *, dataset: str | None = None) -> LoadedImage:
    """Load a 3D image from ``.h5`` (a generator sample, or the ``dataset`` named in another
    tool's file), ``.tif``/``.tiff`` or ``.npy``.

    Parameters
    ----------
    path : str or Path
        ``.h5``/``.hdf5``, ``.tif``/``.tiff`` or ``.npy``.
    dataset : str, optional
        The 3D dataset to read from another tool's HDF5 file (a generator sample needs none).

    Returns
    -------
    LoadedImage
        The array, and the voxel size and pore label when the file records them (generator
        samples); other files leave both None, so the caller must say which label is pore.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        An unreadable file, with the reason; a declared size that cannot fit in memory is
        refused before reading.

    Examples
    --------
    A NumPy file records neither a voxel size nor labels:

    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from generator.tortuosity import read_image
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     np.save(pathlib.Path(folder) / "mask.npy", np.ones((3, 2, 2), dtype=bool))
    ...     image = read_image(pathlib.Path(folder) / "mask.npy")
    >>> image.array.shape, image.voxel_um, image.pore_label
    ((3, 2, 2), None, None)

    A generator sample (format ``gdl-sample``) records both, so its pore label is known:

    >>> import h5py
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with h5py.File(pathlib.Path(folder) / "s.h5", "w") as f:
    ...         f.attrs["format"], f.attrs["voxel_um"] = "gdl-sample", 2.0
    ...         volume = f.create_dataset("volume", data=np.zeros((3, 2, 2), dtype=np.uint8))
    ...         volume.attrs["labels"] = '{"0": "pore", "1": "fibre", "2": "binder"}'
    ...     image = read_image(pathlib.Path(folder) / "s.h5")
    >>> image.voxel_um, image.pore_label
    (2.0, 0)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{path}: unsupported file type {suffix!r}; expected one of {SUFFIXES}")
    if dataset is not None and suffix not in (".h5", ".hdf5"):
        raise ValueError(f"'dataset' applies to HDF5 files, not to {path.name}")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty (0 bytes): no image to read")
    if suffix in (".h5", ".hdf5"):
        return _read_hdf5(path, dataset)
    try:
        if suffix in (".tif", ".tiff"):
            import tifffile

            with tifffile.TiffFile(path) as tif:
                series = tif.series[0]
                check_fits(series.shape, series.dtype, path)
                array = series.asarray()
        else:
            mapped = np.load(path, allow_pickle=False, mmap_mode="r")
            if mapped.dtype.fields is not None:
                raise ValueError(
                    f"{path} holds a structured array ({mapped.dtype}); need 3D labels"
                )
            check_fits(mapped.shape, mapped.dtype, path)
            array = np.array(mapped)
    except (OSError, ValueError, KeyError, IndexError, EOFError) as err:  # EOF: cut short
        if isinstance(err, ValueError) and str(path) in str(err):
            raise
        raise ValueError(f"{path} could not be read as an image ({err})") from err
    if array.ndim != 3:
        raise ValueError(f"{path} holds a {array.ndim}D array of shape {array.shape}; need 3D")
    return LoadedImage(array, None, None)
