"""Tortuous, low-porosity pore spaces (blobs, as PoreSpy's ``blobs`` makes them): the lattice
metric with two bands (exchange, then the front across the band edge) against dijkstra3d, and
the euclidean metric against scikit-fmm."""

import dijkstra3d
import numba
import numpy as np
import pytest
from scipy import ndimage

from generator import geodesic_distance
from generator.tortuosity._geodesic import bands


def blobs(shape=(40, 80, 40), porosity=0.3, sigma=3.0, seed=3):
    """Gaussian-smoothed noise cut at its ``porosity`` quantile (PoreSpy's ``blobs`` recipe),
    periodic noise so that the faces are no narrower than the inside."""
    noise = np.random.default_rng(seed).standard_normal(shape)
    noise = ndimage.gaussian_filter(noise, sigma, mode="wrap")
    return noise < np.quantile(noise, porosity)


def dijkstra(pore, spacing=(1.0, 1.0, 1.0)):
    inlet = [tuple(int(c) for c in p) for p in np.argwhere(pore[:1])]
    peer = dijkstra3d.euclidean_distance_field(np.asfortranarray(pore), inlet, anisotropy=spacing)
    return np.where(pore, peer, np.inf)


@pytest.fixture
def two_bands(monkeypatch):
    """Two numba threads (so the lattice metric solves two bands of rows, 40 each) and a
    record of the fronts' updates (one entry a band and a round)."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    updates = []
    front = bands.lattice_front

    def spy(*args):
        updates.append(front(*args))
        return updates[-1]

    monkeypatch.setattr(bands, "lattice_front", spy)
    previous = numba.get_num_threads()
    numba.set_num_threads(2)
    yield updates
    numba.set_num_threads(previous)


@pytest.mark.parametrize("seed", [3, 4])
def test_lattice_with_the_front_equals_dijkstra3d_on_blobs(two_bands, seed):
    pore = blobs(seed=seed)
    ours = geodesic_distance(pore, metric="lattice", adaptive_threads=False)
    assert sum(two_bands) > 100  # paths crossed the band edge: the bands' fronts ran
    assert np.array_equal(ours, dijkstra(pore))  # bit for bit, inf where unreached


def test_lattice_equals_dijkstra3d_on_rows_of_several_raster_blocks():
    # Rows of 200 voxels (150 by 200 in-plane is not long enough to swap the axes): the
    # in-plane passes after the first take them in blocks of RELAX_BLOCK (64) columns and skip
    # a block with no stale voxel; a block skipped while a path still had to run through it
    # would leave distances above Dijkstra's. One band.
    from generator.tortuosity._geodesic.sweeps import RELAX_BLOCK

    pore = blobs(shape=(16, 150, 200), porosity=0.3, seed=6)  # rows stay along the 200
    assert pore.shape[2] >= 3 * RELAX_BLOCK
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        ours = geodesic_distance(pore, metric="lattice", adaptive_threads=False)
    finally:
        numba.set_num_threads(previous)
    assert np.array_equal(ours, dijkstra(pore))


def test_lattice_with_the_front_and_anisotropic_voxels(two_bands):
    spacing = (2.0, 0.5, 1.5)
    pore = blobs(porosity=0.25, seed=5)
    ours = geodesic_distance(pore, metric="lattice", voxel_um=spacing, adaptive_threads=False)
    peer = dijkstra(pore, spacing)
    assert two_bands and two_bands[0] > 0
    assert np.array_equal(np.isfinite(ours), np.isfinite(peer))
    finite = np.isfinite(peer)
    np.testing.assert_allclose(ours[finite], peer[finite], rtol=1e-6)


def test_euclidean_within_one_percent_of_scikit_fmm_on_blobs():
    skfmm = pytest.importorskip("skfmm")
    pore = blobs()
    ours = geodesic_distance(pore, metric="euclidean")
    lattice = geodesic_distance(pore, metric="lattice")
    # scikit-fmm's zero level lies half a voxel behind slice 1: its distance + 0.5 is ours.
    phi = np.ones(pore.shape)
    phi[0] = -1.0
    fmm = np.ma.filled(skfmm.distance(np.ma.MaskedArray(phi, mask=~pore), order=2), np.inf) + 0.5
    assert np.isfinite(ours[np.isfinite(fmm)]).all()  # face-connected: it reaches no more
    # Away from the inlet, where relative errors mean something.
    both = np.isfinite(fmm) & (np.arange(pore.shape[0]) >= 10)[:, None, None]
    relative = (ours[both] - fmm[both]) / fmm[both]
    # Measured: mean -0.9 %, median -0.6 % (26-connected paths cut a few corners that
    # face-connected fronts go round).
    assert abs(relative.mean()) < 0.015
    assert abs(np.median(relative)) < 0.01
    # The test can tell: the lattice's oblique detour is 2.5 % on the same voxels.
    assert ((lattice[both] - fmm[both]) / fmm[both]).mean() > 0.02


def test_the_front_compiled_apart_is_the_one_a_solve_takes(monkeypatch):
    """A lone sample's compile children share the geodesic part: one compiles the lattice's
    front alone (compile_lattice_front), the other everything else (lattice_front=False)."""
    from generator.tortuosity.geodesic import compile_kernels, compile_lattice_front

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    front, exchange = bands.lattice_front, bands.exchange_lattice
    calls = {"front": 0, "exchange": 0}

    def spy(name, kernel):
        return lambda *args: calls.__setitem__(name, calls[name] + 1) or kernel(*args)

    monkeypatch.setattr(bands, "lattice_front", spy("front", front))
    monkeypatch.setattr(bands, "exchange_lattice", spy("exchange", exchange))
    previous = numba.get_num_threads()
    try:
        compile_kernels(threads=2, lattice_front=False)
        assert calls == {"front": 0, "exchange": 1}  # the bands joined, and no front ran
        compile_kernels(threads=2)
        assert calls["front"] > 0
        compile_lattice_front()
        numba.set_num_threads(2)
        geodesic_distance(blobs(seed=5), metric="lattice", adaptive_threads=False)
    finally:
        numba.set_num_threads(previous)
    # The types the solver passes are those it was compiled for apart: a second
    # specialisation would be a compile that the child which took the front did for nothing.
    assert len(front.signatures) == 1


def test_front_seeds_come_in_bucket_order_like_a_stable_sort():
    """The front's counting sort of its queued voxels against numpy's stable sort of their
    buckets, with ties, a lone bucket and no seed at all."""
    rng = np.random.default_rng(5)
    inv_width = 1.0 / 0.99
    cases = [
        rng.uniform(0.0, 400.0, 5000).astype(np.float32),
        np.round(rng.uniform(3.0, 9.0, 300)).astype(np.float32),  # many equal values
        np.full(7, 12.5, dtype=np.float32),
        np.empty(0, dtype=np.float32),
    ]
    for values in cases:
        buckets = (values.astype(np.float64) * inv_width).astype(np.int64)
        expected = np.argsort(buckets, kind="stable")
        np.testing.assert_array_equal(bands._by_bucket(values, inv_width), expected)
