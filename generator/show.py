"""Pictures of a sample: three orthogonal slices coloured by phase and the phase profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np

PHASE_COLOURS = ("#f4f1e8", "#2b2b2b", "#2f8fce")  # pore, fibre, binder


def plot_sample(sample, path) -> Path:
    """Save a PNG with the mid-plane slices (xy, xz, yz) and the through-plane phase profile.

    Parameters
    ----------
    sample : GDLSample
    path : str or Path
        Output PNG.

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from generator._raster_kernels import count_labels_per_slice

    volume = sample.volume
    h = sample.voxel_um
    nz, ny, nx = volume.shape
    cmap = ListedColormap(PHASE_COLOURS)
    fig = plt.figure(figsize=(13, 8), layout="constrained")
    grid = fig.add_gridspec(2, 3, height_ratios=[1.2, 1])
    views = [
        (
            volume[nz // 2],
            f"in-plane slice xy at z = {(nz // 2 + 0.5) * h:.0f} um",
            (nx, ny),
            "x",
            "y",
        ),
        (
            volume[:, ny // 2, :],
            f"through-plane slice xz at y = {(ny // 2 + 0.5) * h:.0f} um",
            (nx, nz),
            "x",
            "z",
        ),
        (
            volume[:, :, nx // 2],
            f"through-plane slice yz at x = {(nx // 2 + 0.5) * h:.0f} um",
            (ny, nz),
            "y",
            "z",
        ),
    ]
    for column, (image, title, (width, height), xlabel, ylabel) in enumerate(views):
        ax = fig.add_subplot(grid[0, column])
        ax.imshow(
            image,
            cmap=cmap,
            vmin=0,
            vmax=2,
            origin="lower",
            interpolation="nearest",
            extent=(0, width * h, 0, height * h),
        )
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f"{xlabel} (um)")
        ax.set_ylabel(f"{ylabel} (um)")
    counts = count_labels_per_slice(volume, 3).astype(np.float64)
    profile = counts / counts.sum(axis=1, keepdims=True)
    z = (np.arange(nz) + 0.5) * h
    ax = fig.add_subplot(grid[1, :2])
    for index, name in enumerate(("pore", "fibre", "binder")):
        colour = PHASE_COLOURS[index] if index else "#b08d3c"
        ax.plot(z, profile[:, index], color=colour, label=name)
    ax.set_xlabel("z, through-plane (um)")
    ax.set_ylabel("voxel fraction in slice")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right")
    ax.set_title("through-plane phase profile")
    ax = fig.add_subplot(grid[1, 2])
    ax.axis("off")
    p = sample.parameters
    after = sample.fractions["after_compression"]
    before = sample.fractions["before_compression"]
    lines = [
        f"domain {sample.domain}: {nx * h:.0f} x {ny * h:.0f} x {nz * h:.0f} um, voxel {h:g} um",
        f"fibre diameter {p.fiber_diameter_um:g} um, seed {sample.seed}",
        f"fibre fraction target {p.fiber_fraction:.3f}, measured {before['fibre']:.4f}",
        f"binder fraction target {p.binder_fraction:.3f}, measured {before['binder']:.4f}",
        f"thickness {p.thickness_um:g} um, compression {p.compression:.2f}",
        f"after compression: porosity {after['pore']:.3f}",
        f"  fibre {after['fibre']:.3f}, binder {after['binder']:.3f}",
        "orientation tensor diagonal "
        + ", ".join(f"{v:.4f}" for v in np.diag(sample.orientation_tensor)),
    ]
    ax.text(0, 1, "\n".join(lines), va="top", family="monospace", fontsize=9)
    ax.legend(
        handles=[
            Patch(color=c, label=n)
            for c, n in zip(PHASE_COLOURS, ("pore", "fibre", "binder"), strict=True)
        ],
        loc="lower left",
    )
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_tortuosity(result, path, *, title: str = "") -> Path:
    """Save a PNG of a tortuosity result: the outlet-face map and the path-length distribution.

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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
    ratio = np.ma.masked_invalid(result.outlet_ratio)
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#bbbbbb")
    finite = result.outlet_ratio[np.isfinite(result.outlet_ratio)]
    vmax = float(np.percentile(finite, 99)) if finite.size else 1.0
    h = result.voxel_um
    rows, cols = result.outlet_ratio.shape
    image = left.imshow(
        ratio,
        cmap=cmap,
        vmin=1.0,
        vmax=max(vmax, 1.01),
        origin="lower",
        interpolation="nearest",
        extent=(0, cols * h[2], 0, rows * h[1]),
    )
    fig.colorbar(image, ax=left, label="D_in / L on the outlet face")
    left.set_title(
        "outlet face: geodesic / straight distance (grey: solid or unreached)", fontsize=10
    )
    left.set_xlabel("um")
    left.set_ylabel("um")
    if result.path_lengths_um.size:
        right.hist(result.path_lengths_um / result.length_um, bins=60, color="#2f8fce")
    right.axvline(result.tau, color="k", linestyle="--", label=f"tau = {result.tau:.4f}")
    right.set_xlabel("shortest path to the outlet / L, per inlet pore voxel")
    right.set_ylabel("inlet voxels")
    right.legend()
    right.set_title(
        f"{result.metric} metric, tau_volume {result.tau_volume:.4f}, "
        f"percolating fraction {result.percolating_fraction:.3f}",
        fontsize=10,
    )
    if title:
        fig.suptitle(title)
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
