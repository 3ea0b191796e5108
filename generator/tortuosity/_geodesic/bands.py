"""The sweep schedule in numba: horizontal bands of rows solved side by side, then joined.

The volume is cut into a fixed number of bands of rows (along axis 1). Each band is solved on
its own, as if its edge rows were the image's edge (:func:`_solve_band`): a dense first sweep
from the source slice, then sparse sweeps in alternating directions until one changes nothing.
The bands share no voxel and read none of each other's, so one thread takes each band for a
whole solve: one parallel region per round rather than several per slice (each region ends at
a barrier, and a thousand of them cost more than the work of a small slice on a busy machine).

Paths that cross a band edge are joined by :func:`exchange`: every voxel in the two rows
beside an edge is updated from all its neighbours (the other band's too), and those it
improves seed another round of band solves, now sparse. Rounds stop when an exchange improves
nothing: every voxel is then at the fixed point of the full update, the same one the solver
had without bands. The band count is fixed by the image, not the thread count, so the
distances are the same whatever the number of threads (bit for bit).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from generator.tortuosity._geodesic.flags import CHANGED_BIT, PORE_BIT, QUEUED_BIT
from generator.tortuosity._geodesic.metrics import improves, ring_update_euclidean
from generator.tortuosity._geodesic.sweeps import (
    age_change_flags,
    clear_flags,
    relax_plane,
    relax_sparse,
    step_across,
)

DENSE_PASSES = 12  # raster passes over a slice before the in-plane relaxation goes sparse


@nb.njit(cache=True, nogil=True)
def _solve_band(
    dist, pore, spacing, euclidean, tolerance, order, r0, r1, dense, changed_init,
    seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
):  # fmt: skip
    """Solve rows ``r0:r1`` of every slice to their fixed point within the band.

    ``order`` lists the slices from the source outwards. ``dense``: the first solve (every
    voxel from the slice behind, then the plane); otherwise the voxels the exchange queued
    seed the sweeps, and ``changed_init`` marks their slices. Returns the number of updates.
    """
    nb.literally(euclidean)
    _, hy, hx = spacing
    nz = dist.shape[0]
    nx = dist.shape[2]
    source = order[0]
    b_seeds = seeds[r0 * nx : r1 * nx]
    b_counts = row_counts[r0:r1]
    b_best = best_rows[r0:r1]
    b_lowest = lowest_rows[r0:r1]
    b_triangle = triangle_rows[r0:r1]
    b_near = near_rows[r0:r1]
    nyb = r1 - r0
    updates = 0
    changed_last = np.zeros(nz, dtype=np.bool_)
    # Slices whose flags may hold 'changed' bits (only those need ageing).
    flagged = np.zeros(nz, dtype=np.bool_)
    if dense:
        for t in range(nz):
            k = order[t]
            if t > 0:
                n = order[t - 1]
                count = step_across(
                    dist[k, r0:r1], dist[n, r0:r1], pore[k, r0:r1], pore[n, r0:r1], spacing,
                    euclidean, tolerance, False, False,
                    b_seeds, b_counts, b_best, b_lowest, b_triangle, b_near, 0, nyb,
                )  # fmt: skip
                if count == 0:
                    continue
                updates += count
            if relax_plane(dist[k, r0:r1], pore[k, r0:r1], hy, hx, euclidean, tolerance,
                           DENSE_PASSES) < 0:  # fmt: skip
                updates += relax_sparse(
                    dist[k, r0:r1], pore[k, r0:r1], spacing, euclidean, tolerance,
                    b_seeds, b_counts, True,
                )  # fmt: skip
            clear_flags(pore[k, r0:r1])
        changed_last[:] = True
        toward_source = True
    else:
        for k in range(nz):
            if changed_init[k]:
                updates += relax_sparse(
                    dist[k, r0:r1], pore[k, r0:r1], spacing, euclidean, tolerance,
                    b_seeds, b_counts, True,
                )  # fmt: skip
                changed_last[k] = True
                flagged[k] = True
        toward_source = False
    first = dense
    sweeps_done = 0
    changed_now = np.zeros(nz, dtype=np.bool_)
    while True:
        changed_now[:] = False
        any_change = False
        for t in range(nz - 1):
            if toward_source:
                n = order[nz - 1 - t]
                k = order[nz - 2 - t]
            else:
                n = order[t]
                k = order[t + 1]
            if k == source or not (changed_last[n] or changed_now[n]):
                continue
            count = step_across(
                dist[k, r0:r1], dist[n, r0:r1], pore[k, r0:r1], pore[n, r0:r1], spacing,
                euclidean, tolerance, True, not first,
                b_seeds, b_counts, b_best, b_lowest, b_triangle, b_near, 0, nyb,
            )  # fmt: skip
            if count:
                updates += count
                updates += relax_sparse(
                    dist[k, r0:r1], pore[k, r0:r1], spacing, euclidean, tolerance,
                    b_seeds, b_counts, False,
                )  # fmt: skip
                changed_now[k] = True
                flagged[k] = True
                any_change = True
        sweeps_done += 1
        # The exchange's slices look both ways: in the first two sweeps of a sparse round.
        if not any_change and (dense or sweeps_done >= 2):
            break
        for k in range(nz):
            if flagged[k]:
                age_change_flags(pore[k, r0:r1])
                # Still 'changed before': this sweep's slices, and the exchange's after one.
                flagged[k] = changed_now[k] or (not dense and sweeps_done == 1 and changed_init[k])
        changed_last[:] = changed_now
        if not dense and sweeps_done == 1:
            for k in range(nz):
                changed_last[k] |= changed_init[k]
        toward_source = not toward_source
        first = False
    for k in range(nz):
        if flagged[k] or changed_now[k] or (not dense and changed_init[k]):
            clear_flags(pore[k, r0:r1])
    return updates


@nb.njit(cache=True, parallel=True)
def solve_bands(
    dist, pore, spacing, euclidean, tolerance, order, edges, dense, changed_init,
    seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
):  # fmt: skip
    """:func:`_solve_band` on every band (``edges[b]:edges[b + 1]``), one task each."""
    nb.literally(euclidean)
    bands = edges.shape[0] - 1
    updates = np.zeros(bands, dtype=np.int64)
    for b in nb.prange(bands):
        updates[b] = _solve_band(
            dist, pore, spacing, euclidean, tolerance, order, edges[b], edges[b + 1], dense,
            changed_init, seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
        )  # fmt: skip
    return updates.sum()


@nb.njit(cache=True, nogil=True)
def exchange(
    dist, pore, spacing, euclidean, tolerance, source, edges, changed,
    seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
):  # fmt: skip
    """Update the two rows beside every inner band edge from all their neighbours.

    Improved voxels are queued and flagged changed, their slices set in ``changed``; returns
    how many improved. Serial and in place (the result does not depend on timing).
    """
    nb.literally(euclidean)
    _, hy, hx = spacing
    nz, ny, nx = dist.shape
    w_y = np.float32(hy)
    w_x = np.float32(hx)
    w_d = np.float32(np.sqrt(hy * hy + hx * hx))
    improved = 0
    changed[:] = False
    for k in range(nz):
        if k == source:
            continue
        count = 0
        for e in range(1, edges.shape[0] - 1):
            r_lo = edges[e] - 1
            r_hi = edges[e] + 1
            for n in (k - 1, k + 1):
                if 0 <= n < nz:
                    count += step_across(
                        dist[k], dist[n], pore[k], pore[n], spacing, euclidean, tolerance,
                        True, False,
                        seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
                        r_lo, r_hi,
                    )  # fmt: skip
            dist_k = dist[k]
            pore_k = pore[k]
            for j in range(r_lo, r_hi):
                for i in range(nx):
                    if pore_k[j, i] & PORE_BIT == 0:
                        continue
                    current = dist_k[j, i]
                    if euclidean:
                        value = ring_update_euclidean(dist_k, j, i, hy, hx, current)
                    else:
                        value = current
                        for y in range(max(j - 1, 0), min(j + 2, ny)):
                            for x in range(max(i - 1, 0), min(i + 2, nx)):
                                w = w_d if (y != j and x != i) else (w_y if y != j else w_x)
                                value = min(value, dist_k[y, x] + w)
                    stored = np.float32(value)
                    if improves(stored, current, tolerance):
                        dist_k[j, i] = stored
                        pore_k[j, i] |= QUEUED_BIT | CHANGED_BIT
                        count += 1
        if count:
            changed[k] = True
            improved += count
    return improved


# --- Entry points with the metric fixed (what the driver calls) --------------------------------


@nb.njit(cache=True)
def solve_bands_lattice(
    dist, pore, spacing, tolerance, order, edges, dense, changed_init,
    seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
):  # fmt: skip
    """:func:`solve_bands` with the lattice metric."""
    return solve_bands(
        dist, pore, spacing, False, tolerance, order, edges, dense, changed_init,
        seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
    )  # fmt: skip


@nb.njit(cache=True)
def solve_bands_euclidean(
    dist, pore, spacing, tolerance, order, edges, dense, changed_init,
    seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
):  # fmt: skip
    """:func:`solve_bands` with the semi-Lagrangian (Euclidean) metric."""
    return solve_bands(
        dist, pore, spacing, True, tolerance, order, edges, dense, changed_init,
        seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
    )  # fmt: skip


@nb.njit(cache=True)
def exchange_lattice(
    dist, pore, spacing, tolerance, source, edges, changed,
    seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
):  # fmt: skip
    """:func:`exchange` with the lattice metric."""
    return exchange(
        dist, pore, spacing, False, tolerance, source, edges, changed,
        seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
    )  # fmt: skip


@nb.njit(cache=True)
def exchange_euclidean(
    dist, pore, spacing, tolerance, source, edges, changed,
    seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
):  # fmt: skip
    """:func:`exchange` with the semi-Lagrangian (Euclidean) metric."""
    return exchange(
        dist, pore, spacing, True, tolerance, source, edges, changed,
        seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
    )  # fmt: skip
