"""Structure: the process chain that makes a GDL sample, and the sample's file.

Fibres (straight circular cylinders, nearly in-plane, placed to a volume fraction), PTFE binder
(a morphological closing of the fibres to a volume fraction) and compression along the
thickness, on a voxel grid. Modules, bottom up: :mod:`~generator.structure.parameters` (the five
manufacturing parameters and the domains), :mod:`~generator.structure.fibres`,
:mod:`~generator.structure.binder`, :mod:`~generator.structure.sample` (:class:`GDLSample` and
its HDF5 file) and :mod:`~generator.structure.generate` (the chain); numba kernels are the
private ``_*_kernels`` modules beside them.

Public API
----------
generate, place_fibres
    The whole chain, or the fibres alone.
GDLSample, read_sample, write_sample, phase_fractions, phase_profile
    The result, its file, and the phases of a label volume (in all, and per slice).
SampleParameters, PARAMETER_RANGES, DOMAIN_PRESETS, resolve_domain, voxel_shape
    The manufacturing parameters, their ranges and the domains.
FibreSet, BinderResult, DEFAULT_ORIENTATION, tilt_limit
    What the fibre and binder stages return, and the orientation they aim at.
"""

from generator._shared.lazy import lazy_index

_EXPORTS = {
    "generate": "generator.structure.generate",
    "place_fibres": "generator.structure.generate",
    "GDLSample": "generator.structure.sample",
    "read_sample": "generator.structure.sample",
    "write_sample": "generator.structure.sample",
    "phase_fractions": "generator.structure.sample",
    "phase_profile": "generator.structure.sample",
    "SampleParameters": "generator.structure.parameters",
    "PARAMETER_RANGES": "generator.structure.parameters",
    "DOMAIN_PRESETS": "generator.structure.parameters",
    "resolve_domain": "generator.structure.parameters",
    "voxel_shape": "generator.structure.parameters",
    "FibreSet": "generator.structure.fibres",
    "BinderResult": "generator.structure.binder",
    "DEFAULT_ORIENTATION": "generator.structure._orientation",
    "tilt_limit": "generator.structure._orientation",
}

__all__ = [
    "BinderResult",
    "DEFAULT_ORIENTATION",
    "DOMAIN_PRESETS",
    "FibreSet",
    "GDLSample",
    "PARAMETER_RANGES",
    "SampleParameters",
    "generate",
    "phase_fractions",
    "phase_profile",
    "place_fibres",
    "read_sample",
    "resolve_domain",
    "tilt_limit",
    "voxel_shape",
    "write_sample",
]

__getattr__, __dir__ = lazy_index(__name__, _EXPORTS)
