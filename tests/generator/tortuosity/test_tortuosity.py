"""Tortuosity on known answers first, then against the peer libraries."""

import json
import warnings

import dijkstra3d
import numpy as np
import pytest
import tifffile
from skimage.graph import MCP_Geometric

from generator import generate, geodesic_distance, geometric_tortuosity
from tests.cli_runner import generator_cli
from workflows.tortuosity_accuracy import exact_tau, slab_channel

METRICS = ("euclidean", "lattice")


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("spacing", [1.0, (2.0, 0.5, 1.5)])
def test_empty_box_is_exactly_one(metric, spacing):
    box = np.ones((17, 9, 11), dtype=bool)
    result = geometric_tortuosity(box, metric=metric, voxel_um=spacing)
    assert result.tau == 1.0 and result.tau_volume == 1.0
    hz = np.broadcast_to(spacing, (3,))[0]
    assert result.length_um == 16 * hz
    d = geodesic_distance(box, metric=metric, voxel_um=spacing)
    assert np.array_equal(d, np.broadcast_to((np.arange(17) * hz)[:, None, None], d.shape))


@pytest.mark.parametrize("alpha", [0, 10, 20, 26.565, 35, 45])
def test_euclidean_metric_on_slanted_channels_within_one_percent(alpha):
    pore = slab_channel(alpha)
    exact = exact_tau(pore)
    result = geometric_tortuosity(pore, metric="euclidean")
    assert result.tau == pytest.approx(exact, rel=0.01)


def test_lattice_metric_over_estimates_an_oblique_channel():
    # The 26-connected lattice pays its known detour at 26.6 degrees (exact ~1.10 here).
    pore = slab_channel(26.565)
    lattice = geometric_tortuosity(pore, metric="lattice").tau
    assert lattice > 1.05 * exact_tau(pore)


def cylinder_case(radius=15.0, nz=100, nx=121):
    zc, xc = 35.0, 60.0
    z, x = np.meshgrid(np.arange(nz), np.arange(nx), indexing="ij")
    dz, dx = z - zc, np.abs(x - xc)
    rho = np.hypot(dz, dx)
    pore2d = rho > radius
    # Analytic geodesic from the plane z = 0: straight up to the equator tangent point
    # (xc +- R, zc), along the arc, then the tangent segment to the point.
    with np.errstate(invalid="ignore", divide="ignore"):
        wrap = np.arctan2(dz, dx) - np.arccos(np.clip(radius / rho, -1, 1))
        around = zc + radius * wrap + np.sqrt(np.maximum(rho**2 - radius**2, 0))
    shadow = (dx < radius) & (dz > 0)
    exact = np.where(shadow & (wrap > 0), around, z.astype(float))
    return np.repeat(pore2d[:, None, :], 3, axis=1), exact, rho, shadow


def test_euclidean_metric_past_a_cylinder_within_one_percent():
    radius = 15.0
    pore, exact, rho, shadow = cylinder_case(radius)
    d = geodesic_distance(pore, metric="euclidean")[:, 1, :]
    # Away from the staircase surface of the voxelised cylinder.
    check = (rho > radius + 2) & (exact > 0)
    error = np.abs(d[check] - exact[check]) / exact[check]
    assert error.mean() < 0.01
    behind = check & shadow
    assert np.abs(d[behind] - exact[behind]).mean() / exact[behind].mean() < 0.01
    # The lattice, on the same case, is visibly worse behind the cylinder.
    lattice = geodesic_distance(pore, metric="lattice")[:, 1, :]
    assert np.abs(lattice[behind] - exact[behind]).mean() > np.abs(d[behind] - exact[behind]).mean()


@pytest.mark.parametrize("metric", METRICS)
def test_blocked_structure_gives_inf_with_a_warning(metric):
    image = np.ones((12, 8, 8), dtype=bool)
    image[6] = False
    with pytest.warns(RuntimeWarning, match="no pore path"):
        result = geometric_tortuosity(image, metric=metric)
    assert result.tau == np.inf and not result.percolating
    assert result.percolating_fraction == 0.0
    assert result.percolating_inlet_voxels == 0


