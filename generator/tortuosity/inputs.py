"""Input rules shared by every tortuosity method: the flow axis, voxel sizes, the metric names
and which voxels are pore (labels are never guessed).

Examples
--------
>>> from generator.tortuosity import METRICS
>>> METRICS
('euclidean', 'lattice')
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Metric = Literal["euclidean", "lattice"]
METRICS = ("euclidean", "lattice")
AXES = {"z": 0, "y": 1, "x": 2, 0: 0, 1: 1, 2: 2}


def check_metric(metric) -> str:
    """``metric`` if it is one of :data:`METRICS`, else a ValueError naming it.

    Examples
    --------
    >>> check_metric("lattice")
    'lattice'
    >>> check_metric("geodesic")
    Traceback (most recent call last):
    ...
    ValueError: metric='geodesic' is not one of euclidean, lattice
    """
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not one of {', '.join(METRICS)}")
    return metric


def resolve_axis(axis) -> int:
    """Array axis (0, 1, 2) of ``"z"``, ``"y"``, ``"x"`` or an integer; clear error otherwise.

    Parameters
    ----------
    axis : {"z", "y", "x", 0, 1, 2}

    Returns
    -------
    int
        The array axis: ``"z"`` is 0 (the generator's through-plane axis), ``"x"`` is 2.

    Examples
    --------
    >>> from generator.tortuosity.inputs import resolve_axis
    >>> resolve_axis("z"), resolve_axis("x"), resolve_axis(1)
    (0, 2, 1)
    >>> resolve_axis("w")
    Traceback (most recent call last):
    ...
    ValueError: axis='w' is not one of 'z', 'y', 'x' (array axes 0, 1, 2)
    """
    if axis in AXES:
        return AXES[axis]
    raise ValueError(f"axis={axis!r} is not one of 'z', 'y', 'x' (array axes 0, 1, 2)")


def resolve_spacing(voxel_um) -> np.ndarray:
    """Voxel size per array axis from a scalar or a 3-sequence, all positive.

    Parameters
    ----------
    voxel_um : float or sequence of 3 floats
        In um, each within ``VOXEL_UM_RANGE`` of :mod:`generator._shared.guards`.

    Returns
    -------
    ndarray of float64, shape (3,)
        Per array axis (z, y, x).

    Examples
    --------
    >>> from generator.tortuosity.inputs import resolve_spacing
    >>> resolve_spacing(2.0).tolist(), resolve_spacing((1, 1, 2.5)).tolist()
    ([2.0, 2.0, 2.0], [1.0, 1.0, 2.5])
    >>> resolve_spacing(0)
    Traceback (most recent call last):
    ...
    ValueError: voxel_um=0 must be finite and within [0.0001, 10000] um (one value or one per
    axis)
    """
    from generator._shared.guards import VOXEL_UM_RANGE

    try:
        spacing = np.broadcast_to(np.asarray(voxel_um, dtype=np.float64), (3,)).copy()
    except (TypeError, ValueError) as err:
        raise ValueError(f"voxel_um={voxel_um!r} must be one number or one per axis") from err
    low, high = VOXEL_UM_RANGE
    if not np.all(np.isfinite(spacing)) or np.any(spacing < low) or np.any(spacing > high):
        # Distances are float32 in um: outside this range they under- or overflow.
        raise ValueError(
            f"voxel_um={voxel_um!r} must be finite and within [{low:g}, {high:g}] um (one value "
            "or one per axis)"
        )
    return spacing


def pore_mask(image: np.ndarray, pore_label=None) -> np.ndarray:
    """Boolean pore mask (``True`` pore) of an image, by the one pore-label rule.

    * A boolean image is the mask: ``True`` is pore.
    * An integer label image needs ``pore_label``: pore is ``image == pore_label``. Tools
      disagree (PuMA, GeoDict and ImageJ masks mark pore 0; PoreSpy marks pore ``True``/1; this
      generator's volumes are 0 pore, 1 fibre, 2 binder), so a label is never guessed. Files
      that record their labels (the generator's samples) supply it when they are read.

    Parameters
    ----------
    image : ndarray, 3D
        Boolean mask or integer labels.
    pore_label : int, optional
        The label of pore in a label image; must be left out for a boolean mask.

    Returns
    -------
    ndarray of bool
        ``True`` at pore voxels (the image itself when it is a boolean mask).

    Raises
    ------
    ValueError
        Naming the values found (and, for a two-valued image, the porosity each choice would
        give) when the label is missing or absent from the image.

    Examples
    --------
    A label image needs its pore label; a 0/1 image without one is refused with the porosity
    each choice would give (here 6 voxels of 0 and 2 of 1 in 8):

    >>> import numpy as np
    >>> from generator.tortuosity import pore_mask
    >>> image = np.array([0, 0, 0, 1, 0, 0, 0, 1], dtype=np.uint8).reshape(2, 2, 2)
    >>> int(pore_mask(image, pore_label=0).sum()), int(pore_mask(image, pore_label=1).sum())
    (6, 2)
    >>> pore_mask(image)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the image holds two values, 0 and 1: give the pore label (pore_label): pore 0
    gives porosity 0.750, pore 1 gives 0.250. ...

    A boolean image is the mask (``True`` pore) and takes no label:

    >>> mask = image == 0
    >>> pore_mask(mask) is mask
    True
    >>> pore_mask(mask, pore_label=1)
    Traceback (most recent call last):
    ...
    ValueError: pore_label applies to label images, not to a boolean mask
    """
    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(f"image must be 3D, got shape {image.shape}")
    if image.size == 0:
        raise ValueError(f"image is empty (shape {image.shape})")
    if image.dtype == bool:
        if pore_label is not None:
            raise ValueError("pore_label applies to label images, not to a boolean mask")
        return image
    if image.dtype.kind not in "iu":
        raise ValueError(
            f"image dtype {image.dtype} is neither a boolean mask nor integer labels: convert it "
            "(for example image == pore_value)"
        )
    if pore_label is None:
        raise ValueError(_missing_label_message(image))
    mask = image == pore_label
    if not mask.any():
        raise ValueError(
            f"pore label {pore_label} does not occur in the image (values include "
            f"{_values(image)[:6].tolist()})"
        )
    return mask


def _values(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return np.flatnonzero(np.bincount(image.ravel(), minlength=256))
    return np.unique(image)


def _missing_label_message(image: np.ndarray) -> str:
    values = _values(image)
    if len(values) == 2:
        shares = [float(np.count_nonzero(image == v)) / image.size for v in values]
        return (
            f"the image holds two values, {values[0]} and {values[1]}: give the pore label "
            f"(pore_label): pore {values[0]} gives porosity {shares[0]:.3f}, "
            f"pore {values[1]} gives {shares[1]:.3f}. PuMA, GeoDict and ImageJ masks mark pore "
            "0; PoreSpy marks pore 1 (True)"
        )
    return (
        f"the image holds {len(values)} value(s) ({values[:6].tolist()}): give the pore label "
        "(pore_label); the generator's volumes use 0"
    )
