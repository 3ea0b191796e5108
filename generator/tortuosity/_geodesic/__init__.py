"""Private: the geodesic-distance solver behind :mod:`generator.tortuosity.geodesic` and
:mod:`generator.tortuosity.geometric`. Plain arrays, no validation beyond :func:`prepare`'s.

Read in this order:

:mod:`~generator.tortuosity._geodesic.driver`
    :func:`prepare` (one input preparation for both public functions: axis, voxel sizes, metric
    and the pore array with the flow axis first), :class:`Workspace` (every array a solve needs,
    allocated once per image), :func:`solve` (bands solved side by side, then joined, with
    thread pacing) and :class:`BandRunner` (the threads, one band each).
:mod:`~generator.tortuosity._geodesic.bands`
    The sweep schedule of one band of rows and the update across band edges, compiled per
    metric by :func:`band_kernels` (``solve_band_*``, GIL-free, and ``exchange_*``) and, for
    the lattice, the front that finishes from what the exchange improved
    (:func:`lattice_front`).
:mod:`~generator.tortuosity._geodesic.sweeps`
    Serial numba kernels on one plane: :func:`step_across` (a slice from the slice behind it),
    :func:`relax_plane` (raster passes within a plane), :func:`relax_sparse` (a queue within a
    plane) and the flag bookkeeping between sweeps.
:mod:`~generator.tortuosity._geodesic.metrics`
    The per-voxel updates: lattice steps, the semi-Lagrangian segment and triangle geometry.
:mod:`~generator.tortuosity._geodesic.flags`
    The bits the solver keeps in the pore array and the in-plane neighbour ring.
:mod:`~generator.tortuosity._geodesic.tally`
    The counts and sums a geometric tortuosity takes from its two fields, in one pass.

Inside the kernels the metric is a constant: :func:`band_kernels` compiles each metric's chain
with the flag a closure constant, passed on to the plane kernels as a literal argument (their
other metric's branches pruned). Python calls only those per-metric kernels
(``*_lattice``, ``*_euclidean``): literal dispatch from Python re-ran type inference on every
call (30 s per solve of a 100-slice image).
"""

from generator._shared.numba_compile import use_shared_cache

use_shared_cache()  # before any kernel module below is imported: see numba_compile

from generator.tortuosity._geodesic.driver import Prepared, Workspace, prepare, solve  # noqa: E402

__all__ = ["Prepared", "Workspace", "prepare", "solve"]
