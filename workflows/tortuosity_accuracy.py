"""Accuracy of both tortuosity metrics on straight channels, against the exact value.

    python -m workflows.tortuosity_accuracy

A straight channel is convex, so the shortest path from an inlet voxel to the outlet face is
the straight segment to the nearest outlet voxel of the channel: its mean length over the
inlet voxels, divided by the thickness, is the exact ``tau``. Slab channels (12 voxels wide,
100 long) tilted in the (z, x) plane, and round tubes (diameter 12) tilted out of that plane,
give the table of the generator's README (relative error of each metric's ``tau``).
"""

from __future__ import annotations

import numpy as np

from generator import geometric_tortuosity
from workflows._cli import run, workflow_app

app = workflow_app()


def slab_channel(tilt_deg: float, width: float = 12.0, nz: int = 100) -> np.ndarray:
    """Pore mask (z, y, x) of a slab channel at ``tilt_deg`` from the z axis, along x."""
    tilt = np.radians(tilt_deg)
    nx = int(nz * np.tan(tilt) + width / np.cos(tilt) + 10)
    z, x = np.meshgrid(np.arange(nz), np.arange(nx), indexing="ij")
    x0 = 5 + width / (2 * np.cos(tilt))
    pore2d = np.abs((x - x0 - z * np.tan(tilt)) * np.cos(tilt)) <= width / 2
    return np.repeat(pore2d[:, None, :], 3, axis=1)


def tube_channel(
    tilt_deg: float, azimuth_deg: float, diameter: float = 12.0, nz: int = 80
) -> np.ndarray:
    """Pore mask of a round tube at ``tilt_deg`` from z, its in-plane direction at
    ``azimuth_deg`` from x."""
    tilt, azimuth = np.radians(tilt_deg), np.radians(azimuth_deg)
    axis = np.array([np.cos(tilt), np.sin(tilt) * np.sin(azimuth), np.sin(tilt) * np.cos(azimuth)])
    reach = nz * np.tan(tilt)
    margin = diameter / np.cos(tilt) + 6
    ny = int(reach * abs(np.sin(azimuth)) + margin)
    nx = int(reach * abs(np.cos(azimuth)) + margin)
    start = np.array([0.0, margin / 2, margin / 2])
    z, y, x = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    offset = np.stack([z, y, x], axis=-1) - start
    along = offset @ axis
    across = np.linalg.norm(offset - along[..., None] * axis, axis=-1)
    return across <= diameter / 2


def exact_tau(pore: np.ndarray) -> float:
    """Mean over inlet voxels of the straight distance to the nearest outlet voxel."""
    thickness = pore.shape[0] - 1
    inlet = np.argwhere(pore[0])
    outlet = np.argwhere(pore[-1])
    paths = [np.sqrt(thickness**2 + np.min(np.sum((outlet - p) ** 2, axis=1))) for p in inlet]
    return float(np.mean(paths) / thickness)


def accuracy_rows():
    """(label, exact tau, relative error lattice, relative error euclidean) per channel."""
    cases = [(f"{t}°", slab_channel(t)) for t in (0, 10, 20, 26.565, 35, 45)]
    cases += [
        ("30°, in-plane azimuth 45° (tube, 80 long)", tube_channel(30, 45)),
        ("20°, azimuth 20° (tube, 80 long)", tube_channel(20, 20)),
    ]
    for label, pore in cases:
        exact = exact_tau(pore)
        errors = [
            geometric_tortuosity(pore, metric=metric).tau / exact - 1.0
            for metric in ("lattice", "euclidean")
        ]
        yield label, exact, *errors


@app.command()
def tortuosity_accuracy() -> None:
    """Accuracy of both tortuosity metrics on straight channels, against the exact value."""
    print("| channel angle from the flow axis | exact tau | lattice | euclidean |")
    print("|---|---|---|---|")
    for label, exact, lattice, euclidean in accuracy_rows():
        print(f"| {label} | {exact:.4f} | {100 * lattice:+.2f} % | {100 * euclidean:+.2f} % |")


def main(argv=None) -> None:
    run(app, "workflows.tortuosity_accuracy", argv)


if __name__ == "__main__":
    main()
