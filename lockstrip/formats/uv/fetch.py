"""Download-only: fill a wheelhouse with exactly the artifacts one install takes from the lock.

The lock already names every file, its URL and its sha256, so nothing else is asked of an
index: no simple pages, no metadata, one request per file (`pip download` asks for an index
page per package and resolves again). Each file's hash is checked while it streams; the file
is written under a temporary name and renamed only once it matches, so DEST never holds a
partial or unverified file under an artifact's name, and a rerun fetches only what is missing.

Speed comes from the connections, not from the threads. Measured on 134 wheels from PyPI
(DESIGN.md): threads that each call `urlopen` took 13.6 s, because every request builds a new
TLS context (~33 ms of CPU) and a new connection; the same threads sharing one SSLContext and
keeping their connections open took 0.96 s. urllib3 (what pip vendors) does that pooling,
the proxies' CONNECT tunnels and the retries; lockstrip keeps what is its own: the plan, the
hash check while streaming, the credentials by index and realm, the request count. urllib3
is imported by this module only, so never on the digest path (docs/dependencies.md).
"""

from __future__ import annotations

import base64
import contextlib
import filecmp
import hashlib
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
import weakref
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from urllib3 import (
    HTTPConnectionPool,
    HTTPSConnectionPool,
    PoolManager,
    ProxyManager,
    Timeout,
    make_headers,
)
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)
from urllib3.util import Retry

from lockstrip import __version__
from lockstrip.errors import InputError, OutputError
from lockstrip.io.files import forget_temporary, track_temporary

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self
    from urllib3 import BaseHTTPResponse
    from urllib3.connectionpool import ConnectionPool

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
#: How urllib3 names a connection in its messages: "HTTPConnection(host=..., port=...): ".
_POOL_NAME = re.compile(r"[A-Za-z]*\(host=[^)]*\): ")


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


def _bare(url: str) -> str:
    """The URL without userinfo: credentials travel in a header, never in a request line."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path or "/", parts.query, ""))


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _ssl_context(environ: Mapping[str, str]) -> ssl.SSLContext:
    """The certificates to trust, by uv's rules: SSL_CERT_FILE (SSL_CERT_DIR) when set; the
    operating system's store through truststore when UV_NATIVE_TLS is set; else Python's."""
    cafile = environ.get("SSL_CERT_FILE") or None
    capath = environ.get("SSL_CERT_DIR") or None
    try:
        if cafile is None and capath is None and _truthy(environ.get("UV_NATIVE_TLS")):
            import truststore  # ~13 ms: only for those who ask for the system's store

            return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError) as error:
        raise InputError(cafile or capath or "SSL_CERT_FILE", f"cannot load: {error}") from None


class _Tally:
    """Requests and failed attempts of one artifact; the requests add up to the run's count."""

    def __init__(self, count: Callable[[], None], stop: threading.Event, backoff: float) -> None:
        self.count = count
        self.stop = stop
        self.backoff = backoff
        self.failures = 0


