"""Tortuosity: transport through the pore space of a 3D image, a generator sample or any other.

:mod:`~generator.tortuosity.inputs` holds the rules every method shares (flow axis, voxel
sizes, which voxels are pore: labels are never guessed); :mod:`~generator.tortuosity.images`
reads other tools' images; :mod:`~generator.tortuosity.geodesic` computes the shortest-path
distance from the inlet face with the private solver ``_geodesic``, and
:mod:`~generator.tortuosity.geometric` turns it into the geometric tortuosity;
:mod:`~generator.tortuosity.diffusive` solves steady diffusion through the pore space with the
private solver ``_diffusive`` (TauFactor's tortuosity factor).

Public API
----------
geodesic_distance
    Shortest-path distance through the pore space from the inlet face.
geometric_tortuosity, TortuosityResult
    Geometric tortuosity and its result object.
diffusive_tortuosity, DiffusiveResult
    Diffusive tortuosity factor and effective diffusivity, and their result object.
pore_mask, METRICS
    Which voxels are pore; the metric names.
read_image, LoadedImage
    A segmented image from HDF5, TIFF or NumPy files.
pore_size_distribution, PoreSizeResult
    Local-thickness pore diameters (d10, d50, d90) and their result object.
"""

from generator._shared.lazy import lazy_index

_EXPORTS = {
    "geodesic_distance": "generator.tortuosity.geodesic",
    "geometric_tortuosity": "generator.tortuosity.geometric",
    "TortuosityResult": "generator.tortuosity.geometric",
    "diffusive_tortuosity": "generator.tortuosity.diffusive",
    "DiffusiveResult": "generator.tortuosity.diffusive",
    "pore_mask": "generator.tortuosity.inputs",
    "METRICS": "generator.tortuosity.inputs",
    "read_image": "generator.tortuosity.images",
    "LoadedImage": "generator.tortuosity.images",
    "pore_size_distribution": "generator.tortuosity.pore_sizes",
    "PoreSizeResult": "generator.tortuosity.pore_sizes",
}

__all__ = [
    "DiffusiveResult",
    "LoadedImage",
    "METRICS",
    "PoreSizeResult",
    "TortuosityResult",
    "diffusive_tortuosity",
    "geodesic_distance",
    "geometric_tortuosity",
    "pore_mask",
    "pore_size_distribution",
    "read_image",
]

__getattr__, __dir__ = lazy_index(__name__, _EXPORTS)
