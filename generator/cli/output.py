"""What the commands share about their output: a library report printed with its exit code.
Output files are checked by the library's one rule (:mod:`generator._shared.targets`) before
any work.

Errors are raised, not printed: :mod:`~generator.cli.app` turns them into one line and exit 2.
"""

from __future__ import annotations

import typer


def print_report(report) -> None:
    """Print a :class:`generator.sweep.options.SweepReport` and exit with its code."""
    for line in report.stdout:
        typer.echo(line)
    for line in report.stderr:
        typer.echo(line, err=True)
    if report.exit_code:
        raise typer.Exit(report.exit_code)
