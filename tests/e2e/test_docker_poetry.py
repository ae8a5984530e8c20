"""Real BuildKit builds of the Dockerfile `lockstrip dockerfile` prints for Poetry projects.

Two Poetry 2 projects: a packaged single project (a dev group the image leaves out), and a
root with a path dependency inside it (`develop = true`, a monorepo's member). Each is
locked on the host by the real Poetry the Dockerfile pins (tests/poetry_oracle's 2.5.1)
against the test index on 127.0.0.1, declared as the project's primary
`[[tool.poetry.source]]`. After each edit the printed Dockerfile is built with cache mounts
emptied (as a CI runner has them); the build log says which steps ran, the index counts
what the build fetched, and the final image, run without network, must import the project
and its dependencies at the versions the files say, and nothing of the dev group.

Poetry itself, its dependencies, lockstrip and the build backend come from the same index
(tests/e2e/provision.py downloads Poetry's wheels once): the builds need no internet.
Runs only with LOCKSTRIP_E2E=1, like test_docker_cache.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import tomllib
from poetry_oracle import provision as lockers

from e2e import provision
from e2e.builder import Builder, StepState, step_state
from e2e.index import Index, serve
from e2e.lab import base_images, lockstrip_wheel, publish_fakes, replace, skip_reason, write
from lockstrip.formats.poetry.dockerfile import POETRY_VERSION

POETRY = f"poetry-{POETRY_VERSION}"


def _why_not() -> str | None:
    return (
        skip_reason()
        or provision.poetry_not_provisioned()
        or lockers.not_provisioned(POETRY)
        or None
    )


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")

POETRY_CORE = (
    '[build-system]\nrequires = ["poetry-core>=2.0"]\nbuild-backend = "poetry.core.masonry.api"\n'
)

SOURCE = """
[[tool.poetry.source]]
name = "local"
url = "{index}/"
priority = "primary"
"""

SINGLE = {
    "pyproject.toml": """\
[project]
name = "shop"
version = "1.0.0"
description = "A shop."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["alpha>=1", "beta"]

[dependency-groups]
dev = ["delta"]
"""
    + SOURCE
    + "\n"
    + POETRY_CORE,
    "README.md": "# shop\n",
    "src/shop/__init__.py": 'GREETING = "hello"\n',
    ".dockerignore": ".venv\n",
}

MONOREPO = {
    "pyproject.toml": """\
[project]
name = "suite"
version = "2.0.0"
requires-python = ">=3.11"
dependencies = ["suite-core", "beta"]

[tool.poetry.dependencies]
suite-core = { path = "packages/core", develop = true }
"""
    + SOURCE
    + "\n"
    + POETRY_CORE,
    "src/suite/__init__.py": 'GREETING = "suite"\n',
    "packages/core/pyproject.toml": """\
[project]
name = "suite-core"
version = "0.3.0"
requires-python = ">=3.11"
dependencies = ["alpha>=1"]

