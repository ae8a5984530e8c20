"""Bad input through the real CLI: exit 2, a message naming the file and the field or line,
and the export folder a previous run wrote left exactly as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lockstrip.errors import InputError
from lockstrip.formats.uv.model.project import read_project

Cli = Callable[..., "subprocess.CompletedProcess[str]"]  # the `cli` fixture (conftest.py)

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
SMALL = CORPUS / "astral-sh__uv-docker-example"
WORKSPACE = CORPUS / "modelcontextprotocol__python-sdk"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder`: relative POSIX path -> bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def leftovers(target: Path) -> list[str]:
    """Staging (`.NAME.*.tmp`) and retired (`.NAME.*.old`) folders the writer left beside
    `target`."""
    return sorted(p.name for p in target.parent.glob(f".{target.name}.*"))


def edit(name: str, old: str, new: str) -> Callable[[Path], None]:
    """Replace `old` (which must be there) by `new` in the project's file `name`."""

    def apply(project: Path) -> None:
        path = project / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return apply


def remove(name: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        (project / name).unlink()

    return apply


def write(name: str, text: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        (project / name).write_text(text, encoding="utf-8")

    return apply


def make_directory(name: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        (project / name).unlink()
        (project / name).mkdir()
        (project / name / "uv.lock").write_text("version = 1\n", encoding="utf-8")

    return apply


def bad_utf8(name: str, line: int) -> Callable[[Path], None]:
    """Put bytes that are not UTF-8 at the end of line `line`."""

    def apply(project: Path) -> None:
        path = project / name
        lines = path.read_bytes().split(b"\n")
        lines[line - 1] += b" # caf\xe9"
        path.write_bytes(b"\n".join(lines))

    return apply


@dataclass(frozen=True)
class Case:
    id: str
    source: Path  # the corpus project the case starts from
    breaks: Callable[[Path], None]
    file: str  # the file the message must name, relative to the project
    where: str  # what must follow the file name: ":LINE:" or ": FIELD:"


BAD_INPUT = [
    Case("missing lock", SMALL, remove("uv.lock"), "uv.lock", ": file not found"),
    Case(
        "missing pyproject",
        SMALL,
        remove("pyproject.toml"),
        "pyproject.toml",
        ": file not found",
    ),
    Case(
        "lock syntax error",
        SMALL,
        edit("uv.lock", 'requires-python = ">=3.11"\n', 'requires-python = ">=3.11\n'),
        "uv.lock",
        ":3: invalid TOML",
    ),
    Case(
        "pyproject syntax error",
        SMALL,
        edit("pyproject.toml", 'readme = "README.md"\n', "readme = README.md\n"),
        "pyproject.toml",
        ":5: invalid TOML",
    ),
    Case(
        "lock version 2",
        SMALL,
        edit("uv.lock", "version = 1\nrevision = 3\n", "version = 2\nrevision = 3\n"),
        "uv.lock",
        ": version: lock format version 2 is not supported",
    ),
    Case(
        "member outside the project",
        WORKSPACE,
        edit("uv.lock", 'editable = "src/mcp-types"', 'editable = "../outside"'),
        "uv.lock",
        ": package (mcp-types).source: workspace member 'mcp-types' is at '../outside'",
    ),
    Case(
        "member at an absolute path",
        WORKSPACE,
        edit("uv.lock", 'editable = "src/mcp-types"', 'editable = "/srv/mcp-types"'),
        "uv.lock",
        ": package (mcp-types).source: workspace member 'mcp-types' is at '/srv/mcp-types'",
    ),
    Case("lock is a folder", SMALL, make_directory("uv.lock"), "uv.lock", ": is a directory"),
    Case("lock not UTF-8", SMALL, bad_utf8("uv.lock", 2), "uv.lock", ":2: not UTF-8"),
    Case(
        "pyproject not UTF-8",
        SMALL,
        bad_utf8("pyproject.toml", 4),
        "pyproject.toml",
        ":4: not UTF-8",
    ),
    Case(
        "package without source",
        SMALL,
        edit("uv.lock", 'source = { editable = "." }\n', ""),
        "uv.lock",
        ": package[37] (uv-docker-example).source: expected a table, found missing",
    ),
    Case(
        "package with an unknown source kind",
        SMALL,
        edit("uv.lock", 'source = { editable = "." }\n', 'source = { folder = "." }\n'),
        "uv.lock",
        ": package[37] (uv-docker-example).source: expected one of",
    ),
    Case(
        "dependency without name",
        SMALL,
        edit("uv.lock", '{ name = "fastapi", extra = ["standard"] }', '{ extra = ["standard"] }'),
        "uv.lock",
        ": package[37] (uv-docker-example).dependencies[0].name: expected a string, found missing",
    ),
    Case(
        "dev dependency not a table",
        SMALL,
        edit("uv.lock", '    { name = "fastapi-cli" },\n', '    "fastapi-cli",\n'),
        "uv.lock",
        ": package[37] (uv-docker-example).dev-dependencies.dev[0]: expected a table",
    ),
    Case(
        "wheels not an array",
        SMALL,
        edit("uv.lock", "wheels = [\n", "wheels = 1\nwheels-old = [\n"),
        "uv.lock",
        ": package[0] (annotated-types).wheels: expected an array",
    ),
    Case(
        "manifest members not strings",
        WORKSPACE,
        edit("uv.lock", '    "mcp-types",\n]', "    1,\n]"),
        "uv.lock",
        ": manifest.members: expected an array of strings",
    ),
    Case(
        "project table not a table",
        SMALL,
        write("pyproject.toml", 'project = "uv-docker-example"\n'),
        "pyproject.toml",
        ": project: expected a table",
    ),
    Case(
        "dynamic not an array",
        SMALL,
        edit("pyproject.toml", 'version = "0.1.0"\n', 'dynamic = "version"\n'),
        "pyproject.toml",
        ": project.dynamic: expected an array",
    ),
]


def _previous_export(source: Path, tmp_path: Path, cli: Cli) -> tuple[Path, Path]:
    project = shutil.copytree(source, tmp_path / "project")
    out = tmp_path / "out"
    done = cli("export", project, "--out", out)
    assert done.returncode == 0, done.stderr
    return project, out


@pytest.mark.parametrize("case", BAD_INPUT, ids=[case.id for case in BAD_INPUT])
def test_bad_input_exits_2_and_keeps_the_previous_export(
    case: Case, tmp_path: Path, cli: Cli
) -> None:
    project, out = _previous_export(case.source, tmp_path, cli)
    before = snapshot(out)
    case.breaks(project)

    for args in (["export", project, "--out", out], ["digest", project]):
        result = cli(*args)
        assert result.returncode == 2, result.stderr
        assert f"lockstrip: error: {project / case.file}{case.where}" in result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""

    assert snapshot(out) == before
    assert leftovers(out) == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever the mode"
)
def test_unreadable_lock_exits_2(tmp_path: Path, cli: Cli) -> None:
    project, out = _previous_export(SMALL, tmp_path, cli)
    before = snapshot(out)
    (project / "uv.lock").chmod(0)
    try:
        result = cli("export", project, "--out", out)
    finally:
        (project / "uv.lock").chmod(0o644)
    assert result.returncode == 2, result.stderr
    assert f"{project / 'uv.lock'}: cannot read" in result.stderr
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_unreadable_file_error_names_it(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chmod 000 case as root too: a read that fails with EACCES."""
    lock = project / "uv.lock"
    real = os.open

    def open_(path: Path, flags: int, *args: int) -> int:
        if path == lock:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", open_)

    with pytest.raises(InputError) as caught:
        read_project(project)

    assert str(caught.value) == f"{lock}: cannot read: Permission denied"


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(lambda project: project, id="the project"),
        pytest.param(lambda project: project.parent, id="its parent"),
        pytest.param(lambda project: project / "src" / ".." / "..", id="its parent, spelt with .."),
    ],
)
def test_out_may_not_be_the_project_or_hold_it(
    target: Callable[[Path], Path], project: Path, out: Path, cli: Cli
) -> None:
    before_out, before_project = snapshot(out), snapshot(project)
    where = target(project)

    result = cli("export", project, "--out", where)

    assert result.returncode == 2, result.stderr
    assert f"lockstrip: error: {where}: is or holds a project folder" in result.stderr
    assert snapshot(out) == before_out
    assert snapshot(project) == before_project
    assert leftovers(out) == []
    assert leftovers(where.resolve()) == []


def test_out_may_not_be_a_link_to_the_project(project: Path, out: Path, cli: Cli) -> None:
    link = out.parent / "link"
    link.symlink_to(project, target_is_directory=True)
    before = snapshot(project)

    result = cli("export", project, "--out", link)

    assert result.returncode == 2, result.stderr
    assert f"{link}: is or holds a project folder" in result.stderr
    assert snapshot(project) == before
    assert leftovers(project) == []


def test_out_may_not_be_a_file(project: Path, tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "deps"
    target.write_text("mine\n", encoding="utf-8")

    result = cli("export", project, "--out", target)

    assert result.returncode == 2, result.stderr
    assert f"{target}: exists and is not a folder" in result.stderr
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert leftovers(target) == []


def test_out_may_not_replace_a_member_folder_even_with_force(
    workspace: Path, tmp_path: Path, cli: Cli
) -> None:
    member = next(p.parent for p in sorted(workspace.glob("*/**/pyproject.toml")))
    before = snapshot(workspace)

    result = cli("export", workspace, "--out", member, "--force")

    assert result.returncode == 2, result.stderr
    assert "is or holds a project folder" in result.stderr
    assert snapshot(workspace) == before
