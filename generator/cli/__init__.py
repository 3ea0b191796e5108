"""The ``gdl-generator`` command line (also ``python -m generator``): one module per command
(:mod:`~generator.cli.sample`, ``show``, ``tortuosity``, ``sweep``, ``merge``, ``export``);
options shared by several commands declared once (:mod:`~generator.cli.options`); output checks
and reports (:mod:`~generator.cli.output`). Commands parse, call the library and print;
:mod:`~generator.cli.app` turns the library's errors into one line and exit code 2."""

from generator.cli.app import app, in_cli_terms, main

__all__ = ["app", "in_cli_terms", "main"]
