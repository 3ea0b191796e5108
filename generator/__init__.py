"""Open generator of fibrous gas-diffusion-layer (GDL) microstructures.

Subpackages, bottom up (each imports only those before it):

``generator._shared``
    Private bottom layer: phase labels, progress, thread pacing, resource guards, provenance,
    safe HDF5 writes, the model version and the capped distance-transform kernel.
:mod:`generator.structure`
    Fibres, binder and compression for one sample; the sample and its file.
:mod:`generator.tortuosity`
    Geodesic distance and geometric tortuosity of any 3D image.
:mod:`generator.sweep`
    Datasets of many samples on a laptop or a cluster (needs the ``sweep`` extra to run).
:mod:`generator.export`, :mod:`generator.viz`
    Volumes for other tools; figures (the ``viz`` extra).
:mod:`generator.cli`
    The ``gdl-generator`` / ``python -m generator`` command line.

Public API
----------
generate
    Fibres, binder and compression for one sample -> :class:`GDLSample`.
SampleParameters
    The five manufacturing parameters, validated against the paper's ranges.
read_sample
    Load a sample written by :meth:`GDLSample.to_hdf5` or ``python -m generator sample``.
phase_fractions
    Voxel fractions of pore, fibre and binder in a label volume.
geodesic_distance
    Shortest-path distance through the pore space from the inlet face.
geometric_tortuosity
    Geometric tortuosity -> :class:`TortuosityResult`.
diffusive_tortuosity
    Tortuosity factor and effective diffusivity of steady diffusion -> :class:`DiffusiveResult`.
pore_size_distribution
    Local-thickness pore diameters (d10, d50, d90) -> :class:`PoreSizeResult`.
open_dataset
    A sweep's dataset file -> ``.table`` (pandas) and volumes on demand.
provenance, command_line
    Versions, commit, time and command line, as every file of this project records them.
ProgressCounter
    ``n of total`` progress lines on stderr (a bar on a terminal), as sweeps print them.
check_output_file, check_output_folder, atomic_file, TargetError
    The one rule of what a command may write or replace (no link, device, FIFO, directory
    for a file, name too long; an existing file only with force), and atomic writes.

Importing this package compiles nothing: numba kernels compile (or load from cache) on first use.

Examples
--------
>>> import generator
>>> sample = generator.generate(domain=(120, 120), thickness_um=280, voxel_um=6, seed=1)
>>> sample.volume.shape
(38, 20, 20)
"""

from generator._shared.lazy import lazy_index
from generator._shared.version import __version__

_EXPORTS = {
    "open_dataset": "generator.sweep.dataset",
    "geodesic_distance": "generator.tortuosity.geodesic",
    "read_sample": "generator.structure.sample",
    "DOMAIN_PRESETS": "generator.structure.parameters",
    "PARAMETER_RANGES": "generator.structure.parameters",
    "SampleParameters": "generator.structure.parameters",
    "GDLSample": "generator.structure.sample",
    "generate": "generator.structure.generate",
    "phase_fractions": "generator.structure.sample",
    "TortuosityResult": "generator.tortuosity.geometric",
    "geometric_tortuosity": "generator.tortuosity.geometric",
    "DiffusiveResult": "generator.tortuosity.diffusive",
    "diffusive_tortuosity": "generator.tortuosity.diffusive",
    "PoreSizeResult": "generator.tortuosity.pore_sizes",
    "pore_size_distribution": "generator.tortuosity.pore_sizes",
    "provenance": "generator._shared.provenance",
    "command_line": "generator._shared.provenance",
    "ProgressCounter": "generator._shared.progress",
    "check_output_file": "generator._shared.targets",
    "check_output_folder": "generator._shared.targets",
    "atomic_file": "generator._shared.targets",
    "TargetError": "generator._shared.targets",
}

__all__ = [
    "DOMAIN_PRESETS",
    "PARAMETER_RANGES",
    "ProgressCounter",
    "DiffusiveResult",
    "GDLSample",
    "PoreSizeResult",
    "SampleParameters",
    "TargetError",
    "TortuosityResult",
    "__version__",
    "atomic_file",
    "check_output_file",
    "check_output_folder",
    "command_line",
    "diffusive_tortuosity",
    "generate",
    "geodesic_distance",
    "geometric_tortuosity",
    "open_dataset",
    "phase_fractions",
    "pore_size_distribution",
    "provenance",
    "read_sample",
]

__getattr__, __dir__ = lazy_index(__name__, _EXPORTS)
