"""`lockstrip fetch` and `export --requirements`, against a package index the test serves.

The world: tiny wheels and one sdist built here (several packages and versions, wheels for
manylinux, macOS and Windows), a PEP 503 simple index on 127.0.0.1 that counts requests per
path and can fail, cut, corrupt or demand credentials on cue, and a real uv.lock that
`uv lock` wrote against it. No other network is used: the final install runs uv with
`--offline --no-index`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import importlib.util
import io
import itertools
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
from helpers import uv_executable

from lockstrip.errors import InputError

# A PEP 517 backend that needs nothing to be installed, so every build (uv lock reading the
# sdist, the offline install building it, uv sync building the project) works offline.
BACKEND = '''\
"""A one-file PEP 517 backend with no requirements: builds pure wheels from pyproject.toml."""
import base64, hashlib, itertools, tomllib, zipfile
from pathlib import Path


def write_wheel(directory, name, version, tag="py3-none-any", requires=(), files=None):
    module = name.replace("-", "_")
    files = dict(files or {})
    files.setdefault(f"{module}/__init__.py", f"VERSION = {version!r}\\nTAG = {tag!r}\\n".encode())
    info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n"
    metadata += "".join(f"Requires-Dist: {r}\\n" for r in requires)
    python, abi, platform = tag.split("-")
    parts = (part.split(".") for part in (python, abi, platform))
    tags = ["-".join(t) for t in itertools.product(*parts)]
    pure = "true" if platform == "any" else "false"
    wheel = f"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: {pure}\\n"
    wheel += "".join(f"Tag: {t}\\n" for t in tags)
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = wheel.encode()
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\\n"
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\\n").encode()
    filename = f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(Path(directory) / filename, "w") as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), data)
    return filename


def _project():
    return tomllib.loads(Path("pyproject.toml").read_text())["project"]


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_sdist = get_requires_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    module = project["name"].replace("-", "_")
    files = {f"{module}/{p.name}": p.read_bytes() for p in Path(module).glob("*.py")}
    deps = project.get("dependencies", [])
    name, version = project["name"], project["version"]
    return write_wheel(wheel_directory, name, version, requires=deps, files=files)


build_editable = build_wheel
'''

PYPROJECT_IN_TREE = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "{name}"
version = "{version}"
requires-python = ">=3.11"
dependencies = [{deps}]
"""

#: beta's wheels, one per platform, plus a pure fallback; the cp311 one is for the machine
#: that runs the tests (its offline install).
BETA_TAGS = (
    "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp312-cp312-macosx_11_0_arm64",
    "cp312-cp312-win_amd64",
    "py3-none-any",
)


