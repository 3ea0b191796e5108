"""numba kernels of the fine level (level 0): the voxel grid itself, conductances implied by the
neighbour codes of :mod:`~generator.tortuosity._diffusive.percolation`.

Plain arrays, flow axis first: ``code`` uint8 ``(nz, ny, nx)``; fields float32 of the same
shape; ``g`` float32 ``(3,)`` the face conductances along z, y, x (``gz = 1``); ``diag`` and
``inv_diag`` float32 ``(3, 128)``, the diagonal of the operator and its inverse by code, row
``t`` for a cell with ``t`` Dirichlet faces (:func:`dirichlet_faces`: the first and the last
slice carry one each, conductance ``2 gz``). Inactive cells (code 0) are 0 in every field.

The operator is the finite-volume graph Laplacian ``(A x)_i = d_i x_i - sum_j g_ij x_j`` over
active face neighbours ``j``; the right-hand side is ``2 gz`` on the active cells of the first
slice (concentration 1 at the inlet face, 0 at the outlet face).

Smoothing is red-black Gauss-Seidel (red: ``k + j + i`` even). The ``*_bipartite`` kernels
fuse passes where red cells touch only black ones (no odd periodic side); the general
:func:`sweep` handles any grid, and with ``reverse`` visits each slab's cells in the opposite
order, so that a backward sweep is the exact transpose of a forward one.

Sums that decide the iteration (dot products, norms) are accumulated in float64 per slab, then
added in slab order: the same result whatever the number of threads.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from generator.tortuosity._diffusive.percolation import XM, XP, YM, YP, ZM, ZP


@nb.njit(cache=True, inline="always")
def dirichlet_faces(k, nz):
    """Dirichlet faces of a cell of slice ``k`` (0, 1, or 2 when the image is one slice)."""
    return (1 if k == 0 else 0) + (1 if k == nz - 1 else 0)


@nb.njit(cache=True, inline="always")
def _neighbours(c, f, k, j, i, jm, jp, im, ip, gz, gy, gx):
    """``sum_j g_ij f_j`` over the active face neighbours of cell ``(k, j, i)`` (code ``c``)."""
    s = np.float32(0.0)
    if c & ZM:
        s += gz * f[k - 1, j, i]
    if c & ZP:
        s += gz * f[k + 1, j, i]
    if c & YM:
        s += gy * f[k, jm, i]
    if c & YP:
        s += gy * f[k, jp, i]
    if c & XM:
        s += gx * f[k, j, im]
    if c & XP:
        s += gx * f[k, j, ip]
    return s


@nb.njit(cache=True, parallel=True)
def linear_guess(code, x):
    """The straight-channel solution ``1 - (k + 1/2) / nz`` on active cells, 0 elsewhere."""
    nz = code.shape[0]
    for k in nb.prange(nz):
        value = np.float32(1.0 - (k + 0.5) / nz)
        for j in range(code.shape[1]):
            for i in range(code.shape[2]):
                x[k, j, i] = value if code[k, j, i] else np.float32(0.0)


@nb.njit(cache=True, parallel=True)
def residual(code, x, r, g, diag, gd, out):
    """``r = b - A x``; per slab ``out[k] = (sum r^2, sum x r)`` in float64."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    for k in nb.prange(nz):
        t = dirichlet_faces(k, nz)
        rr = 0.0
        xr = 0.0
        for j in range(ny):
            jm = j - 1 if j > 0 else ny - 1
            jp = j + 1 if j < ny - 1 else 0
            for i in range(nx):
                c = code[k, j, i]
                if c == 0:
                    r[k, j, i] = 0.0
                    continue
                im = i - 1 if i > 0 else nx - 1
                ip = i + 1 if i < nx - 1 else 0
                b = gd if k == 0 else np.float32(0.0)
                value = b - diag[t, c] * x[k, j, i]
                value += _neighbours(c, x, k, j, i, jm, jp, im, ip, gz, gy, gx)
                r[k, j, i] = value
                rr += float(value) * float(value)
                xr += float(x[k, j, i]) * float(value)
        out[k, 0] = rr
        out[k, 1] = xr


