"""Package indexes that import their modules on first use (PEP 562).

A subpackage's ``__init__`` names its public API and the module each name comes from; nothing
is imported until a name is used. ``--help`` then starts without numba, Dask or matplotlib, and
a sweep can point numba's cache elsewhere before any kernel module loads.
"""

from __future__ import annotations

import importlib
import sys


def lazy_index(package: str, exports: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for a package whose names load on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict
        Public name -> the module that defines it.

    Returns
    -------
    tuple of callable
        ``(__getattr__, __dir__)``, to assign at the package's module level.

    Examples
    --------
    >>> getattr_, dir_ = lazy_index("json", {"dumps": "json"})
    >>> getattr_("dumps")({"a": 1})
    '{"a": 1}'
    """

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        sys.modules[package].__dict__[name] = value  # later look-ups skip __getattr__
        return value

    def __dir__():
        return sorted(exports)

    return __getattr__, __dir__
