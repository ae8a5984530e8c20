"""The GitHub Action (action.yml, whose steps run ci/lockstrip_action.py), run locally by a
harness that plays the runner.

Each `run:` step of the composite action gets what a runner gives it: the step's `env:` with
`${{ inputs.* }}` and `${{ steps.*.outputs.* }}` filled in, RUNNER_TEMP, RUNNER_OS,
RUNNER_ARCH, GITHUB_ACTION_PATH, and the files GITHUB_OUTPUT and GITHUB_ENV, which the harness
reads back as the runner does. The step's script is written to a file and run the way the
runner runs its shell: `python {0}` for `shell: python` (the `python` found on PATH),
`bash --noprofile --norc -eo pipefail {0}` for bash. The install steps run pip offline from
$LOCKSTRIP_TEST_WHEELHOUSE (`.ci/run` fills it) and are skipped without it; the other tests
put this test environment's lockstrip where the install step would leave one.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from conftest import CORPUS, SMALL
from helpers import REPO, copy_project, uv_executable
from test_caching import upgrade_third_party
from test_ci_templates import doc_files, load, lockstrip_digest, read_key_values

from ci import lockstrip_action
from lockstrip import __version__

ACTION = REPO / "action.yml"
BEFORE = CORPUS / "openai__openai-agents-python__version-bump" / "before"
AFTER = CORPUS / "openai__openai-agents-python__version-bump" / "after"
WHEELHOUSE = "LOCKSTRIP_TEST_WHEELHOUSE"
PYENV = Path("/root/.pyenv/versions")

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def python_tag() -> str:
    """The tag the action puts in the key for the interpreter running these tests."""
    return f"py{sys.version_info[0]}.{sys.version_info[1]}"


class Runner:
    """Runs a composite action's steps as a GitHub runner would, in a temporary folder.

    One Runner is one job: its RUNNER_TEMP and GITHUB_ENV last across `run` calls, as they do
    across the uses of an action in a job. `python` is the interpreter the job's PATH finds.
    """

    def __init__(
        self,
        home: Path,
        workspace: Path,
        python: str = sys.executable,
        action_path: Path = REPO,
    ) -> None:
        self.home = home
        self.workspace = workspace
        self.action_path = action_path
        self.temp = home / "runner-temp"
        self.temp.mkdir(parents=True, exist_ok=True)
        self.env_file = home / "github-env"
        self.env_file.touch()
        self.bin = home / "bin"
        self.bin.mkdir(exist_ok=True)
        (self.bin / "python").symlink_to(python)

    def with_lockstrip(self, spec: str = "") -> Path:
        """This test environment's lockstrip where the install step keeps the one it installs
        for `spec`, as after an earlier use of the action in the job: the step reuses it."""
        wanted = lockstrip_action.requirement(spec, str(self.action_path))
        venv = lockstrip_action.venv_dir(self.temp, wanted)
        python = lockstrip_action.venv_python(venv)
        python.parent.mkdir(parents=True, exist_ok=True)
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        python.chmod(0o755)
        (venv / lockstrip_action.MARKER).write_text(wanted)
        return python

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
            inherited = {
                k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))
            }
            env = {
                **inherited,
                "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": "X64",
                "GITHUB_ACTION_PATH": str(self.action_path),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_ENV": str(self.env_file),
                **{k: _fill(str(v), values, step_outputs) for k, v in step.get("env", {}).items()},
                **extra_env,
            }
            done = subprocess.run(
                self._command(step, env),
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

    def _command(self, step: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
        """The runner writes the script to a file and runs its shell's command on it."""
        script = self.temp / f"step-{step['id']}"
        script.write_text(step["run"])
        if step["shell"] == "python":
            python = shutil.which("python", path=env["PATH"])
            assert python is not None
            return [python, str(script)]
        assert step["shell"] == "bash", f"the harness does not run shell: {step['shell']}"
        return ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]