@nb.njit(cache=True, parallel=True)
def apply_operator(code, p, q, g, diag, dots):
    """``q = A p``; ``dots[k] = sum p q`` over slab ``k`` (float64)."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    for k in nb.prange(nz):
        t = dirichlet_faces(k, nz)
        acc = 0.0
        for j in range(ny):
            jm = j - 1 if j > 0 else ny - 1
            jp = j + 1 if j < ny - 1 else 0
            for i in range(nx):
                c = code[k, j, i]
                if c == 0:
                    q[k, j, i] = 0.0
                    continue
                im = i - 1 if i > 0 else nx - 1
                ip = i + 1 if i < nx - 1 else 0
                value = diag[t, c] * p[k, j, i] - _neighbours(
                    c, p, k, j, i, jm, jp, im, ip, gz, gy, gx
                )
                q[k, j, i] = value
                acc += float(p[k, j, i]) * float(value)
        dots[k] = acc


@nb.njit(cache=True, parallel=True)
def update_residual(r, q, alpha, dots):
    """``r -= alpha q``; ``dots[k] = sum r^2`` over slab ``k`` (float64)."""
    nz, ny, nx = r.shape
    a = np.float32(alpha)
    for k in nb.prange(nz):
        acc = 0.0
        for j in range(ny):
            for i in range(nx):
                value = r[k, j, i] - a * q[k, j, i]
                r[k, j, i] = value
                acc += float(value) * float(value)
        dots[k] = acc


@nb.njit(cache=True, parallel=True)
def update_direction(z, p, x, alpha, beta):
    """``x += alpha p`` (the step along the old direction), then ``p = z + beta p``."""
    nz, ny, nx = p.shape
    a = np.float32(alpha)
    b = np.float32(beta)
    for k in nb.prange(nz):
        for j in range(ny):
            for i in range(nx):
                old = p[k, j, i]
                x[k, j, i] += a * old
                p[k, j, i] = z[k, j, i] + b * old


@nb.njit(cache=True, parallel=True)
def step(x, p, alpha):
    """``x += alpha p`` (the last step, when the iteration stops)."""
    a = np.float32(alpha)
    for k in nb.prange(x.shape[0]):
        x[k] += a * p[k]


@nb.njit(cache=True, parallel=True)
def dot(a, b, dots):
    """``dots[k] = sum a b`` over slab ``k`` (float64)."""
    for k in nb.prange(a.shape[0]):
        acc = 0.0
        for j in range(a.shape[1]):
            for i in range(a.shape[2]):
                acc += float(a[k, j, i]) * float(b[k, j, i])
        dots[k] = acc


@nb.njit(cache=True, parallel=True)
def smooth_from_zero_bipartite(code, r, z, g, inv_diag):
    """A forward red-black Gauss-Seidel sweep from ``z = 0``, in one pass: red cells take
    ``r / d``, black cells ``(r + sum_j g_ij r_j / d_j) / d`` from their red neighbours."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    for k in nb.prange(nz):
        t = dirichlet_faces(k, nz)
        tm = dirichlet_faces(k - 1, nz)
        tp = dirichlet_faces(k + 1, nz)
        for j in range(ny):
            jm = j - 1 if j > 0 else ny - 1
            jp = j + 1 if j < ny - 1 else 0
            red = (k + j) & 1  # first red i of the row
            for i in range(nx):
                c = code[k, j, i]
                if c == 0:
                    z[k, j, i] = 0.0
                    continue
                if (i & 1) == red:
                    z[k, j, i] = r[k, j, i] * inv_diag[t, c]
                    continue
                im = i - 1 if i > 0 else nx - 1
                ip = i + 1 if i < nx - 1 else 0
                s = r[k, j, i]
                if c & ZM:
                    s += gz * r[k - 1, j, i] * inv_diag[tm, code[k - 1, j, i]]
                if c & ZP:
                    s += gz * r[k + 1, j, i] * inv_diag[tp, code[k + 1, j, i]]
                if c & YM:
                    s += gy * r[k, jm, i] * inv_diag[t, code[k, jm, i]]
                if c & YP:
                    s += gy * r[k, jp, i] * inv_diag[t, code[k, jp, i]]
                if c & XM:
                    s += gx * r[k, j, im] * inv_diag[t, code[k, j, im]]
                if c & XP:
                    s += gx * r[k, j, ip] * inv_diag[t, code[k, j, ip]]
                z[k, j, i] = s * inv_diag[t, c]


@nb.njit(cache=True, parallel=True)
def restrict_red_residual(code, r, z, g, diag, coarse):
    """``coarse = P^T (r - A z)`` summed over 2 x 2 x 2 blocks, after a forward red-black sweep:
    only red cells carry a residual (black ones were just solved for)."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    for kc in nb.prange(coarse.shape[0]):
        coarse[kc] = 0.0
        for k in range(2 * kc, min(2 * kc + 2, nz)):
            t = dirichlet_faces(k, nz)
            for j in range(ny):
                jm = j - 1 if j > 0 else ny - 1
                jp = j + 1 if j < ny - 1 else 0
                for i in range((k + j) & 1, nx, 2):
                    c = code[k, j, i]
                    if c == 0:
                        continue
                    im = i - 1 if i > 0 else nx - 1
                    ip = i + 1 if i < nx - 1 else 0
                    coarse[kc, j >> 1, i >> 1] += (
                        r[k, j, i]
                        - diag[t, c] * z[k, j, i]
                        + _neighbours(c, z, k, j, i, jm, jp, im, ip, gz, gy, gx)
                    )


@nb.njit(cache=True, parallel=True)
def restrict_residual(code, r, z, g, diag, coarse):
    """``coarse = P^T (r - A z)`` over every cell (any grid)."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    for kc in nb.prange(coarse.shape[0]):
        coarse[kc] = 0.0
        for k in range(2 * kc, min(2 * kc + 2, nz)):
            t = dirichlet_faces(k, nz)
            for j in range(ny):
                jm = j - 1 if j > 0 else ny - 1
                jp = j + 1 if j < ny - 1 else 0
                for i in range(nx):
                    c = code[k, j, i]
                    if c == 0:
                        continue
                    im = i - 1 if i > 0 else nx - 1
                    ip = i + 1 if i < nx - 1 else 0
                    coarse[kc, j >> 1, i >> 1] += (
                        r[k, j, i]
                        - diag[t, c] * z[k, j, i]
                        + _neighbours(c, z, k, j, i, jm, jp, im, ip, gz, gy, gx)
                    )


