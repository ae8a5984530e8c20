"""Fixtures shared by the CLI, error and write tests: project copies and a CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# pytest-xdist gives its workers COLUMNS=80 and LINES=24, and uv wraps its messages and
# help at COLUMNS: the tests that read uv's words would see other line breaks under `-n`.
for _variable in ("COLUMNS", "LINES"):
    os.environ.pop(_variable, None)

#: The one switch for the slow tier (README, Development): LOCKSTRIP_SLOW=1, which `.ci/run`
#: sets. Without it `pytest` runs the fast tier, which still covers every rule and every
#: command; with it, also every test marked `slow`: the real BuildKit builds (tests/e2e), the
#: generative oracle beyond its fast slice, long fuzzing, the signal sweep, the ../shared
#: corpus and history sweeps, the interpreter-identity sweep, the gitlab-ci-local pipelines,
#: the pre-commit and Action installs, and whatever else takes more than a few seconds.
#: LOCKSTRIP_E2E=1, the old name of the end-to-end switch, turns it on too.
SLOW = any(
    os.environ.get(name, "") not in ("", "0") for name in ("LOCKSTRIP_SLOW", "LOCKSTRIP_E2E")
)
if SLOW:
    os.environ["LOCKSTRIP_E2E"] = "1"  # what tests/e2e reads

#: Fixtures whose tests are slow wherever they are used: a pipeline run, a hook install, a
#: virtual environment per Action step.
_SLOW_FIXTURES = frozenset({"lockstrip_wheel", "hooks", "runner"})
_E2E = Path(__file__).resolve().parent / "e2e"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: runs only with LOCKSTRIP_SLOW=1 (the slow tier)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="the slow tier: set LOCKSTRIP_SLOW=1 (.ci/run does)")
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if _E2E in item.path.parents or fixtures & _SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if not SLOW and item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
#: A small project: an editable root and 41 third-party packages.
SMALL = CORPUS / "astral-sh__uv-docker-example"
#: A workspace of 17 members.
WORKSPACE = CORPUS / "modelcontextprotocol__python-sdk"

Cli = Callable[..., "subprocess.CompletedProcess[str]"]


def _run(
    *args: str | os.PathLike[str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m lockstrip ARGS` in a subprocess, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "TERM")}
    env["COLUMNS"] = "100"  # help text wraps the same wherever the tests run
    return subprocess.run(
        [sys.executable, "-m", "lockstrip", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def cli() -> Cli:
    return _run


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("SOURCE.txt"))
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the small project at tmp_path/project."""
    return _copy(SMALL, tmp_path / "project")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the workspace project at tmp_path/workspace."""
    return _copy(WORKSPACE, tmp_path / "workspace")


@pytest.fixture
def out(project: Path, tmp_path: Path) -> Path:
    """tmp_path/out, holding an export of `project` written by a successful `lockstrip export`."""
    target = tmp_path / "out"
    result = _run("export", project, "--out", target)
    assert result.returncode == 0, result.stderr
    assert (target / "uv.lock").is_file()
    return target


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Under `-n`, a test file runs on one worker (its module fixtures are built once), and
    the end-to-end files share one worker: they start with the longest work, and two Docker
    daemons never compete for the machine's two cores."""
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class _ByFile(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "tests/e2e" if path.startswith("tests/e2e/") else path

    return _ByFile(config, log)
