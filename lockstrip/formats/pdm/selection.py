"""Which locked packages one `pdm install` takes: the groups of a scope, on one target or on
any, as PDM 2.29 decides them (`pdm/cli/filters.py` `GroupSelection`, `pdm/cli/actions.py`
`resolve_from_lockfile`).

PDM's groups are `default`, the extras and the dependency groups, all named by `-G`. With no
option PDM installs every group the lock records; `-G G` installs `default`, G and, when G is
no dependency group, every dependency group too; `--prod` leaves the dependency groups out,
`--without G` leaves G out (alone, it means `-G :all --without G`), `--no-default` leaves
`default` out, `-G :all` takes every extra. lockstrip's options map onto them: `--group G` and
`--extra E` are `-G`, `--no-dev` is `--prod`, `--no-group G` is `--without G`,
`--only-group G` is `--no-default -G G`, `--all-groups` and `--all-extras` are `-G :all`.

A lock written with `inherit_metadata` says per package which groups take it and where
(`groups`, `marker`): PDM installs from that. Any other lock is resolved again from the
root's requirements through the lock's edges; the walk here does the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from lockstrip.environment.markers import evaluate
from lockstrip.formats.pdm.model import Package, PdmLockError, PdmProject, normalize
from lockstrip.formats.pdm.root import DEFAULT

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope

__all__ = ["Selection", "chosen_groups", "select"]


class Selection(NamedTuple):
    groups: tuple[str, ...]  # the groups installed, `default` first
    packages: tuple[Package, ...]  # in lock order; local ones included


def _ordered(groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(groups), key=lambda g: (g != DEFAULT, g)))


def chosen_groups(project: PdmProject, scope: Scope | None) -> tuple[str, ...]:
    """The groups a scope installs, as PDM decides them; an unknown name is bad input, and
    so is a group the lock was not written for (PDM refuses it too)."""
    root, where = project.declared, project.pyproject_path
    every = set(root.groups)
    locked = project.groups
    if scope is None:
        if locked:  # `pdm install`: what the lock was written for
            return _ordered(g for g in locked if g in every)
        return _ordered({DEFAULT} | root.dev_groups)
    if scope.packages or scope.all_packages:
        raise PdmLockError(where, "--package is uv's; a PDM project has one root")
    if scope.no_default_groups:
        raise PdmLockError(where, "--no-default-groups is uv's; use --no-group G")
    named = [*scope.groups, *scope.extras, *scope.only_groups]
    for name in (*named, *scope.no_groups):
        if normalize(name) not in every:
            known = ", ".join(_ordered(every))
            raise PdmLockError(where, f"group {name!r} is not in the project ({known})")
    wanted = {normalize(name) for name in named}
    every_extra = scope.all_groups or scope.all_extras
    default = not scope.only_groups
    dev = not scope.no_dev
    if scope.no_groups and not wanted and not scope.no_dev:
        every_extra = True  # `--without G` alone is `-G :all --without G`
    if wanted & root.dev_groups:
        if scope.no_dev:
            raise PdmLockError(
                where, "--no-dev (PDM's --prod) leaves out the dependency groups named"
            )
    elif dev:
        wanted |= root.dev_groups
    if every_extra:
        wanted |= root.extras
    if default:
        wanted.add(DEFAULT)
    wanted -= {normalize(name) for name in scope.no_groups}
    missing = sorted(wanted - set(locked)) if locked else []
    if missing:
        raise PdmLockError(
            project.lock_path,
            f"groups not in the lock: {', '.join(missing)} (`pdm lock -G` them first)",
            field="metadata.groups",
        )
    return _ordered(wanted)


def select(
    project: PdmProject, scope: Scope | None = None, target: Target | None = None
) -> Selection:
    """The packages one install of `scope` takes on `target` (on any, without one)."""
    groups = chosen_groups(project, scope)
    if scope is None and target is None:
        return Selection(groups, project.packages)
    env = target.environment() if target is not None else None
    excludes = project.declared.excludes
    if project.inherits_metadata:
        chosen = set(groups)
        packages = tuple(
            p
            for p in project.packages
            if p.name not in excludes
            and (not p.groups or chosen.intersection(p.groups))
            and (env is None or evaluate(p.marker, env) is not False)
        )
        return Selection(groups, packages)
    return Selection(groups, _walk(project, groups, target, env))


class _Want(NamedTuple):
    name: str | None
    extras: frozenset[str]
    specifier: str
    path: str | None


def _want(line: str, env: Mapping[str, str] | None) -> _Want | None:
    """A requirement line as the walk reads it; None when its marker is false on the target."""
    import posixpath

    if line.startswith("-e "):
        text = line[3:].strip()
        if "://" not in text:
            return _Want(None, frozenset(), "", posixpath.normpath(text.replace("\\", "/")))
        line = text.rsplit("#egg=", 1)[-1] if "#egg=" in text else text
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None  # a URL form PDM alone reads: matched by nothing here
    marker = requirement.marker
    if env is not None and marker is not None and evaluate(str(marker), env) is False:
        return None
    extras = frozenset(normalize(e) for e in requirement.extras)
    return _Want(normalize(requirement.name), extras, str(requirement.specifier), None)


def _fits(package: Package, want: _Want, target: Target | None) -> bool:
    if want.path is not None:
        return package.path == want.path
    if package.name != want.name or set(package.extras) != want.extras:
        return False
    if want.specifier and not package.local and not package.vcs and not package.url:
        from packaging.specifiers import SpecifierSet
        from packaging.version import InvalidVersion

        try:
            if not SpecifierSet(want.specifier).contains(package.version, prereleases=True):
                return False
        except InvalidVersion:
            return False
    if target is not None and package.requires_python:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            return SpecifierSet(package.requires_python).contains(
                target.python_full_version, prereleases=True
            )
        except InvalidSpecifier:
            return True
    return True


def _walk(
    project: PdmProject,
    groups: tuple[str, ...],
    target: Target | None,
    env: Mapping[str, str] | None,
) -> tuple[Package, ...]:
    root = project.declared
    lines = [line for group in sorted(root.closure(set(groups))) for line in root.groups[group]]
    taken: set[int] = set()
    queue = [w for w in (_want(line, env) for line in lines) if w is not None]
    while queue:
        want = queue.pop()
        if want.name in root.excludes:
            continue
        for index, package in enumerate(project.packages):
            if index in taken or not _fits(package, want, target):
                continue
            taken.add(index)
            queue += [w for w in (_want(d, env) for d in package.dependencies) if w is not None]
            if package.extras:  # `foo[bar]` takes `foo` itself at the same version
                queue.append(_Want(package.name, frozenset(), f"=={package.version}", None))
    return tuple(p for i, p in enumerate(project.packages) if i in taken)