def _load_backend(folder: Path) -> ModuleType:
    (folder / "backend.py").write_text(BACKEND)
    spec = importlib.util.spec_from_file_location("lockstrip_test_backend", folder / "backend.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sdist(folder: Path, name: str, version: str) -> str:
    """An sdist that only the in-tree backend builds: the 'needs a build' package."""
    base = f"{name}-{version}"
    members = {
        f"{base}/pyproject.toml": PYPROJECT_IN_TREE.format(name=name, version=version, deps=""),
        f"{base}/backend.py": BACKEND,
        f"{base}/{name}/__init__.py": f"VERSION = {version!r}\nTAG = 'built'\n",
        f"{base}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    filename = f"{base}.tar.gz"
    with tarfile.open(folder / filename, "w:gz") as archive:
        for path, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mtime = len(data), 1577836800
            archive.addfile(info, io.BytesIO(data))
    return filename


def build_files(folder: Path) -> dict[str, list[str]]:
    """Every distribution the index serves, by project name."""
    backend = _load_backend(folder)
    made: dict[str, list[str]] = {"alpha": [], "beta": [], "gamma": [], "winonly": []}
    for version in ("1.0", "1.1"):
        made["alpha"].append(backend.write_wheel(folder, "alpha", version))
    padding = {"beta/data.bin": os.urandom(400_000)}  # large enough to be cut mid-file
    for tag in BETA_TAGS:
        made["beta"].append(backend.write_wheel(folder, "beta", "2.0", tag, files=padding))
    made["gamma"].append(
        backend.write_wheel(folder, "gamma", "0.5", requires=["winonly; sys_platform == 'win32'"])
    )
    made["winonly"].append(backend.write_wheel(folder, "winonly", "1.0", "py3-none-win_amd64"))
    made["sdonly"] = [_sdist(folder, "sdonly", "0.1")]
    (folder / "backend.py").unlink()
    return made


# --- the index ----------------------------------------------------------------------------


class Index:
    """A simple index and file server that counts requests and misbehaves on cue."""

    def __init__(self, content: dict[str, bytes]) -> None:
        self.content = content
        self.lock = threading.Lock()
        self.port = 0
        self.release = threading.Event()
        self.reset()

    def reset(self) -> None:
        self.counts: Counter[str] = Counter()
        self.fail: dict[str, int] = {}  # path -> 500 responses still to give
        self.cut: dict[str, int] = {}  # path -> bodies still to cut in half
        self.corrupt: set[str] = set()
        self.auth: str | None = None  # the Authorization header /files/ demands
        self.authorizations: list[str] = []
        self.stall: set[str] = set()  # paths whose body stops halfway until `release`
        self.hold: set[str] = set()  # paths answered with nothing at all until `release`
        self.status = 500  # what `fail` answers
        self.times: list[tuple[str, float]] = []  # (path, when) of every GET
        self.redirect: dict[str, str] = {}  # path -> Location of a 302
        self.connections = 0  # TCP connections accepted
        self.release.set()  # free a handler a previous test left waiting
        self.connections = 0
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connected(self) -> None:
        with self.lock:
            self.connections += 1

    def file_requests(self) -> Counter[str]:
        return Counter({p: n for p, n in self.counts.items() if p.startswith("/files/")})

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        auth = handler.headers.get("Authorization")
        if handler.command == "HEAD":  # uv asks whether ranges work: they do not, here
            with self.lock:
                self.counts[f"HEAD {path}"] += 1
            handler.send_response(200 if path in self.content else 404)
            handler.send_header("Content-Length", str(len(self.content.get(path, b""))))
            handler.end_headers()
            return
        with self.lock:
            self.counts[path] += 1
            self.times.append((path, time.monotonic()))
            if auth:
                self.authorizations.append(auth)
            failing = self.fail.get(path, 0) > 0
            cutting = self.cut.get(path, 0) > 0
            if failing:
                self.fail[path] -= 1
            elif cutting:
                self.cut[path] -= 1
        body = self.content.get(path)
        if path in self.redirect:
            handler.send_response(302)
            handler.send_header("Location", self.redirect[path])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif self.auth is not None and path.startswith("/files/") and auth != self.auth:
            _send(handler, 401, b"credentials, please")
        elif body is None:
            _send(handler, 404, b"not found")
        elif failing:
            _send(handler, self.status, b"try again")
        elif path in self.hold:
            self.release.wait(120)
            handler.close_connection = True
        elif path in self.stall:
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            self.release.wait(120)
            handler.close_connection = True
        elif cutting:
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
        else:
            if path in self.corrupt:
                body = bytes([body[0] ^ 1]) + body[1:]
            _send(handler, 200, body)


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header(
        "Content-Type", "text/html" if b"<html>" in body[:6] else "application/octet-stream"
    )
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _serve(
    respond: Any, connected: Any = None, tls: ssl.SSLContext | None = None
) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real indexes serve

        def setup(self) -> None:
            super().setup()
            if connected is not None:
                connected()

        def do_GET(self) -> None:
            respond(self)

        do_HEAD = do_CONNECT = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _index_pages(folder: Path, made: dict[str, list[str]]) -> dict[str, bytes]:
    content: dict[str, bytes] = {}
    for name, files in made.items():
        links = []
        for filename in files:
            data = (folder / filename).read_bytes()
            content[f"/files/{filename}"] = data
            digest = hashlib.sha256(data).hexdigest()
            links.append(f'<a href="/files/{filename}#sha256={digest}">{filename}</a><br>')
        page = f"<html><body>{''.join(links)}</body></html>"
        content[f"/simple/{name}/"] = page.encode()
    return content


class Proxy:
    """An HTTP proxy that counts what passes through it: forwarded GETs and CONNECT tunnels."""

    def __init__(self) -> None:
        self.count = 0
        self.tunnels = 0
        self.authorizations: list[str | None] = []
        self.lines: list[str] = []  # the request lines' targets
        self.lock = threading.Lock()
        self.server, self.port = _serve(self.forward)

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.authorizations.append(handler.headers.get("Proxy-Authorization"))
            self.lines.append(handler.path)
        if handler.command == "CONNECT":
            self.tunnel(handler)
            return
        with self.lock:
            self.count += 1
        parts = urlsplit(handler.path)  # a proxy is asked for the whole URL
        upstream = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=10)
        headers = {k: v for k, v in handler.headers.items() if k.lower() != "connection"}
        upstream.request("GET", parts.path, headers=headers)
        response = upstream.getresponse()
        _send(handler, response.status, response.read())
        upstream.close()

    def tunnel(self, handler: BaseHTTPRequestHandler) -> None:
        """Join the client to host:port, byte for byte, until either side closes."""
        with self.lock:
            self.tunnels += 1
        host, _, port = handler.path.rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=10)
        handler.send_response(200, "Connection established")
        handler.end_headers()
        handler.wfile.flush()
        client = handler.connection

        def pipe(source: socket.socket, sink: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while data := source.recv(65536):
                    sink.sendall(data)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
        back.start()
        pipe(client, upstream)
        back.join(10)
        upstream.close()
        handler.close_connection = True


# --- the world ----------------------------------------------------------------------------


class World(NamedTuple):
    server: Index
    project: Path
    files: Path
    made: dict[str, list[str]]
    cache: Path


def _uv_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        env.pop(key, None)
        env.pop(key.lower(), None)
    env.update(
        UV_NO_CONFIG="1",
        UV_CACHE_DIR=str(cache),
        UV_PYTHON=sys.executable,
        UV_PYTHON_DOWNLOADS="never",
        NO_COLOR="1",
    )
    return env


def _git_repo(folder: Path) -> Path:
    """A git repository holding one package: the source a wheelhouse cannot hold."""
    folder.mkdir()
    (folder / "pyproject.toml").write_text(
        PYPROJECT_IN_TREE.format(name="mygit", version="0.3", deps="")
    )
    (folder / "backend.py").write_text(BACKEND)
    (folder / "mygit").mkdir()
    (folder / "mygit" / "__init__.py").write_text("")
    git = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    return folder


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("fetch")
    files = root / "files"
    files.mkdir()
    made = build_files(files)
    index = Index(_index_pages(files, made))
    server, index.port = _serve(index.respond, index.connected)
    project = root / "project"
    project.mkdir()
    deps = '"alpha>=1", "beta", "gamma", "sdonly"'
    pyproject = PYPROJECT_IN_TREE.format(name="app", version="1.0.0", deps=deps)
    if shutil.which("git"):
        repo = _git_repo(root / "repo")
        pyproject += f'\n[project.optional-dependencies]\nvcs = ["mygit @ git+{repo.as_uri()}"]\n'
    (project / "pyproject.toml").write_text(pyproject)
    (project / "backend.py").write_text(BACKEND)
    (project / "app").mkdir()
    (project / "app" / "__init__.py").write_text("")
    cache = root / "uv-cache"
    result = subprocess.run(
        [uv_executable(), "lock", "--index-url", f"{index.url}/simple"],
        cwd=project,
        env=_uv_env(cache),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    yield World(index, project, files, made, cache)
    server.shutdown()


@pytest.fixture(autouse=True)
def _fresh_index(request: pytest.FixtureRequest) -> None:
    if "world" in request.fixturenames:
        request.getfixturevalue("world").server.reset()


def lockstrip(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    base["NETRC"] = os.devnull  # no netrc of the machine's
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "lockstrip", *map(str, args)],
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def fetched(dest: Path) -> set[str]:
    return {path.name for path in dest.iterdir()}


LINUX_312 = ("--python-version", "3.12", "--python-platform", "x86_64-manylinux_2_28")
WINDOWS_312 = ("--python-version", "3.12", "--python-platform", "windows")
MACOS_312 = ("--python-version", "3.12", "--python-platform", "macos")
COMMON = {"alpha-1.1-py3-none-any.whl", "gamma-0.5-py3-none-any.whl", "sdonly-0.1.tar.gz"}


# --- what is fetched ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (LINUX_312, {"beta-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"}),
        (WINDOWS_312, {"beta-2.0-cp312-cp312-win_amd64.whl", "winonly-1.0-py3-none-win_amd64.whl"}),
        (MACOS_312, {"beta-2.0-cp312-cp312-macosx_11_0_arm64.whl"}),
        (("--python-version", "3.13", "--python-platform", "linux"), {"beta-2.0-py3-none-any.whl"}),
    ],
    ids=["linux", "windows", "macos", "pure-fallback"],
)
def test_fetches_exactly_what_the_target_installs(
    world: World, tmp_path: Path, target: tuple[str, ...], expected: set[str]
) -> None:
    result = lockstrip("fetch", world.project, "--dest", tmp_path / "wheels", *target)
    assert result.returncode == 0, result.stderr
    assert fetched(tmp_path / "wheels") == COMMON | expected
    # one request per file, and nothing else: no index page, no metadata
    requests = world.server.counts
    assert set(requests) == {f"/files/{name}" for name in COMMON | expected}
    assert all(count == 1 for count in requests.values())
    assert "sdonly 0.1" in result.stderr and "build" in result.stderr
    for name in COMMON | expected:  # every file is the one the index holds, byte for byte
        assert (tmp_path / "wheels" / name).read_bytes() == (world.files / name).read_bytes()


