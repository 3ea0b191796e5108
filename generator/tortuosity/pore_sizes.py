"""Pore size distribution by local thickness.

Every pore voxel gets the diameter of the largest ball that fits in the pore and contains it
(the local thickness of Hildebrand and Ruegsegger, PoreSpy's ``local_thickness``). Balls are
centred on the half-voxel grid (voxel centres, and midpoints between them) so that a pore of
even width has its ball too. A ball of radius ``r`` (to the nearest solid voxel centre, or
the segment, face or cell joining solid neighbours) reaches the pore voxels strictly inside it
and spans ``2 r - 1`` voxels from face to face: that is its diameter. A slab of ``w`` pore
voxels between two solid walls has thickness ``w`` everywhere, odd or even. The image border
is open (outside is not solid), as in PoreSpy.

The percentiles are volume-weighted over pore voxels: ``d50`` is the smallest diameter such
that half the pore volume lies in balls of at most that diameter.

References
----------
Hildebrand, T., Ruegsegger, P. (1997). A new method for the model-independent assessment of
thickness in three-dimensional images. J. Microscopy 185, 67-75.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Peak bytes per voxel: the half-grid squared distances (8 points of uint16 a voxel), the
# mask, the ridge list, the float32 map; 48 measured with the test image beside it at 300^3.
PORE_SIZE_BYTES_PER_VOXEL = 40.0
# The half-grid distance is exact up to this many half voxels (uint16 kernel limit).
_WINDOW = 180


@dataclass
class PoreSizeResult:
    """Local-thickness pore size distribution of one image.

    Attributes
    ----------
    d10, d50, d90 : float
        Volume-weighted percentiles of the local diameter over pore voxels, in um.
    mean : float
        Mean local diameter over pore voxels, in um.
    max : float
        Largest local diameter, in um.
    pore_voxels : int
    voxel_um : float
    thickness : ndarray of float32 or None
        Per-voxel local diameter in um (0 in solid) when asked for (``return_map=True``).
    """

    d10: float
    d50: float
    d90: float
    mean: float
    max: float
    pore_voxels: int
    voxel_um: float
    thickness: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The scalar fields as a JSON-ready dictionary (no map)."""
        keys = ("d10", "d50", "d90", "mean", "max", "pore_voxels", "voxel_um")
        return {key: getattr(self, key) for key in keys}


def pore_size_distribution(
    image: np.ndarray,
    *,
    voxel_um=1.0,
    pore_label=None,
    return_map: bool = False,
) -> PoreSizeResult:
    """Local thickness of the pore space and its volume-weighted percentiles.

    Parameters
    ----------
    image : ndarray, 3D
        Boolean pore mask (``True`` pore) or a label image with ``pore_label`` (see
        :func:`generator.tortuosity.inputs.pore_mask`: labels are never guessed).
    voxel_um : float
        Isotropic voxel size in um (one value, or three equal ones).
    pore_label : int, optional
    return_map : bool
        Keep the per-voxel diameter map (float32, um) in the result.

    Returns
    -------
    PoreSizeResult

    Raises
    ------
    ValueError
        No pore voxels, anisotropic voxels, a pore wider than the kernel's reach (about 180
        voxels across, or no solid at all), or not enough memory.

    Notes
    -----
    The squared distance to the nearest solid voxel centre is computed on the half-voxel grid
    by a capped separable transform (exact within its reach). Only the ridge of the balls is
    inserted: a ball adds nothing when one of its 26 neighbours' balls, at least as large,
    reaches every voxel it reaches (tested exactly on the lattice by a table of reaches). Each
    remaining ball sets the voxels it reaches, one z-slice per thread, largest balls first so
    that each voxel is written once and the voxels already set are skipped 64 at a time; a
    ball's disk in a slice is skipped when a disk taken before it, at the same centre or a
    neighbouring one, holds all its voxels (the balls along a tube cut a slice in nested
    disks).

    Examples
    --------
    A slab of 4 pore voxels between two solid walls (label 1) is 4 voxels thick everywhere;
    at 2 um a voxel that is 8 um:

    >>> import numpy as np
    >>> from generator.tortuosity import pore_size_distribution
    >>> image = np.ones((6, 3, 3), dtype=np.uint8)
    >>> image[1:5] = 0
    >>> result = pore_size_distribution(image, pore_label=0, voxel_um=2.0, return_map=True)
    >>> result.d10, result.d50, result.d90, result.pore_voxels
    (8.0, 8.0, 8.0, 36)
    >>> result.thickness[:, 1, 1].tolist()
    [0.0, 8.0, 8.0, 8.0, 8.0, 0.0]
    """
    from generator._shared.guards import check_memory
    from generator.tortuosity._pore_size_kernels import (
        containment_table,
        disk_containment_table,
        half_grid_squared_edt,
        insert_balls,
        ridge_points,
    )
    from generator.tortuosity.inputs import pore_mask, resolve_spacing

    spacing = resolve_spacing(voxel_um)
    if not np.all(spacing == spacing[0]):
        raise ValueError(
            f"voxel_um={voxel_um!r} is anisotropic: the local thickness needs cubic voxels "
            "(resample the image to one voxel size first)"
        )
    step = float(spacing[0])
    pore = pore_mask(image, pore_label)
    n_pore = int(np.count_nonzero(pore))
    if n_pore == 0:
        raise ValueError("the image has no pore voxels (check pore_label)")
    check_memory(
        pore.size * PORE_SIZE_BYTES_PER_VOXEL,
        f"the local thickness of {pore.size:.3g} voxels",
    )
    solid = np.ascontiguousarray(~pore)
    half_shape = tuple(2 * n - 1 for n in pore.shape)
    window = min(_WINDOW, max(max(half_shape) - 1, 1))
    beyond = window * window + 1
    dist2 = np.empty(half_shape, dtype=np.uint16)
    half_grid_squared_edt(solid, dist2, window)
    del solid
    largest = int(dist2[::2, ::2, ::2][pore].max())
    # Balls centred between voxels are at most a corner (sqrt(3) half voxels) larger.
    if (np.sqrt(largest) + 2.0) ** 2 >= beyond:
        raise ValueError(
            f"a pore voxel lies about {window / 2 - 1:g} voxels or more from any solid voxel "
            "(or the image has no solid): the local thickness is unbounded or beyond this kernel's "
            "reach; use a coarser voxel_um or crop to a region with solid"
        )
    table = containment_table(int((np.sqrt(largest) + 2.0) ** 2))
    coords, radii2 = ridge_points(dist2, beyond, table)
    del dist2
    reach = int(np.ceil(np.sqrt(radii2.max()))) if radii2.size else 0
    thickness = np.zeros(pore.shape, dtype=np.float32)
    disk_table = disk_containment_table(int(radii2.max()) if radii2.size else 1)
    insert_balls(coords, radii2, reach, np.ascontiguousarray(pore), thickness, disk_table)
    del coords, radii2
    values = thickness[pore]
    d10, d50, d90 = np.quantile(values, (0.1, 0.5, 0.9), method="inverted_cdf")
    result = PoreSizeResult(
        d10=float(d10) * step,
        d50=float(d50) * step,
        d90=float(d90) * step,
        mean=float(values.mean(dtype=np.float64)) * step,
        max=float(values.max()) * step,
        pore_voxels=n_pore,
        voxel_um=step,
    )
    del values
    if return_map:
        if step != 1.0:
            thickness *= np.float32(step)
        result.thickness = thickness
    return result
