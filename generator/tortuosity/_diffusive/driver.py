"""Input preparation, the multigrid hierarchy and the preconditioned conjugate gradients of the
diffusive solver (Python; the passes over memory are the numba kernels of the sibling modules).

Kernels are imported on first use, so importing :mod:`generator.tortuosity.diffusive` loads no
numba.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# Aggregation stops at a level of at most this many cells, solved exactly (dense inverse).
COARSEST_CELLS = 256
# Over-correction of the coarse-grid correction (plain aggregation under-corrects).
OVER_CORRECTION = 1.8
# Red-black sweeps before and after the coarse correction on the coarse levels (1 on the fine).
COARSE_SWEEPS = 2
# Visits of each coarser level per cycle (1: V-cycle, 2: W-cycle).
COARSE_VISITS = 1
# Levels of at most this many cells run on one thread (a parallel launch costs more there,
# and on a busy machine a descheduled thread holds up the barrier for a time slice).
SERIAL_CELLS = 1 << 16
# Fresh residuals (b - A x) after the recursive one met the tolerance but the true one did not.
MAX_RESTARTS = 3
# Iterations past the residual tolerance allowed for the face fluxes to meet theirs.
MAX_BALANCE_ITERATIONS = 25


@dataclass(frozen=True)
class Prepared:
    """A validated image ready to solve, flow axis first.

    Attributes
    ----------
    code : ndarray of uint8, (nz, ny, nx)
        The fine level's codes (:mod:`~generator.tortuosity._diffusive.percolation`): 0 at
        solid and at pore that does not percolate.
    spacing : ndarray of float64, (3,)
        Voxel sizes along the axes of ``code``, in um.
    order : tuple of int
        The caller's axes in the order of ``code``'s.
    voxel_um : tuple of float
        Voxel sizes along the caller's axes.
    periodic : bool
        Sides (axes 1 and 2 of ``code``) wrap around.
    pore_voxels, active_voxels, inlet_voxels : int
        Pore in the image; pore that percolates (the unknowns); percolating pore of the first
        slice.
    """

    code: np.ndarray
    spacing: np.ndarray
    order: tuple[int, int, int]
    voxel_um: tuple[float, float, float]
    periodic: bool
    pore_voxels: int
    active_voxels: int
    inlet_voxels: int

    @property
    def conductances(self) -> np.ndarray:
        """Face conductances along the axes of ``code`` (area / distance), over ``gz``'s."""
        hz, hy, hx = self.spacing
        return np.array([1.0, (hz / hy) ** 2, (hz / hx) ** 2], dtype=np.float32)


def prepare(image, *, axis, voxel_um, pore_label, boundary, bytes_per_voxel) -> Prepared:
    """Validate the arguments of :func:`generator.tortuosity.diffusive.diffusive_tortuosity`,
    estimate the memory, lay the pore space out flow axis first and keep the pore that
    percolates (6-connected to both faces; across the sides too when periodic).

    Raises
    ------
    ValueError
        Naming the bad value (axis, voxel size, boundary, pore label, no pore), or the
        estimated peak memory when it does not fit.
    """
    from generator._shared.guards import check_memory
    from generator.tortuosity._diffusive import percolation
    from generator.tortuosity.inputs import pore_mask, resolve_axis, resolve_spacing

    flow = resolve_axis(axis)
    spacing = resolve_spacing(voxel_um)
    if boundary not in ("no_flux", "periodic"):
        raise ValueError(f"boundary={boundary!r} is not one of 'no_flux', 'periodic'")
    shape = np.shape(image)
    if len(shape) == 3:
        voxels = math.prod(float(n) for n in shape)
        check_memory(
            voxels * bytes_per_voxel,
            f"a diffusive tortuosity of {voxels:.3g} voxels",
            "use a coarser voxel size or a smaller crop",
        )
    order = (flow,) + tuple(a for a in range(3) if a != flow)
    mask = pore_mask(image, pore_label)
    pore_voxels = int(np.count_nonzero(mask))
    if pore_voxels == 0:
        raise ValueError("the image has no pore voxels (check pore_label)")
    if mask is image or order != (0, 1, 2) or not mask.flags.c_contiguous:
        state = np.empty(tuple(mask.shape[a] for a in order), dtype=np.uint8)
        np.copyto(state, np.transpose(mask, order))
    else:
        state = mask.view(np.uint8)  # the comparison's own result: already a fresh array
    del mask
    periodic = boundary == "periodic"
    other = state.copy()  # the fill from the last slice marks a copy, on a second thread
    percolation.fill_from_both_faces(state, other, periodic)
    counts = percolation.keep_percolating(state, other)
    del other
    percolation.encode(state, periodic)
    return Prepared(
        code=state,
        spacing=spacing[list(order)],
        order=order,
        voxel_um=tuple(float(v) for v in spacing),
        periodic=periodic,
        pore_voxels=pore_voxels,
        active_voxels=int(counts.sum()),
        inlet_voxels=int(counts[0]),
    )


