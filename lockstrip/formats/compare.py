"""Comparing two projects' explanation models, whatever the lock format.

A format reduces each side to a model keyed for people: `packages` (name -> version ->
{"source", "artifacts": file -> "hash where", "edges": key -> frozenset of requirement
texts}), `local` (local package name -> edges) and `settings` (section -> key -> value).
`compare` turns the places where two models differ into changelog lines: `+ httpx 0.28.1`,
`↑ requests 2.31.0 → 2.32.3`, an edge whose marker narrowed, ...
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from lockstrip.formats.explanation import KINDS, Change, Explanation, marker_change

__all__ = ["compare", "explanation", "version_notes"]


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Change]:
    """The changes from model `a` to model `b`, in the order of `KINDS`."""
    changes: list[Change] = []
    places = _affected(a, b)
    for name in sorted(places["packages"]):
        changes.extend(
            _package_changes(name, a["packages"].get(name, {}), b["packages"].get(name, {}))
        )
    for name in sorted(places["local"]):
        changes.extend(_local_changes(name, a["local"].get(name, {}), b["local"].get(name, {})))
    for place in sorted(places["settings"]):
        if "." in place:
            changes.extend(_setting_changes(place, a["settings"], b["settings"]))
    changes.sort(key=lambda change: KINDS.index(change.kind))
    return changes


def _affected(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, set[str]]:
    """Where the models differ: section -> names (packages, locals, settings). A setting is
    named `table.key` when both sides hold the table, else `table` (not itemised)."""
    places: dict[str, set[str]] = {}
    for section in ("packages", "local", "settings"):
        a, b = old[section], new[section]
        places[section] = {str(name) for name in a.keys() | b.keys() if a.get(name) != b.get(name)}
    for name in list(places["settings"]):
        a, b = old["settings"].get(name), new["settings"].get(name)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            places["settings"].remove(name)
            places["settings"] |= {
                f"{name}.{key}" for key in a.keys() | b.keys() if a.get(key) != b.get(key)
            }
    return places


def _version_key(version: str) -> Any:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def _set_changes(old: frozenset[str], new: frozenset[str]) -> list[str]:
    return [f"+ {item}" for item in sorted(new - old)] + [f"- {item}" for item in sorted(old - new)]


def _package_changes(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    if not old:
        versions = ", ".join(sorted(new, key=_version_key))
        yield Change("added", name, None, versions, f"{name} {versions}")
        return
    if not new:
        versions = ", ".join(sorted(old, key=_version_key))
        yield Change("removed", name, versions, None, f"{name} {versions}")
        return
    gone, came = sorted(old.keys() - new.keys()), sorted(new.keys() - old.keys())
    if len(gone) == 1 and len(came) == 1:
        kind = "upgraded" if _version_key(came[0]) > _version_key(gone[0]) else "downgraded"
        yield Change(kind, name, gone[0], came[0], f"{name} {gone[0]} → {came[0]}")
    elif gone or came:
        before = ", ".join(sorted(old, key=_version_key))
        after = ", ".join(sorted(new, key=_version_key))
        yield Change("versions", name, before, after, f"{name} {before} → {after}")
    for version in sorted(old.keys() & new.keys(), key=_version_key):
        a, b = old[version], new[version]
        subject = f"{name} {version}"
        if a["source"] != b["source"]:
            detail = f"{subject}: source {a['source']} → {b['source']}"
            yield Change("source", subject, a["source"], b["source"], detail)
        if a["artifacts"] != b["artifacts"]:
            yield Change("artifacts", subject, None, None, _artifact_detail(subject, a, b))
        if a["edges"] != b["edges"]:
            parts, markers = [], []
            for key in sorted(a["edges"].keys() | b["edges"].keys()):
                old_edges = a["edges"].get(key, frozenset())
                new_edges = b["edges"].get(key, frozenset())
                moved, narrowed = _edge_changes(subject, key, old_edges, new_edges)
                if moved:
                    parts.append(f"{key}: {', '.join(moved)}")
                markers += narrowed
            if parts:
                yield Change("dependencies", subject, None, None, f"{subject}: {'; '.join(parts)}")
            yield from markers


def _split_edge(text: str) -> tuple[str, str | None]:
    """An edge's text (`name[extra] ==version ; marker`) as (what it points to, marker)."""
    target, _, marker = text.partition(" ; ")
    return target, marker or None


def _edge_changes(
    subject: str, key: str, old: frozenset[str], new: frozenset[str]
) -> tuple[list[str], list[Change]]:
    """Edges added and removed (`+ x`, `- y`), and edges that only changed their marker:
    one `edge-markers` change per marker change, naming the edges it moved."""
    gone = {_split_edge(text) for text in old - new}
    came = {_split_edge(text) for text in new - old}
    gone_by, came_by = dict(gone), dict(came)
    both = sorted(
        target
        for target in gone_by.keys() & came_by.keys()
        if sum(t == target for t, _ in gone) == 1 == sum(t == target for t, _ in came)
    )
    paired = set(both)
    moved = [f"+ {text}" for text in sorted(new - old) if _split_edge(text)[0] not in paired]
    moved += [f"- {text}" for text in sorted(old - new) if _split_edge(text)[0] not in paired]
    transitions: dict[tuple[str | None, str | None], list[str]] = {}
    for target in both:
        transitions.setdefault((gone_by[target], came_by[target]), []).append(target)
    place = "" if key == "dependencies" else f"{key}: "
    changes = [
        Change(
            "edge-markers",
            subject,
            old_marker,
            new_marker,
            f"{subject}: {place}{', '.join(targets)}: {marker_change(old_marker, new_marker)}",
        )
        for (old_marker, new_marker), targets in sorted(transitions.items(), key=lambda t: t[1])
    ]
    return moved, changes


