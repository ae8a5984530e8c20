"""Every output is the one recorded before the package was laid out by stage.

tests/golden/outputs.json holds the sha256 of each export file, digest (text and JSON),
Dockerfile and explanation that `tests/golden/record.py` produces for every fixture, both
sides of each version-bump pair and every example, under each flag combination it names.
"""

from __future__ import annotations

import json

from golden.record import GOLDEN, record


def test_every_output_is_unchanged() -> None:
    golden = json.loads(GOLDEN.read_text())
    results = record()
    assert sorted(results) == sorted(golden)
    differ = [key for key in golden if golden[key] != results[key]]
    assert not differ, differ
