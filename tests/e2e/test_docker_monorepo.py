"""Real BuildKit builds of two services of one workspace from one Dockerfile (uv issue #6323).

The workspace has a project-less root and three members: the services `api` and `worker`,
and the library `shared` that both depend on. Third-party packages come from the index on
127.0.0.1: alpha through `shared` (both services), beta for api only, gamma for worker only.
The Dockerfile is what `lockstrip dockerfile --package api --package worker` prints: one
download stage for the union of the two scopes, and one stage per service that installs its
own scope offline from the download stage's uv cache.

After each edit both targets are built, api then worker, with cache mounts emptied as a CI
runner has them. The test reads in the build logs which steps ran, counts the files the
index served across both builds (each artifact at most once), and checks that each image
holds its own scope and nothing of the other service's.

Runs only with LOCKSTRIP_E2E=1, like test_docker_cache.py.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import tomllib

from e2e import provision
from e2e.builder import Builder, StepState, step_state
from e2e.index import Index, serve, write_wheel
from e2e.lab import (
    HATCHLING,
    base_images,
    host_uv,
    lockstrip_wheel,
    publish_fakes,
    replace,
    skip_reason,
    write,
)

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

SERVICES = ("api", "worker")


def _member(name: str, dependencies: str) -> str:
    return f"""\
[project]
name = "{name}"
version = "1.0.0"
requires-python = ">=3.11"
dependencies = [{dependencies}]

[tool.uv.sources]
shared = {{ workspace = true }}