def test_a_second_run_makes_no_request(world: World, tmp_path: Path) -> None:
    dest = tmp_path / "wheels"
    assert lockstrip("fetch", world.project, "--dest", dest, *LINUX_312).returncode == 0
    world.server.reset()
    again = lockstrip("fetch", world.project, "--dest", dest, *LINUX_312)
    assert again.returncode == 0, again.stderr
    assert world.server.counts == Counter()
    assert "fetched 0 files" in again.stderr and "4 already present" in again.stderr


def test_a_wrong_file_in_dest_is_fetched_again(world: World, tmp_path: Path) -> None:
    dest = tmp_path / "wheels"
    dest.mkdir()
    (dest / "alpha-1.1-py3-none-any.whl").write_bytes(b"not the wheel")
    result = lockstrip("fetch", world.project, "--dest", dest, *LINUX_312)
    assert result.returncode == 0, result.stderr
    assert world.server.counts["/files/alpha-1.1-py3-none-any.whl"] == 1
    wanted = (world.files / "alpha-1.1-py3-none-any.whl").read_bytes()
    assert (dest / "alpha-1.1-py3-none-any.whl").read_bytes() == wanted


def test_local_packages_are_skipped_and_git_sources_reported(world: World, tmp_path: Path) -> None:
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    result = lockstrip(
        "fetch", world.project, "--dest", tmp_path / "w", "--extra", "vcs", *LINUX_312
    )
    assert result.returncode == 0, result.stderr
    assert "git sources cannot go in a wheelhouse: mygit (" in result.stderr
    assert not any(name.startswith(("app", "mygit")) for name in fetched(tmp_path / "w"))


