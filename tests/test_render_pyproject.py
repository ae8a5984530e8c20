"""render_pyproject writes what tomlkit wrote for lockstrip, byte for byte.

Exports written before lockstrip wrote pyproject files itself must not change (Docker
would see a new layer input for nothing), so the tomlkit-based writer it replaced is kept
here as the reference and both are compared: on the pyproject files of every fixture's
export in both modes, and on generated documents with every shape a parsed TOML value has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from conftest import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.export import build_export
from lockstrip.io.tomlread import parse_toml
from lockstrip.io.tomlwrite import (
    _PROJECT_ORDER,
    _TABLE_ORDER,
    _sorted,
    render_pyproject,
)

FIXTURES = sorted(p for p in CORPUS.iterdir() if (p / "uv.lock").is_file())

# --- the reference: lockstrip's writer as it was, on tomlkit (same order of keys) ------


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
    return all(not isinstance(v, Mapping | list) for v in value.values()) and len(value) <= 4


def reference(doc: Mapping[str, Any]) -> str:
    out = tomlkit.document()
    for key, value in _sorted(doc, _TABLE_ORDER):
        if isinstance(value, Mapping):
            out.append(key, _table(value, _PROJECT_ORDER if key == "project" else ()))
        else:
            out.append(key, _item(value))
    text = tomlkit.dumps(out)
    return text if text.endswith("\n") else text + "\n"


# --- the comparisons --------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_every_export_pyproject_is_what_tomlkit_wrote(fixture: Path) -> None:
    project = read_project(fixture)
    compared = 0
    for mode in ("frozen", "locked"):
        for rel, text in build_export(project, mode).files.items():
            if not rel.endswith("pyproject.toml"):
                continue
            body = text.split("\n", 1)[1]  # after the header line
            doc = parse_toml(body, Path(rel))
            assert render_pyproject(doc) == reference(doc) == body, rel
            compared += 1
    assert compared >= 2


_KEYS = st.one_of(
    st.sampled_from(["name", "version", "a", "b-c", "d_e", "zope.interface", "", "a b", "é"]),
    st.text(min_size=0, max_size=6),
)
_SCALARS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ['x; python_version < "3.11"', "tab\there", "back\\slash", "\x7f\x00\x1f\n\r\b\f"]
    ),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.dates(),
    st.datetimes(
        timezones=st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=2))])
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=6)),
    max_leaves=20,
)
_DOCS = st.dictionaries(
    st.one_of(st.sampled_from(["project", "tool", "dependency-groups", "build-system"]), _KEYS),
    st.one_of(st.dictionaries(_KEYS, _VALUES, max_size=6), _VALUES),
    max_size=5,
)


@pytest.mark.slow  # 400 documents, ~6 s; the fixtures' files are compared above
@settings(max_examples=400, deadline=None)
@given(_DOCS)
def test_generated_documents_are_written_as_tomlkit_wrote_them(doc: dict[str, Any]) -> None:
    assert render_pyproject(doc) == reference(doc)
