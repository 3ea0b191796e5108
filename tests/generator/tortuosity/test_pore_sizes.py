"""Local-thickness pore sizes on structures with known answers, and against PoreSpy."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from generator.tortuosity import PoreSizeResult, pore_size_distribution


def _slabs(widths, lateral=(3, 4)):
    """Label image (0 pore, 1 solid): pore slabs of the given widths between solid walls."""
    nz = sum(widths) + len(widths) + 1
    image = np.ones((nz, *lateral), dtype=np.uint8)
    z = 1
    for w in widths:
        image[z : z + w] = 0
        z += w + 1
    return image


def test_slab_is_its_width_thick_everywhere():
    # Slabs 1 to 6 voxels wide in one image (walls one voxel thick between them): each slab's
    # voxels are its width thick, the walls 0.
    widths = [1, 2, 3, 4, 5, 6]
    image = _slabs(widths, lateral=(2, 3))
    result = pore_size_distribution(image, pore_label=0, return_map=True)
    assert isinstance(result, PoreSizeResult)
    pore = image == 0
    z = 1
    for w in widths:
        np.testing.assert_array_equal(result.thickness[z : z + w], np.float32(w))
        z += w + 1
    assert not result.thickness[~pore].any()
    assert result.max == 6
    assert result.mean == pytest.approx(sum(w * w for w in widths) / sum(widths))
    assert result.pore_voxels == pore.sum() == 6 * sum(widths)
    assert result.thickness.dtype == np.float32
    # One slab alone: every percentile is its width.
    result = pore_size_distribution(_slabs([4], lateral=(2, 3)), pore_label=0)
    assert result.d10 == result.d50 == result.d90 == result.max == result.mean == 4


def test_voxel_size_scales_every_length():
    result = pore_size_distribution(_slabs([3]), pore_label=0, voxel_um=2.5, return_map=True)
    assert (result.d10, result.d50, result.d90, result.mean) == (7.5, 7.5, 7.5, 7.5)
    assert result.thickness.max() == pytest.approx(7.5)
    assert result.voxel_um == 2.5


def test_cylinder_and_ball_take_the_one_ball_on_their_axis():
    # Pore: voxels within distance 4 of the axis (or centre). The nearest solid voxel centre
    # is at squared distance 17 ((4, 1)), so the axis ball has radius sqrt(17) and reaches
    # every pore voxel: diameter 2 sqrt(17) - 1 = 7.25 voxels everywhere (nominal 8).
    expected = 2 * math.sqrt(17) - 1
    j, i = np.mgrid[:11, :11] - 5
    disc = j**2 + i**2 <= 16
    cylinder = np.broadcast_to(disc, (6, 11, 11)).copy()
    result = pore_size_distribution(cylinder, return_map=True)
    np.testing.assert_allclose(result.thickness[cylinder], expected, rtol=1e-6)
    k, j, i = np.mgrid[:11, :11, :11] - 5
    ball = k**2 + j**2 + i**2 <= 16
    result = pore_size_distribution(ball, return_map=True)
    np.testing.assert_allclose(result.thickness[ball], expected, rtol=1e-6)
    assert result.pore_voxels == ball.sum()


def test_two_sizes_by_their_volume_shares():
    # 30 % of the pore in a slab 3 wide, 70 % in a slab 7 wide.
    result = pore_size_distribution(_slabs([3, 7]), pore_label=0)
    assert (result.d10, result.d50, result.d90) == (3.0, 7.0, 7.0)
    assert result.mean == pytest.approx(0.3 * 3 + 0.7 * 7)
    # 60 % small: the median moves to the small slab.
    result = pore_size_distribution(_slabs([3, 3, 4]), pore_label=0)
    assert (result.d10, result.d50, result.d90) == (3.0, 3.0, 4.0)


def test_to_dict_is_json_and_has_no_map():
    result = pore_size_distribution(_slabs([2]), pore_label=0, return_map=True)
    data = json.loads(json.dumps(result.to_dict()))
    assert data == {
        "d10": 2.0,
        "d50": 2.0,
        "d90": 2.0,
        "mean": 2.0,
        "max": 2.0,
        "pore_voxels": 24,
        "voxel_um": 1.0,
    }
    assert pore_size_distribution(_slabs([2]), pore_label=0).thickness is None


def test_pore_label_is_never_guessed():
    image = _slabs([2])
    with pytest.raises(ValueError, match="give the pore label"):
        pore_size_distribution(image)
    # A boolean mask is the pore itself.
    assert pore_size_distribution(image == 0).d50 == 2.0
    with pytest.raises(ValueError, match="does not occur"):
        pore_size_distribution(image, pore_label=2)


def test_refusals():
    image = _slabs([2])
    with pytest.raises(ValueError, match="anisotropic"):
        pore_size_distribution(image, pore_label=0, voxel_um=(1.0, 1.0, 2.0))
    with pytest.raises(ValueError, match="no pore voxels"):
        pore_size_distribution(np.zeros((3, 3, 3), dtype=bool))
    with pytest.raises(ValueError, match="no solid"):
        pore_size_distribution(np.ones((3, 3, 3), dtype=bool))


def test_agrees_with_porespy_local_thickness():
    ps = pytest.importorskip("porespy")
    im = ps.generators.blobs([40, 40, 40], porosity=0.7, blobiness=0.5, seed=5)
    ours = pore_size_distribution(im, return_map=True)
    # PoreSpy's radii are whole voxels and its diameter 2 r counts the centre voxel twice
    # (2 r - 1 here, r to the solid from the half-voxel grid): compare with a voxel of slack.
    theirs = 2.0 * ps.filters.local_thickness(im, method="dt")[im]
    mine = ours.thickness[im]
    assert np.corrcoef(mine, theirs)[0, 1] > 0.9
    assert abs(ours.mean - theirs.mean()) < 0.05 * theirs.mean()
    d10, d50, d90 = np.quantile(theirs, (0.1, 0.5, 0.9), method="inverted_cdf")
    assert abs(ours.d10 - d10) <= 1.5
    assert abs(ours.d50 - d50) <= 1.5
    assert abs(ours.d90 - d90) <= 1.5


def _half_grid_solid(solid):
    """The half-voxel grid's solid points: those whose every voxel around is solid."""
    index = [np.arange(2 * n - 1) for n in solid.shape]
    half = np.ones(tuple(2 * n - 1 for n in solid.shape), dtype=bool)
    for lo_hi in np.ndindex(2, 2, 2):
        sel = [(i + s) // 2 for i, s in zip(index, lo_hi, strict=True)]
        half &= solid[np.ix_(*sel)]
    return half


def _brute_thickness(pore):
    """The definition by brute force: every ball of the half-voxel grid (radius from scipy's
    exact transform) against every voxel, the largest that reaches it; diameter sqrt(r2) - 1."""
    from scipy import ndimage

    dist2 = np.rint(ndimage.distance_transform_edt(~_half_grid_solid(~pore)) ** 2)
    centres = np.argwhere(dist2 > 0)
    radii2 = dist2[tuple(centres.T)]
    voxels = 2 * np.argwhere(np.ones(pore.shape, dtype=bool))
    best = np.zeros(len(voxels))
    for lo in range(0, len(centres), 256):
        c, r2 = centres[lo : lo + 256], radii2[lo : lo + 256]
        reached = ((voxels[:, None, :] - c[None, :, :]) ** 2).sum(axis=2) < r2[None, :]
        best = np.maximum(best, np.where(reached, r2[None, :], 0).max(axis=1))
    diameter = np.where(best > 0, np.sqrt(best) - 1.0, 0.0).astype(np.float32)
    return diameter.reshape(pore.shape)


@pytest.mark.parametrize("kind", ["scattered solid", "smooth pores"])
def test_map_equals_every_ball_by_brute_force(kind):
    # The pruned ridge and the slice-wise insertion (disks held by earlier disks skipped) give
    # the map of every ball of the half-voxel grid against every voxel, on random images.
    from scipy import ndimage

    rng = np.random.default_rng(7)
    if kind == "scattered solid":
        solid = np.zeros((11, 12, 13), dtype=bool)
        solid[tuple(rng.integers(0, 13, size=(3, 24)) % np.array([[11], [12], [13]]))] = True
    else:
        field = ndimage.gaussian_filter(rng.standard_normal((13, 14, 15)), 2.0, mode="wrap")
        solid = field > np.quantile(field, 0.6)
    pore = ~solid
    result = pore_size_distribution(pore, return_map=True)
    np.testing.assert_array_equal(result.thickness, _brute_thickness(pore))


def test_half_grid_distance_equals_scipy():
    # The half-grid squared distance against scipy's exact Euclidean transform of the same
    # half-grid solid (a point is solid when every voxel around it is), capped at the window.
    from scipy import ndimage

    from generator.tortuosity._pore_size_kernels import half_grid_squared_edt

    rng = np.random.default_rng(3)
    solid = rng.random((9, 14, 11)) < 0.08
    half = _half_grid_solid(solid)
    expected = np.rint(ndimage.distance_transform_edt(~half) ** 2).astype(np.int64)
    for window in (6, 40):
        got = np.empty(half.shape, dtype=np.uint16)
        half_grid_squared_edt(solid, got, window)
        capped = np.where(expected <= window * window, expected, window * window + 1)
        np.testing.assert_array_equal(got, capped)
