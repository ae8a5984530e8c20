"""`lockstrip savings` predicts what real builds do: a short git history of a small project is
replayed through the report, then built commit by commit with real BuildKit.

The history holds one commit of each kind the report tells apart: a version bump, a
description edit, a dependency added, a dependency's version changed, lock-format churn
(upload times the index starts to publish, with no version changed) and a source-only edit.
Each commit is checked out and built on one daemon, in order, with uv's documented pattern
and with the Dockerfile `lockstrip dockerfile` prints. Per commit and per pattern, the
download step's CACHED or RAN must be the report's predicted rebuild of that layer (a commit
the report does not list, since it touched neither uv.lock nor a pyproject.toml, must leave
both cached), and a download step that ran must have fetched exactly the files the report
counts. Cache mounts are emptied before each build, as on a CI runner, so a rebuild fetches
what it installs.

Runs in the slow tier (LOCKSTRIP_SLOW=1), as root with a provisioned cache; otherwise skips.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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

PROJECT = {
    "pyproject.toml": """\
[project]
name = "shop"
version = "1.0.0"
description = "A shop."
requires-python = ">=3.11"
dependencies = ["alpha>=1", "beta"]

[dependency-groups]
dev = ["delta"]

"""
    + HATCHLING,
    "src/shop/__init__.py": 'GREETING = "hello"\n',
    ".dockerignore": ".venv\n.git\n",
}

#: uv's documented pattern (its Docker guide): the two files, then the project.
UV_PATTERN = f"""\
FROM ghcr.io/astral-sh/uv:{UV_VERSION} AS uv
FROM python:3.11-slim
COPY --from=uv /uv /uvx /bin/
ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock /app/
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv sync --locked --no-install-project --no-dev
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv sync --locked --no-dev
"""

#: The report's and the build's target: the Dockerfile's Python on this machine's platform.
TARGET = {"x86_64": "x86_64-manylinux_2_28", "aarch64": "aarch64-manylinux_2_28"}


@dataclass
class Lab:
    builder: Builder
    index: Index
    wheels: Path
    home: Path

    def uv(self, project: Path, *args: str) -> None:
        host_uv(project, self.index.url, self.home / "uv-cache", *args)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("savings-builds")
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


# --- the history -----------------------------------------------------------------------------

Edit = Callable[[Lab, Path], None]


def _version_bump(lab: Lab, root: Path) -> None:
    replace(root / "pyproject.toml", 'version = "1.0.0"', 'version = "1.0.1"')
    lab.uv(root, "lock")


def _description_edit(lab: Lab, root: Path) -> None:
    replace(root / "pyproject.toml", 'description = "A shop."', 'description = "A better shop."')
    lab.uv(root, "lock")


def _dependency_added(lab: Lab, root: Path) -> None:
    replace(root / "pyproject.toml", '"alpha>=1", "beta"]', '"alpha>=1", "beta", "gamma"]')
    lab.uv(root, "lock")


def _dependency_upgraded(lab: Lab, root: Path) -> None:
    lab.index.publish(lab.wheels / "alpha-1.1.0-py3-none-any.whl")
    lab.uv(root, "lock", "--upgrade-package", "alpha", "--refresh")


def _upload_times(lab: Lab, root: Path) -> None:
    """The index starts to publish upload times (PEP 700) and the lock is refreshed: every
    package gains `upload-time`, no version changes."""
    before = (root / "uv.lock").read_text()
    lab.index.upload_time = "2024-05-01T00:00:00Z"
    lab.uv(root, "lock", "--upgrade", "--refresh")
    after = (root / "uv.lock").read_text()
    assert "upload-time" in after and "upload-time" not in before
    assert _versions(before) == _versions(after), "the churn changed a version"


def _source_edit(lab: Lab, root: Path) -> None:
    (root / "src/shop/__init__.py").write_text('GREETING = "hello again"\n')


def _versions(lock: str) -> dict[str, str]:
    return {p["name"]: p["version"] for p in tomllib.loads(lock)["package"]}


#: (commit subject, edit), after the first commit.
HISTORY: tuple[tuple[str, Edit], ...] = (
    ("version bump", _version_bump),
    ("description edit", _description_edit),
    ("dependency added", _dependency_added),
    ("dependency version changed", _dependency_upgraded),
    ("lock-format churn: upload times", _upload_times),
    ("source-only edit", _source_edit),
)


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def _commit(repo: Path, subject: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", subject)
    return _git(repo, "rev-parse", "HEAD")


def _history(lab: Lab) -> tuple[Path, list[tuple[str, str]]]:
    """The repository and its commits (sha, subject), oldest first."""
    repo = lab.home / "shop"
    write(repo, PROJECT)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "shop@example.invalid")
    _git(repo, "config", "user.name", "shop")
    lab.uv(repo, "lock")
    commits = [(_commit(repo, "first commit"), "first commit")]
    for subject, edit in HISTORY:
        edit(lab, repo)
        commits.append((_commit(repo, subject), subject))
    return repo, commits


# --- the builds ------------------------------------------------------------------------------


@dataclass
class Built:
    download: StepState
    locked_files: list[str]  # files of packages in uv.lock the build fetched


def _locked_filenames(repo: Path) -> set[str]:
    """Every file name uv.lock at the checked-out commit names (wheels and sdists)."""
    lock = tomllib.loads((repo / "uv.lock").read_text())
    names = set()
    for package in lock["package"]:
        for artifact in [*package.get("wheels", []), package.get("sdist") or {}]:
            url = artifact.get("url")
            if url:
                names.add(url.rsplit("/", 1)[-1])
    return names


def _build(lab: Lab, repo: Path, pattern: str, step: int) -> Built:
    dockerfile = lab.home / f"{pattern}.Dockerfile"
    if pattern == "lockstrip":
        printed = subprocess.run(
            [sys.executable, "-m", "lockstrip", "dockerfile", str(repo)],
            capture_output=True,
            text=True,
            check=True,
        )
        dockerfile.write_text(printed.stdout)
    else:
        dockerfile.write_text(UV_PATTERN)
    lab.builder.forget_cache_mounts()
    before = lab.index.requests
    log = lab.builder.build(repo, dockerfile, f"savings-{pattern}:{step}")
    (lab.home / f"{pattern}-{step}.log").write_text(log)
    locked = _locked_filenames(repo)
    fetched = [
        path.rsplit("/", 1)[-1]
        for path in lab.index.served_since(before)
        if path.startswith("GET /files/") and path.rsplit("/", 1)[-1] in locked
    ]
    return Built(step_state(log, "uv sync ", "--no-install-"), fetched)


@dataclass
class Observed:
    subject: str
    predicted: dict[str, Any] | None  # the report's entry; None: not listed
    built: dict[str, Built]  # by pattern


@pytest.fixture(scope="module")
def observed(lab: Lab) -> list[Observed]:
    repo, commits = _history(lab)
    report = subprocess.run(
        [
            *(sys.executable, "-m", "lockstrip", "savings", str(repo), "--json"),
            *("--python-version", "3.11", "--python-platform", TARGET[platform.machine()]),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    by_sha = {entry["commit"]: entry for entry in json.loads(report.stdout)["commits"]}
    found = []
    for step, (sha, subject) in enumerate(commits):
        _git(repo, "checkout", "-q", sha)
        built = {pattern: _build(lab, repo, pattern, step) for pattern in ("uv", "lockstrip")}
        found.append(Observed(subject, by_sha.get(sha), built))
    return found


#: The report's field for each pattern's layer.
FIELD = {"uv": "uv_pattern_rebuilds", "lockstrip": "lockstrip_rebuilds"}


def _table(observed: list[Observed]) -> str:
    lines = []
    for o in observed:
        said = {p: (o.predicted or {}).get(f) for p, f in FIELD.items()}
        got = {p: (b.download, len(b.locked_files)) for p, b in o.built.items()}
        files = (o.predicted or {}).get("download") or {}
        lines.append(f"{o.subject}: predicted {said} files {files.get('files')}, built {got}")
    return "\n".join(lines)


def test_history_has_each_kind_of_commit(observed: list[Observed]) -> None:
    """The report lists every commit but the source-only edit, and the two layers disagree
    where the changes are volatile: the test exercises both answers of both layers."""
    listed = [o.subject for o in observed if o.predicted is not None]
    assert listed == [o.subject for o in observed if o.subject != "source-only edit"]
    lockstrip = [o.predicted["lockstrip_rebuilds"] for o in observed if o.predicted]
    uv = [o.predicted["uv_pattern_rebuilds"] for o in observed if o.predicted]
    assert True in lockstrip and False in lockstrip and all(uv), _table(observed)


@pytest.mark.parametrize("pattern", sorted(FIELD))
def test_download_step_is_the_predicted_rebuild(pattern: str, observed: list[Observed]) -> None:
    """Per commit, the download step ran exactly where the report says the layer rebuilds;
    a commit the report does not list leaves it cached."""
    predicted = [bool(o.predicted and o.predicted[FIELD[pattern]]) for o in observed]
    ran = [o.built[pattern].download == "RAN" for o in observed]
    assert ran == predicted, _table(observed)


@pytest.mark.parametrize("pattern", sorted(FIELD))
def test_rebuild_fetches_the_files_the_report_counts(
    pattern: str, observed: list[Observed]
) -> None:
    """Where the layer rebuilds, the build fetched one file per artifact the report counts,
    each once; where it stays cached, no file of a locked package."""
    for o in observed:
        built = o.built[pattern]
        assert len(built.locked_files) == len(set(built.locked_files)), _table(observed)
        if o.predicted and o.predicted[FIELD[pattern]]:
            assert o.predicted["download"]["files"] == len(built.locked_files), _table(observed)
        else:
            assert built.locked_files == [], _table(observed)