class _Attempts(Retry):
    """urllib3's retry budget for one artifact, which also counts and waits lockstrip's way.

    One budget covers what urllib3 retries (connection errors, timeouts, 429 and 5xx before
    a body) and what only lockstrip sees (a body cut short), so `--retries` means what it
    says. Every failed attempt goes through `increment`: urllib3's own calls pass `_pool`
    and are followed by another request, which is counted here. `sleep` waits `backoff`,
    then twice as long each time, and wakes at once when the run is interrupted.
    """

    def __init__(self, *args: Any, tally: _Tally, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tally = tally

    def new(self, **kw: Any) -> Self:
        return super().new(tally=self.tally, **kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        self.tally.failures += 1
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if _pool is not None:
            self.tally.count()
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        if self.tally.stop.wait(self.tally.backoff * 2 ** (len(self.history) - 1)):
            raise _Stop


class _Connections:
    """urllib3 pool managers: one for direct requests, one per proxy, over one SSLContext.

    urllib3 keeps the connections alive (`maxsize` per host: one per worker), tunnels HTTPS
    through a proxy with CONNECT and forwards HTTP to it. It does not read the environment,
    so the proxies and `NO_PROXY` are read here, as pip and uv read them. The context is
    built once, on the first HTTPS request: building one costs ~33 ms of CPU.

    Every connection the pools open is known here (their connection class reports it), so
    that an interrupt can shut down the socket a worker waits on, for headers or a body.
    """

    def __init__(
        self, jobs: int, timeout: float, environ: Mapping[str, str], stop: threading.Event
    ) -> None:
        self._jobs = jobs
        self._timeout = Timeout(connect=timeout, read=timeout)
        self._environ = environ
        self._stop = stop
        self._proxies = urllib.request.getproxies()
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._managers: dict[tuple[str, str | None], PoolManager] = {}
        self._live: weakref.WeakSet[HTTPConnection] = weakref.WeakSet()
        self._pools = self._pool_classes()

    def _pool_classes(self) -> dict[str, type[HTTPConnectionPool]]:
        """urllib3's pools, whose connections report here once connected."""
        connected = self._connected

        class Plain(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                connected(self)

        class Secure(HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                connected(self)

        class PlainPool(HTTPConnectionPool):
            ConnectionCls = Plain

        class SecurePool(HTTPSConnectionPool):
            ConnectionCls = Secure

        return {"http": PlainPool, "https": SecurePool}

    def _connected(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._live.add(connection)
        if self._stop.is_set():  # connected after the interrupt shut the others down
            _shut(connection)

    def manager(self, url: str) -> PoolManager:
        scheme, host, _ = _realm(url)
        proxy = None
        if scheme in self._proxies and not urllib.request.proxy_bypass(host):
            proxy = self._proxies[scheme]
            proxy = proxy if "://" in proxy else f"http://{proxy}"
        with self._lock:
            if (scheme, proxy) not in self._managers:
                self._managers[scheme, proxy] = self._new(scheme, proxy)
            return self._managers[scheme, proxy]

    def _new(self, scheme: str, proxy: str | None) -> PoolManager:
        options: dict[str, Any] = {"maxsize": self._jobs, "timeout": self._timeout}
        if scheme == "https":
            if self._context is None:
                self._context = _ssl_context(self._environ)
            options["ssl_context"] = self._context
        manager: PoolManager
        if proxy is None:
            manager = PoolManager(**options)
        else:
            parts = urlsplit(proxy)
            if parts.scheme not in ("http", "https"):
                raise _Fail(f"unsupported proxy scheme {parts.scheme!r} (http and https are)")
            if parts.username is not None:
                pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
                options["proxy_headers"] = make_headers(proxy_basic_auth=pair)
            manager = ProxyManager(_bare(proxy), **options)
        manager.pool_classes_by_scheme = self._pools
        return manager

    def close(self) -> None:
        with self._lock:
            for manager in self._managers.values():
                manager.clear()

    def interrupt(self) -> None:
        """Wake the workers waiting on a socket: an interrupt does not wait for the timeout.

        Called after the fetcher's `stop` is set; a connection made after this call is shut
        down as it connects (`_connected`)."""
        with self._lock:
            live = list(self._live)
        for connection in live:
            _shut(connection)


def _shut(connection: HTTPConnection) -> None:
    if connection.sock is not None:
        with contextlib.suppress(OSError):  # already closed
            connection.sock.shutdown(socket.SHUT_RDWR)


# --- one download --------------------------------------------------------------------------


class _Retry(Exception):
    """A failure that another attempt may not meet: a body cut short."""


class _Fail(Exception):
    """A failure another attempt would meet again: 404, a wrong hash; or the last attempt's."""


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
        jobs: int,
        retries: int,
        timeout: float,
        backoff: float,
    ) -> None:
        self.dest = dest
        self.credentials = credentials
        self.progress = progress
        self.retries = retries
        self.backoff = backoff
        self.stop = threading.Event()
        self.connections = _Connections(jobs, timeout, os.environ, self.stop)
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

    def _count(self) -> None:
        with self._count_lock:
            self.requests += 1

    def _attempts(self, artifact: Artifact, final: Path) -> Outcome:
        tally = _Tally(self._count, self.stop, self.backoff)
        retry = _Attempts(
            total=self.retries,
            connect=None,
            read=None,
            status=None,
            other=0,  # TLS and proxy refusals: another attempt meets them again
            redirect=None,  # followed by _open, which decides where credentials go
            status_forcelist=_RETRY_STATUSES,
            raise_on_status=False,  # the last 5xx is reported as such, with its attempts
            respect_retry_after_header=False,
            tally=tally,
        )
        while True:
            attempt = [retry]  # _open leaves the budget urllib3 returned with the response
            try:
                return Outcome(artifact, "fetched", self._download(artifact, final, attempt))
            except _Retry as error:
                try:
                    retry = attempt[0].increment("GET", error=ProtocolError(str(error)))
                except MaxRetryError:
                    raise _Fail(f"{error} ({_attempts_text(tally)})") from None
                retry.sleep()

    def _download(self, artifact: Artifact, final: Path, attempt: list[_Attempts]) -> int:
        """Stream into a temporary file beside `final`, verify, rename; the size written."""
        handle, temporary = tempfile.mkstemp(
            prefix=f".{artifact.filename}.", suffix=".part", dir=self.dest
        )
        track_temporary(Path(temporary))  # removed by the command line if this never ends
        done = False
        try:
            with os.fdopen(handle, "wb") as out, self._open(artifact, attempt) as body:
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
        while chunk := self._read(body, size):
            if self.stop.is_set():
                raise _Stop
            hasher.update(chunk)
            out.write(chunk)
            size += len(chunk)
            self.progress.advance(len(chunk))
        if self.stop.is_set():  # the interrupt shut the socket: the end is not the file's
            raise _Stop
        if artifact.size is not None and size < artifact.size:
            self.progress.advance(-size)
            raise _Retry(f"connection closed after {size} of {artifact.size} bytes")
        if expected and hasher.hexdigest() != expected:
            raise _Fail(
                f"{algorithm} mismatch: the lock says {expected}, the download is "
                f"{hasher.hexdigest()} ({size} bytes); the file was deleted"
            )
        return size

    def _read(self, body: _Body, size: int) -> bytes:
        try:
            return body.read(_CHUNK)
        except (OSError, HTTPError) as error:
            if self.stop.is_set():
                raise _Stop from None
            self.progress.advance(-size)
            if isinstance(error, ReadTimeoutError):
                raise _Retry("timed out") from None
            raise _Retry(f"connection closed after {size} bytes") from None

    @contextmanager
    def _open(self, artifact: Artifact, attempt: list[_Attempts]) -> Iterator[_Body]:
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
            response = self._request(url, artifact.location, attempt)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                response.drain_conn()
                response.release_conn()
                if not location:
                    raise _Fail(f"HTTP {response.status} without a Location")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                response.drain_conn()
                response.release_conn()
                raise _status_error(response, attempt[0].tally)
            try:
                if self.stop.is_set():  # the interrupt came while the headers did
                    raise _Stop
                yield response
            except BaseException:
                response.close()  # the body was not read to its end: not reused
                raise
            response.release_conn()
            return
        raise _Fail(f"more than {_REDIRECTS} redirects")

    def _request(self, url: str, original: str, attempt: list[_Attempts]) -> BaseHTTPResponse:
        """One GET through urllib3, which retries it within the artifact's budget."""
        self._count()
        try:
            response = self.connections.manager(url).urlopen(
                "GET",
                _bare(url),
                headers=self._headers(url, original),
                retries=attempt[0],
                redirect=False,
                preload_content=False,
                decode_content=False,  # the hash is of the file's bytes
            )
        except MaxRetryError as error:
            raise _Fail(_failure_text(error.reason, attempt[0].tally)) from None
        except (OSError, HTTPError) as error:  # not retried: urllib3 gives it back as is
            raise _Fail(_failure_text(error, attempt[0].tally)) from None
        if isinstance(response.retries, _Attempts):
            attempt[0] = response.retries
        return response

    def _headers(self, url: str, original: str) -> dict[str, str]:
        headers = {
            "User-Agent": f"lockstrip/{__version__}",
            "Accept-Encoding": "identity",  # the hash is of the file's bytes
        }
        # Credentials follow a redirect only within the lock URL's realm (as curl and uv
        # do): a presigned storage URL must not receive the index's password.
        same = _realm(url) == _realm(original)
        auth = self.credentials.header(original if same else url)
        if auth is not None:
            headers["Authorization"] = auth
        return headers


def _attempts_text(tally: _Tally) -> str:
    return f"{tally.failures} attempt{'s' if tally.failures != 1 else ''}"


def _status_error(response: BaseHTTPResponse, tally: _Tally) -> Exception:
    status = f"HTTP {response.status} {response.reason or ''}".strip()
    if response.status in _RETRY_STATUSES:  # urllib3 retried it until the budget ran out
        return _Fail(f"{status} ({_attempts_text(tally)})")
    if response.status in (401, 403):
        return _Fail(
            f"{status}: give credentials in ~/.netrc (or $NETRC), in the URL, or as "
            "UV_INDEX_<NAME>_USERNAME and _PASSWORD for a named index"
        )
    return _Fail(status)


def _failure_text(error: BaseException | None, tally: _Tally) -> str:
    """Why the last attempt failed, without a URL (a redirect's may carry a signed token)."""
    for cause in _causes(error):  # urllib3 wraps the socket's and the TLS layer's errors
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"TLS certificate not trusted ({cause.verify_message}); set SSL_CERT_FILE "
                "to the bundle that signs it, or UV_NATIVE_TLS=1 for the system's store"
            )
    if isinstance(error, ProxyError) and not isinstance(error.original_error, ConnectTimeoutError):
        return f"proxy refused the connection: {_describe(error.original_error)}"
    if isinstance(error, SSLError):
        return f"TLS error: {_describe(error)}"
    return f"{_describe(error)} ({_attempts_text(tally)})"


def _causes(error: BaseException | None) -> Iterator[BaseException]:
    """The error, then what it wraps: its cause, its context, an exception among its args."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        inner = [a for a in error.args if isinstance(a, BaseException)]
        error = error.__cause__ or error.__context__ or (inner[0] if inner else None)


def _describe(error: BaseException | None) -> str:
    """An error in words, without a URL."""
    if isinstance(error, (TimeoutError, ReadTimeoutError)) or (
        isinstance(error, ConnectTimeoutError) and not isinstance(error, NewConnectionError)
    ):
        return "timed out"
    if isinstance(error, ResponseError):
        return str(error)
    for cause in _causes(error):  # the socket's own words: "Connection refused"
        if isinstance(cause, OSError) and cause.strerror:
            return f"connection error: {cause.strerror}"
    if isinstance(error, ProtocolError) and len(error.args) > 1:
        return f"connection error: {error.args[1]}"
    text = _POOL_NAME.sub("", str(error) if error is not None else "")  # no host, port
    return f"connection error: {text or type(error).__name__}"


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
        jobs=max(1, jobs),
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
