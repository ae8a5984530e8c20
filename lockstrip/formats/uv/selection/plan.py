"""What one export's install takes, decided once, before any rule runs (`InstallPlan`).

The strip rules (`formats/uv/rules/apply.py`) read this value and never select; the
selection modules compute it and never strip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from lockstrip.errors import InputError
from lockstrip.formats.request import Mode, Scope, Skip, target_args
from lockstrip.formats.uv.model.project import Project
from lockstrip.formats.uv.selection.environments import forks_bound_nothing
from lockstrip.formats.uv.selection.fold import Fold, fold, skipped
from lockstrip.formats.uv.selection.names import extra_names, group_names
from lockstrip.formats.uv.selection.select import Selection, select

if TYPE_CHECKING:
    from lockstrip.environment.target import Target

__all__ = ["InstallPlan", "plan_install"]


class InstallPlan(NamedTuple):
    """One install's selection: scope, target, and what the download step leaves out or
    folds. Unscoped (`scoped` False), the export is the whole project's."""

    mode: Mode
    #: the scope, the target or the skip was given: the export holds only this install
    scoped: bool
    target: Target | None
    #: the packages and tables the install takes; None when unscoped and no
    #: requirements.txt is asked for
    selection: Selection | None
    #: the local packages folded into one root (`--no-install-workspace`, `-local`)
    fold: Fold | None
    skip: Skip | None
    #: lock indexes kept without edges: the root project, which uv looks up
    keep: frozenset[int]
    #: group names kept, by pyproject (None: the root's); None: every group stays
    groups: dict[str | None, set[str]] | None
    #: extra names kept, by local package; None: every extra stays
    extras: dict[str, set[str]] | None
    #: the lock-level forks bound none of the markers uv prints (`rules.scoped`)
    forks_bound_nothing: bool
    #: the options written in the export's header (mode excepted), to rebuild it
    options: tuple[str, ...]
    requirements: bool


def plan_install(
    project: Project,
    mode: Mode = "frozen",
    scope: Scope | None = None,
    target: Target | None = None,
    *,
    skip: Skip | None = None,
    requirements: bool = False,
) -> InstallPlan:
    """The plan for an export of `project` with these options."""
    scoped = scope is not None or target is not None or skip is not None
    if scoped and mode == "locked":
        raise InputError(
            project.lock.path,
            "a scoped or targeted export cannot pass `uv lock --check`; use --mode frozen",
            field="--mode",
        )
    scope = scope or Scope()
    selection = None
    if scoped or requirements:
        selection = select(project, scope, target.environment() if target else None)
    options: list[str] = []
    folded, keep, groups, extras, bound = None, frozenset[int](), None, None, False
    if scoped and selection is not None:
        # the root project stays, without edges: uv checks that the lock holds the root
        keep = frozenset(
            index
            for index, package in enumerate(project.lock.packages)
            if package.name == project.root_name and project.locals.is_local(package)
        )
        folded = fold(project, selection, skipped(project, skip), scope) if skip else None
        groups = group_names(project, scope, selection)
        extras = extra_names(project, scope, selection)
        bound = forks_bound_nothing(project)
        options = scope.to_args() + target_args(target)
        options += [f"--no-install-{skip}"] if skip else []
    if requirements:
        options.append("--requirements")
    return InstallPlan(
        mode=mode,
        scoped=scoped,
        target=target,
        selection=selection,
        fold=folded,
        skip=skip,
        keep=keep,
        groups=groups,
        extras=extras,
        forks_bound_nothing=bound,
        options=tuple(options),
        requirements=requirements,
    )
