"""Where an artifact is, as the lock writes it: an http(s) URL or a local path. A URL's realm
decides where credentials may go; it travels without userinfo (`bare`, in a request line)
and is shown without it (`redact`, in messages)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

Realm = tuple[str, str, int]  # scheme, host, port: where credentials may be sent


def realm(url: str) -> Realm:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def local_path(location: str) -> Path:
    return Path(unquote(location.removeprefix("file://")))


def bare(url: str) -> str:
    """The URL without userinfo: credentials travel in a header, never in a request line."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path or "/", parts.query, ""))


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
