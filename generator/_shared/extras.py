"""Optional extras: which packages each extra brings, and one clear error when one is missing.

The core install generates samples, computes their tortuosity and reads and writes HDF5. Sweeps
on Dask need the ``sweep`` extra, figures the ``viz`` extra, the surrogates the ``surrogate``
extra (which brings the other two).
"""

from __future__ import annotations

import importlib.util

EXTRAS = {
    "sweep": ("dask", "distributed", "dask_jobqueue", "cryptography"),
    "viz": ("matplotlib",),
    "surrogate": ("torch", "sklearn", "shap"),
}


class MissingExtra(ImportError):
    """A feature's optional dependencies are not installed; the message names the extra."""


def require_extra(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtra` unless every package of ``extra`` can be imported.

    Parameters
    ----------
    extra : {"sweep", "viz", "surrogate"}
    feature : str
        What needs it, for the message ("a sweep on Dask", "figures").

    Examples
    --------
    >>> require_extra("viz", "figures")  # matplotlib is installed here
    """
    missing = [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtra(
            f"the '{extra}' extra is needed for {feature} ({', '.join(missing)} not "
            f"installed): pip install 'gdl-generator[{extra}]'"
        )
