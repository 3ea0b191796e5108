"""The ``surrogate`` command line (also ``python -m surrogate``): one module per command
(:mod:`~surrogate.cli.pretrain`, :mod:`~surrogate.cli.transfer`, :mod:`~surrogate.cli.curve`,
:mod:`~surrogate.cli.active`, :mod:`~surrogate.cli.predict`, :mod:`~surrogate.cli.explain`),
options shared by several commands declared once (``_options``), and one place that turns a
library's errors into exit code 2 (``_errors``). Each command parses, calls one library
function and prints what it returns; torch loads only inside a command.

Public API
----------
app, main
    The typer application and the console entry point.
"""

from surrogate.cli.app import app, main

__all__ = ["app", "main"]
