"""The ``surrogate`` command group (also ``python -m surrogate``): one module per command,
each registered here with the one error translation of :mod:`surrogate.cli._errors`.

Exit codes: 0 success; 2 bad input (unknown dataset, missing file, too few rows, inputs the
model was not trained on; one line on stderr); 1 an unexpected error, or an active loop that
stopped on failed simulations or a lost cluster (run it again to resume).
"""

from __future__ import annotations

import typer

from surrogate.cli._errors import Command
from surrogate.cli.active import active
from surrogate.cli.curve import curve
from surrogate.cli.explain import explain
from surrogate.cli.predict import predict
from surrogate.cli.pretrain import pretrain
from surrogate.cli.transfer import transfer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    # Click's plain help: rich keeps the docstrings' line breaks and cuts long option names.
    rich_markup_mode=None,
    help="Transfer-learning surrogates of manufacturing tables.",
)
for _command in (transfer, curve, pretrain, active, predict, explain):
    app.command(cls=Command)(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``surrogate`` and ``python -m surrogate``; ``argv`` instead of the
    process's arguments (it exits like the command: ``SystemExit`` with the exit code)."""
    app(args=argv)
