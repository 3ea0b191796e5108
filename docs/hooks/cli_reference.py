"""MkDocs hook: the command-line reference, rendered from the typer apps themselves.

A page line ``<!-- cli: MODULE:APP PROG -->`` becomes the ``--help`` of the group ``APP`` of
``MODULE`` and of each of its commands, exactly as ``PROG ... --help`` prints it at 80
columns, so the reference cannot drift from the code: it is the same text.
"""

from __future__ import annotations

import importlib
import re

MARKER = re.compile(r"^<!-- cli: (?P<module>[\w.]+):(?P<app>\w+) (?P<prog>[^>]+?) -->$", re.M)
WIDTH = 80


def command_help(app, args: list[str], prog: str) -> str:
    """What ``prog *args --help`` prints for a typer ``app`` in a terminal of :data:`WIDTH`
    columns (click wraps at two less)."""
    from typer.testing import CliRunner

    done = CliRunner().invoke(
        app,
        [*args, "--help"],
        prog_name=prog,
        # click wraps help two columns short of the terminal; its test runner forces 80.
        terminal_width=WIDTH - 2,
        env={"COLUMNS": str(WIDTH), "NO_COLOR": "1"},
    )
    if done.exit_code != 0:
        raise RuntimeError(f"{prog} {' '.join(args)} --help exited {done.exit_code}: {done.output}")
    return done.output.rstrip()


def command_names(app) -> list[str]:
    """The commands of a typer ``app`` in the order its help lists them."""
    import typer.main

    group = typer.main.get_command(app)
    return list(group.commands)


def render(module: str, app_name: str, prog: str) -> str:
    """Markdown: the group's help, then one section per command with its help."""
    app = getattr(importlib.import_module(module), app_name)
    parts = [f"```text\n{command_help(app, [], prog)}\n```"]
    for name in command_names(app):
        parts.append(f"### `{prog} {name}`\n\n```text\n{command_help(app, [name], prog)}\n```")
    return "\n\n".join(parts)


def on_page_markdown(markdown: str, **kwargs) -> str:
    """Replace every marker line of a page with the reference it names."""
    return MARKER.sub(lambda m: render(m["module"], m["app"], m["prog"].strip()), markdown)
