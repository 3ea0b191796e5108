"""``--help`` of every generator command at an ordinary 80-column terminal: every option name
whole (names taken from the click command, not from the help text), no line past 80 columns.

typer builds on its own copy of click (``typer._click``), so options are told by click's
``param_type_name`` rather than by ``isinstance(param, click.Option)``."""

import os
import re
import subprocess
import sys

import pytest
import typer.main

from generator.cli import app

COLUMNS = 80
GROUP = typer.main.get_command(app)
COMMANDS = sorted(GROUP.commands)


def _help(*args) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("TERMINAL_WIDTH", "FORCE_COLOR")}
    env["COLUMNS"] = str(COLUMNS)
    done = subprocess.run(
        [sys.executable, "-m", "generator", *args, "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_command_is_checked():
    assert {"sample", "show", "tortuosity", "sweep", "merge"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_help_shows_every_option_name_whole(name):
    shown = _help(name)
    names = [
        opt
        for param in GROUP.commands[name].params
        if param.param_type_name == "option" and not getattr(param, "hidden", False)
        for opt in (*param.opts, *param.secondary_opts)
    ]
    assert names
    for opt in names:
        # The whole name, not a prefix of a longer one, and not cut with an ellipsis.
        assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", shown), (opt, shown)
    assert "…" not in shown
    assert max(map(len, shown.splitlines())) <= COLUMNS, shown


def test_group_help_lists_every_command():
    shown = _help()
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", shown, flags=re.MULTILINE), (name, shown)
    assert max(map(len, shown.splitlines())) <= COLUMNS
