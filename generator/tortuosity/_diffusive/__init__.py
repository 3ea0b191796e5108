"""Private: the diffusive (Laplace) solver behind :mod:`generator.tortuosity.diffusive`. Plain
arrays, no validation beyond :func:`prepare`'s.

Read in this order:

:mod:`~generator.tortuosity._diffusive.driver`
    :func:`prepare` (the pore space flow axis first, reduced to the pore that percolates),
    :func:`build_hierarchy` (Galerkin aggregation of 2 x 2 x 2 blocks), the symmetric
    multigrid :class:`Preconditioner` and :func:`solve` (preconditioned conjugate gradients,
    thread pacing).
:mod:`~generator.tortuosity._diffusive.percolation`
    numba kernels: fills from the two faces, and the fine level's neighbour codes.
:mod:`~generator.tortuosity._diffusive.fine`
    numba kernels on the voxel grid (level 0): operator, residual, red-black sweeps, the fused
    residual restriction and prolongation, the CG vector updates, the face fluxes.
:mod:`~generator.tortuosity._diffusive.coarse`
    numba kernels of the coarse levels and their construction.

Every kernel takes one dtype per argument (uint8 codes, float32 fields, float64 sums), so each
compiles once.
"""

from generator.tortuosity._diffusive.driver import Prepared, Solution, prepare, solve

__all__ = ["Prepared", "Solution", "prepare", "solve"]
