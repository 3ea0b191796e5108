"""Pictures of a sample and of its tortuosity.

Public API
----------
plot_sample, sample_figure
    Three orthogonal mid-plane slices coloured by phase and the through-plane phase profile,
    the sample's parameters in the title.
plot_volume, volume_figure
    The same picture of a bare label volume (a dataset's sample), with a caller's title.
plot_tortuosity, tortuosity_figure
    A :class:`~generator.tortuosity.geometric.TortuosityResult`: the outlet-face map and the
    distribution
    of path lengths.
describe_parameters
    One line naming the five manufacturing parameters with their units.

``plot_*`` save a PNG and return its path; ``*_figure`` return the matplotlib figure (for a
notebook, or to check what is drawn). Figures are :class:`matplotlib.figure.Figure` objects
made without pyplot: drawing one neither needs nor changes the caller's backend, and pyplot
never holds on to them (nothing to close). Each public function needs the ``viz`` extra and
says so in one line when matplotlib is missing. Every length axis is in µm. The layout follows the
physical shape of what is drawn: an elongated domain (the ``200`` preset, 2000 × 200 µm) gets
slices stacked in full-width rows, a square one (``1000``, 1000 × 1000 µm) the in-plane slice
beside the through-plane slices; colour bars are sized to their map.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator._shared.extras import require_extra
from generator._shared.phases import PHASES
from generator.viz.style import format_value, legend_outside

PHASE_COLOURS = ("#f4f1e8", "#2b2b2b", "#2f8fce")  # pore, fibre, binder: slice colours
# The pore's slice colour is too light for a line on white: the profile draws it darker.
PROFILE_COLOURS = ("#b08d3c", PHASE_COLOURS[1], PHASE_COLOURS[2])
# From this ratio of the long to the short side of a picture, panels are stacked in rows.
ELONGATED = 2.0
FIGURE_WIDTH_IN = 13.0
DPI = 110


@dataclass(frozen=True)
class _Slice:
    """A 2D section of the volume as drawn: rows run along ``vertical``, columns along
    ``horizontal``; extents in µm."""

    image: np.ndarray
    horizontal: str
    vertical: str
    width_um: float
    height_um: float
    title: str


def _slices(volume: np.ndarray, voxel_um: float) -> tuple[_Slice, _Slice, _Slice]:
    """The in-plane slice, the through-plane slice along the longer in-plane side, and the
    one across it, at mid-planes; the longer in-plane side is always horizontal."""
    nz, ny, nx = volume.shape
    h = voxel_um
    x_um, y_um, z_um = nx * h, ny * h, nz * h
    mid_z, mid_y, mid_x = ((n // 2 + 0.5) * h for n in (nz, ny, nx))
    xz = _Slice(
        volume[:, ny // 2, :], "x", "z", x_um, z_um, f"through-plane slice xz at y = {mid_y:.0f} µm"
    )
    yz = _Slice(
        volume[:, :, nx // 2], "y", "z", y_um, z_um, f"through-plane slice yz at x = {mid_x:.0f} µm"
    )
    in_plane = f"in-plane slice at z = {mid_z:.0f} µm (mid-thickness)"
    if y_um > x_um:
        return _Slice(volume[nz // 2].T, "y", "x", y_um, x_um, in_plane), yz, xz
    return _Slice(volume[nz // 2], "x", "y", x_um, y_um, in_plane), xz, yz


def _draw_slice(ax, piece: _Slice) -> None:
    from matplotlib.colors import ListedColormap

    ax.imshow(
        piece.image,
        cmap=ListedColormap(PHASE_COLOURS),
        vmin=0,
        vmax=len(PHASE_COLOURS) - 1,
        origin="lower",
        interpolation="nearest",
        extent=(0, piece.width_um, 0, piece.height_um),
    )
    ax.set_title(piece.title, fontsize=10)
    ax.set_xlabel(f"{piece.horizontal} (µm)")
    ax.set_ylabel(f"{piece.vertical} (µm)")


def _draw_profile(ax, volume: np.ndarray, voxel_um: float) -> None:
    from generator.structure.sample import phase_profile

    counts = phase_profile(volume).astype(np.float64)
    profile = counts / counts.sum(axis=1, keepdims=True)
    z = (np.arange(volume.shape[0]) + 0.5) * voxel_um
    for index, name in enumerate(PHASES):
        ax.plot(z, profile[:, index], color=PROFILE_COLOURS[index], label=name)
    ax.set_xlim(0, volume.shape[0] * voxel_um)
    ax.set_ylim(0, 1)
    ax.set_xlabel("z, through-plane position (µm)")
    ax.set_ylabel("phase fraction of the slice (–)")
    ax.set_title("through-plane phase profile", fontsize=10)
    legend_outside(ax)


def _phase_legend(fig) -> None:
    from matplotlib.patches import Patch

    fig.legend(
        handles=[
            Patch(facecolor=colour, edgecolor="#777777", label=name)
            for colour, name in zip(PHASE_COLOURS, PHASES, strict=True)
        ],
        loc="outside lower center",
        ncols=len(PHASES),
        title="phase (slice colours)",
        fontsize=9,
        title_fontsize=9,
        frameon=False,
    )


def volume_figure(volume, *, voxel_um: float, title: str = "", caption: str = ""):
    """A figure of a label volume (pore 0, fibre 1, binder 2; axes z, y, x).

    Parameters
    ----------
    volume : ndarray of uint8, 3D
    voxel_um : float
        Voxel edge length in µm.
    title : str
        First line above the panels.
    caption : str
        Further lines above the panels (for example the parameters).

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    When the in-plane picture is at least :data:`ELONGATED` times longer than wide, the
    in-plane and the long through-plane slice fill one row each at the figure's width, and the
    short through-plane slice sits beside the phase profile below them. Otherwise the in-plane
    slice and the profile share the first row and the two through-plane slices the second. Each
    row is as tall as its slices need at the width they get, so no slice is a strip in a box of
    white space.
    """
    require_extra("viz", "figures")
    from matplotlib.figure import Figure

    volume = np.asarray(volume)
    if volume.ndim != 3:
        raise ValueError(f"volume must be a 3D label array (z, y, x), got shape {volume.shape}")
    in_plane, long_section, cross_section = _slices(volume, voxel_um)
    fig = Figure(figsize=(FIGURE_WIDTH_IN, 8.0), layout="constrained", dpi=DPI)
    if in_plane.width_um >= ELONGATED * in_plane.height_um:
        bottom_in = 3.0  # the short section beside the profile
        cross_in = min(
            bottom_in * cross_section.width_um / cross_section.height_um, 0.4 * FIGURE_WIDTH_IN
        )
        grid = fig.add_gridspec(3, 2, width_ratios=[cross_in, FIGURE_WIDTH_IN - 1.5 - cross_in])
        slots = (grid[0, :], grid[1, :], grid[2, 0])
        profile_slot = grid[2, 1]
        rows = [[0], [1], [2, 3]]
    else:
        grid = fig.add_gridspec(2, 2)
        slots = (grid[0, 0], grid[1, 0], grid[1, 1])
        profile_slot = grid[0, 1]
        rows = [[0, 3], [1, 2]]
    axes = []
    for slot, piece in zip(slots, (in_plane, long_section, cross_section), strict=True):
        axes.append(fig.add_subplot(slot))
        _draw_slice(axes[-1], piece)
    axes.append(fig.add_subplot(profile_slot))
    _draw_profile(axes[-1], volume, voxel_um)
    _phase_legend(fig)
    header = "\n".join(line for line in (title, caption) if line)
    if header:
        fig.suptitle(header, fontsize=10)
    _fit_rows(fig, grid, [[axes[i] for i in row] for row in rows])
    return fig


def _fit_rows(fig, grid, rows, *, rounds: int = 4) -> None:
    """Make each row of ``grid`` as tall as its images need at the width they get.

    ``rows`` lists the axes of each row. A row with images (equal aspect) gets the tallest of
    their heights at their laid-out widths; a row without keeps its height. The figure's height
    changes by what the rows gain or lose. Constrained layout places decorations (titles, labels,
    colour bars) in margins outside the ratios, so two or three rounds settle.
    """
    engine = fig.get_layout_engine()
    for _ in range(rounds):
        engine.execute(fig)
        width, height = fig.get_size_inches()
        heights, change = [], 0.0
        for axes in rows:
            have = max(ax.get_position(original=True).height for ax in axes) * height
            needs = [
                ax.get_position(original=True).width * width * _data_aspect(ax)
                for ax in axes
                if ax.images
            ]
            need = max(needs) if needs else have
            heights.append(need)
            change += need - have
        if abs(change) < 0.01:
            break
        grid.set_height_ratios(heights)
        fig.set_size_inches(width, height + change)
    engine.execute(fig)


def _data_aspect(ax) -> float:
    """Height over width of an axes' data box (its images are drawn at equal aspect)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return abs(y1 - y0) / abs(x1 - x0)


