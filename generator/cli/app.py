"""Command line: ``python -m generator sample|show|export|tortuosity|sweep|merge``.

Each command lives in its own module (:mod:`~generator.cli.sample`, ...) and only parses, calls
the library and prints. This module is the one place that turns the library's errors into what a
person at a terminal reads.

Exit codes: 0 success; 1 a sweep with failed samples, a merge with missing ones, a batch cluster
that could not be kept alive, or an unexpected failure (a bug: traceback printed); 2 bad input
(a clear one-line message: out-of-range parameter, unreadable file, existing output without
--force, a missing optional extra).
"""

from __future__ import annotations

import re

import typer
from typer.core import TyperGroup

from generator._shared.extras import MissingExtra
from generator.cli import export, merge, sample, show, sweep, tortuosity

EXIT_BAD_INPUT = 2
EXIT_CLUSTER_LOST = 1

# Library errors name a parameter as a Python caller writes it (``workers=0``, ``voxel_um``,
# ``'dataset'``); a person at the command line reads the option to type instead.
OPTION_NAMES = {
    "voxel_um": "--voxel-um",
    "pore_label": "--pore-label",
    "dataset": "--dataset",
    "file_format": "--format",
    "sample": "--sample",
    "out": "--out",
    "force": "--force",
    "keep_volumes": "--volumes",
    "workers": "--workers",
    "jobs": "--jobs",
    "cores": "--cores",
    "memory": "--memory",
    "scheduler": "--scheduler",
    "cluster": "--cluster",
    "shard": "--shard",
    "shards": "--shards",
    "shard_base": "--shard-base",
    "print_job_script": "--print-job-script",
}
_NAMES = "|".join(sorted(OPTION_NAMES, key=len, reverse=True))
# 'name' quoted; name=True / name=False; name=<value>; a bare name (only names with an
# underscore: "out" or "sample" alone are ordinary words).
_PARAMETER = re.compile(
    rf"(?<![\w./-])(?:'(?P<quoted>{_NAMES})'"
    rf"|(?P<name>{_NAMES})(?:=(?P<switch>True|False)(?!\w)|(?P<value>=)|(?!\w)))"
)


def _option(match: re.Match) -> str:
    name = match.group("quoted") or match.group("name")
    flag = OPTION_NAMES[name]
    if match.group("switch") == "False":
        return "--no-" + flag.removeprefix("--")
    if match.group("value"):
        return flag + " "
    if match.group("quoted") or match.group("switch") or "_" in name:
        return flag
    return match.group(0)


def in_cli_terms(message: str) -> str:
    """``message`` with the library's parameter names as the command line's options.

    Examples
    --------
    >>> in_cli_terms("workers=0 must be at least 1")
    '--workers 0 must be at least 1'
    >>> in_cli_terms("use a coarser voxel_um; keep_volumes=False; leave 'sample' out")
    'use a coarser --voxel-um; --no-volumes; leave --sample out'
    >>> in_cli_terms("the sample_id of sample 3 is out of range")
    'the sample_id of sample 3 is out of range'
    """
    return _PARAMETER.sub(_option, message)


def _fail(message: str, code: int = EXIT_BAD_INPUT, hint: str = "") -> None:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    if hint:
        typer.echo(hint, err=True)
    raise typer.Exit(code)


class _Commands(TyperGroup):
    """The command group; a known failure of any command becomes one line and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, BrokenPipeError):
            raise
        except MissingExtra as err:  # names the extra to install
            _fail(str(err))
        except (ValueError, OSError) as err:  # bad input: a value, a file, a folder
            _fail(in_cli_terms(str(err)))
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
