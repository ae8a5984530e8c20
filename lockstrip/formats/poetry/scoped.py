"""A scoped Poetry export: what `poetry install --only main` (or another choice of groups)
reads, and nothing a change outside those groups touches.

The export's pyproject keeps the project's own dependencies and the chosen groups' tables
(a `[tool.poetry.group.G]`, a `[dependency-groups]` entry and the groups it includes,
`dev-dependencies` for `dev`), and every other group by name, empty. poetry.lock keeps the
packages those groups and every extra can take (the extras stay: `poetry install -E` is
the install's choice), and the content-hash of what the pyproject now holds
(`content_hash.py`), so Poetry reads the export as a project of those groups whose lock is
fresh. A dev tool's upgrade then leaves a `--only main` export, and the Docker layer keyed
on it, untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lockstrip.formats.poetry.content_hash import content_hash
from lockstrip.formats.poetry.model import PoetryLockError, PoetryProject, normalize
from lockstrip.formats.poetry.root import MAIN, read_root
from lockstrip.formats.poetry.selection import chosen_groups, select

if TYPE_CHECKING:
    from lockstrip.formats.request import Scope

__all__ = ["keep_groups", "poetry_args", "prune_lock"]


def poetry_args(scope: Scope) -> list[str]:
    """The scope in Poetry's option names, for the export's header line."""
    args = []
    for flag, names in (
        ("--only", scope.only_groups),
        ("--with", scope.groups),
        ("--without", (*scope.no_groups, *(("dev",) if scope.no_dev else ()))),
    ):
        if names:
            args += [flag, ",".join(names)]
    if scope.all_groups:
        args.append("--all-groups")
    return args


def check_scope(project: PoetryProject, scope: Scope) -> None:
    if scope.extras or scope.all_extras:
        raise PoetryLockError(
            project.lock_path,
            "a Poetry export keeps every extra; give -E/--extras to `poetry install` "
            "and to `lockstrip digest`",
        )


def _included(groups: Mapping[str, Any], name: str, seen: set[str]) -> set[str]:
    """`name` and the `[dependency-groups]` it includes, by their written names."""
    if name in seen or name not in groups:
        return seen
    seen.add(name)
    for item in groups[name] if isinstance(groups[name], list) else ():
        if isinstance(item, dict) and isinstance(item.get("include-group"), str):
            target = next(
                (g for g in groups if normalize(g) == normalize(item["include-group"])), None
            )
            if target is not None:
                _included(groups, target, seen)
    return seen


def keep_groups(doc: dict[str, Any], chosen: set[str]) -> dict[str, Any]:
    """A stripped pyproject whose groups outside `chosen` (and what the chosen ones
    include) are kept by name but empty: `poetry install --without dev` on the export must
    find the group it leaves out, as on the project."""
    out = dict(doc)
    poetry = dict(out.get("tool", {}).get("poetry", {}))
    tables = poetry.get("group", {})
    kept_names = {name for name in tables if normalize(name) in chosen}
    for name in list(kept_names):
        table = tables[name]
        for included in table.get("include-groups", ()) if isinstance(table, dict) else ():
            kept_names |= {g for g in tables if normalize(g) == normalize(included)}
    if tables:
        poetry["group"] = {
            name: table if name in kept_names else {**table, "dependencies": {}}
            for name, table in tables.items()
        }
    if "dev-dependencies" in poetry and "dev" not in chosen:
        poetry["dev-dependencies"] = {}
    if "tool" in out:
        out["tool"] = {"poetry": poetry}
    groups = out.get("dependency-groups")
    if isinstance(groups, dict):
        kept: set[str] = set()
        for name in groups:
            if normalize(name) in chosen:
                _included(groups, name, kept)
        out["dependency-groups"] = {name: groups[name] if name in kept else [] for name in groups}
    return out


_CONTENT_HASH = re.compile(r'^content-hash = "[0-9a-f]*"(?=\r?$)', re.MULTILINE)


def prune_lock(
    project: PoetryProject, scope: Scope, text: str, pyproject: Mapping[str, Any]
) -> tuple[str, frozenset[str]]:
    """poetry.lock's text (local versions already masked) with only the packages the chosen
    groups and every extra take, and the content-hash of `pyproject`; and the names of the
    packages kept."""
    from lockstrip.formats.request import Scope as Request

    root = read_root(project.pyproject, project.pyproject_path)
    chosen = chosen_groups(root, scope, project)
    request = Request(only_groups=chosen or (MAIN,), all_extras=True)
    taken = select(project, request).packages
    kept = {id(package) for package in taken}
    blocks = re.split(r"(?m)^(?=\[\[package\]\]\r?$)", text)
    head, packages = blocks[0], blocks[1:]
    # The last block runs into [metadata]: cut it there.
    tail = ""
    if packages:
        last = packages[-1]
        at = re.search(r"(?m)^\[metadata\]\r?$", last)
        if at is not None:
            packages[-1], tail = last[: at.start()], last[at.start() :]
    if len(packages) != len(project.packages):
        raise PoetryLockError(project.lock_path, "the [[package]] tables could not be told apart")
    body = "".join(
        block
        for block, package in zip(packages, project.packages, strict=True)
        if id(package) in kept
    )
    tail, count = _CONTENT_HASH.subn(f'content-hash = "{content_hash(pyproject)}"', tail, count=1)
    if count != 1:
        raise PoetryLockError(
            project.lock_path, "no content-hash line to rewrite", field="metadata.content-hash"
        )
    if not body:  # Poetry reads a lock without packages only as `package = []`
        newline = "\r\n" if "\r\n" in text else "\n"
        body = f"package = []{newline}{newline}"
    return head + body + tail, frozenset(package.name for package in taken)
