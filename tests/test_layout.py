"""The package's layout is its architecture: imports go one way, from the command line down
to the model, no two modules import each other, and no module outgrows 400 lines.

Every import counts, at module level, inside a function (lazy) or under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lockstrip"

#: Lowest first. A module may import its own layer (without a cycle) and the layers below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("lockstrip", "lockstrip.errors"),
    ("lockstrip.io", "lockstrip.environment"),
    (
        "lockstrip.formats.request",
        "lockstrip.formats.explanation",
        "lockstrip.formats.compare",
        "lockstrip.formats.replay",
        "lockstrip.formats.savings",
        "lockstrip.formats.interface",
    ),
    (
        "lockstrip.formats.uv.model",
        "lockstrip.formats.poetry.model",
        "lockstrip.formats.poetry.constraints",
        "lockstrip.formats.poetry.root",
        "lockstrip.formats.poetry.content_hash",
        "lockstrip.formats.pdm.model",
        "lockstrip.formats.pdm.root",
    ),
    (
        "lockstrip.formats.uv.selection",
        "lockstrip.formats.poetry.selection",
        "lockstrip.formats.pdm.selection",
    ),
    (
        "lockstrip.formats.uv.rules",
        "lockstrip.formats.poetry.rules",
        "lockstrip.formats.poetry.scoped",
        "lockstrip.formats.pdm.rules",
    ),
    (
        "lockstrip.formats.uv.render",
        "lockstrip.formats.uv.fetch",
        "lockstrip.formats.wheelhouse",
        "lockstrip.formats.poetry.render",
        "lockstrip.formats.poetry.dockerfile",
        "lockstrip.formats.poetry.fetch",
        "lockstrip.formats.pdm.render",
        "lockstrip.formats.pdm.dockerfile",
        "lockstrip.formats.pdm.fetch",
    ),
    # the formats' adapters: `FORMAT`
    ("lockstrip.formats.uv", "lockstrip.formats.poetry", "lockstrip.formats.pdm"),
    ("lockstrip.formats",),  # the registry: `detect`
    ("lockstrip.commands",),
    ("lockstrip.cli", "lockstrip._main", "lockstrip.__main__"),
    # the documented library paths, kept as re-exports (docs/reference.md)
    ("lockstrip.project", "lockstrip.export", "lockstrip.digest", "lockstrip.dockerfile"),
)

#: Modules that may outgrow 400 lines: none now.
LONG: set[str] = set()


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    best, found = -1, -1
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), rank
    assert found >= 0, f"{module} is in no layer"
    return found


def _imports(module: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lockstrip"):
            for alias in node.names:  # `from lockstrip.x import y`: y may be a module
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("lockstrip")}
    return {name for name in found if name in MODULES} - {module}


GRAPH = {module: _imports(module) for module in MODULES}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down(module: str) -> None:
    upward = sorted(m for m in GRAPH[module] if _layer(m) > _layer(module))
    assert not upward, f"{module} (layer {_layer(module)}) imports {upward}"


def test_no_import_cycles() -> None:
    """Depth-first search over every import: no module reaches itself."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for other in sorted(GRAPH[module]):
            assert state.get(other) != 1, " -> ".join([*path, module, other])
            if other not in state:
                visit(other, [*path, module])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])


def test_the_library_paths_are_not_used_inside() -> None:
    shims = set(LAYERS[-1])
    users = sorted(m for m, imported in GRAPH.items() if imported & shims)
    assert not users


@pytest.mark.parametrize("module", sorted(set(MODULES) - LONG))
def test_no_module_over_400_lines(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= 400, f"{module}: {lines} lines"


def test_rules_never_select_and_selection_never_strips() -> None:
    """The one pass: selection decides a value (`InstallPlan`); the rules read its types
    and never call back into selection."""
    for module, imported in GRAPH.items():
        if module.startswith("lockstrip.formats.uv.selection"):
            assert not {m for m in imported if m.startswith("lockstrip.formats.uv.rules")}
        if module.startswith("lockstrip.formats.uv.rules"):
            calls = {m for m in imported if m.startswith("lockstrip.formats.uv.selection")}
            assert calls <= {
                "lockstrip.formats.uv.selection.plan",  # InstallPlan, the value
                "lockstrip.formats.uv.selection.select",  # Selection, PackageIndex: values
                "lockstrip.formats.uv.selection.fold",  # Fold: a value
            }, (module, calls)