def test_an_export_folder_is_fetched_for_its_own_target(world: World, tmp_path: Path) -> None:
    out = tmp_path / "deps"
    assert lockstrip("export", world.project, "--out", out, *WINDOWS_312).returncode == 0
    result = lockstrip("fetch", out, "--dest", tmp_path / "w")  # no target: the export's
    assert result.returncode == 0, result.stderr
    assert fetched(tmp_path / "w") == COMMON | {
        "beta-2.0-cp312-cp312-win_amd64.whl",
        "winonly-1.0-py3-none-win_amd64.whl",
    }


def test_a_local_find_links_folder_is_copied(world: World, tmp_path: Path) -> None:
    project = tmp_path / "local"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "local"\nversion = "0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["alpha"]\n\n[tool.uv]\npackage = false\n'
    )
    locked = subprocess.run(
        [uv_executable(), "lock", "--offline", "--no-index", "--find-links", world.files],
        cwd=project,
        env=_uv_env(world.cache),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert locked.returncode == 0, locked.stderr
    assert "wheels = [\n    { path = " in (project / "uv.lock").read_text()  # and no hash
    for _ in range(2):  # then again: the copy is recognised, byte for byte
        result = lockstrip("fetch", project, "--dest", tmp_path / "w", *LINUX_312)
        assert result.returncode == 0, result.stderr
    assert "0 requests; 1 already present" in result.stderr
    wanted = (world.files / "alpha-1.1-py3-none-any.whl").read_bytes()
    assert (tmp_path / "w" / "alpha-1.1-py3-none-any.whl").read_bytes() == wanted


def test_a_package_without_a_fitting_artifact_fails(world: World, tmp_path: Path) -> None:
    target = ("--python-version", "3.12", "--python-platform", "aarch64-pc-windows-msvc")
    result = lockstrip("fetch", world.project, "--dest", tmp_path / "w", *target)
    assert result.returncode == 1
    assert "winonly 1.0: no wheel for this target and no sdist" in result.stderr
    assert "beta-2.0-py3-none-any.whl" in fetched(tmp_path / "w")  # the others are fetched


def test_bad_input_exits_2(world: World, tmp_path: Path) -> None:
    result = lockstrip(
        "fetch", world.project, "--dest", tmp_path / "w", "--python-platform", "beos"
    )
    assert result.returncode == 2
    assert "unknown platform 'beos'" in result.stderr


# --- failures -------------------------------------------------------------------------------

GAMMA = "/files/gamma-0.5-py3-none-any.whl"
BETA_LINUX = "/files/beta-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"


def test_a_hash_mismatch_leaves_no_file(world: World, tmp_path: Path) -> None:
    world.server.corrupt.add(GAMMA)
    dest = tmp_path / "wheels"
    result = lockstrip("fetch", world.project, "--dest", dest, *LINUX_312)
    assert result.returncode == 1
    assert f"gamma 0.5: {world.server.url}{GAMMA}: sha256 mismatch" in result.stderr
    assert "gamma-0.5-py3-none-any.whl" not in fetched(dest)
    assert not [name for name in fetched(dest) if name.endswith(".part")]
    assert fetched(dest) == COMMON - {"gamma-0.5-py3-none-any.whl"} | {BETA_LINUX[7:]}
    assert world.server.counts[GAMMA] == 1  # a wrong hash is not retried


def _summary_requests(result: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"with (\d+) requests", result.stderr)
    assert found, result.stderr
    return int(found.group(1))


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_are_retried_with_backoff(status: int, world: World, tmp_path: Path) -> None:
    world.server.fail[GAMMA] = 2
    world.server.status = status
    result = lockstrip("fetch", world.project, "--dest", tmp_path / "w", *LINUX_312)
    assert result.returncode == 0, result.stderr
    assert world.server.counts[GAMMA] == 3
    assert "gamma-0.5-py3-none-any.whl" in fetched(tmp_path / "w")
    # the count is of requests sent, retries included, as the server saw them
    assert _summary_requests(result) == sum(world.server.counts.values()) == 6
    times = [when for path, when in world.server.times if path == GAMMA]
    waits = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert waits[0] >= 0.25 and waits[1] >= 0.5  # BACKOFF, then twice as long


def test_a_server_error_on_every_attempt_fails_after_the_retries(
    world: World, tmp_path: Path
) -> None:
    world.server.fail[GAMMA] = 99
    world.server.status = 503
    dest = tmp_path / "w"
    result = lockstrip("fetch", world.project, "--dest", dest, "--retries", "2", *LINUX_312)
    assert result.returncode == 1
    assert "gamma 0.5: " in result.stderr and "HTTP 503" in result.stderr
    assert "(3 attempts)" in result.stderr
    assert world.server.counts[GAMMA] == 3
    assert _summary_requests(result) == sum(world.server.counts.values())


def test_a_cut_connection_is_retried(world: World, tmp_path: Path) -> None:
    world.server.cut[BETA_LINUX] = 1
    result = lockstrip("fetch", world.project, "--dest", tmp_path / "w", *LINUX_312)
    assert result.returncode == 0, result.stderr
    assert world.server.counts[BETA_LINUX] == 2
    assert (tmp_path / "w" / BETA_LINUX[7:]).read_bytes() == (
        world.files / BETA_LINUX[7:]
    ).read_bytes()


def test_a_rerun_completes_what_a_cut_run_left(world: World, tmp_path: Path) -> None:
    world.server.cut[BETA_LINUX] = 99
    dest = tmp_path / "wheels"
    first = lockstrip("fetch", world.project, "--dest", dest, "--retries", "1", *LINUX_312)
    assert first.returncode == 1
    assert "connection closed" in first.stderr and "(2 attempts)" in first.stderr
    assert fetched(dest) == COMMON  # nothing partial under any name, not even a .part
    world.server.reset()
    second = lockstrip("fetch", world.project, "--dest", dest, *LINUX_312)
    assert second.returncode == 0, second.stderr
    assert world.server.counts == Counter({BETA_LINUX: 1})
    assert fetched(dest) == COMMON | {BETA_LINUX[7:]}


@pytest.mark.parametrize("where", ["body", "headers"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_an_interrupted_fetch_leaves_no_partial_file(
    signum: int, where: str, world: World, tmp_path: Path
) -> None:
    """Interrupted while the server sends half a file, or nothing yet: it stops at once."""
    (world.server.stall if where == "body" else world.server.hold).add(BETA_LINUX)
    dest = tmp_path / "wheels"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    process = subprocess.Popen(
        [sys.executable, "-m", "lockstrip", "fetch", world.project, "--dest", dest, *LINUX_312],
        env={**env, "NETRC": os.devnull},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # the stalled download has its partial file and the server its request: interrupt
        while process.poll() is None and not (
            dest.is_dir() and any(dest.glob("*.part")) and world.server.counts[BETA_LINUX]
        ):
            time.sleep(0.001)
        time.sleep(0.2)  # the request is sent: the worker waits on its socket
        process.send_signal(signum)
        interrupted = time.monotonic()
        _, err = process.communicate(timeout=60)
        assert time.monotonic() - interrupted < 10  # not the 30 s read timeout
    finally:
        world.server.release.set()
        process.kill()
    assert process.returncode == 128 + signum, err
    assert err.endswith("lockstrip: interrupted\n") and "Traceback" not in err
    assert not [path.name for path in dest.iterdir() if path.name.startswith(".")]


def test_a_pipe_under_an_artifact_name_in_dest_is_replaced_not_read(
    world: World, tmp_path: Path
) -> None:
    """Without a size in the lock, only the hash tells a present file: a pipe is not one."""
    project = tmp_path / "project"
    shutil.copytree(world.project, project)
    lock = project / "uv.lock"
    lock.write_text(re.sub(r", size = \d+", "", lock.read_text()))
    dest = tmp_path / "wheels"
    dest.mkdir()
    os.mkfifo(dest / BETA_LINUX[7:])
    result = lockstrip("fetch", project, "--dest", dest, *LINUX_312)
    assert result.returncode == 0, result.stderr
    assert (dest / BETA_LINUX[7:]).read_bytes() == (world.files / BETA_LINUX[7:]).read_bytes()


# --- credentials and proxies ----------------------------------------------------------------


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _no_secret_anywhere(secret: str, result: subprocess.CompletedProcess[str], dest: Path) -> None:
    assert secret not in result.stdout + result.stderr
    for path in dest.rglob("*"):
        assert secret.encode() not in path.read_bytes()


def test_netrc_credentials_reach_the_server_and_nowhere_else(world: World, tmp_path: Path) -> None:
    world.server.auth = _basic("reader", "s3cret-netrc")
    dest = tmp_path / "wheels"
    denied = lockstrip("fetch", world.project, "--dest", dest, *LINUX_312)
    assert denied.returncode == 1 and "HTTP 401" in denied.stderr and "netrc" in denied.stderr
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login reader password s3cret-netrc\n")
    netrc.chmod(0o600)
    result = lockstrip(
        "fetch", world.project, "--dest", dest, *LINUX_312, env={"NETRC": str(netrc)}
    )
    assert result.returncode == 0, result.stderr
    assert world.server.authorizations[-1] == _basic("reader", "s3cret-netrc")
    _no_secret_anywhere("s3cret-netrc", result, dest)


def test_url_credentials_are_used_and_redacted(world: World, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(world.project, project, ignore=shutil.ignore_patterns(".venv"))
    lock = project / "uv.lock"
    url = world.server.url
    lock.write_text(lock.read_text().replace(url, url.replace("//", "//reader:url-pa55@")))
    world.server.auth = _basic("reader", "url-pa55")
    world.server.content.pop(GAMMA, None)  # a 404, so that an error prints its URL
    try:
        result = lockstrip("fetch", project, "--dest", tmp_path / "w", *LINUX_312)
    finally:
        world.server.content[GAMMA] = (world.files / GAMMA[7:]).read_bytes()
    assert result.returncode == 1
    assert "gamma 0.5: http://***@127.0.0.1:" in result.stderr and "HTTP 404" in result.stderr
    assert world.server.authorizations and set(world.server.authorizations) == {
        _basic("reader", "url-pa55")
    }
    _no_secret_anywhere("url-pa55", result, tmp_path / "w")


def test_http_proxy_is_honoured(world: World, tmp_path: Path) -> None:
    proxy = Proxy()
    try:
        via = {"HTTP_PROXY": f"http://127.0.0.1:{proxy.port}", "NO_PROXY": ""}
        result = lockstrip("fetch", world.project, "--dest", tmp_path / "a", *LINUX_312, env=via)
        assert result.returncode == 0, result.stderr
        assert proxy.count == len(COMMON) + 1 == sum(world.server.counts.values())
        bypass = {**via, "NO_PROXY": "127.0.0.1"}
        result = lockstrip("fetch", world.project, "--dest", tmp_path / "b", *LINUX_312, env=bypass)
        assert result.returncode == 0, result.stderr
        assert proxy.count == len(COMMON) + 1  # NO_PROXY: straight to the index
    finally:
        proxy.server.shutdown()


def test_url_credentials_go_through_an_http_proxy_in_a_header_only(
    world: World, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(world.project, project, ignore=shutil.ignore_patterns(".venv"))
    lock = project / "uv.lock"
    url = world.server.url
    lock.write_text(lock.read_text().replace(url, url.replace("//", "//reader:proxied-pa55@")))
    world.server.auth = _basic("reader", "proxied-pa55")
    proxy = Proxy()
    try:
        via = {"HTTP_PROXY": f"http://127.0.0.1:{proxy.port}", "NO_PROXY": ""}
        result = lockstrip("fetch", project, "--dest", tmp_path / "w", *LINUX_312, env=via)
    finally:
        proxy.server.shutdown()
    assert result.returncode == 0, result.stderr
    assert proxy.count == len(COMMON) + 1
    assert all(line.startswith(f"{url}/files/") for line in proxy.lines)  # no userinfo
    assert set(world.server.authorizations) == {_basic("reader", "proxied-pa55")}
    _no_secret_anywhere("proxied-pa55", result, tmp_path / "w")


def test_connections_are_kept_alive(world: World, tmp_path: Path) -> None:
    result = lockstrip("fetch", world.project, "--dest", tmp_path / "w", "--jobs", "1", *LINUX_312)
    assert result.returncode == 0, result.stderr
    assert sum(world.server.file_requests().values()) == len(COMMON) + 1
    assert world.server.connections == 1  # four files, one connection


def _moved(world: World, project: Path, prefix: str) -> None:
    """Rewrite the lock's file URLs to /moved/..., with `prefix` (userinfo) on the host."""
    lock = project / "uv.lock"
    url = world.server.url
    moved = url.replace("//", f"//{prefix}") + "/moved/"
    lock.write_text(lock.read_text().replace(f"{url}/files/", moved))


def test_credentials_follow_a_redirect_within_their_realm_only(
    world: World, tmp_path: Path
) -> None:
    """A redirect to another host (a presigned storage URL) gets no Authorization."""
    project = tmp_path / "project"
    shutil.copytree(world.project, project, ignore=shutil.ignore_patterns(".venv"))
    _moved(world, project, "reader:redirect-pa55@")
    storage = Index(world.server.content)
    server, storage.port = _serve(storage.respond)
    try:
        world.server.auth = _basic("reader", "redirect-pa55")  # /files/ here needs them
        for name in COMMON:
            world.server.redirect[f"/moved/{name}"] = f"/files/{name}"  # the same realm
        world.server.redirect[BETA_LINUX.replace("/files/", "/moved/")] = storage.url + BETA_LINUX
        result = lockstrip("fetch", project, "--dest", tmp_path / "w", *LINUX_312)
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert fetched(tmp_path / "w") == COMMON | {BETA_LINUX[7:]}
    assert storage.counts == Counter({BETA_LINUX: 1})
    assert storage.authorizations == []  # another realm: the index's password stays home
    assert (
        world.server.authorizations.count(_basic("reader", "redirect-pa55")) == 2 * len(COMMON) + 1
    )  # every request to the index's realm, redirects and their targets
    total = sum(world.server.counts.values()) + sum(storage.counts.values())
    assert _summary_requests(result) == total == 2 * (len(COMMON) + 1)
    _no_secret_anywhere("redirect-pa55", result, tmp_path / "w")


@pytest.fixture(scope="module")
def tls(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """The index again, over HTTPS with a self-signed certificate: (port, certificate)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server, port = _serve(world.server.respond, tls=context)
    yield port, cert
    server.shutdown()


def _over_https(world: World, tmp_path: Path, port: int) -> Path:
    project = tmp_path / "project"
    shutil.copytree(world.project, project, ignore=shutil.ignore_patterns(".venv"))
    lock = project / "uv.lock"
    lock.write_text(lock.read_text().replace(world.server.url, f"https://127.0.0.1:{port}"))
    return project


def test_https_through_a_connect_tunnel(
    world: World, tls: tuple[int, Path], tmp_path: Path
) -> None:
    port, cert = tls
    project = _over_https(world, tmp_path, port)
    proxy = Proxy()
    try:
        via = {"HTTPS_PROXY": f"http://tunnel:proxy-pa55@127.0.0.1:{proxy.port}", "NO_PROXY": ""}
        untrusted = lockstrip("fetch", project, "--dest", tmp_path / "a", *LINUX_312, env=via)
        assert untrusted.returncode == 1
        assert "TLS certificate not trusted" in untrusted.stderr
        assert "SSL_CERT_FILE" in untrusted.stderr and "attempt" not in untrusted.stderr
        assert proxy.tunnels == len(COMMON) + 1  # one per file: a refused certificate is final
        assert world.server.counts == Counter()

        proxy.tunnels = 0
        trusted = {**via, "SSL_CERT_FILE": str(cert)}
        args = ("fetch", project, "--dest", tmp_path / "b", "--jobs", "1", *LINUX_312)
        result = lockstrip(*args, env=trusted)
        assert result.returncode == 0, result.stderr
        assert fetched(tmp_path / "b") == COMMON | {BETA_LINUX[7:]}
        assert sum(world.server.file_requests().values()) == len(COMMON) + 1
        assert proxy.tunnels == 1 and proxy.count == 0  # one tunnel, kept alive, for all
        assert proxy.authorizations[-1] == _basic("tunnel", "proxy-pa55")
        _no_secret_anywhere("proxy-pa55", result, tmp_path / "b")

        world.server.reset()
        bypass = {**trusted, "NO_PROXY": "127.0.0.1"}
        result = lockstrip("fetch", project, "--dest", tmp_path / "c", *LINUX_312, env=bypass)
        assert result.returncode == 0, result.stderr
        assert proxy.tunnels == 1  # NO_PROXY: straight to the index
        assert sum(world.server.file_requests().values()) == len(COMMON) + 1
    finally:
        proxy.server.shutdown()


def test_an_unreadable_certificate_bundle_is_bad_input(
    world: World, tls: tuple[int, Path], tmp_path: Path
) -> None:
    project = _over_https(world, tmp_path, tls[0])
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("not a certificate")
    env = {"SSL_CERT_FILE": str(bundle)}
    result = lockstrip("fetch", project, "--dest", tmp_path / "w", *LINUX_312, env=env)
    assert result.returncode == 2, result.stderr
    assert f"{bundle}: cannot load" in result.stderr
    assert world.server.counts == Counter()


def test_uv_native_tls_uses_the_system_store_unless_a_bundle_is_named(tmp_path: Path) -> None:
    truststore = pytest.importorskip("truststore")
    from lockstrip.formats.uv.fetch.transport import _ssl_context

    assert isinstance(_ssl_context({"UV_NATIVE_TLS": "1"}), truststore.SSLContext)
    assert not isinstance(_ssl_context({}), truststore.SSLContext)
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("not a certificate")
    with pytest.raises(InputError, match="cannot load"):  # SSL_CERT_FILE wins, and is read
        _ssl_context({"UV_NATIVE_TLS": "1", "SSL_CERT_FILE": str(bundle)})


# --- requirements.txt and the offline install ---------------------------------------------


def _requirements(text: str) -> dict[str, tuple[str, list[str]]]:
    """name==version -> (marker, hashes)."""
    out: dict[str, tuple[str, list[str]]] = {}
    for block in text.split("\n"):
        if block and not block.startswith((" ", "#")):
            pin, _, marker = block.removesuffix(" \\").partition(" ; ")
            out[pin] = (marker, [])
        elif block.startswith("    --hash="):
            out[list(out)[-1]][1].append(block.split("=", 1)[1].removesuffix(" \\"))
    return out


def _sha(name: str, world: World) -> str:
    return "sha256:" + hashlib.sha256((world.files / name).read_bytes()).hexdigest()


def test_requirements_for_a_target_pin_the_chosen_artifact(world: World, tmp_path: Path) -> None:
    out = tmp_path / "deps"
    result = lockstrip("export", world.project, "--out", out, "--requirements", *WINDOWS_312)
    assert result.returncode == 0, result.stderr
    text = (out / "requirements.txt").read_text()
    pins = _requirements(text)
    assert (
        list(pins)
        == sorted(pins)
        == ["alpha==1.1", "beta==2.0", "gamma==0.5", "sdonly==0.1", "winonly==1.0"]
    )
    assert pins["beta==2.0"] == ("", [_sha("beta-2.0-cp312-cp312-win_amd64.whl", world)])
    assert pins["sdonly==0.1"] == ("", [_sha("sdonly-0.1.tar.gz", world)])
    assert " ; " not in text  # the target decided every marker
    check = lockstrip("check", world.project, "--out", out)
    assert check.returncode == 0, check.stdout + check.stderr


def test_universal_requirements_match_uv_export(world: World, tmp_path: Path) -> None:
    result = lockstrip("export", world.project, "--out", tmp_path / "deps", "--requirements")
    assert result.returncode == 0, result.stderr
    pins = _requirements((tmp_path / "deps" / "requirements.txt").read_text())
    assert pins["winonly==1.0"][0] == "sys_platform == 'win32'"
    assert sorted(pins["beta==2.0"][1]) == sorted(_sha(n, world) for n in world.made["beta"])
    uv = subprocess.run(
        [uv_executable(), "export", "--frozen", "--no-emit-project", "--no-header"],
        cwd=world.project,
        env={**_uv_env(world.cache), "UV_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert uv.returncode == 0, uv.stderr
    theirs = {pin: (marker, sorted(h)) for pin, (marker, h) in _requirements(uv.stdout).items()}
    assert {pin: (marker, sorted(h)) for pin, (marker, h) in pins.items()} == theirs


def test_offline_install_from_the_wheelhouse(world: World, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(world.project, project)
    wheels, deps = tmp_path / "wheels", tmp_path / "deps"
    result = lockstrip("fetch", project, "--dest", wheels)  # this interpreter and machine
    assert result.returncode == 0, result.stderr
    assert "beta-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl" in fetched(wheels)
    assert lockstrip("export", project, "--out", deps, "--requirements").returncode == 0
    world.server.reset()
    env = {**_uv_env(tmp_path / "empty-cache"), "UV_OFFLINE": "1"}
    del env["UV_PYTHON"]  # every command names its environment: the project's own .venv
    env.pop("VIRTUAL_ENV", None)
    python = project / ".venv" / "bin" / "python"

    def uv(*args: str | Path) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [uv_executable(), *map(str, args)],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done

    uv("venv", "-q", "--python", sys.executable, ".venv")
    requirements = deps / "requirements.txt"
    offline = ("--offline", "--no-index", "--find-links", wheels)
    uv("pip", "install", "--python", python, *offline, "-r", requirements)
    synced = uv("sync", "--locked", "--offline")
    assert "+ app==1.0.0" in synced.stderr and "+ alpha" not in synced.stderr
    imported = subprocess.run(
        [
            python,
            "-c",
            "import alpha, app, beta, gamma, sdonly; print(alpha.VERSION, beta.TAG, sdonly.TAG)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == [
        "1.1",
        "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "built",
    ]
    assert world.server.counts == Counter()  # the install asked the index for nothing


# --- the library: progress on a terminal --------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(world: World, tmp_path: Path) -> None:
    from lockstrip.environment.target import parse_target
    from lockstrip.formats.uv.fetch import fetch, find_credentials, plan_fetch
    from lockstrip.formats.uv.model.project import read_project

    project = read_project(world.project)
    target = parse_target("3.12", "linux")
    assert target is not None
    plan = plan_fetch(project, None, target)
    stream = _Terminal()
    result = fetch(plan, tmp_path / "w", find_credentials(project, {}), stream=stream)
    assert not result.failed and result.count("fetched") == len(plan.artifacts) == 4
    text = stream.getvalue()
    assert "\r\033[K[" in text and "4/4 files" in text
    assert "fetched 4 files" in text
