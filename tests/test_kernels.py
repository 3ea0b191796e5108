"""Kernels against independent references: brute-force geometry and scipy's EDT."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from generator._compression_kernels import compress_columns
from generator._edt_kernels import capped_squared_edt
from generator._raster_kernels import draw_cylinders


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
