"""Download-only: fill a wheelhouse with exactly the artifacts one install takes from the lock.

The lock already names every file, its URL and its sha256, so nothing else is asked of an
index: no simple pages, no metadata, one request per file (`pip download` asks for an index
page per package and resolves again). Each file's hash is checked while it streams; the file
is written under a temporary name and renamed only once it matches, so DEST never holds a
partial or unverified file under an artifact's name, and a rerun fetches only what is missing.

Speed comes from the connections, not from the threads. Measured on 134 wheels from PyPI
(DESIGN.md): threads that each call `urlopen` took 13.6 s, because every request builds a new
TLS context (~33 ms of CPU) and a new connection; the same threads sharing one SSLContext and
keeping one connection per host open took 0.96 s. So each worker keeps its own
`http.client` connection per host, and they all share one SSLContext.

Only the standard library talks HTTP: lockstrip runs in build stages and hooks, where every
dependency is a download and an import.
"""

from __future__ import annotations

import base64
import contextlib
import filecmp
import hashlib
import http.client
import netrc
import os
import re
import socket
import ssl
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from lockstrip import __version__
from lockstrip.errors import InputError, OutputError
from lockstrip.io.files import forget_temporary, track_temporary

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope
    from lockstrip.formats.uv.model.lockfile import Package
    from lockstrip.formats.uv.model.project import Project

__all__ = [
    "Artifact",
    "Credentials",
    "FetchResult",
    "Outcome",
    "Plan",
    "fetch",
    "find_credentials",
    "plan_fetch",
    "redact",
    "summary",
]

#: Bytes read per call while streaming: large enough that hashing and writing, not Python
#: calls, take the time.
_CHUNK = 256 * 1024
#: Attempts after the first, for connection errors, timeouts, cut bodies, 5xx and 429.
RETRIES = 3
#: Seconds before the first retry; each further one waits twice as long.
BACKOFF = 0.25
#: Seconds a connection may stay silent before the attempt counts as failed.
TIMEOUT = 30.0
JOBS = 8
_REDIRECTS = 5
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: What a file in a wheelhouse may be called: a wheel's or an sdist's name, no path.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!~-]*")


# --- what to fetch -------------------------------------------------------------------------


class Artifact(NamedTuple):
    """One file to put in the wheelhouse."""

    package: str  # "name version", as messages name it
    location: str  # an http(s) URL (userinfo included, never shown) or a local file path
    filename: str
    hash: str  # "sha256:<hex>", as the lock writes it; "" for a local file without one
    size: int | None
    sdist: bool


class Plan(NamedTuple):
    """What one install on `target` takes from the lock, and what a wheelhouse cannot hold."""

    target: Target
    artifacts: tuple[Artifact, ...]
    #: "name version" of packages for which only an sdist fits: the install builds them.
    builds: tuple[str, ...]
    #: "name (URL)" of git sources: a wheelhouse holds files, not repositories.
    git: tuple[str, ...]
    #: "name version: why" of packages that cannot be fetched for this target.
    unavailable: tuple[str, ...]


def plan_fetch(project: Project, scope: Scope | None, target: Target) -> Plan:
    """The artifacts `uv sync --python-platform ... ` with this scope would download.

    Per package, the wheel that ranks highest for the target's tags, else the sdist (then
    the install builds it). Local packages (editable, virtual, directory) are the project's
    own and are skipped; git sources are reported, not fetched.
    """
    from lockstrip.environment.target import best_artifact
    from lockstrip.formats.request import Scope
    from lockstrip.formats.uv.selection.select import select

    selection = select(project, scope or Scope(), target.environment())
    found: dict[str, Artifact] = {}
    builds, git, unavailable = [], [], []
    for index in sorted(selection.packages):
        package = project.lock.packages[index]
        label = f"{package.name} {package.version or ''}".strip()
        if project.locals.is_local(package):
            continue
        if package.source.kind == "git":
            git.append(f"{package.name} ({redact(package.source.location)})")
            continue
        table = best_artifact(package.data, target)
        if table is None:
            unavailable.append(f"{label}: no wheel for this target and no sdist in the lock")
            continue
        try:
            artifact = _artifact(project, package, table, label)
        except ValueError as error:
            unavailable.append(f"{label}: {error}")
            continue
        other = found.get(artifact.filename)
        if other is not None and other.hash != artifact.hash:
            unavailable.append(
                f"{label}: {artifact.filename} is also {other.package}'s, with another hash"
            )
            continue
        if artifact.sdist:
            builds.append(label)
        found[artifact.filename] = artifact
    return Plan(target, tuple(found.values()), tuple(builds), tuple(git), tuple(unavailable))


