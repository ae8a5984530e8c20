"""Build uv's export: the install's plan, the rules applied for it, the files rendered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lockstrip.formats.uv.model.project import Project
from lockstrip.formats.uv.render.lock import render_lock
from lockstrip.formats.uv.rules.apply import strip_export
from lockstrip.formats.uv.selection.plan import plan_install
from lockstrip.io.export_folder import Mode
from lockstrip.io.tomlwrite import render_pyproject

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope, Skip
from lockstrip.io.export_folder import Export, header, write_export

__all__ = ["Export", "Mode", "build_export", "write_export"]


def build_export(
    project: Project,
    mode: Mode = "frozen",
    scope: Scope | None = None,
    target: Target | None = None,
    *,
    requirements: bool = False,
    skip: Skip | None = None,
) -> Export:
    """The export's files; with a scope or a target, only what that install reads: the
    packages it takes, the members it starts from or reaches (lock, `[manifest] members`,
    workspace, skeletons) and the group names it chooses (`rules.scoped.SCOPED_DROPS`).

    `requirements` adds requirements.txt: the same install's third-party pins with hashes,
    for an offline install from a wheelhouse (`lockstrip fetch`).

    `skip` ("workspace", "local") is for an install that leaves those local packages out
    (`uv sync --no-install-workspace`, `--no-install-local`): it reads them only to find the
    third-party ones, so the export folds them into its root (`selection.fold.Fold`).

    One pass: the install's plan is decided first (`plan_install`), the rules then strip
    every file for it (`strip_export`), and the files are rendered from the result.
    """
    plan = plan_install(project, mode, scope, target, skip=skip, requirements=requirements)
    stripped = strip_export(project, plan)
    files = {
        path: header(mode, plan.options) + render_pyproject(doc)
        for path, doc in stripped.pyprojects.items()
    }
    files["uv.lock"] = render_lock(stripped.lock)
    if plan.selection is not None and requirements:
        from lockstrip.formats.uv.render.requirements import render_requirements

        files["requirements.txt"] = render_requirements(
            project, plan.selection, target, plan.options
        )
    sources = (project.root, *(project.root / member.path for member in project.members))
    return Export(dict(sorted(files.items())), tuple(_warnings(project, mode)), sources)


def _dynamic(doc: Mapping[str, Any]) -> list[str]:
    dynamic = doc.get("project", {}).get("dynamic", [])  # checked by project.read_files
    return [d for d in dynamic if d in ("dependencies", "optional-dependencies")]


def _warnings(project: Project, mode: Mode) -> list[str]:
    notes = []
    # uv plans an install of a path dependency from its skeleton (the export writes one for
    # each inside the project), but installing it builds it from its source; an archive is
    # not in the export at all. --no-install-project and --no-install-workspace skip neither.
    if project.needs_files:
        notes.append(
            f"path dependencies that are not workspace members ({', '.join(project.needs_files)})"
            " are installed from the project's files: in the download stage run "
            "`uv sync --frozen --no-install-local`"
        )
    if mode != "locked":
        return notes
    if project.outside:
        places = ", ".join(f"{name} ({path})" for name, path in project.outside)
        notes.append(
            f"`uv sync --locked` cannot run on this export: path dependencies outside the "
            f"project ({places}) must be read to validate the lock; use the default "
            "--mode frozen with `uv sync --frozen` in the download stage"
        )
    dynamic = {"pyproject.toml": _dynamic(project.pyproject)}
    for member in project.members:
        if project.files.read(f"{member.path}/pyproject.toml") is not None:
            dynamic[f"{member.path}/pyproject.toml"] = _dynamic(project.member_pyproject(member))
    for where, fields in dynamic.items():
        if fields:
            notes.append(
                f"`uv sync --locked` cannot run on this export: {where} declares "
                f"{' and '.join(fields)} dynamic, which uv must build the project to read; use "
                "--mode frozen with `uv sync --frozen` in the download stage"
            )
    return notes
