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

# Names are imported on first use (PEP 562): ``python -m generator`` and ``--help`` start without
# loading numba, and a sweep can point numba's cache elsewhere before any kernel module loads.
_EXPORTS = {
    "open_dataset": "generator.dataset",
    "geodesic_distance": "generator.geodesic",
    "read_sample": "generator.io",
    "DOMAIN_PRESETS": "generator.parameters",
    "PARAMETER_RANGES": "generator.parameters",
    "SampleParameters": "generator.parameters",
    "GDLSample": "generator.structure",
    "generate": "generator.structure",
    "phase_fractions": "generator.structure",
    "TortuosityResult": "generator.tortuosity",
    "geometric_tortuosity": "generator.tortuosity",
}

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


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'generator' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
