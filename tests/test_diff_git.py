"""`lockstrip diff`: two folders, or git revisions of a project (`--git REV`, `--git A..B`).

The repositories are built here from copies of real projects: `git init`, commits with a
local identity, then edits committed or left in the working tree. Files at a revision are
read with git, so the working tree and the index must come out of a diff untouched.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import FIXTURES, copy_project
from test_caching import (
    bump_member_version,
    bump_root_version,
    change_index,
    upgrade_third_party,
)

from lockstrip.cli import run

SMALL = FIXTURES / "astral-sh__uv-docker-example"
WORKSPACE = FIXTURES / "modelcontextprotocol__python-sdk"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

VERSION_BUMP = (
    "only volatile fields changed: root version 0.1.0 → 0.1.1; export and digest unchanged\n"
)
UPGRADE = "  ↑ websockets 15.0.1 → 15.0.2"


def lockstrip(*args: str | Path) -> tuple[int, str, str]:
    """`lockstrip ARGS` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run([str(arg) for arg in args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _git_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local identity, no user or system config, and no repository above tmp_path."""
    for name in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{name}_NAME", "lockstrip tests")
        monkeypatch.setenv(f"GIT_{name}_EMAIL", "tests@lockstrip.invalid")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", message)


def new_repo(root: Path, fixture: Path, where: str = ".") -> Path:
    """A repository at `root` holding a copy of `fixture` at `where`, committed; the project."""
    root.mkdir()
    git(root, "init", "-q")
    (root / "README.md").write_text("a repository with a uv project in it\n")
    project = root / where
    shutil.copytree(
        fixture, project, dirs_exist_ok=True, ignore=shutil.ignore_patterns("SOURCE.txt")
    )
    writable(root)
    commit(root, "the project")
    return project


def writable(folder: Path) -> Path:
    """The fixtures are read-only; their copies are edited."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    return folder


def copy(fixture: Path, target: Path) -> Path:
    return writable(copy_project(fixture, target))


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """The small project at the top of a new repository, one commit."""
    return new_repo(tmp_path / "repo", SMALL)


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    """The workspace project at services/sdk of a new repository, one commit."""
    return new_repo(tmp_path / "repo", WORKSPACE, "services/sdk")


def files(repo: Path) -> dict[str, bytes]:
    """The working tree's bytes and the index file's."""
    found = {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }
    return {**found, ".git/index": (repo / ".git" / "index").read_bytes()}


def status(repo: Path) -> list[str]:
    """HEAD, the index entries and `git status`, as git reports them."""
    return [
        git(repo, "rev-parse", "HEAD"),
        git(repo, "ls-files", "--stage"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
    ]


@contextlib.contextmanager
def untouched(repo: Path) -> Iterator[None]:
    """The block leaves the working tree, the index and HEAD as they were."""
    reported = status(repo)  # `git status` may refresh the index: before the bytes are taken
    before = files(repo)
    yield
    assert files(repo) == before
    assert status(repo) == reported


# --- working tree against a revision --------------------------------------------------------


def test_uncommitted_version_bump(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bump_root_version(small)
    monkeypatch.chdir(small)

    with untouched(small):
        code, stdout, stderr = lockstrip("diff", "--git", "HEAD")

    assert code == 0, stderr
    assert stdout == VERSION_BUMP


def test_uncommitted_upgrade(small: Path) -> None:
    bump_root_version(small)
    upgrade_third_party(small)

    with untouched(small):
        code, stdout, _ = lockstrip("diff", "--git", "HEAD", small)

    assert code == 1
    assert stdout.splitlines() == [
        "third-party dependencies changed (1 change):",
        UPGRADE,
        "also changed (volatile): root version 0.1.0 → 0.1.1",
    ]


def test_nothing_changed(small: Path) -> None:
    code, stdout, _ = lockstrip("diff", "--git", "HEAD", small)
    assert code == 0
    assert stdout == "third-party dependencies unchanged; export and digest unchanged\n"


def test_json_names_the_sides(small: Path) -> None:
    upgrade_third_party(small)

    code, stdout, _ = lockstrip("diff", "--git", "HEAD", small, "--json")

    assert code == 1
    data = json.loads(stdout)
    assert (data["old"], data["new"]) == ("HEAD", f"{small} (working tree)")
    assert [change["detail"] for change in data["changes"]] == [UPGRADE[4:]]


# --- two revisions -------------------------------------------------------------------------


def test_two_revisions_ignore_the_working_tree(small: Path) -> None:
    bump_root_version(small)
    upgrade_third_party(small)
    commit(small, "release 0.1.1 with websockets 15.0.2")
    change_index(small)  # uncommitted: A..B must not see it
    first = git(small, "rev-parse", "HEAD~1").strip()

    with untouched(small):
        forward = lockstrip("diff", "--git", "HEAD~1..HEAD", small)
        backward = lockstrip("diff", "--git", f"HEAD..{first}", small)
        same = lockstrip("diff", "--git", "HEAD..HEAD", small)

    assert forward[0] == 1
    assert forward[1].splitlines()[:2] == ["third-party dependencies changed (1 change):", UPGRADE]
    assert "mirror.example.org" not in forward[1]
    assert backward[0] == 1
    assert "  ↓ websockets 15.0.2 → 15.0.1" in backward[1].splitlines()
    assert same[:2] == (0, "third-party dependencies unchanged; export and digest unchanged\n")


def test_two_revisions_with_only_a_release_between(small: Path) -> None:
    bump_root_version(small)
    commit(small, "release 0.1.1")
    upgrade_third_party(small)  # uncommitted

    code, stdout, _ = lockstrip("diff", "--git", "HEAD~1..HEAD", small)

    assert code == 0
    assert stdout == VERSION_BUMP


# --- a workspace below the repository top ---------------------------------------------------


def test_workspace_in_a_subfolder(nested: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = nested.parent.parent
    bump_member_version(nested)
    commit(repo, "release mcp-everything-server 0.1.1")
    upgrade_third_party(nested)  # uncommitted
    monkeypatch.chdir(repo)

    with untouched(repo):
        release = lockstrip("diff", "--git", "HEAD~1..HEAD", "services/sdk")
        working = lockstrip("diff", "--git", "HEAD", "services/sdk")
    monkeypatch.chdir(nested / "src")  # not the project folder: no uv.lock here
    below = lockstrip("diff", "--git", "HEAD", "..")

    assert release == (
        0,
        "only volatile fields changed: mcp-everything-server version 0.1.0 → 0.1.1; "
        "export and digest unchanged\n",
        "",
    )
    assert working[0] == 1
    assert working[1].splitlines()[:2] == [
        "third-party dependencies changed (1 change):",
        "  ↑ zipp 3.23.0 → 3.23.1",
    ]
    assert below == working


def test_members_are_read_at_the_revision(nested: Path) -> None:
    """A..B reads every file, the members' pyproject.toml too, from git: a member folder
    deleted from the working tree does not matter."""
    repo = nested.parent.parent
    bump_member_version(nested)
    commit(repo, "release mcp-everything-server 0.1.1")
    member = nested / "examples" / "servers" / "everything-server"
    assert (member / "pyproject.toml").is_file()
    shutil.rmtree(member)

    with untouched(repo):
        code, stdout, stderr = lockstrip("diff", "--git", "HEAD~1..HEAD", nested)

    assert code == 0, stderr
    assert "mcp-everything-server version 0.1.0 → 0.1.1" in stdout


# --- bad input -------------------------------------------------------------------------------


def error(*args: str | Path) -> str:
    """Run a diff that must fail on bad input; its one-line message."""
    code, stdout, stderr = lockstrip(*args)
    assert code == 2, stderr
    assert stdout == ""
    assert stderr.startswith("lockstrip: error: ")
    assert stderr.count("\n") == 1
    return stderr.removeprefix("lockstrip: error: ").removesuffix("\n")


@pytest.mark.parametrize("spec", ["no-such-branch", "HEAD..no-such-branch", "no-such-branch..HEAD"])
def test_a_revision_that_does_not_exist(spec: str, small: Path) -> None:
    with untouched(small):
        message = error("diff", "--git", spec, small)
    assert message == f"{small}: unknown git revision 'no-such-branch'"


@pytest.mark.parametrize("spec", ["HEAD..", "..HEAD", "HEAD...HEAD~1"])
def test_a_malformed_range(spec: str, small: Path) -> None:
    assert error("diff", "--git", spec, small) == f"{spec}: --git: expected REV or A..B"


def test_git_outside_a_repository(tmp_path: Path) -> None:
    project = copy(SMALL, tmp_path / "project")
    assert error("diff", "--git", "HEAD", project) == (
        f"{project}: not inside a git repository; --git needs one"
    )


def test_git_on_a_folder_that_does_not_exist(small: Path) -> None:
    missing = small / "nowhere"
    assert error("diff", "--git", "HEAD", missing) == f"{missing}: no such folder"


def test_git_on_a_folder_without_a_project(small: Path) -> None:
    (small / "docs").mkdir()
    assert error("diff", "--git", "HEAD", small / "docs") == (
        "HEAD:docs/uv.lock: file not found (run `uv lock` first)"
    )


def test_git_with_a_corrupt_lock_at_the_revision(small: Path) -> None:
    lock = small / "uv.lock"
    good = lock.read_bytes()
    lock.write_bytes(good + b"[[package]\n")
    commit(small, "a broken lock")
    lock.write_bytes(good)

    message = error("diff", "--git", "HEAD", small)

    assert message.startswith("HEAD:uv.lock:")
    assert "invalid TOML" in message


def test_git_with_a_corrupt_lock_in_the_working_tree(small: Path) -> None:
    with (small / "uv.lock").open("ab") as lock:
        lock.write(b"[[package]\n")

    message = error("diff", "--git", "HEAD", small)

    assert message.startswith(f"{small / 'uv.lock'}:")
    assert "invalid TOML" in message


def test_git_with_two_folders(small: Path) -> None:
    assert error("diff", "--git", "HEAD", small, small) == (
        f"{small}: with --git, give at most one PROJECT_DIR"
    )


@pytest.mark.parametrize("count", [0, 1, 3])
def test_wrong_number_of_folders(count: int, tmp_path: Path) -> None:
    project = copy(SMALL, tmp_path / "project")
    assert error("diff", *[project] * count) == (
        f"diff: give two folders, OLD and NEW, or --git REV ({count} given)"
    )


def test_a_folder_that_is_neither_a_project_nor_an_export(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert error("diff", SMALL, empty) == (
        f"{empty}: is neither a uv project nor a lockstrip export (no uv.lock)"
    )


def test_a_corrupt_lock_on_one_side(tmp_path: Path) -> None:
    broken = copy(SMALL, tmp_path / "broken")
    with (broken / "uv.lock").open("a") as lock:
        lock.write("[[package]\n")

    message = error("diff", SMALL, broken)

    assert message.startswith(f"{broken / 'uv.lock'}:")
    assert "invalid TOML" in message


# --- export folders ----------------------------------------------------------------------------


def test_an_export_against_its_project(tmp_path: Path) -> None:
    project = copy(SMALL, tmp_path / "project")
    out = tmp_path / "out"
    assert lockstrip("export", project, "--out", out, "-q")[0] == 0
    bump_root_version(project)

    assert lockstrip("diff", out, project)[:2] == (
        0,
        "third-party dependencies unchanged; export and digest unchanged\n",
    )
    upgrade_third_party(project)
    code, stdout, _ = lockstrip("diff", out, project)
    assert code == 1
    assert UPGRADE in stdout.splitlines()
    code, stdout, _ = lockstrip("diff", project, out)
    assert code == 1
    assert "  ↓ websockets 15.0.2 → 15.0.1" in stdout.splitlines()
