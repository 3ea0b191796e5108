"""The documentation site: its hooks, its coverage of the code, and (slow) the whole build.

The whole build (``mkdocs build --strict``, which also runs every tutorial) is the documented
command of the docs; it takes minutes and is marked ``slow``. The fast tests check the parts
that could go wrong silently: the command-line reference against the real commands' help,
the API pages against each package's ``__all__``, and the include hook on hand-made text."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "hooks"))

import cli_reference  # noqa: E402  (the hooks live with the docs, not in a package)
import includes  # noqa: E402


@pytest.mark.parametrize(
    ("module", "args", "prog"),
    [
        ("generator", [], "python -m generator"),
        ("generator", ["tortuosity"], "python -m generator"),
        ("surrogate", ["transfer"], "python -m surrogate"),
    ],
)
def test_cli_reference_is_the_commands_help(module, args, prog):
    # The real command in a fresh process, at 80 columns, against what the hook renders.
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", module, *args, "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    app = importlib.import_module(f"{module}.cli.app").app
    assert cli_reference.command_help(app, args, prog) == done.stdout.rstrip()


def test_cli_page_names_every_command():
    page = cli_reference.on_page_markdown((DOCS / "cli.md").read_text())
    headings = re.findall(r"^### `(.+)`$", page, re.M)
    # Hand count: six generator commands, six surrogate commands.
    assert headings == [
        *(f"python -m generator {c}" for c in "sample show tortuosity sweep merge export".split()),
        *(f"surrogate {c}" for c in "transfer curve pretrain active predict explain".split()),
    ]
    assert "<!-- cli:" not in page


def documented(page: str) -> dict[str, set[str]]:
    """``{module: members}`` of the ``::: module`` blocks of an API page."""
    found = {}
    for block in re.split(r"^(?=::: )", (DOCS / "api" / page).read_text(), flags=re.M):
        match = re.match(r"::: ([\w.]+)", block)
        if match:
            found[match[1]] = set(re.findall(r"^\s+- (\w+)$", block, re.M))
    return found


@pytest.mark.parametrize(
    ("package", "page"),
    [
        ("generator", None),
        ("generator.structure", "structure.md"),
        ("generator.tortuosity", "tortuosity.md"),
        ("generator.sweep", "sweep.md"),
        ("surrogate", "surrogate.md"),
    ],
)
def test_api_pages_cover_every_public_name(package, page):
    pages = [page] if page else [p.name for p in (DOCS / "api").glob("*.md")]
    names = set().union(*(m for p in pages for m in documented(p).values()))
    public = set(importlib.import_module(package).__all__) - {"__version__"}
    assert not public - names, f"{package}: not in the API reference: {sorted(public - names)}"


def test_include_demotes_headings_outside_code(tmp_path):
    (tmp_path / "block.md").write_text("# Title\n\ntext\n\n```bash\n# a comment\n```\n## Part\n")
    page = "# Page\n\n<!-- include: block.md -->\n"
    out = includes.on_page_markdown(page, config={"docs_dir": str(tmp_path)})
    assert out == "# Page\n\n## Title\n\ntext\n\n```bash\n# a comment\n```\n### Part\n"


def test_include_of_a_missing_block_fails_the_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="gone.md"):
        includes.on_page_markdown("<!-- include: gone.md -->", config={"docs_dir": str(tmp_path)})


def test_included_blocks_exist():
    pages = [*DOCS.glob("*.md"), *DOCS.glob("*/*.md")]
    named = {m for p in pages for m in re.findall(r"<!-- include: ([\w./-]+) -->", p.read_text())}
    assert named and all((DOCS / name).is_file() for name in named), named


def nav_pages() -> list[str]:
    """The source files of every page in the site's navigation (mkdocs.yml), in order."""
    import yaml

    def walk(entries):
        for entry in entries:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            yield from walk(value) if isinstance(value, list) else [value]

    return list(walk(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]))


def test_navigation_pages_exist():
    pages = nav_pages()
    assert "concepts.md" in pages and "tutorials/05_own_table.py" in pages
    assert all((DOCS / page).is_file() for page in pages), pages


@pytest.mark.slow
def test_docs_build_strict_without_warnings(tmp_path):
    pytest.importorskip("mkdocs")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert not re.search(r"^(WARNING|ERROR)\s+-", log, re.M), log
    # Every page of the navigation is built; the tutorials with their pictures.
    for source in nav_pages():
        html = (site / source).with_suffix(".html").read_text()
        if source.startswith("tutorials/0"):  # (docstrings' examples show expected errors)
            assert "data:image/png;base64" in html and "Traceback" not in html, source
    assert "--fiber-diameter" in (site / "cli.html").read_text()
