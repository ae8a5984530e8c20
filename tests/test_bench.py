"""The benchmark's own helpers (bench/scaling.py, bench/pairing.py): what its figures rest on.

The synthetic locks must be locks both tools read and traverse in full, or the scaling
rows would compare parsing with parsing; a child's peak memory must be its own, not the
benchmark's; a paired ratio is the median of the pairs' ratios.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURES, run_uv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from pairing import Command, CommandFailed, Launcher, Paired, Sample, cpu, pair_ratio
from scaling import copies_for, multiply_lock, suffix

from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.digest import compute_digest
from lockstrip.io.tomlread import load_toml as load  # the fast reader: mteb x3 is 12 MB

SMALL = FIXTURES / "astral-sh__uv-docker-example"  # an editable root and 41 packages
MTEB = FIXTURES / "embeddings-benchmark__mteb"  # forks (several versions of one name)
UV_EXPORT = ["export", "--frozen", "--no-header", "--no-annotate", "--no-emit-project"]


def synthetic(source: Path, target: Path, copies: int) -> Path:
    shutil.copytree(source, target)
    text = (source / "uv.lock").read_text(encoding="utf-8")
    (target / "uv.lock").write_text(multiply_lock(text, copies), encoding="utf-8")
    return target


def packages(lock: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = lock["package"]
    return found


def edges(package: dict[str, Any]) -> list[str]:
    """The names of every edge of `package`: dependencies, extras' and groups'."""
    found = [dep["name"] for dep in package.get("dependencies", [])]
    for table in ("optional-dependencies", "dev-dependencies"):
        for deps in package.get(table, {}).values():
            found += [dep["name"] for dep in deps]
    return found


def test_no_copies_is_the_lock_itself() -> None:
    text = (MTEB / "uv.lock").read_text(encoding="utf-8")
    assert multiply_lock(text, 0) == text


@pytest.mark.parametrize("source", [SMALL, MTEB], ids=lambda p: p.name)
def test_copies_are_closed_graphs_the_root_reaches(source: Path, tmp_path: Path) -> None:
    original = load(source / "uv.lock")
    lock = load(synthetic(source, tmp_path / "p", 2) / "uv.lock")
    local = [p for p in packages(original) if "editable" in p["source"] or "virtual" in p["source"]]
    third_party = {p["name"] for p in packages(original)} - {p["name"] for p in local}
    names = [p["name"] for p in packages(lock)]
    assert len(packages(lock)) == len(local) + 3 * (len(packages(original)) - len(local))
    assert names == sorted(names)
    assert set(names) == {p["name"] for p in local} | {
        name + end for name in third_party for end in ("", suffix(1), suffix(2))
    }
    for package in packages(lock):
        end = next((e for e in (suffix(1), suffix(2)) if package["name"].endswith(e)), "")
        targets = [name for name in edges(package) if name.removesuffix(end) in third_party]
        if package["name"] in third_party or end:  # a copy reaches only its own copies
            assert all(name.endswith(end) and name in names for name in targets)
    by_name = {p["name"]: p for p in packages(lock)}
    for old in local:  # the root gains an edge to each copy; its metadata stays
        new = by_name[old["name"]]
        before = [name for name in edges(old) if name in third_party]
        assert sorted(name for name in edges(new) if name in by_name) == sorted(
            name + end for name in before for end in ("", suffix(1), suffix(2))
        )
        assert new.get("metadata") == old.get("metadata")


def test_uv_and_lockstrip_read_the_copies(tmp_path: Path) -> None:
    """uv exports three times the packages; lockstrip's digest covers the copies."""
    exports, digests = [], []
    for copies in (0, 2):
        folder = synthetic(SMALL, tmp_path / str(copies), copies)
        result = run_uv(UV_EXPORT, folder, tmp_path / "uv-cache")
        assert result.returncode == 0, result.stderr
        exports.append([line for line in result.stdout.splitlines() if "==" in line])
        digests.append(compute_digest(read_project(folder)).value)
    assert len(exports[1]) == 3 * len(exports[0])
    assert digests[0] != digests[1]


def test_copies_for_rounds_to_the_nearest_size() -> None:
    assert copies_for(4e6, 4_000_000) == 0
    assert copies_for(20e6, 4_176_611) == 4
    assert copies_for(200e6, 4_176_611) == 47
    assert copies_for(1e6, 4_176_611) == 0


def test_a_pair_ratio_is_the_median_of_the_ratios() -> None:
    assert pair_ratio([1, 10, 3], [1, 5, 1]) == 2  # the ratio of the medians is 3
    with pytest.raises(ValueError):
        pair_ratio([1, 2], [1])
    paired = Paired(
        tuple(Sample(c, 1.0, 1) for c in (2.0, 9.0, 3.0)),
        tuple(Sample(c, 1.0, 1) for c in (1.0, 3.0, 1.0)),
    )
    assert (paired.ratio(cpu), paired.ours_median(cpu), paired.reference_median(cpu)) == (
        3.0,
        3.0,
        1.0,
    )


def test_a_childs_peak_memory_is_its_own(tmp_path: Path) -> None:
    """The benchmark holds a big lock in memory; its children must not report it."""
    ballast = b"x" * (200 * 2**20)  # resident in this process
    launcher = Launcher(tmp_path)
    try:
        small = launcher.run([sys.executable, "-S", "-c", "pass"]).sample
        big = launcher.run([sys.executable, "-S", "-c", "b = b'x' * (100 * 2**20)"]).sample
    finally:
        launcher.close()
    assert small.maxrss_kb < 50 * 1024
    assert 100 * 1024 < big.maxrss_kb < 200 * 1024
    assert small.cpu_s > 0
    assert big.wall_s > 0
    assert len(ballast) == 200 * 2**20


def test_a_failed_command_aborts(tmp_path: Path) -> None:
    """An unexpected exit code, or a status line other than the one expected, raises."""
    exits_3 = [sys.executable, "-S", "-c", "raise SystemExit(3)"]
    says = [sys.executable, "-S", "-c", "import sys; sys.stderr.write('unchanged out\\n')"]
    launcher = Launcher(tmp_path)
    try:
        launcher.run_command(Command(lambda: exits_3, ok=(0, 3)))
        launcher.run_command(Command(lambda: says, expect="unchanged"))
        with pytest.raises(CommandFailed, match="exit code 3"):
            launcher.run(exits_3)
        with pytest.raises(CommandFailed, match="expected a last stderr line starting 'wrote'"):
            launcher.run_command(Command(lambda: says, expect="wrote"))
    finally:
        launcher.close()