{HATCHLING}"""


WORKSPACE = {
    "pyproject.toml": '[tool.uv.workspace]\nmembers = ["services/*", "packages/*"]\n',
    "services/api/pyproject.toml": _member("api", '"shared", "beta"'),
    "services/api/src/api/__init__.py": "",
    "services/worker/pyproject.toml": _member("worker", '"shared", "gamma"'),
    "services/worker/src/worker/__init__.py": "",
    "packages/shared/pyproject.toml": _member("shared", '"alpha>=1"').replace(
        "[tool.uv.sources]\nshared = { workspace = true }\n\n", ""
    ),
    "packages/shared/src/shared/__init__.py": "",
    ".dockerignore": ".venv\n",
}

#: The workspace packages each service's image holds.
LOCAL = {"api": ("api", "shared"), "worker": ("shared", "worker")}

#: The RUN steps whose state the test reads: a text only that step's command holds.
STEPS = {
    "download": "rm -rf /app/.venv",
    **{
        f"{s} deps": f"--offline --frozen --no-install-workspace --no-dev --package {s}"
        for s in SERVICES
    },
    **{f"{s} source": f"--offline --frozen --no-dev --package {s}" for s in SERVICES},
}


@dataclass
class Lab:
    builder: Builder
    index: Index
    wheels: Path
    home: Path
    root: Path
    table: list[Row] = field(default_factory=list)

    def uv(self, *args: str) -> None:
        host_uv(self.root, self.index.url, self.home / "uv-cache", *args)


@dataclass
class Row:
    scenario: str
    #: per step of STEPS: its state in the build of each target that has it
    states: dict[str, list[StepState]]
    #: per build (api's, then worker's): the files the index served, by GET, in order
    files: dict[str, list[str]]
    locked: list[str]  # the files of the third-party packages of the services' union
    images: dict[str, dict[str, str]]  # per service: the distributions in its environment
    expected: dict[str, dict[str, str]]  # per service: what uv's scope says they must be


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("monorepo")
    served, wheels = home / "index", home / "wheels"
    served.mkdir()
    wheels.mkdir()
    fakes = publish_fakes(wheels)
    write_wheel(wheels, "epsilon", "1.0.0")
    lockstrip_wheel(served, home / "uv-cache")
    with serve(served) as index:
        index.publish(*provision.wheelhouse().glob("*.whl"))
        index.publish(*(fakes[n] for n in ("alpha-1.0.0", "beta-2.0.0", "gamma-0.5.0")))
        index.publish(fakes["delta-1.0.0"], wheels / "epsilon-1.0.0-py3-none-any.whl")
        builder = Builder()
        try:
            builder.start()
            base_images(builder, index.url)
            root = home / "workspace"
            write(root, WORKSPACE)
            yield Lab(builder, index, wheels, home, root)
        finally:
            builder.stop()


# --- the scenarios ---------------------------------------------------------------------------

Edit = Callable[[Lab], None]


def _nothing(lab: Lab) -> None:
    pass


def _worker_version_bump(lab: Lab) -> None:
    replace(lab.root / "services/worker/pyproject.toml", 'version = "1.0.0"', 'version = "1.1.0"')
    (lab.root / "services/worker/src/worker/__init__.py").write_text("VERSION = 2\n")


def _api_dependency_added(lab: Lab) -> None:
    replace(
        lab.root / "services/api/pyproject.toml", '"shared", "beta"]', '"shared", "beta", "delta"]'
    )


def _shared_dependency_added(lab: Lab) -> None:
    replace(lab.root / "packages/shared/pyproject.toml", '["alpha>=1"]', '["alpha>=1", "epsilon"]')


@dataclass(frozen=True)
class Scenario:
    name: str
    edit: Edit
    #: per step of STEPS: its expected state in each build that has it (the download stage
    #: is in the build of api, then of worker)
    expected: dict[str, list[StepState]]


def _expect(
    download: StepState,
    api: StepState,
    worker: StepState,
    *,
    api_source: StepState | None = None,
    worker_source: StepState | None = None,
) -> dict[str, list[StepState]]:
    return {
        "download": [download, "CACHED"],
        "api deps": [api],
        "api source": [api_source or api],
        "worker deps": [worker],
        "worker source": [worker_source or worker],
    }


SCENARIOS = (
    Scenario("first build", _nothing, _expect("RAN", "RAN", "RAN")),
    Scenario(
        "worker version bump and source edit",
        _worker_version_bump,
        _expect("CACHED", "CACHED", "CACHED", worker_source="RAN"),
    ),
    # The service stages read the download stage's cache: when it re-runs, they re-run too,
    # offline (BuildKit keys a RUN on the stages it mounts).
    Scenario("dependency added to api only", _api_dependency_added, _expect("RAN", "RAN", "RAN")),
    Scenario(
        "dependency added to the shared library",
        _shared_dependency_added,
        _expect("RAN", "RAN", "RAN"),
    ),
)


def _dockerfile(lab: Lab) -> Path:
    printed = subprocess.run(
        [sys.executable, "-m", "lockstrip", "dockerfile", str(lab.root)]
        + [arg for service in SERVICES for arg in ("--package", service)],
        capture_output=True,
        text=True,
        check=True,
    )
    path = lab.home / "monorepo.Dockerfile"
    path.write_text(printed.stdout)
    return path


def _image_distributions(lab: Lab, tag: str) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json\n"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))\n"
    )
    return dict(json.loads(lab.builder.run(tag, "python", "-c", code)))


def _scope(lab: Lab, service: str) -> dict[str, str]:
    """What `uv sync --package SERVICE --no-dev` installs, by uv's own export of the lock."""
    done = subprocess.run(
        [
            *(str(Path(sys.executable).parent / "uv"), "export", "--frozen", "--no-dev"),
            *("--package", service, "--no-hashes", "--no-annotate", "--no-header"),
            "--no-emit-workspace",
        ],
        cwd=lab.root,
        capture_output=True,
        text=True,
        check=True,
    )
    found = dict(line.split("==") for line in done.stdout.split() if "==" in line)
    with (lab.root / "uv.lock").open("rb") as handle:
        lock = tomllib.load(handle)
    versions = {p["name"]: p["version"] for p in lock["package"]}
    return {**found, **{name: versions[name] for name in LOCAL[service]}}


