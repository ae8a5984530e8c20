"""Per-platform CI keys: `lockstrip digest --python-version V --python-platform P` for x86_64 and
aarch64 differ exactly when uv installs different files on the two platforms.

uv is the oracle, and it has to be asked what it would download: in uv 0.13 `uv export` takes
no `--python-platform`, and `uv sync --dry-run` names packages, not the wheels it picks. So
each project is copied with the artifact URLs of its lock pointed at a server on 127.0.0.1,
and a real `uv sync --frozen --python-platform P` runs against it. The server records each
request and answers 404 once the requests stop coming; uv then stops, having downloaded
nothing. uv starts only part of its downloads at once, so it runs again without the packages
already seen (`--no-install-package`) until it has asked for a file of every package its
dry-run plan names. The files are uv's own choice for P. Packages from git or local folders
cannot be redirected; the dry-run plan names them, and it is part of the comparison.

One Python: the interpreter running the tests, because `uv sync` installs for a real one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

import pytest
from helpers import (
    FIXTURES,
    SHARED_CORPUS,
    case_dirs,
    case_id,
    copy_project,
    load,
    uv_env,
    uv_executable,
)
from packaging.utils import parse_sdist_filename, parse_wheel_filename

from lockstrip.digest import compute_digest
from lockstrip.environment.target import parse_target
from lockstrip.project import read_project

PLATFORMS = ("x86_64-manylinux_2_28", "aarch64-manylinux_2_28")
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

#: How long the server waits after a request for the next one before it answers them all.
QUIET = 0.15

CASES = [(FIXTURES, p) for p in case_dirs(FIXTURES)]
if SHARED_CORPUS.is_dir():
    CASES += [(SHARED_CORPUS, p) for p in case_dirs(SHARED_CORPUS)]


class Capture:
    """The paths requested from the server; each answered once no other came for QUIET s."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.last = 0.0
        self.changed = threading.Condition()

    def hold(self, path: str) -> None:
        with self.changed:
            self.paths.append(path)
            self.last = time.monotonic()
            while time.monotonic() - self.last < QUIET:
                self.changed.wait(QUIET / 3)


@contextmanager
def serve_capture() -> Iterator[tuple[str, Capture]]:
    capture = Capture()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            capture.hold(self.path)
            with suppress(OSError):  # uv gave up on the first 404 and closed the others
                self.send_error(404)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024  # a plan's downloads connect at once

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", capture
    finally:
        server.shutdown()
        server.server_close()


def _name(filename: str) -> str:
    """The package a wheel or sdist file is of."""
    if filename.endswith(".whl"):
        return parse_wheel_filename(filename)[0]
    return parse_sdist_filename(filename)[0]


class UvView(NamedTuple):
    """What uv installs for one platform: the files it downloads, and its plan's lines."""

    files: frozenset[str]
    plan: frozenset[str]


class Sources(NamedTuple):
    """Third-party packages uv cannot fetch from a URL of the lock, by what they need."""

    local: list[str]  # path, directory, editable: the corpus holds no such folders
    elsewhere: list[str]  # the above, and git repositories


def sources(project: Path) -> Sources:
    lock = load(project / "uv.lock")
    members = set(lock.get("manifest", {}).get("members", ()))
    local, git = set(), set()
    for package in lock.get("package", ()):
        source = package.get("source", {})
        if package["name"] in members or source.get("editable") == "." or "virtual" in source:
            continue
        if {"path", "directory", "editable"} & set(source):
            local.add(package["name"])
        elif "git" in source:
            git.add(package["name"])
    return Sources(sorted(local), sorted(local | git))


def _no_install(names: list[str]) -> list[str]:
    return [arg for name in names for arg in ("--no-install-package", name)]


