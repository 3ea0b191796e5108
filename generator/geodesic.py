"""Geodesic distance through the pore space from one face of a 3D image.

``D(v)`` is the length of the shortest path from the inlet face (the first slice along the flow
axis) through pore voxels to voxel ``v``, measured between voxel centres in micrometres (voxel
units when ``voxel_um=1``), +inf where ``v`` is solid or not connected to the inlet. Two metrics:

``"lattice"``
    Shortest paths on the 26-connected voxel graph with steps ``|offset * spacing|`` (1, sqrt 2,
    sqrt 3 for cubic voxels): the same numbers as Dijkstra (dijkstra3d, scikit-image's
    ``MCP_Geometric``). It over-estimates oblique paths by up to about 8 %.
``"euclidean"`` (default)
    A semi-Lagrangian discretisation of the Euclidean distance on the same neighbourhood (see
    :mod:`generator._geodesic_kernels`): straight paths in any direction within about 1 %.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Metric = Literal["euclidean", "lattice"]
METRICS = ("euclidean", "lattice")
AXES = {"z": 0, "y": 1, "x": 2, 0: 0, 1: 1, 2: 2}
EUCLIDEAN_TOLERANCE = 1e-6  # relative change below which a semi-Lagrangian update is dropped
IN_PLANE_BANDS = 4
DENSE_PASSES = 12  # raster passes over a slice before the in-plane relaxation goes sparse


def resolve_axis(axis) -> int:
    """Array axis (0, 1, 2) of ``"z"``, ``"y"``, ``"x"`` or an integer; clear error otherwise."""
    if axis in AXES:
        return AXES[axis]
    raise ValueError(f"axis={axis!r} is not one of 'z', 'y', 'x' (array axes 0, 1, 2)")


def resolve_spacing(voxel_um) -> np.ndarray:
    """Voxel size per array axis from a scalar or a 3-sequence, all positive."""
    from generator.guards import VOXEL_UM_RANGE

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

    Raises ``ValueError`` naming the values found (and, for a two-valued image, the porosity each
    choice would give) when the label is missing or absent from the image.
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
            f"(pore_label / --pore-label): pore {values[0]} gives porosity {shares[0]:.3f}, "
            f"pore {values[1]} gives {shares[1]:.3f}. PuMA, GeoDict and ImageJ masks mark pore "
            "0; PoreSpy marks pore 1 (True)"
        )
    return (
        f"the image holds {len(values)} value(s) ({values[:6].tolist()}): give the pore label "
        "(pore_label / --pore-label); the generator's volumes use 0"
    )


def _metric_code(metric) -> int:
    from generator._geodesic_kernels import EUCLIDEAN, LATTICE

    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not one of {', '.join(METRICS)}")
    return EUCLIDEAN if metric == "euclidean" else LATTICE


def _solve(pore: np.ndarray, spacing: np.ndarray, metric: str, from_last: bool) -> np.ndarray:
    """Distance from the first (or last) slice of axis 0 of a uint8 pore array (0/1), in um.

    ``pore`` is used for scratch flags and left as it came (0/1).
    """
    from generator.threads import ThreadPacer

    with ThreadPacer() as pacer:
        return _sweeps(pore, spacing, metric, from_last, pacer)


def _sweeps(pore, spacing, metric, from_last, pacer) -> np.ndarray:
    from generator._geodesic_kernels import (
        age_change_flags,
        clear_flags,
        relax_plane_bands,
        relax_sparse,
        step_across,
    )

    code = _metric_code(metric)
    tolerance = EUCLIDEAN_TOLERANCE if metric == "euclidean" else 0.0
    hz, hy, hx = (float(v) for v in spacing)
    nz = pore.shape[0]
    dist = np.full(pore.shape, np.inf, dtype=np.float32)
    order = list(range(nz - 1, -1, -1)) if from_last else list(range(nz))
    source = order[0]
    dist[source][pore[source] != 0] = 0.0

    # Bands of rows for the in-plane raster passes, spread over the threads. A fixed count (not
    # the thread count) keeps the result the same whatever the number of threads.
    bands = max(1, min(IN_PLANE_BANDS, pore.shape[1] // 32))
    # Work space allocated once (fresh large allocations on every call cost page faults).
    seeds = np.empty(pore.shape[1] * pore.shape[2], dtype=np.int64)
    row_counts = np.zeros(pore.shape[1], dtype=np.int64)
    scratch = np.empty((3,) + pore.shape[1:], dtype=np.float32)
    near_rows = np.zeros(pore.shape[1:], dtype=np.uint8)

    def across(k, behind, mark, sparse):
        pacer.pace()
        return step_across(
            dist[k],
            dist[behind],
            pore[k],
            pore[behind],
            hy,
            hx,
            hz,
            code,
            tolerance,
            mark,
            sparse,
            seeds,
            row_counts,
            scratch,
            near_rows,
        )

    def relax_from_seeds(k, scan):
        relax_sparse(dist[k], pore[k], hy, hx, code, tolerance, seeds, row_counts, scan)

    # First sweep, dense: every slice from the one behind it, then within its plane.
    for behind, k in zip([source] + order[:-1], order, strict=True):
        if k != source and not across(k, behind, False, False):
            continue
        if relax_plane_bands(dist[k], pore[k], hy, hx, code, tolerance, DENSE_PASSES, bands):
            relax_from_seeds(k, True)
    clear_flags(pore)
    # Sparse sweeps in alternating directions until one changes nothing.
    changed_last = np.ones(nz, dtype=bool)
    toward_source = True
    first = True
    while True:
        sweep = order[::-1] if toward_source else order
        changed_now = np.zeros(nz, dtype=bool)
        for behind, k in zip(sweep[:-1], sweep[1:], strict=True):
            if k == source or not (changed_last[behind] or changed_now[behind]):
                continue
            if across(k, behind, True, not first):
                relax_from_seeds(k, False)
                changed_now[k] = True
        if not changed_now.any():
            clear_flags(pore)
            return dist
        age_change_flags(pore)
        changed_last = changed_now
        toward_source = not toward_source
        first = False


def geodesic_distance(
    image: np.ndarray,
    *,
    axis="z",
    metric: Metric = "euclidean",
    voxel_um=1.0,
    pore_label=None,
    from_outlet: bool = False,
) -> np.ndarray:
    """Shortest-path distance through the pore space from the inlet face.

    Parameters
    ----------
    image : ndarray, 3D
        Boolean pore mask (``True`` pore) or a label image with ``pore_label`` (see
        :func:`pore_mask`: labels are never guessed).
    axis : {"z", "y", "x"} or int
        Flow axis; ``"z"`` is array axis 0.
    metric : {"euclidean", "lattice"}
    voxel_um : float or sequence of 3 floats
        Voxel size per array axis, in um.
    pore_label : int, optional
    from_outlet : bool
        Measure from the last slice along ``axis`` instead of the first.

    Returns
    -------
    ndarray of float32, same shape as ``image``
        Distances in um; +inf at solid voxels and pore not connected to the face.
    """
    flow = resolve_axis(axis)
    spacing = resolve_spacing(voxel_um)
    _metric_code(metric)
    order = [flow] + [a for a in range(3) if a != flow]
    pore = owned_pore_array(image, pore_label, order)
    dist = _solve(pore, spacing[order], metric, from_outlet)
    return np.transpose(dist, np.argsort(order))


def owned_pore_array(image, pore_label, order) -> np.ndarray:
    """A fresh C-contiguous uint8 pore array (1 pore) with the flow axis first.

    The solver keeps scratch flags in it, so it never aliases the caller's image; it costs one
    byte a voxel (the comparison's own result is reused when no transpose is needed).
    """
    mask = pore_mask(image, pore_label)
    if mask is image or order != [0, 1, 2] or not mask.flags.c_contiguous:
        return np.ascontiguousarray(np.transpose(mask, order)).astype(np.uint8)
    return mask.view(np.uint8)
