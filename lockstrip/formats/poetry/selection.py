"""Which locked packages one `poetry install` takes: the groups and extras of a scope, walked
through the lock's dependency edges, on one target or on any.

Poetry's scope options, with Poetry's meaning: every non-optional group by default (`main`
is the project's own dependencies), `--with G` adds an optional group, `--without G` leaves
one out, `--only G` takes exactly those, `--all-groups` every group, `-E/--extras` and
`--all-extras` the project's extras. uv's names map onto them where they mean the same:
`--group` is `--with`, `--no-group` is `--without`, `--only-group` is `--only`, `--no-dev`
is `--without dev`. The walk is the same for every lock generation: 1.1 and 2.0 record no
groups, so the edges are the only record of what a group pulls in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from lockstrip.environment.markers import evaluate
from lockstrip.formats.poetry.constraints import allows
from lockstrip.formats.poetry.model import (
    Dependency,
    Package,
    PoetryLockError,
    PoetryProject,
    normalize,
)
from lockstrip.formats.poetry.root import Root, read_root

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope

__all__ = ["Selection", "select"]


class Selection(NamedTuple):
    groups: tuple[str, ...]  # the groups installed, sorted ("main" among them)
    extras: tuple[str, ...]
    packages: tuple[Package, ...]  # in lock order; local ones included


def chosen_groups(root: Root, scope: Scope | None, project: PoetryProject) -> tuple[str, ...]:
    """The groups a scope installs, as Poetry decides them; an unknown name is bad input."""
    every = set(root.groups) | root.optional_groups
    if scope is None:
        return tuple(sorted(every))  # the whole lock: every group, optional ones too
    if scope.packages or scope.all_packages:
        raise PoetryLockError(
            project.pyproject_path, "--package is uv's; a Poetry project has one root"
        )
    if scope.no_default_groups:
        raise PoetryLockError(project.pyproject_path, "--no-default-groups is uv's; use --only")
    for name in (*scope.groups, *scope.only_groups, *scope.no_groups):
        if normalize(name) not in every:
            known = ", ".join(sorted(every))
            raise PoetryLockError(
                project.pyproject_path, f"group {name!r} is not in the project ({known})"
            )
    if scope.only_groups:
        chosen = {normalize(name) for name in scope.only_groups}
    elif scope.all_groups:
        chosen = set(every)
    else:
        chosen = (every - root.optional_groups) | {normalize(name) for name in scope.groups}
    chosen -= {normalize(name) for name in scope.no_groups}
    if scope.no_dev:
        chosen.discard("dev")
    return tuple(sorted(chosen))


def chosen_extras(root: Root, scope: Scope | None, project: PoetryProject) -> tuple[str, ...]:
    if scope is None or scope.all_extras:
        return tuple(sorted(root.extras))
    for name in scope.extras:
        if normalize(name) not in root.extras:
            known = ", ".join(sorted(root.extras)) or "none"
            raise PoetryLockError(
                project.pyproject_path, f"extra {name!r} is not in the project (extras: {known})"
            )
    return tuple(sorted({normalize(name) for name in scope.extras}))


def _applies(dep: Dependency, env: Mapping[str, str] | None, extras: Iterable[str] = ()) -> bool:
    """Whether an edge applies on the target; an `extra == "x"` clause (an optional
    dependency's, as the lock writes it) holds when the dependent's extra x is asked for."""
    if env is None or not dep.markers:
        return True
    return evaluate(dep.markers, env, frozenset(extras)) is not False


def _candidates(
    by_name: Mapping[str, list[Package]], dep: Dependency, target: Target | None
) -> Iterable[Package]:
    for package in by_name.get(dep.name, ()):
        fits = package.local or dep.constraint == "*" or allows(dep.constraint, package.version)
        if fits and (target is None or allows(package.python_versions, target.python_full_version)):
            yield package


def select(
    project: PoetryProject, scope: Scope | None = None, target: Target | None = None
) -> Selection:
    """The packages one install of `scope` takes on `target` (on any, without one)."""
    root = read_root(project.pyproject, project.pyproject_path)
    groups = chosen_groups(root, scope, project)
    extras = chosen_extras(root, scope, project)
    if scope is None and target is None:
        return Selection(groups, extras, project.packages)
    env = target.environment() if target is not None else None
    taken, _ = _walk(project, root, groups, extras, target)
    if project.lock_version == "2.1":  # Poetry 2 installs what the lock records per group
        chosen = set(groups)
        packages = tuple(
            p
            for p in project.packages
            if _recorded(p, chosen, env, extras)
            and (id(p) in taken or not p.optional or not _names_an_extra(p))
        )
    else:
        packages = tuple(p for p in project.packages if id(p) in taken)
        if target is not None:
            # Poetry solves again over a lock 1.1 or 2.0 with every group of the root in the
            # graph, and installs the requested groups' part of that one solution.
            every = tuple(sorted(set(root.groups) | root.optional_groups))
            _, asks = _walk(project, root, every, tuple(sorted(root.extras)), target)
            packages = _one_version_each(packages, asks)
    return Selection(groups, extras, packages)


def _walk(
    project: PoetryProject,
    root: Root,
    groups: Iterable[str],
    extras: Iterable[str],
    target: Target | None,
) -> tuple[dict[int, set[str]], dict[str, set[str]]]:
    """The locked packages the groups' and extras' dependencies lead to, on the target (on
    any, without one), each with the extras asked of it (by `id`); and the constraints the
    edges walked put on each name."""
    env = target.environment() if target is not None else None
    wanted_optional = {name for extra in extras for name in root.extras.get(extra, ())}
    start = [
        dep
        for group in groups
        for dep in root.groups.get(group, ())
        if not dep.optional or dep.name in wanted_optional
    ]
    by_name: dict[str, list[Package]] = {}
    for package in project.packages:
        by_name.setdefault(package.name, []).append(package)
    taken: dict[int, set[str]] = {}
    queue = [(dep, frozenset(dep.extras)) for dep in start if _applies(dep, env)]
    queue.reverse()
    asks: dict[str, set[str]] = {}
    while queue:
        dep, asked = queue.pop()
        asks.setdefault(dep.name, set()).add(dep.constraint)
        for package in _candidates(by_name, dep, target):
            seen = taken.get(id(package))
            if seen is not None and asked <= seen:
                continue
            seen = taken.setdefault(id(package), set())
            seen |= asked
            on = {
                _requirement_name(text) for extra in seen for text in package.extras.get(extra, ())
            }
            for edge in package.dependencies:
                if (edge.optional and edge.name not in on) or not _applies(edge, env, seen):
                    continue
                queue.append((edge, frozenset(edge.extras) | _extras_of(package, edge.name, seen)))
    return taken, asks


def _one_version_each(
    packages: tuple[Package, ...], asks: Mapping[str, set[str]]
) -> tuple[Package, ...]:
    """On one target an install takes one version of a package: where the walk reached
    several (a Python fork in main, `alpha >= 1.1` in a group), the one every constraint on
    the way allows, as Poetry's solver intersects them (locks 1.1 and 2.0, which record no
    markers of their own)."""
    by_name: dict[str, list[Package]] = {}
    for package in packages:
        by_name.setdefault(package.name, []).append(package)
    dropped: set[int] = set()
    for name, found in by_name.items():
        if len(found) < 2:
            continue
        fits = [p for p in found if all(allows(c, p.version) for c in asks.get(name, ()))]
        if fits:
            dropped |= {id(p) for p in found if p not in fits}
    return tuple(p for p in packages if id(p) not in dropped)


def _recorded(
    package: Package, chosen: set[str], env: Mapping[str, str] | None, extras: Iterable[str]
) -> bool:
    """Whether lock 2.1's `groups` and `markers` put `package` in one of the `chosen` groups
    on the target (on some target, without one); `extra == "x"` in a recorded marker holds
    when the project's extra x is asked for, target or not, as in Poetry 2's installer
    (wemake's two optional rpds-py, one for Python < 3.14, one for 3.14+, both `extra ==
    "mcp"`)."""
    for group in chosen.intersection(package.groups):
        marker = package.markers
        if isinstance(marker, Mapping):
            marker = marker.get(group)
        if not marker or evaluate(marker, env, frozenset(extras)) is not False:
            return True
    return False


def _names_an_extra(package: Package) -> bool:
    """Whether lock 2.1 records `package` under an `extra == ...` marker. An optional root
    dependency that no extra names gets none, and Poetry 2 installs it by default
    (airbyte-python-cdk's nltk and langchain_core, `optional = true` in no extra)."""
    markers = package.markers
    texts = markers.values() if isinstance(markers, Mapping) else [markers or ""]
    return any("extra" in text for text in texts)


def _requirement_name(text: str) -> str:
    import re

    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)
    return normalize(match.group(1)) if match else text


def _extras_of(package: Package, name: str, asked: Iterable[str]) -> frozenset[str]:
    """The extras of `name` that `package`'s requested extras ask for (`foo[bar]` in an extra)."""
    import re

    found: set[str] = set()
    for extra in asked:
        for text in package.extras.get(extra, ()):
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*\[([^\]]*)\]", text)
            if match and normalize(match.group(1)) == name:
                found |= {normalize(e) for e in match.group(2).split(",") if e.strip()}
    return frozenset(found)
