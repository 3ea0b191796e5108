"""Griffe extension: the project's numpydoc docstrings as the documentation site shows them.

Two things in our docstrings are written for Sphinx and numpydoc, not Markdown:

* roles (``:func:`~generator.sweep.run.run_sweep```): each becomes a cross-reference to the
  object's page when the site documents it, else the name in code (autorefs' optional
  references); ``~`` keeps the last part of the name, as in Sphinx;
* the ``Public API`` section of each package's index (numpydoc's definition-list layout): it
  becomes a list whose names link to where each is defined.
"""

from __future__ import annotations

import importlib
import re

import griffe

ROLE = re.compile(
    r":(?:py:)?(?:mod|func|class|meth|attr|data|obj|exc|const|ref):"
    r"`(?P<tilde>~)?(?:(?P<title>[^`<]+?)\s*<(?P<named>[\w.]+)>|(?P<target>[\w.]+?))(?:\(\))?`"
)
SECTION = re.compile(r"^Public API\n-+\n(?P<body>(?:.*\n?)*?)(?=^\S[^\n]*\n-+\n|\Z)", re.M)


def reference(identifier: str, title: str) -> str:
    """An autorefs reference that renders as plain code when nothing documents its target."""
    return f'<autoref identifier="{identifier}" optional><code>{title}</code></autoref>'


def _roles(text: str, module: str) -> str:
    def replace(match: re.Match) -> str:
        target = match["named"] or match["target"]
        if match["title"]:
            title = match["title"]
        elif match["tilde"]:
            title = target.rsplit(".", 1)[-1]
        else:
            title = target
        if "." not in target:  # a name of the docstring's own module (or of its index)
            target = f"{_defined_in(module, target) or module}.{target}"
        return reference(target, title)

    return ROLE.sub(replace, text)


def _defined_in(package: str, name: str) -> str | None:
    """The module that defines ``name`` of a package's lazy index (or its imports)."""
    try:
        module = importlib.import_module(package)
    except ImportError:
        return None
    exports = getattr(module, "_EXPORTS", {})
    if name in exports:
        return exports[name]
    value = getattr(module, name, None)
    return getattr(value, "__module__", None)


def _public_api(text: str, package: str) -> str:
    def replace(match: re.Match) -> str:
        items, current = [], None
        for line in match["body"].splitlines():
            if not line.strip():
                continue
            if not line.startswith(" "):
                current = [line.strip(), []]
                items.append(current)
            elif current is not None:
                current[1].append(line.strip())
        lines = ["**Public API**", ""]
        for names, description in items:
            linked = []
            for name in (n.strip() for n in names.split(",")):
                where = _defined_in(package, name)
                linked.append(reference(f"{where}.{name}", name) if where else f"`{name}`")
            tail = f": {' '.join(description)}" if description else ""
            lines.append(f"- {', '.join(linked)}{tail}")
        return "\n".join(lines) + "\n\n"

    return SECTION.sub(replace, text)


class NumpydocMarkdown(griffe.Extension):
    """Rewrite roles and ``Public API`` sections of every docstring griffe loads."""

    def on_instance(self, *, node, obj, agent, **kwargs) -> None:
        if obj.docstring is None:
            return
        module = obj.module.path if not obj.is_module else obj.path
        text = _roles(obj.docstring.value, module)
        if obj.is_module:
            text = _public_api(text, obj.path)
        obj.docstring.value = text
