"""The same input gives the same bytes in separate processes, whatever PYTHONHASHSEED is.

cargo-chef's own determinism test compared a recipe with itself inside one process, where
hash randomization cannot differ; these tests start a new interpreter for every run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FIXTURES

CASES = ["livekit__agents", "astral-sh__uv-docker-example", "crewAIInc__crewAI"]
SEEDS = ["0", "1", "4242", "random"]


def run(args: list[str], seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    result = subprocess.run(
        [sys.executable, "-m", "lockstrip", *args], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("mode", ["frozen", "locked"])
@pytest.mark.parametrize("case", CASES)
def test_export_bytes_do_not_depend_on_the_process(case: str, mode: str, tmp_path: Path) -> None:
    exports = []
    for seed in SEEDS[:2]:
        out = tmp_path / f"seed-{seed}"
        run(["export", str(FIXTURES / case), "--out", str(out), "--mode", mode, "-q"], seed)
        exports.append(snapshot(out))
    assert exports[0] == exports[1]
    assert "uv.lock" in exports[0] and len(exports[0]) >= 2


@pytest.mark.parametrize("case", CASES)
def test_digest_does_not_depend_on_the_process(case: str) -> None:
    digests = {run(["digest", str(FIXTURES / case)], seed) for seed in SEEDS}
    assert len(digests) == 1
    assert digests.pop().startswith("sha256:")
