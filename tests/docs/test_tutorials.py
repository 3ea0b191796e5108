"""The tutorials run: each ``docs/tutorials/*.py`` (jupytext percent format) executes top to
bottom in a fresh Jupyter kernel, as the docs build runs it, at the small sizes it is written
for. The tutorials check their own numbers against known answers (an open block and a 45°
channel, the porosity and d50 counted by hand, the file read back equal to the sample written,
the design's ranges); here every cell must run without an error, and the pictures must be
there."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbclient
import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a reader must not find in a tutorial's output (progress lines on stderr are fine).
TROUBLE = re.compile(r"(?i)warn|error|traceback")
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("[0-9][0-9]_*.py"))


def execute(path: Path, folder: Path):
    """The notebook of ``path`` after running it in a fresh kernel started in ``folder`` (the
    kernel inherits this process's environment: the session's numba cache, so the kernels
    compile once for the whole test run)."""
    notebook = jupytext.read(path)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}}
    )
    client.execute()
    return notebook


def outputs(notebook, kind: str) -> list:
    """The outputs of the notebook's code cells with the MIME type ``kind``."""
    return [
        output["data"][kind]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if kind in output.get("data", {})
    ]


def test_tutorials_found():
    # A hand count: the five tutorials of the docs' navigation.
    assert [path.stem for path in TUTORIALS] == [
        "01_sample",
        "02_your_image",
        "03_sweep",
        "04_surrogate",
        "05_own_table",
    ]


# The surrogate tutorials train nets and explain them (about 70 s of the tutorials' 100-140 s on
# a busy 2-core machine): they run with the full suite (`python -m pytest -q`), not in CI's
# 8-minute budget; the commands they use are tested in tests/surrogate and tests/integration.
SLOW_TUTORIALS = {"04_surrogate", "05_own_table"}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(path, marks=pytest.mark.slow) if path.stem in SLOW_TUTORIALS else path
        for path in TUTORIALS
    ],
    ids=lambda path: path.stem,
)
def test_tutorial_runs(path, tmp_path):
    notebook = execute(path, tmp_path)
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
        or (output.get("name") == "stderr" and TROUBLE.search(output["text"]))
    ]
    assert not errors, errors  # the site would show them
    # Every tutorial shows at least one figure or table as it renders on the site.
    assert outputs(notebook, "image/png") or outputs(notebook, "text/html"), path.name
    # Nothing is written where the kernel started: each tutorial works in its own scratch folder.
    assert not list(tmp_path.iterdir())


def test_tutorials_are_in_the_navigation():
    # Every tutorial is a page of the site, in order, and every tutorial page is a file.
    nav = re.findall(
        r"^\s+- [^:\n]+: (tutorials/\d\d_\w+\.py)$", (ROOT / "mkdocs.yml").read_text(), re.M
    )
    assert nav == [f"tutorials/{path.name}" for path in TUTORIALS]
