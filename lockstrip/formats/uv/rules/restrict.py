"""Cut a stripped lock down to one install's selection: the packages it takes, the edges it
follows, the artifact a target installs, and a fold's edges on its root."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lockstrip.formats.uv.model.project import Project

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
from lockstrip.formats.uv.selection.fold import Fold
from lockstrip.formats.uv.selection.select import PackageIndex, Selection

__all__ = ["restrict"]


_EDGE_TABLES = ("dependencies", "optional-dependencies", "dev-dependencies")


def _followed(
    lock: PackageIndex, origin: int, edges: list[Any], stripped: list[Any], selection: Selection
) -> list[Any]:
    """The stripped edges whose original the selection followed (edges hold the same order)."""
    kept = []
    for edge, table in zip(edges, stripped, strict=True):
        if (origin, lock.find(edge)) in selection.edges:
            kept.append(table)
    return kept


def _installed_artifact(table: dict[str, Any], target: Target) -> dict[str, Any]:
    """The package with only the artifact `target` installs (none if nothing fits)."""
    from lockstrip.environment.target import best_artifact

    best = best_artifact(table, target)
    out = {key: value for key, value in table.items() if key not in ("sdist", "wheels")}
    if best is not None and best is table.get("sdist"):
        out["sdist"] = best
    elif best is not None:
        out["wheels"] = [best]
    return out


def restrict(
    view: Mapping[str, Any],
    project: Project,
    selection: Selection,
    target: Target | None = None,
    *,
    keep_locals: bool = True,
    keep: frozenset[int] = frozenset(),
    fold: Fold | None = None,
) -> dict[str, Any]:
    """A stripped lock (`view`) cut down to `selection`.

    Third-party packages outside it go, with the edges that led to them. Local packages stay
    when `keep_locals` (uv checks the workspace against the lock), and so do the packages
    `keep` indexes, but lose the edges the install does not follow. With a `target`, a
    package keeps only the artifact it installs. With a `fold`, the folded local packages
    go, and the packages they lead to hang from the fold's root.
    """
    lock = PackageIndex(project.lock.packages)
    packages = []
    for index, (package, table) in enumerate(
        zip(lock.packages, view.get("package", []), strict=True)
    ):
        local = project.locals.is_local(package)
        if index not in selection.packages and not (keep_locals and local) and index not in keep:
            continue
        if fold is not None and index in fold.folded:
            if index not in keep and index not in fold.roots:
                continue
            out = {key: value for key, value in table.items() if key not in _EDGE_TABLES}
            if index == fold.root and fold.edges:
                out = _with_dependencies(out, fold.edges)
            packages.append(out)
            continue
        out = dict(table)
        for key in _EDGE_TABLES:
            if key not in out:
                continue
            # only the tables the install reads: a group that is not installed loses its
            # edges even to packages another table installs
            if key == "dependencies":
                kept: Any = []
                if (index, key, None) in selection.tables:
                    kept = _followed(lock, index, package.data[key], out[key], selection)
            else:
                kept = {
                    name: followed
                    for name, edges in package.data[key].items()
                    if (index, key, name) in selection.tables
                    and (followed := _followed(lock, index, edges, out[key][name], selection))
                }
            if kept:
                out[key] = kept
            else:
                del out[key]
        if target is not None and not local:
            out = _installed_artifact(out, target)
        packages.append(out)
    restricted = {key: value for key, value in view.items() if key != "package"}
    restricted["package"] = packages
    manifest = view.get("manifest")
    if isinstance(manifest, Mapping) and fold is not None:  # their edges hang from the root
        restricted["manifest"] = {
            key: value
            for key, value in manifest.items()
            if key not in ("requirements", "dependency-groups")
        }
    elif isinstance(manifest, Mapping):  # a project-less root's own requirements and groups
        original = project.lock.data.get("manifest", {})
        restricted["manifest"] = dict(manifest)
        if "requirements" in manifest:
            restricted["manifest"]["requirements"] = [
                entry
                for entry, source in zip(
                    manifest["requirements"], original["requirements"], strict=True
                )
                if lock.find(source) in selection.packages
            ]
        if "dependency-groups" in manifest:
            restricted["manifest"]["dependency-groups"] = {
                group: kept
                for group, entries in manifest["dependency-groups"].items()
                if (None, "dev-dependencies", group) in selection.tables
                and (
                    kept := [
                        entry
                        for entry, source in zip(
                            entries, original["dependency-groups"][group], strict=True
                        )
                        if lock.find(source) in selection.packages
                    ]
                )
            }
    return restricted


def _with_dependencies(
    table: Mapping[str, Any], edges: tuple[dict[str, Any], ...]
) -> dict[str, Any]:
    """`table` (a folded root) with the fold's edges as its `dependencies`, where uv's
    lock writes them: after `source`."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        out[key] = value
        if key == "source":
            out["dependencies"] = list(edges)
    out.setdefault("dependencies", list(edges))
    return out
