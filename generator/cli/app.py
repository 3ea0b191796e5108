"""Command line: ``python -m generator sample|show|export|tortuosity|sweep|merge``.

Each command lives in its own module (:mod:`~generator.cli.sample`, ...) and only parses, calls
the library and prints. This module is the one place that turns the library's errors into what a
person at a terminal reads.

Exit codes: 0 success; 1 a sweep with failed samples, a merge with missing ones, a batch cluster
that could not be kept alive, or an unexpected failure (a bug: traceback printed); 2 bad input
(a clear one-line message: out-of-range parameter, an option that does not parse, unreadable
file, an output the output-target rule refuses or an existing one without --force, a missing
optional extra). A warning is one ``warning:`` line, without a source location.
"""

from __future__ import annotations

import re
import warnings

import typer
from typer.core import TyperGroup

from generator._shared.extras import MissingExtra
from generator.cli import export, merge, sample, show, sweep, tortuosity

EXIT_BAD_INPUT = 2
EXIT_CLUSTER_LOST = 1

# Library errors name a parameter as a Python caller writes it (``workers=0``, ``voxel_um``,
# ``'dataset'``); a person at the command line reads the option to type instead. These are the
# names the generator's messages speak of as options, of this command or of another ("sweep again
# with --no-volumes" from ``export``); the others read as the library writes them (``sample``'s
# ``fiber_fraction=0.3 is outside its range``).
SPOKEN_AS_OPTIONS = frozenset(
    {
        "voxel_um", "pore_label", "dataset", "file_format", "sample", "out", "force",
        "keep_volumes", "workers", "jobs", "cores", "memory", "scheduler", "cluster", "shard",
        "shards", "shard_base", "print_job_script", "n", "seed", "metric", "properties",
        "design_from", "domain", "design", "stratify", "pairing",
    }
)  # fmt: skip


def in_cli_terms(message: str, params) -> str:
    """``message`` with the library's parameter names written as the options among ``params``
    (a command's click parameters) that carry them: ``name=value`` as ``--flag value``,
    ``name=True`` of a flag as ``--flag`` and ``name=False`` as its ``--no-flag``, a bare
    ``name=`` or a quoted ``'name'`` as ``--flag``, and a bare name with an underscore as
    ``--flag`` (``out`` or ``sample`` alone are ordinary words).

    Examples
    --------
    >>> import typer.main
    >>> from generator.cli import app
    >>> params = typer.main.get_command(app).commands["sweep"].params
    >>> in_cli_terms("workers=0 must be at least 1", params)
    '--workers 0 must be at least 1'
    >>> in_cli_terms("use a coarser voxel_um; keep_volumes=False; choose another 'out'", params)
    'use a coarser --voxel-um; --no-volumes; choose another --out'
    >>> in_cli_terms("print_job_script=True needs cluster= one of slurm, pbs", params)
    '--print-job-script needs --cluster one of slurm, pbs'
    >>> in_cli_terms("the sample_id of sample 3 is out of range", params)
    'the sample_id of sample 3 is out of range'
    """
    options = {p.name: p for p in params if p.param_type_name == "option" and p.opts}
    if not options:
        return message
    names = "|".join(sorted(map(re.escape, options), key=len, reverse=True))
    pattern = re.compile(
        rf"(?<![\w./-])(?:'(?P<quoted>{names})'"
        rf"|(?P<name>{names})(?:=(?P<switch>True|False)(?!\w)|=(?P<bare>(?=[\s,;:)]|$))"
        rf"|(?P<value>=)|(?!\w)))"
    )

    def option(match: re.Match) -> str:
        name = match.group("quoted") or match.group("name")
        param = options[name]
        flag = param.opts[0]
        switch = match.group("switch")
        if switch and getattr(param, "is_flag", False):
            if switch == "True":
                return flag
            return param.secondary_opts[0] if param.secondary_opts else match.group(0)
        if switch or match.group("value"):
            return f"{flag} " + (switch or "")
        if match.group("quoted") or match.group("bare") is not None or "_" in name:
            return flag
        return match.group(0)

    return pattern.sub(option, message)


# click's usage errors (typer carries its own copy of click: taken from typer's own class).
UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def usage_line(err) -> str:
    """A usage error of click (an option that does not parse, a missing or unknown option) as
    one line naming the option, the value given and what was expected.

    Examples
    --------
    >>> from typer.testing import CliRunner
    >>> from generator.cli import app
    >>> print(CliRunner().invoke(app, ["sample", "--seed", "x"]).stderr.strip())
    error: --seed 'x': input should be a valid integer, unable to parse string as an integer
    """
    param = getattr(err, "param", None)
    if type(err) is not typer.BadParameter or not getattr(param, "opts", None):
        return " ".join(err.format_message().split())  # missing, unknown: click says it whole
    message = " ".join(str(err.message).split())
    try:  # the value typer could not convert, as its validation error records it
        value = f" {err.__cause__.errors()[0]['input']!r}"
    except (AttributeError, IndexError, KeyError, TypeError):
        value = ""
    return f"{param.opts[0]}{value}: {message[:1].lower()}{message[1:]}"


def plain_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for a person at a terminal: ``warning: ...`` on one line, no
    source location."""
    typer.echo(f"warning: {' '.join(str(message).split())}", err=True)


def _fail(message: str, code: int = EXIT_BAD_INPUT, hint: str = "") -> None:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    if hint:
        typer.echo(hint, err=True)
    raise typer.Exit(code)


class _Commands(TyperGroup):
    """The command group; a known failure of any command becomes one line and an exit code."""

    def _spoken_options(self, ctx) -> list:
        """The options of every command that carry a name of :data:`SPOKEN_AS_OPTIONS`."""
        found = {}
        for command in self.list_commands(ctx):
            for param in self.get_command(ctx, command).params:
                if param.name in SPOKEN_AS_OPTIONS:
                    found.setdefault(param.name, param)
        return list(found.values())

    def invoke(self, ctx):
        try:
            with warnings.catch_warnings():
                warnings.showwarning = plain_warning
                return super().invoke(ctx)
        except (typer.Exit, typer.Abort, BrokenPipeError):
            raise
        except UsageError as err:  # an option that does not parse, a missing or unknown one
            _fail(usage_line(err))
        except MissingExtra as err:  # names the extra to install
            _fail(str(err))
        except (ValueError, OSError) as err:  # bad input: a value, a file, a folder
            _fail(in_cli_terms(str(err), self._spoken_options(ctx)))
        except RuntimeError as err:
            from generator.sweep.clusters import ClusterLost

            if not isinstance(err, ClusterLost):
                raise  # a bug
            hint = "finished samples are kept; run the same command again to resume"
            _fail(str(err), EXIT_CLUSTER_LOST, hint)


app = typer.Typer(
    cls=_Commands,
    add_completion=False,
    no_args_is_help=True,
    # Click's plain help: rich's option table cuts long option names at 80 columns
    # ("--fiber-diameter-ran…"); click wraps the help text and keeps every name whole.
    rich_markup_mode=None,
    help="Generate fibrous gas-diffusion-layer microstructures and look at them.",
)
app.command()(sample.sample)
app.command()(show.show)
app.command()(tortuosity.tortuosity)
app.command()(sweep.sweep)
app.command()(merge.merge)
app.command()(export.export)


def main() -> None:
    """Entry point of the ``gdl-generator`` script and ``python -m generator``."""
    app()
