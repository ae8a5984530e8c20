"""Write a uv.lock in uv's own layout.

The emitter knows uv's layout (which tables are `[headers]`, which arrays put one item a
line) and nothing of what is volatile: it writes whatever dict it is given. Rendering an
unmodified lock written by a current uv gives back its bytes (tests/test_render_lock.py),
so a stripped lock reads like uv wrote it, and it is canonical: the output depends on the
parsed data only, never on the input's whitespace.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["render_lock", "toml_key", "toml_value"]

#: Tables uv writes with a `[header]`; every other dict is an inline table.
_TABLES = {
    ("options",),
    ("options", "prerelease-package"),
    ("options", "exclude-newer-package"),
    ("manifest",),
    ("manifest", "dependency-groups"),
    ("package", "optional-dependencies"),
    ("package", "dev-dependencies"),
    ("package", "metadata"),
    ("package", "metadata", "requires-dev"),
}
_ARRAYS_OF_TABLES = {("package",), ("manifest", "dependency-metadata")}

#: Arrays uv always writes one item a line.
_MULTILINE = {
    ("resolution-markers",),
    ("supported-markers",),
    ("required-markers",),
    ("manifest", "members"),
    ("package", "resolution-markers"),
    ("package", "dependencies"),
    ("package", "wheels"),
    ("package", "optional-dependencies", "*"),
    ("package", "dev-dependencies", "*"),
}
#: Arrays uv writes on one line when they hold at most one item.
_ONE_LINE_WHEN_SHORT = {
    ("manifest", "requirements"),
    ("manifest", "constraints"),
    ("manifest", "overrides"),
    ("manifest", "excludes"),
    ("manifest", "build-constraints"),
    ("manifest", "dependency-groups", "*"),
    ("package", "metadata", "requires-dist"),
    ("package", "metadata", "requires-dev", "*"),
}

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_NEEDS_ESCAPE = re.compile(r'[\x00-\x08\x0a-\x1f\x7f"\\]')


_KEYS: dict[str, str] = {}  # a lock has a few dozen distinct keys, written 20,000 times


def toml_key(key: str) -> str:
    written = _KEYS.get(key)
    if written is None:
        written = _KEYS[key] = key if _BARE_KEY.match(key) else toml_string(key)
    return written


def toml_string(value: str) -> str:
    """A TOML string as toml_edit writes it: literal when that avoids escapes."""
    # The usual string first, without a regex: printable, so no control character.
    if '"' not in value and "\\" not in value and value.isprintable():
        return f'"{value}"'
    if not _NEEDS_ESCAPE.search(value):
        return f'"{value}"'
    if "'" not in value and not re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value):
        return f"'{value}'"
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """A value on one line: strings, numbers, booleans, dates, inline tables and arrays."""
    kind = value.__class__  # the parsed types first, without the ABC checks below
    if kind is str:
        return toml_string(value)
    if kind is dict:
        if not value:
            return "{}"
        pairs = [
            f"{_KEYS.get(k) or toml_key(k)} = "
            + (toml_string(v) if v.__class__ is str else toml_value(v))
            for k, v in value.items()
        ]
        return "{ " + ", ".join(pairs) + " }"
    if kind is list:
        return "[" + ", ".join([toml_value(v) for v in value]) + "]"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _layout(path: tuple[str, ...]) -> str:
    wild = (*path[:-1], "*")
    if path in _MULTILINE or wild in _MULTILINE:
        return "multiline"
    if path in _ONE_LINE_WHEN_SHORT or wild in _ONE_LINE_WHEN_SHORT:
        return "short"
    return "inline"


def _write_conflicts(sets: list[Any], out: list[str]) -> None:
    parts = []
    for items in sets:
        parts.append("[\n" + "".join(f"    {toml_value(item)},\n" for item in items) + "]")
    out.append("conflicts = [" + ", ".join(parts) + "]\n")


def _write_table(path: tuple[str, ...], table: Mapping[str, Any], out: list[str]) -> None:
    deferred: list[tuple[tuple[str, ...], Any, bool]] = []
    for key, value in table.items():
        child = (*path, key)
        if isinstance(value, Mapping) and child in _TABLES:
            deferred.append((child, value, False))
            continue
        if isinstance(value, list) and child in _ARRAYS_OF_TABLES:
            deferred.append((child, value, True))
            continue
        if child == ("conflicts",) and isinstance(value, list):
            _write_conflicts(value, out)
            continue
        layout = _layout(child) if isinstance(value, list) else "inline"
        if layout == "multiline" or (layout == "short" and len(value) > 1):
            out.append(f"{toml_key(key)} = [\n")
            out.extend([f"    {toml_value(item)},\n" for item in value])
            out.append("]\n")
        else:
            out.append(f"{toml_key(key)} = {toml_value(value)}\n")
    for child, value, is_array in deferred:
        header = ".".join(toml_key(part) for part in child)
        if is_array:
            for item in value:
                out.append(f"\n[[{header}]]\n")
                _write_table(child, item, out)
        else:
            out.append(f"\n[{header}]\n")
            _write_table(child, value, out)


def render_lock(lock: Mapping[str, Any]) -> str:
    """Render a lock dict (as parsed from uv.lock) in uv's layout."""
    out: list[str] = []
    _write_table((), lock, out)
    return "".join(out)