def describe_parameters(parameters) -> str:
    """The five manufacturing parameters with their units, as one line.

    Parameters
    ----------
    parameters : SampleParameters or mapping
        A :class:`~generator.structure.parameters.SampleParameters` or a mapping with its field
        names
        (a dataset table row will do).

    Returns
    -------
    str
        Diameter and thickness to 3 significant digits, fractions to 3 decimals, the
        compression to 2.

    Examples
    --------
    >>> from generator.viz.figures import describe_parameters
    >>> row = {"fiber_diameter_um": 9.92209, "fiber_fraction": 0.22561,
    ...        "binder_fraction": 0.06, "thickness_um": 318.871, "compression": 0.4812}
    >>> describe_parameters(row).split(", ")  # doctest: +NORMALIZE_WHITESPACE
    ['fibre diameter 9.92 µm', 'fibre fraction 0.226', 'binder fraction 0.060',
     'thickness 319 µm before compression', 'compression 0.48']
    """
    values = parameters if isinstance(parameters, Mapping) else parameters.as_dict()
    # A design row holds draws like 9.92209 µm: three significant digits say what matters (a
    # 1 µm voxel resolves no finer) without six-digit titles.
    return (
        f"fibre diameter {float(values['fiber_diameter_um']):.3g} µm, "
        f"fibre fraction {float(values['fiber_fraction']):.3f}, "
        f"binder fraction {float(values['binder_fraction']):.3f}, "
        f"thickness {float(values['thickness_um']):.3g} µm before compression, "
        f"compression {float(values['compression']):.2f}"
    )


