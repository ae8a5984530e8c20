"""A Poetry project's outputs: the export folder, the digest and the explanation model."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lockstrip.formats.explanation import Explanation
from lockstrip.formats.interface import Digest
from lockstrip.formats.poetry.content_hash import is_fresh
from lockstrip.formats.poetry.model import (
    LOCK,
    PYPROJECT,
    Package,
    PoetryLockError,
    PoetryProject,
)
from lockstrip.formats.poetry.root import read_root
from lockstrip.formats.poetry.rules import (
    local_versions,
    mask_lock,
    masked_version,
    strip_pyproject,
)
from lockstrip.formats.poetry.selection import select
from lockstrip.io.export_folder import Export, header
from lockstrip.io.tomlwrite import render_pyproject

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope
    from lockstrip.io.export_folder import Mode

__all__ = ["build_export", "compute_digest", "explain_model"]


def build_export(
    project: PoetryProject, mode: Mode = "frozen", scope: Scope | None = None
) -> Export:
    """The export: the stripped pyproject files and poetry.lock with the local versions
    masked; for a scope, only its groups' declarations and packages (`scoped.py`)."""
    from lockstrip.io.tomlread import parse_toml

    doc = strip_pyproject(project.pyproject, masked_version(project, project.name))
    lock = mask_lock(project.lock_text, local_versions(project))
    options: list[str] = []
    members = dict(project.members)
    fresh = is_fresh(project.pyproject, project.content_hash, project.generated_by)
    if scope is not None and not fresh:
        raise PoetryLockError(
            project.lock_path,
            f"stale for {project.pyproject_path.name} (Poetry would refuse it); a scoped export "
            "writes its own content-hash, so run `poetry lock` first",
            field="metadata.content-hash",
        )
    if scope is not None:
        from lockstrip.formats.poetry.scoped import (
            check_scope,
            keep_groups,
            poetry_args,
            prune_lock,
        )
        from lockstrip.formats.poetry.selection import chosen_groups

        check_scope(project, scope)
        root = read_root(project.pyproject, project.pyproject_path)
        doc = keep_groups(doc, set(chosen_groups(root, scope, project)))
        kept = parse_toml(render_pyproject(doc), project.pyproject_path)
        lock, names = prune_lock(project, scope, lock, kept)
        options = poetry_args(scope)
        members = {name: m for name, m in members.items() if name in names}
    files = {PYPROJECT: header(mode, options) + render_pyproject(doc), LOCK: lock}
    warnings = []
    if not fresh:
        warnings.append(
            f"{project.lock_path} is stale for {project.pyproject_path} (its content-hash "
            "differs): `poetry install` refuses it until `poetry lock` is run"
        )
    for name, member in sorted(members.items()):
        if member.path == ".":
            continue
        rel = f"{member.path}/{PYPROJECT}"
        if member.pyproject is None:
            warnings.append(f"{rel} (local package {name}) is not in the project; not exported")
            continue
        files[rel] = render_pyproject(
            strip_pyproject(member.pyproject, masked_version(project, name))
        )
    sources = tuple(project.root / m.path for m in project.members.values() if m.path != ".")
    return Export(files, tuple(warnings), sources)


def best_file(package: Package, target: Target) -> list[tuple[str, str]]:
    """The file an install on `target` downloads for `package` (none for a VCS or a local
    source)."""
    from lockstrip.environment.target import best_file as best

    return best(package.files, target)


def _package_view(package: Package, target: Target | None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": package.name,
        "dependencies": sorted(dep.text() for dep in package.dependencies),
        "extras": {k: sorted(v) for k, v in sorted(package.extras.items())},
    }
    if package.local:
        view["local"] = package.source.get("type", "")
        return view
    view["version"] = package.version
    view["source"] = dict(sorted(package.source.items()))
    view["files"] = best_file(package, target) if target is not None else sorted(package.files)
    return view