def _artifact(project: Project, package: Package, table: Mapping[str, Any], label: str) -> Artifact:
    location = _location(project, package, table)
    if _is_url(location):
        try:  # uv keeps the lock's URLs as text; one that does not split cannot be fetched
            urlsplit(location).port  # noqa: B018 - raises on a port out of range
        except ValueError as error:
            raise ValueError(f"the lock's URL for it is not valid ({error})") from None
    name = table.get("filename")  # url, filename, hash and size: checked by parse_lock
    if name is None:
        path = urlsplit(location).path if _is_url(location) else location
        name = unquote(path.replace("\\", "/").rpartition("/")[2])
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"the lock names its file {name!r}, which is not a file name")
    digest = (table.get("hash") or "").lower()
    algorithm, _, value = digest.partition(":")
    if algorithm not in hashlib.algorithms_guaranteed or not value:
        if _is_url(location):  # never put a download in the wheelhouse that nothing vouches for
            raise ValueError("the lock has no hash for it, so a download cannot be verified")
        digest = ""  # a file of a local find-links folder: uv records no hash; it is copied
    size = table.get("size")
    return Artifact(
        package=label,
        location=location,
        filename=name,
        hash=digest,
        size=size,
        sdist=table is package.data.get("sdist"),
    )


def _location(project: Project, package: Package, table: Mapping[str, Any]) -> str:
    """Where an artifact is: its `url`; a `path` below a local registry; a url or path source."""
    source = package.source
    url: str | None = table.get("url")
    if url:
        return url
    path: str | None = table.get("path")
    if path and source.kind == "registry":
        if _is_url(source.location):
            return urljoin(source.location.rstrip("/") + "/", path)
        return str(project.root / source.location / path)
    if source.kind == "url":
        return source.location.partition("#")[0]
    if source.kind == "path":
        return str(project.root / source.location)
    raise ValueError("the lock gives no URL or path for its file")


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _local_path(location: str) -> Path:
    return Path(unquote(location.removeprefix("file://")))


def redact(url: str) -> str:
    """The URL without its userinfo: what messages show. Passwords never reach the output."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a URL that does not split: hide whatever precedes an `@`
        return re.sub(r"(://)[^/@]*@", r"\1***@", url)
    if not parts.username and not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


# --- credentials ---------------------------------------------------------------------------


Realm = tuple[str, str, int]  # scheme, host, port: where credentials may be sent


def _realm(url: str) -> Realm:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


class Credentials:
    """Basic credentials per realm, where uv looks for them, in uv's order.

    The URL's own userinfo first; then a named index's `UV_INDEX_<NAME>_USERNAME` and
    `_PASSWORD`, for its realm only; then netrc (`$NETRC`, else `~/.netrc`), by host. They
    go into an Authorization header and nowhere else: messages show URLs through `redact`.
    """

    def __init__(self, realms: Mapping[Realm, tuple[str, str]], rc: netrc.netrc | None) -> None:
        self._realms = dict(realms)
        self._netrc = rc

    def header(self, url: str) -> str | None:
        parts = urlsplit(url)
        pair: tuple[str, str] | None = None
        if parts.username is not None:
            pair = unquote(parts.username), unquote(parts.password or "")
        elif _realm(url) in self._realms:
            pair = self._realms[_realm(url)]
        elif self._netrc is not None and parts.hostname:
            found = self._netrc.authenticators(parts.hostname)
            if found is not None:
                pair = found[0], found[2] or ""
        if pair is None:
            return None
        token = base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode("ascii")
        return f"Basic {token}"


def _env_name(index: str) -> str:
    """uv's variable name for an index: upper case, every other character an underscore."""
    return re.sub(r"[^A-Z0-9]", "_", index.upper())


