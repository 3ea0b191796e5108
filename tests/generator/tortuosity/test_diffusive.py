"""Diffusive tortuosity factor on known answers, against an independent sparse solve of the same
finite-volume system (scipy), and against TauFactor on a generator sample."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from generator.tortuosity import DiffusiveResult, diffusive_tortuosity

RTOL = 1e-6  # answers known exactly: the field converges to float32 precision (~3e-6)


def _tau(image, **kwargs) -> DiffusiveResult:
    kwargs.setdefault("rtol", 1e-5)
    return diffusive_tortuosity(image, **kwargs)


def _percolating(mask: np.ndarray, periodic=False) -> np.ndarray:
    """Pore face-connected to the first and the last slice along axis 0 (scipy.ndimage.label,
    labels that touch across the wrapped sides merged)."""
    from scipy import ndimage

    labels, count = ndimage.label(mask)
    if periodic:  # merge labels that touch across the wrapped sides (union-find)
        parent = np.arange(count + 1)

        def root(a):
            while parent[a] != a:
                a = parent[a]
            return a

        for one, other in ((labels[:, 0], labels[:, -1]), (labels[:, :, 0], labels[:, :, -1])):
            for a, b in zip(one.ravel(), other.ravel(), strict=True):
                if a and b:
                    parent[root(a)] = root(b)
        labels = np.array([root(a) for a in range(count + 1)])[labels]
    both = np.intersect1d(labels[0][labels[0] > 0], labels[-1][labels[-1] > 0])
    return np.isin(labels, both)


def _reference(mask: np.ndarray, spacing=(1.0, 1.0, 1.0), periodic=False) -> float:
    """D_eff / D_bulk from scipy.sparse assembly of the same finite volumes (flow along axis 0),
    on the pore face-connected to both faces (:func:`_percolating`)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    nz, ny, nx = mask.shape
    hz, hy, hx = spacing
    active = _percolating(mask, periodic)
    index = np.full(mask.shape, -1)
    n = int(active.sum())
    index[active] = np.arange(n)
    rows, cols, values = [], [], []
    diagonal = np.zeros(n)
    for axis, g in enumerate((1.0, (hz / hy) ** 2, (hz / hx) ** 2)):
        if mask.shape[axis] == 1:
            continue
        pair = active & np.roll(active, -1, axis=axis)
        if axis == 0 or not periodic:
            last = [slice(None)] * 3
            last[axis] = -1
            pair[tuple(last)] = False
        a, b = index[pair], np.roll(index, -1, axis=axis)[pair]
        rows += [a, b]
        cols += [b, a]
        values += [np.full(a.size, -g)] * 2
        np.add.at(diagonal, a, g)
        np.add.at(diagonal, b, g)
    first, last = index[0][active[0]], index[-1][active[-1]]
    np.add.at(diagonal, first, 2.0)
    np.add.at(diagonal, last, 2.0)
    matrix = sp.coo_matrix(
        (
            np.concatenate(values + [diagonal]),
            (np.concatenate(rows + [np.arange(n)]), np.concatenate(cols + [np.arange(n)])),
        ),
        shape=(n, n),
    ).tocsc()
    rhs = np.zeros(n)
    rhs[first] = 2.0
    c = spsolve(matrix, rhs)
    flux = float(np.sum(2.0 * (1.0 - c[first])))  # in units of gz
    return flux * nz / (ny * nx)


# --- known answers ------------------------------------------------------------------------


@pytest.mark.parametrize("axis", ["z", "y", "x"])
@pytest.mark.parametrize("boundary", ["no_flux", "periodic"])
def test_straight_channels_of_several_cross_sections_give_one(axis, boundary):
    shape = {"z": (9, 8, 7), "y": (8, 9, 7), "x": (8, 7, 9)}[axis]
    flow = "zyx".index(axis)
    plane = np.zeros([n for a, n in enumerate(shape) if a != flow], dtype=bool)
    plane[0, 0] = True  # one voxel
    plane[2:4, 1:4] = True  # 2 x 3
    plane[5:, 5:] = True  # an L touching the side
    plane[6, 0:3] = True
    image = np.expand_dims(plane, flow).repeat(shape[flow], axis=flow)
    result = _tau(image, axis=axis, boundary=boundary, rtol=RTOL)
    assert result.tau_factor == pytest.approx(1.0, rel=1e-5)
    assert result.effective_diffusivity == pytest.approx(image.mean(), rel=1e-5)
    assert result.porosity == image.mean()
    assert result.percolating_fraction == 1.0
    assert result.converged and result.relative_residual <= RTOL
    assert result.flux_balance <= 1e-5
    assert result.axis == flow


