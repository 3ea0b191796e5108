"""numba kernels of the fine level (level 0): the voxel grid itself, conductances implied by the
neighbour codes of :mod:`~generator.tortuosity._diffusive.percolation`.

Plain arrays, flow axis first: ``code`` uint8 ``(nz, ny, nx)``; fields float32 of the same
shape; ``g`` float32 ``(3,)`` the face conductances along z, y, x (``gz = 1``); ``diag`` and
``inv_diag`` float32 ``(3, 128)``, the diagonal of the operator and its inverse by code, row
``t`` for a cell with ``t`` Dirichlet faces (:func:`dirichlet_faces`: the first and the last
slice carry one each, conductance ``2 gz``; both 0 at code 0); ``periodic``: the sides (axes 1
and 2) wrap around.

The operator is the finite-volume graph Laplacian ``(A x)_i = d_i x_i - sum_j g_ij x_j`` over
active face neighbours ``j``; the right-hand side is ``2 gz`` on the active cells of the first
slice (concentration 1 at the inlet face, 0 at the outlet face).

Every field is 0 at inactive cells (code 0), so a neighbour sum needs no test of which
neighbours are active: it adds all six, with zero rows beyond the ends and closed sides. The
loops run along rows without data-dependent branches (in a porous image they would be
mispredicted at random: measured twice as slow).

Smoothing is red-black Gauss-Seidel (red: ``k + j + i`` even). The fused passes at the end
(two or three operations in one pass over memory) need a bipartite grid, where red cells touch
only black ones (no odd periodic side); the general :func:`sweep` handles any grid, and with
``reverse`` visits each slab's cells in the opposite order, so that a backward sweep is the
exact transpose of a forward one.

Sums that decide the iteration (dot products, norms) are accumulated in float64 per slab, then
added in slab order: the same result whatever the number of threads.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from generator._shared.numba_compile import PARALLEL, use_shared_cache

use_shared_cache()  # before any kernel is defined: see generator._shared.numba_compile


@nb.njit(cache=True, inline="always")
def dirichlet_faces(k, nz):
    """Dirichlet faces of a cell of slice ``k`` (0, 1, or 2 when the image is one slice)."""
    return (1 if k == 0 else 0) + (1 if k == nz - 1 else 0)


@nb.njit(cache=True, inline="always")
def _rows(f, k, j, periodic, zero):
    """Rows ``(k - 1, j)``, ``(k + 1, j)``, ``(k, j - 1)``, ``(k, j + 1)`` of ``f``: wrapped
    along y with ``periodic``, ``zero`` beyond the ends (and for an axis of one voxel)."""
    nz, ny = f.shape[0], f.shape[1]
    below = f[k - 1, j] if k > 0 else zero
    above = f[k + 1, j] if k < nz - 1 else zero
    if j > 0:
        before = f[k, j - 1]
    elif periodic and ny > 1:
        before = f[k, ny - 1]
    else:
        before = zero
    if j < ny - 1:
        after = f[k, j + 1]
    elif periodic and ny > 1:
        after = f[k, 0]
    else:
        after = zero
    return below, above, before, after


@nb.njit(cache=True, inline="always")
def _around(fc, fm, fp, fym, fyp, i, gz, gy, gx, periodic):
    """``sum_j g_ij f_j`` around cell ``i`` of row ``fc`` (rows of :func:`_rows`)."""
    nx = fc.shape[0]
    if 0 < i < nx - 1:
        side = fc[i - 1] + fc[i + 1]
    else:
        wrap = periodic and nx > 1
        left = fc[i - 1] if i > 0 else (fc[nx - 1] if wrap else np.float32(0.0))
        right = fc[i + 1] if i < nx - 1 else (fc[0] if wrap else np.float32(0.0))
        side = left + right
    return gz * (fm[i] + fp[i]) + gy * (fym[i] + fyp[i]) + gx * side


@nb.njit(cache=True, fastmath={"reassoc", "contract"})
def _row_dot(a, b):
    """``sum a b`` over a row, in float64 (reassociated into vector lanes: a fixed order for
    a given row length, whatever the threads; a serial sum would cost 4 cycles a cell)."""
    acc = 0.0
    for i in range(a.shape[0]):
        acc += float(a[i]) * float(b[i])
    return acc


@nb.njit(cache=True, parallel=PARALLEL)
def linear_guess(code, x):
    """The straight-channel solution ``1 - (k + 1/2) / nz`` on active cells, 0 elsewhere."""
    nz = code.shape[0]
    for k in nb.prange(nz):
        value = np.float32(1.0 - (k + 0.5) / nz)
        for j in range(code.shape[1]):
            for i in range(code.shape[2]):
                x[k, j, i] = value * np.float32(code[k, j, i] & 1)


@nb.njit(cache=True, parallel=PARALLEL)
def residual(code, x, r, g, diag, gd, periodic, out):
    """``r = b - A x``; per slab ``out[k] = (sum r^2, sum x r)`` in float64."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    zero = np.zeros(nx, dtype=np.float32)
    for k in nb.prange(nz):
        dk = diag[dirichlet_faces(k, nz)]
        b = gd if k == 0 else np.float32(0.0)
        rr = 0.0
        xr = 0.0
        for j in range(ny):
            cr, xc, rc = code[k, j], x[k, j], r[k, j]
            xm, xp, xym, xyp = _rows(x, k, j, periodic, zero)
            for i in range(nx):
                c = cr[i]
                s = _around(xc, xm, xp, xym, xyp, i, gz, gy, gx, periodic)
                rc[i] = (b - dk[c] * xc[i] + s) * np.float32(c & 1)
            rr += _row_dot(rc, rc)
            xr += _row_dot(xc, rc)
        out[k, 0] = rr
        out[k, 1] = xr


