"""The fibre directions as a distribution, against laws computed here independently.

The generator claims a Poisson line process whose length-weighted direction law is the
documented one: in-plane angle ``phi`` with density ``(1 + a cos 2phi)/pi``, tilt ``theta``
uniform on ``[-theta_max, theta_max]``. Two consequences are checked that do not reuse the
generator's sampling formulas:

* the lines that hit a convex box are distributed as ``nu(d) A(d)``, ``A`` the box's projected
  area along ``d`` (Cauchy-Crofton), so the *count* of fibres per direction follows that law
  (KS tests on phi and theta);
* the mean chord of the hitting lines is ``V / E_nu[A]``, which fixes the expected number of
  fibres for a given total length.

Plus the length-weighted phi histogram and moments per sample, T33 at relative tolerance, and a
check from the voxels alone (in-plane gradient orientations of the rasterised fibres).
"""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy import ndimage as ndi

from generator.structure._orientation import DEFAULT_ORIENTATION, tilt_limit
from generator.structure.fibres import FibreStream
from generator.structure.generate import place_fibres
from generator.structure.parameters import DOMAIN_PRESETS, voxel_shape

SEEDS = range(8)
RADIUS_UM = 4.5  # the mid-range 9 um fibre
FRACTION = 0.175
THICKNESS_UM = 300.0


def box_of(domain: str) -> np.ndarray:
    return np.array([*DOMAIN_PRESETS[domain], THICKNESS_UM])


def projected_area(phi, theta, box):
    """Area of the box's shadow along direction (phi, theta)."""
    lx, ly, lz = box
    return (
        np.abs(np.cos(theta) * np.cos(phi)) * ly * lz
        + np.abs(np.cos(theta) * np.sin(phi)) * lx * lz
        + np.abs(np.sin(theta)) * lx * ly
    )


def placed_fibres(domain, seed, stratify, voxel_um=4.0, orientation=DEFAULT_ORIENTATION):
    shape = voxel_shape(DOMAIN_PRESETS[domain], THICKNESS_UM, voxel_um)
    volume, fibres = place_fibres(
        shape, voxel_um, RADIUS_UM, FRACTION, orientation, seed, stratify=stratify
    )
    return volume, fibres


def angles(fibres):
    d = fibres.direction
    return np.mod(np.arctan2(d[:, 1], d[:, 0]), np.pi), np.arcsin(d[:, 2])


@pytest.fixture(scope="module")
def fibre_lists():
    return {
        (domain, stratify): [placed_fibres(domain, seed, stratify)[1] for seed in SEEDS]
        for domain in DOMAIN_PRESETS
        for stratify in (True, False)
    }


@pytest.mark.parametrize("domain", list(DOMAIN_PRESETS))
def test_length_weighted_phi_histogram_is_uniform(fibre_lists, domain):
    # Every 15 degree bin within 5 % of uniform, mean over 8 seeds (the best-of-4 candidate
    # selection this replaced gave 0.29-1.66 on the 200 domain).
    shares = []
    for fibres in fibre_lists[domain, True]:
        phi, _ = angles(fibres)
        share, _ = np.histogram(phi, bins=12, range=(0, np.pi), weights=fibres.length)
        shares.append(12 * share / share.sum())
    mean_share = np.mean(shares, axis=0)
    assert np.all(np.abs(mean_share - 1) <= 0.05), mean_share


@pytest.mark.parametrize("domain", list(DOMAIN_PRESETS))
def test_per_sample_twofold_and_fourfold_moments_vanish(fibre_lists, domain):
    for fibres in fibre_lists[domain, True]:
        phi, _ = angles(fibres)
        w = fibres.length / fibres.length.sum()
        assert abs(w @ np.cos(2 * phi)) <= 0.02
        assert abs(w @ np.cos(4 * phi)) <= 0.02


@pytest.mark.parametrize("stratify", [True, False])
@pytest.mark.parametrize("domain", list(DOMAIN_PRESETS))
def test_t33_within_5_percent_of_target(fibre_lists, domain, stratify):
    t33 = [f.orientation_tensor()[2, 2] for f in fibre_lists[domain, stratify]]
    assert np.mean(t33) == pytest.approx(DEFAULT_ORIENTATION[2], rel=0.05)