def find_credentials(project: Project, environ: Mapping[str, str] | None = None) -> Credentials:
    """The credentials for this project's downloads: its named indexes' variables, netrc."""
    env = os.environ if environ is None else environ
    realms: dict[Realm, tuple[str, str]] = {}
    # an array of tables, names and URLs strings that split: checked by project.read_files
    indexes = project.pyproject.get("tool", {}).get("uv", {}).get("index", [])
    for index in indexes:
        name, url = index.get("name"), index.get("url")
        if name is None or url is None or not _is_url(url):
            continue
        user = env.get(f"UV_INDEX_{_env_name(name)}_USERNAME")
        password = env.get(f"UV_INDEX_{_env_name(name)}_PASSWORD")
        if user is not None or password is not None:
            realms[_realm(url)] = (user or "", password or "")
    return Credentials(realms, _read_netrc(env))


def _read_netrc(env: Mapping[str, str]) -> netrc.netrc | None:
    path = Path(env["NETRC"]) if env.get("NETRC") else Path.home() / ".netrc"
    if not path.is_file():
        return None
    try:
        return netrc.netrc(str(path))
    except (netrc.NetrcParseError, OSError) as error:
        # The parser's message may quote the file; the file holds passwords, so say less.
        line = getattr(error, "lineno", None) or "?"
        raise InputError(path, f"cannot read netrc file: line {line}") from None


# --- connections ---------------------------------------------------------------------------


class _Route(NamedTuple):
    """Where a request goes: the origin, and the proxy in between (if any)."""

    scheme: str
    host: str
    port: int
    proxy: tuple[str, int, str | None] | None  # host, port, Proxy-Authorization


def _proxy_for(scheme: str, host: str, proxies: Mapping[str, str]) -> tuple[str, int, str | None]:
    """The proxy of HTTP(S)_PROXY for this origin; `NO_PROXY` is checked by the caller."""
    parts = urlsplit(proxies[scheme] if "://" in proxies[scheme] else f"http://{proxies[scheme]}")
    auth = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return parts.hostname or "", parts.port or 80, auth  # urllib's default, too


class _Connections:
    """Keep-alive connections per worker thread and route, over one shared SSLContext.

    One connection object serves one request at a time, so each thread keeps its own;
    reusing it saves the TCP and TLS handshakes that dominate small downloads.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._proxies = urllib.request.getproxies()

    def context(self) -> ssl.SSLContext:
        """One context for every TLS connection: building one costs ~33 ms of CPU."""
        with self._lock:
            if self._context is None:
                self._context = _ssl_context()
            return self._context

    def route(self, url: str) -> _Route:
        scheme, host, port = _realm(url)
        proxy = None
        if scheme in self._proxies and not urllib.request.proxy_bypass(host):
            proxy = _proxy_for(scheme, host, self._proxies)
        return _Route(scheme, host, port, proxy)

    def get(self, route: _Route) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection for `route`, and whether it was used before."""
        pool: dict[_Route, http.client.HTTPConnection] = self._local.__dict__.setdefault("pool", {})
        if route in pool:
            return pool[route], True
        connection = self._open(route)
        pool[route] = connection
        with self._lock:
            self._all.append(connection)
        return connection, False

    def discard(self, route: _Route) -> None:
        """Drop a connection in an unknown state (an error, an unread body)."""
        pool: dict[_Route, http.client.HTTPConnection] = self._local.__dict__.get("pool", {})
        connection = pool.pop(route, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()

    def interrupt(self) -> None:
        """Wake the workers waiting on a socket: an interrupt does not wait for the timeout.

        Called after the fetcher's `stop` is set; a worker checks `stop` once its request is
        sent, so a socket connected after this call is not waited on either."""
        with self._lock:
            for connection in self._all:
                if connection.sock is not None:
                    with contextlib.suppress(OSError):  # already closed
                        connection.sock.shutdown(socket.SHUT_RDWR)

    def _open(self, route: _Route) -> http.client.HTTPConnection:
        host, port = route.host, route.port
        if route.proxy is not None:
            host, port = route.proxy[0], route.proxy[1]
        if route.scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=self._timeout, context=self.context()
            )
            if route.proxy is not None:  # CONNECT through the proxy, then TLS to the origin
                auth = route.proxy[2]
                headers = {"Proxy-Authorization": auth} if auth else None
                connection.set_tunnel(route.host, route.port, headers=headers)
            return connection
        return http.client.HTTPConnection(host, port, timeout=self._timeout)


