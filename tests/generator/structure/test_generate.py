"""Generated samples checked with independent measurements (numpy, scipy), not the generator's
own counters."""

import numba
import numpy as np
import pytest
from scipy import ndimage as ndi

from generator import generate, phase_fractions
from tests.conftest import SMALL

TOL = 0.005


def independent_chord_length(centre, direction, box):
    """Length of each line inside [0, box] by clipping against the six planes, in numpy."""
    lengths = []
    for p, d in zip(centre, direction, strict=True):
        lo, hi = -np.inf, np.inf
        for axis in range(3):
            if abs(d[axis]) < 1e-15:
                if not 0 <= p[axis] <= box[axis]:
                    lo, hi = 1, 0
                continue
            a, b = sorted(((0 - p[axis]) / d[axis], (box[axis] - p[axis]) / d[axis]))
            lo, hi = max(lo, a), min(hi, b)
        lengths.append(max(hi - lo, 0.0))
    return np.array(lengths)


def test_fractions_measured_independently(small_sample):
    volume = small_sample.volume
    assert abs(np.mean(volume == 1) - 0.18) <= TOL
    assert abs(np.mean(volume == 2) - 0.07) <= TOL
    assert set(np.unique(volume)) == {0, 1, 2}
    assert phase_fractions(volume)["binder"] == pytest.approx(np.mean(volume == 2))


def test_fibre_lengths_are_the_chords_through_the_box(small_sample):
    fibres = small_sample.fibres
    nz, ny, nx = small_sample.volume.shape
    box = np.array([nx, ny, nz]) * small_sample.voxel_um
    lengths = independent_chord_length(fibres.centre, fibres.direction, box)
    assert np.allclose(lengths, fibres.length, atol=1e-6)
    assert np.allclose(np.linalg.norm(fibres.direction, axis=1), 1.0)


def test_fibre_voxels_are_within_a_radius_of_a_stored_fibre(small_sample):
    # Every fibre voxel centre lies within r of some stored axis, and each axis has voxels.
    h = small_sample.voxel_um
    zyx = np.argwhere(small_sample.volume == 1)
    rng = np.random.default_rng(0)
    pick = zyx[rng.choice(len(zyx), 2000, replace=False)]
    xyz = (pick[:, ::-1] + 0.5) * h
    f = small_sample.fibres
    rel = xyz[:, None, :] - f.centre[None]
    along = np.einsum("nkc,kc->nk", rel, f.direction)
    dist = np.sqrt(np.maximum(np.sum(rel**2, axis=-1) - along**2, 0))
    assert np.all(dist.min(axis=1) <= f.radius[0] + 1e-9)


def test_same_seed_is_bit_identical_whatever_the_thread_count():
    kwargs = dict(
        fiber_diameter_um=7,
        fiber_fraction=0.2,
        binder_fraction=0.09,
        compression=0.3,
        seed=11,
        **SMALL,
    )
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = generate(**kwargs)
    finally:
        numba.set_num_threads(threads)
    many = generate(**kwargs)
    assert one.volume.tobytes() == many.volume.tobytes()
    assert np.array_equal(one.fibres.centre, many.fibres.centre)
    other = generate(**{**kwargs, "seed": 12})
    assert other.volume.tobytes() != many.volume.tobytes()


@pytest.mark.parametrize(("diameter", "fibre", "binder"), [(6, 0.25, 0.05), (12, 0.10, 0.10)])
def test_no_binder_floats_free_of_the_fibres(diameter, fibre, binder):
    sample = generate(
        fiber_diameter_um=diameter,
        fiber_fraction=fibre,
        binder_fraction=binder,
        compression=0.0,
        seed=5,
        **SMALL,
    )
    volume = sample.volume
    assert abs(np.mean(volume == 2) - binder) <= TOL
    labels, n = ndi.label(volume > 0, structure=np.ones((3, 3, 3)))
    has_fibre = np.zeros(n + 1, dtype=bool)
    has_fibre[labels[volume == 1]] = True
    binder_components = np.unique(labels[volume == 2])
    assert has_fibre[binder_components].all()


def test_binder_sits_near_fibres(small_sample):
    # A closing fills gaps narrower than its diameter: every binder voxel is close to a fibre.
    distance = ndi.distance_transform_edt(small_sample.volume != 1) * small_sample.voxel_um
    radius = small_sample.binder.radius_um(small_sample.voxel_um)
    assert distance[small_sample.volume == 2].max() <= radius + small_sample.voxel_um


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_slab_uniformity_in_plane_and_through_plane(seed):
    sample = generate(
        domain="1000",
        voxel_um=4.0,
        fiber_diameter_um=9,
        fiber_fraction=0.18,
        compression=0.0,
        seed=seed,
    )
    fibre = sample.volume == 1
    for axis in range(3):
        n = fibre.shape[axis]
        edges = np.linspace(0, n, 11).round().astype(int)
        profile = fibre.mean(axis=tuple(a for a in range(3) if a != axis))
        slabs = [profile[a:b].mean() for a, b in zip(edges[:-1], edges[1:], strict=True)]
        assert np.max(np.abs(np.array(slabs) - 0.18)) <= 0.02, (axis, slabs)


def test_compression_keeps_every_column_solid_sequence():
    kwargs = dict(fiber_diameter_um=9, fiber_fraction=0.15, binder_fraction=0.06, seed=2, **SMALL)
    flat = generate(compression=0.0, **kwargs).volume
    pressed = generate(compression=0.35, **kwargs)
    assert pressed.volume.shape[0] == round(0.65 * flat.shape[0])
    assert pressed.scaled_columns == 0
    rng = np.random.default_rng(0)
    for j, i in zip(
        rng.integers(0, flat.shape[1], 200), rng.integers(0, flat.shape[2], 200), strict=True
    ):
        before = flat[:, j, i]
        after = pressed.volume[:, j, i]
        assert before[before > 0].tolist() == after[after > 0].tolist()
    before = pressed.fractions["before_compression"]
    after = pressed.fractions["after_compression"]
    assert after["fibre"] == pytest.approx(before["fibre"] / 0.65, rel=0.01)
