"""``--help`` of every generator and surrogate command at an ordinary 80-column terminal:
every option name whole (names taken from the click command, not from the help text), no
line past 80 columns, no command summary cut short.

typer builds on its own copy of click (``typer._click``), so options are told by click's
``param_type_name`` rather than by ``isinstance(param, click.Option)``."""

import re

import pytest
import typer.main

from generator.cli.app import app
from surrogate.cli.app import app as surrogate_app

COLUMNS = 80
GROUP = typer.main.get_command(app)
COMMANDS = sorted(GROUP.commands)
SURROGATE = typer.main.get_command(surrogate_app)
SURROGATE_COMMANDS = sorted(SURROGATE.commands)


def _help(*args, module="generator") -> str:
    # In-process (click's test runner sets COLUMNS for the call): a subprocess per command would
    # spend a second each importing the package.
    from typer.testing import CliRunner

    env = {"COLUMNS": str(COLUMNS), "TERMINAL_WIDTH": None, "FORCE_COLOR": None}
    result = CliRunner().invoke(
        app if module == "generator" else surrogate_app, [*args, "--help"], env=env
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_checked():
    assert {"sample", "show", "tortuosity", "sweep", "merge"} <= set(COMMANDS)


@pytest.mark.parametrize(
    "module, name",
    [("generator", n) for n in COMMANDS] + [("surrogate", n) for n in SURROGATE_COMMANDS],
)
def test_help_shows_every_option_name_whole(module, name):
    shown = _help(name, module=module)
    group = GROUP if module == "generator" else SURROGATE
    names = [
        opt
        for param in group.commands[name].params
        if param.param_type_name == "option" and not getattr(param, "hidden", False)
        for opt in (*param.opts, *param.secondary_opts)
    ]
    assert names
    for opt in names:
        # The whole name, not a prefix of a longer one, and not cut with an ellipsis.
        assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", shown), (opt, shown)
    assert "…" not in shown
    assert max(map(len, shown.splitlines())) <= COLUMNS, shown


@pytest.mark.parametrize("module", ["generator", "surrogate"])
def test_group_help_lists_every_command_with_a_whole_summary(module):
    shown = _help(module=module)
    for name in COMMANDS if module == "generator" else SURROGATE_COMMANDS:
        line = re.search(rf"^\s+{name}\s.*$", shown, flags=re.MULTILINE)
        assert line, (name, shown)
        assert not line.group(0).rstrip().endswith("..."), line.group(0)  # a cut summary
    assert max(map(len, shown.splitlines())) <= COLUMNS
