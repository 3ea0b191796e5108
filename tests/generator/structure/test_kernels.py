"""Kernels against independent references: brute-force geometry and scipy's EDT."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from generator._shared.edt_kernels import capped_squared_edt
from generator.structure._compression_kernels import compress_columns
from generator.structure._raster_kernels import draw_cylinders


def brute_force_cylinders(shape, points, dirs, radii):
    grid = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1)
    solid = np.zeros(shape, dtype=bool)
    for p, d, r in zip(points, dirs, radii, strict=True):
        rel = grid - p
        along = rel @ d
        dist2 = np.sum(rel**2, axis=-1) - along**2
        solid |= dist2 <= r * r
    return solid


@pytest.mark.parametrize("seed", range(4))
def test_draw_cylinders_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    shape = (23, 31, 37)
    n = 6
    points = rng.uniform(-5, 40, (n, 3))
    dirs = rng.normal(size=(n, 3))
    dirs[0] = [0.0, 0.0, 1.0]  # exactly along an axis
    dirs[1] = [0.0, 1.0, 1e-13]
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    radii = rng.uniform(0.4, 5.0, n)
    volume = np.zeros(shape, dtype=np.uint8)
    draw_cylinders(volume, points, dirs, radii, 1)
    expected = brute_force_cylinders(shape, points, dirs, radii)
    assert np.array_equal(volume == 1, expected)


@pytest.mark.parametrize(
    ("shape", "density", "window"),
    [
        ((30, 40, 50), 0.02, 5),
        ((17, 60, 33), 0.001, 40),
        ((40, 40, 40), 0.3, 2),
        ((9, 9, 9), 0.0, 3),
    ],
)
def test_capped_edt_matches_scipy(shape, density, window):
    rng = np.random.default_rng(1)
    source = (rng.random(shape) < density).astype(np.uint8)
    out = np.empty(shape, dtype=np.uint16)
    capped_squared_edt(source, 1, out, window)
    if source.any():
        reference = np.rint(ndi.distance_transform_edt(source == 0) ** 2).astype(np.int64)
    else:
        reference = np.full(shape, 10**9)
    expected = np.where(reference > window**2, window**2 + 1, reference)
    assert np.array_equal(out.astype(np.int64), expected)


@pytest.mark.parametrize(
    ("levels", "threshold", "window", "dtype"), [(60, 25, 6, np.uint8), (3, 2, 9, np.uint16)]
)
def test_capped_edt_of_a_thresholded_map_matches_scipy(levels, threshold, window, dtype):
    # Several bands along y (ny = 70 with 2 threads), a multi-level source (a distance map, as
    # the binder's closings use) and a uint8 result where the cap fits.
    rng = np.random.default_rng(7)
    source = rng.integers(0, levels, (23, 70, 41)).astype(np.uint8)
    out = np.empty(source.shape, dtype=dtype)
    capped_squared_edt(source, threshold, out, window)
    reference = np.rint(ndi.distance_transform_edt(source < threshold) ** 2).astype(np.int64)
    expected = np.where(reference > window**2, window**2 + 1, reference)
    assert np.array_equal(out.astype(np.int64), expected)


def test_closing_pass_is_scipys_closing():
    # Pore inside the closing of the fibres by a ball of squared radius k, from scipy's EDT:
    # not within sqrt(k) of any voxel farther than sqrt(k) from the fibres.
    from generator.structure._binder_kernels import closing_pass

    rng = np.random.default_rng(3)
    volume = (rng.random((30, 45, 50)) < 0.01).astype(np.uint8)
    volume = ndi.binary_dilation(volume, iterations=1).astype(np.uint8)
    k = 10
    dist_fibre = np.empty(volume.shape, dtype=np.uint8)
    capped_squared_edt(volume, 1, dist_fibre, 5)
    far = np.rint(ndi.distance_transform_edt(volume == 0) ** 2) >= k + 1
    closed = (np.rint(ndi.distance_transform_edt(~far) ** 2) > k) & (volume == 0)
    hist = closing_pass(dist_fibre, np.uint8(k + 1), np.uint16(k), 4, 7, volume, True, 2, k + 2)
    assert 0 < closed.sum() < volume.size // 2
    assert np.array_equal(volume == 2, closed)
    squared = np.rint(ndi.distance_transform_edt(volume != 1) ** 2).astype(np.int64)
    assert (
        hist.tolist() == np.bincount(np.minimum(squared[closed], k + 1), minlength=k + 2).tolist()
    )


def test_detach_keeps_exactly_the_binder_linked_to_fibres():
    from generator.structure._binder_kernels import detach_floating_binder

    rng = np.random.default_rng(5)
    volume = np.zeros((20, 30, 40), dtype=np.uint8)
    volume[:, 10, 5:35] = 1  # a fibre
    volume[rng.random(volume.shape) < 0.25] = 2  # binder everywhere, chains and islands
    volume[:, 10, 5:35] = 1
    labels, _ = ndi.label(volume > 0, structure=np.ones((3, 3, 3)))
    linked = np.isin(labels, np.unique(labels[volume == 1])) & (volume == 2)
    expected_removed = int(np.count_nonzero(volume == 2) - linked.sum())
    assert expected_removed > 0 and linked.sum() > 0
    assert detach_floating_binder(volume) == expected_removed
    assert np.array_equal(volume == 2, linked)


def _compress_reference(volume, nz_out):
    """The documented column rule, one column at a time in plain numpy."""
    nz, ny, nx = volume.shape
    out = np.zeros((nz_out, ny, nx), dtype=volume.dtype)
    for j in range(ny):
        for i in range(nx):
            column = volume[:, j, i]
            solid = column[column != 0]
            if len(solid) > nz_out:
                pick = np.minimum(
                    len(solid) - 1, ((np.arange(nz_out) + 0.5) * len(solid) / nz_out).astype(int)
                )
                out[:, j, i] = solid[pick]
                continue
            alpha = (nz_out - len(solid)) / (nz - len(solid)) if len(solid) < nz else 0.0
            pores_below = np.cumsum(column == 0) - (column == 0)
            where = np.arange(len(solid)) + np.floor(alpha * pores_below[column != 0] + 0.5).astype(
                int
            )
            out[where, j, i] = solid
    return out


def test_compression_in_place_and_copied_match_the_column_rule():
    rng = np.random.default_rng(9)
    volume = rng.choice(np.array([0, 0, 0, 1, 2], dtype=np.uint8), size=(24, 7, 9))
    volume[:, 0, 0] = 1  # a column with more solid than room
    expected = _compress_reference(volume, 15)
    copied = np.empty((15, 7, 9), dtype=np.uint8)
    scaled = compress_columns(volume, copied)
    assert scaled == int(np.sum(np.count_nonzero(volume, axis=0) > 15)) >= 1
    assert np.array_equal(copied, expected)
    in_place = volume.copy()
    assert compress_columns(in_place, in_place[:15]) == scaled
    assert np.array_equal(in_place[:15], expected)


def test_count_labels_per_slice_matches_numpy():
    from generator.structure._raster_kernels import count_labels_per_slice

    volume = np.random.default_rng(2).integers(0, 5, (6, 33, 70)).astype(np.uint8)
    expected = [[np.count_nonzero(plane == label) for label in range(3)] for plane in volume]
    assert count_labels_per_slice(volume, 3).tolist() == expected


def test_compression_of_a_hand_counted_column():
    # 8 voxels -> 6: solid 3, pore 5, pore runs shrink by (6 - 3) / (8 - 3) = 0.6.
    # Solid at z=2 (2 pore below) -> 0 + round(1.2) = 1; z=3 -> 1 + 1 = 2;
    # z=6 (4 pore below) -> 2 + round(2.4) = 4.
    column = np.array([0, 0, 1, 1, 0, 0, 2, 0], dtype=np.uint8).reshape(8, 1, 1)
    out = np.empty((6, 1, 1), dtype=np.uint8)
    scaled = compress_columns(column, out)
    assert scaled == 0
    assert out.ravel().tolist() == [0, 1, 1, 0, 2, 0]


def test_compression_scales_a_column_with_more_solid_than_room():
    column = np.array([1, 1, 0, 2, 2, 2, 1, 0], dtype=np.uint8).reshape(8, 1, 1)
    out = np.empty((3, 1, 1), dtype=np.uint8)
    assert compress_columns(column, out) == 1
    # Solid sequence 1 1 2 2 2 1 (6 voxels) resampled to 3: elements 1, 3 and 5 -> 1, 2, 1.
    assert out.ravel().tolist() == [1, 2, 1]


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (2.0, 1.0, 1.5)])
def test_patch_segments_on_a_planar_front(spacing):
    # Behind the voxel, distances of a plane wave d = g . (y, x) (|g| < 1): the exact value one
    # slice ahead is d(centre) + hz sqrt(1 - |g|^2). A segment is a path, so it never goes
    # below that; a front along an axis or a diagonal lies on a spoke, where it is exact.
    from generator.tortuosity._geodesic.metrics import patch_constants, patch_segments_gathered

    hz, hy, hx = spacing
    constants = patch_constants(hy, hx, hz)
    rng = np.random.default_rng(12)
    ys, xs = np.mgrid[-1:2, -1:2]
    for trial in range(300):
        if trial < 3:
            # Along x, y and the diagonal, steep enough that the optimum is mid-spoke.
            angle, spoke = ((0.0, hx), (np.pi / 2, hy), (np.arctan2(hy, hx), np.hypot(hy, hx)))[
                trial
            ]
            ratio = 0.5 * spoke / hz
            g = ratio / np.sqrt(1 + ratio * ratio)
        else:
            angle = rng.uniform(0, 2 * np.pi)
            g = rng.uniform(0.05, 0.95)
        gy, gx = g * np.sin(angle), g * np.cos(angle)
        field = (20.0 + gy * ys * hy + gx * xs * hx).astype(np.float32)
        exact = 20.0 + hz * np.sqrt(1 - g * g)
        value = np.empty(1, dtype=np.float32)
        patch_segments_gathered(value, field.reshape(9, 1), 1, constants)
        value = value[0]
        if not np.isfinite(value):
            continue
        assert value >= exact - 1e-4 * exact
        if trial < 3:
            assert value == pytest.approx(exact, rel=1e-5)