def _fill(text: str, inputs: Mapping[str, str], steps: Mapping[str, Mapping[str, str]]) -> str:
    """Evaluate the two kinds of expression the action may use: inputs.X, steps.ID.outputs.X."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if found:
            return steps[found.group(1)].get(found.group(2), "")
        raise AssertionError(f"the harness does not know ${{{{ {expression} }}}}")

    return _EXPRESSION.sub(value, text)


def interpreter(version: str) -> str:
    """A CPython X.Y of this machine, or a skip."""
    found = sorted(PYENV.glob(f"{version}.*/bin/python{version}"))
    if not found:
        pytest.skip(f"no Python {version} under {PYENV}")
    return str(found[-1])


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path / "runner", SMALL.parent)


# --- the digest and the key --------------------------------------------------------------------


def test_action_outputs_digest_key_and_env(runner: Runner) -> None:
    runner.with_lockstrip()
    project = SMALL.relative_to(SMALL.parent)
    done = runner.run({"project": str(project), "scope": "--no-dev"})
    assert "failed" not in done, done["steps"]
    digest = lockstrip_digest(SMALL, "--no-dev")
    prefix = f"uv-Linux-X64-{python_tag()}-"
    assert done["outputs"] == {
        "digest": digest,
        "cache-key": prefix + digest.removeprefix("sha256:"),
        "restore-key": prefix,
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
    assert done["outputs"]["cache-key"] == f"uv-test-Linux-X64-py3.12-{digest[7:]}"
    assert done["outputs"]["restore-key"] == "uv-test-Linux-X64-py3.12-"
    assert done["env"] == {"DEPS": digest}


def test_action_key_survives_a_version_bump(runner: Runner) -> None:
    """The point of the action: a release commit leaves the key as it was."""
    runner.with_lockstrip()
    keys = [runner.run({"project": str(p)})["outputs"]["cache-key"] for p in (BEFORE, AFTER)]
    assert keys[0] == keys[1]
    assert (BEFORE / "uv.lock").read_bytes() != (AFTER / "uv.lock").read_bytes()


POETRY_BUMP = REPO / "fixtures" / "poetry" / "Textualize__rich__version-bump"


def test_a_poetry_project_needs_no_configuration(tmp_path: Path) -> None:
    """The same action on a Poetry project: its key starts with `poetry`, and a release
    commit (rich's, whose pyproject.toml differs) leaves it as it was."""
    runner = Runner(tmp_path / "runner", POETRY_BUMP)
    runner.with_lockstrip()
    done = [runner.run({"project": side, "scope": "--only main"}) for side in ("before", "after")]
    assert all("failed" not in d for d in done), done
    keys = [d["outputs"]["cache-key"] for d in done]
    digest = lockstrip_digest(POETRY_BUMP / "before", "--only", "main")
    assert keys[0] == keys[1] == f"poetry-Linux-X64-{python_tag()}-{digest[7:]}"
    before, after = (POETRY_BUMP / side / "pyproject.toml" for side in ("before", "after"))
    assert before.read_bytes() != after.read_bytes()


# How a workflow writes the inputs as YAML block scalars; the runner hands the action the
# strings YAML makes of them, trailing newline included.
_TARGET = "  --python-version 3.12\n  --python-platform linux\n"
_BLOCKS = {
    "folded": f"scope: >\n  --no-dev\ntarget: >\n{_TARGET}",
    "literal": f"scope: |\n  --no-dev\ntarget: |\n{_TARGET}",
}


@pytest.mark.parametrize("style", sorted(_BLOCKS))
def test_block_scalar_inputs_are_read_whole(runner: Runner, style: str) -> None:
    """Every line of `scope` and `target` counts: a shell's `read` keeps the first line only,
    and the key silently became the plain `--no-dev` one."""
    inputs = yaml.safe_load(_BLOCKS[style])
    assert inputs["scope"].endswith("\n")
    runner.with_lockstrip()
    done = runner.run({"project": str(SMALL), **inputs})
    assert "failed" not in done, done["steps"]
    options = ["--no-dev", "--python-version", "3.12", "--python-platform", "linux"]
    assert done["outputs"]["digest"] == lockstrip_digest(SMALL, *options)
    assert done["outputs"]["digest"] != lockstrip_digest(SMALL, "--no-dev")
    assert done["outputs"]["cache-key"].startswith("uv-Linux-X64-py3.12-")


def test_inputs_are_split_like_a_command_line(runner: Runner) -> None:
    runner.with_lockstrip()
    done = runner.run({"project": str(SMALL), "scope": "  '--only-group'   \"dev\"\n\n"})
    assert "failed" not in done, done["steps"]
    assert done["outputs"]["digest"] == lockstrip_digest(SMALL, "--only-group", "dev")


def test_python_version_is_in_the_key(tmp_path: Path) -> None:
    """Jobs of a Python matrix install different wheels: each gets its own key (and its own
    restore-key), else only the first job's cache is ever saved."""
    keys = {}
    for version in ("3.10", "3.12"):
        runner = Runner(tmp_path / version, SMALL.parent, python=interpreter(version))
        runner.with_lockstrip()
        done = runner.run({"project": str(SMALL)})
        assert "failed" not in done, done["steps"]
        keys[version] = done["outputs"]
    assert keys["3.10"]["digest"] == keys["3.12"]["digest"]
    assert keys["3.10"]["cache-key"] != keys["3.12"]["cache-key"]
    for version, outputs in keys.items():
        assert outputs["restore-key"] == f"uv-Linux-X64-py{version}-"


def test_the_target_python_version_wins_over_the_runners(tmp_path: Path) -> None:
    runner = Runner(tmp_path / "job", SMALL.parent, python=interpreter("3.10"))
    runner.with_lockstrip()
    target = "--python-version=3.13 --python-platform linux"
    done = runner.run({"project": str(SMALL), "target": target})
    assert "failed" not in done, done["steps"]
    assert done["outputs"]["restore-key"] == "uv-Linux-X64-py3.13-"


@pytest.mark.parametrize(
    ("options", "version", "implementation", "abiflags", "tag"),
    [
        ([], (3, 12), "cpython", "", "py3.12"),
        ([], (3, 13), "cpython", "t", "py3.13t"),
        ([], (3, 10), "pypy", "", "pypy3.10"),
        (["--no-dev", "--python-version", "3.11"], (3, 12), "cpython", "", "py3.11"),
        (["--python-version=3.9"], (3, 12), "pypy", "", "py3.9"),
    ],
)
def test_python_tag(
    options: list[str], version: tuple[int, int], implementation: str, abiflags: str, tag: str
) -> None:
    assert lockstrip_action.python_tag(options, version, implementation, abiflags) == tag


def test_restore_key_is_the_key_without_the_digest(runner: Runner) -> None:
    runner.with_lockstrip()
    outputs = runner.run({"project": str(SMALL)})["outputs"]
    key, prefix = outputs["cache-key"], outputs["restore-key"]
    assert key.startswith(prefix)
    assert key.removeprefix(prefix) == outputs["digest"].removeprefix("sha256:")


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"name": "not a name"}, "--name: 'not a name' is not an output or variable name"),
        ({"scope": "--group nope"}, "nope"),
        ({"project": "missing"}, "missing: no such folder"),
        ({"scope": "--group 'dev"}, "scope: No closing quotation"),
        ({"mode": "verify"}, "mode: 'verify' is not one of digest, check"),
        ({"mode": "check", "scope": "--no-dev"}, "scope and target are inputs of mode: digest"),
    ],
)
def test_action_fails_on_bad_input(runner: Runner, inputs: dict[str, str], message: str) -> None:
    runner.with_lockstrip()
    done = runner.run({"project": str(SMALL), **inputs})
    assert done.get("failed") == "run"
    assert done["steps"]["run"].returncode == 2
    assert message in done["steps"]["run"].stderr
    assert read_key_values(runner.env_file) == {}