@dataclass
class Level:
    """One coarse level (see :mod:`~generator.tortuosity._diffusive.coarse`)."""

    gz: np.ndarray
    gy: np.ndarray
    gx: np.ndarray
    diag: np.ndarray
    inv: np.ndarray
    dirichlet: np.ndarray
    b: np.ndarray
    x: np.ndarray
    bipartite: bool

    @property
    def operator(self) -> tuple:
        return (self.gz, self.gy, self.gx, self.diag)


def _coarse_shape(shape) -> tuple[int, int, int]:
    return tuple((n + 1) // 2 for n in shape)


def _block_sum_2d(plane: np.ndarray) -> np.ndarray:
    """Sums over 2 x 2 blocks of a small 2D array (the last block of an odd axis is half)."""
    ny, nx = plane.shape
    padded = np.zeros((ny + ny % 2, nx + nx % 2), dtype=np.float32)
    padded[:ny, :nx] = plane
    return padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2).sum(axis=(1, 3))


@dataclass
class Hierarchy:
    """The fine level's constants and the coarse levels, down to one solved exactly.

    Attributes
    ----------
    g : ndarray of float32, (3,)
    gd : float32
        Dirichlet conductance between a cell of the first (last) slice and the face: ``2 gz``.
    diag, inv_diag : ndarray of float32, (3, 128)
        The fine level's diagonal by Dirichlet faces and code, and its inverse.
    bipartite : bool
        No odd periodic side: red cells touch only black ones (fused fine-level passes).
    levels : list of Level
        Level 1 first; the last is solved with ``dense_inverse`` on ``dense_index``.
    """

    g: np.ndarray
    gd: np.float32
    diag: np.ndarray
    inv_diag: np.ndarray
    bipartite: bool
    levels: list = field(default_factory=list)
    dense_index: np.ndarray | None = None
    dense_inverse: np.ndarray | None = None


def _bipartite(shape, periodic: bool) -> bool:
    """Whether red cells touch only black ones: no odd side that wraps around."""
    return not periodic or all(n % 2 == 0 or n == 1 for n in shape[1:])


def _fine_tables(g: np.ndarray, gd: float) -> tuple[np.ndarray, np.ndarray]:
    from generator.tortuosity._diffusive.percolation import XM, XP, YM, YP, ZM, ZP

    weights = [(ZM, g[0]), (ZP, g[0]), (YM, g[1]), (YP, g[1]), (XM, g[2]), (XP, g[2])]
    diag = np.zeros((3, 128), dtype=np.float64)
    for c in range(1, 128, 2):  # active codes
        base = sum(float(w) for bit, w in weights if c & bit)
        for faces in range(3):
            diag[faces, c] = base + faces * gd
    inv = np.zeros_like(diag)
    np.divide(1.0, diag, out=inv, where=diag > 0)
    return diag.astype(np.float32), inv.astype(np.float32)


def build_hierarchy(prepared: Prepared, pacer) -> Hierarchy:
    """Galerkin aggregation of 2 x 2 x 2 blocks down to :data:`COARSEST_CELLS` cells."""
    from generator.tortuosity._diffusive import coarse

    code = prepared.code
    g = prepared.conductances
    gd = np.float32(2.0 * g[0])
    diag, inv_diag = _fine_tables(g, float(gd))
    bipartite = _bipartite(code.shape, prepared.periodic)
    hierarchy = Hierarchy(g=g, gd=gd, diag=diag, inv_diag=inv_diag, bipartite=bipartite)
    shape = code.shape
    previous = None
    while True:
        shape = _coarse_shape(shape)
        arrays = [np.empty(shape, dtype=np.float32) for _ in range(4)]
        pacer.pace()
        if previous is None:
            coarse.galerkin_from_code(code, g, gd, *arrays)
            first = gd * (code[0] != 0).astype(np.float32)
            last = gd * (code[-1] != 0).astype(np.float32)
        else:
            coarse.galerkin(*previous.operator, previous.dirichlet, *arrays)
            first, last = previous.dirichlet
        dirichlet = np.stack([_block_sum_2d(first), _block_sum_2d(last)])
        inv = np.zeros(shape, dtype=np.float32)
        np.divide(1.0, arrays[3], out=inv, where=arrays[3] > 0)
        level = Level(
            *arrays,
            inv=inv,
            dirichlet=dirichlet,
            b=np.zeros(shape, dtype=np.float32),
            x=np.zeros(shape, dtype=np.float32),
            bipartite=_bipartite(shape, prepared.periodic),
        )
        hierarchy.levels.append(level)
        previous = level
        if math.prod(shape) <= COARSEST_CELLS or max(shape) == 1:
            break
    hierarchy.dense_index, hierarchy.dense_inverse = _dense_inverse(previous)
    return hierarchy