"""
    + POETRY_CORE,
    "packages/core/src/suite_core/__init__.py": "",
    ".dockerignore": ".venv\n",
}

#: The project's own distributions (their versions are their pyproject files') and the
#: third-party names whose presence the image reports ("-": not installed).
LOCAL = {"single": {"shop": "."}, "monorepo": {"suite": ".", "suite-core": "packages/core"}}
THIRD_PARTY = ("alpha", "beta", "gamma", "delta")

#: The RUN steps of the printed Dockerfile, by the words only their command line holds.
STEPS = {
    "poetry": ("pip --python", "poetry=="),
    "lockstrip": ("pip install", "lockstrip=="),
    "export": ("lockstrip export",),
    "download": ("--no-root --no-directory",),
    "project": ("poetry install --only main",),
}


@dataclass
class Lab:
    builder: Builder
    index: Index
    wheels: Path
    home: Path
    table: list[Row] = field(default_factory=list)

    def poetry(self, project: Path, *args: str) -> None:
        """The pinned Poetry on the host, isolated, reaching only the test index: the proxy
        variables point every other request at a closed port."""
        with tempfile.TemporaryDirectory(prefix="poetry-", dir=self.home) as scratch:
            env = {
                "PATH": os.environ["PATH"],
                "HOME": scratch,
                "XDG_CACHE_HOME": f"{scratch}/cache",
                "XDG_CONFIG_HOME": f"{scratch}/config",
                "XDG_DATA_HOME": f"{scratch}/data",
                "POETRY_CACHE_DIR": f"{scratch}/poetry-cache",
                "POETRY_VIRTUALENVS_PATH": f"{scratch}/venvs",
                "POETRY_NO_INTERACTION": "1",
                "NO_COLOR": "1",
                **{name: "http://127.0.0.1:9" for name in ("HTTP_PROXY", "HTTPS_PROXY")},
                "NO_PROXY": "127.0.0.1,localhost",
            }
            done = subprocess.run(
                [str(lockers.executable(POETRY)), "--no-plugins", *args],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        assert done.returncode == 0, f"poetry {' '.join(args)}:\n{done.stdout}{done.stderr}"


@dataclass
class Outcome:
    steps: dict[str, StepState]
    fetched: list[str]  # the requests the index served during the build
    seconds: float
    report: str  # what the final image says of itself


@dataclass
class Row:
    project: str
    scenario: str
    outcome: Outcome
    expected_report: str


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("e2e-poetry")
    served, wheels = home / "index", home / "wheels"
    served.mkdir()
    wheels.mkdir()
    fakes = publish_fakes(wheels)
    lockstrip_wheel(served, home / "uv-cache")
    with serve(served) as index:
        index.publish(*provision.wheelhouse().glob("*.whl"))
        index.publish(*provision.poetry_wheelhouse().glob("*.whl"))
        index.publish(*(fakes[n] for n in ("alpha-1.0.0", "beta-2.0.0", "gamma-0.5.0")))
        index.publish(fakes["delta-1.0.0"])
        builder = Builder()
        try:
            builder.start()
            base_images(builder, index.url)
            yield Lab(builder, index, wheels, home)
        finally:
            builder.stop()


# --- the edits -------------------------------------------------------------------------------

Edit = Callable[[Lab, Path], None]


def _nothing(lab: Lab, root: Path) -> None:
    pass


def _bump(path: Path) -> None:
    text = path.read_text()
    old = re.search(r'^version = "(\d+)\.(\d+)\.(\d+)"$', text, re.MULTILINE)
    assert old is not None
    major, minor, patch = old.groups()
    replace(path, old.group(0), f'version = "{major}.{minor}.{int(patch) + 1}"')


def _root_version_bump(lab: Lab, root: Path) -> None:
    _bump(root / "pyproject.toml")
    lab.poetry(root, "lock")


def _docs_edit(lab: Lab, root: Path) -> None:
    replace(root / "pyproject.toml", 'description = "A shop."', 'description = "A better shop."')
    (root / "README.md").write_text("# shop\n\nNow with a README.\n")
    with (root / "pyproject.toml").open("a") as handle:
        handle.write("\n[tool.ruff]\nline-length = 88\n")
    lab.poetry(root, "lock")


def _source_edit(lab: Lab, root: Path) -> None:
    replace(root / "src/shop/__init__.py", '"hello"', '"hello again"')


def _dependency_added(lab: Lab, root: Path) -> None:
    replace(root / "pyproject.toml", '"alpha>=1", "beta"]', '"alpha>=1", "beta", "gamma"]')
    lab.poetry(root, "lock")


def _upgrade(lab: Lab, root: Path, wheel: str) -> None:
    """Publish a newer version of a package, and upgrade the lock to it."""
    lab.index.publish(lab.wheels / f"{wheel}-py3-none-any.whl")
    lab.poetry(root, "update", "--lock", wheel.split("-")[0])


def _dependency_upgraded(lab: Lab, root: Path) -> None:
    _upgrade(lab, root, "alpha-1.1.0")


def _dev_dependency_upgraded(lab: Lab, root: Path) -> None:
    _upgrade(lab, root, "delta-1.1.0")


def _member_version_bump(lab: Lab, root: Path) -> None:
    _bump(root / "packages/core/pyproject.toml")
    lab.poetry(root, "lock")


def _member_dependency_added(lab: Lab, root: Path) -> None:
    replace(root / "packages/core/pyproject.toml", '["alpha>=1"]', '["alpha>=1", "gamma"]')
    lab.poetry(root, "lock")


@dataclass(frozen=True)
class Scenario:
    project: str
    name: str
    edit: Edit
    #: the steps expected to run; every other step of the Dockerfile is CACHED
    ran: frozenset[str]


EVERY = frozenset(STEPS)
SOURCE_CHANGED = frozenset({"export", "project"})  # the export step reads the source folder
DEPENDENCIES_CHANGED = SOURCE_CHANGED | {"download"}

SCENARIOS = (
    Scenario("single", "first build", _nothing, EVERY),
    Scenario("single", "root version bump", _root_version_bump, SOURCE_CHANGED),
    Scenario("single", "description, readme, [tool.ruff] edit", _docs_edit, SOURCE_CHANGED),
    Scenario("single", "source edit", _source_edit, SOURCE_CHANGED),
    Scenario("single", "dependency added", _dependency_added, DEPENDENCIES_CHANGED),
    Scenario(
        "single", "dependency upgraded in the lock", _dependency_upgraded, DEPENDENCIES_CHANGED
    ),
    # The export is `--only main`'s: a group the image leaves out is not in it.
    Scenario("single", "dev-group dependency upgraded", _dev_dependency_upgraded, SOURCE_CHANGED),
    # Poetry's and lockstrip's installs are the single project's, cached in this builder
    Scenario("monorepo", "first build", _nothing, DEPENDENCIES_CHANGED),
    Scenario("monorepo", "root version bump", _root_version_bump, SOURCE_CHANGED),
    Scenario("monorepo", "member version bump", _member_version_bump, SOURCE_CHANGED),
    Scenario(
        "monorepo", "dependency added to a member", _member_dependency_added, DEPENDENCIES_CHANGED
    ),
)


# --- what the image must hold ----------------------------------------------------------------


def _version(pyproject: Path) -> str:
    with pyproject.open("rb") as handle:
        version: str = tomllib.load(handle)["project"]["version"]
    return version


def _expected_report(root: Path, project: str) -> str:
    """Local distributions at their pyproject versions, the main group's third-party packages
    at their locked versions, the dev group's absent; then the root module's GREETING."""
    with (root / "poetry.lock").open("rb") as handle:
        lock = tomllib.load(handle)
    main = {
        p["name"]: p["version"]
        for p in lock["package"]
        if "main" in p.get("groups", []) and p.get("source", {}).get("type") != "directory"
    }
    words = [
        f"{name}={_version(root / rel / 'pyproject.toml')}" for name, rel in LOCAL[project].items()
    ]
    words += [f"{name}={main.get(name, '-')}" for name in THIRD_PARTY]
    text = (root / f"src/{next(iter(LOCAL[project]))}/__init__.py").read_text()
    greeting = re.search(r'GREETING = "([^"]*)"', text)
    assert greeting is not None
    return " ".join([*words, greeting.group(1)])


def _report(lab: Lab, tag: str, project: str) -> str:
    """Run the image without network: import what is installed, say its versions."""
    names = [*LOCAL[project], *THIRD_PARTY]
    code = (
        "import importlib, importlib.metadata as m\n"
        "words = []\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        version = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        version = '-'\n"
        "    else:\n"
        "        importlib.import_module(name.replace('-', '_'))\n"
        "    words.append(f'{name}={version}')\n"
        f"words.append(importlib.import_module({names[0]!r}).GREETING)\n"
        "print(' '.join(words))\n"
    )
    return lab.builder.run(tag, "python", "-c", code).strip()


def _build(lab: Lab, root: Path, project: str, step: int) -> Outcome:
    dockerfile = lab.home / f"{project}.Dockerfile"
    printed = subprocess.run(
        [sys.executable, "-m", "lockstrip", "dockerfile", str(root)],
        capture_output=True,
        text=True,
        check=True,
    )
    dockerfile.write_text(printed.stdout)
    tag = f"e2e-poetry-{project}:{step}"
    lab.builder.forget_cache_mounts()
    before, start = lab.index.requests, time.monotonic()
    log = lab.builder.build(root, dockerfile, tag)
    seconds = time.monotonic() - start
    fetched = lab.index.served_since(before)
    (lab.home / f"{tag.replace(':', '-')}.log").write_text(log)
    steps = {name: step_state(log, *needles) for name, needles in STEPS.items()}
    return Outcome(steps, fetched, seconds, _report(lab, tag, project))


@pytest.fixture(scope="module")
def rows(lab: Lab, request: pytest.FixtureRequest) -> dict[tuple[str, str], Row]:
    """Run every scenario in order, building the printed Dockerfile after each edit."""
    request.config.pluginmanager.register(_Summary(lab.table), "lockstrip-e2e-poetry-summary")
    found: dict[tuple[str, str], Row] = {}
    for project, files in (("single", SINGLE), ("monorepo", MONOREPO)):
        root = lab.home / project
        write(root, {rel: text.replace("{index}", lab.index.url) for rel, text in files.items()})
        lab.poetry(root, "lock")
        for step, scenario in enumerate(s for s in SCENARIOS if s.project == project):
            scenario.edit(lab, root)
            outcome = _build(lab, root, project, step)
            row = Row(project, scenario.name, outcome, _expected_report(root, project))
            lab.table.append(row)
            found[project, scenario.name] = row
    return found


class _Summary:
    """Prints the table of steps after the tests (a pytest plugin object)."""

    def __init__(self, table: list[Row]) -> None:
        self.table = table

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("Poetry Dockerfile: steps that ran, per edit")
        for line in render_table(self.table):
            terminalreporter.write_line(line)


def render_table(table: list[Row]) -> list[str]:
    head = ("project", "scenario", *STEPS, "index requests", "build s")
    lines = [head]
    for row in table:
        out = row.outcome
        states = (out.steps[name] for name in STEPS)
        lines.append(
            (row.project, row.scenario, *states, str(len(out.fetched)), f"{out.seconds:.1f}")
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]


# --- the tests -------------------------------------------------------------------------------


def _id(scenario: Scenario) -> str:
    return f"{scenario.project}: {scenario.name}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_id)
def test_steps_that_run(scenario: Scenario, rows: dict[tuple[str, str], Row]) -> None:
    """The download step re-runs exactly when the locked packages change; a version bump, a
    docs edit or a source edit re-runs only the export and the project's install."""
    row = rows[scenario.project, scenario.name]
    ran = {name for name, state in row.outcome.steps.items() if state == "RAN"}
    assert ran == scenario.ran, "\n".join(render_table([row]))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_id)