@nb.njit(cache=True, parallel=True)
def smooth_black_prolong_bipartite(code, r, z, g, inv_diag, e, omega):
    """``z += omega P e`` followed by the black half of a red-black sweep, in one pass: black
    cells are solved with their red neighbours' corrected values; red cells are left as they
    are (the red half that follows overwrites them)."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    w = np.float32(omega)
    for k in nb.prange(nz):
        t = dirichlet_faces(k, nz)
        for j in range(ny):
            jm = j - 1 if j > 0 else ny - 1
            jp = j + 1 if j < ny - 1 else 0
            for i in range(1 - ((k + j) & 1), nx, 2):
                c = code[k, j, i]
                if c == 0:
                    continue
                im = i - 1 if i > 0 else nx - 1
                ip = i + 1 if i < nx - 1 else 0
                s = r[k, j, i]
                if c & ZM:
                    s += gz * (z[k - 1, j, i] + w * e[(k - 1) >> 1, j >> 1, i >> 1])
                if c & ZP:
                    s += gz * (z[k + 1, j, i] + w * e[(k + 1) >> 1, j >> 1, i >> 1])
                if c & YM:
                    s += gy * (z[k, jm, i] + w * e[k >> 1, jm >> 1, i >> 1])
                if c & YP:
                    s += gy * (z[k, jp, i] + w * e[k >> 1, jp >> 1, i >> 1])
                if c & XM:
                    s += gx * (z[k, j, im] + w * e[k >> 1, j >> 1, im >> 1])
                if c & XP:
                    s += gx * (z[k, j, ip] + w * e[k >> 1, j >> 1, ip >> 1])
                z[k, j, i] = s * inv_diag[t, c]


@nb.njit(cache=True, parallel=True)
def prolong(code, z, e, omega):
    """``z += omega P e`` on active cells (piecewise constant over 2 x 2 x 2 blocks)."""
    nz, ny, nx = code.shape
    w = np.float32(omega)
    for k in nb.prange(nz):
        for j in range(ny):
            for i in range(nx):
                if code[k, j, i]:
                    z[k, j, i] += w * e[k >> 1, j >> 1, i >> 1]


@nb.njit(cache=True, parallel=True)
def sweep(code, r, z, g, inv_diag, colour, reverse, dots):
    """Half a red-black Gauss-Seidel sweep: cells of ``colour`` (0 red, 1 black) take
    ``(r + sum_j g_ij z_j) / d``, each slab's rows and cells in reverse order with
    ``reverse``. With ``dots`` of length ``nz``, ``dots[k] = sum r z`` over slab ``k`` after
    it (the last half of a sweep)."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    want_dots = dots.shape[0] == nz
    for k in nb.prange(nz):
        t = dirichlet_faces(k, nz)
        for jj in range(ny):
            j = ny - 1 - jj if reverse else jj
            jm = j - 1 if j > 0 else ny - 1
            jp = j + 1 if j < ny - 1 else 0
            first = (colour + k + j) & 1
            count = (nx - first + 1) // 2
            for n in range(count):
                i = first + 2 * (count - 1 - n) if reverse else first + 2 * n
                c = code[k, j, i]
                if c == 0:
                    continue
                im = i - 1 if i > 0 else nx - 1
                ip = i + 1 if i < nx - 1 else 0
                z[k, j, i] = (
                    r[k, j, i] + _neighbours(c, z, k, j, i, jm, jp, im, ip, gz, gy, gx)
                ) * inv_diag[t, c]
        if want_dots:
            acc = 0.0
            for j in range(ny):
                for i in range(nx):
                    acc += float(r[k, j, i]) * float(z[k, j, i])
            dots[k] = acc


@nb.njit(cache=True, parallel=True)
def fluxes(code, x, gd, out):
    """Per slab ``k`` of the two faces: ``out[0] = sum 2 gz (1 - x)`` over the active cells of
    the first slice (the flux in), ``out[1] = sum 2 gz x`` over the last (the flux out)."""
    nz = code.shape[0]
    for side in nb.prange(2):
        k = 0 if side == 0 else nz - 1
        acc = 0.0
        for j in range(code.shape[1]):
            for i in range(code.shape[2]):
                if code[k, j, i]:
                    value = float(x[k, j, i])
                    acc += float(gd) * (1.0 - value if side == 0 else value)
        out[side] = acc