def uv_view(project: Path, platform: str, work: Path, skip: Sources) -> UvView | str:
    """uv's files and plan for `platform`, or why uv installs nothing there (its error)."""
    copy = copy_project(project, work / platform)
    lock = copy / "uv.lock"
    selection = ["--frozen", "--no-install-workspace", "--python", sys.executable]
    selection += ["--python-platform", platform]
    env = {**uv_env(work / "cache"), "UV_CONCURRENT_DOWNLOADS": "100000", "UV_HTTP_RETRIES": "0"}
    del env["UV_OFFLINE"]  # the server is on 127.0.0.1; the copy's lock names nothing else
    uv = uv_executable()
    plan = subprocess.run(
        [uv, "sync", "--dry-run", "--offline", *selection, *_no_install(skip.local)],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if plan.returncode:
        return plan.stderr.strip().splitlines()[-1]
    planned = frozenset(re.findall(r"^ \+ (.+)$", plan.stdout + plan.stderr, re.MULTILINE))
    # One download per package of the plan, but for those from git, which are left out.
    expected = sum(1 for line in planned if " @ git+" not in line)
    files: set[str] = set()
    with serve_capture() as (base, capture):
        text = lock.read_text(encoding="utf-8")
        lock.write_text(re.sub(r'\burl = "https?://', f'url = "{base}/', text), encoding="utf-8")
        while len(files) < expected:
            seen = sorted({_name(f) for f in files})
            del capture.paths[:]
            done = subprocess.run(
                [uv, "sync", *selection, *_no_install([*skip.elsewhere, *seen])],
                cwd=copy,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            if done.returncode and base not in done.stderr:
                return done.stderr.strip().splitlines()[-1]
            new = {unquote(path.rsplit("/", 1)[-1]) for path in capture.paths}
            assert new - files, f"uv asked for nothing new after {len(files)} of {expected} files"
            files |= new
    assert len(files) == expected, f"uv asked for {len(files)} files, its plan has {expected}"
    return UvView(frozenset(files), planned)


def uv_views(project: Path, work: Path) -> dict[str, UvView | str]:
    """uv_view for each platform, side by side: each waits for its server to fall quiet."""
    skip = sources(project)
    with ThreadPoolExecutor(len(PLATFORMS)) as pool:
        futures = {p: pool.submit(uv_view, project, p, work, skip) for p in PLATFORMS}
        return {platform: future.result() for platform, future in futures.items()}


def digest(project: Path, platform: str) -> str:
    return compute_digest(read_project(project), None, parse_target(PYTHON, platform)).value


def check_platform_digests(project: Path, work: Path) -> bool | None:
    """Whether uv installs different files on the two platforms, having checked that the
    two platforms' keys differ exactly then; None when uv installs the project on neither."""
    views = uv_views(project, work)
    refused = {platform: view for platform, view in views.items() if isinstance(view, str)}
    if len(refused) == len(PLATFORMS) and len(set(refused.values())) == 1:
        return None
    uv_differs = views[PLATFORMS[0]] != views[PLATFORMS[1]]
    keys = {platform: digest(project, platform) for platform in PLATFORMS}
    # The key is the download set's: the same files under one key. What is built from
    # them per machine lives in caches keyed by the runner (the Action and the template
    # add OS and architecture) or by the platform (the Dockerfile's cache ids).
    assert (keys[PLATFORMS[0]] != keys[PLATFORMS[1]]) == uv_differs, views
    return uv_differs


#: The fast tier's slice: a single project and a workspace; the slow tier takes them all.
QUICK = {"astral-sh__uv-docker-example", "modelcontextprotocol__python-sdk"}


@pytest.mark.parametrize(
    "project",
    [
        pytest.param(p, marks=() if root == FIXTURES and p.name in QUICK else pytest.mark.slow)
        for root, p in CASES
    ],
    ids=[("shared/" if root == SHARED_CORPUS else "") + case_id(p, root) for root, p in CASES],
)
def test_platform_digests_differ_exactly_when_uvs_files_differ(
    project: Path, tmp_path: Path
) -> None:
    if check_platform_digests(project, tmp_path) is None:
        refused = uv_view(project, PLATFORMS[0], tmp_path / "why", sources(project))
        pytest.skip(f"uv installs this project on neither platform: {refused}")


#: Where the hand-made projects take their packages from: four without dependencies, idna
#: and sniffio pure, markupsafe and pyyaml with a wheel per machine.
DONOR = FIXTURES / "astral-sh__uv-docker-example"

#: name -> (the root's dependencies with their markers, whether the platforms' files differ)
MADE: dict[str, tuple[dict[str, str | None], bool]] = {
    "pure packages only": ({"idna": None, "sniffio": None}, False),
    "a compiled package": ({"idna": None, "pyyaml": None}, True),
    "compiled for x86_64 only": (
        {"idna": None, "markupsafe": "platform_machine == 'x86_64'"},
        True,
    ),
    "pure for aarch64 only": ({"idna": None, "sniffio": "platform_machine == 'aarch64'"}, True),
}


def made_project(folder: Path, dependencies: dict[str, str | None]) -> Path:
    """A virtual root depending on some of DONOR's packages, whose lock blocks are DONOR's."""
    blocks = (DONOR / "uv.lock").read_text(encoding="utf-8").split("\n[[package]]\n")
    kept = [b for b in blocks[1:] if b.split("\n", 1)[0][len('name = "') : -1] in dependencies]
    assert len(kept) == len(dependencies)
    edges = [
        f'{{ name = "{name}"' + (f', marker = "{marker}"' if marker else "") + " }"
        for name, marker in dependencies.items()
    ]
    root = (
        'name = "made"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        f"dependencies = [{', '.join(edges)}]\n\n"
        f"[package.metadata]\nrequires-dist = [{', '.join(edges)}]\n"
    )
    folder.mkdir()
    (folder / "uv.lock").write_text("\n[[package]]\n".join([blocks[0], *kept, root]) + "\n")
    requirements = [f"{n}; {m}" if m else n for n, m in dependencies.items()]
    (folder / "pyproject.toml").write_text(  # a JSON string is a TOML string
        '[project]\nname = "made"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = {json.dumps(requirements)}\n"
    )
    return folder


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=() if i < 2 else pytest.mark.slow)  # one of each outcome
        for i, name in enumerate(MADE)
    ],
)
def test_made_projects_cover_both_directions(name: str, tmp_path: Path) -> None:
    """The corpus's projects all hold compiled packages; these show both outcomes."""
    dependencies, files_differ = MADE[name]
    project = made_project(tmp_path / "made", dependencies)
    assert check_platform_digests(project, tmp_path) is files_differ


def test_the_oracle_sees_each_platforms_wheel(tmp_path: Path) -> None:
    """The capture is uv's choice: a compiled package's wheel is the one of each platform."""
    project = FIXTURES / "astral-sh__uv-docker-example"
    for platform, view in uv_views(project, tmp_path).items():
        assert isinstance(view, UvView), view
        (core,) = [f for f in view.files if f.startswith("pydantic_core-")]
        assert platform.split("-")[0] in core
        # every file of uv's plan, one per registry package it installs
        assert len(view.files) == len(view.plan)


def test_cli_prints_the_library_digest() -> None:
    """The test above calls the library; `lockstrip digest` prints the same key."""
    project = FIXTURES / "astral-sh__uv-docker-example"
    for platform in PLATFORMS:
        command = [sys.executable, "-m", "lockstrip", "digest", str(project)]
        command += ["--python-version", PYTHON, "--python-platform", platform]
        printed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
        )
        assert printed.stdout.strip() == digest(project, platform)
