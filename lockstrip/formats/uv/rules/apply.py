"""The one place the rules run: every file of an export, stripped for one `InstallPlan`.

The plan is decided before (`formats/uv/selection/plan.py`); nothing here selects. Each
file passes through its rules once: the lock through `rules.lock`, then, for one install,
`rules.restrict` and `rules.scoped`; each pyproject through `rules.pyproject`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from lockstrip.formats.uv.model.locals import LOCAL_SOURCE_KINDS
from lockstrip.formats.uv.model.project import Member, Project
from lockstrip.formats.uv.rules.lock import strip_lock
from lockstrip.formats.uv.rules.pyproject import (
    keep_groups,
    kept_group_names,
    static_metadata,
    strip_member_pyproject,
    strip_root_pyproject,
)
from lockstrip.formats.uv.rules.restrict import restrict
from lockstrip.formats.uv.rules.scoped import keep_lock_extras, keep_lock_groups, strip_scoped_lock
from lockstrip.formats.uv.selection.plan import InstallPlan

__all__ = ["Stripped", "strip_export"]


class Stripped(NamedTuple):
    """An export's documents, stripped: the lock, and each pyproject by relative path (the
    root's first, then the local packages' in the project's order)."""

    lock: dict[str, Any]
    pyprojects: dict[str, dict[str, Any]]


def strip_export(project: Project, plan: InstallPlan) -> Stripped:
    """Apply the rules to every file the export holds, for the install `plan` describes."""
    lock = strip_lock(project.lock, project.locals, plan.mode)
    members = list(project.members)
    if plan.scoped:
        assert plan.selection is not None  # plan_install selects for every scoped plan
        lock = restrict(
            lock,
            project,
            plan.selection,
            plan.target,
            keep_locals=False,
            keep=plan.keep,
            fold=plan.fold,
        )
        lock = strip_scoped_lock(
            lock,
            members=set(project.lock.members) - {project.root_name},
            forks_bound_nothing=plan.forks_bound_nothing,
        )
        kept = {table["name"] for table in lock["package"] if _is_local(table)}
        members = [member for member in members if member.name in kept]
    #: Local package name -> the groups its scoped pyproject keeps, which its lock entry
    #: then names (`keep_lock_groups`).
    kept_groups: dict[str | None, set[str]] = {}
    workspace = [member.path for member in members if member.workspace_member]
    root = strip_root_pyproject(
        project.pyproject, plan.mode, lock_name=project.root_name, members=workspace
    )
    groups = plan.groups
    own = None if groups is None else groups[None]
    pyprojects = {"pyproject.toml": _scoped(root, project.root_name, own, plan, kept_groups)}
    # Every local package inside the project, workspace member or path dependency: uv's
    # install plan looks each one up at its path, even where it will not be installed.
    for member in members:
        source = _member_source(project, member, plan)
        doc = strip_member_pyproject(source, plan.mode, name=member.name)
        names = None if groups is None else groups.get(member.name, set())
        pyprojects[f"{member.path}/pyproject.toml"] = _scoped(
            doc, member.name, names, plan, kept_groups
        )
    if kept_groups or plan.extras is not None:
        lock = {
            **lock,
            "package": [_scoped_local(t, kept_groups, plan.extras) for t in lock["package"]],
        }
    return Stripped(lock, pyprojects)


def _member_source(project: Project, member: Member, plan: InstallPlan) -> Mapping[str, Any]:
    rel = f"{member.path}/pyproject.toml"
    if plan.mode == "frozen" and not member.workspace_member and project.files.read(rel) is None:
        return {}  # a setup.py path dependency: the lock names it
    return project.member_pyproject(member)


def _scoped(
    doc: dict[str, Any],
    name: str | None,
    groups: set[str] | None,
    plan: InstallPlan,
    kept_groups: dict[str | None, set[str]],
) -> dict[str, Any]:
    """A stripped pyproject as one install reads it: static metadata alone where the install
    leaves the local packages out; only the `groups` it keeps (recorded in `kept_groups`
    under the package's `name`)."""
    if plan.skip is not None:
        doc = static_metadata(doc)
    if groups is not None:
        kept_groups[name] = kept_group_names(doc, groups)
        doc = keep_groups(doc, groups)
    return doc


def _is_local(table: Mapping[str, Any]) -> bool:
    return bool(LOCAL_SOURCE_KINDS.keys() & table["source"].keys())


def _scoped_local(
    table: dict[str, Any],
    groups: Mapping[str | None, set[str]],
    extras: Mapping[str, set[str]] | None,
) -> dict[str, Any]:
    """A scoped export's lock entry: a local one names only the groups its pyproject keeps
    and the extras the install chooses (`keep_lock_groups`, `keep_lock_extras`)."""
    if not _is_local(table):
        return table
    if table.get("name") in groups:
        table = keep_lock_groups(table, groups[table["name"]])
    if extras is not None:
        table = keep_lock_extras(table, extras.get(table["name"], set()))
    return table
