"""`lockstrip dockerfile`: the Dockerfile fits the project, and its commands work on it.

The real builds are in tests/e2e (BuildKit, LOCKSTRIP_E2E=1). Here: the text for four kinds
of project (an editable root, a project-less workspace, a workspace with a root project, a
virtual root), its determinism, the examples being exactly what the command prints, and, with
uv offline, that the export and download commands the Dockerfile runs plan the same installs
on the export as on the project.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli
from helpers import FIXTURES, REPO, run_uv

from lockstrip.dockerfile import UV_VERSION, lowest_minor, render_dockerfile
from lockstrip.project import read_project

EDITABLE_ROOT = FIXTURES / "astral-sh__uv-docker-example"
NO_ROOT_WORKSPACE = FIXTURES / "livekit__agents"
ROOT_WORKSPACE = FIXTURES / "modelcontextprotocol__python-sdk"
VIRTUAL_ROOT = FIXTURES / "astral-sh__uv-fastapi-example"
EXAMPLES = sorted(path.parent for path in (REPO / "examples").glob("*/Dockerfile"))


def dockerfile(project: Path) -> str:
    return render_dockerfile(read_project(project))


def run_lines(text: str) -> list[str]:
    """Each RUN instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in joined.splitlines() if line.startswith("RUN ")]


def test_editable_root() -> None:
    text = dockerfile(EDITABLE_ROOT)
    assert text.startswith("# Dockerfile for uv-docker-example, printed by `lockstrip dockerfile`")
    assert "FROM python:3.11-slim AS lockstrip\n" in text  # requires-python = ">=3.11"
    assert f"FROM ghcr.io/astral-sh/uv:{UV_VERSION} AS uv\n" in text
    runs = run_lines(text)
    assert any("uv sync --frozen --no-install-project --no-dev" in run for run in runs)
    # hatchling is the root's backend; editables is what it asks for to build editable.
    assert any(run.endswith("&& uv pip install 'editables~=0.3' hatchling") for run in runs)
    assert runs[-1].endswith("uv sync --locked --no-dev --no-build-isolation")
    assert '# CMD ["hello"]' in text  # [project.scripts] hello


def test_workspace_without_root_project() -> None:
    text = dockerfile(NO_ROOT_WORKSPACE)
    assert text.startswith("# Dockerfile for this workspace,")
    assert "FROM python:3.12-slim\n" in text  # the lock: requires-python = ">=3.12.0, <3.15"
    runs = run_lines(text)
    assert any("uv sync --frozen --no-install-workspace --no-dev" in run for run in runs)
    assert any(run.endswith("uv pip install 'editables~=0.3' hatchling") for run in runs)
    assert "CMD" not in text


def test_workspace_with_root_project() -> None:
    text = dockerfile(ROOT_WORKSPACE)
    assert text.startswith("# Dockerfile for mcp,")
    assert "FROM python:3.10-slim\n" in text
    runs = run_lines(text)
    assert any("uv sync --frozen --no-install-workspace --no-dev" in run for run in runs)
    # The root's backend and its plugin, and the members' (one is setuptools with wheel).
    install = next(run for run in runs if "uv pip install" in run).split("uv pip install ")[1]
    assert shlex.split(install) == [
        "editables~=0.3",
        "hatchling",
        "setuptools",
        "uv-dynamic-versioning",
        "wheel",
    ]


def test_virtual_root_builds_nothing() -> None:
    """A virtual root (no [build-system]) is never built: no backend, build isolation kept."""
    text = dockerfile(VIRTUAL_ROOT)
    assert "FROM python:3.12-slim\n" in text
    assert "uv pip install" not in text
    assert "--no-build-isolation" not in text
    assert run_lines(text)[-1].endswith("uv sync --locked --no-dev")


def test_lockstrip_stage_has_a_python_lockstrip_runs_on() -> None:
    """mcp allows 3.10, lockstrip runs there; older projects get a newer export stage."""
    assert "FROM python:3.10-slim AS lockstrip" in dockerfile(ROOT_WORKSPACE)


@pytest.mark.parametrize(
    ("spec", "minor"),
    [
        (">=3.12.0, <3.15", "3.12"),
        ("~=3.10.2", "3.10"),
        (">3.10", "3.10"),
        ("==3.9.*", "3.9"),
        (">=3.11,!=3.11.*", "3.12"),
        ("<3.12.4,>=3.12", "3.12"),  # no latest patch allowed: any patch then
        (None, "3.12"),
        ("not a specifier", "3.12"),
    ],
)
def test_lowest_minor(spec: str | None, minor: str) -> None:
    assert lowest_minor(spec) == minor


def test_deterministic_across_processes() -> None:
    """The same project prints the same bytes, whatever the hash seed."""
    outputs = set()
    for seed in ("0", "1", "12345"):
        done = subprocess.run(
            [sys.executable, "-m", "lockstrip", "dockerfile", str(ROOT_WORKSPACE)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_cli_prints_it_and_help_has_an_example(cli: Cli) -> None:
    done = cli("dockerfile", EDITABLE_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == dockerfile(EDITABLE_ROOT)
    help = cli("dockerfile", "--help")
    assert help.returncode == 0
    assert "Example: lockstrip dockerfile > Dockerfile" in help.stdout
    assert "dockerfile" in cli("--help").stdout


def test_cli_bad_input(cli: Cli, tmp_path: Path) -> None:
    done = cli("dockerfile", tmp_path)
    assert done.returncode == 2
    assert "uv.lock" in done.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_examples_are_what_the_command_prints(example: Path) -> None:
    """examples/*/Dockerfile are the command's output, which tests/e2e builds for real."""
    assert (example / "Dockerfile").read_text() == dockerfile(example)
    assert (example / ".dockerignore").read_text().splitlines()[0] == ".venv"


def test_examples_cover_a_single_project_and_a_workspace() -> None:
    assert [path.name for path in EXAMPLES] == ["single-project", "workspace"]
    assert "--no-install-project" in (REPO / "examples/single-project/Dockerfile").read_text()
    assert "--no-install-workspace" in (REPO / "examples/workspace/Dockerfile").read_text()


def _export_and_download(text: str) -> tuple[list[str], list[str]]:
    """The options of the Dockerfile's `lockstrip export` and its download `uv sync`."""
    runs = run_lines(text)
    export = next(run for run in runs if " lockstrip export " in run)
    download = next(run for run in runs if "uv sync --frozen" in run)
    export_options = shlex.split(export.split("--out /export", 1)[1])
    sync = shlex.split(download.split("uv sync ", 1)[1].split("&&")[0])
    return export_options, sync


@pytest.mark.parametrize(
    "project",
    [EDITABLE_ROOT, ROOT_WORKSPACE, *EXAMPLES],
    ids=lambda path: path.name,
)
def test_download_commands_plan_the_same_installs(project: Path, cli: Cli, tmp_path: Path) -> None:
    """uv, offline, plans the same download on the export as on the project itself."""
    export_options, sync = _export_and_download(dockerfile(project))
    out = tmp_path / "export"
    done = cli("export", project, "--out", out, *export_options)
    assert done.returncode == 0, done.stderr
    plans = []
    for folder in (project, out):
        args = ["sync", *sync, "--offline", "--dry-run", "--python", "python3"]
        result = run_uv(args, folder, tmp_path / "uv-cache")
        assert result.returncode == 0, result.stderr
        text = (result.stdout + result.stderr).replace(str(folder), "<project>")
        plans.append(
            [line for line in text.splitlines() if not re.match(r"(Using|Would create) ", line)]
        )
    assert plans[0] == plans[1]
    assert any(line.startswith(" + ") for line in plans[0])
