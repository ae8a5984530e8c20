"""pre-commit integration: `.pre-commit-hooks.yaml`, run by the real pre-commit, offline.

Every scenario runs in a temporary git repository holding a copy of a real project from
fixtures/corpus with a committed export at `deps`, through one of two layers:

* `local` (always on): a `repo: local` config whose hooks take their id, name, entry, files,
  pass_filenames and require_serial from `.pre-commit-hooks.yaml`, with `language: system`;
  `lockstrip` resolves from this interpreter's bin folder.
* `python`: the manifest as users get it. The config names a git commit of this working tree
  (`repo: PATH`, `rev: SHA`), and pre-commit creates its own virtualenv and pip-installs
  lockstrip into it, building it with hatchling. pip sees no index and no config, only the
  wheels in $LOCKSTRIP_TEST_WHEELHOUSE (`.ci/run` fills that folder with `pip download`); the
  layer is skipped when the variable is not set. virtualenv seeds pip from its own embedded
  wheels. The hook environment is installed once per session and shared by the tests.

Nothing here uses the network, the user's git, pip or pre-commit configuration, or caches.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURES, REPO

# PyYAML comes with pre-commit (the test extra). Imported by name, so that mypy needs no stubs.
yaml: Any = importlib.import_module("yaml")

MANIFEST_PATH = REPO / ".pre-commit-hooks.yaml"
MANIFEST: list[dict[str, Any]] = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
HOOKS: dict[str, dict[str, Any]] = {hook["id"]: hook for hook in MANIFEST}
EXPORT, CHECK = "lockstrip-export", "lockstrip-check"
#: What a `repo: local` hook takes from the manifest (its language becomes `system`).
LOCAL_KEYS = ("id", "name", "entry", "files", "pass_filenames", "require_serial")

WHEELHOUSE = "LOCKSTRIP_TEST_WHEELHOUSE"
SMALL = FIXTURES / "astral-sh__uv-docker-example"
WORKSPACE = FIXTURES / "modelcontextprotocol__python-sdk"
BUMP = FIXTURES / "openai__openai-agents-python__version-bump"
MEMBER = "examples/servers/simple-tool"  # a workspace member of WORKSPACE
BIN = str(Path(sys.executable).parent)


# --- the manifest ---------------------------------------------------------------------------


def test_manifest_is_valid_for_pre_commit(precommit_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST_PATH)],
        env=_env(precommit_home, path=os.environ.get("PATH", os.defpath)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifest_hooks() -> None:
    assert [hook["id"] for hook in MANIFEST] == [EXPORT, CHECK]
    assert HOOKS[EXPORT]["entry"] == "lockstrip export --exit-code"
    assert HOOKS[CHECK]["entry"] == "lockstrip check"
    for hook in MANIFEST:
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert hook["require_serial"] is True
        assert hook["name"] and hook["description"]
        assert "args" not in hook  # the user's `args: [--out, DIR]` are all there is


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("uv.lock", True),
        ("pyproject.toml", True),
        ("src/mcp-types/pyproject.toml", True),
        ("examples/servers/simple-tool/pyproject.toml", True),
        ("backend/uv.lock", True),
        ("deps/uv.lock", True),  # a hand edit of the export runs the hooks too
        ("poetry.lock", True),  # a Poetry project: the hooks read whichever lock it has
        ("services/api/pdm.lock", True),
        ("uv.lock.orig", False),
        ("poetry.lock.bak", False),
        ("pyproject.toml~", False),
        ("not-pyproject.toml", False),
        ("docs/uv.lock.md", False),
        ("README.md", False),
        ("requirements.txt", False),
    ],
)
def test_files_pattern(path: str, matches: bool) -> None:
    for hook in MANIFEST:  # pre-commit matches with re.search
        assert bool(re.search(hook["files"], path)) is matches, (hook["id"], path)


# --- the layers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hooks:
    """How a test repository's `.pre-commit-config.yaml` names the hooks, and the environment
    git and pre-commit run in."""

    env: dict[str, str]
    repo: str = "local"
    rev: str = ""

    def config(self, args: Sequence[str]) -> str:
        if self.repo == "local":
            hooks = [
                {**{key: hook[key] for key in LOCAL_KEYS}, "language": "system", "args": [*args]}
                for hook in MANIFEST
            ]
            repo: dict[str, Any] = {"repo": "local", "hooks": hooks}
        else:
            hooks = [{"id": hook["id"], "args": [*args]} for hook in MANIFEST]
            repo = {"repo": self.repo, "rev": self.rev, "hooks": hooks}
        text: str = yaml.safe_dump({"repos": [repo]}, sort_keys=False)
        return text


def _env(home: Path, *, path: str, wheelhouse: str | None = None) -> dict[str, str]:
    """A hermetic environment under `home`: no user or system git config, no pip config or
    index, private pre-commit, virtualenv and pip caches."""
    drop = ("GIT_", "PIP_", "PRE_COMMIT", "VIRTUALENV_", "PYTHONPATH", "PYTHONHOME")
    env = {key: value for key, value in os.environ.items() if not key.startswith(drop)}
    env.update(
        PATH=path,
        HOME=str(home),  # pre-commit's own git calls drop GIT_CONFIG_*: keep ~/.gitconfig out
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
        PRE_COMMIT_HOME=str(home / "pre-commit"),
        PRE_COMMIT_COLOR="never",
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_CACHE_DIR=str(home / "pip-cache"),
        VIRTUALENV_OVERRIDE_APP_DATA=str(home / "virtualenv"),
        VIRTUALENV_NO_PERIODIC_UPDATE="1",
        NO_COLOR="1",
    )
    if wheelhouse is not None:
        env["PIP_FIND_LINKS"] = wheelhouse
    return env


def _without_bin(path: str) -> str:
    """PATH without this interpreter's bin folder: the `python` layer's lockstrip must be
    the one pre-commit installed."""
    return os.pathsep.join(p for p in path.split(os.pathsep) if p and Path(p) != Path(BIN))


@pytest.fixture(scope="session")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One home (pre-commit store, virtualenv app data, pip cache) for the whole session."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="session")
def local_hooks(precommit_home: Path) -> Hooks:
    path = os.pathsep.join([BIN, os.environ.get("PATH", os.defpath)])
    return Hooks(_env(precommit_home, path=path))


@pytest.fixture(scope="session")
def python_hooks(tmp_path_factory: pytest.TempPathFactory, precommit_home: Path) -> Hooks:
    wheelhouse = os.environ.get(WHEELHOUSE)
    if not wheelhouse:
        pytest.skip(
            f"{WHEELHOUSE} is not set: the `language: python` hook install runs offline from "
            "a folder of wheels (hatchling and lockstrip's dependencies; `.ci/run` fills one "
            "with pip download)"
        )
    if not any(Path(wheelhouse).glob("hatchling-*.whl")):
        pytest.fail(f"{WHEELHOUSE}={wheelhouse} holds no hatchling wheel")
    path = _without_bin(os.environ.get("PATH", os.defpath))
    env = _env(precommit_home, path=path, wheelhouse=str(Path(wheelhouse).resolve()))
    source = tmp_path_factory.mktemp("hook-repository")
    rev = _commit_working_tree(source, env)
    hooks = Hooks(env, repo=str(source), rev=rev)
    # Install the hook environment once; every test's config names the same repo and rev.
    scratch = GitRepo(tmp_path_factory.mktemp("install"), hooks, args=["--out", "deps"])
    result = scratch.pre_commit_command("install-hooks")
    assert result.returncode == 0, result.output
    installed = sorted(Path(env["PRE_COMMIT_HOME"]).glob("repo*/py_env-*/*/lockstrip*"))
    assert installed, f"pre-commit installed no lockstrip:\n{result.output}"
    return hooks


@pytest.fixture(params=["local", "python"])
def hooks(request: pytest.FixtureRequest) -> Hooks:
    found: Hooks = request.getfixturevalue(f"{request.param}_hooks")
    return found


def _commit_working_tree(target: Path, env: dict[str, str]) -> str:
    """Commit this working tree (tracked and untracked files, not the ignored ones and not
    fixtures/) into a new repository at `target`; return the commit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for name in listed.stdout.split("\0"):
        source = REPO / name
        if not name or name.startswith("fixtures/") or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    assert (target / ".pre-commit-hooks.yaml").is_file()
    git(target, env, "init", "-q")
    git(target, env, "add", "-A")
    git(target, env, "commit", "-q", "-m", "lockstrip working tree")
    return git(target, env, "rev-parse", "HEAD").strip()