def _ssl_context() -> ssl.SSLContext:
    """The system's trust store, or the bundle in SSL_CERT_FILE (SSL_CERT_DIR), as in uv."""
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    try:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError) as error:
        raise InputError(cafile or capath or "SSL_CERT_FILE", f"cannot load: {error}") from None


# --- one download --------------------------------------------------------------------------


class _Retry(Exception):
    """A failure that another attempt may not meet: the network, the server's 5xx."""


class _Fail(Exception):
    """A failure another attempt would meet again: 404, a wrong hash."""


class _Stop(Exception):
    """The run is being interrupted."""


class _Body(Protocol):
    def read(self, amount: int) -> bytes: ...


class Outcome(NamedTuple):
    artifact: Artifact
    state: str  # "fetched", "present" or "failed"
    size: int
    message: str = ""


class FetchResult(NamedTuple):
    outcomes: tuple[Outcome, ...]
    seconds: float
    requests: int

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.state == "failed")

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)

    def size(self, state: str) -> int:
        return sum(o.size for o in self.outcomes if o.state == state)


class _Fetcher:
    """Downloads artifacts into `dest`; one instance serves every worker thread."""

    def __init__(
        self,
        dest: Path,
        credentials: Credentials,
        progress: _Progress,
        *,
        retries: int,
        timeout: float,
        backoff: float,
    ) -> None:
        self.dest = dest
        self.credentials = credentials
        self.progress = progress
        self.retries = retries
        self.backoff = backoff
        self.connections = _Connections(timeout)
        self.stop = threading.Event()
        self.requests = 0
        self._count_lock = threading.Lock()
        self._mode = 0o666 & ~_umask()

    def run(self, artifact: Artifact) -> Outcome:
        final = self.dest / artifact.filename
        try:
            if _verified(final, artifact):
                self.progress.advance(artifact.size or 0)
                return Outcome(artifact, "present", final.stat().st_size)
            return self._attempts(artifact, final)
        except _Fail as error:
            return Outcome(artifact, "failed", 0, str(error))
        except OSError as error:  # the wheelhouse itself: full disk, permissions
            return Outcome(artifact, "failed", 0, f"cannot write {final}: {error.strerror}")

    def _attempts(self, artifact: Artifact, final: Path) -> Outcome:
        for attempt in range(self.retries + 1):
            try:
                return Outcome(artifact, "fetched", self._download(artifact, final))
            except _Retry as error:
                if attempt == self.retries:
                    tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                    raise _Fail(f"{error} ({tries})") from None
                if self.stop.wait(self.backoff * 2**attempt):
                    raise _Fail("interrupted") from None
        raise AssertionError("unreachable")

    def _download(self, artifact: Artifact, final: Path) -> int:
        """Stream into a temporary file beside `final`, verify, rename; the size written."""
        handle, temporary = tempfile.mkstemp(
            prefix=f".{artifact.filename}.", suffix=".part", dir=self.dest
        )
        track_temporary(Path(temporary))  # removed by the command line if this never ends
        done = False
        try:
            with os.fdopen(handle, "wb") as out, self._open(artifact) as body:
                size = self._copy(artifact, body, out)
            os.chmod(temporary, self._mode)  # mkstemp makes it private; a wheelhouse is not
            os.replace(temporary, final)
            done = True
            return size
        finally:
            if not done:
                Path(temporary).unlink(missing_ok=True)
            forget_temporary(Path(temporary))

    def _copy(self, artifact: Artifact, body: _Body, out: IO[bytes]) -> int:
        algorithm, _, expected = artifact.hash.partition(":")
        hasher = hashlib.new(algorithm or "sha256")
        size = 0
        while chunk := self._read(body):
            if self.stop.is_set():
                raise _Stop
            hasher.update(chunk)
            out.write(chunk)
            size += len(chunk)
            self.progress.advance(len(chunk))
        if artifact.size is not None and size < artifact.size:
            self.progress.advance(-size)
            raise _Retry(f"connection closed after {size} of {artifact.size} bytes")
        if isinstance(body, http.client.HTTPResponse) and body.length:
            self.progress.advance(-size)
            raise _Retry(f"connection closed with {body.length} bytes unread")
        if expected and hasher.hexdigest() != expected:
            raise _Fail(
                f"{algorithm} mismatch: the lock says {expected}, the download is "
                f"{hasher.hexdigest()} ({size} bytes); the file was deleted"
            )
        return size

    def _read(self, body: _Body) -> bytes:
        try:
            return body.read(_CHUNK)
        except (OSError, http.client.HTTPException) as error:
            raise _Retry(_describe(error)) from None

    @contextmanager
    def _open(self, artifact: Artifact) -> Iterator[_Body]:
        if not _is_url(artifact.location):
            path = _local_path(artifact.location)
            try:
                handle = path.open("rb")
            except FileNotFoundError:
                raise _Fail(f"{path} does not exist") from None
            with handle:
                yield handle
            return
        url = artifact.location
        for _ in range(_REDIRECTS + 1):
            route, response = self._request(url, artifact.location)
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                self.connections.discard(route)
                if not location:
                    raise _Fail(f"HTTP {response.status} without a Location")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                self.connections.discard(route)
                raise _status_error(response)
            try:
                yield response
            except BaseException:
                self.connections.discard(route)  # the body was not read to its end
                raise
            if response.will_close or response.length:
                self.connections.discard(route)
            return
        raise _Fail(f"more than {_REDIRECTS} redirects")

    def _request(self, url: str, original: str) -> tuple[_Route, http.client.HTTPResponse]:
        """Send a GET on this thread's connection; a stale kept-alive one is replaced once."""
        route = self.connections.route(url)
        headers = self._headers(url, original, route)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if route.proxy is not None and route.scheme == "http":  # a proxy wants the whole URL
            host = parts.netloc.rpartition("@")[2]
            target = urlunsplit((parts.scheme, host, parts.path or "/", parts.query, ""))
        while True:
            connection, reused = self.connections.get(route)
            try:
                with self._count_lock:
                    self.requests += 1
                connection.request("GET", target, headers=headers)
                if self.stop.is_set():  # set before this socket was connected: not shut down
                    raise _Stop
                return route, connection.getresponse()
            except ssl.SSLCertVerificationError as error:
                self.connections.discard(route)
                raise _Fail(
                    f"TLS certificate not trusted ({error.verify_message}); "
                    "set SSL_CERT_FILE to the bundle that signs it"
                ) from None
            except (OSError, http.client.HTTPException) as error:
                self.connections.discard(route)
                if not reused:  # a kept-alive connection the server closed: retry at once
                    raise _Retry(_describe(error)) from None

    def _headers(self, url: str, original: str, route: _Route) -> dict[str, str]:
        headers = {
            "Host": urlsplit(url).netloc.rpartition("@")[2],
            "User-Agent": f"lockstrip/{__version__}",
            "Accept-Encoding": "identity",  # the hash is of the file's bytes
        }
        # Credentials follow a redirect only within the lock URL's realm (as curl and uv
        # do): a presigned storage URL must not receive the index's password.
        same = _realm(url) == _realm(original)
        auth = self.credentials.header(original if same else url)
        if auth is not None:
            headers["Authorization"] = auth
        if route.proxy is not None and route.proxy[2] and route.scheme == "http":
            headers["Proxy-Authorization"] = route.proxy[2]
        return headers


