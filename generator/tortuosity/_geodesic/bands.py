"""The sweep schedule in numba: horizontal bands of rows solved side by side, then joined.

The volume is cut into a fixed number of bands of rows (along axis 1). Each band is solved on
its own, as if its edge rows were the image's edge (``solve_band``, made per metric by
:func:`band_kernels`): a dense first sweep from the source slice, then sparse sweeps in
alternating directions until one changes nothing. The bands share no voxel and read none of
each other's, so one thread takes each band for a whole solve: one join per round rather than
several per slice (each ends at a barrier, and a thousand of them cost more than the work of a
small slice on a busy machine). The threads are the driver's (Python threads around the
GIL-free ``solve_band_lattice`` and ``solve_band_euclidean``), not a numba ``prange``: the
parallel region compiled for 15 CPU-s of the geodesic's 48 on a fresh install, for two bands.

Paths that cross a band edge are joined by ``exchange`` (also from :func:`band_kernels`):
every voxel in the two rows beside an edge is updated from all its neighbours (the other
band's too), and those it improves seed another round of band solves, now sparse. Rounds stop
when an exchange improves nothing: every voxel is then at the fixed point of the full update,
the same one the solver had without bands. The band count is fixed by the image, not the
thread count, so the distances are the same whatever the number of threads (bit for bit).

The lattice metric takes an exchange, then :func:`lattice_front` in each band side by side
(Dial's buckets from the voxels the exchange improved, within the band), and again until an
exchange improves nothing, instead of further rounds of band solves: its fixed point is
Dijkstra's whatever the order, and a round of bands sweeps every slice a change reaches.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from generator.tortuosity._geodesic.flags import BORDER_BIT, CHANGED_BIT, PORE_BIT, QUEUED_BIT
from generator.tortuosity._geodesic.metrics import improves, ring_update_euclidean
from generator.tortuosity._geodesic.sweeps import (
    age_change_flags,
    clear_flags,
    mark_turning,
    plane_scratch,
    relax_plane,
    relax_sparse,
    step_across,
    step_scratch,
)

DENSE_PASSES = 12  # raster passes over a slice before the in-plane relaxation goes sparse


def band_kernels(euclidean: bool):
    """The band solve and the exchange of one metric, compiled with ``euclidean`` a constant.

    numba freezes a closure variable as a constant: each metric compiles its own chain with
    the other metric's branches pruned, and passes the flag on to the plane kernels as a
    literal, as ``nb.literally`` did. The kernels are what Python calls (a literal argument
    from Python re-ran type inference on every call, 30 s per solve of a 100-slice image), so
    no wrapper fixes the metric: a wrapper level compiled the whole chain's LLVM again (about
    3 of the geodesic's 30 CPU-s of cold compile). numba keys the cached code by the closure's
    values too.

    Parameters
    ----------
    euclidean : bool
        The semi-Lagrangian (Euclidean) metric, else the lattice.

    Returns
    -------
    tuple
        ``(solve_band, exchange)``, numba dispatchers; ``solve_band`` releases the GIL (the
        driver's threads run one band each).
    """

    @nb.njit(cache=True, nogil=True)
    def solve_band(
        dist, pore, spacing, tolerance, order, r0, r1, dense, changed_init,
        seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
    ):  # fmt: skip
        """Solve rows ``r0:r1`` of every slice to their fixed point within the band.

        ``order`` lists the slices from the source outwards. ``dense``: the first solve (every
        voxel from the slice behind, then the plane); otherwise the voxels the exchange queued
        seed the sweeps, and ``changed_init`` marks their slices. Returns the number of updates.
        """
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
        scratch = step_scratch(nyb, nx)
        in_plane = plane_scratch(nx)
        updates = 0
        changed_last = np.zeros(nz, dtype=np.bool_)
        # Slices whose flags may hold 'changed' bits (only those need ageing).
        flagged = np.zeros(nz, dtype=np.bool_)
        # Per slice, the band's rows [lo, hi) that hold 'changed' flags set in this sweep
        # (rows_now) and in the last (rows_before): a sparse step across looks only there
        # (a row with no change behind it cannot improve), and flags are aged and cleared only
        # there. The joins of bands change a few rows beside the edge in every slice, and
        # scanning whole planes for them took most of a round.
        rows_now = np.empty((nz, 2), dtype=np.int64)
        rows_now[:, 0] = nyb
        rows_now[:, 1] = 0
        rows_before = rows_now.copy()
        touched = np.empty(2, dtype=np.int64)
        if dense:
            for t in range(nz):
                k = order[t]
                # The band's rows of this slice start unreached (the source's pore at 0) just
                # before the sweep reaches them, in the cache: a separate fill of the field
                # was a pass over memory of its own (0.045 s of a `200` pass, 0.13 s at 1000),
                # and a fill of the slice ahead of its step across left it out of the cache.
                if t == 0:
                    _start_source_rows(dist[k, r0:r1], pore[k, r0:r1])
                else:
                    n = order[t - 1]
                    # np.bool_ and np.int64, never bare constants: numba types those as literals
                    # and compiled step_across once more per metric for them (~10 CPU-s in all).
                    count = step_across(
                        dist[k, r0:r1], dist[n, r0:r1], pore[k, r0:r1], pore[n, r0:r1], spacing,
                        euclidean, tolerance, np.bool_(False), np.bool_(False), np.bool_(True),
                        b_seeds, b_counts, b_best, b_lowest, b_triangle, b_near, scratch,
                        np.int64(0), nyb,
                    )  # fmt: skip
                    if count == 0:
                        continue
                    updates += count
                if relax_plane(dist[k, r0:r1], pore[k, r0:r1], hy, hx, euclidean, tolerance,
                               DENSE_PASSES, in_plane) < 0:  # fmt: skip
                    updates += relax_sparse(
                        dist[k, r0:r1], pore[k, r0:r1], spacing, euclidean, tolerance,
                        b_seeds, b_counts, np.bool_(True), np.int64(0), nyb, touched,
                    )  # fmt: skip
                if euclidean or t == 0:
                    clear_flags(pore[k, r0:r1])
                else:
                    mark_turning(pore[k, r0:r1], pore[order[t - 1], r0:r1])
            changed_last[:] = True
            # The lattice's marks (mark_turning) prune its first backward sweep and age with it.
            flagged[:] = not euclidean
            if not euclidean:
                rows_before[:, 0] = 0
                rows_before[:, 1] = nyb
            toward_source = True
        else:
            for k in range(nz):
                if changed_init[k]:
                    updates += relax_sparse(
                        dist[k, r0:r1], pore[k, r0:r1], spacing, euclidean, tolerance,
                        b_seeds, b_counts, np.bool_(True), np.int64(0), nyb, touched,
                    )  # fmt: skip
                    # Element by element: an array assigned to a slice compiled numba's
                    # shape-mismatch error with its message formatting (1.7 s of compiling).
                    rows_now[k, 0] = touched[0]
                    rows_now[k, 1] = touched[1]
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
                sparse = not (first and euclidean)
                r_lo = np.int64(0)
                r_hi = nyb
                if sparse:
                    # The rows beside those with a change behind.
                    r_lo = max(min(rows_now[n, 0], rows_before[n, 0]) - 1, 0)
                    r_hi = min(max(rows_now[n, 1], rows_before[n, 1]) + 1, nyb)
                    if r_lo >= r_hi:
                        continue
                count = step_across(
                    dist[k, r0:r1], dist[n, r0:r1], pore[k, r0:r1], pore[n, r0:r1], spacing,
                    euclidean, tolerance, np.bool_(True), np.bool_(sparse), np.bool_(False),
                    b_seeds, b_counts, b_best, b_lowest, b_triangle, b_near, scratch,
                    r_lo, r_hi,
                )  # fmt: skip
                if count:
                    updates += count
                    updates += relax_sparse(
                        dist[k, r0:r1], pore[k, r0:r1], spacing, euclidean, tolerance,
                        b_seeds, b_counts, np.bool_(False), r_lo, r_hi, touched,
                    )  # fmt: skip
                    rows_now[k, 0] = min(rows_now[k, 0], touched[0])
                    rows_now[k, 1] = max(rows_now[k, 1], touched[1])
                    changed_now[k] = True
                    flagged[k] = True
                    any_change = True
            sweeps_done += 1
            # The exchange's slices look both ways: in the first two sweeps of a sparse round.
            if not any_change and (dense or sweeps_done >= 2):
                break
            for k in range(nz):
                if flagged[k]:
                    lo = min(rows_now[k, 0], rows_before[k, 0])
                    hi = max(rows_now[k, 1], rows_before[k, 1])
                    if lo < hi:
                        age_change_flags(pore[k, r0 + lo : r0 + hi])
                    rows_before[k, 0] = rows_now[k, 0]
                    rows_before[k, 1] = rows_now[k, 1]
                    rows_now[k, 0] = nyb
                    rows_now[k, 1] = 0
                    # Still 'changed before': this sweep's slices, and the exchange's after one.
                    flagged[k] = changed_now[k] or (
                        not dense and sweeps_done == 1 and changed_init[k]
                    )
            for k in range(nz):
                changed_last[k] = changed_now[k]
            if not dense and sweeps_done == 1:
                for k in range(nz):
                    changed_last[k] |= changed_init[k]
            toward_source = not toward_source
            first = False
        for k in range(nz):
            if flagged[k] or changed_now[k] or (not dense and changed_init[k]):
                lo = min(rows_now[k, 0], rows_before[k, 0])
                hi = max(rows_now[k, 1], rows_before[k, 1])
                if lo < hi:
                    clear_flags(pore[k, r0 + lo : r0 + hi])
        return updates

    @nb.njit(cache=True, nogil=True)
    def exchange(
        dist, pore, spacing, tolerance, source, edges, changed,
        seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
    ):  # fmt: skip
        """Update the two rows beside every inner band edge from all their neighbours.

        Improved voxels are queued and flagged changed, their slices set in ``changed``; returns
        how many improved. Serial and in place (the result does not depend on timing).
        """
        _, hy, hx = spacing
        nz, ny, nx = dist.shape
        w_y = np.float32(hy)
        w_x = np.float32(hx)
        w_d = np.float32(np.sqrt(hy * hy + hx * hx))
        scratch = step_scratch(ny, nx)
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
                            np.bool_(True), np.bool_(False), np.bool_(False),
                            seeds, row_counts, best_rows, lowest_rows, triangle_rows, near_rows,
                            scratch, r_lo, r_hi,
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

    return solve_band, exchange


@nb.njit(cache=True, nogil=True, _nrt=False)
def _start_source_rows(dist_k, pore_k):
    """Rows of the source slice before the first sweep: 0 at pore voxels, +inf at solid ones
    (the other slices' rows start at +inf inside their step across, ``fresh``)."""
    ny, nx = dist_k.shape
    unreached = np.float32(np.inf)
    zero = np.float32(0.0)
    for j in range(ny):
        row = dist_k[j]
        pore_row = pore_k[j]
        for i in range(nx):
            row[i] = zero if pore_row[i] & PORE_BIT else unreached


@nb.njit(cache=True, nogil=True)
def lattice_weights(spacing):
    """float32 step lengths of the 26 offsets, ``w[dz + 1, dy + 1, dx + 1]``, summed in the
    order the sweeps sum them (so a step costs the same bits here and there)."""
    hz, hy, hx = spacing
    w = np.zeros((3, 3, 3), dtype=np.float32)
    for dz in range(-1, 2):
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                square = 0.0
                if dy != 0:
                    square += hy * hy
                if dx != 0:
                    square += hx * hx
                if dz != 0:
                    square += hz * hz
                w[dz + 1, dy + 1, dx + 1] = np.float32(np.sqrt(square))
    return w


@nb.njit(cache=True, nogil=True, inline="always")
def _push(index, value, bucket, slot, head, entry_index, entry_value, entry_next, free, used):
    """Put (index, value) at the head of bucket ``slot``, in a free entry or the next unused
    one (the caller grows the pool first); returns the new (free, used)."""
    if free >= 0:
        e = free
        free = entry_next[e]
    else:
        e = used
        used += 1
    entry_index[e] = index
    entry_value[e] = value
    entry_next[e] = head[slot]
    head[slot] = e
    return free, used


@nb.njit(cache=True, nogil=True)
def _grow(entry_index, entry_value, entry_next):
    """The entry pool at twice its size (contents kept)."""
    size = entry_index.shape[0]
    return (
        np.concatenate((entry_index, np.empty(size, np.int64))),
        np.concatenate((entry_value, np.empty(size, np.float32))),
        np.concatenate((entry_next, np.empty(size, np.int64))),
    )


@nb.njit(cache=True, nogil=True)
def lattice_front(dist, pore, spacing, r0, r1):
    """Finish the lattice metric in rows ``r0:r1`` (a band) after an exchange: the voxels it
    queued in the band's edge rows and everything they improve within the band, nearest first.

    The band solve left every edge inside the band at its fixed point, and the exchange every
    edge across the band's edges, except the edges out of the voxels it improved (queued): the
    front relaxes exactly those within the band, and those of every voxel it improves, so it
    ends at the band's fixed point that further band solves would reach (Dijkstra's, whatever
    the order). Improvements that reach the band's edge rows may improve the next band: the
    driver exchanges again, and runs the fronts again until an exchange improves nothing.
    Each band's front touches only its own rows, so the bands' fronts run side by side. A
    round of band solves sweeps every slice with a change; the front pays only for the voxels
    that change (on a tortuous 300^3 blobs volume, 5 % of the pore; three rounds of bands
    cost as much CPU as the band solves themselves).

    The order is Dial's: buckets of width just under the shortest step, so no voxel can
    improve another in its own bucket and each is settled once, in a ring of buckets (a
    step reaches at most a few buckets ahead); the queued voxels, whose values lie anywhere,
    join in bucket order when the ring reaches their bucket. Clears the queued and changed
    bits of the band's edge rows; returns the number of updates.
    """
    nz, ny, nx = dist.shape
    plane = ny * nx
    w = lattice_weights(spacing)
    width = 0.99 * min(spacing[0], min(spacing[1], spacing[2]))
    inv_width = 1.0 / width
    # Buckets a step reaches ahead, and a few more, rounded up to a power of two: the slot
    # is then a mask, not a division (with the border bit below, the front's loop divides
    # nowhere; the four 64-bit divisions an update took 7 % of the fibrous 400's front).
    ring = 1
    while ring < int(w.max() * inv_width) + 3:
        ring *= 2
    last_slot = ring - 1
    flat = dist.reshape(-1)
    pore_flat = pore.reshape(-1)
    # The queued voxels (the band's edge rows), in the order of their buckets.
    edge_rows = (r0, r1 - 1) if r1 - 1 > r0 else (r0, -1)
    count = 0
    for k in range(nz):
        for j in edge_rows:
            if j >= 0:
                for i in range(nx):
                    count += pore[k, j, i] & QUEUED_BIT != 0
    seeds = np.empty(count, dtype=np.int64)
    count = 0
    for k in range(nz):
        for j in edge_rows:
            if j >= 0:
                for i in range(nx):
                    if pore[k, j, i] & QUEUED_BIT:
                        seeds[count] = k * plane + j * nx + i
                        count += 1
                    pore[k, j, i] &= PORE_BIT
    seed_values = np.empty(count, dtype=np.float32)
    for s in range(count):
        seed_values[s] = flat[seeds[s]]
    by_value = _by_bucket(seed_values, inv_width)
    # Buckets as singly linked lists over one pool of entries (index, value, next).
    head = np.full(ring, -1, dtype=np.int64)
    capacity = max(1024, 2 * count)
    entry_index = np.empty(capacity, dtype=np.int64)
    entry_value = np.empty(capacity, dtype=np.float32)
    entry_next = np.empty(capacity, dtype=np.int64)
    free = -1  # a list of popped entries to reuse
    used = 0
    # The 26 steps as flat offsets, for voxels away from the volume's faces.
    offsets = np.empty(26, dtype=np.int64)
    steps = np.empty(26, dtype=np.float32)
    o = 0
    for dz in range(-1, 2):
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                if dz != 0 or dy != 0 or dx != 0:
                    offsets[o] = dz * plane + dy * nx + dx
                    steps[o] = w[dz + 1, dy + 1, dx + 1]
                    o += 1
    _mark_border(pore, r0, r1, ~np.uint8(0), BORDER_BIT)
    queued = 0
    updates = 0
    s = 0
    bucket = 0
    while s < count or queued > 0:
        if queued == 0:
            bucket = max(bucket, int(seed_values[by_value[s]] * inv_width))
        while s < count and int(seed_values[by_value[s]] * inv_width) <= bucket:
            if used == capacity and free < 0:
                entry_index, entry_value, entry_next = _grow(entry_index, entry_value, entry_next)
                capacity *= 2
            seed = by_value[s]
            free, used = _push(
                seeds[seed], seed_values[seed], bucket, bucket & last_slot,
                head, entry_index, entry_value, entry_next, free, used,
            )  # fmt: skip
            queued += 1
            s += 1
        slot = bucket & last_slot
        while head[slot] >= 0:
            e = head[slot]
            head[slot] = entry_next[e]
            entry_next[e] = free
            free = e
            queued -= 1
            index = entry_index[e]
            value = entry_value[e]
            if value != flat[index]:
                continue  # improved since it was pushed: a later entry carries it
            if used + 26 > capacity:
                entry_index, entry_value, entry_next = _grow(entry_index, entry_value, entry_next)
                capacity *= 2
            if pore_flat[index] & BORDER_BIT == 0:
                for o in range(26):
                    n = index + offsets[o]
                    if pore_flat[n] & PORE_BIT == 0:
                        continue
                    candidate = value + steps[o]
                    if candidate < flat[n]:
                        flat[n] = candidate
                        # Never into this bucket (rounding): the ring reaches it next.
                        target = max(int(candidate * inv_width), bucket + 1) & last_slot
                        free, used = _push(
                            n, candidate, bucket, target,
                            head, entry_index, entry_value, entry_next, free, used,
                        )  # fmt: skip
                        queued += 1
                        updates += 1
                continue
            k = index // plane
            j = (index % plane) // nx
            i = index % nx
            for z in range(max(k - 1, 0), min(k + 2, nz)):
                for y in range(max(j - 1, r0), min(j + 2, r1)):
                    for x in range(max(i - 1, 0), min(i + 2, nx)):
                        n = z * plane + y * nx + x
                        if pore_flat[n] & PORE_BIT == 0:
                            continue
                        candidate = value + w[z - k + 1, y - j + 1, x - i + 1]
                        if candidate < flat[n]:
                            flat[n] = candidate
                            target = max(int(candidate * inv_width), bucket + 1) & last_slot
                            free, used = _push(
                                n, candidate, bucket, target,
                                head, entry_index, entry_value, entry_next, free, used,
                            )  # fmt: skip
                            queued += 1
                            updates += 1
        bucket += 1
    _mark_border(pore, r0, r1, ~BORDER_BIT, np.uint8(0))
    return updates


@nb.njit(cache=True, nogil=True)
def _by_bucket(values, inv_width):
    """Indices of ``values`` (finite, >= 0) in ascending order of their bucket
    ``int(value * inv_width)``, in index order within a bucket: a counting sort. Dial's order
    needs no order within a bucket (nothing in a bucket improves another), and np.argsort's
    quicksort took 2 s of the front's compile."""
    count = values.shape[0]
    index = np.empty(count, dtype=np.int64)
    if count == 0:
        return index
    low = int(values[0] * inv_width)
    high = low
    for s in range(count):
        b = int(values[s] * inv_width)
        low = min(low, b)
        high = max(high, b)
    start = np.zeros(high - low + 2, dtype=np.int64)
    for s in range(count):
        start[int(values[s] * inv_width) - low + 1] += 1
    for b in range(1, high - low + 2):
        start[b] += start[b - 1]
    for s in range(count):
        b = int(values[s] * inv_width) - low
        index[start[b]] = s
        start[b] += 1
    return index


@nb.njit(cache=True, nogil=True)
def _mark_border(pore, r0, r1, keep, bits):
    """``pore = pore & keep | bits`` on the border of rows ``r0:r1``: its first and last
    slices, rows and columns (uint8 masks, not a flag: a bool literal compiled it twice)."""
    nz, _, nx = pore.shape
    for k in range(nz):
        for j in range(r0, r1):
            if k == 0 or k == nz - 1 or j == r0 or j == r1 - 1:
                for i in range(nx):
                    pore[k, j, i] = pore[k, j, i] & keep | bits
            else:
                pore[k, j, 0] = pore[k, j, 0] & keep | bits
                pore[k, j, nx - 1] = pore[k, j, nx - 1] & keep | bits


solve_band_lattice, exchange_lattice = band_kernels(False)
solve_band_euclidean, exchange_euclidean = band_kernels(True)