@nb.njit(cache=True, parallel=PARALLEL)
def update_residual(r, q, alpha, dots):
    """``r -= alpha q``; ``dots[k] = sum r^2`` over slab ``k`` (float64)."""
    nz, ny, nx = r.shape
    a = np.float32(alpha)
    for k in nb.prange(nz):
        dots[k] = _residual_slab(k, r, q, a)


@nb.njit(cache=True, parallel=PARALLEL)
def step(x, p, alpha):
    """``x += alpha p`` (the last step, when the iteration stops)."""
    a = np.float32(alpha)
    for k in nb.prange(x.shape[0]):
        x[k] += a * p[k]


@nb.njit(cache=True)
def fluxes(code, x, p, alpha, gd, out):
    """The face fluxes of ``x + alpha p`` (float64): ``out[0] = sum 2 gz (1 - c)`` over the
    active cells of the first slice (the flux in), ``out[1] = sum 2 gz c`` over the last (the
    flux out)."""
    nz = code.shape[0]
    for side in range(2):
        k = 0 if side == 0 else nz - 1
        acc = 0.0
        for j in range(code.shape[1]):
            for i in range(code.shape[2]):
                if code[k, j, i]:
                    value = float(x[k, j, i]) + alpha * float(p[k, j, i])
                    acc += float(gd) * (1.0 - value if side == 0 else value)
        out[side] = acc


# --- Slab operations ---------------------------------------------------------------------------


@nb.njit(cache=True)
def _residual_slab(k, r, q, a):
    """``r -= a q`` on slab ``k``; returns ``sum r^2`` (float64)."""
    acc = 0.0
    for j in range(r.shape[1]):
        rc, qc = r[k, j], q[k, j]
        for i in range(rc.shape[0]):
            rc[i] -= a * qc[i]
        acc += _row_dot(rc, rc)
    return acc


@nb.njit(cache=True)
def _update_slab(k, z, p, x, a, b):
    """``x += a p; p = z + b p`` on slab ``k``."""
    for j in range(p.shape[1]):
        zc, pc, xc = z[k, j], p[k, j], x[k, j]
        for i in range(pc.shape[0]):
            old = pc[i]
            xc[i] += a * old
            pc[i] = zc[i] + b * old