def test_parallel_channels_of_different_widths_add_up_to_the_porosity():
    image = np.zeros((12, 10, 16), dtype=bool)
    image[:, 1, 1] = True
    image[:, 3:5, 0:2] = True
    image[:, 6:10, 4:16] = True
    result = _tau(image, rtol=RTOL)
    assert result.effective_diffusivity == pytest.approx(image.mean(), rel=1e-5)
    assert result.tau_factor == pytest.approx(1.0, rel=1e-5)
    # flux in um: every pore column carries g = h_y h_x / h_z over the length (12 voxels)
    assert result.flux_in == pytest.approx(image[0].sum() / 12, rel=1e-5)


def test_a_channel_that_narrows_gives_the_series_sum_on_the_voxel_graph():
    # 4 slices of a 1 x 2 cross-section: both voxels open in slices 0-1, one in slices 2-3.
    # The open upper part holds c = u_a, u_b (columns a, b) per slice, the lower column c.
    # Solved by hand below (Kirchhoff's law at each of the 6 cells) with scipy's dense solve.
    image = np.zeros((4, 1, 2), dtype=bool)
    image[:2] = True
    image[2:, 0, 0] = True
    # unknowns: a0, b0, a1, b1, c2, c3 (conductance 1 between cells, 2 to a face)
    matrix = np.array(
        [
            [4, -1, -1, 0, 0, 0],  # a0: inlet 2, b0, a1
            [-1, 4, 0, -1, 0, 0],  # b0: inlet 2, a0, b1
            [-1, 0, 3, -1, -1, 0],  # a1: a0, b1, c2
            [0, -1, -1, 2, 0, 0],  # b1: b0, a1
            [0, 0, -1, 0, 2, -1],  # c2: a1, c3
            [0, 0, 0, 0, -1, 3],  # c3: c2, outlet 2
        ],
        dtype=float,
    )
    c = np.linalg.solve(matrix, [2, 2, 0, 0, 0, 0])
    flux = 2 * c[5]
    result = _tau(image, rtol=RTOL)
    assert result.effective_diffusivity == pytest.approx(flux * 4 / 2, rel=1e-5)
    assert result.tau_factor == pytest.approx(image.mean() / (flux * 2), rel=1e-5)
    assert result.flux_out == pytest.approx(flux, rel=1e-5)


def test_a_single_column_is_resistances_in_series():
    # 10 cells of h_z = 2 um, h_y = h_x = 1 um: 9 faces of resistance h_z / (h_y h_x) = 2 and
    # two half cells to the faces of resistance 1 each
    image = np.ones((10, 1, 1), dtype=bool)
    result = _tau(image, voxel_um=(2.0, 1.0, 1.0), rtol=RTOL)
    assert result.flux_in == pytest.approx(1 / 20, rel=1e-5)
    assert result.tau_factor == pytest.approx(1.0, rel=1e-5)
    assert result.length_um == 20.0


@pytest.mark.parametrize("boundary", ["no_flux", "periodic"])
def test_no_percolating_path_gives_inf_and_zero(boundary):
    blocked = np.ones((6, 5, 5), dtype=bool)
    blocked[3] = False
    cavity = np.zeros((6, 5, 5), dtype=bool)
    cavity[2:4, 1:4, 1:4] = True
    for image in (blocked, cavity):
        with pytest.warns(RuntimeWarning, match="no pore path"):
            result = _tau(image, boundary=boundary)
        assert result.tau_factor == float("inf")
        assert result.effective_diffusivity == 0.0
        assert result.percolating_fraction == 0.0
        assert result.to_dict()["tau_factor"] == "inf"
        json.dumps(result.to_dict())


