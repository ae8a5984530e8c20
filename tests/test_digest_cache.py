"""The digest cache (lockstrip/cache.py): a replay prints what a full run prints, and any
change to what the run read is a miss.

A replayed run and a full run print the same digest, so a test cannot tell them apart by
their output alone. These tests plant a marker instead: they rewrite a recorded entry's
output (keeping its file hashes), so that the next run prints the marker exactly when it
replays, and the real digest when it misses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import CORPUS, SMALL, WORKSPACE, _copy

from lockstrip import cache
from lockstrip._cli import run

MARKER = "sha256:" + "0" * 64 + "\n"
FIXTURES = sorted(p for p in CORPUS.iterdir() if (p / "uv.lock").is_file())


def _digest(
    cache_dir: Path, *args: str | Path, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """`python -m lockstrip digest ARGS` with its cache in `cache_dir`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSTRIP_")}
    environ.update(LOCKSTRIP_CACHE_DIR=str(cache_dir), **env)
    return subprocess.run(
        [sys.executable, "-m", "lockstrip", "digest", *map(str, args)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.iterdir()) if cache_dir.exists() else []


def _plant(cache_dir: Path) -> None:
    """Rewrite the one entry's output to MARKER, keeping what it says about the files."""
    (entry,) = _entries(cache_dir)
    head, _, _ = entry.read_bytes().partition(b"\n\n")
    entry.write_bytes(head + b"\n\n" + MARKER.encode())


def _recorded(cache_dir: Path, args: Sequence[str | Path], cwd: Path | None = None) -> str:
    """Run once to record, check the record, plant the marker; the real output."""
    first = _digest(cache_dir, *args, cwd=cwd)
    assert first.returncode == 0, first.stderr
    assert len(_entries(cache_dir)) == 1
    _plant(cache_dir)
    return first.stdout


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_a_replay_prints_what_the_full_run_prints(
    fixture: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every fixture: the recorded output is the in-process digest, and the next run
    replays it without reading anything but the recorded files."""
    cache_dir = tmp_path / "cache"
    first = _digest(cache_dir, fixture, "--json")
    assert first.returncode == 0, first.stderr
    assert run(["digest", str(fixture), "--json", "--no-cache"]) == 0
    assert first.stdout == capsys.readouterr().out
    (entry,) = _entries(cache_dir)
    assert entry.read_text().endswith("\n\n" + first.stdout)
    _plant(cache_dir)
    assert _digest(cache_dir, fixture, "--json").stdout == MARKER


@pytest.mark.parametrize(
    "args",
    [
        ["--no-dev", "--python-version", "3.12", "--python-platform", "linux"],
        ["--package", "mcp-simple-tool", "--no-dev"],
        ["--format", "env", "--name", "DEPS"],
    ],
    ids=["targeted", "package", "env"],
)
def test_scoped_and_formatted_digests_replay(args: list[str], tmp_path: Path) -> None:
    real = _recorded(tmp_path / "cache", [WORKSPACE, *args])
    assert real != MARKER and real.strip()
    assert _digest(tmp_path / "cache", WORKSPACE, *args).stdout == MARKER
    # another command line is another entry: the same digest with other flags misses
    other = _digest(tmp_path / "cache", WORKSPACE, *args, "--json")
    assert other.returncode == 0 and other.stdout != MARKER


@pytest.mark.parametrize(
    "edit",
    ["lock-volatile", "lock-third-party", "pyproject", "member-pyproject", "member-appears"],
)
def test_a_change_to_any_file_read_is_a_miss(edit: str, tmp_path: Path) -> None:
    """Each input a scoped digest reads: the root files, a member's pyproject it reads for
    its groups, and a member pyproject it found missing. A planted bug that records only
    uv.lock and pyproject.toml makes the member cases print the stale marker."""
    workspace = _copy(WORKSPACE, tmp_path / "workspace")
    member = workspace / "examples" / "servers" / "simple-tool" / "pyproject.toml"
    assert member.is_file()
    if edit == "member-appears":
        member.rename(member.with_suffix(".away"))
    args: list[str | Path] = [workspace, "--package", "mcp-simple-tool", "--no-dev"]
    real = _recorded(tmp_path / "cache", args)
    lock = workspace / "uv.lock"
    if edit == "lock-volatile":  # the digest stays; the entry no longer applies
        lock.write_text(lock.read_text().replace("revision = ", "revision  = ", 1))
    elif edit == "lock-third-party":
        lock.write_text(
            lock.read_text().replace(
                'name = "anyio"\nversion = "', 'name = "anyio"\nversion = "9', 1
            )
        )
    elif edit == "pyproject":
        (workspace / "pyproject.toml").write_text((workspace / "pyproject.toml").read_text() + "\n")
    elif edit == "member-pyproject":
        member.write_text(member.read_text() + "\n# edited\n")
    else:
        member.with_suffix(".away").rename(member)
    again = _digest(tmp_path / "cache", *args)
    assert again.stdout != MARKER, f"{edit}: replayed a stale entry"
    assert again.returncode == 0, again.stderr
    if edit != "lock-third-party":
        assert again.stdout == real


def test_the_recorder_sees_every_file_a_digest_opens(tmp_path: Path) -> None:
    """What makes a replay safe: every file a digest opens goes through the recorder. An
    audit hook lists what the run opens inside the project; each must be recorded."""
    workspace = _copy(WORKSPACE, tmp_path / "workspace")
    opened: list[str] = []

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event == "open" and isinstance(args[0], str) and args[0].startswith(str(workspace)):
            opened.append(os.path.normpath(args[0]))

    sys.addaudithook(hook)
    cache.start_recording()
    try:
        for args in (["--package", "mcp-simple-tool", "--no-dev"], ["--all-groups"], []):
            opened.clear()
            assert cache.reads is not None
            cache.reads.clear()
            assert run(["digest", str(workspace), "--no-cache", *args]) == 0
            recorded = {os.path.normpath(name) for name, _ in cache.reads}
            assert opened and set(opened) <= recorded, set(opened) - recorded
    finally:
        cache.reads = None
        opened.clear()


def test_no_cache_and_its_variable_neither_read_nor_write(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    assert _digest(cache_dir, SMALL, "--no-cache").returncode == 0
    assert _digest(cache_dir, SMALL, LOCKSTRIP_NO_CACHE="1").returncode == 0
    assert _entries(cache_dir) == []
    _recorded(cache_dir, [SMALL])
    assert _digest(cache_dir, SMALL, "--no-cache").stdout != MARKER
    assert _digest(cache_dir, SMALL, LOCKSTRIP_NO_CACHE="1").stdout != MARKER
    assert _digest(cache_dir, SMALL).stdout == MARKER


def test_outputs_to_files_are_never_replayed(tmp_path: Path) -> None:
    """--write and --format github write files: a replay of stdout alone would skip that."""
    cache_dir = tmp_path / "cache"
    written = tmp_path / "digest.txt"
    assert _digest(cache_dir, SMALL, "--write", written).returncode == 0
    github = tmp_path / "github-output"
    github.touch()
    result = _digest(cache_dir, SMALL, "--format", "github", GITHUB_OUTPUT=str(github))
    assert result.returncode == 0, result.stderr
    assert _entries(cache_dir) == []
    assert written.read_text() == github.read_text().split("=", 1)[1]


def test_the_working_folder_is_part_of_the_key(tmp_path: Path) -> None:
    """`lockstrip digest .` in two projects: two entries, never one's digest for the other."""
    cache_dir = tmp_path / "cache"
    one = _copy(SMALL, tmp_path / "one")
    two = _copy(WORKSPACE, tmp_path / "two")
    first = _digest(cache_dir, ".", cwd=one)
    second = _digest(cache_dir, ".", cwd=two)
    assert first.stdout != second.stdout
    assert len(_entries(cache_dir)) == 2


@pytest.mark.parametrize("damage", ["truncated", "foreign", "empty", "folder"])
def test_a_damaged_entry_is_a_miss_and_is_written_again(damage: str, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    real = _recorded(cache_dir, [SMALL])
    (entry,) = _entries(cache_dir)
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:30])
    elif damage == "foreign":
        entry.write_text("lockstrip-cache-0\n\n" + MARKER)
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        entry.unlink()
        entry.mkdir()
    result = _digest(cache_dir, SMALL)
    assert (result.returncode, result.stdout) == (0, real)
    if damage != "folder":
        assert entry.read_text().endswith("\n\n" + real)


def test_an_unwritable_cache_changes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = _digest(blocker / "cache", SMALL)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("sha256:")


def test_concurrent_runs_agree_and_leave_one_entry(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSTRIP_")}
    environ["LOCKSTRIP_CACHE_DIR"] = str(cache_dir)
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "lockstrip", "digest", str(SMALL)],
            env=environ,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = {process.communicate(timeout=60)[0] for process in runs}
    assert len(outputs) == 1 and all(process.returncode == 0 for process in runs)
    assert [entry.name for entry in _entries(cache_dir)] == [
        entry.name for entry in _entries(cache_dir) if len(entry.name) == 64
    ]
    assert len(_entries(cache_dir)) == 1


def test_past_the_limit_the_least_recently_used_half_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKSTRIP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "MAX_ENTRIES", 10)
    for number in range(11):
        entry = tmp_path / f"{number:064x}"
        entry.write_text("")
        os.utime(entry, ns=(number * 10**9, number * 10**9))
    cache._prune(str(tmp_path))
    assert [int(p.name, 16) for p in sorted(tmp_path.iterdir())] == [6, 7, 8, 9, 10]


def test_a_pipe_in_place_of_a_recorded_file_neither_hangs_nor_replays(tmp_path: Path) -> None:
    """The replay reads as lockstrip reads: a FIFO where uv.lock was is a miss at once, and
    the full run then refuses it (exit 2), as it refuses any special file."""
    project = _copy(SMALL, tmp_path / "project")
    _recorded(tmp_path / "cache", [project])
    (project / "uv.lock").unlink()
    os.mkfifo(project / "uv.lock")
    result = _digest(tmp_path / "cache", project)
    assert result.returncode == 2 and result.stdout == ""
    assert "named pipe" in result.stderr
