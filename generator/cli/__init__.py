"""The ``gdl-generator`` command line (also ``python -m generator``): one module per command,
options shared by several commands declared once (:mod:`~generator.cli.options`). Commands
parse, call one library function and turn its errors into exit code 2."""

from generator.cli.app import app, main

__all__ = ["app", "main"]
