"""The Poetry and PDM corpus is well-formed: what the Poetry/PDM work will stand on.

Cheap and offline, no Poetry or PDM needed: every fixture folder has its lock, its
pyproject and a SOURCE.txt naming each copied file; every file parses as TOML; the lock
generation is the one the folder's INDEX.md row says; members named in SOURCE.txt are at
their paths; release pairs differ in their pyproject only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
KINDS = {"poetry": ("poetry.lock", "lock-version"), "pdm": ("pdm.lock", "lock_version")}


def _folders(kind: str) -> list[Path]:
    return sorted(path for path in (FIXTURES / kind).iterdir() if path.is_dir())


def _snapshots(folder: Path) -> list[Path]:
    """The folder itself, or its before/ and after/ for a release pair."""
    pair = [folder / "before", folder / "after"]
    return pair if all(path.is_dir() for path in pair) else [folder]


def _index(kind: str) -> dict[str, str]:
    """folder name -> lock version, from the INDEX.md table."""
    rows = {}
    for line in (FIXTURES / kind / "INDEX.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) > 4 and (FIXTURES / kind / cells[0]).is_dir():
            rows[cells[0]] = cells[3]
    return rows


def _source(snapshot: Path) -> tuple[str, list[str]]:
    """(lock_dir, copied paths) from SOURCE.txt."""
    text = (snapshot / "SOURCE.txt").read_text()
    lock_dir = re.search(r"^lock_dir: (.+)$", text, re.M)
    assert lock_dir, f"{snapshot}/SOURCE.txt: no lock_dir line"
    files = re.findall(r"^file: \S+ <- (\S+) \(blob [0-9a-f]{40}, \d+ bytes\)$", text, re.M)
    for key in ("repo", "url", "commit"):
        assert re.search(rf"^{key}: \S+$", text, re.M), f"{snapshot}/SOURCE.txt: no {key}"
    return lock_dir[1].strip(), files


CASES = [(kind, folder) for kind in KINDS for folder in _folders(kind)]


def test_corpus_size() -> None:
    assert len(_folders("poetry")) >= 20
    assert len(_folders("pdm")) >= 6


@pytest.mark.parametrize(("kind", "folder"), CASES, ids=[f"{k}/{f.name}" for k, f in CASES])
def test_fixture_is_well_formed(kind: str, folder: Path) -> None:
    lock_name, version_key = KINDS[kind]
    expected = _index(kind).get(folder.name)
    assert expected, f"{kind}/INDEX.md has no row for {folder.name}"
    for snapshot in _snapshots(folder):
        lock_dir, files = _source(snapshot)
        base = snapshot / lock_dir
        assert (base / lock_name).is_file(), f"{base}: no {lock_name}"
        assert (base / "pyproject.toml").is_file(), f"{base}: no pyproject.toml"
        for relative in files:
            path = snapshot / relative
            assert path.is_file(), f"{snapshot}/SOURCE.txt names {relative}, which is missing"
            tomllib.loads(path.read_text(encoding="utf-8"))
        lock = tomllib.loads((base / lock_name).read_text(encoding="utf-8"))
        assert lock["metadata"][version_key] == expected, f"{base / lock_name}: {version_key}"
        assert lock.get("package"), f"{base / lock_name}: no packages"


@pytest.mark.parametrize("kind", list(KINDS))
def test_release_pairs_differ_in_pyproject_only(kind: str) -> None:
    lock_name = KINDS[kind][0]
    pairs = [folder for folder in _folders(kind) if len(_snapshots(folder)) == 2]
    assert pairs, f"no release pair under fixtures/{kind}"
    for folder in pairs:
        before, after = folder / "before", folder / "after"
        assert (before / lock_name).read_bytes() == (after / lock_name).read_bytes()
        old = tomllib.loads((before / "pyproject.toml").read_text())
        new = tomllib.loads((after / "pyproject.toml").read_text())
        assert old != new, f"{folder}: the release commit changed nothing"