def test_isolated_and_dead_end_pore_hand_counted():
    image = np.zeros((10, 9, 9), dtype=bool)
    image[:, 1, 1] = True  # a straight channel: 10 voxels, percolating
    image[4:6, 6:8, 6:8] = True  # a closed cavity: 8 isolated voxels
    image[0:3, 4, 4] = True  # a dead end from the inlet: 3 voxels, connected, not percolating
    result = geometric_tortuosity(image)
    assert result.isolated_pore_voxels == 8
    assert result.connected_fraction == pytest.approx(13 / 21)
    assert result.percolating_fraction == pytest.approx(10 / 21)
    assert result.inlet_pore_voxels == 2 and result.percolating_inlet_voxels == 1
    assert result.tau == 1.0


# The lattice is exact; the semi-Lagrangian scheme stops updating below 1e-4 relative
# (EUCLIDEAN_TOLERANCE) and breaks exact ties towards one side, so mirror images differ a little.
@pytest.mark.parametrize(("metric", "rel"), [("lattice", 1e-6), ("euclidean", 1e-4)])
def test_flipping_in_plane_axes_changes_nothing(metric, rel):
    rng = np.random.default_rng(4)
    image = rng.random((25, 30, 35)) < 0.65
    reference = geometric_tortuosity(image, metric=metric)
    for flipped in (image[:, ::-1, :], image[:, :, ::-1], image[:, ::-1, ::-1]):
        result = geometric_tortuosity(flipped, metric=metric)
        assert result.tau == pytest.approx(reference.tau, rel=rel)
        assert result.tau_volume == pytest.approx(reference.tau_volume, rel=rel)


def test_axis_option_matches_a_transposed_image():
    rng = np.random.default_rng(5)
    image = rng.random((20, 24, 28)) < 0.7
    along_x = geometric_tortuosity(image, axis="x", metric="lattice")
    transposed = geometric_tortuosity(np.transpose(image, (2, 1, 0)), axis="z", metric="lattice")
    assert along_x.tau == pytest.approx(transposed.tau, rel=1e-6)
    assert along_x.axis == 2


def peer_volumes():
    rng = np.random.default_rng(7)
    fibrous = (
        generate(
            domain=(120, 100), voxel_um=3.0, fiber_diameter_um=9, compression=0.0, seed=2
        ).volume
        == 0
    )
    return {
        "random porous": rng.random((24, 30, 26)) < 0.6,
        "dead ends and isolated pores": rng.random((20, 28, 28)) < 0.4,
        "fibrous": fibrous,
    }


@pytest.mark.parametrize("name", ["random porous", "dead ends and isolated pores", "fibrous"])
@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (2.0, 1.0, 1.5)])
def test_lattice_metric_equals_dijkstra3d_and_scikit_image(name, spacing):
    pore = peer_volumes()[name]
    ours = geodesic_distance(pore, metric="lattice", voxel_um=spacing)
    inlet = [tuple(int(c) for c in p) for p in np.argwhere(pore[:1])]
    peer = dijkstra3d.euclidean_distance_field(np.asfortranarray(pore), inlet, anisotropy=spacing)
    peer = np.where(pore, peer, np.inf)
    assert np.array_equal(np.isfinite(ours), np.isfinite(peer))
    finite = np.isfinite(peer)
    np.testing.assert_allclose(ours[finite], peer[finite], rtol=1e-5, atol=1e-5)
    costs = np.where(pore, 1.0, np.inf)
    cumulative, _ = MCP_Geometric(costs, fully_connected=True, sampling=spacing).find_costs(inlet)
    cumulative = np.where(pore, cumulative, np.inf)
    assert np.array_equal(np.isfinite(ours), np.isfinite(cumulative))
    np.testing.assert_allclose(ours[finite], cumulative[finite], rtol=1e-5, atol=1e-5)