def test_final_image_runs_offline(scenario: Scenario, rows: dict[tuple[str, str], Row]) -> None:
    """The image, without network, imports the project at its new version, its members, the
    main group at the locked versions, and holds nothing of the dev group."""
    row = rows[scenario.project, scenario.name]
    assert row.outcome.report == row.expected_report


def test_cached_download_fetches_nothing_but_the_members_backend(
    rows: dict[tuple[str, str], Row],
) -> None:
    """When the download step is cached, a single project's build fetches nothing at all
    (Poetry installs the root itself, with no build environment). Path dependencies are
    built in an isolated environment, so the monorepo's build fetches their backend,
    poetry-core, and nothing else."""
    cached = [r for r in rows.values() if r.outcome.steps["download"] == "CACHED"]
    assert {r.project for r in cached} == {"single", "monorepo"}
    for row in cached:
        fetched = [path.split("?")[0] for path in row.outcome.fetched]
        if row.project == "single":
            assert fetched == [], row.scenario
        else:
            names = {re.sub(r"^GET /(simple|files)/", "", path).split("/")[0] for path in fetched}
            assert names and all(n.startswith(("poetry-core", "poetry_core")) for n in names), (
                row.scenario,
                fetched,
            )


def test_image_runs_the_pinned_poetry(lab: Lab, rows: dict[tuple[str, str], Row]) -> None:
    out = lab.builder.run("e2e-poetry-single:0", "poetry", "--version")
    assert POETRY_VERSION in out