def _status_error(response: http.client.HTTPResponse) -> Exception:
    status = f"HTTP {response.status} {response.reason}".strip()
    if response.status in _RETRY_STATUSES:
        return _Retry(status)
    if response.status in (401, 403):
        return _Fail(
            f"{status}: give credentials in ~/.netrc (or $NETRC), in the URL, or as "
            "UV_INDEX_<NAME>_USERNAME and _PASSWORD for a named index"
        )
    return _Fail(status)


def _describe(error: BaseException) -> str:
    """An error in words, without a URL (a redirect's may carry a signed token)."""
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, http.client.IncompleteRead):
        return f"connection closed after {len(error.partial)} bytes"
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return f"connection error: {text}"


def _verified(path: Path, artifact: Artifact) -> bool:
    """Whether `path` already holds this artifact: the resumable part of a rerun."""
    if not artifact.hash:  # a local file without a hash: the same bytes as the original
        source = _local_path(artifact.location)
        return path.is_file() and source.is_file() and filecmp.cmp(path, source, shallow=False)
    if not path.is_file():  # missing, or a pipe or a device that reading could hang on
        return False
    algorithm, _, expected = artifact.hash.partition(":")
    hasher = hashlib.new(algorithm)
    try:
        if artifact.size is not None and path.stat().st_size != artifact.size:
            return False
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                hasher.update(chunk)
    except FileNotFoundError:
        return False
    return hasher.hexdigest() == expected


