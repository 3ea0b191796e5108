"""numba kernels of the coarse levels (level 1 and below) and their Galerkin construction.

A coarse level is a grid of 2 x 2 x 2 aggregates of the level above (the last aggregate along
an axis of odd size holds one layer). With piecewise-constant prolongation ``P``, the Galerkin
operator ``P^T A P`` of a 6-point graph Laplacian is again one: the conductance between two
neighbouring aggregates is the sum of the conductances of the faces between them, and the
Dirichlet conductance of an aggregate the sum of its cells'. A level stores float32 arrays of
its shape: ``gz``, ``gy``, ``gx`` (the conductance to the ``+1`` neighbour along each axis;
along y and x the last cell's is the wrap to the first, 0 without periodic sides), ``diag``
(0 at an empty aggregate) and ``inv`` (its inverse, 0 at an empty aggregate), plus
``dirichlet`` ``(2, ny, nx)``: the Dirichlet conductances of the first and the last slice.

Fields: ``b`` (right-hand side) and ``x`` (solution), float32, 0 at empty aggregates.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from generator._shared.numba_compile import PARALLEL, use_shared_cache
from generator.tortuosity._diffusive.fine import dirichlet_faces
from generator.tortuosity._diffusive.percolation import XM, XP, YM, YP, ZM, ZP

use_shared_cache()  # before any kernel is defined: see generator._shared.numba_compile


@nb.njit(cache=True, parallel=PARALLEL)
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


@nb.njit(cache=True, parallel=PARALLEL)
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


@nb.njit(cache=True, parallel=PARALLEL)
def zero(x):
    """``x = 0``, slabs in parallel."""
    for k in nb.prange(x.shape[0]):
        x[k] = 0.0


@nb.njit(cache=True)
def _colour_slab(k, b, x, gz, gy, gx, inv, colour, reverse, zero_row):
    """Half a red-black Gauss-Seidel sweep on slab ``k``: cells of ``colour`` (0 red:
    ``k + j + i`` even) take ``(b + sum_j g_ij x_j) / d`` (0 at empty aggregates, whose
    ``inv`` is 0), rows and cells in reverse order with ``reverse`` (the transpose of the
    forward half where same-coloured cells touch across an odd periodic side). Along y and x
    the neighbour indices always wrap: without periodic sides the wrapping face's conductance
    is 0."""
    nz, ny, nx = x.shape
    gz_below = gz[k - 1] if k > 0 else gz[k]
    for n in range(ny):
        j = ny - 1 - n if reverse else n
        jm = j - 1 if j > 0 else ny - 1
        jp = j + 1 if j < ny - 1 else 0
        xc, bc, ic, gxc = x[k, j], b[k, j], inv[k, j], gx[k, j]
        xm = x[k - 1, j] if k > 0 else zero_row
        gm = gz_below[j] if k > 0 else zero_row
        xp = x[k + 1, j] if k < nz - 1 else zero_row
        gp, xym, gym, xyp, gyp = gz[k, j], x[k, jm], gy[k, jm], x[k, jp], gy[k, j]
        first = (colour + k + j) & 1
        count = (nx - first + 1) // 2
        for m in range(count):
            i = first + 2 * (count - 1 - m) if reverse else first + 2 * m
            if 0 < i < nx - 1:
                side = gxc[i - 1] * xc[i - 1] + gxc[i] * xc[i + 1]
            else:
                im = i - 1 if i > 0 else nx - 1
                ip = i + 1 if i < nx - 1 else 0
                side = gxc[im] * xc[im] + gxc[i] * xc[ip]
            s = gm[i] * xm[i] + gp[i] * xp[i] + gym[i] * xym[i] + gyp[i] * xyp[i] + side
            xc[i] = (bc[i] + s) * ic[i]


@nb.njit(cache=True, parallel=PARALLEL)
def sweep(b, x, gz, gy, gx, inv, colour, reverse):
    """Half a red-black Gauss-Seidel sweep (:func:`_colour_slab`) over every slab."""
    zero_row = np.zeros(x.shape[2], dtype=np.float32)
    for k in nb.prange(x.shape[0]):
        _colour_slab(k, b, x, gz, gy, gx, inv, colour, reverse, zero_row)


@nb.njit(cache=True)
def _red_from_zero_slab(k, b, x, inv):
    """``x = b / d`` at the red cells of slab ``k`` (a sweep's red half from ``x = 0``)."""
    ny, nx = x.shape[1], x.shape[2]
    for j in range(ny):
        xc, bc, ic = x[k, j], b[k, j], inv[k, j]
        for i in range((k + j) & 1, nx, 2):
            xc[i] = bc[i] * ic[i]


@nb.njit(cache=True, parallel=PARALLEL)
def sweep_pair(b, x, gz, gy, gx, inv, forward, from_zero, bounds):
    """A whole red-black sweep in one pass where red cells touch only black ones: forward
    (red, then black) or backward (black, then red); ``from_zero``: forward from ``x = 0``
    (the red half is ``b / d``, whatever ``x`` held). A wavefront through chunks of slabs
    (``bounds``, see :func:`generator.tortuosity._diffusive.fine.chunks`): the first half of
    slab k + 1, then the second half of slab k; the chunks' edge slabs get the first half
    before."""
    first, second = (0, 1) if forward else (1, 0)
    zero_row = np.zeros(x.shape[2], dtype=np.float32)
    count = bounds.shape[0] - 1
    for c in nb.prange(count):
        k0, k1 = bounds[c], bounds[c + 1]
        for k in (k0, k1 - 1):
            if from_zero:
                _red_from_zero_slab(k, b, x, inv)
            else:
                _colour_slab(k, b, x, gz, gy, gx, inv, first, False, zero_row)
            if k1 - 1 == k0:
                break
    for c in nb.prange(count):
        k0, k1 = bounds[c], bounds[c + 1]
        for k in range(k0, k1):
            if k0 < k + 1 < k1 - 1:
                if from_zero:
                    _red_from_zero_slab(k + 1, b, x, inv)
                else:
                    _colour_slab(k + 1, b, x, gz, gy, gx, inv, first, False, zero_row)
            _colour_slab(k, b, x, gz, gy, gx, inv, second, False, zero_row)


@nb.njit(cache=True, parallel=PARALLEL)
def restrict_residual(b, x, gz, gy, gx, diag, colours, coarse):
    """``coarse = P^T (b - A x)`` summed over 2 x 2 x 2 blocks, over the cells of ``colours``
    (0 red, 2 all: after a forward sweep that ended with black cells, only red ones carry a
    residual on a grid where red cells touch only black ones)."""
    nz, ny, nx = x.shape
    for kc in nb.prange(coarse.shape[0]):
        coarse[kc] = 0.0
        for k in range(2 * kc, min(2 * kc + 2, nz)):
            gz_below = gz[k - 1] if k > 0 else gz[k]
            for j in range(ny):
                jm = j - 1 if j > 0 else ny - 1
                jp = j + 1 if j < ny - 1 else 0
                xc, bc, dc, gxc = x[k, j], b[k, j], diag[k, j], gx[k, j]
                gp, xym, gym, xyp, gyp = gz[k, j], x[k, jm], gy[k, jm], x[k, jp], gy[k, j]
                out = coarse[kc, j >> 1]
                first = 0 if colours == 2 else (k + j) & 1
                stride = 1 if colours == 2 else 2
                for i in range(first, nx, stride):
                    im = i - 1 if i > 0 else nx - 1
                    ip = i + 1 if i < nx - 1 else 0
                    s = gxc[im] * xc[im] + gxc[i] * xc[ip] + gym[i] * xym[i] + gyp[i] * xyp[i]
                    if k > 0:
                        s += gz_below[j, i] * x[k - 1, j, i]
                    if k < nz - 1:
                        s += gp[i] * x[k + 1, j, i]
                    out[i >> 1] += bc[i] - dc[i] * xc[i] + s


@nb.njit(cache=True, parallel=PARALLEL)
def prolong(x, inv, e, omega):
    """``x += omega P e`` on the non-empty aggregates (``inv`` > 0)."""
    nz, ny, nx = x.shape
    w = np.float32(omega)
    for k in nb.prange(nz):
        for j in range(ny):
            xc, ic, ec = x[k, j], inv[k, j], e[k >> 1, j >> 1]
            for i in range(nx):
                xc[i] += w * ec[i >> 1] * np.float32(ic[i] > 0)


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


@nb.njit(cache=True)
def dense_inverse(matrix):
    """Inverse of a small symmetric positive definite matrix (float64) by Cholesky
    factorisation, serial (a LAPACK call would start its thread pool: 0.1 s the first time)."""
    n = matrix.shape[0]
    lower = np.zeros((n, n))
    for j in range(n):
        s = matrix[j, j]
        for m in range(j):
            s -= lower[j, m] * lower[j, m]
        lower[j, j] = np.sqrt(s)
        for i in range(j + 1, n):
            s = matrix[i, j]
            for m in range(j):
                s -= lower[i, m] * lower[j, m]
            lower[i, j] = s / lower[j, j]
    # inverse of the factor (lower triangular), column by column
    inv_lower = np.zeros((n, n))
    for c in range(n):
        inv_lower[c, c] = 1.0 / lower[c, c]
        for i in range(c + 1, n):
            s = 0.0
            for m in range(c, i):
                s -= lower[i, m] * inv_lower[m, c]
            inv_lower[i, c] = s / lower[i, i]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            s = 0.0
            for m in range(i, n):
                s += inv_lower[m, i] * inv_lower[m, j]
            out[i, j] = s
            out[j, i] = s
    return out
