"""What the commands share about their output: an output file checked before any work, and a
library report printed with its exit code.

Errors are raised, not printed: :mod:`~generator.cli.app` turns them into one line and exit 2.
"""

from __future__ import annotations

from pathlib import Path

import typer


def check_output_file(out: Path, force: bool = True) -> None:
    """Refuse, before any work, an ``out`` that exists (without ``--force``) or whose folder is
    missing or not writable."""
    from generator.sweep.ownership import probe_writable

    folder = out.parent if str(out.parent) else Path(".")
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists; pass --force to overwrite it")
    if not folder.is_dir():
        raise FileNotFoundError(f"output folder {folder} does not exist")
    probe_writable(folder)


def print_report(report) -> None:
    """Print a :class:`generator.sweep.options.SweepReport` and exit with its code."""
    for line in report.stdout:
        typer.echo(line)
    for line in report.stderr:
        typer.echo(line, err=True)
    if report.exit_code:
        raise typer.Exit(report.exit_code)