# --- test repositories ----------------------------------------------------------------------


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"git {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str

    def status(self, hook_id: str) -> str:
        """Passed, Failed or Skipped: what pre-commit printed for the hook."""
        name = re.escape(HOOKS[hook_id]["name"])
        pattern = rf"^{name}\.+(?:\(no files to check\))?(Passed|Failed|Skipped)$"
        found = re.findall(pattern, self.output, re.MULTILINE)
        assert len(found) == 1, f"{hook_id} not reported once:\n{self.output}"
        status: str = found[0]
        return status


class GitRepo:
    """A temporary git repository whose `.pre-commit-config.yaml` uses `hooks` with `args`."""

    def __init__(self, root: Path, hooks: Hooks, args: Sequence[str]) -> None:
        self.root = root
        self.env = hooks.env
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q")
        (root / ".pre-commit-config.yaml").write_text(hooks.config(args), encoding="utf-8")

    def git(self, *args: str) -> str:
        return git(self.root, self.env, *args)

    def commit(self, message: str = "commit") -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "-m", message)

    def changed(self) -> list[str]:
        """Paths that differ from HEAD, staged or not, and untracked ones."""
        lines = self.git("status", "--porcelain", "--untracked-files=all").splitlines()
        return sorted(line[3:] for line in lines)

    def pre_commit_command(self, *args: str) -> Run:
        result = subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=600,
        )
        return Run(result.returncode, result.stdout.decode("utf-8", errors="replace"))

    def pre_commit(self, hook_id: str | None = None) -> Run:
        """`pre-commit run [HOOK]` on the staged files, as `git commit` runs it."""
        return self.pre_commit_command("run", *([hook_id] if hook_id else []))

    def git_commit(self) -> Run:
        """`git commit`, which runs the hooks that `pre-commit install` put in place."""
        result = subprocess.run(
            ["git", "commit", "-m", "commit"],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=600,
        )
        return Run(result.returncode, result.stdout.decode("utf-8", errors="replace"))

    def snapshot(self, folder: str) -> dict[str, bytes]:
        return snapshot(self.root / folder)