def _step(lab: Lab, number: int, scenario: Scenario) -> Row:
    scenario.edit(lab)
    lab.uv("lock")
    dockerfile = _dockerfile(lab)
    lab.builder.forget_cache_mounts()
    states: dict[str, list[StepState]] = collections.defaultdict(list)
    images, files = {}, {}
    for service in SERVICES:
        tag = f"e2e-{service}:{number}"
        start = lab.index.requests
        log = lab.builder.build(lab.root, dockerfile, tag, "--target", service)
        files[service] = _files_served(lab, start)
        (lab.home / f"{service}-{number}.log").write_text(log)
        for step, needle in STEPS.items():
            if step == "download" or step.startswith(service):
                states[step].append(step_state(log, needle))
        images[service] = _image_distributions(lab, tag)
    expected = {service: _scope(lab, service) for service in SERVICES}
    union = {name for scope in expected.values() for name in scope}
    with (lab.root / "uv.lock").open("rb") as handle:
        lock = tomllib.load(handle)
    locked = [
        wheel["url"].rsplit("/", 1)[1]
        for package in lock["package"]
        if package["name"] in union
        for wheel in package.get("wheels", [])
    ]
    return Row(scenario.name, dict(states), files, locked, images, expected)


def _files_served(lab: Lab, start: int) -> list[str]:
    """The files downloaded since the `start`-th request: a GET of /files/NAME (uv also asks
    with HEAD whether a wheel's metadata can be read by range requests)."""
    served = [request.split()[:2] for request in lab.index.served_since(start)]
    return [path.split("/")[-1] for method, path in served if method == "GET" and "/files/" in path]


@pytest.fixture(scope="module")
def rows(lab: Lab, request: pytest.FixtureRequest) -> dict[str, Row]:
    request.config.pluginmanager.register(_Summary(lab.table), "lockstrip-e2e-monorepo")
    lab.uv("lock")
    found = {}
    for number, scenario in enumerate(SCENARIOS):
        row = _step(lab, number, scenario)
        lab.table.append(row)
        found[scenario.name] = row
    return found


class _Summary:
    def __init__(self, table: list[Row]) -> None:
        self.table = table

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("two services, one download stage: steps and index files")
        for line in render_table(self.table):
            terminalreporter.write_line(line)


def render_table(table: list[Row]) -> list[str]:
    head = ("scenario", *STEPS, "locked files: fetched/in lock", "other GETs", "worker's GETs")
    lines = [head]
    for row in table:
        fetched = [file for file in row.files["api"] if file in row.locked]
        lines.append(
            (
                row.scenario,
                *("/".join(row.states.get(step, [])) for step in STEPS),
                f"{len(fetched)}/{len(row.locked)}",
                str(len(row.files["api"]) - len(fetched)),
                str(len(row.files["worker"])),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_steps_rerun_only_for_what_changed(scenario: Scenario, rows: dict[str, Row]) -> None:
    row = rows[scenario.name]
    assert row.states == scenario.expected, "\n".join(render_table([row]))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_each_artifact_is_downloaded_once(scenario: Scenario, rows: dict[str, Row]) -> None:
    """Across the builds of both services, each artifact in the lock of the services' union
    is downloaded once when the download stage runs, and not at all when it is cached; the
    second service's build fetches nothing: the service stages install offline."""
    row = rows[scenario.name]
    assert row.locked
    fetched = collections.Counter(file for file in row.files["api"] if file in row.locked)
    once = row.states["download"][0] == "RAN"
    assert fetched == collections.Counter(row.locked if once else [])
    assert row.files["worker"] == []
    if not once:
        assert row.files["api"] == []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_each_image_holds_its_own_scope(scenario: Scenario, rows: dict[str, Row]) -> None:
    """Each service's environment is what uv installs for `--package SERVICE --no-dev`:
    the other service's dependencies and the build backend are not in it."""
    row = rows[scenario.name]
    for service in SERVICES:
        assert row.images[service] == row.expected[service], service