@pytest.mark.parametrize("stratify", [True, False])
@pytest.mark.parametrize("domain", list(DOMAIN_PRESETS))
def test_count_of_fibres_per_direction_follows_the_hitting_law(fibre_lists, domain, stratify):
    box = box_of(domain)
    theta_max = tilt_limit(DEFAULT_ORIENTATION[2])
    hits = fibre_lists[domain, stratify]
    phi = np.concatenate([angles(f)[0][f.length > 0] for f in hits])
    theta = np.concatenate([angles(f)[1][f.length > 0] for f in hits])
    # Marginal hitting densities: nu(phi, theta) A(phi, theta), nu uniform in both here.
    phi_grid = np.linspace(0, np.pi, 2001)
    theta_grid = np.linspace(-theta_max, theta_max, 401)
    area = projected_area(phi_grid[:, None], theta_grid[None, :], box)
    phi_cdf = integrate.cumulative_trapezoid(area.mean(axis=1), phi_grid, initial=0)
    theta_cdf = integrate.cumulative_trapezoid(area.mean(axis=0), theta_grid, initial=0)
    phi_p = stats.kstest(phi, lambda x: np.interp(x, phi_grid, phi_cdf / phi_cdf[-1])).pvalue
    theta_p = stats.kstest(
        theta, lambda x: np.interp(x, theta_grid, theta_cdf / theta_cdf[-1])
    ).pvalue
    assert phi_p > 1e-3 and theta_p > 1e-3, (phi_p, theta_p)


def test_the_hitting_law_test_sees_a_fourfold_artefact():
    # The KS test above is sensitive enough: thinning the directions near the axes by a
    # fourfold factor as mild as the old 1000-domain artefact is rejected.
    box = box_of("1000")
    rng = np.random.default_rng(0)
    fibres = [placed_fibres("1000", seed, False)[1] for seed in range(4)]
    phi = np.concatenate([angles(f)[0][f.length > 0] for f in fibres])
    keep = rng.random(len(phi)) < 1 - 0.3 * np.cos(2 * phi) ** 2
    phi = phi[keep]
    grid = np.linspace(0, np.pi, 2001)
    theta = np.linspace(-0.15, 0.15, 101)
    cdf = integrate.cumulative_trapezoid(
        projected_area(grid[:, None], theta[None], box).mean(axis=1), grid, initial=0
    )
    assert stats.kstest(phi, lambda x: np.interp(x, grid, cdf / cdf[-1])).pvalue < 1e-3


@pytest.mark.parametrize("domain", list(DOMAIN_PRESETS))
def test_fibre_count_is_that_of_the_line_process(domain):
    # E[count] = (total length) / (mean chord) with mean chord V / E_nu[A] (Cauchy-Crofton).
    box = box_of(domain)
    theta_max = tilt_limit(DEFAULT_ORIENTATION[2])
    phi, theta = np.meshgrid(
        np.linspace(0, np.pi, 721), np.linspace(-theta_max, theta_max, 201), indexing="ij"
    )
    mean_area = projected_area(phi, theta, box).mean()
    length = 1.5e5 if domain == "200" else 3e5
    expected = length * mean_area / np.prod(box)
    counts = {}
    for stratify in (True, False):
        counts[stratify] = np.mean(
            [
                np.count_nonzero(
                    FibreStream(box, RADIUS_UM, DEFAULT_ORIENTATION, seed, stratify=stratify).take(
                        np.pi * RADIUS_UM**2 * length
                    )[:, 6]
                    > 0
                )
                for seed in range(16)
            ]
        )
        assert counts[stratify] == pytest.approx(expected, rel=0.03)
    assert counts[True] == pytest.approx(counts[False], rel=0.03)


@pytest.mark.parametrize(("domain", "seed"), [("200", 3), ("1000", 4)])
def test_voxels_alone_show_no_preferred_in_plane_direction(domain, seed):
    # The in-plane gradient of the fibre indicator points across each fibre (phi + 90 deg),
    # weighted by surface; its fourfold moment is the fibres' own, with no fibre list used.
    # The replaced model gave -0.20 to -0.26 (200) and -0.14 to -0.15 (1000) here.
    volume, _ = placed_fibres(domain, seed, True, voxel_um=2.0)
    fibre = (volume == 1).astype(np.float32)
    gx = ndi.gaussian_filter(fibre, 1.0, order=(0, 0, 1))
    gy = ndi.gaussian_filter(fibre, 1.0, order=(0, 1, 0))
    weight = np.hypot(gx, gy)
    psi = np.arctan2(gy, gx)
    assert abs(np.sum(weight * np.cos(4 * psi)) / weight.sum()) <= 0.03
    assert abs(np.sum(weight * np.cos(2 * psi)) / weight.sum()) <= 0.04


@pytest.mark.parametrize("stratify", [True, False])
def test_custom_target_tensor_is_met_on_average(stratify):
    target = (0.6, 0.38, 0.02)
    diagonals = [
        np.diag(placed_fibres("1000", seed, stratify, orientation=target)[1].orientation_tensor())
        for seed in SEEDS
    ]
    assert np.mean(diagonals, axis=0) == pytest.approx(target, rel=0.05)
