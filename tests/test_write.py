"""Writing the export folder: only over lockstrip's own folders, only when the content
changes, atomically, and with nothing but the two kinds of file it exports."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from lockstrip.errors import OutputError
from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.export import build_export
from lockstrip.io.export_folder import header, write_export

Cli = Callable[..., "subprocess.CompletedProcess[str]"]  # the `cli` fixture (conftest.py)

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
SMALL = CORPUS / "astral-sh__uv-docker-example"
WORKSPACE = CORPUS / "modelcontextprotocol__python-sdk"

#: An ISO 8601 date and time, as uv writes `upload-time` and `exclude-newer`.
TIMESTAMP = re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder`: relative POSIX path -> bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def stats(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of `folder` and of everything below it."""
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in [folder, *sorted(folder.rglob("*"))]
    }


def leftovers(target: Path) -> list[str]:
    """Staging (`.NAME.*.tmp`) and retired (`.NAME.*.old`) folders left beside `target`."""
    return sorted(p.name for p in target.parent.glob(f".{target.name}.*"))


def export_ok(cli: Cli, project: Path, out: Path, *args: str) -> str:
    result = cli("export", project, "--out", out, *args)
    assert result.returncode == 0, result.stderr
    return result.stderr


# --- a folder lockstrip did not write -----------------------------------------------------


def _notes(folder: Path) -> None:
    (folder / "notes.txt").write_text("my notes\n", encoding="utf-8")


def _pyproject_without_header(folder: Path) -> None:
    (folder / "pyproject.toml").write_text('[project]\nname = "mine"\n', encoding="utf-8")


def _export_plus_a_file(folder: Path) -> None:
    (folder / "pyproject.toml").write_text(
        header("frozen") + '[project]\nname = "x"\n', encoding="utf-8"
    )
    (folder / "sub").mkdir()
    (folder / "sub" / "main.py").write_text("print('mine')\n", encoding="utf-8")


@pytest.mark.parametrize(
    "fill",
    [
        pytest.param(_notes, id="other file"),
        pytest.param(_pyproject_without_header, id="pyproject without the header"),
        pytest.param(_export_plus_a_file, id="export plus a source file"),
    ],
)
def test_refuses_a_folder_lockstrip_did_not_write(
    fill: Callable[[Path], None], project: Path, tmp_path: Path, cli: Cli
) -> None:
    target = tmp_path / "deps"
    target.mkdir()
    fill(target)
    before = snapshot(target)

    result = cli("export", project, "--out", target)

    assert result.returncode == 2, result.stderr
    assert f"lockstrip: error: {target}: is not empty and was not written by lockstrip" in (
        result.stderr
    )
    assert snapshot(target) == before
    assert leftovers(target) == []

    export_ok(cli, project, target, "--force")
    fresh = tmp_path / "fresh"
    export_ok(cli, project, fresh)
    assert snapshot(target) == snapshot(fresh)
    assert leftovers(target) == []


