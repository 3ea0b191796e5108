"""The structure and tortuosity figures, checked on the drawn matplotlib objects and the PNG:
layouts follow the domain's shape, no slice is a thin strip, every axis says its quantity and
unit (µm, never um), legends sit outside the data, the phase legend is a legend, and the title
carries the sample's parameters. Drawing
never touches the caller's matplotlib backend. Each figure is drawn once and looked at by
several tests."""

import re

import matplotlib
import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.text import Text

from generator import generate, geometric_tortuosity
from generator._shared.phases import PHASES, PORE
from generator.viz.figures import (
    DPI,
    FIGURE_WIDTH_IN,
    PHASE_COLOURS,
    describe_parameters,
    plot_sample,
    plot_tortuosity,
    plot_volume,
    sample_figure,
    tortuosity_figure,
    volume_figure,
)

THINNEST_PX = 100  # no slice or map drawn less than this many pixels across


@pytest.fixture(scope="module")
def square_sample():
    # The 1000 preset at 8 µm: 125 x 125 x 30 voxels.
    return generate(domain="1000", voxel_um=8.0, seed=1, compression=0.2)


@pytest.fixture(scope="module")
def samples(small_sample, square_sample):
    return {"200": small_sample, "1000": square_sample}


def _tortuosity(sample, axis="z"):
    return geometric_tortuosity(sample.volume, axis=axis, voxel_um=sample.voxel_um, pore_label=PORE)


@pytest.fixture(scope="module")
def tortuosities(small_sample, square_sample):
    """Through-plane on both domains, in-plane on the elongated one."""
    return {
        "200": _tortuosity(small_sample),
        "1000": _tortuosity(square_sample),
        "200 x": _tortuosity(small_sample, axis="x"),
    }


@pytest.fixture(scope="module")
def drawn(samples, square_sample, tortuosities, tmp_path_factory):
    """Every figure and PNG the tests look at, each drawn once, while the caller (this
    module) has set the svg backend, as a notebook or a GUI sets its own: what the backend and
    pyplot were afterwards is kept for the test of that."""
    import matplotlib.pyplot as plt

    folder = tmp_path_factory.mktemp("pngs")
    caption = describe_parameters(square_sample.parameters.as_dict())
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        out = {
            "sample": {domain: sample_figure(sample) for domain, sample in samples.items()},
            "sample png": plot_sample(samples["200"], folder / "s200.png"),
            "volume": volume_figure(
                square_sample.volume, voxel_um=8.0, title="gdl1000 sample 0", caption=caption
            ),
            "caption": caption,
            "volume png": plot_volume(
                np.random.default_rng(0).integers(0, 3, (6, 12, 40), dtype=np.uint8),
                folder / "v.png",
                voxel_um=2.0,
                title="noise",
            ),
            "tortuosity": {
                "200": tortuosity_figure(tortuosities["200"], title="s200.h5"),
                "1000": tortuosity_figure(tortuosities["1000"]),
                "200 x": tortuosity_figure(tortuosities["200 x"]),
            },
            "tortuosity png": plot_tortuosity(tortuosities["1000"], folder / "t.png"),
            "backend": matplotlib.get_backend(),
            "pyplot figures": plt.get_fignums(),
        }
    finally:
        matplotlib.use(before)
    return out


def _boxes(fig):
    """Pixel boxes of the axes as drawn (after the equal-aspect adjustment)."""
    fig.draw_without_rendering()  # a Figure made without pyplot has no backend to draw with
    every = [*fig.axes, *(child for ax in fig.axes for child in ax.child_axes)]
    return {ax: ax.get_window_extent() for ax in every}


def _image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


@pytest.mark.parametrize("domain", ["200", "1000"])
def test_sample_figure_labels_legend_and_parameters(samples, drawn, domain):
    sample, fig = samples[domain], drawn["sample"][domain]
    images = _image_axes(fig)
    assert len(images) == 3  # three orthogonal slices
    for ax in images:
        assert ax.get_title()
        assert "(µm)" in ax.get_xlabel() and "(µm)" in ax.get_ylabel()
        # The phase names live in the legend, not in titles.
        assert not any(name in ax.get_title() for name in PHASES)
    for ax in fig.axes:
        assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), ax.get_title()
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == list(PHASES)
    title = fig.get_suptitle()
    p = sample.parameters
    for text in (
        f"domain {domain}",
        f"voxel {sample.voxel_um:g} µm",
        f"seed {sample.seed}",
        f"fibre diameter {p.fiber_diameter_um:g} µm",
        f"fibre fraction {p.fiber_fraction:.3f}",
        f"binder fraction {p.binder_fraction:.3f}",
        f"thickness {p.thickness_um:g} µm",
        f"compression {p.compression:.2f}",
    ):
        assert text in title, (text, title)


