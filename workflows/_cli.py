"""The workflows' command lines: one typer command each, as the package's commands are.

A workflow module declares ``app = workflow_app()``, its command with ``@app.command()`` (the
docstring's first line is its help), and ``main(argv=None)``, which runs it as
``python -m workflows.<name>``: ``--help`` answers without starting any work, a bad option ends
in exit code 2 with the usage and the reason.
"""

from __future__ import annotations

import typer
import typer.main


def workflow_app() -> typer.Typer:
    """A typer app for one workflow command (click's plain help, as the package's CLIs)."""
    return typer.Typer(
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def run(app: typer.Typer, module: str, argv: list[str] | None = None) -> None:
    """Run ``app`` on ``argv`` (default: the process's arguments) as ``python -m <module>``;
    return when it succeeds, exit with its code otherwise."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name=f"python -m {module}", standalone_mode=True)
    except SystemExit as done:
        if done.code:
            raise


def bad_option(error: Exception, hint: str | None = None) -> typer.BadParameter:
    """A library's ``ValueError`` as a bad option of the command (exit code 2, with the usage)."""
    return typer.BadParameter(str(error), param_hint=hint)


def output_folder(out) -> None:
    """Refuse, before any work, an ``--out`` folder the output-target rule forbids (a link, a
    file, a device, a FIFO, a name too long, an ancestor that takes no new file): exit code 2
    with the usage and the reason."""
    from generator import check_output_folder

    try:
        check_output_folder(out, what="output folder")
    except (ValueError, OSError) as err:
        raise bad_option(err, "'--out'") from None
