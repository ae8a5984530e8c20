"""A digest is a function of the project and the flags: never of the interpreter or the
TOML reader that computes it, nor of the machine's Python or platform.

Every fixture's digest (plain, and scoped to one platform given alone, whose Python comes
from the project's requires-python) is computed under every CPython 3.10+ on the machine,
each with and without toml-rs, and must be byte-identical, `--json` included.
`python3 tests/interpreters.py` provisions those environments (.ci/run does); without
them, the interpreter sweep skips and the in-process reader sweep still runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FIXTURE_CASES, FIXTURES, REPO

from lockstrip.io import tomlread

ENVIRONMENTS = Path.home() / ".cache" / "lockstrip-interpreters"
FLAGS = (
    ("--json",),
    ("--json", "--no-dev", "--python-platform", "aarch64-manylinux_2_28"),
)

#: Run in each environment: every fixture and flag set through the command line, in one
#: process (a process per digest would cost minutes), printed as JSON.
DRIVER = """
import contextlib, io, json, sys
from lockstrip import cli as _cli
from lockstrip.io import tomlread
folders, flags = json.loads(sys.argv[1])
results = {"reader": tomlread.BACKEND}
for folder in folders:
    for options in flags:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = _cli.run(["digest", folder, *options])
        results[folder + " " + " ".join(options)] = [code, out.getvalue(), err.getvalue()]
print(json.dumps(results))
"""


def folders() -> list[str]:
    return [str(path.relative_to(REPO)) for path in FIXTURE_CASES]


def run_driver(python: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONPATH"] = str(REPO)  # the working tree's lockstrip, the environment's deps
    done = subprocess.run(
        [python, "-c", DRIVER, json.dumps([folders(), FLAGS])],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, object] = json.loads(done.stdout)
    return results


def environments() -> list[Path]:
    if not ENVIRONMENTS.is_dir():
        return []
    return sorted(p for p in ENVIRONMENTS.iterdir() if (p / "bin" / "python").exists())


@pytest.mark.slow
def test_every_interpreter_and_reader_prints_the_same_digests() -> None:
    found = environments()
    if len(found) < 2:
        pytest.skip("no interpreter environments: run `python3 tests/interpreters.py` first")
    reference = run_driver(sys.executable)
    reference.pop("reader")
    readers = set()
    for environment in found:
        results = run_driver(str(environment / "bin" / "python"))
        readers.add(results.pop("reader"))
        assert results == reference, environment.name
    assert readers == {"toml_rs", "tomli"}, "both readers ran"
    # the sweep compares digests, not errors: every fixture was digested
    codes = [result[0] for result in reference.values() if isinstance(result, list)]
    assert codes and set(codes) == {0}, reference


def lockstrip(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lockstrip", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_a_platform_alone_takes_the_projects_python_not_this_ones() -> None:
    """`--python-platform` alone: the lowest Python requires-python allows, in the JSON."""
    folder = FIXTURES / "modelcontextprotocol__python-sdk"  # requires-python >= 3.10
    done = lockstrip("digest", folder, "--json", "--python-platform", "linux")
    assert json.loads(done.stdout)["target"] == {"python_version": "3.10", "platform": "linux"}
    explicit = lockstrip("digest", folder, "--python-version", "3.10", "--python-platform", "linux")
    assert json.loads(done.stdout)["digest"] == explicit.stdout.strip()


def test_a_python_version_alone_is_a_usage_error() -> None:
    done = lockstrip("digest", FIXTURES / "pydantic__pydantic", "--python-version", "3.12")
    assert done.returncode == 2
    assert done.stderr.startswith("lockstrip: error: --python-version: needs --python-platform")
    assert done.stdout == ""


def test_both_readers_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole-lock digests in this process, toml-rs against tomli: runs without
    provisioning (reading is where the two differ)."""
    fast = digests()
    monkeypatch.setattr(tomlread, "_fast", None)
    assert digests() == fast


def digests() -> dict[str, str]:
    from lockstrip.formats.uv.model.project import read_project
    from lockstrip.formats.uv.render.digest import compute_digest

    return {name: compute_digest(read_project(REPO / name), None, None).value for name in folders()}


def test_a_digest_keeps_no_state_between_runs(tmp_path: Path) -> None:
    """No cache: two runs read the project twice and write nothing, anywhere (a cache
    could replay a key that another interpreter, reader or user had recorded)."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCKSTRIP", "XDG"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    env["LOCKSTRIP_CACHE_DIR"] = str(home / "shared-cache")  # the old variable: unread
    command = [sys.executable, "-m", "lockstrip", "digest", str(FIXTURES / "pydantic__pydantic")]
    runs = [subprocess.run(command, env=env, capture_output=True, text=True) for _ in "12"]
    assert [run.returncode for run in runs] == [0, 0]
    assert runs[0].stdout == runs[1].stdout
    assert list(home.rglob("*")) == []
    no_cache = subprocess.run([*command, "--no-cache"], env=env, capture_output=True, text=True)
    assert no_cache.returncode == 2 and "unrecognized arguments: --no-cache" in no_cache.stderr