_umask_lock = threading.Lock()


def _umask() -> int:
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


# --- progress and summary ------------------------------------------------------------------


class _Progress:
    """A bar redrawn in place on a terminal; one line per finished file elsewhere (CI logs)."""

    def __init__(self, stream: IO[str], files: int, size: int, *, tty: bool, quiet: bool) -> None:
        self.stream = stream
        self.files = files
        self.total = size
        self.tty = tty and not quiet
        self.quiet = quiet
        self.done = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self._drawn = 0.0

    def advance(self, size: int) -> None:
        with self._lock:
            self.bytes += size
            if self.tty and time.monotonic() - self._drawn > 0.1:
                self._draw()

    def finish(self, outcome: Outcome) -> None:
        with self._lock:
            self.done += 1
            if self.tty:
                if outcome.state == "failed":
                    self._line(_failure(outcome))
                self._draw()
            elif outcome.state == "failed":
                self._line(_failure(outcome))
            elif outcome.state == "fetched" and not self.quiet:
                self._line(f"fetched {outcome.artifact.filename} ({_size(outcome.size)})")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.stream.flush()

    def _draw(self) -> None:
        self._drawn = time.monotonic()
        width = 30
        share = self.bytes / self.total if self.total else self.done / max(self.files, 1)
        filled = int(width * min(max(share, 0.0), 1.0))
        bar = "#" * filled + "-" * (width - filled)
        text = f"[{bar}] {self.done}/{self.files} files, {_size(self.bytes)}"
        self.stream.write(f"\r\033[K{text}")
        self.stream.flush()