def digest_view(
    project: PoetryProject, scope: Scope | None = None, target: Target | None = None
) -> dict[str, Any]:
    """What the digest hashes: the third-party packages one install takes (their versions,
    sources, files and edges), the local packages' edges, and the root's declarations of
    the groups and extras it installs. Never a local version, a description or the lock's
    first line."""
    root = read_root(project.pyproject, project.pyproject_path)
    selection = select(project, scope, target)
    groups = {g: sorted(d.text() for d in root.groups.get(g, ())) for g in selection.groups}
    return {
        "format": "poetry",
        "scope": scope.describe() if scope is not None else None,
        "target": "one target" if target is not None else None,
        "python-versions": project.python_versions if target is None else None,
        "groups": groups,
        "optional-groups": sorted(set(selection.groups) & root.optional_groups),
        "extras": {e: sorted(root.extras[e]) for e in selection.extras},
        "sources": _sources(project),
        "packages": [_package_view(p, target) for p in selection.packages],
    }


def _sources(project: PoetryProject) -> list[Any]:
    sources = project.pyproject.get("tool", {}).get("poetry", {}).get("source", [])
    if not isinstance(sources, list):
        raise PoetryLockError(
            project.pyproject_path, "expected an array", field="tool.poetry.source"
        )
    return sources


def compute_digest(
    project: PoetryProject, scope: Scope | None = None, target: Target | None = None
) -> Digest:
    view = digest_view(project, scope, target)
    data = json.dumps(view, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    value = "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()
    packages = view["packages"]
    local = sum("local" in p for p in packages)
    major, _, minor = project.lock_version.partition(".")
    return Digest(
        value,
        len(packages) - local,
        local,
        sum(len(p.get("files", ())) for p in packages),
        int(major),
        int(minor),
    )


def explain_model(project: PoetryProject) -> dict[str, Any]:
    """The digest view keyed for people, in the shape `formats.compare` reads."""
    view = digest_view(project)
    packages: dict[str, dict[str, Any]] = {}
    local: dict[str, Any] = {}
    for package in view["packages"]:
        edges = {"dependencies": frozenset(package["dependencies"])}
        for extra, deps in package["extras"].items():
            edges[f"extra {extra}"] = frozenset(deps)
        if "local" in package:
            local[package["name"]] = edges
            continue
        source = package["source"]
        where = f"{source.get('type', '')} {source.get('url', '')}".strip() or "PyPI"
        if source.get("reference") and source.get("type") == "legacy":
            where = f"index {source['reference']} ({source.get('url', '')})"
        elif source.get("reference"):
            where += f" @ {source.get('resolved_reference') or source['reference']}"
        entry = {
            "source": where,
            "artifacts": {f: f"{h} {f}" for f, h in package["files"]},
            "edges": edges,
        }
        packages.setdefault(package["name"], {})[package["version"]] = entry
    settings: dict[str, Any] = {
        "lock": {"python-versions": view["python-versions"], "sources": view["sources"]},
        "pyproject": {f"group {g}": deps for g, deps in view["groups"].items()},
    }
    settings["pyproject"].update({f"extra {e}": names for e, names in view["extras"].items()})
    settings["pyproject"]["optional groups"] = view["optional-groups"]
    return {"packages": packages, "local": local, "settings": settings}


def volatile_notes(old: PoetryProject, new: PoetryProject) -> list[str]:
    """What changed among the fields an export masks or drops, for people."""
    from lockstrip.formats.compare import version_notes

    notes = version_notes(
        _version(old.pyproject),
        _version(new.pyproject),
        ((p.name, p.version) for p in old.packages if p.local),
        ((p.name, p.version) for p in new.packages if p.local),
    )
    if old.generated_by != new.generated_by:
        notes.append(f"lock written by Poetry {old.generated_by} → {new.generated_by}")
    if old.content_hash != new.content_hash and not notes:
        notes.append("content-hash")
    return notes


def _version(doc: Mapping[str, Any]) -> str | None:
    version = doc.get("project", {}).get("version") or doc.get("tool", {}).get("poetry", {}).get(
        "version"
    )
    return version if isinstance(version, str) else None


def explain(old: PoetryProject, new: PoetryProject) -> Explanation:
    """What changed from `old` to `new`, third-party changes first."""
    from lockstrip.formats.compare import explanation

    return explanation(
        (compute_digest(old).value, lambda: explain_model(old)),
        (compute_digest(new).value, lambda: explain_model(new)),
        volatile_notes(old, new),
    )
