"""numba kernels of the coarse levels (level 1 and below) and their Galerkin construction.

A coarse level is a grid of 2 x 2 x 2 aggregates of the level above (the last aggregate along
an axis of odd size holds one layer). With piecewise-constant prolongation ``P``, the Galerkin
operator ``P^T A P`` of a 6-point graph Laplacian is again one: the conductance between two
neighbouring aggregates is the sum of the conductances of the faces between them, and the
Dirichlet conductance of an aggregate the sum of its cells'. A level stores float32 arrays of
its shape: ``gz``, ``gy``, ``gx`` (the conductance to the ``+1`` neighbour along each axis;
along y and x the last cell's is the wrap to the first, 0 without periodic sides) and ``diag``
(0 at an empty aggregate), plus ``dirichlet`` ``(2, ny, nx)``: the Dirichlet conductances of
the first and the last slice.

Fields: ``b`` (right-hand side) and ``x`` (solution), float32, 0 at empty aggregates.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from generator.tortuosity._diffusive.fine import dirichlet_faces
from generator.tortuosity._diffusive.percolation import XM, XP, YM, YP, ZM, ZP


@nb.njit(cache=True, inline="always")
def _neighbours(x, gz, gy, gx, k, j, i, nz, ny, nx):
    """``sum_j g_ij x_j`` over the six faces of cell ``(k, j, i)``."""
    jm = j - 1 if j > 0 else ny - 1
    jp = j + 1 if j < ny - 1 else 0
    im = i - 1 if i > 0 else nx - 1
    ip = i + 1 if i < nx - 1 else 0
    s = (
        gy[k, jm, i] * x[k, jm, i]
        + gy[k, j, i] * x[k, jp, i]
        + gx[k, j, im] * x[k, j, im]
        + gx[k, j, i] * x[k, j, ip]
    )
    if k > 0:
        s += gz[k - 1, j, i] * x[k - 1, j, i]
    if k < nz - 1:
        s += gz[k, j, i] * x[k + 1, j, i]
    return s


@nb.njit(cache=True, parallel=True)
def galerkin_from_code(code, g, gd, gz, gy, gx, diag):
    """Level 1 from the fine codes: sum the fine conductances across each pair of aggregates
    (into ``gz``, ``gy``, ``gx``) and around each aggregate, with its Dirichlet conductances
    (into ``diag``)."""
    nz, ny, nx = code.shape
    fz, fy, fx = g[0], g[1], g[2]
    for kc in nb.prange(gz.shape[0]):
        gz[kc] = 0.0
        gy[kc] = 0.0
        gx[kc] = 0.0
        diag[kc] = 0.0
        for k in range(2 * kc, min(2 * kc + 2, nz)):
            dirichlet = gd * dirichlet_faces(k, nz)
            for j in range(ny):
                jc = j >> 1
                jm = (j - 1 if j > 0 else ny - 1) >> 1
                jp = (j + 1 if j < ny - 1 else 0) >> 1
                for i in range(nx):
                    c = code[k, j, i]
                    if c == 0:
                        continue
                    ic = i >> 1
                    im = (i - 1 if i > 0 else nx - 1) >> 1
                    ip = (i + 1 if i < nx - 1 else 0) >> 1
                    d = dirichlet
                    if c & ZM and ((k - 1) >> 1) != kc:
                        d += fz
                    if c & ZP and ((k + 1) >> 1) != kc:
                        d += fz
                        gz[kc, jc, ic] += fz
                    if c & YM and jm != jc:
                        d += fy
                    if c & YP and jp != jc:
                        d += fy
                        gy[kc, jc, ic] += fy
                    if c & XM and im != ic:
                        d += fx
                    if c & XP and ip != ic:
                        d += fx
                        gx[kc, jc, ic] += fx
                    diag[kc, jc, ic] += d


@nb.njit(cache=True, parallel=True)
def galerkin(gz, gy, gx, diag, dirichlet, cz, cy, cx, cdiag):
    """The next coarser level from a coarse level (see :func:`galerkin_from_code`)."""
    nz, ny, nx = diag.shape
    for kc in nb.prange(cz.shape[0]):
        cz[kc] = 0.0
        cy[kc] = 0.0
        cx[kc] = 0.0
        cdiag[kc] = 0.0
        for k in range(2 * kc, min(2 * kc + 2, nz)):
            for j in range(ny):
                jc = j >> 1
                jm = j - 1 if j > 0 else ny - 1
                jp = j + 1 if j < ny - 1 else 0
                for i in range(nx):
                    if diag[k, j, i] == 0.0:
                        continue
                    ic = i >> 1
                    im = i - 1 if i > 0 else nx - 1
                    ip = i + 1 if i < nx - 1 else 0
                    d = np.float32(0.0)
                    if k == 0:
                        d += dirichlet[0, j, i]
                    if k == nz - 1:
                        d += dirichlet[1, j, i]
                    if k > 0 and ((k - 1) >> 1) != kc:
                        d += gz[k - 1, j, i]
                    if k < nz - 1 and ((k + 1) >> 1) != kc:
                        d += gz[k, j, i]
                        cz[kc, jc, ic] += gz[k, j, i]
                    if (jm >> 1) != jc:
                        d += gy[k, jm, i]
                    if (jp >> 1) != jc:
                        d += gy[k, j, i]
                        cy[kc, jc, ic] += gy[k, j, i]
                    if (im >> 1) != ic:
                        d += gx[k, j, im]
                    if (ip >> 1) != ic:
                        d += gx[k, j, i]
                        cx[kc, jc, ic] += gx[k, j, i]
                    cdiag[kc, jc, ic] += d


@nb.njit(cache=True, parallel=True)
def zero(x):
    """``x = 0``, slabs in parallel."""
    for k in nb.prange(x.shape[0]):
        x[k] = 0.0


@nb.njit(cache=True, parallel=True)
def sweep(b, x, gz, gy, gx, diag, colour, reverse):
    """Half a red-black Gauss-Seidel sweep (cells of ``colour``, 0 red: ``k + j + i`` even),
    each slab's rows and cells in reverse order with ``reverse`` (the transpose of the forward
    half where same-coloured cells touch across an odd periodic side)."""
    nz, ny, nx = x.shape
    for k in nb.prange(nz):
        for jj in range(ny):
            j = ny - 1 - jj if reverse else jj
            first = (colour + k + j) & 1
            count = (nx - first + 1) // 2
            for n in range(count):
                i = first + 2 * (count - 1 - n) if reverse else first + 2 * n
                d = diag[k, j, i]
                if d == 0.0:
                    continue
                x[k, j, i] = (b[k, j, i] + _neighbours(x, gz, gy, gx, k, j, i, nz, ny, nx)) / d


@nb.njit(cache=True, parallel=True)
def restrict_residual(b, x, gz, gy, gx, diag, coarse):
    """``coarse = P^T (b - A x)`` summed over 2 x 2 x 2 blocks."""
    nz, ny, nx = x.shape
    for kc in nb.prange(coarse.shape[0]):
        coarse[kc] = 0.0
        for k in range(2 * kc, min(2 * kc + 2, nz)):
            for j in range(ny):
                for i in range(nx):
                    d = diag[k, j, i]
                    if d == 0.0:
                        continue
                    coarse[kc, j >> 1, i >> 1] += (
                        b[k, j, i]
                        - d * x[k, j, i]
                        + _neighbours(x, gz, gy, gx, k, j, i, nz, ny, nx)
                    )


@nb.njit(cache=True, parallel=True)
def prolong(x, diag, e, omega):
    """``x += omega P e`` on the non-empty aggregates."""
    nz, ny, nx = x.shape
    w = np.float32(omega)
    for k in nb.prange(nz):
        for j in range(ny):
            for i in range(nx):
                if diag[k, j, i] != 0.0:
                    x[k, j, i] += w * e[k >> 1, j >> 1, i >> 1]



@nb.njit(cache=True)
def dense_solve(inverse, index, b, x):
    """``x[index] = inverse @ b[index]`` on flat views of the coarsest level (float64 sums;
    serial: the level is small, and a BLAS call would start threads of its own)."""
    n = index.shape[0]
    for a in range(n):
        acc = 0.0
        for c in range(n):
            acc += inverse[a, c] * b[index[c]]
        x[index[a]] = acc
