"""Why a request failed, in words and without a URL: urllib3's errors, the socket's and the
TLS layer's they wrap, and the statuses urllib3 gives back."""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING

from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)

from lockstrip.formats.uv.fetch.outcome import Fail
from lockstrip.formats.uv.fetch.transport import RETRY_STATUSES, Tally

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse


#: How urllib3 names a connection in its messages: "HTTPConnection(host=..., port=...): ".
_POOL_NAME = re.compile(r"[A-Za-z]*\(host=[^)]*\): ")


def attempts_text(tally: Tally) -> str:
    return f"{tally.failures} attempt{'s' if tally.failures != 1 else ''}"


def status_error(response: BaseHTTPResponse, tally: Tally) -> Exception:
    status = f"HTTP {response.status} {response.reason or ''}".strip()
    if response.status in RETRY_STATUSES:  # urllib3 retried it until the budget ran out
        return Fail(f"{status} ({attempts_text(tally)})")
    if response.status in (401, 403):
        return Fail(
            f"{status}: give credentials in ~/.netrc (or $NETRC), in the URL, or as "
            "UV_INDEX_<NAME>_USERNAME and _PASSWORD for a named index"
        )
    return Fail(status)


def failure_text(error: BaseException | None, tally: Tally) -> str:
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
    return f"{_describe(error)} ({attempts_text(tally)})"


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
