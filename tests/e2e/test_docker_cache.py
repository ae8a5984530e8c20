"""Real BuildKit builds: the download step stays cached across volatile edits with lockstrip's
Dockerfile, and re-runs with today's pattern (`COPY pyproject.toml uv.lock`).

Two projects (a packaged single project, and a workspace with a packaged root and a member)
go through a series of edits. After each edit both Dockerfiles are built: the one
`lockstrip dockerfile` prints, and today's pattern from uv's Docker guide. The build log says
whether the download step ran or was CACHED; the final image must import the project and its
dependencies at the versions the files say. Everything comes from 127.0.0.1: the index
(index.py) serves hand-written wheels, the wheels of lockstrip built from this working tree,
and the wheelhouse provision.py downloaded. The table of outcomes is printed at the end.

Runs only with LOCKSTRIP_E2E=1 (.ci/run sets it after provisioning), as root with a
provisioned cache; otherwise it skips and says why.
"""

from __future__ import annotations

import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import tomllib

from e2e import provision
from e2e.builder import Builder, StepState, step_state
from e2e.index import Index, serve
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
from lockstrip.dockerfile import UV_VERSION

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

# --- the projects ---------------------------------------------------------------------------

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
    + HATCHLING,
    "README.md": "# shop\n",
    "src/shop/__init__.py": 'GREETING = "hello"\n',
    ".dockerignore": ".venv\n",
}

WORKSPACE = {
    "pyproject.toml": """\
[project]
name = "suite"
version = "2.0.0"
requires-python = ">=3.11"
dependencies = ["suite-core", "beta"]

[tool.uv.sources]
suite-core = { workspace = true }

[tool.uv.workspace]
members = ["packages/*"]

"""
    + HATCHLING,
    "src/suite/__init__.py": "",
    "packages/core/pyproject.toml": """\
[project]
name = "suite-core"
version = "0.3.0"
requires-python = ">=3.11"
dependencies = ["alpha>=1"]

"""
    + HATCHLING,
    "packages/core/src/suite_core/__init__.py": "",
    ".dockerignore": ".venv\n",
}

#: Today's pattern, after uv's Docker guide: the raw files go into the download step.
TODAY = f"""\
FROM ghcr.io/astral-sh/uv:{UV_VERSION} AS uv
FROM python:3.11-slim
COPY --from=uv /uv /uvx /bin/
ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock /app/
RUN --mount=type=cache,target=/root/.cache/uv \\
    {{download}}
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv sync --locked --no-dev
ENV PATH="/app/.venv/bin:$PATH"
"""
#: Without the members' pyproject files, a workspace can only be synced --frozen.
TODAY_DOWNLOAD = {
    "single": "uv sync --locked --no-install-project --no-dev",
    "workspace": "uv sync --frozen --no-install-workspace --no-dev",
}

PATTERNS = ("lockstrip", "today")

# --- the lab: builder, index, host tools -----------------------------------------------------


@dataclass
class Lab:
    builder: Builder
    index: Index
    wheels: Path  # every version of the fake packages, published or not
    home: Path
    table: list[Row] = field(default_factory=list)

    def uv(self, project: Path, *args: str) -> None:
        host_uv(project, self.index.url, self.home / "uv-cache", *args)


@dataclass
class Outcome:
    download: StepState
    fetched: list[str]  # the requests the index served during the build
    seconds: float
    versions: str  # what the final image reports


@dataclass
class Row:
    project: str
    scenario: str
    outcomes: dict[str, Outcome]  # by pattern
    expected_versions: str


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("e2e")
    served, wheels = home / "index", home / "wheels"
    served.mkdir()
    wheels.mkdir()
    fakes = publish_fakes(wheels)
    lockstrip_wheel(served, home / "uv-cache")
    with serve(served) as index:
        index.publish(*provision.wheelhouse().glob("*.whl"))
        index.publish(*(fakes[n] for n in ("alpha-1.0.0", "beta-2.0.0", "gamma-0.5.0")))
        index.publish(fakes["delta-1.0.0"])
        builder = Builder()
        try:
            builder.start()
            base_images(builder, index.url)
            yield Lab(builder, index, wheels, home)
        finally:
            builder.stop()