@pytest.mark.parametrize("domain", ["200", "1000"])
def test_no_slice_is_a_thin_strip_or_distorted(drawn, domain):
    fig = drawn["sample"][domain]
    boxes = _boxes(fig)
    for ax in _image_axes(fig):
        box = boxes[ax]
        assert min(box.width, box.height) >= THINNEST_PX, (ax.get_title(), box)
        # Drawn at the physical aspect: µm per pixel the same both ways.
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        assert box.height / box.width == pytest.approx((y1 - y0) / (x1 - x0), rel=0.03)
        # And the row is as tall as the slice: no box of white space around a strip.
        slot = ax.get_position(original=True).height * fig.get_figheight() * fig.dpi
        assert box.height == pytest.approx(slot, rel=0.05, abs=3), ax.get_title()


def test_elongated_domain_stacks_slices_square_domain_sets_them_side_by_side(drawn):
    fig = drawn["sample"]["200"]  # 2000 x 200 µm
    boxes = _boxes(fig)
    in_plane, long_section, cross_section = _image_axes(fig)
    width = fig.get_figwidth() * fig.dpi
    for ax in (in_plane, long_section):
        assert boxes[ax].width > 0.8 * width  # a full-width row each
    assert boxes[in_plane].y0 > boxes[long_section].y1  # stacked, in-plane on top
    assert boxes[cross_section].y1 < boxes[long_section].y0

    fig = drawn["sample"]["1000"]  # 1000 x 1000 µm
    boxes = _boxes(fig)
    in_plane, xz, yz = _image_axes(fig)
    (profile,) = [ax for ax in fig.axes if not ax.images]
    assert boxes[in_plane].x1 < boxes[profile].x0  # side by side
    assert boxes[in_plane].width == pytest.approx(boxes[in_plane].height, rel=0.03)
    assert boxes[xz].x1 < boxes[yz].x0
    assert boxes[xz].width == pytest.approx(boxes[in_plane].width, rel=0.03)


def test_plot_sample_writes_a_png_of_the_figure_size(drawn):
    height, width = mpimg.imread(drawn["sample png"]).shape[:2]
    assert width == round(FIGURE_WIDTH_IN * DPI)
    assert (width, height) == tuple(
        round(v * DPI) for v in drawn["sample"]["200"].get_size_inches()
    )
    # Both domains fit a page: wider than tall, and never a mostly empty canvas.
    for fig in drawn["sample"].values():
        width, height = fig.get_size_inches()
        assert 0.5 * width < height < width


def test_volume_figure_of_a_bare_volume_with_a_caption(square_sample, drawn):
    caption = drawn["caption"]
    assert caption == describe_parameters(square_sample.parameters)
    fig = drawn["volume"]
    assert fig.get_suptitle() == f"gdl1000 sample 0\n{caption}"
    assert len(_image_axes(fig)) == 3 and len(fig.legends) == 1
    with pytest.raises(ValueError, match="3D"):
        volume_figure(square_sample.volume[0], voxel_um=8.0)


def test_drawing_leaves_the_callers_backend_and_pyplot_alone(drawn):
    # Every figure and PNG of this module was made on the caller's svg backend, which stayed
    # as it was; pyplot, which the caller may use, holds none of them.
    assert drawn["backend"] == "svg"
    assert drawn["pyplot figures"] == []
    assert mpimg.imread(drawn["volume png"]).shape[1] == round(FIGURE_WIDTH_IN * DPI)


def _colour_bar_axes(fig, face):
    """The colour bar of the map's image (a figure axes or an inset of the map)."""
    bar = face.images[0].colorbar
    return [bar.ax] if bar is not None else []


def test_tortuosity_map_of_an_elongated_face_fills_the_width(drawn):
    fig = drawn["tortuosity"]["200"]
    boxes = _boxes(fig)
    (face,) = _image_axes(fig)
    (bar,) = _colour_bar_axes(fig, face)
    assert boxes[face].width > 0.8 * fig.get_figwidth() * fig.dpi
    assert boxes[face].height >= THINNEST_PX
    # A horizontal colour bar under the map, no wider than it.
    assert boxes[bar].width > boxes[bar].height
    assert boxes[bar].y1 < boxes[face].y0 and boxes[bar].width <= boxes[face].width + 1
    slot = face.get_position(original=True).height * fig.get_figheight() * fig.dpi
    assert boxes[face].height == pytest.approx(slot, rel=0.05, abs=3)
    assert "(µm)" in face.get_xlabel() and "(µm)" in face.get_ylabel()
    assert bar.get_xlabel().strip()
    assert fig.get_suptitle().startswith("s200.h5\n")


