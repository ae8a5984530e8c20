"""The GitHub Action (action.yml), run locally through a small harness that plays the runner.
(The GitLab CI template's tests are in test_gitlab_template.py.)

GitHub: each `run:` step of the composite action runs in bash with the environment a runner
gives it: the step's `env:` with `${{ inputs.* }}` filled in, RUNNER_TEMP, RUNNER_OS,
RUNNER_ARCH, GITHUB_ACTION_PATH, and the files GITHUB_OUTPUT and GITHUB_ENV, which the harness
then reads as the runner does. The install step (pip from the action's checkout) needs
lockstrip's build backend; it runs offline from $LOCKSTRIP_TEST_WHEELHOUSE (`.ci/run` fills
it) and is skipped without it.
"""

from __future__ import annotations

import os
import re
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
BEFORE = CORPUS / "openai__openai-agents-python__version-bump" / "before"
AFTER = CORPUS / "openai__openai-agents-python__version-bump" / "after"
WHEELHOUSE = "LOCKSTRIP_TEST_WHEELHOUSE"

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


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


# --- GitHub Actions --------------------------------------------------------------------------


class Runner:
    """Runs a composite action's steps as a GitHub runner would, in a temporary folder."""

    def __init__(self, home: Path, workspace: Path) -> None:
        self.home = home
        self.workspace = workspace
        self.temp = home / "runner-temp"
        self.temp.mkdir(parents=True, exist_ok=True)
        self.env_file = home / "github-env"
        self.env_file.touch()

    def with_lockstrip(self) -> None:
        """The lockstrip of this test environment where the install step puts its own, as on
        a second use of the action in one job (the install step then does nothing)."""
        bin = self.temp / "lockstrip-action" / "bin"
        bin.mkdir(parents=True, exist_ok=True)
        (bin / "lockstrip").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lockstrip "$@"\n')
        (bin / "lockstrip").chmod(0o755)

    def run(self, inputs: Mapping[str, str], extra_env: Mapping[str, str] = {}) -> dict[str, Any]:
        """Run every step; returns the action's outputs, and each step's result."""
        action = load(ACTION)
        values = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
        unknown = set(inputs) - set(values)
        assert not unknown, f"not inputs of the action: {unknown}"
        values.update(inputs)
        step_outputs: dict[str, dict[str, str]] = {}
        results = {}
        for step in action["runs"]["steps"]:
            output = self.home / f"output-{step['id']}"
            output.write_text("")
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))},
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": "X64",
                "GITHUB_ACTION_PATH": str(REPO),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_ENV": str(self.env_file),
                **{k: _fill(str(v), values, step_outputs) for k, v in step.get("env", {}).items()},
                **extra_env,
            }
            assert step["shell"] == "bash"
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=self.workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            results[step["id"]] = done
            if done.returncode:
                return {"failed": step["id"], "steps": results}
            step_outputs[step["id"]] = read_key_values(output)
        outputs = {
            name: _fill(spec["value"], values, step_outputs)
            for name, spec in action["outputs"].items()
        }
        return {"outputs": outputs, "env": read_key_values(self.env_file), "steps": results}


def _fill(text: str, inputs: Mapping[str, str], steps: Mapping[str, Mapping[str, str]]) -> str:
    """Evaluate the two kinds of expression the action may use: inputs.X, steps.ID.outputs.X."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if found:
            return steps[found.group(1)][found.group(2)]
        raise AssertionError(f"the harness does not know ${{{{ {expression} }}}}")

    return _EXPRESSION.sub(value, text)


def read_key_values(path: Path) -> dict[str, str]:
    """NAME=value lines, as GITHUB_OUTPUT, GITHUB_ENV and dotenv files hold them."""
    found = {}
    for line in path.read_text().splitlines():
        if line.strip():
            name, _, value = line.partition("=")
            found[name] = value
    return found


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path / "runner", SMALL.parent)


def test_action_outputs_digest_key_and_env(runner: Runner) -> None:
    runner.with_lockstrip()
    project = SMALL.relative_to(SMALL.parent)
    done = runner.run({"project": str(project), "scope": "--no-dev"})
    assert "failed" not in done, done["steps"]
    digest = lockstrip_digest(SMALL, "--no-dev")
    assert done["outputs"] == {
        "digest": digest,
        "cache-key": f"uv-Linux-X64-{digest.removeprefix('sha256:')}",
    }
    assert done["env"] == {"LOCKSTRIP_DIGEST": digest}


def test_action_scope_target_name_and_prefix(runner: Runner) -> None:
    runner.with_lockstrip()
    inputs = {
        "project": str(SMALL),
        "scope": "--only-group dev",
        "target": "--python-platform windows --python-version 3.12",
        "name": "DEPS",
        "key-prefix": "uv-test",
    }
    done = runner.run(inputs)
    assert "failed" not in done, done["steps"]
    digest = lockstrip_digest(
        SMALL, "--only-group", "dev", "--python-platform", "windows", "--python-version", "3.12"
    )
    assert digest != lockstrip_digest(SMALL)
    assert done["outputs"]["digest"] == digest
    assert done["outputs"]["cache-key"] == f"uv-test-Linux-X64-{digest[7:]}"
    assert done["env"] == {"DEPS": digest}


def test_action_key_survives_a_version_bump(runner: Runner) -> None:
    """The point of the action: a release commit leaves the key as it was."""
    runner.with_lockstrip()
    keys = [runner.run({"project": str(p)})["outputs"]["cache-key"] for p in (BEFORE, AFTER)]
    assert keys[0] == keys[1]
    assert (BEFORE / "uv.lock").read_bytes() != (AFTER / "uv.lock").read_bytes()


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"name": "not a name"}, "--name: 'not a name' is not an output or variable name"),
        ({"scope": "--group nope"}, "nope"),
        ({"project": "missing"}, "missing: no such folder"),
    ],
)
def test_action_fails_on_bad_input(runner: Runner, inputs: dict[str, str], message: str) -> None:
    runner.with_lockstrip()
    done = runner.run({"project": str(SMALL), **inputs})
    assert done.get("failed") == "digest"
    assert message in done["steps"]["digest"].stderr
    assert read_key_values(runner.env_file) == {}


def _offline_pip(tmp_path: Path) -> dict[str, str]:
    wheelhouse = os.environ.get(WHEELHOUSE)
    if not wheelhouse:
        pytest.skip(f"{WHEELHOUSE} is not set: installing lockstrip needs hatchling offline")
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": wheelhouse}


def test_action_installs_lockstrip_from_its_own_checkout(runner: Runner, tmp_path: Path) -> None:
    """Without `lockstrip-spec`, pip installs the action's checkout: the ref in `uses:`."""
    done = runner.run({"project": str(SMALL)}, _offline_pip(tmp_path))
    assert "failed" not in done, done["steps"]["install"].stderr
    installed = runner.temp / "lockstrip-action" / "bin" / "lockstrip"
    version = subprocess.run([installed, "--version"], capture_output=True, text=True)
    assert __version__ in version.stdout
    assert done["outputs"]["digest"] == lockstrip_digest(SMALL)


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