def _artifact_detail(subject: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    old, new = a["artifacts"], b["artifacts"]
    parts = []
    if added := sorted(new.keys() - old.keys()):
        parts.append(f"{len(added)} added ({_few(added)})")
    if removed := sorted(old.keys() - new.keys()):
        parts.append(f"{len(removed)} removed ({_few(removed)})")
    hashes, urls = [], []
    for file in sorted(old.keys() & new.keys()):
        (old_hash, old_url), (new_hash, new_url) = old[file].split(" ", 1), new[file].split(" ", 1)
        if old_hash != new_hash:
            hashes.append(file)
        elif old_url != new_url:
            urls.append(file)
    if hashes:
        parts.append(f"hash changed for {_few(hashes)}")
    if urls:
        parts.append(f"URL changed for {_few(urls)}")
    return f"{subject}: artifacts {'; '.join(parts)}"


def _few(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _local_changes(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    if not old or not new:
        kind, side = ("local-added", new) if not old else ("local-removed", old)
        pulls = sorted(side.get("dependencies", ()))
        word = "added" if kind == "local-added" else "removed"
        detail = f"local package {name} {word}" + (f" (pulls {_few(pulls)})" if pulls else "")
        yield Change(kind, name, None, None, detail)
        return
    for key in sorted(old.keys() | new.keys()):
        a: frozenset[str] = old.get(key, frozenset())
        b: frozenset[str] = new.get(key, frozenset())
        if key in old and key in new:
            if a != b:
                moved, narrowed = _edge_changes(name, key, a, b)
                if moved:
                    detail = f"{name}: {key}: {', '.join(moved)}"
                    yield Change(_edge_kind(key), name, None, None, detail)
                yield from narrowed
            continue
        word, items = ("added", sorted(b)) if key in new else ("removed", sorted(a))
        detail = f"{name}: {key} {word}" + (f" ({_few(items)})" if items else "")
        yield Change(_edge_kind(key), name, None, None, detail)


def _edge_kind(key: str) -> str:
    """`group dev` -> groups, `extra cli` -> extras, `dependencies` -> dependencies."""
    return {"group": "groups", "extra": "extras"}.get(key.split(" ", 1)[0], "dependencies")


#: A requirement table (the manifest's constraints, overrides, ...) shown as `name specifier`.
_REQUIREMENT_KEYS = frozenset({"name", "specifier", "marker"})


def _compact(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, Mapping) and "name" in value and value.keys() <= _REQUIREMENT_KEYS:
        text = " ".join(str(value[k]) for k in ("name", "specifier") if k in value)
        text += f" ; {value['marker']}" if "marker" in value else ""
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _setting_kind(place: str) -> str:
    key = place.split(".", 1)[1]
    if key == "requires-python" or key.startswith("project"):
        return "requires-python"
    if key.endswith("markers"):
        return "markers"
    if key in ("conflicts", "manifest"):
        return key
    return "settings"


def _setting_changes(
    place: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> Iterator[Change]:
    section, key = place.split(".", 1)
    a, b = old[section].get(key), new[section].get(key)
    label = key if section == "lock" else f"pyproject [{key}]"
    kind = _setting_kind(place)
    if isinstance(a, Mapping | type(None)) and isinstance(b, Mapping | type(None)):
        # A table (the manifest, [project], [tool]): a line for each key that changed.
        a, b = a or {}, b or {}
        for inner in sorted(a.keys() | b.keys()):
            if a.get(inner) != b.get(inner):
                yield _value_change(kind, f"{label} {inner}", a.get(inner), b.get(inner))
        return
    yield _value_change(kind, label, a, b)


def _value_change(kind: str, label: str, a: Any, b: Any) -> Change:
    if isinstance(a, list | type(None)) and isinstance(b, list | type(None)):
        moved = _set_changes(frozenset(map(_compact, a or ())), frozenset(map(_compact, b or ())))
        if moved:
            return Change(kind, label, None, None, f"{label}: {'; '.join(moved)}")
    before, after = _compact(a), _compact(b)
    return Change(kind, label, before, after, f"{label}: {before} → {after}")


def explanation(
    old: tuple[str, Callable[[], Mapping[str, Any]]],
    new: tuple[str, Callable[[], Mapping[str, Any]]],
    volatile: Iterable[str],
) -> Explanation:
    """An explanation from each side's digest and model (built only when the digests
    differ); the third-party set changed unless only groups, extras or settings did."""
    changes = compare(old[1](), new[1]()) if old[0] != new[0] else []
    third_party = any(change.kind not in ("groups", "extras", "settings") for change in changes)
    return Explanation(old[0], new[0], third_party, tuple(changes), tuple(volatile))


def version_notes(
    old_root: str | None,
    new_root: str | None,
    old_locals: Iterable[tuple[str, str]],
    new_locals: Iterable[tuple[str, str]],
) -> list[str]:
    """The volatile notes of local versions: the root's, then each local package's."""
    notes = [f"root version {old_root} → {new_root}"] if old_root != new_root else []
    before = dict(old_locals)
    for name, version in new_locals:
        if before.get(name, version) != version:
            notes.append(f"{name} version {before[name]} → {version}")
    return notes