def test_tortuosity_colour_bar_is_as_tall_as_a_square_map(tortuosities, drawn):
    result = tortuosities["1000"]
    fig = drawn["tortuosity"]["1000"]
    boxes = _boxes(fig)
    (face,) = _image_axes(fig)
    (bar,) = _colour_bar_axes(fig, face)
    (histogram,) = [ax for ax in fig.axes if ax not in (face, bar)]
    assert boxes[bar].height == pytest.approx(boxes[face].height, abs=2)
    assert 0 <= boxes[bar].x0 - boxes[face].x1 < 0.05 * boxes[face].width  # beside it
    assert boxes[bar].width < 0.1 * boxes[face].width
    assert boxes[bar].x1 < boxes[histogram].x0
    assert boxes[face].width == pytest.approx(boxes[face].height, rel=0.03)
    for ax in (face, histogram):
        assert ax.get_xlabel().strip() and ax.get_ylabel().strip()
    assert bar.get_ylabel().strip()
    # τ to 4 significant digits (3 decimals between 1 and 10), not 6-8.
    assert f"τ = {result.tau:.3f}," in fig.get_suptitle()
    assert f"{result.tau:.4f}" not in fig.get_suptitle()
    height, width = mpimg.imread(drawn["tortuosity png"]).shape[:2]
    assert 0.4 * width < height < width


def test_tortuosity_map_of_an_in_plane_flow_names_its_axes(small_sample, drawn):
    fig = drawn["tortuosity"]["200 x"]
    (face,) = _image_axes(fig)
    assert face.get_xlabel() == "y (µm)" and face.get_ylabel() == "z (µm)"
    (x0, x1), (y0, y1) = face.get_xlim(), face.get_ylim()
    nz, ny, _ = small_sample.volume.shape
    assert (x1 - x0, y1 - y0) == pytest.approx((ny * 4.0, nz * 4.0))


def test_phase_colours_reach_the_png(drawn):
    rgb = (mpimg.imread(drawn["sample png"])[..., :3] * 255).round()
    for colour in PHASE_COLOURS:
        wanted = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
        assert np.any(np.all(rgb == wanted, axis=-1)), colour


# "um" written as a unit or a suffix (um, 1/um, thickness_um), not inside a word (maximum).
ASCII_MICRO = re.compile(r"(?<![A-Za-z])um(?![A-Za-z])")


@pytest.fixture(scope="module")
def rendered(drawn):
    """Per figure (each drawn once more): its texts, and the boxes of each axes' legend and
    data area with the canvas's."""
    out = []
    for fig in [*drawn["sample"].values(), drawn["volume"], *drawn["tortuosity"].values()]:
        fig.draw_without_rendering()
        legends = [
            (ax.get_title(), ax.get_legend().get_window_extent(), ax.get_window_extent())
            for ax in fig.axes
            if ax.get_legend() is not None
        ]
        texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
        out.append((texts, legends, fig.bbox))
    return out


def test_every_text_writes_micrometres_as_um_with_the_micro_sign(rendered):
    for texts, _, _ in rendered:
        assert any("µm" in t for t in texts)
        assert [t for t in texts if ASCII_MICRO.search(t)] == []


def test_axes_legends_sit_outside_the_data(rendered):
    for _, legends, canvas in rendered:
        for title, box, data in legends:
            assert not box.overlaps(data), (title, box, data)
            # ... and inside the canvas: constrained layout made room for it.
            assert box.x1 <= canvas.x1 + 1 and box.y0 >= canvas.y0 - 1, title
    # The phase profile of 3 sample figures and the histogram of 3 tortuosity figures.
    assert sum(len(legends) for _, legends, _ in rendered) == 6


def test_measured_fractions_are_written_to_three_decimals(square_sample, drawn):
    before = square_sample.fractions["before_compression"]
    title = drawn["sample"]["1000"].get_suptitle()
    assert f"fibre {before['fibre']:.3f}, binder {before['binder']:.3f};" in title


def test_a_design_rows_parameters_are_written_to_three_significant_digits():
    # A sweep's design draws 9.92209 µm and 318.871 µm; titles carry 9.92 and 319.
    row = {
        "fiber_diameter_um": 9.92209,
        "fiber_fraction": 0.225613,
        "binder_fraction": 0.0604871,
        "thickness_um": 318.871,
        "compression": 0.481234,
    }
    assert describe_parameters(row) == (
        "fibre diameter 9.92 µm, fibre fraction 0.226, binder fraction 0.060, "
        "thickness 319 µm before compression, compression 0.48"
    )