def test_writes_into_an_empty_folder(project: Path, tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "deps"
    target.mkdir()
    export_ok(cli, project, target)
    assert sorted(snapshot(target)) == ["pyproject.toml", "uv.lock"]


def test_creates_missing_parents(project: Path, tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "build" / "docker" / "deps"
    export_ok(cli, project, target)
    assert sorted(snapshot(target)) == ["pyproject.toml", "uv.lock"]
    assert leftovers(target) == []


# --- rerun --------------------------------------------------------------------------------


def test_rerun_without_change_touches_nothing(project: Path, out: Path, cli: Cli) -> None:
    before, before_stats = snapshot(out), stats(out)

    stderr = export_ok(cli, project, out)

    assert f"unchanged {out} (2 files, mode frozen)" in stderr
    assert stats(out) == before_stats
    assert snapshot(out) == before


def test_rerun_with_a_change_rewrites(project: Path, out: Path, cli: Cli) -> None:
    before = snapshot(out)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(">=3.11", ">=3.12"), encoding="utf-8"
    )

    stderr = export_ok(cli, project, out)

    assert f"wrote {out} (2 files, mode frozen)" in stderr
    after = snapshot(out)
    assert after["uv.lock"] == before["uv.lock"]
    assert b'requires-python = ">=3.12"' in after["pyproject.toml"]
    assert leftovers(out) == []


# --- a failure while writing --------------------------------------------------------------


def fail_on_call(
    n: int, real: Callable[..., object], error: BaseException
) -> Callable[..., object]:
    """`real`, except that call number `n` raises `error`."""
    calls = 0

    def wrapper(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == n:
            raise error
        return real(*args, **kwargs)

    return wrapper


@pytest.fixture
def changed_export(project: Path) -> Callable[[Path], bool]:
    """Writes the locked export of `project`, whose bytes differ from the frozen one."""
    export = build_export(read_project(project), "locked")
    return lambda out: write_export(export, out, project)


# Writing the small project's two files calls fsync twice; swapping over an existing folder
# renames three times at most: out -> retired, staging -> out, and retired -> out on failure.
@pytest.mark.parametrize(
    ("target", "n"),
    [
        pytest.param(os, 1, id="fsync of the first file"),
        pytest.param(os, 2, id="fsync of the last file"),
        pytest.param(Path, 1, id="rename of the old export"),
        pytest.param(Path, 2, id="rename of the new export"),
    ],
)
def test_failure_while_writing_keeps_the_previous_export(
    target: object,
    n: int,
    out: Path,
    changed_export: Callable[[Path], bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = snapshot(out)
    name = "fsync" if target is os else "rename"
    monkeypatch.setattr(
        target, name, fail_on_call(n, getattr(target, name), OSError(28, "No space left"))
    )

    with pytest.raises(OutputError, match="cannot write the export: No space left"):
        changed_export(out)

    monkeypatch.undo()
    assert snapshot(out) == before
    assert leftovers(out) == []
    assert changed_export(out) is True  # the failure was the injected one
    assert snapshot(out) != before


def test_interrupt_while_swapping_keeps_the_previous_export(
    out: Path, changed_export: Callable[[Path], bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(out)
    monkeypatch.setattr(Path, "rename", fail_on_call(2, Path.rename, KeyboardInterrupt()))

    with pytest.raises(KeyboardInterrupt):
        changed_export(out)

    monkeypatch.undo()
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_failure_on_a_first_export_leaves_nothing(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "deps"
    export = build_export(read_project(project))
    monkeypatch.setattr(os, "fsync", fail_on_call(2, os.fsync, OSError(5, "I/O error")))

    with pytest.raises(OutputError, match=f"{re.escape(str(out))}: cannot write the export"):
        write_export(export, out, project)

    assert not out.exists()
    assert leftovers(out) == []


# --- what an export holds -----------------------------------------------------------------


def test_switching_projects_removes_what_no_longer_belongs(
    project: Path, workspace: Path, tmp_path: Path, cli: Cli
) -> None:
    out, fresh_small, fresh_workspace = tmp_path / "out", tmp_path / "small", tmp_path / "ws"
    export_ok(cli, project, fresh_small)
    export_ok(cli, workspace, fresh_workspace)
    assert len(snapshot(fresh_workspace)) == 18  # the root, 17 members and uv.lock

    export_ok(cli, workspace, out)
    assert snapshot(out) == snapshot(fresh_workspace)
    export_ok(cli, project, out)
    assert snapshot(out) == snapshot(fresh_small)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "pyproject.toml",
        "uv.lock",
    ]
    export_ok(cli, workspace, out)
    assert snapshot(out) == snapshot(fresh_workspace)
    assert leftovers(out) == []


def test_a_member_that_moves_leaves_its_old_place_in_the_export(
    workspace: Path, tmp_path: Path, cli: Cli
) -> None:
    out = tmp_path / "out"
    export_ok(cli, workspace, out)
    assert (out / "src" / "mcp-types" / "pyproject.toml").is_file()
    (workspace / "src" / "mcp-types").rename(workspace / "types")
    lock = workspace / "uv.lock"
    text = lock.read_text(encoding="utf-8")
    lock.write_text(text.replace('"src/mcp-types"', '"types"'), encoding="utf-8")

    export_ok(cli, workspace, out)

    assert not (out / "src" / "mcp-types").exists()
    assert not (out / "src").exists()
    assert (out / "types" / "pyproject.toml").is_file()
    assert len(snapshot(out)) == 18


@pytest.mark.parametrize("mode", ["frozen", "locked"])
@pytest.mark.parametrize("source", [SMALL, WORKSPACE], ids=["small", "workspace"])
def test_an_export_holds_only_portable_pyproject_and_lock_files(
    source: Path, mode: str, tmp_path: Path, cli: Cli
) -> None:
    project = shutil.copytree(source, tmp_path / "project")
    out = tmp_path / "out"
    export_ok(cli, project, out, "--mode", mode)
    files = snapshot(out)

    assert {rel.rsplit("/", 1)[-1] for rel in files} == {"pyproject.toml", "uv.lock"}
    folders = {parent.as_posix() for rel in files for parent in Path(rel).parents} - {"."}
    assert {p.relative_to(out).as_posix() for p in out.rglob("*")} == set(files) | folders
    for rel, data in files.items():
        for machine_path in (tmp_path, project, source, Path.home()):
            assert str(machine_path).encode() not in data, (rel, machine_path)
        assert not TIMESTAMP.search(data), (rel, TIMESTAMP.search(data))
        assert b"upload-time" not in data, rel

    again = tmp_path / "again"
    export_ok(cli, project, again, "--mode", mode)
    assert snapshot(again) == files