@nb.njit(cache=True)
def _apply_slab(k, code, p, q, g, diag, periodic, zero):
    """``q = A p`` on slab ``k``; returns ``sum p q`` (float64)."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    dk = diag[dirichlet_faces(k, nz)]
    acc = 0.0
    for j in range(ny):
        cr, pc, qc = code[k, j], p[k, j], q[k, j]
        pm, pp, pym, pyp = _rows(p, k, j, periodic, zero)
        for i in range(nx):
            c = cr[i]
            s = _around(pc, pm, pp, pym, pyp, i, gz, gy, gx, periodic)
            qc[i] = dk[c] * pc[i] - s * np.float32(c & 1)
        acc += _row_dot(pc, qc)
    return acc


@nb.njit(cache=True)
def _colour_slab(k, code, r, z, g, inv_diag, colour, reverse, periodic, zero):
    """Half a red-black Gauss-Seidel sweep on slab ``k``: cells of ``colour`` (0 red, 1 black)
    take ``(r + sum_j g_ij z_j) / d``, rows and cells in reverse order with ``reverse`` (which
    matters only where same-coloured cells meet across an odd periodic side)."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    ik = inv_diag[dirichlet_faces(k, nz)]
    for n in range(ny):
        j = ny - 1 - n if reverse else n
        cr, rc, zc = code[k, j], r[k, j], z[k, j]
        zm, zp, zym, zyp = _rows(z, k, j, periodic, zero)
        first = (colour + k + j) & 1
        count = (nx - first + 1) // 2
        for m in range(count):
            i = first + 2 * (count - 1 - m) if reverse else first + 2 * m
            s = _around(zc, zm, zp, zym, zyp, i, gz, gy, gx, periodic)
            zc[i] = (rc[i] + s) * ik[cr[i]]


@nb.njit(cache=True)
def _red_from_zero_slab(k, code, r, z, inv_diag):
    """The red half of a sweep from ``z = 0`` on slab ``k``: ``z = r / d`` at red cells."""
    nz, ny, nx = code.shape
    ik = inv_diag[dirichlet_faces(k, nz)]
    for j in range(ny):
        cr, rc, zc = code[k, j], r[k, j], z[k, j]
        for i in range((k + j) & 1, nx, 2):
            zc[i] = rc[i] * ik[cr[i]]


@nb.njit(cache=True)
def _restrict_slab(k, code, r, z, g, diag, colours, periodic, zero, coarse):
    """``P^T (r - A z)`` of slab ``k``'s cells of ``colours`` (0 red, 1 black, 2 both), added
    to ``coarse[k >> 1]``."""
    nz, ny, nx = code.shape
    gz, gy, gx = g[0], g[1], g[2]
    dk = diag[dirichlet_faces(k, nz)]
    target = coarse[k >> 1]
    for j in range(ny):
        cr, rc, zc = code[k, j], r[k, j], z[k, j]
        zm, zp, zym, zyp = _rows(z, k, j, periodic, zero)
        out = target[j >> 1]
        first = 0 if colours == 2 else (colours + k + j) & 1
        stride = 1 if colours == 2 else 2
        for i in range(first, nx, stride):
            c = cr[i]
            s = _around(zc, zm, zp, zym, zyp, i, gz, gy, gx, periodic)
            out[i >> 1] += (rc[i] - dk[c] * zc[i] + s) * np.float32(c & 1)


@nb.njit(cache=True)
def _prolong_red_slab(k, code, z, e, w):
    """``z += w P e`` at the red cells of slab ``k`` (the black half that follows reads them;
    the red half after it overwrites them, so black cells need no correction)."""
    ny, nx = code.shape[1], code.shape[2]
    for j in range(ny):
        cr, zc, ec = code[k, j], z[k, j], e[k >> 1, j >> 1]
        for i in range((k + j) & 1, nx, 2):
            zc[i] += w * ec[i >> 1] * np.float32(cr[i] & 1)


# --- General passes (any grid) -----------------------------------------------------------------


@nb.njit(cache=True, parallel=PARALLEL)
def sweep(code, r, z, g, inv_diag, colour, reverse, periodic, dots):
    """Half a red-black Gauss-Seidel sweep (:func:`_colour_slab`) over every slab. With
    ``dots`` of length ``nz``, ``dots[k] = sum r z`` over slab ``k`` after it."""
    nz, ny, nx = code.shape
    zero = np.zeros(nx, dtype=np.float32)
    for k in nb.prange(nz):
        _colour_slab(k, code, r, z, g, inv_diag, colour, reverse, periodic, zero)
        if dots.shape[0] == nz:
            acc = 0.0
            for j in range(ny):
                acc += _row_dot(r[k, j], z[k, j])
            dots[k] = acc


