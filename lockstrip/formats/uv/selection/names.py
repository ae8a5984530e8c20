"""The group and extra names a scoped export keeps: those the install reads, and those the
flags name, which uv looks up."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lockstrip.formats.uv.model.project import Project

if TYPE_CHECKING:
    pass
from lockstrip.formats.request import Scope
from lockstrip.formats.uv.selection.select import Selection

__all__ = ["extra_names", "group_names"]


def group_names(project: Project, scope: Scope, selection: Selection) -> dict[str | None, set[str]]:
    """The dependency groups a scoped export keeps, by pyproject: None for the root's, a
    member's name for its skeleton. A group stays when the install reads its edges, or when
    the scope names it (`--group`, `--only-group`, `--no-group`: uv looks the name up)."""
    named = {*scope.groups, *scope.only_groups, *scope.no_groups}
    root = project.root_name
    found: dict[str | None, set[str]] = {None: set(named)}
    for index, kind, group in selection.tables:
        if kind != "dev-dependencies" or group is None:
            continue
        name = None if index is None else project.lock.packages[index].name
        found.setdefault(None if name == root else name, set(named)).add(group)
    for member in project.lock.members:
        if member != root:
            found.setdefault(member, set(named))
    return found


def extra_names(project: Project, scope: Scope, selection: Selection) -> dict[str, set[str]]:
    """The extras (normalized) each local lock entry of a scoped export keeps in
    `provides-extras`, by package name: those whose edges the install reads, and those the
    scope names for the packages it starts from (all of theirs with `--all-extras`), which uv
    looks up (`rules.scoped.SCOPED_DROPS`)."""
    found: dict[str, set[str]] = {}
    for index, kind, extra in selection.tables:
        if kind == "optional-dependencies" and index is not None and extra is not None:
            found.setdefault(project.lock.packages[index].name, set()).add(extra_key(extra))
    named = {extra_key(extra) for extra in scope.extras}
    for index in selection.roots:
        package = project.lock.packages[index]
        own = {extra_key(extra) for extra in package.data.get("optional-dependencies", {})}
        own |= {
            extra_key(extra)
            for extra in package.data.get("metadata", {}).get("provides-extras", [])
        }
        found.setdefault(package.name, set()).update(own if scope.all_extras else own & named)
    return found


def extra_key(name: str) -> str:
    """An extra's name as uv compares it (PEP 685)."""
    return re.sub(r"[-_.]+", "-", name).lower()
