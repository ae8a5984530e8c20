"""The lock renderer writes uv's layout, and what it writes parses back to what it was given."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import FIXTURE_CASES, FIXTURES, case_id, tomllib

from lockstrip.formats.uv.render.lock import render_lock, toml_string
from lockstrip.io.tomlread import load_toml

#: uv adds this comment after a placeholder `exclude-newer`; comments are not data.
UV_COMMENT = re.compile(r" # This has no effect.*")


@pytest.mark.parametrize("project", FIXTURE_CASES, ids=lambda p: case_id(p, FIXTURES))
def test_unmodified_lock_renders_to_its_own_bytes(project: Path) -> None:
    text = (project / "uv.lock").read_text(encoding="utf-8")
    assert render_lock(load_toml(project / "uv.lock")) == UV_COMMENT.sub("", text)


@pytest.mark.parametrize("project", FIXTURE_CASES, ids=lambda p: case_id(p, FIXTURES))
def test_fast_reader_agrees_with_tomllib(project: Path) -> None:
    text = (project / "uv.lock").read_text(encoding="utf-8")
    assert load_toml(project / "uv.lock") == tomllib.loads(text)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "it's",
        'say "hi"',
        "back\\slash",
        "both ' and \"",
        "tab\there",
        "new\nline",
        "unicode-λ",
        "del\x7f",
    ],
)
def test_strings_round_trip(value: str) -> None:
    assert tomllib.loads(f"k = {toml_string(value)}")["k"] == value


def test_marker_strings_are_written_as_uv_writes_them() -> None:
    marker = "python_full_version < '3.11' and sys_platform == 'linux'"
    assert toml_string(marker) == f'"{marker}"'
    assert toml_string('a"b') == "'a\"b'"  # literal string when it avoids escapes


def test_every_table_kind_round_trips() -> None:
    lock = {
        "version": 1,
        "requires-python": ">=3.10",
        "conflicts": [[{"package": "p", "extra": "a"}, {"package": "p", "extra": "b"}]],
        "options": {"exclude-newer": "2026-01-01T00:00:00Z", "prerelease-package": {"x": "allow"}},
        "manifest": {
            "members": ["a", "b"],
            "constraints": [{"name": "x", "specifier": ">=1"}],
            "dependency-groups": {"dev": [{"name": "y"}, {"name": "z"}]},
            "dependency-metadata": [{"name": "q", "version": "1", "requires-dist": ["r"]}],
        },
        "package": [
            {
                "name": "a",
                "version": "1.0",
                "source": {"editable": "a"},
                "dependencies": [{"name": "x", "extra": ["e"], "marker": "os_name == 'nt'"}],
                "optional-dependencies": {"e": [{"name": "y"}]},
                "dev-dependencies": {"dev": [{"name": "z"}]},
                "metadata": {
                    "requires-dist": [{"name": "x"}],
                    "provides-extras": ["e"],
                    "requires-dev": {"dev": [], "docs": [{"name": "z"}]},
                },
            }
        ],
    }
    assert tomllib.loads(render_lock(lock)) == lock
