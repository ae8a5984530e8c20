"""Real BuildKit builds of the Dockerfile `lockstrip dockerfile` prints for PDM projects.

A PDM project (a dev group the image leaves out) locked on the host by the real PDM the
Dockerfile pins (tests/poetry_oracle's 2.29.4) against the test index on 127.0.0.1, declared
as the project's source named `pypi` (so PyPI itself is never asked). After each edit the
printed Dockerfile is built with cache mounts emptied (as a CI runner has them); the build
log says which steps ran, the index counts what the build fetched, and the final image, run
without network, must import the project and its dependencies at the versions the files
say, and nothing of the dev group.

PDM itself, its dependencies, lockstrip and the build backend (hatchling) come from the same
index (tests/e2e/provision.py downloads PDM's wheels once): the builds need no internet.
Runs only with LOCKSTRIP_E2E=1, like test_docker_poetry.py.
"""

from __future__ import annotations

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
from poetry_oracle import clients
from poetry_oracle import provision as lockers

from e2e import provision
from e2e.builder import Builder, StepState, step_state
from e2e.index import Index, serve
from e2e.lab import (
    HATCHLING,
    base_images,
    lockstrip_wheel,
    publish_fakes,
    replace,
    skip_reason,
    write,
)
from lockstrip.formats.pdm.dockerfile import PDM_VERSION

PDM = f"pdm-{PDM_VERSION}"


def _why_not() -> str | None:
    return skip_reason() or provision.pdm_not_provisioned() or lockers.not_provisioned(PDM) or None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")

