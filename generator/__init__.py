"""Open generator of fibrous gas-diffusion-layer (GDL) microstructures.

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
open_dataset
    A sweep's dataset file -> ``.table`` (pandas) and volumes on demand.

Importing this package compiles nothing: numba kernels compile (or load from cache) on first use.
"""

from generator.dataset import open_dataset
from generator.geodesic import geodesic_distance
from generator.io import read_sample
from generator.parameters import DOMAIN_PRESETS, PARAMETER_RANGES, SampleParameters
from generator.structure import GDLSample, generate, phase_fractions
from generator.tortuosity import TortuosityResult, geometric_tortuosity

__version__ = "0.1.0"

__all__ = [
    "DOMAIN_PRESETS",
    "PARAMETER_RANGES",
    "GDLSample",
    "SampleParameters",
    "TortuosityResult",
    "__version__",
    "generate",
    "geodesic_distance",
    "geometric_tortuosity",
    "open_dataset",
    "phase_fractions",
    "read_sample",
]