def _sample_header(sample) -> tuple[str, str]:
    nz, ny, nx = sample.volume.shape
    h = sample.voxel_um
    after = sample.fractions["after_compression"]
    before = sample.fractions["before_compression"]
    title = (
        f"Generated GDL, domain {sample.domain}: {nx * h:g} × {ny * h:g} µm in-plane, "
        f"{nz * h:g} µm thick; voxel {h:g} µm ({nx} × {ny} × {nz}); seed {sample.seed}"
    )
    orientation = ", ".join(f"{v:.3f}" for v in np.diag(sample.orientation_tensor))
    caption = "\n".join(
        [
            describe_parameters(sample.parameters),
            f"measured before compression: fibre {before['fibre']:.3f}, binder "
            f"{before['binder']:.3f}; after: porosity {after['pore']:.3f}, fibre "
            f"{after['fibre']:.3f}, binder {after['binder']:.3f}; "
            f"fibre orientation tensor diagonal (xx, yy, zz) {orientation}",
        ]
    )
    return title, caption


def sample_figure(sample):
    """A figure of a :class:`~generator.structure.sample.GDLSample`: see :func:`volume_figure`; the
    title names the domain, voxel size and seed, the caption the parameters and the measured
    phase fractions."""
    require_extra("viz", "figures")
    title, caption = _sample_header(sample)
    return volume_figure(sample.volume, voxel_um=sample.voxel_um, title=title, caption=caption)


def figure_path(path) -> Path:
    """``path``, checked to name a figure: its suffix picks the format (``.png``, ``.pdf``,
    ``.svg``... any matplotlib writes), so the file written is exactly the one named (a name
    without a suffix is refused: matplotlib would write ``<name>.png`` instead).

    Raises
    ------
    ValueError
        A suffix that is no image format (``.txt``, ``.h5``), or none.

    Examples
    --------
    >>> from generator.viz.figures import figure_path
    >>> str(figure_path("s.png")), str(figure_path("s.PDF"))
    ('s.png', 's.PDF')
    >>> figure_path("s.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: out=s.txt: '.txt' is not an image format matplotlib writes; name the figure .png
    (or .pdf, .svg, .jpg, .tif...)
    """
    require_extra("viz", "figures")
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(path)
    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    if not path.suffix:
        raise ValueError(
            f"out={path} has no suffix to choose the figure's format: name it {path.name}.png "
            "(or .pdf, .svg, .jpg, .tif...)"
        )
    if path.suffix[1:].lower() not in formats:
        raise ValueError(
            f"out={path}: {path.suffix!r} is not an image format matplotlib writes; name the "
            "figure .png (or .pdf, .svg, .jpg, .tif...)"
        )
    return path


def save_figure(fig, path) -> Path:
    """Save ``fig`` to :func:`figure_path` of ``path`` under a temporary name, renamed into
    place (an existing regular file is replaced; a link, a device or a directory never is).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Its suffix picks the format.

    Returns
    -------
    Path
        The file written.
    """
    require_extra("viz", "figures")
    from generator._shared.targets import atomic_file

    path = figure_path(path)
    with atomic_file(path) as temporary:
        # Agg for a PNG, chosen by the format, not the backend.
        fig.savefig(temporary, dpi=DPI, format=path.suffix[1:].lower())
    return path


def plot_sample(sample, path) -> Path:
    """Save a PNG of a sample: three mid-plane slices coloured by phase, the through-plane
    phase profile, and its parameters in the title.

    Parameters
    ----------
    sample : GDLSample
    path : str or Path
        Output PNG (or another format by its suffix: :func:`figure_path`).

    Returns
    -------
    Path
        The file written.
    """
    require_extra("viz", "figures")
    return save_figure(sample_figure(sample), path)


