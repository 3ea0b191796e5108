"""Diffusive tortuosity factor: steady diffusion through the pore space of a 3D image.

The model (TauFactor's): Laplace's equation for a concentration ``c`` on the pore voxels,
``c = 1`` on the inlet face (the first slice's outer face along the flow axis) and ``c = 0`` on
the outlet face, no flux through solid and through the sides (or sides that wrap around,
``boundary="periodic"``). Cell-centred finite volumes on the voxel grid: two face-neighbouring
pore voxels exchange ``g (c_a - c_b)`` with the conductance ``g = area / distance`` of their
shared face (6-connectivity; ``h_y h_x / h_z`` across a face normal to z); a pore voxel of the
first (last) slice exchanges ``2 g (1 - c)`` (``2 g c``) with the face half a voxel away. With
``F`` the total flux for unit bulk diffusivity and unit concentration difference, ``L`` the
image's extent along the flow axis and ``A`` its cross-section,

* ``effective_diffusivity = D_eff / D_bulk = F L / A``;
* ``tau_factor = porosity / effective_diffusivity`` with the porosity of the whole image
  (TauFactor's convention; 1 for straight channels of any cross-section);
* pore that is not face-connected to both faces carries no flux and is left out of the solve
  (``percolating_fraction`` is the share kept); no percolating path gives
  ``tau_factor = inf`` and ``effective_diffusivity = 0`` with a warning, not an error.

The solver (:mod:`generator.tortuosity._diffusive`) is matrix-free: conjugate gradients with a
multigrid preconditioner (Galerkin aggregation of 2 x 2 x 2 blocks, red-black Gauss-Seidel),
float32 fields with float64 sums, about 22 bytes a voxel.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

Boundary = Literal["no_flux", "periodic"]
BOUNDARIES = ("no_flux", "periodic")
# ||b - A x||_2 / ||b||_2 at which the iteration stops. Measured on a 1 um GDL crop
# (240 x 200 x 450 voxels, `python -m workflows.bench_diffusive --convergence`): tau within
# 3e-6 (relative) of a run at 3e-6, about as far as float32 fields go (1e-4: 3e-5; 1e-3: 3e-4),
# and the face fluxes within 0.1 % of each other and of the dissipation.
DEFAULT_RTOL = 1e-5
DEFAULT_MAX_ITERATIONS = 500
# Default |flux_in - flux_out| / flux_in the iteration also meets before it stops (those of a
# converged solution agree; they converge more slowly than tau, which comes from the
# dissipation: in-plane through a GDL crop they need an iteration or two more than rtol).
FLUX_BALANCE_TOLERANCE = 1e-3


@dataclass(frozen=True)
class DiffusiveResult:
    """Diffusive tortuosity factor of one image along one axis.

    Attributes
    ----------
    tau_factor : float
        ``porosity / effective_diffusivity``; inf without a percolating path.
    effective_diffusivity : float
        ``D_eff / D_bulk`` (dimensionless), from the dissipation of the computed field: an
        upper bound of the exact value whose error is quadratic in the field's error.
    porosity : float
        Pore share of the whole image.
    percolating_fraction : float
        Share of the pore in components face-connected to both the inlet and the outlet face.
    iterations : int
        Conjugate-gradient iterations.
    relative_residual : float
        ``||b - A c||_2 / ||b||_2``, recomputed from the final field.
    tolerance : float
        The ``rtol`` the iteration stopped at.
    converged : bool
        ``relative_residual <= tolerance`` and ``flux_balance <= flux_tolerance``.
    flux_in, flux_out : float
        Total flux through the inlet and the outlet face for unit bulk diffusivity and unit
        concentration difference, in um (area over length).
    flux_balance : float
        ``|flux_in - flux_out| / flux_in``.
    flux_tolerance : float
        The balance the iteration meets besides ``tolerance``.
    axis : int
        Array axis of the flow.
    voxel_um : tuple of float
        Voxel size per array axis.
    length_um : float
        Extent of the image along the flow axis.
    boundary : str
    seconds : float
        Wall time of the call.

    Examples
    --------
    >>> import numpy as np
    >>> from generator.tortuosity import diffusive_tortuosity
    >>> result = diffusive_tortuosity(np.ones((4, 3, 3), dtype=bool))
    >>> result.to_dict()["tau_factor"], result.to_dict()["voxel_um"]
    (1.0, [1.0, 1.0, 1.0])
    """

    tau_factor: float
    effective_diffusivity: float
    porosity: float
    percolating_fraction: float
    iterations: int
    relative_residual: float
    tolerance: float
    converged: bool
    flux_in: float
    flux_out: float
    flux_balance: float
    flux_tolerance: float
    axis: int
    voxel_um: tuple
    length_um: float
    boundary: str
    seconds: float

    def to_dict(self) -> dict:
        """The fields as a JSON-ready dictionary (inf as the string ``"inf"``)."""
        out = {}
        for key, value in asdict(self).items():
            if isinstance(value, float) and not np.isfinite(value):
                value = "inf" if value > 0 else str(value)
            out[key] = value
        out["voxel_um"] = [float(v) for v in self.voxel_um]
        return out


def diffusive_tortuosity(
    image: np.ndarray,
    *,
    axis="z",
    voxel_um=1.0,
    pore_label=None,
    boundary: Boundary = "no_flux",
    rtol: float = DEFAULT_RTOL,
    flux_tolerance: float = FLUX_BALANCE_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    adaptive_threads: bool | None = None,
    progress: bool = False,
) -> DiffusiveResult:
    """Diffusive tortuosity factor of the pore space of a 3D image along one axis.

    Parameters
    ----------
    image : ndarray, 3D
        Boolean pore mask (``True`` pore) or a label image with ``pore_label`` (see
        :func:`generator.tortuosity.inputs.pore_mask`: labels are never guessed).
    axis : {"z", "y", "x"} or int
        Flow axis (``"z"`` is array axis 0, the generator's through-plane axis).
    voxel_um : float or sequence of 3 floats
        Voxel size per array axis, in um; face conductances are area / distance.
    pore_label : int, optional
    boundary : {"no_flux", "periodic"}
        The sides (the faces parallel to the flow): closed, or wrapping around to the
        opposite side (a pore voxel on one side is the face neighbour of the one opposite).
    rtol : float
        Stop when ``||b - A c||_2 <= rtol ||b||_2`` (float32 fields reach about 3e-6 on 240
        slices, growing as the square root of the slices) and the fluxes through the two faces
        agree within ``flux_tolerance``.
    flux_tolerance : float
        Largest ``|flux_in - flux_out| / flux_in`` at which the iteration stops (``1`` leaves
        the stop to ``rtol`` alone).
    max_iterations : int
    adaptive_threads : bool, optional
        Pace the solver's threads to the cores other processes leave free (see
        :mod:`generator._shared.threads`); default ``GDL_ADAPTIVE_THREADS``, on unless ``0``.
    progress : bool
        Report the percolation and the solve on stderr (see :mod:`generator._shared.progress`).

    Returns
    -------
    DiffusiveResult

    Warns
    -----
    RuntimeWarning
        No percolating path (``tau_factor`` inf), or an iteration that stopped before it met
        both tolerances (``converged`` False).

    Raises
    ------
    ValueError
        A bad argument (naming it), an image without pore, or an image whose estimated
        working memory (:data:`generator._shared.guards.DIFFUSIVE_BYTES_PER_VOXEL`) does not
        fit.

    Notes
    -----
    ``effective_diffusivity`` comes from the dissipation ``E(c) = sum_faces g (dc)^2`` (with
    the boundary faces), which for any field with the boundary values is at least the exact
    flux and exceeds it by the squared energy norm of the field's error (Dirichlet's
    principle); the face fluxes converge only linearly and are reported as a check.

    Examples
    --------
    Straight channels give ``tau_factor`` 1 and ``D_eff / D_bulk`` equal to the porosity:

    >>> import numpy as np
    >>> from generator.tortuosity import diffusive_tortuosity
    >>> channels = np.zeros((6, 4, 4), dtype=bool)
    >>> channels[:, 1, 1] = channels[:, 2, 2:] = True
    >>> result = diffusive_tortuosity(channels)
    >>> round(result.tau_factor, 5), round(result.effective_diffusivity, 5), result.porosity
    (1.0, 0.1875, 0.1875)

    A channel that narrows: two pore voxels ``a``, ``b`` in the first slice, only ``c`` (below
    ``a``) in the second. By hand, with conductance 1 between voxels and 2 to a face:
    ``c_b = (2 + c_a) / 3``, ``c_c = c_a / 3``, so ``c_a = 0.8`` and the flux out is
    ``2 c_c = 8 / 15`` over a cross-section of 2 voxels and a length of 2: ``D_eff / D_bulk =
    8 / 15`` and ``tau = 0.75 * 15 / 8``:

    >>> narrowing = np.array([[[True, True]], [[True, False]]])
    >>> result = diffusive_tortuosity(narrowing)
    >>> round(result.effective_diffusivity * 15, 4), round(result.tau_factor * 8 / 0.75, 4)
    (8.0, 15.0)
    """
    from generator._shared.guards import DIFFUSIVE_BYTES_PER_VOXEL
    from generator._shared.progress import silent, stage
    from generator.tortuosity._diffusive import prepare, solve

    start = time.perf_counter()
    if not (isinstance(rtol, int | float) and 0 < rtol < 1):
        raise ValueError(f"rtol={rtol!r} must be a number in (0, 1)")
    if not (isinstance(flux_tolerance, int | float) and 0 < flux_tolerance <= 1):
        raise ValueError(f"flux_tolerance={flux_tolerance!r} must be a number in (0, 1]")
    if not (isinstance(max_iterations, int | np.integer) and max_iterations >= 1):
        raise ValueError(f"max_iterations={max_iterations!r} must be a positive integer")
    report = stage if progress else silent
    with report("pore that percolates"):
        prepared = prepare(
            image,
            axis=axis,
            voxel_um=voxel_um,
            pore_label=pore_label,
            boundary=boundary,
            bytes_per_voxel=DIFFUSIVE_BYTES_PER_VOXEL,
        )
    nz, ny, nx = prepared.code.shape
    hz, hy, hx = prepared.spacing
    porosity = prepared.pore_voxels / prepared.code.size
    common = dict(
        porosity=porosity,
        percolating_fraction=prepared.active_voxels / prepared.pore_voxels,
        tolerance=float(rtol),
        flux_tolerance=float(flux_tolerance),
        axis=prepared.order[0],
        voxel_um=prepared.voxel_um,
        length_um=float(nz * hz),
        boundary=boundary,
    )
    if prepared.active_voxels == 0:
        warnings.warn(
            "no pore path connects the inlet to the outlet: tau_factor is inf",
            RuntimeWarning,
            stacklevel=2,
        )
        return DiffusiveResult(
            tau_factor=float("inf"),
            effective_diffusivity=0.0,
            iterations=0,
            relative_residual=0.0,
            converged=True,
            flux_in=0.0,
            flux_out=0.0,
            flux_balance=0.0,
            seconds=time.perf_counter() - start,
            **common,
        )
    with report("diffusion"):
        solution = solve(
            prepared,
            rtol=float(rtol),
            flux_tolerance=float(flux_tolerance),
            max_iterations=int(max_iterations),
            adaptive_threads=adaptive_threads,
        )
    del prepared
    # Fluxes in units of gz (= 1 for a face normal to z); in um: times hy hx / hz.
    to_um = hy * hx / hz
    effective = solution.energy * nz / (ny * nx)
    balance = abs(solution.flux_in - solution.flux_out) / solution.flux_in
    if not solution.converged:
        warnings.warn(
            f"the diffusion solve stopped after {solution.iterations} iterations at relative "
            f"residual {solution.relative_residual:.2e} (rtol={rtol:g}) with the face fluxes "
            f"{balance:.2e} apart (flux_tolerance={flux_tolerance:g})",
            RuntimeWarning,
            stacklevel=2,
        )
    return DiffusiveResult(
        tau_factor=float(porosity / effective),
        effective_diffusivity=float(effective),
        iterations=solution.iterations,
        relative_residual=float(solution.relative_residual),
        converged=bool(solution.converged),
        flux_in=float(solution.flux_in * to_um),
        flux_out=float(solution.flux_out * to_um),
        flux_balance=float(balance),
        seconds=time.perf_counter() - start,
        **common,
    )
