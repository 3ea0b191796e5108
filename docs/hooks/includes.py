"""MkDocs hook: generated Markdown blocks (``docs/results/``) included in a page.

A page line ``<!-- include: PATH -->`` (``PATH`` relative to the docs folder) becomes that
file's text with every heading one level deeper, so a block's own title nests under the
page's. A missing file fails the build: a page never silently loses a block.
"""

from __future__ import annotations

import re
from pathlib import Path

MARKER = re.compile(r"^<!-- include: (?P<path>[\w./-]+) -->$", re.M)
FENCE = re.compile(r"^(```|~~~)")


def demote(text: str) -> str:
    """``text`` with each Markdown heading outside code fences one level deeper."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,5} ", line):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines)


def on_page_markdown(markdown: str, *, config, **kwargs) -> str:
    """Replace every include line of a page with the file it names."""
    docs = Path(config["docs_dir"])

    def include(match: re.Match) -> str:
        path = docs / match["path"]
        if not path.is_file():
            raise FileNotFoundError(f"{match['path']} is included by a page but does not exist")
        return demote(path.read_text(encoding="utf-8"))

    return MARKER.sub(include, markdown)
