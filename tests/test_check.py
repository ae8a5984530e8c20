"""`lockstrip check` (read-only: is the export folder what `export` would write now?) and
`lockstrip export --exit-code` (rewrite it, and fail saying why when it changed)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURES, copy_project
from test_caching import (
    add_group,
    bump_member_version,
    bump_root_version,
    change_revision,
    edit_docs_metadata,
    tighten_specifier,
    upgrade_third_party,
)

from lockstrip.cli import run
from lockstrip.formats.explanation import KINDS

SMALL = FIXTURES / "astral-sh__uv-docker-example"
WORKSPACE = FIXTURES / "modelcontextprotocol__python-sdk"
PLAIN = FIXTURES / "000pp__doom"  # tighten_specifier applies to it

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def lockstrip(*args: str | Path) -> tuple[int, str, str]:
    """`lockstrip ARGS` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run([str(arg) for arg in args])
    return code, out.getvalue(), err.getvalue()


def exported(fixture: Path, tmp_path: Path, *options: str) -> tuple[Path, Path]:
    """A copy of `fixture` at tmp_path/project and its export at tmp_path/out."""
    project = copy_project(fixture, tmp_path / "project")
    out = tmp_path / "out"
    code, _, err = lockstrip("export", project, "--out", out, "-q", *options)
    assert code == 0, err
    return project, out


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and folder below `folder`: bytes and mtime, to prove nothing was written."""
    return {
        path.relative_to(folder).as_posix(): (
            b"" if path.is_dir() else path.read_bytes(),
            path.stat().st_mtime_ns,
        )
        for path in sorted(folder.rglob("*"))
    }


# --- the answers -------------------------------------------------------------------------------


def test_missing_export_is_stale(tmp_path: Path) -> None:
    project = copy_project(SMALL, tmp_path / "project")
    out = tmp_path / "out"

    code, stdout, _ = lockstrip("check", project, "--out", out)

    assert code == 1
    assert stdout == f"no export at {out}; run: lockstrip export --out {out}\n"
    assert not out.exists()


def test_an_empty_folder_is_a_missing_export(tmp_path: Path) -> None:
    """`export` writes into an empty folder without --force: check sends the user there."""
    project = copy_project(SMALL, tmp_path / "project")
    out = tmp_path / "out"
    out.mkdir()

    code, stdout, _ = lockstrip("check", project, "--out", out)

    assert code == 1
    assert stdout == f"no export at {out}; run: lockstrip export --out {out}\n"
    assert lockstrip("export", project, "--out", out, "-q")[0] == 0
    assert lockstrip("check", project, "--out", out)[0] == 0


def test_just_exported_is_up_to_date(tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)

    code, stdout, stderr = lockstrip("check", project, "--out", out)

    assert code == 0, stderr
    assert stdout == ""
    assert stderr == f"export at {out} is up to date\n"


@pytest.mark.parametrize(
    ("fixture", "edit"),
    [
        (SMALL, bump_root_version),
        (SMALL, edit_docs_metadata),
        (WORKSPACE, bump_member_version),
        (PLAIN, tighten_specifier),
    ],
    ids=["root version", "docs metadata", "member version", "specifier"],
)
def test_volatile_edits_keep_the_export_up_to_date(
    fixture: Path, edit: Callable[[Path], None], tmp_path: Path
) -> None:
    project, out = exported(fixture, tmp_path)
    edit(project)

    code, _, stderr = lockstrip("check", project, "--out", out)

    assert code == 0, stderr
    assert stderr == f"export at {out} is up to date\n"


@pytest.mark.parametrize(
    ("fixture", "bump", "line"),
    [
        (SMALL, bump_root_version, "  ↑ websockets 15.0.1 → 15.0.2"),
        (WORKSPACE, bump_member_version, "  ↑ zipp 3.23.0 → 3.23.1"),
    ],
    ids=["small", "workspace"],
)
def test_an_upgrade_is_stale_and_named(
    fixture: Path, bump: Callable[[Path], None], line: str, tmp_path: Path
) -> None:
    project, out = exported(fixture, tmp_path)
    bump(project)  # a release with an upgrade in it
    upgrade_third_party(project)

    code, stdout, _ = lockstrip("check", project, "--out", out)

    assert code == 1
    lines = stdout.splitlines()
    assert lines[:3] == [
        f"export at {out} is stale (run: lockstrip export --out {out}):",
        "third-party dependencies changed (1 change):",
        line,
    ]


def test_a_revision_bump_is_stale_but_the_third_party_set_is_unchanged(tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)
    change_revision(project)

    code, stdout, _ = lockstrip("check", project, "--out", out)

    assert code == 1
    assert stdout == (
        f"export at {out} is stale (run: lockstrip export --out {out}):\n"
        "only volatile fields changed: lock revision 3 → 1; "
        "third-party set and digest unchanged, the export changed\n"
    )


def test_a_new_group_is_stale_though_the_third_party_set_is_the_same(tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)
    add_group(project)

    code, stdout, _ = lockstrip("check", project, "--out", out)

    assert code == 1
    assert "  ~ uv-docker-example: group lockstrip-added added (websockets)" in stdout.splitlines()
    assert "third-party set unchanged" in stdout


# --- the mode comes from the folder ---------------------------------------------------------


@pytest.mark.parametrize(
    ("export_mode", "check_options", "expected"),
    [
        ("frozen", [], 0),  # a specifier edit is volatile for the frozen export
        ("locked", [], 1),  # ... and kept by the locked one: the header says which
        ("frozen", ["--mode", "locked"], 1),  # --mode overrides the header
        ("locked", ["--mode", "locked"], 1),
    ],
)
def test_the_mode_is_read_from_the_folder(
    export_mode: str, check_options: list[str], expected: int, tmp_path: Path
) -> None:
    project, out = exported(PLAIN, tmp_path, "--mode", export_mode)
    tighten_specifier(project)

    code, stdout, _ = lockstrip("check", project, "--out", out, "--json", *check_options)

    assert code == expected
    data = json.loads(stdout)
    assert data["mode"] == (check_options[-1] if check_options else export_mode)
    assert data["stale"] is bool(expected)
    assert data["third_party_changed"] is False


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda out: (out / "notes.txt").write_text("mine\n"), id="a user's folder"),
        pytest.param(
            lambda out: (out / "pyproject.toml").write_text("[project]\n"), id="no header"
        ),
    ],
)
def test_a_folder_lockstrip_did_not_write_is_bad_input(
    make: Callable[[Path], object], tmp_path: Path
) -> None:
    project = copy_project(SMALL, tmp_path / "project")
    out = tmp_path / "out"
    out.mkdir()
    make(out)
    before = snapshot(out)

    code, stdout, stderr = lockstrip("check", project, "--out", out)

    assert code == 2
    assert stdout == ""
    assert stderr == f"lockstrip: error: {out}: is not an export folder written by lockstrip\n"
    assert snapshot(out) == before


def test_an_export_with_a_foreign_file_is_bad_input(tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)
    (out / "README.md").write_text("notes\n")

    code, _, stderr = lockstrip("check", project, "--out", out)

    assert code == 2
    assert "is not an export folder written by lockstrip" in stderr


def test_out_is_a_file(tmp_path: Path) -> None:
    project = copy_project(SMALL, tmp_path / "project")
    out = tmp_path / "out"
    out.write_text("x\n")

    code, _, stderr = lockstrip("check", project, "--out", out)

    assert code == 2
    assert stderr.startswith(f"lockstrip: error: {out}: ")


def test_a_bad_project_is_bad_input(tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)
    with (project / "uv.lock").open("a") as lock:
        lock.write("[[package]\n")

    code, stdout, stderr = lockstrip("check", project, "--out", out)

    assert code == 2
    assert stdout == ""
    assert stderr.startswith(f"lockstrip: error: {project / 'uv.lock'}:")
    assert "invalid TOML" in stderr


def test_a_corrupt_export_is_stale_not_bad_input(tmp_path: Path) -> None:
    """The project is fine and the fix is to export again: stale (1), saying why."""
    project, out = exported(SMALL, tmp_path)
    (out / "uv.lock").write_text("version = 1\n[[package]\nname = 'x'\n")

    code, stdout, _ = lockstrip("check", project, "--out", out)
    json_code, report, _ = lockstrip("check", project, "--out", out, "--json")

    assert code == json_code == 1
    assert stdout.startswith(f"export at {out} is stale and cannot be read ({out / 'uv.lock'}:2:")
    assert stdout.endswith("; rewrite it\n")
    data = json.loads(report)
    assert data["stale"] is True
    assert data["unreadable"].startswith(f"{out / 'uv.lock'}:2: invalid TOML")
    assert data["digest"]["old"] is None


# --- JSON ------------------------------------------------------------------------------------

KEYS = [
    "schema",
    "third_party_changed",
    "digest_changed",
    "digest",
    "changes",
    "volatile",
    "export",
    "mode",
    "stale",
]


def _check_json(data: dict[str, Any], out: Path) -> None:
    assert list(data)[: len(KEYS)] == KEYS
    assert data["schema"] == 1
    assert data["export"] == str(out)
    assert data["mode"] in ("frozen", "locked")
    assert type(data["stale"]) is bool
    assert data["third_party_changed"] in (True, False, None)
    assert type(data["digest_changed"]) is bool
    assert DIGEST.fullmatch(data["digest"]["new"])
    assert data["digest"]["old"] is None or DIGEST.fullmatch(data["digest"]["old"])
    assert all(change["kind"] in KINDS for change in data["changes"])
    assert all(isinstance(note, str) for note in data["volatile"])


def test_json_up_to_date(tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)

    code, stdout, stderr = lockstrip("check", project, "--out", out, "--json")

    assert code == 0
    assert stderr == ""
    data = json.loads(stdout)
    _check_json(data, out)
    digest = lockstrip("digest", project)[1].strip()
    assert data["digest"] == {"old": digest, "new": digest}
    assert data["stale"] is data["digest_changed"] is data["third_party_changed"] is False
    assert data["changes"] == data["volatile"] == []


def test_json_stale(tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)
    old_digest = lockstrip("digest", project)[1].strip()
    upgrade_third_party(project)

    code, stdout, _ = lockstrip("check", project, "--out", out, "--json")

    assert code == 1
    data = json.loads(stdout)
    _check_json(data, out)
    assert data["stale"] is data["third_party_changed"] is data["digest_changed"] is True
    assert data["digest"] == {"old": old_digest, "new": lockstrip("digest", project)[1].strip()}
    assert [(c["kind"], c["subject"], c["old"], c["new"]) for c in data["changes"]] == [
        ("upgraded", "websockets", "15.0.1", "15.0.2")
    ]
    assert data["mode"] == "frozen"


def test_json_missing(tmp_path: Path) -> None:
    project = copy_project(SMALL, tmp_path / "project")
    out = tmp_path / "out"

    code, stdout, _ = lockstrip("check", project, "--out", out, "--json")

    assert code == 1
    data = json.loads(stdout)
    _check_json(data, out)
    assert data["stale"] is data["missing"] is data["digest_changed"] is True
    assert data["digest"]["old"] is None


# --- nothing is written ------------------------------------------------------------------------


@pytest.mark.parametrize("edit", [upgrade_third_party, change_revision, bump_root_version])
def test_check_writes_nothing(edit: Callable[[Path], None], tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)
    edit(project)
    before = snapshot(tmp_path)

    for options in ([], ["--json"], ["--mode", "locked"]):
        lockstrip("check", project, "--out", out, *options)
        lockstrip("check", project, "--out", tmp_path / "missing", *options)

    assert snapshot(tmp_path) == before


# --- export --exit-code ------------------------------------------------------------------------


def test_export_exit_code_when_it_rewrote(tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)
    upgrade_third_party(project)

    code, stdout, stderr = lockstrip("export", project, "--out", out, "--exit-code")

    assert code == 1
    assert (
        stdout == "third-party dependencies changed (1 change):\n  ↑ websockets 15.0.1 → 15.0.2\n"
    )
    assert stderr == f"wrote {out} (2 files, mode frozen)\n"
    assert lockstrip("check", project, "--out", out)[0] == 0


def test_export_exit_code_after_a_revision_bump(tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)
    change_revision(project)

    code, stdout, _ = lockstrip("export", project, "--out", out, "--exit-code", "-q")

    assert code == 1
    assert stdout == (
        "only volatile fields changed: lock revision 3 → 1; "
        "third-party set and digest unchanged, the export changed\n"
    )


def test_export_exit_code_when_unchanged(tmp_path: Path) -> None:
    project, out = exported(SMALL, tmp_path)
    bump_root_version(project)
    before = snapshot(out)

    code, stdout, stderr = lockstrip("export", project, "--out", out, "--exit-code")

    assert code == 0
    assert stdout == ""
    assert stderr == f"unchanged {out} (2 files, mode frozen)\n"
    assert snapshot(out) == before


def test_export_exit_code_when_the_folder_was_missing(tmp_path: Path) -> None:
    project = copy_project(SMALL, tmp_path / "project")
    out = tmp_path / "out"

    code, _, stderr = lockstrip("export", project, "--out", out, "--exit-code")

    assert code == 1
    assert stderr == f"wrote {out} (2 files, mode frozen)\n"
    assert (out / "uv.lock").is_file()


def test_check_as_a_process(tmp_path: Path) -> None:
    """The exit codes survive the real entry point (it ends with os._exit)."""
    project, out = exported(SMALL, tmp_path)
    upgrade_third_party(project)

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lockstrip", "check", project, "--out", out],
            capture_output=True,
            text=True,
            timeout=60,
        )

    stale = check()
    assert stale.returncode == 1, stale.stderr
    assert "  ↑ websockets 15.0.1 → 15.0.2\n" in stale.stdout
    assert lockstrip("export", project, "--out", out, "-q")[0] == 0
    fresh = check()
    assert fresh.returncode == 0, fresh.stderr
