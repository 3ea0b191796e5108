"""Input preparation, work space and the sweep schedule of the geodesic solver (Python).

Kernels are imported on first use, so importing :mod:`generator.tortuosity.geodesic` loads no numba.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Relative change below which a semi-Lagrangian update is dropped. Measured against 1e-6 (one
# thread, CPU seconds of a solve): 9-10 % faster on `200` and `1000` samples, 17 % on a blobs
# volume; tau moved up by 2e-6 to 6e-6 relative on three GDL volumes, single voxels by up to
# 3e-3 either way (99.9 % within 2.2e-4), while the fixed point itself
# already moves single voxels by up to 4 % with the order of updates and lies about 1 % from
# scikit-fmm's (tests/generator/tortuosity).
EUCLIDEAN_TOLERANCE = 1e-4
BANDS = 2  # bands of rows solved side by side (at most)
MIN_BAND_ROWS = 32
# Below this many improved voxels an exchange's share of a slice, the bands are joined.
JOIN_BELOW = 0.02
# An exchange that still improves more than this share of the previous one's voxels: the
# updates creep across the edges (a long in-plane extent, as the 200 domain's 2000 voxels,
# took 90 rounds of ~5 % fewer each, 80 % of the solve); the bands are joined.
CREEP_RATIO = 0.5
# An in-plane axis at least this many times longer than the other becomes the rows' axis
# (axis 1): the bands cut along it, so their edges run along the shorter axis. On a `200`
# sample (200 x 2000 voxels in-plane) the edges along 2000 voxels cost 30 % of a euclidean
# pass in repairs across them, and the dense sweep itself runs faster on the shorter rows.
LONG_AXIS_RATIO = 1.5


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
        The caller's axes in the order of ``pore``'s: the flow axis first, then the in-plane
        axes in the caller's order, unless the second is :data:`LONG_AXIS_RATIO` times longer
        than the first (it then comes first, as the rows' axis).
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

    def restore_plane(self, plane: np.ndarray) -> np.ndarray:
        """A slice of ``pore``'s layout (its axes 1 and 2) as a view in the caller's order of
        those two axes."""
        return plane.T if self.order[1] > self.order[2] else plane


def prepare(
    image, *, axis, metric, voxel_um, pore_label, min_slices: int = 1, overwrite_input=False
) -> Prepared:
    """Validate the arguments of :func:`generator.geodesic_distance` or
    :func:`generator.geometric_tortuosity` and lay the pore space out for the kernels.

    With ``overwrite_input``, a C-contiguous boolean mask already in the kernels' layout (flow
    axis 0, in-plane axes as :class:`Prepared` orders them) becomes the kernels' working array
    itself (its bytes then carry their flags), saving a copy of a byte a voxel; any other image
    is copied as usual.

    Raises
    ------
    ValueError
        Naming the bad value: axis, metric, voxel size, pore label (see
        :func:`generator.tortuosity.inputs.pore_mask`), too few slices along the flow axis, no pore.
    """
    from generator.tortuosity.inputs import check_metric, pore_mask, resolve_axis, resolve_spacing

    flow = resolve_axis(axis)
    spacing = resolve_spacing(voxel_um)
    check_metric(metric)
    if np.ndim(image) == 3 and np.shape(image)[flow] < min_slices:
        raise ValueError(
            f"the image needs at least {min_slices} slices along axis {flow}, got {np.shape(image)}"
        )
    shape = np.shape(image)
    rows_axis, columns_axis = (a for a in range(3) if a != flow)
    if len(shape) == 3 and shape[columns_axis] >= LONG_AXIS_RATIO * shape[rows_axis]:
        rows_axis, columns_axis = columns_axis, rows_axis
    order = (flow, rows_axis, columns_axis)
    mask = pore_mask(image, pore_label)
    # Ours to work in: the comparison's own fresh result, or a boolean mask (pore_mask gives
    # one back as it is) whose caller gave it up.
    ours = mask is not image or (overwrite_input and mask.flags.writeable)
    if ours and order == (0, 1, 2) and mask.flags.c_contiguous:
        pore = mask.view(np.uint8)
    else:
        # One copy, straight into the kernels' layout and dtype.
        pore = np.transpose(mask, order).astype(np.uint8, order="C")
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
    edges : ndarray of int64, (bands + 1,)
        Rows (axis 1) where the bands of :mod:`~generator.tortuosity._geodesic.bands` begin,
        and ``ny`` last, for the euclidean metric: a count fixed by the image (not the thread
        count), so its result is the same whatever the number of threads. The lattice metric's
        fixed point does not depend on the order of updates (it is Dijkstra's), so it takes
        one band a thread (:meth:`band_edges`): bands cost extra work where paths cross them.
    seeds : ndarray of int64, (ny * nx,)
        Per row ``j``, the flat indices (within the band) of the voxels
        :func:`~generator.tortuosity._geodesic.sweeps.step_across` improved.
    row_counts : ndarray of int64, (ny,)
    best_rows, lowest_rows, triangle_rows : ndarray of float32, (ny, nx)
        The best, lowest-neighbour and triangle values of the row a step across is on: a band
        (rows ``r0:r1``) works in row ``r0`` of each, one row for all of its rows, so the
        scratch stays in the cache (a scratch row per row streamed three planes' worth
        through it each slice: 2.5 % of a euclidean solve at 1000 x 1000 in-plane).
    near_rows : ndarray of uint8, (ny, nx)
        Likewise, the OR of the flags of the 3 x 3 patches behind (sparse sweeps).
    changed : ndarray of bool, (nz,)
        Slices an exchange between bands changed.
    """

    def __init__(self, prepared: Prepared):
        nz, ny, nx = prepared.pore.shape
        self.prepared = prepared
        self.spacing = tuple(float(v) for v in prepared.spacing)
        self.tolerance = EUCLIDEAN_TOLERANCE if prepared.euclidean else 0.0
        self.ny = ny
        self.edges = self.band_edges(BANDS)
        self.seeds = np.empty(ny * nx, dtype=np.int64)
        self.row_counts = np.zeros(ny, dtype=np.int64)
        self.best_rows = np.empty((ny, nx), dtype=np.float32)
        self.lowest_rows = np.empty((ny, nx), dtype=np.float32)
        self.triangle_rows = np.empty((ny, nx), dtype=np.float32)
        self.near_rows = np.zeros((ny, nx), dtype=np.uint8)
        self.changed = np.zeros(nz, dtype=np.bool_)

    def band_edges(self, bands: int) -> np.ndarray:
        """Edges of at most ``bands`` bands of at least :data:`MIN_BAND_ROWS` rows."""
        bands = max(1, min(bands, self.ny // MIN_BAND_ROWS))
        return np.array([(b * self.ny) // bands for b in range(bands + 1)], dtype=np.int64)

    def kernel_arrays(self) -> tuple:
        """The work arrays in the order the kernels take them, after their own arguments."""
        return (
            self.seeds,
            self.row_counts,
            self.best_rows,
            self.lowest_rows,
            self.triangle_rows,
            self.near_rows,
        )


def solve(
    prepared: Prepared,
    *,
    from_last: bool,
    workspace: Workspace | None = None,
    adaptive_threads: bool | None = None,
    out: np.ndarray | None = None,
):
    """Distance from the first (or last) slice of ``prepared.pore`` through the pore, in um.

    ``out``: a float32 array shaped like the pore to write into (its contents are replaced),
    e.g. the previous pass's field once it is no longer needed: a fresh 1 GB field costs the
    kernel a page fault and a zeroed page for every 4 KiB (a tenth of a euclidean pass).

    Returns float32 laid out like ``prepared.pore`` (+inf at solid and unreached voxels); the
    pore array's flag bits are clear again on return. The thread count follows the cores other
    processes leave free unless ``adaptive_threads`` is False (None: ``GDL_ADAPTIVE_THREADS``,
    default on; see :mod:`generator._shared.threads`).
    """
    from generator._shared.threads import ThreadPacer

    workspace = workspace or Workspace(prepared)
    with ThreadPacer(adaptive_threads) as pacer, BandRunner() as runner:
        return _band_schedule(prepared, workspace, from_last, pacer, runner, out)


class BandRunner:
    """Runs a band kernel on every band of a round, side by side in as many threads as numba's
    current thread count (what :class:`~generator._shared.threads.ThreadPacer` set), the
    calling thread taking the first band. The kernels release the GIL; the bands share no
    voxel, so the result does not depend on the thread count or the timing.
    """

    def __init__(self):
        self._pool = None

    def __enter__(self) -> BandRunner:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def run(self, kernel, before: tuple, edges: np.ndarray, after: tuple) -> int:
        """``kernel(*before, edges[b], edges[b + 1], *after)`` for every band; the summed
        updates."""
        import numba

        bands = len(edges) - 1
        threads = min(numba.get_num_threads(), bands)
        if threads <= 1:
            return sum(kernel(*before, edges[b], edges[b + 1], *after) for b in range(bands))
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(numba.config.NUMBA_NUM_THREADS - 1)
        # Bands beyond the threads wait in the pool's queue (the lattice has one per thread).
        futures = [
            self._pool.submit(kernel, *before, edges[b], edges[b + 1], *after)
            for b in range(1, bands)
        ]
        updates = kernel(*before, edges[0], edges[1], *after)
        return updates + sum(future.result() for future in futures)


def _band_schedule(prepared, work, from_last, pacer, runner, out=None) -> np.ndarray:
    """Bands solved side by side (the runner's threads join once a round), then joined across
    their edges: the lattice by one exchange and a front, the euclidean metric by exchanges and
    rounds of band solves until nothing changes (see
    :mod:`~generator.tortuosity._geodesic.bands`)."""
    from generator.tortuosity._geodesic import bands

    if prepared.euclidean:
        solve_band, exchange = bands.solve_band_euclidean, bands.exchange_euclidean
    else:
        solve_band, exchange = bands.solve_band_lattice, bands.exchange_lattice
    pore = prepared.pore
    nz = pore.shape[0]
    if out is None:
        dist = np.empty(pore.shape, dtype=np.float32)
    else:
        if out.shape != pore.shape or out.dtype != np.float32 or not out.flags.c_contiguous:
            raise ValueError(
                f"out must be a C-contiguous float32 array of shape {pore.shape}, "
                f"got {out.dtype} {out.shape}"
            )
        dist = out
    # The first (dense) band solves set every voxel before they reach it: +inf, 0 at the
    # source slice's pore.
    order = np.arange(nz, dtype=np.int64)
    if from_last:
        order = np.ascontiguousarray(order[::-1])
    source = int(order[0])
    common = (work.spacing, work.tolerance)
    arrays = work.kernel_arrays()
    pacer.pace()
    if prepared.euclidean:
        edges = work.edges
    else:
        import numba

        edges = work.band_edges(numba.get_num_threads())
    runner.run(solve_band, (dist, pore, *common, order), edges, (True, work.changed, *arrays))
    if not prepared.euclidean and len(edges) > 2:
        # The lattice's paths across band edges: an exchange, then a front in each band from
        # what it improved, side by side, until an exchange improves nothing (rounds of band
        # solves swept every slice with a change, 2-3 rounds on tortuous images, as much CPU
        # as the band solves; one front across the whole volume left the second thread idle).
        while exchange(dist, pore, *common, source, edges, work.changed, *arrays):
            pacer.pace()
            runner.run(bands.lattice_front, (dist, pore, work.spacing), edges, ())
        return dist
    before = None
    while len(edges) > 2:
        improved = exchange(dist, pore, *common, source, edges, work.changed, *arrays)
        if not improved:
            break
        creeping = before is not None and improved > CREEP_RATIO * before
        before = improved
        if creeping or improved < JOIN_BELOW * pore.shape[1] * pore.shape[2]:
            # Few crossings left (the semi-Lagrangian update creeps across an edge in steps
            # just above its tolerance): one whole-plane round finishes them, and a round
            # without edges needs no further exchange.
            edges = edges[[0, -1]]
        pacer.pace()
        runner.run(solve_band, (dist, pore, *common, order), edges, (False, work.changed, *arrays))
    return dist