def plot_volume(volume, path, *, voxel_um: float, title: str = "", caption: str = "") -> Path:
    """Save a PNG of a label volume; see :func:`volume_figure`.

    Returns
    -------
    Path
    """
    require_extra("viz", "figures")
    return save_figure(volume_figure(volume, voxel_um=voxel_um, title=title, caption=caption), path)


def tortuosity_figure(result, *, title: str = ""):
    """A figure of a tortuosity result: the outlet-face map and the path-length distribution.

    Parameters
    ----------
    result : TortuosityResult
    title : str
        First line above the panels (for example the sample's name).

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    A face at least :data:`ELONGATED` times longer than wide is drawn at the figure's width with
    a horizontal colour bar under it and the histogram below; otherwise map and histogram sit
    side by side and the colour bar is exactly as tall as the map.
    """
    require_extra("viz", "figures")
    import matplotlib
    from matplotlib.figure import Figure

    names = "zyx"
    rows_axis, cols_axis = (a for a in range(3) if a != result.axis)
    rows, cols = result.outlet_ratio.shape
    spacing = result.voxel_um
    width_um, height_um = cols * spacing[cols_axis], rows * spacing[rows_axis]
    elongated = max(width_um, height_um) >= ELONGATED * min(width_um, height_um)
    image = result.outlet_ratio
    horizontal, vertical = names[cols_axis], names[rows_axis]
    if elongated and height_um > width_um:  # the long side horizontal
        image = image.T
        horizontal, vertical = vertical, horizontal
        width_um, height_um = height_um, width_um
    # The histogram's row keeps its first height, about 3.3 in; the map's row is fitted.
    fig = Figure(figsize=(FIGURE_WIDTH_IN, 7.0), layout="constrained", dpi=DPI)
    grid = fig.add_gridspec(2, 1, height_ratios=[1, 3]) if elongated else fig.add_gridspec(1, 2)
    face, histogram = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])

    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#bbbbbb")
    finite = image[np.isfinite(image)]
    vmax = float(np.percentile(finite, 99)) if finite.size else 1.0
    drawn = face.imshow(
        np.ma.masked_invalid(image),
        cmap=cmap,
        vmin=1.0,
        vmax=max(vmax, 1.01),
        origin="lower",
        interpolation="nearest",
        extent=(0, width_um, 0, height_um),
    )
    label = "geodesic distance from the inlet / L (–)"
    if elongated:
        bar = fig.colorbar(drawn, ax=face, location="bottom", fraction=0.08, aspect=60, pad=0.02)
    else:
        # An inset in the map's own coordinates: exactly the map's height, whatever its shape.
        bar = fig.colorbar(drawn, cax=face.inset_axes((1.03, 0.0, 0.04, 1.0)))
    bar.set_label(label)
    bar.ax.tick_params(labelsize=9)
    face.set_title(
        f"outlet face ({names[result.axis]} = {result.length_um:g} µm); grey: solid or unreached",
        fontsize=10,
    )
    face.set_xlabel(f"{horizontal} (µm)")
    face.set_ylabel(f"{vertical} (µm)")

    if result.path_lengths_um.size:
        histogram.hist(result.path_lengths_um / result.length_um, bins=60, color="#2f8fce")
    if np.isfinite(result.tau):
        histogram.axvline(
            result.tau, color="k", linestyle="--", label=f"τ = {format_value(result.tau)} (mean)"
        )
        legend_outside(histogram)
    histogram.set_xlabel("shortest path from an inlet pore voxel to the outlet / L (–)")
    histogram.set_ylabel("inlet pore voxels (count)")
    histogram.set_title(
        f"path lengths from the inlet to the outlet face, along {names[result.axis]}", fontsize=10
    )

    h = ", ".join(f"{v:g}" for v in spacing)
    summary = (
        f"{result.metric} metric along {names[result.axis]}, L = {result.length_um:g} µm, "
        f"voxel (z, y, x) {h} µm: τ = {format_value(result.tau)}, "
        f"τ_volume = {format_value(result.tau_volume)}, "
        f"porosity {result.porosity:.3f}, percolating pore fraction "
        f"{result.percolating_fraction:.3f}"
    )
    fig.suptitle(f"{title}\n{summary}" if title else summary, fontsize=10)
    _fit_rows(fig, grid, [[face], [histogram]] if elongated else [[face, histogram]])
    return fig


def plot_tortuosity(result, path, *, title: str = "") -> Path:
    """Save a PNG of a tortuosity result; see :func:`tortuosity_figure`.

    Parameters
    ----------
    result : TortuosityResult
    path : str or Path
    title : str
        Shown above the panels (for example the sample's name).

    Returns
    -------
    Path
    """
    require_extra("viz", "figures")
    return save_figure(tortuosity_figure(result, title=title), path)
