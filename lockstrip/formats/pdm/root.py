"""What the root pyproject.toml asks PDM to install, read as PDM 2.29 reads it
(`pdm/project/project_file.py`, `Project._resolve_dependencies`).

PDM's groups: `default` (`[project] dependencies`), one per extra (`[project]
optional-dependencies`) and one per dependency group (`[dependency-groups]` and
`[tool.pdm.dev-dependencies]`, merged by normalized name). A group may take others in: an
extra by naming the project itself (`pdm[keyring]`), a dependency group by
`{include-group = "..."}` or the same self-reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from lockstrip.formats.interface import FormatError

__all__ = ["DEFAULT", "PdmLockError", "Root", "need", "normalize", "read_root", "strings"]

DEFAULT = "default"


class PdmLockError(FormatError):
    """pdm.lock or a pyproject.toml beside it that lockstrip cannot read."""


def normalize(name: str) -> str:
    """A distribution (or group) name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


_TYPE_NAMES = {str: "a string", list: "an array", dict: "a table", bool: "a boolean"}


def need(value: Any, kind: type | tuple[type, ...], path: Path, field: str) -> Any:
    """`value` when it is a `kind`, else a `PdmLockError` naming the file and the field."""
    if not isinstance(value, kind):
        names = kind if isinstance(kind, tuple) else (kind,)
        wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in names)
        raise PdmLockError(path, f"expected {wanted}", field=field)
    return value


def strings(value: Any, path: Path, field: str) -> tuple[str, ...]:
    """An array of strings, checked item by item."""
    items = need(value, list, path, field)
    for i, item in enumerate(items):
        need(item, str, path, f"{field}[{i}]")
    return tuple(items)


class Root(NamedTuple):
    name: str | None  # normalized
    groups: Mapping[str, tuple[str, ...]]  # group -> its own requirement lines
    includes: Mapping[str, frozenset[str]]  # group -> the groups it takes in
    extras: frozenset[str]  # the groups that are extras (optional-dependencies)
    dev_groups: frozenset[str]  # the dependency groups
    requires_python: str
    sources: tuple[Mapping[str, Any], ...]  # [[tool.pdm.source]]
    resolution: Mapping[str, Any]  # [tool.pdm.resolution]
    excludes: frozenset[str]  # resolution.excludes: never installed

    def closure(self, groups: set[str]) -> set[str]:
        """`groups` with every group they take in."""
        found, todo = set(groups), list(groups)
        while todo:
            for other in self.includes.get(todo.pop(), ()):
                if other not in found:
                    found.add(other)
                    todo.append(other)
        return found


_SELF = re.compile(r"^(.+?)(?:\[([^\]]+)\])?$")


def _group(
    items: Any, name: str | None, path: Path, field: str, *, dev: bool
) -> tuple[list[str], set[str]]:
    """A group's own requirement lines, and the groups it takes in."""
    lines: list[str] = []
    taken: set[str] = set()
    for i, item in enumerate(need(items, list, path, field)):
        where = f"{field}[{i}]"
        if isinstance(item, dict) and dev:
            if tuple(item) != ("include-group",):
                raise PdmLockError(path, "expected {include-group = NAME}", field=where)
            taken.add(normalize(need(item["include-group"], str, path, f"{where}.include-group")))
            continue
        line = need(item, str, path, where)
        match = _SELF.match(line)
        if match and name is not None and normalize(match.group(1)) == name:
            taken.update(normalize(e.strip()) for e in (match.group(2) or "").split(",") if e)
            continue
        _check_line(line, path, where)
        lines.append(line)
    return lines, taken


def _check_line(line: str, path: Path, field: str) -> None:
    if line.startswith("-e "):
        return  # an editable path or VCS URL, matched to the lock by path
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(line)
    except InvalidRequirement as error:
        if "://" in line or line.startswith(("git+", "hg+", "svn+", "bzr+")):
            return  # PDM's own URL forms (`name @ git+...`, `${PROJECT_ROOT}`): not re-parsed
        raise PdmLockError(
            path, f"not a requirement: {str(error).splitlines()[0]}", field=field
        ) from None


def _table(doc: Mapping[str, Any], key: str, path: Path, field: str) -> dict[str, Any]:
    return need(doc.get(key, {}), dict, path, field)  # type: ignore[no-any-return]


def read_root(pyproject: Mapping[str, Any], path: Path) -> Root:
    """The root project's groups, as PDM reads them; bad input names the field."""
    project = _table(pyproject, "project", path, "project")
    pdm = _table(_table(pyproject, "tool", path, "tool"), "pdm", path, "tool.pdm")
    if "workspace" in pdm:
        raise PdmLockError(path, "PDM workspaces are not read yet", field="tool.pdm.workspace")
    raw_name = project.get("name")
    name = normalize(need(raw_name, str, path, "project.name")) if raw_name is not None else None
    groups: dict[str, tuple[str, ...]] = {}
    includes: dict[str, frozenset[str]] = {}
    lines, taken = _group(
        project.get("dependencies", []), name, path, "project.dependencies", dev=False
    )
    groups[DEFAULT], includes[DEFAULT] = tuple(lines), frozenset(taken)
    optional = _table(project, "optional-dependencies", path, "project.optional-dependencies")
    for extra, items in optional.items():
        key = normalize(extra)
        field = f"project.optional-dependencies.{extra}"
        if key == DEFAULT:
            raise PdmLockError(path, "'default' is reserved by PDM", field=field)
        lines, taken = _group(items, name, path, field, dev=False)
        groups[key], includes[key] = tuple(lines), frozenset(taken)
    extras = frozenset(groups) - {DEFAULT}
    dev: dict[str, tuple[list[str], set[str]]] = {}
    for table, prefix in (
        (_table(pyproject, "dependency-groups", path, "dependency-groups"), "dependency-groups"),
        (
            _table(pdm, "dev-dependencies", path, "tool.pdm.dev-dependencies"),
            "tool.pdm.dev-dependencies",
        ),
    ):
        seen = set()
        for group, items in table.items():
            key, field = normalize(group), f"{prefix}.{group}"
            if key in seen:
                raise PdmLockError(path, f"group {key} is written twice", field=field)
            if key == DEFAULT:
                raise PdmLockError(path, "'default' is reserved by PDM", field=field)
            seen.add(key)
            lines, taken = _group(items, name, path, field, dev=True)
            merged = dev.setdefault(key, ([], set()))
            merged[0].extend(lines)
            merged[1].update(taken)
    for key, (lines, more) in dev.items():
        groups[key] = (*groups.get(key, ()), *lines)
        includes[key] = includes.get(key, frozenset()) | more
    for group, names in includes.items():
        unknown = sorted(names - set(groups))
        if unknown:
            raise PdmLockError(
                path, f"takes in groups that do not exist: {', '.join(unknown)}", field=group
            )
    sources = need(pdm.get("source", []), list, path, "tool.pdm.source")
    for i, source in enumerate(sources):
        need(source, dict, path, f"tool.pdm.source[{i}]")
        need(source.get("url"), str, path, f"tool.pdm.source[{i}].url")
    resolution = _table(pdm, "resolution", path, "tool.pdm.resolution")
    excludes = strings(resolution.get("excludes", []), path, "tool.pdm.resolution.excludes")
    requires_python = need(project.get("requires-python", ""), str, path, "project.requires-python")
    return Root(
        name=name,
        groups=groups,
        includes=includes,
        extras=extras,
        dev_groups=frozenset(dev),
        requires_python=requires_python,
        sources=tuple(sources),
        resolution=resolution,
        excludes=frozenset(normalize(e) for e in excludes),
    )