# --- the scenarios ---------------------------------------------------------------------------

Edit = Callable[[Lab, Path], None]


def _nothing(lab: Lab, root: Path) -> None:
    pass


def _root_version_bump(lab: Lab, root: Path) -> None:
    text = (root / "pyproject.toml").read_text()
    old = re.search(r'^version = "([^"]+)"$', text, re.MULTILINE)
    assert old is not None
    major, minor, patch = old.group(1).split(".")
    replace(root / "pyproject.toml", old.group(0), f'version = "{major}.{minor}.{int(patch) + 1}"')
    lab.uv(root, "lock")


def _docs_edit(lab: Lab, root: Path) -> None:
    replace(root / "pyproject.toml", 'description = "A shop."', 'description = "A better shop."')
    (root / "README.md").write_text("# shop\n\nNow with a README.\n")
    with (root / "pyproject.toml").open("a") as handle:
        handle.write("\n[tool.ruff]\nline-length = 88\n")
    lab.uv(root, "lock")


def _member_version_bump(lab: Lab, root: Path) -> None:
    replace(root / "packages/core/pyproject.toml", 'version = "0.3.0"', 'version = "0.4.0"')
    lab.uv(root, "lock")


def _dependency_added(lab: Lab, root: Path) -> None:
    replace(root / "pyproject.toml", '"alpha>=1", "beta"]', '"alpha>=1", "beta", "gamma"]')
    lab.uv(root, "lock")


def _member_dependency_added(lab: Lab, root: Path) -> None:
    replace(root / "packages/core/pyproject.toml", '["alpha>=1"]', '["alpha>=1", "gamma"]')
    lab.uv(root, "lock")


def _upgrade(lab: Lab, root: Path, wheel: str) -> None:
    """Publish a newer version of a package, and upgrade the lock to it."""
    lab.index.publish(lab.wheels / f"{wheel}-py3-none-any.whl")
    lab.uv(root, "lock", "--upgrade-package", wheel.split("-")[0], "--refresh")


def _dependency_upgraded(lab: Lab, root: Path) -> None:
    _upgrade(lab, root, "alpha-1.1.0")


#: This machine and another, as wheel tags name them.
HOST_ARCH = platform.machine()
OTHER_ARCH = "aarch64" if HOST_ARCH == "x86_64" else "x86_64"


def _platform_dependency_added(lab: Lab, root: Path) -> None:
    """native has a wheel for this machine and one for another."""
    lab.index.publish(
        *(
            lab.wheels / f"native-1.0.0-py3-none-manylinux_2_17_{arch}.whl"
            for arch in (HOST_ARCH, OTHER_ARCH)
        )
    )
    replace(root / "pyproject.toml", '"beta", "gamma"]', '"beta", "gamma", "native"]')
    lab.uv(root, "lock")


def _other_platform_wheel_added(lab: Lab, root: Path) -> None:
    """A new wheel of the same release, for the other machine only: the lock changes, the
    image's platform installs what it did."""
    before = (root / "uv.lock").read_bytes()
    lab.index.publish(lab.wheels / f"native-1.0.0-py3-none-manylinux_2_28_{OTHER_ARCH}.whl")
    lab.uv(root, "lock", "--upgrade-package", "native", "--refresh")
    assert (root / "uv.lock").read_bytes() != before, "the lock did not take the new wheel"


def _dev_dependency_upgraded(lab: Lab, root: Path) -> None:
    """The image installs --no-dev, and its export is scoped so: nothing it takes changed."""
    _upgrade(lab, root, "delta-1.1.0")


