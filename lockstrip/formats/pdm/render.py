"""A PDM project's outputs: the export folder, the digest and the explanation model."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lockstrip.formats.explanation import Explanation
from lockstrip.formats.interface import Digest
from lockstrip.formats.pdm.model import LOCK, PYPROJECT, Package, PdmProject
from lockstrip.formats.pdm.rules import local_positions, mask_lock, strip_pyproject
from lockstrip.formats.pdm.selection import select
from lockstrip.io.export_folder import Export, header
from lockstrip.io.tomlwrite import render_pyproject

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope
    from lockstrip.io.export_folder import Mode

__all__ = ["build_export", "compute_digest", "explain", "explain_model"]


def build_export(project: PdmProject, mode: Mode = "frozen") -> Export:
    """The export: the stripped pyproject files and pdm.lock with the local versions
    masked. It holds the whole lock; a scope is `pdm install`'s to take."""
    files = {
        PYPROJECT: header(mode) + render_pyproject(strip_pyproject(project.pyproject)),
        LOCK: mask_lock(project.lock_text, local_positions(project)),
    }
    warnings = []
    for name, member in sorted(project.members.items()):
        if member.path == ".":
            continue
        rel = f"{member.path}/{PYPROJECT}"
        if member.pyproject is None:
            warnings.append(f"{rel} (local package {name}) is not in the project; not exported")
            continue
        files[rel] = render_pyproject(strip_pyproject(member.pyproject))
    sources = tuple(project.root / m.path for m in project.members.values() if m.path != ".")
    return Export(files, tuple(warnings), sources)


def _best(package: Package, target: Target) -> list[tuple[str, str]]:
    """The file an install on `target` downloads for `package` (none for a VCS or a local
    source)."""
    from lockstrip.environment.target import best_file as best

    return best(package.files, target)


def _package_view(package: Package, target: Target | None, whole: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": package.key,
        "dependencies": sorted(package.dependencies),
        "marker": package.marker,
        "requires-python": package.requires_python,
    }
    if whole:  # which groups take it matters to every scope; one scope's set is decided
        view["groups"] = sorted(package.groups)
    if package.local:
        view["local"] = package.path
        view["editable"] = package.editable
        return view
    view["version"] = package.version
    view["source"] = dict(sorted(package.vcs.items())) or (
        {"url": package.url} if package.url else {}
    )
    view["files"] = _best(package, target) if target is not None else sorted(package.files)
    return view


def digest_view(
    project: PdmProject, scope: Scope | None = None, target: Target | None = None
) -> dict[str, Any]:
    """What the digest hashes: the third-party packages one install takes (versions,
    sources, files, edges, markers), the local packages' edges, the root's declarations of
    the groups it installs, the sources, resolution and how the lock is installed. Never a
    local version, a summary or the content_hash."""
    root = project.declared
    selection = select(project, scope, target)
    declared = sorted(root.closure(set(selection.groups)))
    return {
        "format": "pdm",
        "scope": scope.describe() if scope is not None else None,
        "target": "one target" if target is not None else None,
        "requires-python": project.requires_python[0] if target is None else None,
        "strategy": sorted(project.strategy & {"inherit_metadata", "cross_platform"}),
        "groups": {g: sorted(root.groups[g]) for g in declared},
        "installed-groups": list(selection.groups),
        "sources": [dict(sorted(s.items())) for s in root.sources],
        "resolution": dict(sorted(root.resolution.items())),
        "packages": [_package_view(p, target, scope is None) for p in selection.packages],
    }


def compute_digest(
    project: PdmProject, scope: Scope | None = None, target: Target | None = None
) -> Digest:
    view = digest_view(project, scope, target)
    data = json.dumps(view, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    value = "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()
    packages = view["packages"]
    local = sum("local" in p for p in packages)
    major, _, rest = project.lock_version.partition(".")
    return Digest(
        value,
        len(packages) - local,
        local,
        sum(len(p.get("files", ())) for p in packages),
        int(major),
        int(rest.partition(".")[0]),
    )


def explain_model(project: PdmProject) -> dict[str, Any]:
    """The digest view keyed for people, in the shape `formats.compare` reads."""
    view = digest_view(project)
    packages: dict[str, dict[str, Any]] = {}
    local: dict[str, Any] = {}
    for package in view["packages"]:
        edges = {"dependencies": frozenset(package["dependencies"])}
        if package["marker"]:
            edges["marker"] = frozenset([package["marker"]])
        edges["group membership"] = frozenset(package["groups"])
        if "local" in package:
            local[package["name"]] = edges
            continue
        source = package["source"]
        where = "PyPI"
        if source.get("url"):
            where = source["url"]
        for kind in ("git", "hg", "svn", "bzr"):
            if kind in source:
                where = f"{kind} {source[kind]} @ {source.get('revision') or source.get('ref', '')}"
        entry = {
            "source": where,
            "artifacts": {f: f"{h} {f}" for f, h in package["files"]},
            "edges": edges,
        }
        packages.setdefault(package["name"], {})[package["version"]] = entry
    settings: dict[str, Any] = {
        "lock": {
            "requires-python": view["requires-python"],
            "strategy": view["strategy"],
            "sources": view["sources"],
            "resolution": view["resolution"],
        },
        "pyproject": {_label(project, g): deps for g, deps in view["groups"].items()},
    }
    return {"packages": packages, "local": local, "settings": settings}


def _label(project: PdmProject, group: str) -> str:
    if group in project.declared.extras:
        return f"extra {group}"
    return "dependencies" if group == "default" else f"group {group}"


def volatile_notes(old: PdmProject, new: PdmProject) -> list[str]:
    """What changed among the fields an export masks or drops, for people."""
    from lockstrip.formats.compare import version_notes

    notes = version_notes(
        _version(old.pyproject),
        _version(new.pyproject),
        ((p.name, p.version) for p in old.packages if p.local),
        ((p.name, p.version) for p in new.packages if p.local),
    )
    if old.lock_version != new.lock_version:
        notes.append(f"lock_version {old.lock_version} → {new.lock_version}")
    if old.content_hash != new.content_hash and not notes:
        notes.append("content_hash")
    return notes


def _version(doc: Mapping[str, Any]) -> str | None:
    version = doc.get("project", {}).get("version")
    return version if isinstance(version, str) else None


def explain(old: PdmProject, new: PdmProject) -> Explanation:
    """What changed from `old` to `new`, third-party changes first."""
    from lockstrip.formats.compare import explanation

    return explanation(
        (compute_digest(old).value, lambda: explain_model(old)),
        (compute_digest(new).value, lambda: explain_model(new)),
        volatile_notes(old, new),
    )
