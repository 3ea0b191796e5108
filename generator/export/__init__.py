"""Export: a sample or a dataset's volume in the formats other tools open.

TIFF stacks (ImageJ calibration), VTK image data, an XDMF sidecar over the HDF5 file, and raw
bytes with MetaImage and text headers, streamed a slab at a time
(:mod:`~generator.export.volume`).

Public API
----------
export_volume, open_volume, check_format, default_output, check_outputs, ExportError
"""

from generator._shared.lazy import lazy_index

_EXPORTS = {
    "export_volume": "generator.export.volume",
    "open_volume": "generator.export.volume",
    "check_format": "generator.export.volume",
    "default_output": "generator.export.volume",
    "check_outputs": "generator.export.volume",
    "ExportError": "generator.export.volume",
}

__all__ = [
    "ExportError",
    "check_format",
    "check_outputs",
    "default_output",
    "export_volume",
    "open_volume",
]

__getattr__, __dir__ = lazy_index(__name__, _EXPORTS)