@dataclass(frozen=True)
class Scenario:
    project: str
    name: str
    edit: Edit
    #: download step: (lockstrip's Dockerfile, today's pattern)
    expected: tuple[StepState, StepState]


SCENARIOS = (
    Scenario("single", "first build", _nothing, ("RAN", "RAN")),
    Scenario("single", "root version bump", _root_version_bump, ("CACHED", "RAN")),
    Scenario("single", "description, readme, [tool.ruff] edit", _docs_edit, ("CACHED", "RAN")),
    Scenario(
        "single", "dev-group dependency upgraded", _dev_dependency_upgraded, ("CACHED", "RAN")
    ),
    Scenario("single", "dependency added", _dependency_added, ("RAN", "RAN")),
    Scenario("single", "dependency upgraded in the lock", _dependency_upgraded, ("RAN", "RAN")),
    Scenario(
        "single", "platform wheels dependency added", _platform_dependency_added, ("RAN", "RAN")
    ),
    Scenario(
        "single",
        "wheel for another platform added",
        _other_platform_wheel_added,
        ("CACHED", "RAN"),
    ),
    Scenario("workspace", "first build", _nothing, ("RAN", "RAN")),
    Scenario("workspace", "root version bump", _root_version_bump, ("CACHED", "RAN")),
    Scenario("workspace", "member version bump", _member_version_bump, ("CACHED", "RAN")),
    Scenario("workspace", "dependency added to a member", _member_dependency_added, ("RAN", "RAN")),
)

#: What the final image must import, per project: the project's modules, then dependencies.
IMPORTS = {"single": ("shop",), "workspace": ("suite", "suite_core")}


def _locked(root: Path, project: str) -> dict[str, str]:
    """The distributions the final image must hold, with their versions in uv.lock (the
    local ones are the versions of their pyproject files, which the lock repeats)."""
    with (root / "uv.lock").open("rb") as handle:
        lock = tomllib.load(handle)
    locked = {p["name"]: p.get("version", "") for p in lock["package"]}
    names = [module.replace("_", "-") for module in IMPORTS[project]]
    names += sorted(n for n in ("alpha", "beta", "gamma", "native") if n in locked)
    return {name: locked[name] for name in names}


def _expected_versions(root: Path, project: str) -> str:
    return " ".join(f"{name}={version}" for name, version in _locked(root, project).items())


def _report_versions(lab: Lab, tag: str, project: str, root: Path) -> str:
    """Import the project and its dependencies in the final image, and say their versions."""
    names = list(_locked(root, project))
    code = (
        "import importlib, importlib.metadata as m\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name.replace('-', '_'))\n"
        "print(' '.join(f'{n}={m.version(n)}' for n in " + repr(names) + "))\n"
    )
    return lab.builder.run(tag, "python", "-c", code).strip()


def _build(lab: Lab, root: Path, project: str, pattern: str, step: int) -> Outcome:
    dockerfile = lab.home / f"{project}.{pattern}.Dockerfile"
    if pattern == "lockstrip":
        printed = subprocess.run(
            [sys.executable, "-m", "lockstrip", "dockerfile", str(root)],
            capture_output=True,
            text=True,
            check=True,
        )
        dockerfile.write_text(printed.stdout)
    else:
        dockerfile.write_text(TODAY.format(download=TODAY_DOWNLOAD[project]))
    tag = f"e2e-{project}-{pattern}:{step}"
    lab.builder.forget_cache_mounts()
    before, start = lab.index.requests, time.monotonic()
    log = lab.builder.build(root, dockerfile, tag)
    seconds = time.monotonic() - start
    fetched = lab.index.served_since(before)
    (lab.home / f"{tag.replace(':', '-')}.fetched").write_text("".join(f"{f}\n" for f in fetched))
    (lab.home / f"{tag.replace(':', '-')}.log").write_text(log)
    versions = _report_versions(lab, tag, project, root)
    # the download step (the export step names the same option, for its folded export)
    return Outcome(step_state(log, "uv sync ", "--no-install-"), fetched, seconds, versions)


