"""What the root pyproject.toml asks Poetry to install: its dependency groups (`main` for the
project's own dependencies), which groups are optional, and its extras.

Both styles Poetry reads: `[tool.poetry.dependencies]`, `[tool.poetry.dev-dependencies]`
and `[tool.poetry.group.G.dependencies]` (Poetry 1), and PEP 621 `[project]` with PEP 735
`[dependency-groups]` (Poetry 2), each also enriched by the other where both are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from lockstrip.formats.poetry.model import Dependency, PoetryLockError, _dependency, normalize

__all__ = ["MAIN", "Root", "read_root"]

MAIN = "main"


class Root(NamedTuple):
    groups: Mapping[str, tuple[Dependency, ...]]  # group -> its dependencies; "main" first
    optional_groups: frozenset[str]
    extras: Mapping[str, frozenset[str]]  # extra -> the dependency names it turns on
    python: str | None  # the project's Python constraint (Poetry's syntax or PEP 440)


def _requirement(text: Any, path: Path, field: str) -> Dependency:
    from packaging.requirements import InvalidRequirement, Requirement

    if not isinstance(text, str):
        raise PoetryLockError(path, "expected a requirement string", field=field)
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        raise PoetryLockError(
            path, f"not a requirement: {str(error).splitlines()[0]}", field=field
        ) from None
    marker = str(requirement.marker) if requirement.marker else None
    constraint = str(requirement.specifier) or "*"
    return Dependency(
        normalize(requirement.name), constraint, marker, tuple(sorted(requirement.extras)), False
    )


def _table(doc: Mapping[str, Any], key: str, path: Path, field: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise PoetryLockError(path, "expected a table", field=field)
    return value


def _poetry_deps(table: Mapping[str, Any], path: Path, field: str) -> list[Dependency]:
    found = []
    for name, spec in table.items():
        if normalize(name) == "python":
            continue
        found += _dependency(name, spec, path, f"{field}.{name}")
    return found


def _pep735(
    groups: Mapping[str, Any], name: str, path: Path, seen: tuple[str, ...] = ()
) -> list[Dependency]:
    field = f"dependency-groups.{name}"
    if name in seen:
        raise PoetryLockError(path, "includes itself", field=field)
    items = groups.get(name)
    if not isinstance(items, list):
        raise PoetryLockError(path, "expected an array", field=field)
    found = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("include-group"), str):
            included = next(
                (g for g in groups if normalize(g) == normalize(item["include-group"])), None
            )
            if included is None:
                raise PoetryLockError(
                    path, "includes a group that does not exist", field=f"{field}[{i}]"
                )
            found += _pep735(groups, included, path, (*seen, name))
        else:
            found.append(_requirement(item, path, f"{field}[{i}]"))
    return found


def read_root(pyproject: Mapping[str, Any], path: Path) -> Root:
    """The root project's groups, optional groups and extras."""
    project = _table(pyproject, "project", path, "project")
    poetry = _table(_table(pyproject, "tool", path, "tool"), "poetry", path, "tool.poetry")
    groups: dict[str, list[Dependency]] = {MAIN: []}
    extras: dict[str, set[str]] = {}
    if "dependencies" in project:
        deps = project["dependencies"]
        if not isinstance(deps, list):
            raise PoetryLockError(path, "expected an array", field="project.dependencies")
        groups[MAIN] += [
            _requirement(d, path, f"project.dependencies[{i}]") for i, d in enumerate(deps)
        ]
    optional = _table(project, "optional-dependencies", path, "project.optional-dependencies")
    for extra, deps in optional.items():
        field = f"project.optional-dependencies.{extra}"
        if not isinstance(deps, list):
            raise PoetryLockError(path, "expected an array", field=field)
        found = [_requirement(d, path, f"{field}[{i}]") for i, d in enumerate(deps)]
        groups[MAIN] += [d._replace(optional=True) for d in found]
        extras.setdefault(normalize(extra), set()).update(d.name for d in found)
    main = _poetry_deps(
        _table(poetry, "dependencies", path, "tool.poetry.dependencies"),
        path,
        "tool.poetry.dependencies",
    )
    known = {d.name for d in groups[MAIN]}
    groups[MAIN] += [d for d in main if d.name not in known or not project.get("dependencies")]
    for extra, names in _table(poetry, "extras", path, "tool.poetry.extras").items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise PoetryLockError(
                path, "expected an array of names", field=f"tool.poetry.extras.{extra}"
            )
        extras.setdefault(normalize(extra), set()).update(normalize(n) for n in names)
    dev = _table(poetry, "dev-dependencies", path, "tool.poetry.dev-dependencies")
    if dev:
        groups.setdefault("dev", []).extend(_poetry_deps(dev, path, "tool.poetry.dev-dependencies"))
    optional_groups = set()
    for name, group in _table(poetry, "group", path, "tool.poetry.group").items():
        field = f"tool.poetry.group.{name}"
        if not isinstance(group, dict):
            raise PoetryLockError(path, "expected a table", field=field)
        deps = _table(group, "dependencies", path, f"{field}.dependencies")
        key = normalize(name)
        groups.setdefault(key, []).extend(_poetry_deps(deps, path, f"{field}.dependencies"))
        if group.get("optional", False) is True:
            optional_groups.add(key)
        elif not isinstance(group.get("optional", False), bool):
            raise PoetryLockError(path, "expected a boolean", field=f"{field}.optional")
        for included in group.get("include-groups", []):
            if not isinstance(included, str):
                raise PoetryLockError(
                    path, "expected a group name", field=f"{field}.include-groups"
                )
    pep735 = _table(pyproject, "dependency-groups", path, "dependency-groups")
    for name in pep735:
        groups.setdefault(normalize(name), []).extend(_pep735(pep735, name, path))
    python = project.get("requires-python") or _table(poetry, "dependencies", path, "").get(
        "python"
    )
    if python is not None and not isinstance(python, str):
        raise PoetryLockError(path, "expected a string", field="project.requires-python")
    return Root(
        groups={name: tuple(deps) for name, deps in groups.items()},
        optional_groups=frozenset(optional_groups),
        extras={name: frozenset(names) for name, names in extras.items()},
        python=python,
    )