def _dense_inverse(level: Level) -> tuple[np.ndarray, np.ndarray]:
    """The coarsest operator over its non-empty cells, inverted (float64)."""
    from generator.tortuosity._diffusive.coarse import dense_inverse

    diag = level.diag.astype(np.float64)
    nz, ny, nx = diag.shape
    index = np.flatnonzero(diag.ravel() > 0)
    position = np.full(diag.size, -1, dtype=np.int64)
    position[index] = np.arange(index.size)
    matrix = np.zeros((index.size, index.size))
    matrix[np.arange(index.size), np.arange(index.size)] = diag.ravel()[index]
    k, j, i = np.unravel_index(index, diag.shape)
    for conductance, neighbour in (
        (level.gz, (k + 1, j, i)),
        (level.gy, (k, (j + 1) % ny, i)),
        (level.gx, (k, j, (i + 1) % nx)),
    ):
        values = conductance[k, j, i].astype(np.float64)
        inside = (neighbour[0] < nz) & (values != 0)
        a = np.arange(index.size)[inside]
        flat = np.ravel_multi_index(tuple(n[inside] for n in neighbour), diag.shape)
        b = position[flat]
        np.add.at(matrix, (a, b), -values[inside])
        np.add.at(matrix, (b, a), -values[inside])
    return index, dense_inverse(matrix)