def _repo(
    tmp_path: Path, hooks: Hooks, source: Path, *, at: str = "", out: str = "deps"
) -> GitRepo:
    """A repository holding a copy of `source` at `at` (the root when empty) and, committed,
    its up-to-date export at `out`."""
    args = [at, "--out", out] if at else ["--out", out]
    repo = GitRepo(tmp_path / "repo", hooks, args)
    ignore = shutil.ignore_patterns("SOURCE.txt", ".ruff_cache")
    shutil.copytree(source, repo.root / at, ignore=ignore, dirs_exist_ok=True)
    lockstrip(repo.root, "export", *args)
    repo.commit("project and its export")
    return repo


def lockstrip(cwd: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lockstrip", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder`: relative POSIX path -> bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- the scenarios --------------------------------------------------------------------------

#: The sdist hash of annotated-types 0.7.0, a third-party package of SMALL.
HASH = "sha256:aff07c09a53a08bc8cfccb9c85b05f1aa9a2a6f23728d790723543408344ce89"


def test_stale_export_fails_check_with_the_explanation(tmp_path: Path, hooks: Hooks) -> None:
    repo = _repo(tmp_path, hooks, SMALL)
    _edit(repo.root / "uv.lock", HASH, HASH.replace("aff07c", "bff07c"))
    repo.git("add", "uv.lock")
    before = repo.snapshot("deps")

    run = repo.pre_commit(CHECK)
    assert run.returncode == 1, run.output
    assert run.status(CHECK) == "Failed"
    assert "export at deps is stale" in run.output
    assert "annotated-types 0.7.0" in run.output and "hash" in run.output
    assert repo.snapshot("deps") == before  # read-only
    assert repo.changed() == ["uv.lock"]

    lockstrip(repo.root, "export", "--out", "deps")
    repo.git("add", "deps")
    run = repo.pre_commit(CHECK)
    assert run.returncode == 0, run.output
    assert run.status(CHECK) == "Passed"
    assert repo.changed() == ["deps/uv.lock", "uv.lock"]


def test_missing_export_fails_check_and_export_writes_it(tmp_path: Path, hooks: Hooks) -> None:
    repo = _repo(tmp_path, hooks, SMALL)
    repo.git("rm", "-q", "-r", "deps")
    _edit(repo.root / "pyproject.toml", 'description = "', 'description = "Adopt lockstrip. ')
    repo.git("add", "pyproject.toml")

    run = repo.pre_commit(CHECK)
    assert run.returncode == 1, run.output
    assert "no export at deps" in run.output

    run = repo.pre_commit(EXPORT)
    assert run.returncode == 1, run.output
    assert run.status(EXPORT) == "Failed"
    assert "wrote deps" in run.output
    assert sorted(repo.snapshot("deps")) == ["pyproject.toml", "uv.lock"]

    repo.git("add", "deps")
    run = repo.pre_commit()
    assert run.returncode == 0, run.output
    assert run.status(EXPORT) == run.status(CHECK) == "Passed"


def test_version_only_bump_passes_and_keeps_the_export(tmp_path: Path, hooks: Hooks) -> None:
    """The real release commit pair: only the root version differs, in both files."""
    repo = _repo(tmp_path, hooks, BUMP / "before")
    before = repo.snapshot("deps")
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copyfile(BUMP / "after" / name, repo.root / name)
    repo.git("add", "-A")
    assert repo.changed() == ["pyproject.toml", "uv.lock"]

    run = repo.pre_commit()
    assert run.returncode == 0, run.output
    assert run.status(EXPORT) == run.status(CHECK) == "Passed"  # they ran, and passed
    assert repo.snapshot("deps") == before
    assert repo.changed() == ["pyproject.toml", "uv.lock"]


@pytest.mark.parametrize("at", ["", "backend"], ids=["project at the root", "in a subfolder"])
def test_dependency_change_export_rewrites_then_commit_passes(
    tmp_path: Path, hooks: Hooks, at: str
) -> None:
    """The whole `git commit` flow: the export hook fails and rewrites the export; after
    `git add`, the commit goes through."""
    prefix = f"{at}/" if at else ""
    out = f"{prefix}deps"
    repo = _repo(tmp_path, hooks, SMALL, at=at, out=out)
    installed = repo.pre_commit_command("install")
    assert installed.returncode == 0, installed.output
    _edit(repo.root / at / "uv.lock", '"anyio"\nversion = "4.11.0"', '"anyio"\nversion = "4.12.0"')
    repo.git("add", "-A")
    before = repo.snapshot(out)

    run = repo.git_commit()
    assert run.returncode == 1, run.output
    assert run.status(EXPORT) == "Failed"
    assert "anyio 4.11.0" in run.output and "4.12.0" in run.output
    assert "files were modified by this hook" in run.output
    rewritten = repo.snapshot(out)
    assert rewritten != before
    assert b'name = "anyio"\nversion = "4.12.0"\n' in rewritten["uv.lock"]
    lockstrip(repo.root, "export", *([at] if at else []), "--out", str(tmp_path / "fresh"))
    assert rewritten == snapshot(tmp_path / "fresh")  # just what `lockstrip export` writes
    assert repo.changed() == [f"{out}/uv.lock", f"{prefix}uv.lock"]

    repo.git("add", "-A")
    run = repo.git_commit()
    assert run.returncode == 0, run.output
    assert run.status(EXPORT) == run.status(CHECK) == "Passed"
    assert repo.changed() == []
    assert repo.snapshot(out) == rewritten


def test_workspace_member_edit_in_a_subfolder_runs_the_hooks(tmp_path: Path, hooks: Hooks) -> None:
    repo = _repo(tmp_path, hooks, WORKSPACE)
    member = repo.root / MEMBER / "pyproject.toml"
    before = repo.snapshot("deps")

    # Not a pyproject.toml or uv.lock: the hooks are skipped.
    (repo.root / MEMBER / "README.md").write_text("# simple tool\n", encoding="utf-8")
    repo.git("add", "-A")
    run = repo.pre_commit()
    assert run.returncode == 0, run.output
    assert run.status(EXPORT) == run.status(CHECK) == "Skipped"
    repo.commit()

    # The member's description: the hooks run and the export stays as it is.
    _edit(member, 'description = "', 'description = "Fetches websites. ')
    repo.git("add", "-A")
    run = repo.pre_commit()
    assert run.returncode == 0, run.output
    assert run.status(EXPORT) == run.status(CHECK) == "Passed"
    assert repo.snapshot("deps") == before
    repo.commit()

    # The member's requires-python is in the export: check fails, export rewrites it.
    _edit(member, 'requires-python = ">=3.10"', 'requires-python = ">=3.11"')
    repo.git("add", "-A")
    run = repo.pre_commit(CHECK)
    assert run.returncode == 1, run.output
    assert run.status(CHECK) == "Failed"
    assert "export at deps is stale" in run.output
    assert repo.snapshot("deps") == before

    run = repo.pre_commit(EXPORT)
    assert run.returncode == 1, run.output
    assert run.status(EXPORT) == "Failed"
    assert repo.changed() == [f"deps/{MEMBER}/pyproject.toml", f"{MEMBER}/pyproject.toml"]
    assert b'requires-python = ">=3.11"' in repo.snapshot("deps")[f"{MEMBER}/pyproject.toml"]

    repo.git("add", "-A")
    run = repo.pre_commit()
    assert run.returncode == 0, run.output
    assert run.status(EXPORT) == run.status(CHECK) == "Passed"


#: A real Poetry release commit and its parent (rich 14.3.2 -> 14.3.3): only the version in
#: pyproject.toml differs; poetry.lock records no root version.
POETRY_BUMP = (
    Path(__file__).resolve().parent.parent / "fixtures/poetry/Textualize__rich__version-bump"
)


def test_a_poetry_project_needs_no_configuration(tmp_path: Path, hooks: Hooks) -> None:
    """The same hooks on a Poetry project: a release passes and keeps the export; a
    dependency added to poetry.lock fails check with the package named, and export writes it."""
    repo = _repo(tmp_path, hooks, POETRY_BUMP / "before")
    before = repo.snapshot("deps")
    assert sorted(before) == ["poetry.lock", "pyproject.toml"]
    shutil.copyfile(POETRY_BUMP / "after" / "pyproject.toml", repo.root / "pyproject.toml")
    repo.git("add", "-A")
    assert repo.changed() == ["pyproject.toml"]
    run = repo.pre_commit()
    assert run.returncode == 0, run.output
    assert run.status(EXPORT) == run.status(CHECK) == "Passed"
    assert repo.snapshot("deps") == before
    repo.commit("release")

    _edit(
        repo.root / "poetry.lock",
        'name = "pygments"\nversion = "',
        'name = "pygments"\nversion = "9',
    )
    repo.git("add", "poetry.lock")
    run = repo.pre_commit(CHECK)
    assert run.returncode == 1, run.output
    assert "pygments" in run.output
    run = repo.pre_commit(EXPORT)
    assert run.returncode == 1 and "wrote deps" in run.output, run.output
    assert repo.snapshot("deps")["poetry.lock"] == (repo.root / "poetry.lock").read_bytes()