# --- every runner ------------------------------------------------------------------------------


def test_every_step_runs_in_python() -> None:
    """No shell parses the inputs: macOS runners have bash 3.2 (an empty array under `set -u`
    fails there), Windows runners no bash by default and no bin/ in a virtual environment."""
    steps = load(ACTION)["runs"]["steps"]
    assert [step["shell"] for step in steps] == ["python"] * len(steps)


def test_venv_layout() -> None:
    assert lockstrip_action.venv_python(Path("v"), windows=True) == Path("v/Scripts/python.exe")
    assert lockstrip_action.venv_python(Path("v"), windows=False) == Path("v/bin/python")


def test_venv_layout_matches_the_venv_module(tmp_path: Path) -> None:
    """On this system, the path is where `python -m venv` puts the interpreter."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    assert lockstrip_action.venv_python(venv).is_file()


@pytest.mark.parametrize("version", ["2.7", "3.9"])
def test_the_steps_say_when_python_is_too_old(tmp_path: Path, version: str) -> None:
    """Runner images with an older `python` (some macOS images had Python 2 there) get a
    sentence, not a syntax error or pip's resolution error."""
    runner = Runner(tmp_path / "job", SMALL.parent, python=interpreter(version))
    done = runner.run({"project": str(SMALL)})
    assert done.get("failed") == "install"
    assert "lockstrip needs Python 3.10 or newer" in done["steps"]["install"].stderr