def _failure(outcome: Outcome) -> str:
    artifact = outcome.artifact
    where = redact(artifact.location)
    return f"lockstrip: error: {artifact.package}: {where}: {outcome.message}"


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB"):
        if abs(value) < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _tags(target: Target) -> str:
    return f"CPython {target.python_version} on {target.platform}"


def summary(plan: Plan, result: FetchResult, dest: Path) -> list[str]:
    """What the run did, then what the wheelhouse lacks and what to do about it."""
    lines = [
        f"fetched {result.count('fetched')} files ({_size(result.size('fetched'))}) in "
        f"{result.seconds:.2f} s into {dest} with {result.requests} requests; "
        f"{result.count('present')} already present, {len(result.failed)} failed "
        f"({_tags(plan.target)})"
    ]
    if plan.builds:
        lines.append(
            f"lockstrip: warning: no wheel fits {_tags(plan.target)} for "
            f"{', '.join(plan.builds)}: their sdists were fetched, and installing them builds "
            "them. An offline install also needs their build backends (e.g. setuptools) in "
            "the folder; or build wheels now: pip wheel --no-deps --no-index -w DEST DEST/SDIST"
        )
    if plan.git:
        lines.append(
            f"lockstrip: warning: git sources cannot go in a wheelhouse: {', '.join(plan.git)}. "
            "Build a wheel of each into the folder (pip wheel --no-deps -w DEST 'NAME @ "
            "git+URL'), or install them with network access (uv sync --frozen)"
        )
    for problem in plan.unavailable:
        lines.append(f"lockstrip: error: {problem}")
    return lines


# --- the run -------------------------------------------------------------------------------


def fetch(
    plan: Plan,
    dest: Path,
    credentials: Credentials | None = None,
    *,
    jobs: int = JOBS,
    retries: int = RETRIES,
    timeout: float = TIMEOUT,
    backoff: float = BACKOFF,
    stream: IO[str] | None = None,
    quiet: bool = False,
) -> FetchResult:
    """Put every artifact of `plan` in `dest`, `jobs` at a time; report on `stream`.

    A file already in `dest` with the right hash is kept (no request). Failures do not stop
    the others; the result lists them.
    """
    out = sys.stderr if stream is None else stream
    _prepare(dest)
    started = time.monotonic()
    # Largest first: the long downloads start early and the small ones fill in around them.
    order = sorted(plan.artifacts, key=lambda a: (-(a.size or 0), a.filename))
    total = sum(a.size or 0 for a in order)
    tty = out.isatty() and os.environ.get("TERM") != "dumb"
    progress = _Progress(out, len(order), total, tty=tty, quiet=quiet)
    fetcher = _Fetcher(
        dest,
        credentials or Credentials({}, None),
        progress,
        retries=retries,
        timeout=timeout,
        backoff=backoff,
    )
    outcomes = _run_all(fetcher, order, max(1, jobs), progress.finish)
    progress.close()
    result = FetchResult(tuple(outcomes), time.monotonic() - started, fetcher.requests)
    for line in summary(plan, result, dest):
        if not quiet or line.startswith("lockstrip:"):
            print(line, file=out)
    return result


def _prepare(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise OutputError(dest, "exists and is not a folder")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(dest, f"cannot create the folder: {error.strerror}") from None
    if not os.access(dest, os.W_OK):
        raise OutputError(dest, "is not writable")


def _run_all(
    fetcher: _Fetcher, order: list[Artifact], jobs: int, done: Callable[[Outcome], None]
) -> list[Outcome]:
    """Run every download on a pool; an interrupt stops the workers and removes temp files."""

    def work(artifact: Artifact) -> Outcome:
        try:
            outcome = fetcher.run(artifact)
        except _Stop:
            outcome = Outcome(artifact, "failed", 0, "interrupted")
        done(outcome)
        return outcome

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="lockstrip-fetch")
    try:
        return list(pool.map(work, order))
    except BaseException:
        fetcher.stop.set()
        fetcher.connections.interrupt()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        fetcher.connections.close()