PROJECT = {
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

[[tool.pdm.source]]
name = "pypi"
url = "{index}/"

"""
    + HATCHLING
    + '\n[tool.hatch.build.targets.wheel]\npackages = ["src/shop"]\n',
    "README.md": "# shop\n",
    "src/shop/__init__.py": 'GREETING = "hello"\n',
    ".dockerignore": ".venv\n.pdm-python\n",
}

THIRD_PARTY = ("alpha", "beta", "gamma", "delta")

#: The RUN steps of the printed Dockerfile, by the words only their command line holds.
STEPS = {
    "pdm": ("pip --python", "pdm=="),
    "lockstrip": ("pip install", "lockstrip=="),
    "export": ("lockstrip export",),
    "download": ("--no-self",),
    "project": ("--no-editable",),
}


@dataclass
class Lab:
    builder: Builder
    index: Index
    wheels: Path
    home: Path
    table: list[Row] = field(default_factory=list)

    def pdm(self, project: Path, *args: str) -> None:
        """The pinned PDM on the host, isolated, reaching only the test index."""
        with tempfile.TemporaryDirectory(prefix="pdm-", dir=self.home) as scratch:
            env = clients._environment(Path(scratch), {})
            env.update({n: "http://127.0.0.1:9" for n in ("HTTP_PROXY", "HTTPS_PROXY")})
            env["NO_PROXY"] = "127.0.0.1,localhost"
            done = subprocess.run(
                [str(lockers.executable(PDM)), *args],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        assert done.returncode == 0, f"pdm {' '.join(args)}:\n{done.stdout}{done.stderr}"


@dataclass
class Outcome:
    steps: dict[str, StepState]
    fetched: list[str]
    seconds: float
    report: str


@dataclass
class Row:
    scenario: str
    outcome: Outcome
    expected_report: str


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("e2e-pdm")
    served, wheels = home / "index", home / "wheels"
    served.mkdir()
    wheels.mkdir()
    fakes = publish_fakes(wheels)
    lockstrip_wheel(served, home / "uv-cache")
    with serve(served) as index:
        index.publish(*provision.wheelhouse().glob("*.whl"))
        index.publish(*provision.pdm_wheelhouse().glob("*.whl"))
        index.publish(*(fakes[n] for n in ("alpha-1.0.0", "beta-2.0.0", "gamma-0.5.0")))
        index.publish(fakes["delta-1.0.0"])
        builder = Builder()
        try:
            builder.start()
            base_images(builder, index.url)
            yield Lab(builder, index, wheels, home)
        finally:
            builder.stop()


Edit = Callable[[Lab, Path], None]


def _nothing(lab: Lab, root: Path) -> None:
    pass


def _version_bump(lab: Lab, root: Path) -> None:
    replace(root / "pyproject.toml", 'version = "1.0.0"', 'version = "1.0.1"')
    lab.pdm(root, "lock")


def _docs_edit(lab: Lab, root: Path) -> None:
    replace(root / "pyproject.toml", 'description = "A shop."', 'description = "A better shop."')
    (root / "README.md").write_text("# shop\n\nNow with a README.\n")
    with (root / "pyproject.toml").open("a") as handle:
        handle.write("\n[tool.ruff]\nline-length = 88\n")
    lab.pdm(root, "lock")


def _source_edit(lab: Lab, root: Path) -> None:
    replace(root / "src/shop/__init__.py", '"hello"', '"hello again"')


def _dependency_added(lab: Lab, root: Path) -> None:
    replace(root / "pyproject.toml", '"alpha>=1", "beta"]', '"alpha>=1", "beta", "gamma"]')
    lab.pdm(root, "lock")


def _upgrade(lab: Lab, root: Path, wheel: str, group: str) -> None:
    """Publish a newer version of a package, and upgrade the lock to it."""
    lab.index.publish(lab.wheels / f"{wheel}-py3-none-any.whl")
    lab.pdm(root, "update", "--no-sync", "-G", group, wheel.split("-")[0])


def _dependency_upgraded(lab: Lab, root: Path) -> None:
    _upgrade(lab, root, "alpha-1.1.0", "default")


def _dev_dependency_upgraded(lab: Lab, root: Path) -> None:
    _upgrade(lab, root, "delta-1.1.0", "dev")


@dataclass(frozen=True)
class Scenario:
    name: str
    edit: Edit
    ran: frozenset[str]  # every other step is CACHED


EVERY = frozenset(STEPS)
SOURCE_CHANGED = frozenset({"export", "project"})
DEPENDENCIES_CHANGED = SOURCE_CHANGED | {"download"}

SCENARIOS = (
    Scenario("first build", _nothing, EVERY),
    Scenario("version bump", _version_bump, SOURCE_CHANGED),
    Scenario("description, readme, [tool.ruff] edit", _docs_edit, SOURCE_CHANGED),
    Scenario("source edit", _source_edit, SOURCE_CHANGED),
    Scenario("dependency added", _dependency_added, DEPENDENCIES_CHANGED),
    Scenario("dependency upgraded in the lock", _dependency_upgraded, DEPENDENCIES_CHANGED),
    # A PDM export holds the whole lock: a dev group's change re-runs the download step.
    Scenario("dev-group dependency upgraded", _dev_dependency_upgraded, DEPENDENCIES_CHANGED),
)


def _expected_report(root: Path) -> str:
    with (root / "pdm.lock").open("rb") as handle:
        lock = tomllib.load(handle)
    with (root / "pyproject.toml").open("rb") as handle:
        version = tomllib.load(handle)["project"]["version"]
    default = {p["name"]: p["version"] for p in lock["package"] if "default" in p["groups"]}
    words = [f"shop={version}", *(f"{n}={default.get(n, '-')}" for n in THIRD_PARTY)]
    greeting = re.search(r'GREETING = "([^"]*)"', (root / "src/shop/__init__.py").read_text())
    assert greeting is not None
    return " ".join([*words, greeting.group(1)])


def _report(lab: Lab, tag: str) -> str:
    names = ["shop", *THIRD_PARTY]
    code = (
        "import importlib, importlib.metadata as m\n"
        "words = []\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        version = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        version = '-'\n"
        "    else:\n"
        "        importlib.import_module(name)\n"
        "    words.append(f'{name}={version}')\n"
        "words.append(importlib.import_module('shop').GREETING)\n"
        "print(' '.join(words))\n"
    )
    return lab.builder.run(tag, "python", "-c", code).strip()


def _build(lab: Lab, root: Path, step: int) -> Outcome:
    dockerfile = lab.home / "shop.Dockerfile"
    printed = subprocess.run(
        [sys.executable, "-m", "lockstrip", "dockerfile", str(root)],
        capture_output=True,
        text=True,
        check=True,
    )
    dockerfile.write_text(printed.stdout)
    tag = f"e2e-pdm-shop:{step}"
    lab.builder.forget_cache_mounts()
    before, start = lab.index.requests, time.monotonic()
    log = lab.builder.build(root, dockerfile, tag)
    seconds = time.monotonic() - start
    fetched = lab.index.served_since(before)
    (lab.home / f"{tag.replace(':', '-')}.log").write_text(log)
    steps = {name: step_state(log, *needles) for name, needles in STEPS.items()}
    return Outcome(steps, fetched, seconds, _report(lab, tag))


@pytest.fixture(scope="module")
def rows(lab: Lab, request: pytest.FixtureRequest) -> dict[str, Row]:
    request.config.pluginmanager.register(_Summary(lab.table), "lockstrip-e2e-pdm-summary")
    root = lab.home / "shop"
    write(root, {rel: text.replace("{index}", lab.index.url) for rel, text in PROJECT.items()})
    lab.pdm(root, "lock")
    found = {}
    for step, scenario in enumerate(SCENARIOS):
        scenario.edit(lab, root)
        row = Row(scenario.name, _build(lab, root, step), _expected_report(root))
        lab.table.append(row)
        found[scenario.name] = row
    return found


class _Summary:
    def __init__(self, table: list[Row]) -> None:
        self.table = table

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("PDM Dockerfile: steps that ran, per edit")
        for line in render_table(self.table):
            terminalreporter.write_line(line)


def render_table(table: list[Row]) -> list[str]:
    head = ("scenario", *STEPS, "index requests", "build s")
    lines = [head]
    for row in table:
        out = row.outcome
        states = (out.steps[name] for name in STEPS)
        lines.append((row.scenario, *states, str(len(out.fetched)), f"{out.seconds:.1f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_steps_that_run(scenario: Scenario, rows: dict[str, Row]) -> None:
    """The download step re-runs exactly when the lock's packages change; a version bump, a
    docs edit or a source edit re-runs only the export and the project's install."""
    row = rows[scenario.name]
    ran = {name for name, state in row.outcome.steps.items() if state == "RAN"}
    assert ran == scenario.ran, "\n".join(render_table([row]))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_final_image_runs_offline(scenario: Scenario, rows: dict[str, Row]) -> None:
    """The image, without network, imports the project at its version and the default
    group at the locked versions, and holds nothing of the dev group."""
    row = rows[scenario.name]
    assert row.outcome.report == row.expected_report


def test_cached_download_fetches_only_the_build_backend(rows: dict[str, Row]) -> None:
    """When the download step is cached, the build fetches only what builds the project's
    wheel (hatchling and its dependencies), no third-party package of the lock."""
    cached = [r for r in rows.values() if r.outcome.steps["download"] == "CACHED"]
    assert cached
    for row in cached:
        names = {
            re.sub(r"^GET /(simple|files)/", "", p.split("?")[0]).split("/")[0].split("-")[0]
            for p in row.outcome.fetched
        }
        assert not names & set(THIRD_PARTY), (row.scenario, row.outcome.fetched)


def test_image_runs_the_pinned_pdm(lab: Lab, rows: dict[str, Row]) -> None:
    assert PDM_VERSION in lab.builder.run("e2e-pdm-shop:0", "pdm", "--version")
