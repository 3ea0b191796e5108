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
    :mod:`generator.tortuosity._geodesic.metrics`): straight paths in any direction within about 1
    %.
"""

from __future__ import annotations

import numpy as np

from generator.tortuosity.inputs import Metric


def geodesic_distance(
    image: np.ndarray,
    *,
    axis="z",
    metric: Metric = "euclidean",
    voxel_um=1.0,
    pore_label=None,
    from_outlet: bool = False,
    adaptive_threads: bool | None = None,
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
    adaptive_threads : bool, optional
        Give the solver only the cores other processes leave free, re-decided every 0.2 s
        (:mod:`generator._shared.threads`); False uses numba's thread count as set. Default:
        the environment variable ``GDL_ADAPTIVE_THREADS`` (on unless ``0``). The distances
        are the same either way.

    Returns
    -------
    ndarray of float32, same shape as ``image``
        Distances in um; +inf at solid voxels and pore not connected to the face.

    Examples
    --------
    Along a straight line of pore voxels the distance is 0, 1, 2, ... voxels, in um; a solid
    voxel cuts the line, and what lies beyond it is not reached:

    >>> import numpy as np
    >>> from generator import geodesic_distance
    >>> line = np.ones((5, 1, 1), dtype=bool)
    >>> line[3] = False
    >>> geodesic_distance(line, voxel_um=2.5).ravel().tolist()
    [0.0, 2.5, 5.0, inf, inf]

    Along x, measured from the last slice (the outlet face):

    >>> row = np.ones((1, 1, 4), dtype=bool)
    >>> geodesic_distance(row, axis="x", from_outlet=True).ravel().tolist()
    [3.0, 2.0, 1.0, 0.0]
    """
    from generator.tortuosity._geodesic import prepare, solve

    prepared = prepare(image, axis=axis, metric=metric, voxel_um=voxel_um, pore_label=pore_label)
    distances = solve(prepared, from_last=from_outlet, adaptive_threads=adaptive_threads)
    return prepared.restore(distances)


def compile_kernels(threads: int | None = None, *, lattice_front: bool = True) -> None:
    """Compile (or load from numba's cache) every kernel a solve may take on this machine,
    both metrics, on a small image whose paths cross the bands' edge: the exchanges that join
    the bands and the lattice's front after them run only there. A small image of one band
    never takes them, and each sweep worker then compiled them in its first real sample
    (about 10 CPU-s).

    The euclidean metric always solves two bands; the lattice takes a band a thread, so its
    exchange and front are compiled only for solves on two threads or more: ``threads``, the
    numba threads the solves will have (default, and at most: numba's thread count). With
    one, they are left out (4.3 of the geodesic kernels' 26 CPU-s of cold compile).

    ``lattice_front=False`` leaves the lattice's front out all the same (its exchange stays
    in), for a process that compiles it apart (:func:`compile_lattice_front`).

    Examples
    --------
    >>> from generator.tortuosity.geodesic import compile_kernels
    >>> compile_kernels()
    """
    import numba

    from generator.tortuosity._geodesic.driver import MIN_BAND_ROWS

    image = np.ones((6, 2 * MIN_BAND_ROWS, 4), dtype=bool)
    open_block = image.copy()  # both bands solved from the source: the exchange finds nothing
    image[2, MIN_BAND_ROWS:] = False  # the second band is reached only across the edge
    previous = numba.get_num_threads()
    most = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(max(1, min(2, threads or most, most)))
    try:
        for metric in ("lattice", "euclidean"):
            crossing = metric == "euclidean" or lattice_front
            geodesic_distance(
                image if crossing else open_block, metric=metric, adaptive_threads=False
            )
    finally:
        numba.set_num_threads(previous)


def compile_lattice_front() -> None:
    """Compile (or load) the lattice's front after a join of bands
    (:func:`generator.tortuosity._geodesic.bands.lattice_front`) alone, with the argument
    types the solver gives it: about 4 CPU-s of a cold compile that another process can take
    while one compiles the rest (``compile_kernels(lattice_front=False)``).

    Examples
    --------
    >>> from generator.tortuosity.geodesic import compile_lattice_front
    >>> compile_lattice_front()
    """
    from generator.tortuosity._geodesic import bands

    shape = (3, 4, 4)
    # As the driver calls it: float32 distances, the uint8 pore, the Workspace's spacing (a
    # tuple of floats) and band edges from an int64 array.
    edges = np.array([0, shape[1]], dtype=np.int64)
    bands.lattice_front(
        np.zeros(shape, np.float32), np.ones(shape, np.uint8), (1.0, 1.0, 1.0), edges[0], edges[1]
    )
