"""Write stripped pyproject files in one canonical layout.

The layout is the one tomlkit gave these files when lockstrip wrote them with it, byte for
byte (tests/test_render_pyproject.py compares the two on every fixture and on generated
documents), so exports written before and after read the same to Docker. It is written
here because tomlkit cost more than the rest of an export: ~30 ms to import, and 28 ms to
write livekit's 84 pyproject files, which take 1.2 ms here.

* Tables in a fixed order (known keys first, the rest sorted); in each table, its values
  first, then its sub-tables, each group in that order.
* A table of at most four scalars (a source entry, an index) is written inline; a table
  whose children are all tables gets no header of its own (`[tool.uv]`, not `[tool]`).
* An array of more than one item, outside an inline value, one item a line.
* Strings are basic strings; keys are bare when they can be.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["render_pyproject"]

_TABLE_ORDER = ("build-system", "project", "dependency-groups", "tool")
_PROJECT_ORDER = (
    "name",
    "version",
    "dynamic",
    "requires-python",
    "dependencies",
    "optional-dependencies",
)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')


def _sorted(table: Mapping[str, Any], order: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    rank = {key: index for index, key in enumerate(order)}
    return sorted(table.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


def _string(value: str) -> str:
    escaped = _ESCAPE.sub(
        lambda match: _SHORT_ESCAPES.get(match[0]) or f"\\u{ord(match[0]):04x}", value
    )
    return f'"{escaped}"'


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _value(value: Any, *, inline: bool = False) -> str:
    """A value after `key = `: arrays of more than one item one item a line, unless inline."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        items = [_value(item, inline=True) for item in value]
        if len(items) > 1 and not inline:
            return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
        return "[" + ", ".join(items) + "]"
    if isinstance(value, Mapping):
        pairs = [f"{_key(key)} = {_value(item, inline=True)}" for key, item in _sorted(value)]
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        text = value.isoformat()
        return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table(value: Any) -> bool:
    """A table with a header: a mapping, unless it is small and of scalars only (inline)."""
    if not isinstance(value, Mapping):
        return False
    scalars = all(not isinstance(v, Mapping | list) for v in value.values())
    return not (scalars and len(value) <= 4)


def _table(
    path: list[str], table: Mapping[str, Any], order: tuple[str, ...], out: list[str]
) -> None:
    items = _sorted(table, order)
    values = [(key, value) for key, value in items if not _is_table(value)]
    tables = [(key, value) for key, value in items if _is_table(value)]
    if values or not tables:  # a table of tables only needs no header of its own
        out.append("[" + ".".join(_key(part) for part in path) + "]\n")
    out.extend(f"{_key(key)} = {_value(value)}\n" for key, value in values)
    for key, value in tables:
        _table([*path, key], value, (), out)


def render_pyproject(doc: Mapping[str, Any]) -> str:
    """A pyproject document whose text depends on `doc`'s content only.

    Table and key order are fixed (known keys first, the rest sorted); values keep their
    order, since some lists are ordered (index priority, dependency groups including others).
    """
    items = _sorted(doc, _TABLE_ORDER)
    out = [
        f"{_key(key)} = {_value(value)}\n" for key, value in items if not isinstance(value, Mapping)
    ]
    for key, value in items:
        if isinstance(value, Mapping):
            _table([key], value, _PROJECT_ORDER if key == "project" else (), out)
    # Each table header after the first line follows a blank line.
    text = "".join(
        line if index == 0 or not line.startswith("[") else "\n" + line
        for index, line in enumerate(out)
    )
    return text or "\n"
