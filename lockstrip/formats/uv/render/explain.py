"""Explanations: what changed between two projects, in dependency terms.

The two projects are reduced to their digest views (so `lockstrip.formats.uv.rules` alone
decides what is volatile), keyed for people (packages by name and version, artifacts by file name,
edges as requirement strings), and compared key by key; the places that differ become
changelog lines: `+ httpx 0.28.1`, `↑ requests 2.31.0 → 2.32.3`, ...
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from typing import Any

from lockstrip.formats.compare import compare
from lockstrip.formats.explanation import Change, Explanation
from lockstrip.formats.uv.model.locals import local_id
from lockstrip.formats.uv.model.lockfile import Source
from lockstrip.formats.uv.model.project import Project
from lockstrip.formats.uv.render.digest import (
    compute_digest,
    digest_view,
    third_party_hash,
    view_header,
)
from lockstrip.formats.uv.render.explain_notes import volatile_notes

__all__ = ["explain", "model"]


def _edge_text(edge: Mapping[str, Any], names: Mapping[str, str]) -> str:
    name = str(names.get(edge["local"], edge["local"]) if "local" in edge else edge["name"])
    text = name + (f"[{','.join(edge['extra'])}]" if edge.get("extra") else "")
    if "version" in edge:
        text += f" =={edge['version']}"
    if "marker" in edge:
        text += f" ; {edge['marker']}"
    return text


def _edges(package: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, frozenset[str]]:
    edges = {"dependencies": package.get("dependencies", [])}
    for extra, deps in package.get("optional-dependencies", {}).items():
        edges[f"extra {extra}"] = deps
    # Extras and groups with no dependencies (in the lock's environments) have no edges.
    metadata = package.get("metadata", {})
    for extra in metadata.get("provides-extras", ()):
        edges.setdefault(f"extra {extra}", [])
    for group in metadata.get("requires-dev", {}):
        edges.setdefault(f"group {group}", [])
    for group, deps in package.get("dev-dependencies", {}).items():
        edges[f"group {group}"] = deps
    return {key: frozenset(_edge_text(e, names) for e in deps) for key, deps in edges.items()}


def _source_text(source: Mapping[str, Any]) -> str:
    found = Source.from_table(source)
    return f"{found.kind} {found.location}" if found else json.dumps(source, sort_keys=True)


def _artifacts(package: Mapping[str, Any]) -> dict[str, str]:
    artifacts = {}
    for artifact in [package.get("sdist"), *package.get("wheels", ())]:
        if not artifact:
            continue
        where = artifact.get("url") or artifact.get("path") or artifact.get("filename") or ""
        name = posixpath.basename(where.split("#")[0]) or "sdist"
        artifacts[name] = f"{artifact.get('hash', '')} {where}"
    return artifacts


def model(project: Project, view: dict[str, Any] | None = None) -> dict[str, Any]:
    """The digest view keyed for people: what explanations compare."""
    if view is None:
        view = digest_view(project)
    names = {local_id(source): name for name, source in project.locals.by_name.items()}
    packages: dict[str, dict[str, Any]] = {}
    local: dict[str, Any] = {}
    for package in view["lock"].get("package", []):
        edges = _edges(package, names)
        if "name" not in package:  # a local package: the digest view names it by its place
            where = Source.from_table(package["source"])
            key = local_id(where) if where else _source_text(package["source"])
            local[names.get(key, key)] = edges
            continue
        entry = {
            "source": _source_text(package["source"]),
            "artifacts": _artifacts(package),
            "edges": edges,
        }
        versions = packages.setdefault(package["name"], {})
        version = package.get("version", "(no version)")
        versions[version if version not in versions else f"{version} ({entry['source']})"] = entry
    return {"packages": packages, "local": local, "settings": view_header(view)}


def explain(old: Project, new: Project) -> Explanation:
    """What changed from `old` to `new`, third-party changes first."""
    views = digest_view(old), digest_view(new)  # built once a side: every comparison reads it
    old_digest = compute_digest(old, view=views[0]).value
    new_digest = compute_digest(new, view=views[1]).value
    changes: list[Change] = []
    if old_digest != new_digest:  # the digest covers the third-party set and more
        changes = compare(model(old, views[0]), model(new, views[1]))
    # Equal digests hash equal third-party sets (the digest covers them and more).
    third_party = old_digest != new_digest and (
        third_party_hash(old, views[0]) != third_party_hash(new, views[1])
    )
    notes = tuple(volatile_notes(old, new, views))
    return Explanation(old_digest, new_digest, third_party, tuple(changes), notes)
