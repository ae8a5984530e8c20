"""The environments a lock's markers tell apart: enough points to decide whether marker sets
cover everything the lock's requires-python allows (`forks_bound_nothing`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from lockstrip.environment.markers import Environment, comparisons
from lockstrip.formats.uv.model.project import Project

if TYPE_CHECKING:
    pass

__all__ = ["forks_bound_nothing"]


#: Variables that universal selection tells values apart for, after the Python version:
#: each adds one point per value a marker names (plus one value none names), as long as
#: markers only test it with == and != and the points stay at most _MAX_POINTS.
_DIMENSIONS = ("sys_platform", "platform_machine", "platform_system", "os_name")


_MAX_POINTS = 256


#: A value no marker names, for `!=` comparisons.
_OTHER = "\x00other"


def environment_points(project: Project, env: Environment) -> list[Mapping[str, str]]:
    """The environments markers are evaluated in: the target's, or (universal) a set that
    stands for every environment (`_environments`) for the lock's markers."""
    if env is not None:
        return [env]
    return _environments(set(_markers(project)), project.lock.data.get("requires-python", ""))


def _environments(markers: Iterable[str], requires: str) -> list[Mapping[str, str]]:
    """Environments that stand for every one `requires` (a requires-python) allows, as far
    as `markers` tell them apart: one per Python version that markers or requires-python
    tell apart (versions between two that markers name compare alike), times the values of
    a few platform variables; any other variable stays unknown, so its atoms can hold."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    versions: set[str] = set()
    values: dict[str, set[str]] = {}
    untracked: set[str] = set()
    for marker in markers:
        for variable, op, value in comparisons(marker):
            if variable in ("python_version", "python_full_version"):
                versions.add(value)
            elif op in ("==", "!="):
                values.setdefault(variable, set()).add(value)
            else:
                untracked.add(variable)
    versions.update(re.findall(r"\d+(?:\.\d+)*", requires))
    patches: dict[int, set[int]] = {minor: {0} for minor in range(21)}
    for text in versions:
        parts = [int(part) for part in re.findall(r"\d+", text)[:3]]
        if len(parts) >= 2 and parts[0] == 3:
            patch = parts[2] if len(parts) > 2 else 0
            patches.setdefault(parts[1], {0}).update({max(patch - 1, 0), patch, patch + 1})
    patches.setdefault(max(patches) + 1, {0})
    try:
        allowed = SpecifierSet(requires)
    except InvalidSpecifier:
        allowed = SpecifierSet()
    points: list[dict[str, str]] = [
        {"python_version": f"3.{minor}", "python_full_version": f"3.{minor}.{patch}"}
        for minor in sorted(patches)
        for patch in sorted(patches[minor])
        if allowed.contains(f"3.{minor}.{patch}", prereleases=True)
    ] or [{}]
    for variable in _DIMENSIONS:
        named = values.get(variable)
        if named and variable not in untracked:
            domain = [*sorted(named), _OTHER]
            if len(points) * len(domain) <= _MAX_POINTS:
                points = [{**point, variable: value} for point in points for value in domain]
    return list(points)


def _markers(project: Project) -> Iterator[str]:
    """Every marker on an edge of the lock."""
    tables: list[Any] = []
    for package in project.lock.packages:
        data = package.data
        tables.append(data.get("dependencies", []))
        for key in ("optional-dependencies", "dev-dependencies"):
            tables.extend(data.get(key, {}).values())
    manifest = project.lock.data.get("manifest", {})
    tables.append(manifest.get("requirements", []))
    tables.extend(manifest.get("dependency-groups", {}).values())
    for table in tables:
        for edge in table:
            marker = edge.get("marker")
            if marker:
                yield marker


def forks_bound_nothing(project: Project) -> bool:
    """Whether the lock-level `resolution-markers` cover every environment the lock's
    requires-python allows, so that they bound none of the markers uv prints (a scoped
    export then drops them: `rules.scoped.SCOPED_DROPS`). A whole resolution's forks do."""
    forks: list[str] = project.lock.data.get("resolution-markers", [])
    return bool(forks) and _everywhere(project, forks)


def _everywhere(project: Project, markers: list[str]) -> bool:
    """Whether, in every environment the lock's requires-python allows, one of `markers`
    holds for certain. Unknown variables or too many environments: False."""
    from lockstrip.environment.markers import evaluate

    environments = _environments(markers, project.lock.data.get("requires-python", ""))
    return all(any(evaluate(m, env) is True for m in markers) for env in environments)