class Preconditioner:
    """``z = M r``: one multigrid cycle, symmetric (forward red-black sweeps before the coarse
    correction, their transposes after), so that ``M`` is symmetric positive definite."""

    def __init__(self, prepared: Prepared, hierarchy: Hierarchy, pacer, *, omega, visits, sweeps):
        self.code = prepared.code
        self.periodic = prepared.periodic
        self.h = hierarchy
        self.pacer = pacer
        self.omega = np.float32(omega)
        self.visits = visits
        self.sweeps = sweeps
        self.no_dots = np.empty(0, dtype=np.float64)
        self.dots = np.empty(self.code.shape[0], dtype=np.float64)

    def bounds(self) -> np.ndarray:
        """Chunks of the fused passes for numba's thread count now (set by the pacer)."""
        import numba

        from generator.tortuosity._diffusive.fine import chunks

        return chunks(self.code.shape[0], numba.get_num_threads())

    def __call__(self, r: np.ndarray, z: np.ndarray, alpha: float = 0.0) -> float:
        """Fill ``z`` with ``M r``; returns ``r . z`` (float64, summed in slab order).

        On a bipartite grid, first ``r -= alpha q`` with ``q`` the content of ``z`` on entry
        (fused into the same pass; ``z`` must hold finite values) and ``self.r_squared``
        ``= ||r||^2`` after it; on other grids ``alpha`` must be 0.
        """
        from generator.tortuosity._diffusive import coarse, fine

        h, code, pace, periodic = self.h, self.code, self.pacer.pace, self.periodic
        first = h.levels[0]
        pace()
        if h.bipartite:
            fine.update_smooth_restrict(
                code, r, z, h.g, h.diag, h.inv_diag, alpha, periodic, first.b, self.dots,
                self.bounds(),
            )  # fmt: skip
            self.r_squared = float(self.dots.sum())
        else:
            if alpha != 0.0:
                raise ValueError("the residual update is fused only on bipartite grids")
            coarse.zero(z)
            for colour in (0, 1):
                pace()
                fine.sweep(code, r, z, h.g, h.inv_diag, colour, False, periodic, self.no_dots)
            pace()
            fine.restrict_residual(code, r, z, h.g, h.diag, periodic, first.b)
        self._cycle(0, True)
        pace()
        if h.bipartite:
            fine.prolong_and_smooth(
                code, r, z, h.g, h.inv_diag, first.x, self.omega, periodic, self.dots,
                self.bounds(),
            )  # fmt: skip
        else:
            fine.prolong(code, z, first.x, self.omega)
            pace()
            fine.sweep(code, r, z, h.g, h.inv_diag, 1, True, periodic, self.no_dots)
            pace()
            fine.sweep(code, r, z, h.g, h.inv_diag, 0, True, periodic, self.dots)
        return float(self.dots.sum())

    def _cycle(self, index: int, zero_start: bool) -> None:
        import numba

        h = self.h
        level = h.levels[index]
        threads = numba.get_num_threads()
        if threads > 1 and level.diag.size <= SERIAL_CELLS:
            numba.set_num_threads(1)
            try:
                self._cycle_level(index, zero_start)
            finally:
                numba.set_num_threads(threads)
        else:
            self._cycle_level(index, zero_start)

    def _cycle_level(self, index: int, zero_start: bool) -> None:
        from generator.tortuosity._diffusive import coarse

        h, pace = self.h, self.pacer.pace
        level = h.levels[index]
        if index == len(h.levels) - 1:
            coarse.dense_solve(
                h.dense_inverse, h.dense_index, level.b.reshape(-1), level.x.reshape(-1)
            )
            return
        inv, (gz, gy, gx, diag) = level.inv, level.operator
        b, x = level.b, level.x
        if zero_start and self.sweeps == 0:
            coarse.zero(x)
        for sweep in range(self.sweeps):
            from_zero = sweep == 0 and zero_start
            pace()
            if level.bipartite:
                coarse.sweep_pair(b, x, gz, gy, gx, inv, True, from_zero, self.level_bounds(x))
                continue
            if from_zero:
                coarse.zero(x)
            coarse.sweep(b, x, gz, gy, gx, inv, 0, False)
            pace()
            coarse.sweep(b, x, gz, gy, gx, inv, 1, False)
        below = h.levels[index + 1]
        pace()
        colours = 0 if level.bipartite and self.sweeps > 0 else 2
        coarse.restrict_residual(b, x, gz, gy, gx, diag, colours, below.b)
        for visit in range(self.visits):
            self._cycle(index + 1, visit == 0)
        pace()
        coarse.prolong(x, inv, below.x, self.omega)
        for _ in range(self.sweeps):
            pace()
            if level.bipartite:
                coarse.sweep_pair(b, x, gz, gy, gx, inv, False, False, self.level_bounds(x))
                continue
            for colour in (1, 0):
                coarse.sweep(b, x, gz, gy, gx, inv, colour, True)
                pace()

    @staticmethod
    def level_bounds(x: np.ndarray) -> np.ndarray:
        """Chunks of a coarse level's fused sweeps for numba's thread count now."""
        import numba

        from generator.tortuosity._diffusive.fine import chunks

        return chunks(x.shape[0], numba.get_num_threads())


@dataclass
class Solution:
    """What :func:`solve` returns: the concentration and how it got there.

    Attributes
    ----------
    x : ndarray of float32, (nz, ny, nx)
        Concentration on the active cells (0 elsewhere), flow axis first.
    iterations : int
    relative_residual : float
        ``||b - A x||_2 / ||b||_2`` recomputed from ``x`` at the end (float64 sums).
    converged : bool
    flux_in, flux_out : float
        In units of the fine conductance ``gz`` (see :func:`solve`).
    energy : float
        ``x^T A x - 2 b^T x + sum b``: the dissipation, an upper bound of the exact flux
        that converges quadratically.
    restarts : int
        Residuals recomputed as ``b - A x`` after the recursive one met the tolerance.
    history : list of float
        The relative residual before the first iteration and after each.
    """

    x: np.ndarray
    iterations: int
    relative_residual: float
    converged: bool
    flux_in: float
    flux_out: float
    energy: float
    restarts: int
    history: list = field(default_factory=list)


