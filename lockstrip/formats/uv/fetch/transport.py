"""The connections: urllib3's pools over one TLS context, the proxies of the environment, and
one retry budget per artifact that urllib3 and lockstrip share.

Speed comes from the connections, not from the threads. Measured on 134 wheels from PyPI
(DESIGN.md): threads that each call `urlopen` took 13.6 s, because every request builds a new
TLS context (~33 ms of CPU) and a new connection; the same threads sharing one SSLContext and
keeping their connections open took 0.96 s. urllib3 (what pip vendors) does that pooling,
the proxies' CONNECT tunnels and the retries.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import urllib.request
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from urllib3 import (
    HTTPConnectionPool,
    HTTPSConnectionPool,
    PoolManager,
    ProxyManager,
    Timeout,
    make_headers,
)
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util import Retry

from lockstrip.errors import InputError
from lockstrip.formats.uv.fetch.outcome import Fail, Stop
from lockstrip.formats.uv.fetch.urls import bare, realm

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self
    from urllib3 import BaseHTTPResponse
    from urllib3.connectionpool import ConnectionPool


RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


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


class Tally:
    """Requests and failed attempts of one artifact; the requests add up to the run's count."""

    def __init__(self, count: Callable[[], None], stop: threading.Event, backoff: float) -> None:
        self.count = count
        self.stop = stop
        self.backoff = backoff
        self.failures = 0


class Attempts(Retry):
    """urllib3's retry budget for one artifact, which also counts and waits lockstrip's way.

    One budget covers what urllib3 retries (connection errors, timeouts, 429 and 5xx before
    a body) and what only lockstrip sees (a body cut short), so `--retries` means what it
    says. Every failed attempt goes through `increment`: urllib3's own calls pass `_pool`
    and are followed by another request, which is counted here. `sleep` waits `backoff`,
    then twice as long each time, and wakes at once when the run is interrupted.
    """

    def __init__(self, *args: Any, tally: Tally, **kwargs: Any) -> None:
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
            raise Stop


class Connections:
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
        scheme, host, _ = realm(url)
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
                raise Fail(f"unsupported proxy scheme {parts.scheme!r} (http and https are)")
            if parts.username is not None:
                pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
                options["proxy_headers"] = make_headers(proxy_basic_auth=pair)
            manager = ProxyManager(bare(proxy), **options)
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