@pytest.mark.parametrize(
    ("spec", "wanted"),
    [
        ("", "/action"),
        ("0.1.0", "lockstrip==0.1.0"),
        (" v0.2.0rc1\n", "lockstrip==0.2.0rc1"),
        ("1.0.post2", "lockstrip==1.0.post2"),
        ("lockstrip>=0.1", "lockstrip>=0.1"),
        ("lockstrip @ git+https://example.org/lockstrip@v0.1.0", None),
        ("./wheels/lockstrip-0.1.0-py3-none-any.whl", None),
    ],
)
def test_requirement(spec: str, wanted: str | None) -> None:
    """A bare version is that release of lockstrip; anything else goes to pip as written."""
    assert lockstrip_action.requirement(spec, "/action") == (wanted or spec)


def test_one_virtual_environment_per_requirement(tmp_path: Path) -> None:
    venvs = {lockstrip_action.venv_dir(tmp_path, r) for r in ("/action", "lockstrip==0.1.0")}
    assert len(venvs) == 2
    assert lockstrip_action.venv_dir(tmp_path, "/action") in venvs


# --- check mode --------------------------------------------------------------------------------


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    """A checkout of SMALL with a committed export in deps/."""
    project = copy_project(SMALL, tmp_path / "checkout")
    subprocess.run(
        [sys.executable, "-m", "lockstrip", "export", str(project), "--out", "deps", "-q"],
        cwd=project,
        check=True,
    )
    return project


def test_check_mode_passes_on_an_up_to_date_export(exported: Path, tmp_path: Path) -> None:
    runner = Runner(tmp_path / "runner", exported)
    runner.with_lockstrip()
    done = runner.run({"mode": "check", "export": "deps"})
    assert "failed" not in done, done["steps"]
    assert "export at deps is up to date" in done["steps"]["run"].stderr
    assert done["outputs"] == {"digest": "", "cache-key": "", "restore-key": ""}


def test_check_mode_fails_the_job_and_says_why(exported: Path, tmp_path: Path) -> None:
    upgrade_third_party(exported)
    runner = Runner(tmp_path / "runner", exported)
    runner.with_lockstrip()
    done = runner.run({"mode": "check", "export": "deps"})
    assert done.get("failed") == "run"
    step = done["steps"]["run"]
    assert step.returncode == 1
    assert "export at deps is stale (run: lockstrip export --out deps):" in step.stdout
    assert "  ↑ websockets 15.0.1 → 15.0.2\n" in step.stdout
    annotation = next(line for line in step.stdout.splitlines() if line.startswith("::error"))
    assert annotation.startswith("::error title=lockstrip check::export at deps is stale")
    assert "%0A  ↑ websockets 15.0.1 → 15.0.2" in annotation