@nb.njit(cache=True, parallel=PARALLEL)
def restrict_residual(code, r, z, g, diag, periodic, coarse):
    """``coarse = P^T (r - A z)`` summed over 2 x 2 x 2 blocks, every cell."""
    nz, ny, nx = code.shape
    zero = np.zeros(nx, dtype=np.float32)
    for kc in nb.prange(coarse.shape[0]):
        coarse[kc] = 0.0
        for k in range(2 * kc, min(2 * kc + 2, nz)):
            _restrict_slab(k, code, r, z, g, diag, 2, periodic, zero, coarse)


@nb.njit(cache=True, parallel=PARALLEL)
def prolong(code, z, e, omega):
    """``z += omega P e`` on active cells (piecewise constant over 2 x 2 x 2 blocks)."""
    nz, ny, nx = code.shape
    w = np.float32(omega)
    for k in nb.prange(nz):
        for j in range(ny):
            cr, zc, ec = code[k, j], z[k, j], e[k >> 1, j >> 1]
            for i in range(nx):
                zc[i] += w * ec[i >> 1] * np.float32(cr[i] & 1)


# --- Fused passes ------------------------------------------------------------------------------
# Each thread takes a chunk of whole slabs (``bounds`` from :func:`chunks`: an even number, so
# that no coarse slab is shared) and runs two operations as a wavefront through it: slab k + 1
# of the first, then slab k of the second, which reads slabs k - 1 to k + 1 of the first's
# output. Slabs at the chunk edges, which a neighbouring chunk reads too, get the first
# operation in a phase of their own before (and a third operation that needs the neighbouring
# chunk's output, in a phase after). The arithmetic of every cell is that of the passes one
# after the other, whatever the number of chunks.