def test_euclidean_is_below_lattice_and_above_straight_line():
    pore = peer_volumes()["random porous"]
    lattice = geodesic_distance(pore, metric="lattice")
    euclid = geodesic_distance(pore, metric="euclidean")
    finite = np.isfinite(lattice)
    assert np.array_equal(finite, np.isfinite(euclid))
    assert np.all(euclid[finite] <= lattice[finite] * (1 + 1e-6))
    straight = np.broadcast_to(np.arange(pore.shape[0])[:, None, None], pore.shape)
    assert np.all(euclid[finite] >= straight[finite] * (1 - 1e-6))


def run_cli(*args):
    # In this process (tests/cli_runner.py): the reading and the errors are the command's own;
    # a fresh interpreter per call only paid the imports again.
    return generator_cli("tortuosity", *args)


def test_cli_reads_npy_tif_and_h5(tmp_path, small_sample):
    rng = np.random.default_rng(8)
    binary = (rng.random((15, 20, 20)) < 0.7).astype(np.uint8)  # 1 = pore
    np.save(tmp_path / "a.npy", binary)
    tifffile.imwrite(tmp_path / "a.tif", binary)
    np.save(tmp_path / "mask.npy", binary.astype(bool))
    expected = geometric_tortuosity(binary.astype(bool)).tau
    solid_tau = geometric_tortuosity(binary == 0).tau
    for name in ("a.npy", "a.tif"):
        # 0/1 images: which is pore is named, never guessed (PoreSpy: 1; PuMA, GeoDict: 0).
        refused = run_cli(tmp_path / name)
        assert refused.returncode == 2
        assert f"pore 0 gives porosity {np.mean(binary == 0):.3f}" in refused.stderr
        assert f"pore 1 gives {np.mean(binary == 1):.3f}" in refused.stderr
        done = run_cli(tmp_path / name, "--pore-label", "1")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["tau"] == pytest.approx(expected)
        puma = run_cli(tmp_path / name, "--pore-label", "0")
        assert json.loads(puma.stdout)["tau"] == pytest.approx(solid_tau)
    done = run_cli(tmp_path / "mask.npy")  # a boolean mask: True is pore
    assert json.loads(done.stdout)["tau"] == pytest.approx(expected)
    assert json.loads(done.stdout)["axis"] == "z" and json.loads(done.stdout)["axis_index"] == 0
    along_x = json.loads(run_cli(tmp_path / "mask.npy", "--axis", "x").stdout)
    assert along_x["axis"] == "x" and along_x["axis_index"] == 2
    assert along_x["tau"] == pytest.approx(geometric_tortuosity(binary.astype(bool), axis=2).tau)
    small_sample.to_hdf5(tmp_path / "s.h5")
    done = run_cli(tmp_path / "s.h5", "--metric", "lattice")
    result = json.loads(done.stdout)
    assert result["pore_label"] == 0 and result["voxel_um"] == [4.0, 4.0, 4.0]
    with warnings.catch_warnings():
        expected = geometric_tortuosity(
            small_sample.volume, metric="lattice", voxel_um=4.0, pore_label=0
        )
    assert result["tau"] == pytest.approx(expected.tau)


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("labels", [], "holds 3 value(s) ([0, 1, 2]): give the pore label"),
        ("labels", ["--pore-label", "7"], "pore label 7 does not occur"),
        ("solid", [], "no pore voxels"),
        ("garbage", [], "could not be read"),
        ("missing", [], "no image file"),
    ],
)
def test_cli_errors_are_one_line_with_exit_2(tmp_path, content, args, message):
    path = tmp_path / "x.npy"
    if content == "labels":
        np.save(path, np.arange(3 * 4 * 5).reshape(3, 4, 5) % 3)
    elif content == "solid":
        np.save(path, np.zeros((4, 4, 4), dtype=bool))
    elif content == "garbage":
        path.write_bytes(b"not an array")
    done = run_cli(path, *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_cli_diffusive_method_on_channels_with_known_answers(tmp_path):
    """A straight square channel: tau_factor 1 and D_eff/D the porosity (9 of 64 voxels a
    slice) along its axis, no path across it; a bad --method or --boundary is one line."""
    from tests.cli_runner import generator_cli

    mask = np.zeros((12, 8, 8), dtype=bool)
    mask[:, 2:5, 2:5] = True
    np.save(tmp_path / "channel.npy", mask)
    done = generator_cli("tortuosity", tmp_path / "channel.npy", method="diffusive")
    along = json.loads(done.stdout)
    assert along["method"] == "diffusive" and along["axis"] == "z"
    assert along["tau_factor"] == pytest.approx(1.0, rel=1e-4)
    assert along["effective_diffusivity"] == pytest.approx(9 / 64, rel=1e-4)
    across = generator_cli(
        "tortuosity", tmp_path / "channel.npy", method="diffusive", boundary="periodic", axis="x"
    )
    assert across.returncode == 0 and json.loads(across.stdout)["tau_factor"] == "inf"
    for bad in (dict(method="fick"), dict(method="diffusive", boundary="wrap")):
        done = generator_cli("tortuosity", tmp_path / "channel.npy", **bad)
        assert done.returncode == 2 and done.stderr.count("\n") == 1
        assert ("--method 'fick'" if "fick" in bad.values() else "--boundary 'wrap'") in done.stderr


@pytest.mark.parametrize("metric", METRICS)
def test_overwrite_input_gives_the_same_tau_and_leaves_other_images_alone(metric):
    volume = generate(domain=(120, 120), thickness_um=280, voxel_um=6, seed=3).volume
    copied = geometric_tortuosity(volume, metric=metric, pore_label=0, voxel_um=6.0)
    mask = volume == 0
    in_place = geometric_tortuosity(mask, metric=metric, voxel_um=6.0, overwrite_input=True)
    assert in_place.summary() == copied.summary()
    # A label image, or a mask along another axis, is copied: it comes back as it was.
    before = volume.copy()
    geometric_tortuosity(volume, metric=metric, pore_label=0, voxel_um=6.0, overwrite_input=True)
    assert np.array_equal(volume, before)
    mask = volume == 0
    geometric_tortuosity(mask, axis="x", metric=metric, voxel_um=6.0, overwrite_input=True)
    assert np.array_equal(mask, before == 0)


@pytest.mark.parametrize("metrics", [("euclidean", "lattice"), ("lattice", "euclidean")])
def test_by_metric_on_one_prepared_copy_gives_each_metrics_own_result(metrics):
    from generator.tortuosity.geometric import geometric_tortuosity_by_metric

    # Tortuous, with the longer in-plane axis last: the solver lays it out as rows (a copy).
    # A flag left in the shared pore array by the first metric would change the second's.
    pore = np.random.default_rng(11).random((18, 24, 60)) < 0.45
    for image, overwrite in ((pore, False), (np.ascontiguousarray(pore[:, :, :30]), True)):
        alone = [geometric_tortuosity(image.copy(), metric=m, voxel_um=2.0) for m in metrics]
        shared = list(
            geometric_tortuosity_by_metric(image, metrics, voxel_um=2.0, overwrite_input=overwrite)
        )
        for one, other in zip(alone, shared, strict=True):
            assert other.summary() == one.summary()
            assert np.array_equal(other.path_lengths_um, one.path_lengths_um)
    with pytest.raises(ValueError, match="metric='geodesic' is not one of"):
        geometric_tortuosity_by_metric(pore, ("lattice", "geodesic"))
    with pytest.raises(ValueError, match="metrics is empty"):
        geometric_tortuosity_by_metric(pore, ())
    (lattice,) = geometric_tortuosity_by_metric(pore, "lattice")  # a name, not its letters
    assert lattice.metric == "lattice"
