"""The solver's bands of rows: paths that cross a band edge again and again, and turn back
through the thickness, against dijkstra3d; the same distances whatever the thread count, and
with a tortuosity's two passes side by side."""

import dijkstra3d
import numba
import numpy as np
import pytest

from generator import geodesic_distance, geometric_tortuosity


def serpentine():
    """A one-voxel channel in the (z, y) plane, one path without shortcuts, that crosses row 40
    (the edge between the two bands of an 80-row image) three times and runs back towards the
    inlet twice."""
    pore = np.zeros((40, 80, 3), dtype=bool)
    x = 1
    pore[0:31, 5, x] = True  # up from the inlet
    pore[30, 5:76, x] = True  # across the edge
    pore[10:31, 75, x] = True  # back down towards the inlet
    pore[10, 20:76, x] = True  # across the edge again
    pore[10:26, 20, x] = True  # up
    pore[25, 20:61, x] = True  # and across once more
    pore[15:26, 60, x] = True  # a dead end back down
    return pore


def dijkstra(pore, spacing=(1.0, 1.0, 1.0)):
    inlet = [tuple(int(c) for c in p) for p in np.argwhere(pore[:1])]
    peer = dijkstra3d.euclidean_distance_field(np.asfortranarray(pore), inlet, anisotropy=spacing)
    return np.where(pore, peer, np.inf)


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (2.0, 0.5, 1.5)])
def test_lattice_equals_dijkstra3d_across_band_edges(spacing):
    pore = serpentine()
    ours = geodesic_distance(pore, metric="lattice", voxel_um=spacing)
    peer = dijkstra(pore, spacing)
    assert np.array_equal(np.isfinite(ours), np.isfinite(peer))
    assert np.isfinite(ours[pore]).all()  # every channel voxel is reached
    finite = np.isfinite(peer)
    np.testing.assert_allclose(ours[finite], peer[finite], rtol=1e-6)


def test_lattice_equals_dijkstra3d_on_a_tortuous_random_volume():
    # Porosity 0.35 on a 26-connected lattice: a tortuous cluster with many turn-backs.
    pore = np.random.default_rng(11).random((30, 96, 40)) < 0.35
    ours = geodesic_distance(pore, metric="lattice")
    peer = dijkstra(pore)
    assert np.array_equal(np.isfinite(ours), np.isfinite(peer))
    finite = np.isfinite(peer)
    np.testing.assert_allclose(ours[finite], peer[finite], rtol=1e-6)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 numba threads")
@pytest.mark.parametrize("metric", ["lattice", "euclidean"])
def test_same_distances_whatever_the_thread_count(metric):
    pore = np.random.default_rng(12).random((24, 80, 30)) < 0.5
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = geodesic_distance(pore, metric=metric, adaptive_threads=False)
        numba.set_num_threads(2)
        two = geodesic_distance(pore, metric=metric, adaptive_threads=False)
    finally:
        numba.set_num_threads(previous)
    assert np.array_equal(one, two)


@pytest.mark.parametrize("metric", ["lattice", "euclidean"])
def test_passes_side_by_side_give_the_one_after_the_other_answer(metric):
    # Each pass in its own thread and pore array: the lattice's fields are dijkstra3d's from
    # either face, and both metrics' results those of the passes in turn, bit for bit.
    pore = np.random.default_rng(13).random((24, 80, 30)) < 0.4
    kept = pore.copy()
    both = geometric_tortuosity(pore, metric=metric, return_maps=True, passes_side_by_side=True)
    assert np.array_equal(pore, kept)  # the caller's mask untouched
    one = geometric_tortuosity(pore, metric=metric, return_maps=True, passes_side_by_side=False)
    for field in ("distance_from_inlet", "distance_from_outlet"):
        assert np.array_equal(getattr(both, field), getattr(one, field))
    assert (both.tau, both.tau_volume) == (one.tau, one.tau_volume)
    if metric == "lattice":
        peer = dijkstra(pore[::-1])[::-1]
        finite = np.isfinite(peer)
        assert np.array_equal(np.isfinite(both.distance_from_outlet), finite)
        np.testing.assert_allclose(both.distance_from_outlet[finite], peer[finite], rtol=1e-6)


def test_passes_side_by_side_takes_only_a_bool_or_none():
    with pytest.raises(ValueError, match="passes_side_by_side='no' is not True, False or None"):
        geometric_tortuosity(np.ones((4, 3, 3), dtype=bool), passes_side_by_side="no")


def test_euclidean_bands_joined_when_updates_creep_give_the_one_band_answer(monkeypatch):
    # A long in-plane extent: the semi-Lagrangian updates creep across the band edge round
    # after round, until the bands are joined for a last whole-plane round. The euclidean
    # fixed point depends on the order of updates (a few voxels differ by up to 4 % between
    # schedules, within the scheme's error against scikit-fmm), so the answer is the one-band
    # solve's in bulk and in tau, not voxel for voxel; bands left unjoined or unconverged
    # would be off everywhere downstream of the edge.
    from generator import geometric_tortuosity
    from generator.tortuosity._geodesic import driver

    pore = np.random.default_rng(13).random((30, 80, 600)) < 0.6
    # Rows along the 600 voxels, as given (the solver would otherwise lay them along the
    # longer axis and cut its bands across it, where little creeps).
    monkeypatch.setattr(driver, "LONG_AXIS_RATIO", np.inf)
    banded = geodesic_distance(pore, metric="euclidean", adaptive_threads=False)
    tau = geometric_tortuosity(pore, metric="euclidean", adaptive_threads=False).tau
    monkeypatch.setattr(driver, "BANDS", 1)
    whole = geodesic_distance(pore, metric="euclidean", adaptive_threads=False)
    one_band_tau = geometric_tortuosity(pore, metric="euclidean", adaptive_threads=False).tau
    assert np.array_equal(np.isfinite(banded), np.isfinite(whole))
    finite = np.isfinite(whole)
    relative = np.abs(banded[finite] - whole[finite]) / np.maximum(whole[finite], 1.0)
    assert relative.mean() < 1e-4 and np.quantile(relative, 0.99) < 1e-4
    assert tau == pytest.approx(one_band_tau, rel=1e-5)


def test_an_image_long_along_its_last_axis_is_solved_in_the_callers_layout():
    # 2000 x 200 in-plane, like the `200` preset: the solver lays the rows along the longer
    # axis (its second here). Distances, the inlet's path lengths (one per inlet voxel, in the
    # caller's row-major order) and the outlet plane come back in the caller's layout.
    from generator import geometric_tortuosity

    pore = np.random.default_rng(14).random((16, 12, 40)) < 0.45
    peer = dijkstra(pore)
    ours = geodesic_distance(pore, metric="lattice")
    finite = np.isfinite(peer)
    assert np.array_equal(np.isfinite(ours), finite)
    np.testing.assert_allclose(ours[finite], peer[finite], rtol=1e-6)

    result = geometric_tortuosity(pore, metric="lattice")
    from_outlet = dijkstra(pore[::-1])[::-1]
    inlet = from_outlet[0][pore[0]]
    np.testing.assert_allclose(result.path_lengths_um, inlet[np.isfinite(inlet)], rtol=1e-6)
    length = pore.shape[0] - 1
    assert result.outlet_ratio.shape == (12, 40)
    np.testing.assert_allclose(result.outlet_ratio, peer[-1] / length, rtol=1e-6)
