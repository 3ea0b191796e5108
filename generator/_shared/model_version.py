"""The identity of the code that shapes a sample: a hash of those modules' syntax trees.

A sweep's sample ids, its sample files and its dataset's provenance carry this identity, so a
resumed sweep never mixes samples made by different code. It is taken from the parsed source
with docstrings removed: a changed comment, docstring or line break keeps it, a changed
statement or constant anywhere in the chain (fibres, binder, compression, tortuosity, the
sample task) changes it. The package version alone stayed 0.1.0 through a rewrite of the
solver, which is why it is not enough.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

# Every module whose code decides the volume or a number in a sample's table row.
OUTPUT_MODULES = (
    "structure/parameters",
    "_shared/phases",
    "structure/_orientation",
    "structure/fibres",
    "structure/_raster_kernels",
    "structure/binder",
    "structure/_binder_kernels",
    "_shared/edt_kernels",
    "structure/_compression_kernels",
    "structure/sample",
    "structure/generate",
    "tortuosity/inputs",
    "tortuosity/geodesic",
    "tortuosity/_geodesic/flags",
    "tortuosity/_geodesic/metrics",
    "tortuosity/_geodesic/sweeps",
    "tortuosity/_geodesic/driver",
    "tortuosity/_geodesic/bands",
    "tortuosity/_geodesic/tally",
    "tortuosity/geometric",
    "tortuosity/diffusive",
    "tortuosity/_diffusive/driver",
    "tortuosity/_diffusive/fine",
    "tortuosity/_diffusive/coarse",
    "tortuosity/_diffusive/percolation",
    "tortuosity/pore_sizes",
    "tortuosity/_pore_size_kernels",
    "sweep/properties",
    "sweep/sample_task",
)


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return tree


@lru_cache(maxsize=1)
def model_version() -> str:
    """Identity of the sample-shaping code: ``"m-"`` and 12 hex digits.

    Returns
    -------
    str
        Equal for two checkouts exactly when the output-shaping modules (``OUTPUT_MODULES``)
        parse to the same syntax trees once their docstrings are removed.

    Examples
    --------
    >>> import re
    >>> from generator._shared.model_version import model_version
    >>> bool(re.fullmatch("m-[0-9a-f]{12}", model_version()))
    True

    Docstrings do not count, code does:

    >>> import ast
    >>> from generator._shared.model_version import _without_docstrings
    >>> def tree(source):
    ...     return ast.dump(_without_docstrings(ast.parse(source)))
    >>> tree("'Old.'\\nx = 1") == tree("'New.'\\nx = 1"), tree("x = 1") == tree("x = 2")
    (True, False)
    """
    folder = Path(__file__).resolve().parents[1]  # the generator package
    digest = hashlib.sha256()
    for name in OUTPUT_MODULES:
        source = (folder / f"{name}.py").read_text(encoding="utf-8")
        tree = _without_docstrings(ast.parse(source))
        digest.update(name.encode())
        digest.update(ast.dump(tree, annotate_fields=False, include_attributes=False).encode())
    return "m-" + digest.hexdigest()[:12]
