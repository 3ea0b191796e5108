"""Every workflow's command line, as a stranger reads it: --help answers at once, names the
command to type, and explains every option. The help runs in this process (the workflows'
``main``); one fresh process checks ``python -m`` and that --help starts no work."""

import importlib
import re
import subprocess
import sys

import pytest
import typer.main

MODULES = [
    "gdl_study",
    "electrode_study",
    "compare_paper",
    "fibre_directions",
    "make_electrode_table",
    "tortuosity_accuracy",
    "bench_generator",
    "bench_tortuosity",
    "active_replay",
]


@pytest.mark.parametrize("module", MODULES)
def test_help_names_the_command_and_explains_every_option(module, capsys):
    workflow = importlib.import_module(f"workflows.{module}")
    workflow.main(["--help"])  # returns: help is not a failure
    shown = capsys.readouterr().out
    assert shown.startswith(f"Usage: python -m workflows.{module}")
    assert shown.split("\n\n")[1].strip()  # what the command does
    for param in typer.main.get_command(workflow.app).params:
        if getattr(param, "hidden", False) or param.param_type_name != "option":
            continue
        assert param.help and param.help.strip(), f"{module}: no help for {param.opts}"
        for name in (*param.opts, *param.secondary_opts):
            assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", shown), (name, shown)


def test_help_in_a_fresh_process_loads_no_heavy_module():
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "workflows.gdl_study", "--help"],
        capture_output=True,
        text=True,
        timeout=60,  # --help must not start the computation
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: python -m workflows.gdl_study [OPTIONS]")
    heavy = re.findall(r"\|\s+(torch|numba|dask|distributed|matplotlib)$", done.stderr, re.M)
    assert heavy == []


def test_a_bad_option_is_exit_code_2(capsys):
    from workflows import gdl_study

    with pytest.raises(SystemExit) as done:
        gdl_study.main(["--cluster", "condor"])
    assert done.value.code == 2
    assert "--cluster 'condor' is not one of slurm, pbs, sge, lsf" in capsys.readouterr().err
