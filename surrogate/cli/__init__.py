"""The ``surrogate`` command line (also ``python -m surrogate``): one module per command,
options shared by several commands declared once. Commands parse, call one library function
and turn its errors into exit code 2."""

from surrogate.cli.app import app, main

__all__ = ["app", "main"]