def test_check_mode_on_a_missing_export(exported: Path, tmp_path: Path) -> None:
    runner = Runner(tmp_path / "runner", exported)
    runner.with_lockstrip()
    done = runner.run({"mode": "check"})  # the default folder, lockstrip-export, is not there
    assert done.get("failed") == "run"
    assert done["steps"]["run"].returncode == 1
    assert "lockstrip-export" in done["steps"]["run"].stdout


# --- the download a runner makes ---------------------------------------------------------------


def action_archive() -> bytes:
    """What a runner downloads for `uses: lockstrip/lockstrip@REF`: GitHub's tarball of the
    commit, made like `git archive`, which leaves out what .gitattributes marks export-ignore.
    The committed tree, with the working tree's .gitattributes."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(
        ["git", "archive", "--worktree-attributes", "--format=tar", "HEAD"],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    return done.stdout


def test_the_downloaded_action_is_small() -> None:
    """Each job downloads the action: without the test fixtures (35 MB, 9 MiB compressed)."""
    with tarfile.open(fileobj=io.BytesIO(action_archive())) as archive:
        members = archive.getmembers()
    names = {member.name for member in members}
    for needed in ("action.yml", "ci/lockstrip_action.py", "pyproject.toml", "README.md"):
        assert needed in names
    assert "lockstrip/__init__.py" in names
    left_out = ("fixtures/", "tests/", "bench/", "examples/", "docs/", ".ci/")
    assert not [name for name in names if name.startswith(left_out)]
    assert sum(member.size for member in members) < 1024 * 1024


# --- installing lockstrip ----------------------------------------------------------------------


def _offline_pip(*find_links: Path) -> dict[str, str]:
    wheelhouse = os.environ.get(WHEELHOUSE)
    if not wheelhouse:
        pytest.skip(f"{WHEELHOUSE} is not set: installing lockstrip needs hatchling offline")
    links = " ".join([wheelhouse, *map(str, find_links)])
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": links}


def _version(python: str) -> str:
    done = subprocess.run([python, "-m", "lockstrip", "--version"], capture_output=True, text=True)
    return done.stdout


def test_action_installs_lockstrip_from_its_download(tmp_path: Path) -> None:
    """Without `lockstrip-spec`, pip installs the action's own files (the ref in `uses:`),
    and the tarball without its fixtures and tests is enough to build lockstrip. A second
    use in the job reuses that install; a third, with a version as its spec, installs that
    release beside it."""
    env = _offline_pip()
    action = tmp_path / "action"
    with tarfile.open(fileobj=io.BytesIO(action_archive())) as archive:
        archive.extractall(action, filter="data")
    runner = Runner(tmp_path / "runner", SMALL.parent, action_path=action)

    first = runner.run({"project": str(SMALL)}, env)
    assert "failed" not in first, first["steps"]["install"].stderr
    assert first["outputs"]["digest"] == lockstrip_digest(SMALL)
    python = read_key_values(runner.home / "output-install")["python"]
    assert __version__ in _version(python)

    again = runner.run({"project": str(SMALL)}, env)
    assert "failed" not in again, again["steps"]
    assert "lockstrip: reusing" in again["steps"]["install"].stdout
    assert read_key_values(runner.home / "output-install")["python"] == python

    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(action)],
        env={**os.environ, **env},
        check=True,
    )
    third = runner.run({"project": str(SMALL), "lockstrip-spec": __version__}, _offline_pip(wheels))
    assert "failed" not in third, third["steps"]["install"].stderr
    assert f"installing lockstrip=={__version__}" in third["steps"]["install"].stdout
    other = read_key_values(runner.home / "output-install")["python"]
    assert other != python
    assert __version__ in _version(other)


def test_a_failed_install_says_which_spec(runner: Runner) -> None:
    done = runner.run({"lockstrip-spec": "lockstrip==0.0.0.dev0"}, _offline_pip())
    assert done.get("failed") == "install"
    assert "lockstrip-spec: pip could not install 'lockstrip==0.0.0.dev0'" in (
        done["steps"]["install"].stderr
    )


# --- the workflows in docs/ci.md ---------------------------------------------------------------


def _steps(workflow: Mapping[str, Any], uses: str) -> list[dict[str, Any]]:
    return [
        step
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith(uses + "@")
    ]


def setup_uv_cache_dir(inputs: Mapping[str, str], runner_temp: str) -> str:
    """UV_CACHE_DIR as setup-uv v6 exports it to the steps after it on a GitHub-hosted
    runner, whether or not its own cache is on (src/setup-uv.ts calls setCacheDir
    unconditionally; src/utils/inputs.ts getCacheLocalPath): its `cache-local-path` input,
    else $RUNNER_TEMP/setup-uv-cache. A job-level UV_CACHE_DIR does not survive that export."""
    given = inputs.get("cache-local-path", "")
    return given or f"{runner_temp}/setup-uv-cache"


def _wheel(folder: Path) -> None:
    """A pure-Python wheel that uv can install offline, to see where uv caches."""
    folder.mkdir()
    info = "demo-1.0.dist-info"
    files = {
        "demo/__init__.py": "",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    files[f"{info}/RECORD"] = "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"])
    with zipfile.ZipFile(folder / "demo-1.0-py3-none-any.whl", "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)


def test_docs_actions_cache_recipe_saves_what_uv_wrote(tmp_path: Path) -> None:
    """The actions/cache recipe: the folder actions/cache saves is the one uv fills, with the
    environment setup-uv leaves, and the cache is keyed and restored on the action's outputs
    only (setup-uv's own cache, keyed on uv.lock's bytes, is off)."""
    workflow = yaml.safe_load(doc_files()[".github/workflows/test.yml"])
    [cache] = _steps(workflow, "actions/cache")
    [setup] = _steps(workflow, "astral-sh/setup-uv")
    home, temp = tmp_path / "home", tmp_path / "runner-temp"
    contexts = {"runner.temp": str(temp)}

    def expand(text: str) -> str:
        text = _EXPRESSION.sub(lambda match: contexts[match.group(1)], text)
        return str(home) + text[1:] if text.startswith("~") else text

    saved = Path(expand(cache["with"]["path"]))
    uv_cache_dir = expand(setup_uv_cache_dir(setup.get("with", {}), str(temp)))
    links = tmp_path / "links"
    _wheel(links)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("UV_", "XDG_"))},
        "HOME": str(home),
        "UV_CACHE_DIR": uv_cache_dir,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_CONFIG": "1",
    }
    uv = uv_executable()
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], env=env, check=True)
    install = ["pip", "install", "-q", "--python", str(venv), "--offline", "--no-index"]
    subprocess.run([uv, *install, "--find-links", str(links), "demo"], env=env, check=True)
    assert saved.is_dir() and any(saved.rglob("demo/__init__.py")), f"{saved} holds no wheel"
    assert cache["with"]["key"] == "${{ steps.deps.outputs.cache-key }}"
    assert cache["with"]["restore-keys"] == "${{ steps.deps.outputs.restore-key }}"
    assert str(setup["with"]["enable-cache"]).lower() == "false"


def test_docs_setup_uv_recipe_keys_on_the_digest_only() -> None:
    """setup-uv's own cache: its key is made of the files `cache-dependency-glob` matches and
    `cache-suffix` (src/cache/restore-cache.ts computeKeys). An empty glob drops uv.lock's
    bytes from the key (the runner keeps an input given as "" rather than the default), and
    the suffix is the digest. It needs the lockstrip step first: setup-uv restores at start."""
    workflow = yaml.safe_load(doc_files()[".github/workflows/test-setup-uv.yml"])
    [job] = workflow["jobs"].values()
    uses = [step.get("uses", "").partition("@")[0] for step in job["steps"]]
    assert uses.index("lockstrip/lockstrip") < uses.index("astral-sh/setup-uv")
    [setup] = _steps(workflow, "astral-sh/setup-uv")
    assert str(setup["with"]["enable-cache"]).lower() == "true"
    assert setup["with"]["cache-dependency-glob"] == ""
    assert setup["with"]["cache-suffix"] == "${{ steps.deps.outputs.digest }}"
