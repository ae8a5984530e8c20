"""Write stripped pyproject files with tomlkit, in one canonical order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomlkit

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


def _sorted(table: Mapping[str, Any], order: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    rank = {key: index for index, key in enumerate(order)}
    return sorted(table.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


def _item(value: Any, *, inline: bool = False) -> Any:
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(_item(v, inline=True) for v in value)
        if len(value) > 1 and not inline:
            array.multiline(True)
        return array
    if isinstance(value, Mapping):
        table = tomlkit.inline_table()
        for key, item in _sorted(value):
            table[key] = _item(item, inline=True)
        return table
    return value


def _table(value: Mapping[str, Any], order: tuple[str, ...] = ()) -> Any:
    table = tomlkit.table()
    for key, item in _sorted(value, order):
        if isinstance(item, Mapping) and not _is_leaf_table(item):
            table.append(key, _table(item))
        else:
            table.append(key, _item(item))
    return table


def _is_leaf_table(value: Mapping[str, Any]) -> bool:
    """Small tables of scalars (a source entry, an index) read best inline."""
    return all(not isinstance(v, Mapping | list) for v in value.values()) and len(value) <= 4


def render_pyproject(doc: Mapping[str, Any]) -> str:
    """A pyproject document whose text depends on `doc`'s content only.

    Table and key order are fixed (known keys first, the rest sorted); values keep their
    order, since some lists are ordered (index priority, dependency groups including others).
    """
    out = tomlkit.document()
    for key, value in _sorted(doc, _TABLE_ORDER):
        if isinstance(value, Mapping):
            out.append(key, _table(value, _PROJECT_ORDER if key == "project" else ()))
        else:
            out.append(key, _item(value))
    text = tomlkit.dumps(out)
    return text if text.endswith("\n") else text + "\n"
