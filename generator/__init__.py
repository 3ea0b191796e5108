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

Importing this package compiles nothing: numba kernels compile (or load from cache) on first use.
"""

from generator.io import read_sample
from generator.parameters import DOMAIN_PRESETS, PARAMETER_RANGES, SampleParameters
from generator.structure import GDLSample, generate, phase_fractions

__version__ = "0.1.0"

__all__ = [
    "DOMAIN_PRESETS",
    "PARAMETER_RANGES",
    "GDLSample",
    "SampleParameters",
    "__version__",
    "generate",
    "phase_fractions",
    "read_sample",
]