@pytest.fixture(scope="module")
def rows(lab: Lab, request: pytest.FixtureRequest) -> dict[tuple[str, str], Row]:
    """Run every scenario in order, building both Dockerfiles after each edit."""
    request.config.pluginmanager.register(_Summary(lab.table), "lockstrip-e2e-summary")
    found: dict[tuple[str, str], Row] = {}
    for project, files in (("single", SINGLE), ("workspace", WORKSPACE)):
        root = lab.home / project
        write(root, files)
        lab.uv(root, "lock")
        for step, scenario in enumerate(s for s in SCENARIOS if s.project == project):
            scenario.edit(lab, root)
            outcomes = {p: _build(lab, root, project, p, step) for p in PATTERNS}
            row = Row(project, scenario.name, outcomes, _expected_versions(root, project))
            lab.table.append(row)
            found[project, scenario.name] = row
    return found


class _Summary:
    """Prints the side-by-side table after the tests (a pytest plugin object)."""

    def __init__(self, table: list[Row]) -> None:
        self.table = table

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("download step: lockstrip's Dockerfile vs today's pattern")
        for line in render_table(self.table):
            terminalreporter.write_line(line)


def render_table(table: list[Row]) -> list[str]:
    head = ("project", "scenario", "lockstrip", "today", "index requests", "build s")
    lines = [head]
    for row in table:
        mine, today = row.outcomes["lockstrip"], row.outcomes["today"]
        lines.append(
            (
                row.project,
                row.scenario,
                mine.download,
                today.download,
                f"{len(mine.fetched)} / {len(today.fetched)}",
                f"{mine.seconds:.1f} / {today.seconds:.1f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]


# --- the tests -------------------------------------------------------------------------------


def _id(scenario: Scenario) -> str:
    return f"{scenario.project}: {scenario.name}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_id)
def test_download_step(scenario: Scenario, rows: dict[tuple[str, str], Row]) -> None:
    """lockstrip's download step re-runs exactly when third-party dependencies change;
    today's re-runs on every edit of pyproject.toml or uv.lock."""
    row = rows[scenario.project, scenario.name]
    got = (row.outcomes["lockstrip"].download, row.outcomes["today"].download)
    assert got == scenario.expected, "\n".join(render_table([row]))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_id)
def test_final_image_imports_project_and_dependencies(
    scenario: Scenario, rows: dict[tuple[str, str], Row]
) -> None:
    """The final image runs the project at its new version with the locked dependencies."""
    row = rows[scenario.project, scenario.name]
    assert row.outcomes["lockstrip"].versions == row.expected_versions
    assert row.outcomes["today"].versions == row.expected_versions


def test_uv_cache_mount_is_per_platform(lab: Lab, rows: dict[tuple[str, str], Row]) -> None:
    """BuildKit expands the cache id with this build's TARGETPLATFORM in both uv steps."""
    target = {"x86_64": "linux/amd64", "aarch64": "linux/arm64"}[HOST_ARCH]
    log = (lab.home / "e2e-single-lockstrip-0.log").read_text()
    steps = re.findall(r"^#(\d+) \[.*?\] RUN --mount=type=cache,(id=[^,]+),", log, re.MULTILINE)
    assert sorted({mount for _, mount in steps}) == [f"id=uv-{target}"]
    assert len({step for step, _ in steps}) == 2


def test_cached_download_means_no_network(rows: dict[tuple[str, str], Row]) -> None:
    """When lockstrip's download step is cached, the build fetches nothing at all: the
    project's build backend was installed in the download layer, so the final `uv sync`
    builds the project offline. Today's pattern fetches the backend on every build."""
    cached = [r for r in rows.values() if r.outcomes["lockstrip"].download == "CACHED"]
    assert cached
    assert [r.outcomes["lockstrip"].fetched for r in cached] == [[]] * len(cached)
    assert all(r.outcomes["today"].fetched for r in cached)
