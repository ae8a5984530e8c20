"""The schemas of both CI files (action.yml, ci/lockstrip.gitlab-ci.yml) and of the workflows
in docs/ci.md, and what the runner harnesses share. The GitHub Action is run by
tests/test_action.py, the GitLab template by tests/test_gitlab_template.py. Their install
steps need lockstrip's build backend: they run offline from $LOCKSTRIP_TEST_WHEELHOUSE
(`.ci/run` fills it) and are skipped without it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from conftest import CORPUS
from helpers import REPO

from lockstrip import __version__

ACTION = REPO / "action.yml"
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


# --- the published schemas ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "schema"),
    [(ACTION, "vendor.github-actions")],
    ids=["action.yml"],
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


@pytest.mark.parametrize("name", sorted(set(doc_files()) - {".gitlab-ci.yml"}))
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
    action = load(ACTION)
    steps = [step for job in data["jobs"].values() for step in job["steps"]]
    ours = [step for step in steps if step.get("uses", "").startswith("lockstrip/lockstrip@")]
    assert [step["uses"] for step in ours] == [f"lockstrip/lockstrip@v{__version__}"]
    assert set(ours[0].get("with", {})) <= set(action["inputs"])
    used = re.findall(r"steps\.deps\.outputs\.([\w-]+)", text)
    assert used
    assert set(used) <= set(action["outputs"])
