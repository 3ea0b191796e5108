"""Every workflow's command line, as a stranger reads it: --help answers at once, names the
command to type, and explains every option."""

import re
import subprocess
import sys

import pytest

MODULES = [
    "gdl_study",
    "electrode_study",
    "compare_paper",
    "fibre_directions",
    "make_electrode_table",
    "tortuosity_accuracy",
    "bench_generator",
    "bench_tortuosity",
]


@pytest.mark.parametrize("module", MODULES)
def test_help_names_the_command_and_explains_every_option(module):
    done = subprocess.run(
        [sys.executable, "-m", f"workflows.{module}", "--help"],
        capture_output=True,
        text=True,
        timeout=60,  # --help must not start the computation
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m workflows.{module}")
    options = done.stdout.split("options:", 1)[1]
    # Entries start with an indented flag; the help follows on the same line or the next ones.
    entries = re.split(r"\n(?=  -)", options)
    for entry in entries:
        entry = entry.strip()
        if not entry.startswith("-") or entry.startswith("-h, --help"):
            continue
        first, *rest = entry.splitlines()
        same_line = re.split(r"\s{2,}", first.strip(), maxsplit=1)[1:]
        text = " ".join(same_line + [line.strip() for line in rest]).strip()
        assert text, f"{module}: no help for {first.strip()!r}"
