"""The layout's promises, checked on the source: no import cycles, imports that point down the
layers, and no private module or name taken from another part.

Every import counts, at module level or inside a function: a cycle hidden behind a
function-level import is still a cycle in the design.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("generator", "surrogate", "workflows")
# Subpackages bottom up; a module may import its own layer's modules and those of lower
# layers. Parts on the same layer (structure and tortuosity) do not import each other.
LAYERS = {
    "generator": [("_shared", "paper"), ("structure",), ("tortuosity",), ("sweep",),
                  ("export", "viz"), ("cli",)],
    "surrogate": [("data",), ("nets",), ("estimators",), ("evaluation",), ("active",), ("cli",)],
}
SAME_LAYER_APART = {("structure", "tortuosity"), ("tortuosity", "structure"), ("export", "viz"),
                    ("viz", "export")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, str | None, int]]:
    """``(module, imported name or None, line)`` for every import of a project module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name, None, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                found.append((module, alias.name, node.lineno))
    return [item for item in found if item[0].split(".")[0] in PACKAGES]


def _target(module: str, imported: str | None) -> str:
    """The project module an import loads: ``from a.b import c`` is ``a.b.c`` when that is a
    module, ``a.b`` otherwise."""
    if imported and f"{module}.{imported}" in MODULES:
        return f"{module}.{imported}"
    return module


def _graph() -> dict[str, set[str]]:
    return {
        name: {_target(m, i) for m, i, _ in _imports(name, path)} & set(MODULES)
        for name, path in MODULES.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), and self-imports."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def _part(module: str) -> tuple[str, str] | None:
    parts = module.split(".")
    if parts[0] not in LAYERS or len(parts) < 2:
        return None
    return parts[0], parts[1]


def _layer(package: str, part: str) -> int | None:
    for level, names in enumerate(LAYERS[package]):
        if part in names:
            return level
    return None


def test_every_subpackage_has_a_layer():
    for module in MODULES:
        part = _part(module)
        if part and (ROOT / part[0] / part[1]).is_dir():
            assert _layer(*part) is not None, f"{module}: add its subpackage to LAYERS"


def test_imports_point_down_the_layers():
    upward = []
    for name, path in MODULES.items():
        source = _part(name)
        if source is None or _layer(*source) is None:
            continue
        for module, imported, line in _imports(name, path):
            target = _part(_target(module, imported))
            if target is None or target[0] != source[0] or target[1] == source[1]:
                continue
            low, high = _layer(*source), _layer(*target)
            if high is None:
                continue
            if high > low or (source[1], target[1]) in SAME_LAYER_APART:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert upward == []


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def test_no_private_module_or_name_from_another_part():
    """``a.b._c`` (or ``from a.b import _c``) only from inside ``a.b``; the generator's bottom
    layer ``generator._shared`` from anywhere in the generator; the benchmark scripts
    (``workflows.bench_*``), which time the kernels one by one, from anywhere."""
    taken = []
    for name, path in MODULES.items():
        for module, imported, line in _imports(name, path):
            dotted = f"{module}.{imported}" if imported else module
            if not _private(dotted):
                continue
            parts = dotted.split(".")
            first = next(i for i, p in enumerate(parts) if p.startswith("_") and p != "__init__")
            owner = ".".join(parts[:first])
            if name == owner or name.startswith(owner + "."):
                continue
            if parts[:2] == ["generator", "_shared"] and name.startswith("generator."):
                continue
            if name.startswith("workflows.bench_"):
                continue
            taken.append(f"{path.relative_to(ROOT)}:{line} imports {dotted}")
    assert taken == []


@pytest.mark.parametrize("package", ["generator", "surrogate"])
def test_every_subpackage_documents_its_api(package):
    import importlib

    for folder in sorted((ROOT / package).iterdir()):
        if not (folder / "__init__.py").is_file():
            continue
        module = importlib.import_module(f"{package}.{folder.name}")
        assert module.__doc__ and len(module.__doc__.split()) >= 20, folder
        if not folder.name.startswith("_"):
            assert module.__all__, folder
            for public in module.__all__:
                assert getattr(module, public) is not None


def test_the_model_version_covers_every_module_that_decides_a_stored_number():
    """A module of the structure or the properties left out of the model version would let a
    resumed sweep trust samples made by other code."""
    from generator._shared.model_version import OUTPUT_MODULES

    package = Path(__file__).resolve().parents[1] / "generator"
    reading_only = {"tortuosity/images"}  # reads users' image files; decides no number
    left_out = [
        module
        for part in ("structure", "tortuosity")
        for path in sorted((package / part).rglob("*.py"))
        if path.name != "__init__.py"
        and (module := str(path.relative_to(package).with_suffix(""))) not in OUTPUT_MODULES
        and module not in reading_only
    ]
    assert left_out == []
