"""The one place where the command line turns a library's errors into exit codes: a known failure
prints one ``error:`` line (the library's ``name=value`` written as the command's ``--flag
value`` by :func:`generator.cli.in_cli_terms`, as the generator's command line writes them; an
option that does not parse as :func:`generator.cli.app.usage_line` says it) and exits 2; a
warning prints one ``warning:`` line without a source location; a real bug keeps its
traceback."""

from __future__ import annotations

import warnings

import typer
from typer.core import TyperCommand

from generator.cli import in_cli_terms
from generator.cli.app import UsageError, usage_line

EXIT_BAD_INPUT = 2


def fail(message: str) -> None:
    """One ``error:`` line on stderr and exit 2 (for what the command line parses itself)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def echo_lines(lines, *, err: bool = False) -> None:
    """Each line as it is (on stderr with ``err``)."""
    for line in lines:
        typer.echo(line, err=err)


def _text(err: Exception) -> str:
    """What an error says: an OS error as ``file: reason`` when it has both."""
    if isinstance(err, OSError) and err.strerror and err.filename:
        return f"{err.filename}: {err.strerror}"
    return str(err)


def _missing_extra(err: ImportError) -> bool:
    """The generator's ``MissingExtra`` (an ImportError subclass whose message names the
    extra to install), not a broken installation."""
    return type(err) not in (ImportError, ModuleNotFoundError) and "extra" in str(err)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    typer.echo(f"warning: {message}", err=True)


class Command(TyperCommand):
    """A command whose known failures (ValueError, OSError, a missing extra, an option that does
    not parse) end in one line and exit code 2, and whose warnings read ``warning: ...``."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except UsageError as err:  # an option that does not parse, a missing or unknown one
            fail(usage_line(err))

    def invoke(self, ctx):
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except (ValueError, OSError) as err:
                fail(in_cli_terms(_text(err), self.params))
            except ImportError as err:
                if not _missing_extra(err):
                    raise
                fail(str(err))