def test_periodic_sides_connect_what_closed_sides_do_not():
    # Slice 0 open at x = 0, slice 1 at x = 0 and x = 3, slice 2 at x = 3: only the wrap
    # joins x = 3 to x = 0. A chain of 4 cells: R = 1/2 + 1 + 1 + 1 + 1/2 = 4.
    image = np.zeros((3, 1, 4), dtype=bool)
    image[0, 0, 0] = image[1, 0, 0] = image[1, 0, 3] = image[2, 0, 3] = True
    with pytest.warns(RuntimeWarning, match="no pore path"):
        assert _tau(image, boundary="no_flux").tau_factor == float("inf")
    result = _tau(image, boundary="periodic", rtol=RTOL)
    assert result.effective_diffusivity == pytest.approx(0.25 * 3 / 4, rel=1e-5)
    assert result.tau_factor == pytest.approx((4 / 12) / (0.25 * 3 / 4), rel=1e-5)


def test_periodic_and_closed_sides_agree_when_the_sides_are_solid():
    rng = np.random.default_rng(3)
    image = rng.random((14, 12, 13)) < 0.7
    image[:, 0] = False
    image[:, :, 0] = False
    closed = _tau(image, boundary="no_flux")
    wrapped = _tau(image, boundary="periodic")
    assert np.isfinite(closed.tau_factor)
    assert wrapped.tau_factor == pytest.approx(closed.tau_factor, rel=1e-5)
    # and they differ on the same image with open sides
    image = rng.random((14, 12, 13)) < 0.7
    assert abs(_tau(image, boundary="periodic").tau_factor / _tau(image).tau_factor - 1) > 1e-3


def test_pore_off_the_path_changes_the_porosity_only():
    image = np.zeros((10, 9, 9), dtype=bool)
    image[:, 4, 4] = True
    base = _tau(image, rtol=RTOL)
    pocket = image.copy()
    pocket[5, 4, 5:8] = True  # a dead end off the channel
    pocket[2:4, 0:2, 0:2] = True  # an isolated cavity
    result = _tau(pocket, rtol=RTOL)
    assert result.effective_diffusivity == pytest.approx(base.effective_diffusivity, rel=1e-5)
    assert result.tau_factor == pytest.approx(
        base.tau_factor * pocket.mean() / image.mean(), rel=1e-5
    )
    assert result.percolating_fraction == (10 + 3) / (10 + 3 + 8)


def test_anisotropic_voxels():
    image = np.zeros((8, 6, 6), dtype=bool)
    image[:, 1:3, 1:4] = True
    result = _tau(image, voxel_um=(3.0, 1.0, 2.0), rtol=RTOL)
    assert result.tau_factor == pytest.approx(1.0, rel=1e-5)
    # 6 columns of area 2 um^2 and length 24 um
    assert result.flux_in == pytest.approx(6 * 2 / 24, rel=1e-5)
    assert result.voxel_um == (3.0, 1.0, 2.0) and result.length_um == 24.0
    # the narrowing channel across x with h_x = 2 h_z: its lateral face conducts (h_z / h_x)^2
    rng = np.random.default_rng(5)
    random = rng.random((12, 10, 11)) < 0.65
    for spacing in ((1.0, 1.0, 2.0), (0.5, 1.5, 1.0)):
        expected = _reference(random, spacing)
        got = _tau(random, voxel_um=spacing, rtol=1e-5).effective_diffusivity
        assert got == pytest.approx(expected, rel=1e-5)


# --- an independent solve of the same system ----------------------------------------------


@pytest.mark.parametrize(
    ("shape", "boundary", "axis"),
    [
        ((20, 20, 20), "no_flux", "z"),
        ((20, 20, 20), "periodic", "z"),
        ((21, 19, 17), "periodic", "z"),  # odd wrapped sides: the general smoother
        ((18, 20, 21), "no_flux", "x"),
    ],
)
def test_matches_a_sparse_direct_solve(shape, boundary, axis):
    rng = np.random.default_rng(sum(shape))
    image = rng.random(shape) < 0.6
    result = _tau(image, boundary=boundary, axis=axis)
    flow = "zyx".index(axis)
    order = (flow,) + tuple(a for a in range(3) if a != flow)
    expected = _reference(np.transpose(image, order), periodic=boundary == "periodic")
    assert result.effective_diffusivity == pytest.approx(expected, rel=1e-5)
    assert result.tau_factor == pytest.approx(image.mean() / expected, rel=1e-5)
    assert result.converged and result.relative_residual <= 1e-5
    assert result.flux_balance <= result.flux_tolerance
    assert result.flux_in == pytest.approx(result.flux_out, rel=1e-3)
    assert 0.9 < result.percolating_fraction < 1.0