def chunks(nz: int, threads: int) -> np.ndarray:
    """Slab bounds of the chunks of the fused passes: one per thread, each of an even number
    of slabs (at least 4), the last taking the rest."""
    count = max(1, min(threads, nz // 4))
    size = (nz // count) // 2 * 2
    bounds = np.arange(count + 1, dtype=np.int64) * size
    bounds[count] = nz
    return bounds


@nb.njit(cache=True, parallel=PARALLEL)
def update_and_apply(code, zq, p, x, g, diag, alpha, beta, periodic, dots, bounds):
    """``x += alpha p; p = z + beta p`` (``z`` in ``zq``), then ``q = A p`` into ``zq``;
    ``dots[k] = sum p q`` over slab ``k``. One pass over memory, any grid."""
    a, b = np.float32(alpha), np.float32(beta)
    zero = np.zeros(code.shape[2], dtype=np.float32)
    count = bounds.shape[0] - 1
    for c in nb.prange(count):
        k0, k1 = bounds[c], bounds[c + 1]
        _update_slab(k0, zq, p, x, a, b)
        if k1 - 1 != k0:
            _update_slab(k1 - 1, zq, p, x, a, b)
    for c in nb.prange(count):
        k0, k1 = bounds[c], bounds[c + 1]
        for k in range(k0, k1):
            if k0 < k + 1 < k1 - 1:
                _update_slab(k + 1, zq, p, x, a, b)
            dots[k] = _apply_slab(k, code, p, zq, g, diag, periodic, zero)


@nb.njit(cache=True, parallel=PARALLEL)
def update_smooth_restrict(code, r, zq, g, diag, inv_diag, alpha, periodic, coarse, dots, bounds):
    """``r -= alpha q`` (``q`` in ``zq``; ``dots[k] = sum r^2``), then a forward red-black sweep
    from ``z = 0`` into ``zq`` and the restriction of its residual to ``coarse`` (red cells
    only: black ones were just solved for). One pass over memory; bipartite grids."""
    a = np.float32(alpha)
    zero = np.zeros(code.shape[2], dtype=np.float32)
    count = bounds.shape[0] - 1
    for c in nb.prange(count):
        k0, k1 = bounds[c], bounds[c + 1]
        dots[k0] = _residual_slab(k0, r, zq, a)
        _red_from_zero_slab(k0, code, r, zq, inv_diag)
        if k1 - 1 != k0:
            dots[k1 - 1] = _residual_slab(k1 - 1, r, zq, a)
            _red_from_zero_slab(k1 - 1, code, r, zq, inv_diag)
    nz = code.shape[0]
    for c in nb.prange(count):
        k0, k1 = bounds[c], bounds[c + 1]
        first_kc, last_kc = k0 >> 1, (k1 - 1) >> 1
        for kc in range(first_kc, last_kc + 1):
            coarse[kc] = 0.0
        for k in range(k0, k1):
            if k0 < k + 1 < k1 - 1:
                dots[k + 1] = _residual_slab(k + 1, r, zq, a)
                _red_from_zero_slab(k + 1, code, r, zq, inv_diag)
            _colour_slab(k, code, r, zq, g, inv_diag, 1, False, periodic, zero)
            # a coarse slab once both its fine slabs and the next are smoothed (its first and
            # last in the chunk need a neighbouring chunk's: after); fine slabs in order
            kc = (k >> 1) - 1
            if (k & 1) == 0 and first_kc < kc < last_kc:
                _restrict_slab(2 * kc, code, r, zq, g, diag, 0, periodic, zero, coarse)
                _restrict_slab(2 * kc + 1, code, r, zq, g, diag, 0, periodic, zero, coarse)
    for c in nb.prange(count):
        k0, k1 = bounds[c], bounds[c + 1]
        first_kc, last_kc = k0 >> 1, (k1 - 1) >> 1
        for k in range(2 * first_kc, min(2 * first_kc + 2, nz)):
            _restrict_slab(k, code, r, zq, g, diag, 0, periodic, zero, coarse)
        if last_kc != first_kc:
            for k in range(2 * last_kc, min(2 * last_kc + 2, nz)):
                _restrict_slab(k, code, r, zq, g, diag, 0, periodic, zero, coarse)


@nb.njit(cache=True, parallel=PARALLEL)
def prolong_and_smooth(code, r, z, g, inv_diag, e, omega, periodic, dots, bounds):
    """``z += omega P e`` then a backward red-black sweep (black, then red), and
    ``dots[k] = sum r z`` over slab ``k``. One pass over memory; bipartite grids.

    Three operations deep: the correction of slab k + 2's red cells, the black cells of slab
    k + 1, the red cells of slab k (a chunk's edge slabs get the first two before)."""
    w = np.float32(omega)
    ny, nx = code.shape[1], code.shape[2]
    zero = np.zeros(nx, dtype=np.float32)
    count = bounds.shape[0] - 1
    for c in nb.prange(count):
        k0, k1 = bounds[c], bounds[c + 1]
        _prolong_red_slab(k0, code, z, e, w)
        if k1 - 1 != k0:
            _prolong_red_slab(k1 - 1, code, z, e, w)
    for c in nb.prange(count):
        k0, k1 = bounds[c], bounds[c + 1]
        if k0 + 1 < k1 - 1:
            _prolong_red_slab(k0 + 1, code, z, e, w)
        _colour_slab(k0, code, r, z, g, inv_diag, 1, False, periodic, zero)
        if k1 - 1 != k0:
            if k0 + 1 < k1 - 2:
                _prolong_red_slab(k1 - 2, code, z, e, w)
            _colour_slab(k1 - 1, code, r, z, g, inv_diag, 1, False, periodic, zero)
    for c in nb.prange(count):
        k0, k1 = bounds[c], bounds[c + 1]
        for k in range(k0, k1):
            if k0 + 1 < k + 2 < k1 - 2:
                _prolong_red_slab(k + 2, code, z, e, w)
            if k0 < k + 1 < k1 - 1:
                _colour_slab(k + 1, code, r, z, g, inv_diag, 1, False, periodic, zero)
            _colour_slab(k, code, r, z, g, inv_diag, 0, False, periodic, zero)
            acc = 0.0
            for j in range(ny):
                acc += _row_dot(r[k, j], z[k, j])
            dots[k] = acc
