"""An explanation, whatever the lock format: its changes by kind, and how it is printed (one
line a change, coloured on a terminal) or written as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = [
    "KINDS",
    "SYMBOL",
    "Change",
    "Explanation",
    "marker_change",
    "render_json",
    "render_text",
]


#: The kinds of change, in the order an explanation lists them (the JSON `kind` values).
KINDS = (
    "added",
    "removed",
    "upgraded",
    "downgraded",
    "versions",
    "source",
    "artifacts",
    "dependencies",
    "edge-markers",
    "local-added",
    "local-removed",
    "groups",
    "extras",
    "requires-python",
    "markers",
    "conflicts",
    "manifest",
    "settings",
)


SYMBOL = {
    "added": "+",
    "removed": "-",
    "upgraded": "↑",
    "downgraded": "↓",
    "local-added": "+",
    "local-removed": "-",
}


class Change(NamedTuple):
    """One line of an explanation."""

    kind: str
    subject: str
    old: str | None
    new: str | None
    detail: str

    def as_json(self) -> dict[str, Any]:
        return self._asdict()


class Explanation(NamedTuple):
    old_digest: str
    new_digest: str
    #: The third-party set itself changed (packages, artifacts, their edges, markers):
    #: what `diff` exits 1 on. The digest also changes when only scopes change.
    third_party_changed: bool
    changes: tuple[Change, ...]
    volatile: tuple[str, ...]  # what changed among volatile fields, for people

    @property
    def digest_changed(self) -> bool:
        return self.old_digest != self.new_digest


def marker_change(old: str | None, new: str | None) -> str:
    """How an edge's marker changed, in words: an `edge-markers` change's closing part."""
    if old is None:
        return f"now only where {new}"
    if new is None:
        return f"now everywhere (was only where {old})"
    return f"now where {new} (was {old})"


_COLOURS = {"+": "32", "-": "31", "↑": "36", "↓": "36", "~": "33"}

#: Identical marker changes on this many packages' edges or more share one line.
_GROUP = 2


def _line(change: Change, colour: bool) -> str:
    symbol = SYMBOL.get(change.kind, "~")
    if colour:
        return f"  \033[{_COLOURS[symbol]}m{symbol}\033[0m {change.detail}"
    return f"  {symbol} {change.detail}"


def render_text(
    explanation: Explanation, *, colour: bool = False, export_changed: bool = False
) -> str:
    """A changelog for a terminal or a CI log.

    `export_changed`: the export's bytes differ although the digest does not (a lock
    `revision` bump, a local rename, a `[tool.uv]` install setting, or any locked-mode edit).
    """
    if not explanation.digest_changed:
        notes = "; ".join(explanation.volatile)
        if export_changed:
            outcome = "third-party set and digest unchanged, the export changed"
            return (
                f"only volatile fields changed: {notes}; {outcome}\n" if notes else outcome + "\n"
            )
        if not notes:
            return "third-party dependencies unchanged; export and digest unchanged\n"
        return f"only volatile fields changed: {notes}; export and digest unchanged\n"
    count = len(explanation.changes)
    changes = f"{count} change{'' if count == 1 else 's'}"
    if explanation.third_party_changed:
        lines = [f"third-party dependencies changed ({changes}):"]
    else:
        lines = [
            f"third-party set unchanged, but the digest and the export change ({changes}; "
            "scoped installs may differ):"
        ]
    lines.extend(_line(change, colour) for change in _grouped(explanation.changes))
    if explanation.volatile:
        lines.append(f"also changed (volatile): {'; '.join(explanation.volatile)}")
    return "\n".join(lines) + "\n"


def _grouped(changes: tuple[Change, ...]) -> list[Change]:
    """The changes as printed: the same marker change on several packages' edges (a
    resolver simplifying markers after a requires-python change, say) is one line that
    names them; JSON keeps one change a package."""
    groups: dict[tuple[str | None, str | None], list[Change]] = {}
    for change in changes:
        if change.kind == "edge-markers":
            groups.setdefault((change.old, change.new), []).append(change)
    printed, done = [], set()
    for change in changes:
        key = (change.old, change.new)
        if change.kind != "edge-markers" or len(groups[key]) < _GROUP:
            printed.append(change)
        elif key not in done:
            done.add(key)
            words = marker_change(*key)
            edges = [c.detail.removesuffix(f": {words}") for c in groups[key]]
            shown = "; ".join(edges[:4]) + (
                f"; and {len(edges) - 4} more" if len(edges) > 4 else ""
            )
            detail = f"edges {words}, on {len(edges)} packages: {shown}"
            printed.append(Change("edge-markers", "", key[0], key[1], detail))
    return printed


def render_json(explanation: Explanation, extra: Mapping[str, Any] | None = None) -> str:
    """The stable machine form; its fields are documented in docs/explain.md."""
    data: dict[str, Any] = {
        "schema": 1,
        "third_party_changed": explanation.third_party_changed,
        "digest_changed": explanation.digest_changed,
        "digest": {"old": explanation.old_digest, "new": explanation.new_digest},
        "changes": [change.as_json() for change in explanation.changes],
        "volatile": list(explanation.volatile),
    }
    data.update(extra or {})
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