@pytest.mark.parametrize("boundary", ["no_flux", "periodic"])
def test_percolating_pore_as_scipy_labels_it(boundary):
    # near the percolation threshold of a random pore space: many clusters, a few spanning
    rng = np.random.default_rng(11)
    for porosity, shape in ((0.33, (24, 25, 23)), (0.45, (30, 12, 13)), (0.6, (9, 1, 7))):
        image = rng.random(shape) < porosity
        expected = _percolating(image, boundary == "periodic").sum() / image.sum()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # some do not percolate
            result = _tau(image, boundary=boundary)
        assert result.percolating_fraction == pytest.approx(expected, abs=1e-12)


def test_the_same_result_on_one_thread():
    import numba

    rng = np.random.default_rng(7)
    image = rng.random((24, 22, 20)) < 0.6
    both = _tau(image, adaptive_threads=False)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        one = _tau(image, adaptive_threads=False)
    finally:
        numba.set_num_threads(threads)
    assert one.tau_factor == both.tau_factor
    assert one.iterations == both.iterations


# --- inputs ---------------------------------------------------------------------------------


def test_pore_label_rule_and_bad_arguments():
    labels = np.ones((5, 4, 4), dtype=np.uint8)
    labels[:, 1:3, 1:3] = 0
    assert _tau(labels, pore_label=0).tau_factor == pytest.approx(1.0, rel=1e-4)
    with pytest.raises(ValueError, match="give the pore label"):
        diffusive_tortuosity(labels)
    with pytest.raises(ValueError, match="pore_label applies to label images"):
        diffusive_tortuosity(labels == 0, pore_label=0)
    with pytest.raises(ValueError, match="boundary='open'"):
        diffusive_tortuosity(labels, pore_label=0, boundary="open")
    with pytest.raises(ValueError, match="axis='w'"):
        diffusive_tortuosity(labels, pore_label=0, axis="w")
    with pytest.raises(ValueError, match="rtol"):
        diffusive_tortuosity(labels, pore_label=0, rtol=0)
    with pytest.raises(ValueError, match="flux_tolerance"):
        diffusive_tortuosity(labels, pore_label=0, flux_tolerance=-1)
    with pytest.raises(ValueError, match="no pore voxels"):
        diffusive_tortuosity(np.zeros((3, 3, 3), dtype=bool))


def test_refuses_what_does_not_fit_in_memory(monkeypatch):
    from generator._shared import guards

    monkeypatch.setattr(guards, "available_bytes", lambda: 1000)
    with pytest.raises(ValueError, match="diffusive tortuosity of 1e\\+03 voxels needs about"):
        diffusive_tortuosity(np.ones((10, 10, 10), dtype=bool))


def test_a_generator_sample_with_its_labels_and_the_result_record():
    from generator import generate

    sample = generate(domain=(60, 60), thickness_um=280, voxel_um=6, seed=2)
    result = _tau(sample.volume, pore_label=0)
    assert 1.0 < result.tau_factor < 5.0
    assert result.porosity == pytest.approx((sample.volume == 0).mean())
    assert result.iterations < 30
    record = json.loads(json.dumps(result.to_dict()))
    assert record["tau_factor"] == result.tau_factor and record["boundary"] == "no_flux"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when it converges
        for axis in "zyx":
            result = _tau(sample.volume, pore_label=0, axis=axis, boundary="periodic")
            assert result.converged and result.relative_residual <= 1e-5
            assert result.flux_balance <= result.flux_tolerance == 1e-3


# --- TauFactor, the peer ---------------------------------------------------------------------


@pytest.mark.parametrize("boundary", ["no_flux", "periodic"])
def test_agrees_with_taufactor_on_a_generator_sample(boundary):
    taufactor = pytest.importorskip("taufactor")
    from generator import generate

    volume = generate(domain=(120, 120), thickness_um=280, voxel_um=4, seed=1).volume
    ours = diffusive_tortuosity(volume, pore_label=0, boundary=boundary)
    solver_class = taufactor.PeriodicSolver if boundary == "periodic" else taufactor.Solver
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solver = solver_class((volume == 0).astype(np.uint8), device="cpu")  # flow: axis 0
        theirs = float(np.ravel(solver.solve(verbose=False))[0])
    assert ours.tau_factor == pytest.approx(theirs, rel=0.01)