def solve(
    prepared: Prepared,
    *,
    rtol: float,
    flux_tolerance: float,
    max_iterations: int,
    adaptive_threads: bool | None = None,
    omega: float = OVER_CORRECTION,
    visits: int = COARSE_VISITS,
    sweeps: int = COARSE_SWEEPS,
) -> Solution:
    """Preconditioned conjugate gradients on the percolating pore of ``prepared``, from the
    straight-channel profile, until ``||r||_2 <= rtol ||b||_2`` for the true residual and the
    face fluxes agree, ``|F_in - F_out| <= flux_tolerance F_in`` (at most
    :data:`MAX_BALANCE_ITERATIONS` iterations after the first).

    Memory: four full-size float32 fields (``x``, ``r``, ``p`` and one for ``z = M r`` then
    ``q = A p``) beside the codes, and the coarse levels (about 1/7 of 28 bytes a voxel).
    """
    from generator._shared.threads import ThreadPacer
    from generator.tortuosity._diffusive import fine

    code = prepared.code
    nz = code.shape[0]
    with ThreadPacer(adaptive_threads) as pacer:
        hierarchy = build_hierarchy(prepared, pacer)
        g, gd, diag = hierarchy.g, hierarchy.gd, hierarchy.diag
        precondition = Preconditioner(
            prepared, hierarchy, pacer, omega=omega, visits=visits, sweeps=sweeps
        )
        x = np.empty(code.shape, dtype=np.float32)
        r = np.empty(code.shape, dtype=np.float32)
        p = np.zeros(code.shape, dtype=np.float32)
        zq = np.zeros(code.shape, dtype=np.float32)  # z = M r, then q = A p
        dots = np.empty(nz, dtype=np.float64)
        pairs = np.empty((nz, 2), dtype=np.float64)
        flux = np.empty(2, dtype=np.float64)
        fine.linear_guess(code, x)
        b_norm = float(gd) * math.sqrt(prepared.inlet_voxels)
        target = rtol * b_norm

        def true_residual() -> float:
            pacer.pace()
            fine.residual(code, x, r, g, diag, gd, prepared.periodic, pairs)
            return math.sqrt(float(pairs[:, 0].sum()))

        def balanced(alpha: float) -> bool:
            """Whether the face fluxes of ``x + alpha p`` agree (two slices: cheap)."""
            fine.fluxes(code, x, p, alpha, gd, flux)
            return abs(flux[0] - flux[1]) <= flux_tolerance * flux[0]

        r_norm = true_residual()
        history = [r_norm / b_norm]
        iterations = restarts = 0
        first_met = None  # the iteration at which the residual first met its tolerance
        converged = r_norm <= target and balanced(0.0)
        while not converged and iterations < max_iterations:
            rz = precondition(r, zq)
            alpha = beta = 0.0  # the first direction is z
            while iterations < max_iterations:
                iterations += 1
                pacer.pace()
                # x += alpha p (the last step); p = z + beta p; q = A p
                fine.update_and_apply(
                    code, zq, p, x, g, diag, alpha, beta, prepared.periodic, dots,
                    precondition.bounds(),
                )  # fmt: skip
                alpha = rz / float(dots.sum())
                if hierarchy.bipartite:  # r -= alpha q, fused with the preconditioner
                    rz_new = precondition(r, zq, alpha)
                    r_norm = math.sqrt(precondition.r_squared)
                else:
                    pacer.pace()
                    fine.update_residual(r, zq, alpha, dots)
                    r_norm = math.sqrt(float(dots.sum()))
                history.append(r_norm / b_norm)
                if r_norm <= target and first_met is None:
                    first_met = iterations
                give_up = first_met is not None and iterations - first_met >= (
                    MAX_BALANCE_ITERATIONS
                )
                if (
                    iterations == max_iterations
                    or give_up
                    or (r_norm <= target and balanced(alpha))
                ):
                    pacer.pace()
                    fine.step(x, p, alpha)
                    break
                if not hierarchy.bipartite:
                    rz_new = precondition(r, zq)
                beta = rz_new / rz
                rz = rz_new
            r_norm = true_residual()
            converged = r_norm <= target and balanced(0.0)
            if give_up or r_norm <= target:
                break  # the fluxes do not agree within the iterations allowed
            if not converged and iterations < max_iterations:
                restarts += 1
                if restarts > MAX_RESTARTS:
                    break
        x_dot_r = float(pairs[:, 1].sum())
        balanced(0.0)
    return Solution(
        x=x,
        iterations=iterations,
        relative_residual=r_norm / b_norm,
        converged=converged,
        flux_in=float(flux[0]),
        flux_out=float(flux[1]),
        energy=float(flux[0]) - x_dot_r,
        restarts=restarts,
        history=history,
    )
