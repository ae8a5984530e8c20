"""What an explanation notes beside the changes: the volatile fields that changed too (local
versions, upload times, the lock's revision), which the export leaves out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockstrip.formats.uv.model.project import Project
from lockstrip.formats.uv.rules.lock import ARTIFACT_VOLATILE_KEYS

__all__ = []


def volatile_notes(
    old: Project, new: Project, views: tuple[dict[str, Any], dict[str, Any]]
) -> list[str]:
    """What changed among the volatile fields: the one-line answer to "why did bytes change"."""
    notes = []
    versions = (
        {p.name: p.version for p in x.lock.packages if x.locals.is_local(p)} for x in (old, new)
    )
    before, after = versions
    root = new.root_name or old.root_name
    for name in sorted(before.keys() & after.keys(), key=lambda n: (n != root, n)):
        if before[name] != after[name]:
            label = "root version" if name == root else f"{name} version"
            notes.append(f"{label} {before[name]} → {after[name]}")
    if old.lock.revision != new.lock.revision:
        notes.append(f"lock revision {old.lock.revision} → {new.lock.revision}")
    # Over the artifacts on both sides: an added or removed artifact is a change line already.
    artifacts = _artifacts_by_id(old), _artifacts_by_id(new)
    common = sorted(artifacts[0].keys() & artifacts[1].keys())
    for field in ARTIFACT_VOLATILE_KEYS:  # what rules/lock.py strips from every artifact
        values = [[side[key].get(field) for key in common] for side in artifacts]
        counts = [sum(value is not None for value in side) for side in values]
        if counts[0] != counts[1]:
            notes.append(f"{field} on {counts[0]} → {counts[1]} artifacts")
        elif moved := sum(a != b for a, b in zip(*values, strict=True)):
            notes.append(f"{field} on {moved} artifacts")
    metadata = [
        [p.data.get("metadata") for p in x.lock.packages if x.locals.is_local(p)]
        for x in (old, new)
    ]
    if metadata[0] != metadata[1]:
        notes.append("dependency specifiers (the resolution is the same)")
    if old.lock.data.get("options") != new.lock.data.get("options"):
        notes.append("resolver options ([options] in uv.lock)")
    outside = [
        _outside(_without_version(x.pyproject), view["pyproject"])
        for x, view in zip((old, new), views, strict=True)
    ]
    if outside[0] != outside[1]:
        notes.append("pyproject.toml fields outside the third-party set")
    return notes


def _artifacts_by_id(project: Project) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    """(package, version, artifact location) -> the artifact's table."""
    return {
        (p.name, p.version or "", str(a.get("url") or a.get("path") or a.get("filename"))): a
        for p in project.lock.packages
        for a in p.artifacts()
    }


def _without_version(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    project = doc.get("project")
    if not isinstance(project, Mapping):
        return doc
    return {**doc, "project": {k: v for k, v in project.items() if k != "version"}}


def _outside(doc: Mapping[str, Any], view: Mapping[str, Any]) -> dict[str, Any]:
    """`doc` without what the digest view keeps of it: the fields no change line covers."""
    out = dict(doc)
    for key, kept in view.items():
        if isinstance(kept, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _outside(out[key], kept)
        else:
            out.pop(key, None)
    return out
