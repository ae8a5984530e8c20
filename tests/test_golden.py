"""Every output is the one recorded before the package was laid out by stage.

tests/golden/outputs.json holds the sha256 of each export file, digest (text and JSON),
Dockerfile and explanation that `tests/golden/record.py` produces for every fixture, both
sides of each version-bump pair and every example, under each flag combination it names.
The fast tier compares a slice (the examples, a small project, a workspace, a version-bump
pair); the slow tier, every output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden.record import CORPUS, EXAMPLES, GOLDEN, projects, record

QUICK = {
    *EXAMPLES.iterdir(),
    CORPUS / "astral-sh__uv-docker-example",
    CORPUS / "modelcontextprotocol__python-sdk",
    CORPUS / "astral-sh__uv__version-bump" / "before",
    CORPUS / "astral-sh__uv__version-bump" / "after",
}


@pytest.mark.parametrize(
    "only",
    [pytest.param(QUICK, id="slice"), pytest.param(None, id="all", marks=pytest.mark.slow)],
)
def test_every_output_is_unchanged(only: set[Path] | None) -> None:
    golden = json.loads(GOLDEN.read_text())
    results = record(only)
    if only is not None:
        assert set(only) & set(projects()) == {p for p in only if (p / "uv.lock").is_file()}
        golden = {key: value for key, value in golden.items() if key in results}
        assert len(golden) > 60
    assert sorted(results) == sorted(golden)
    differ = [key for key in golden if golden[key] != results[key]]
    assert not differ, differ
