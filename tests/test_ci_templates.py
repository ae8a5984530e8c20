"""The GitLab CI template (ci/lockstrip.gitlab-ci.yml), run locally through a small harness
that plays the runner, and the schemas of both CI files and of the workflows in docs/ci.md.
The GitHub Action's own harness is in tests/test_action.py.

GitLab: the `lockstrip-key` job's script lines run in sh with the job's variables, and the
dotenv report it leaves is read back. The install step (pip from the pinned spec) needs
lockstrip's build backend; it runs offline from $LOCKSTRIP_TEST_WHEELHOUSE (`.ci/run` fills
it) and is skipped without it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from conftest import CORPUS, SMALL
from helpers import REPO

from lockstrip import __version__

ACTION = REPO / "action.yml"
GITLAB = REPO / "ci" / "lockstrip.gitlab-ci.yml"
BEFORE = CORPUS / "openai__openai-agents-python__version-bump" / "before"
AFTER = CORPUS / "openai__openai-agents-python__version-bump" / "after"
WHEELHOUSE = "LOCKSTRIP_TEST_WHEELHOUSE"


def load(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def lockstrip_digest(project: Path, *options: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lockstrip", "digest", str(project), *options],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def read_key_values(path: Path) -> dict[str, str]:
    """NAME=value lines, as dotenv files hold them."""
    found = {}
    for line in path.read_text().splitlines():
        if line.strip():
            name, _, value = line.partition("=")
            found[name] = value
    return found


def _offline_pip(tmp_path: Path) -> dict[str, str]:
    wheelhouse = os.environ.get(WHEELHOUSE)
    if not wheelhouse:
        pytest.skip(f"{WHEELHOUSE} is not set: installing lockstrip needs hatchling offline")
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": wheelhouse}


# --- GitLab CI -------------------------------------------------------------------------------


def gitlab_job(
    job: Mapping[str, Any], part: str, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """A job's `before_script` or `script` lines, in sh, with its variables."""
    variables = {k: str(v) for k, v in job.get("variables", {}).items()}
    return subprocess.run(
        ["sh", "-ec", "\n".join(job[part])],
        cwd=cwd,
        env={**os.environ, "CI_PROJECT_DIR": str(cwd), **variables, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def on_path(tmp_path: Path) -> dict[str, str]:
    """This test environment's lockstrip first on PATH, as the job's install leaves it."""
    bin = tmp_path / "bin"
    bin.mkdir(exist_ok=True)
    (bin / "lockstrip").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lockstrip "$@"\n')
    (bin / "lockstrip").chmod(0o755)
    return {"PATH": f"{bin}:{os.environ['PATH']}"}


def test_gitlab_key_job_leaves_digest_and_key_as_dotenv(tmp_path: Path) -> None:
    job = load(GITLAB)["lockstrip-key"]
    workspace = tmp_path / "checkout"
    shutil.copytree(SMALL, workspace)
    env = {**on_path(tmp_path), "LOCKSTRIP_SCOPE": "--no-dev"}
    done = gitlab_job(job, "script", workspace, env)
    assert done.returncode == 0, done.stderr
    report = read_key_values(workspace / job["artifacts"]["reports"]["dotenv"])
    digest = lockstrip_digest(SMALL, "--no-dev")
    assert report == {"LOCKSTRIP_DIGEST": digest, "LOCKSTRIP_CACHE_KEY": f"uv-{digest[7:]}"}


def test_gitlab_key_survives_a_version_bump(tmp_path: Path) -> None:
    job = load(GITLAB)["lockstrip-key"]
    keys = []
    for project in (BEFORE, AFTER):
        workspace = tmp_path / project.name
        shutil.copytree(project, workspace)
        assert gitlab_job(job, "script", workspace, on_path(tmp_path)).returncode == 0
        keys.append(read_key_values(workspace / "lockstrip.env")["LOCKSTRIP_CACHE_KEY"])
    assert keys[0] == keys[1]


def test_gitlab_key_job_fails_on_a_bad_scope(tmp_path: Path) -> None:
    job = load(GITLAB)["lockstrip-key"]
    workspace = tmp_path / "checkout"
    shutil.copytree(SMALL, workspace)
    env = {**on_path(tmp_path), "LOCKSTRIP_SCOPE": "--group nope"}
    done = gitlab_job(job, "script", workspace, env)
    assert done.returncode == 2
    assert "nope" in done.stderr


def test_gitlab_template_wires_the_key_before_the_cache() -> None:
    """The key is made in `.pre`, and the cache of every job that extends the hidden job
    keys on the variable the dotenv report hands over."""
    template = load(GITLAB)
    key_job, cache_job = template["lockstrip-key"], template[".lockstrip-uv-cache"]
    assert key_job["stage"] == ".pre"
    assert key_job["artifacts"]["reports"]["dotenv"] == "lockstrip.env"
    assert cache_job["needs"] == [{"job": "lockstrip-key", "artifacts": True}]
    assert cache_job["cache"]["key"] == "$LOCKSTRIP_CACHE_KEY"
    assert cache_job["cache"]["paths"] == [cache_job["variables"]["UV_CACHE_DIR"]]
    assert key_job["variables"]["LOCKSTRIP_SPEC"] == f"lockstrip=={__version__}"


def test_gitlab_install_line_installs_lockstrip(tmp_path: Path) -> None:
    """The job's before_script, with the spec pointed at this checkout and pip offline."""
    job = load(GITLAB)["lockstrip-key"]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        **_offline_pip(tmp_path),
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "LOCKSTRIP_SPEC": str(REPO),
    }
    done = gitlab_job(job, "before_script", tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert (venv / "bin" / "lockstrip").exists()


# --- the published schemas ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "schema"),
    [(ACTION, "vendor.github-actions"), (GITLAB, "vendor.gitlab-ci")],
    ids=["action.yml", "gitlab-ci"],
)
def test_valid_against_the_published_schema(path: Path, schema: str) -> None:
    """SchemaStore's schemas, as check-jsonschema bundles them: nothing is fetched."""
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the workflows in docs/ci.md ---------------------------------------------------------------

DOCS = REPO / "docs" / "ci.md"
_BLOCK = re.compile(r"```yaml\n(# (\S+)\n.*?)```", re.DOTALL)


def doc_files() -> dict[str, str]:
    """The complete files docs/ci.md shows: yaml blocks whose first line names the file."""
    return {match.group(2): match.group(1) for match in _BLOCK.finditer(DOCS.read_text())}


def test_docs_show_workflows_and_a_gitlab_file() -> None:
    assert sorted(doc_files()) == [
        ".github/workflows/test-setup-uv.yml",
        ".github/workflows/test.yml",
        ".gitlab-ci.yml",
    ]


@pytest.mark.parametrize("name", sorted(doc_files()))
def test_docs_files_are_valid(name: str, tmp_path: Path) -> None:
    """Each complete file on the page passes its published schema, and uses only the
    action's inputs and outputs, or the template's jobs and variables."""
    text = doc_files()[name]
    path = tmp_path / Path(name).name
    path.write_text(text)
    schema = "vendor.gitlab-ci" if name == ".gitlab-ci.yml" else "vendor.github-workflows"
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", schema, str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = yaml.safe_load(text)
    if schema == "vendor.gitlab-ci":
        template = load(GITLAB)
        assert data["include"][0]["remote"].endswith(f"/v{__version__}/ci/lockstrip.gitlab-ci.yml")
        assert set(data["lockstrip-key"]["variables"]) <= set(
            template["lockstrip-key"]["variables"]
        )
        assert data["test"]["extends"] in template
        return
    action = load(ACTION)
    steps = [step for job in data["jobs"].values() for step in job["steps"]]
    ours = [step for step in steps if step.get("uses", "").startswith("lockstrip/lockstrip@")]
    assert [step["uses"] for step in ours] == [f"lockstrip/lockstrip@v{__version__}"]
    assert set(ours[0].get("with", {})) <= set(action["inputs"])
    used = re.findall(r"steps\.deps\.outputs\.([\w-]+)", text)
    assert used
    assert set(used) <= set(action["outputs"])
