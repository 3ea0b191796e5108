"""Input preparation, work space and the sweep schedule of the geodesic solver (Python).

Kernels are imported on first use, so importing :mod:`generator.tortuosity.geodesic` loads no numba.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EUCLIDEAN_TOLERANCE = 1e-6  # relative change below which a semi-Lagrangian update is dropped
IN_PLANE_BANDS = 4
DENSE_PASSES = 12  # raster passes over a slice before the in-plane relaxation goes sparse


@dataclass(frozen=True)
class Prepared:
    """A validated image ready to solve: the flow axis first, as the kernels want it.

    Attributes
    ----------
    pore : ndarray of uint8, (nz, ny, nx)
        1 at pore voxels; owned (never the caller's array), since the solver keeps transient
        flags in its upper bits and clears them before returning.
    spacing : ndarray of float64, (3,)
        Voxel sizes along the axes of ``pore``, in um.
    order : tuple of int
        The caller's axes in the order of ``pore``'s (flow axis first).
    voxel_um : tuple of float
        Voxel sizes along the caller's axes.
    metric : {"euclidean", "lattice"}
    """

    pore: np.ndarray
    spacing: np.ndarray
    order: tuple[int, int, int]
    voxel_um: tuple[float, float, float]
    metric: str

    @property
    def flow_axis(self) -> int:
        return self.order[0]

    @property
    def euclidean(self) -> bool:
        return self.metric == "euclidean"

    def restore(self, array: np.ndarray) -> np.ndarray:
        """``array`` (laid out like ``pore``) as a view in the caller's axis order."""
        return np.transpose(array, np.argsort(self.order))


def prepare(image, *, axis, metric, voxel_um, pore_label, min_slices: int = 1) -> Prepared:
    """Validate the arguments of :func:`generator.geodesic_distance` or
    :func:`generator.geometric_tortuosity` and lay the pore space out for the kernels.

    Raises
    ------
    ValueError
        Naming the bad value: axis, metric, voxel size, pore label (see
        :func:`generator.tortuosity.inputs.pore_mask`), too few slices along the flow axis, no pore.
    """
    from generator.tortuosity.inputs import METRICS, pore_mask, resolve_axis, resolve_spacing

    flow = resolve_axis(axis)
    spacing = resolve_spacing(voxel_um)
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not one of {', '.join(METRICS)}")
    if np.ndim(image) == 3 and np.shape(image)[flow] < min_slices:
        raise ValueError(
            f"the image needs at least {min_slices} slices along axis {flow}, got {np.shape(image)}"
        )
    order = (flow,) + tuple(a for a in range(3) if a != flow)
    mask = pore_mask(image, pore_label)
    if mask is image or order != (0, 1, 2) or not mask.flags.c_contiguous:
        pore = np.ascontiguousarray(np.transpose(mask, order)).astype(np.uint8)
    else:
        pore = mask.view(np.uint8)  # the comparison's own result: already a fresh array
    return Prepared(
        pore=pore,
        spacing=spacing[list(order)],
        order=order,
        voxel_um=tuple(float(v) for v in spacing),
        metric=metric,
    )


class Workspace:
    """Every array one solve needs besides its output, allocated once per image and reused by
    both passes of a tortuosity (fresh large allocations on every call cost page faults).

    Attributes
    ----------
    seeds : ndarray of int64, (ny * nx,)
        Per row ``j``, the flat indices of the voxels :func:`~generator.tortuosity._geodesic.sweeps.
        step_across` improved, at ``seeds[j * nx : j * nx + row_counts[j]]``.
    row_counts : ndarray of int64, (ny,)
    scratch : ndarray of float32, (3, ny, nx)
        Per row, the best, lowest-neighbour and triangle values of a step across.
    near_rows : ndarray of uint8, (ny, nx)
        Per row, the OR of the flags of the 3 x 3 patches behind (sparse sweeps).
    bands : int
        Horizontal bands of the in-plane raster passes, spread over the threads. A fixed count
        (not the thread count), so the result is the same whatever the number of threads.
    """

    def __init__(self, prepared: Prepared):
        _, ny, nx = prepared.pore.shape
        self.prepared = prepared
        self.spacing = tuple(float(v) for v in prepared.spacing)
        self.tolerance = EUCLIDEAN_TOLERANCE if prepared.euclidean else 0.0
        self.bands = max(1, min(IN_PLANE_BANDS, ny // 32))
        self.seeds = np.empty(ny * nx, dtype=np.int64)
        self.row_counts = np.zeros(ny, dtype=np.int64)
        self.scratch = np.empty((3, ny, nx), dtype=np.float32)
        self.near_rows = np.zeros((ny, nx), dtype=np.uint8)

    def kernel_arrays(self) -> tuple:
        """The work arrays in the order :func:`~generator.tortuosity._geodesic.sweeps.step_across`
        takes."""
        return (self.seeds, self.row_counts, self.scratch, self.near_rows)


def solve(
    prepared: Prepared,
    *,
    from_last: bool,
    workspace: Workspace | None = None,
    adaptive_threads: bool | None = None,
):
    """Distance from the first (or last) slice of ``prepared.pore`` through the pore, in um.

    Returns float32 laid out like ``prepared.pore`` (+inf at solid and unreached voxels); the
    pore array's flag bits are clear again on return. The thread count follows the cores other
    processes leave free unless ``adaptive_threads`` is False (None: ``GDL_ADAPTIVE_THREADS``,
    default on; see :mod:`generator._shared.threads`).
    """
    from generator._shared.threads import ThreadPacer

    workspace = workspace or Workspace(prepared)
    with ThreadPacer(adaptive_threads) as pacer:
        return _sweep_schedule(prepared, workspace, from_last, pacer)


def _sweep_schedule(prepared, work, from_last, pacer) -> np.ndarray:
    from generator.tortuosity._geodesic import sweeps

    if prepared.euclidean:
        step_across = sweeps.step_across_euclidean
        relax_plane_bands = sweeps.relax_plane_bands_euclidean
        relax_sparse = sweeps.relax_sparse_euclidean
    else:
        step_across = sweeps.step_across_lattice
        relax_plane_bands = sweeps.relax_plane_bands_lattice
        relax_sparse = sweeps.relax_sparse_lattice

    pore = prepared.pore
    spacing, tolerance = work.spacing, work.tolerance
    kernel_arrays = work.kernel_arrays()
    nz = pore.shape[0]
    dist = np.empty(pore.shape, dtype=np.float32)
    sweeps.fill_unreached(dist)
    order = list(range(nz - 1, -1, -1)) if from_last else list(range(nz))
    source = order[0]
    dist[source][pore[source] != 0] = 0.0

    def across(k, behind, mark, sparse):
        pacer.pace()
        return step_across(
            dist[k], dist[behind], pore[k], pore[behind], spacing, tolerance, mark, sparse,
            *kernel_arrays,
        )  # fmt: skip

    def relax_queued(k, scan):
        relax_sparse(dist[k], pore[k], spacing, tolerance, work.seeds, work.row_counts, scan)

    # First sweep, dense: every slice from the one behind it, then within its plane.
    for behind, k in zip([source] + order[:-1], order, strict=True):
        if k != source and not across(k, behind, False, False):
            continue
        if relax_plane_bands(dist[k], pore[k], spacing, tolerance, DENSE_PASSES, work.bands):
            relax_queued(k, True)
    sweeps.clear_flags(pore)
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
                relax_queued(k, False)
                changed_now[k] = True
        if not changed_now.any():
            sweeps.clear_flags(pore)
            return dist
        sweeps.age_change_flags(pore)
        changed_last = changed_now
        toward_source = not toward_source
        first = False
