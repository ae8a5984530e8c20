"""Shared test helpers: where the real projects are, and how to run uv as the oracle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["tomllib"]

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "corpus"
#: The wider corpus beside the repository, when present (the suite passes without it).
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


def case_dirs(root: Path) -> list[Path]:
    """Every project folder (one holding uv.lock) below `root`, sorted."""
    return sorted(path.parent for path in root.glob("**/uv.lock"))


def case_id(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


FIXTURE_CASES = case_dirs(FIXTURES)
SINGLE_CASES = [p for p in FIXTURE_CASES if "__version-bump" not in str(p)]
BUMP_PAIRS = sorted(p for p in FIXTURES.iterdir() if p.name.endswith("__version-bump"))


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("SOURCE.txt"))
    return target


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    return data


def uv_executable() -> str:
    """uv from the test environment (the `test` extra pins it), else from PATH."""
    beside = Path(sys.executable).parent / "uv"
    if beside.exists():
        return str(beside)
    found = shutil.which("uv")
    if found is None:
        raise RuntimeError("uv is not installed: pip install -e '.[test]'")
    return found


def uv_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(
        UV_PYTHON="python3",
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_CONFIG="1",
        UV_CACHE_DIR=str(cache),
        UV_OFFLINE="1",
        NO_COLOR="1",
    )
    return env


def run_uv(args: list[str], cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [uv_executable(), *args],
        cwd=cwd,
        env=uv_env(cache),
        capture_output=True,
        text=True,
        timeout=300,
    )


def lock_of(project: Path) -> Mapping[str, Any]:
    return load(project / "uv.lock")
