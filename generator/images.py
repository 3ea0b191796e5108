"""Read 3D images for the tortuosity: the generator's HDF5 samples, TIFF stacks, NumPy files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
        Pore label known from the file format (0 for generator samples), else None.
    """

    array: np.ndarray
    voxel_um: float | None
    pore_label: int | None


def read_image(path) -> LoadedImage:
    """Load a 3D image from ``.h5`` (a generator sample), ``.tif``/``.tiff`` or ``.npy``.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for an unreadable one,
    with the reason.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{path}: unsupported file type {suffix!r}; expected one of {SUFFIXES}")
    try:
        if suffix in (".h5", ".hdf5"):
            import h5py

            with h5py.File(path, "r") as f:
                if "volume" not in f:
                    raise ValueError(f"{path} has no 'volume' dataset (not a generator sample)")
                array = f["volume"][()]
                voxel = float(f.attrs["voxel_um"]) if "voxel_um" in f.attrs else None
            return LoadedImage(array, voxel, 0)
        if suffix in (".tif", ".tiff"):
            import tifffile

            array = tifffile.imread(path)
        else:
            array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, KeyError) as err:
        if isinstance(err, ValueError) and str(path) in str(err):
            raise
        raise ValueError(f"{path} could not be read as an image ({err})") from err
    if array.ndim != 3:
        raise ValueError(f"{path} holds a {array.ndim}D array of shape {array.shape}; need 3D")
    return LoadedImage(array, None, None)


def choose_pore_label(array: np.ndarray, pore_label, known_label):
    """The pore label to use: the one given, the file's own, or 1 in a binary 0/1 image.

    A non-binary image without a label is refused: guessing which phase is pore would give a
    credible-looking but wrong tortuosity.
    """
    if pore_label is not None:
        if not np.any(array == pore_label):
            raise ValueError(f"pore label {pore_label} does not occur in the image")
        return pore_label
    if known_label is not None:
        return known_label
    if array.dtype == bool:
        return None
    values = np.unique(array[:: max(1, array.shape[0] // 8)])
    if np.all(np.isin(values, (0, 1))) and np.all(np.isin(np.unique(array), (0, 1))):
        return 1
    raise ValueError(
        f"the image is not binary (values include {values[:6].tolist()}); give --pore-label"
    )
