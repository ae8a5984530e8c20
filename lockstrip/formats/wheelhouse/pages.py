"""The index pages that give a lock's files their URLs: PEP 691 JSON when the index offers
it, PEP 503 HTML otherwise (a find-links page too), asked in one request per page (content
negotiation, as pip and uv ask), each page once per run.

poetry.lock and pdm.lock name each file and its hash but not always where it is; the page of
the package's project on its index lists the files with their URLs. The requests go through the same
urllib3 connections, proxies, TLS context, credentials and retry budget as the downloads
(`formats/uv/fetch`), and are counted with them.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from typing import Any, NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

from urllib3.exceptions import HTTPError, MaxRetryError

from lockstrip import __version__
from lockstrip.formats.uv.fetch.credentials import Credentials
from lockstrip.formats.uv.fetch.failures import failure_text, status_error
from lockstrip.formats.uv.fetch.outcome import Fail, Stop
from lockstrip.formats.uv.fetch.transport import RETRY_STATUSES, Attempts, Connections, Tally
from lockstrip.formats.uv.fetch.urls import bare

__all__ = ["ACCEPT", "Link", "Pages"]

_JSON = "application/vnd.pypi.simple.v1+json"
#: JSON first, then the HTML flavours, as pip asks.
ACCEPT = f"{_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
_REDIRECTS = 5


class Link(NamedTuple):
    url: str  # absolute, without its fragment
    size: int | None  # PEP 700's `size`, when the JSON page gives it


class Pages:
    """Reads index pages: `read_all` asks for each page once, `jobs` at a time."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        jobs: int,
        retries: int,
        timeout: float,
        backoff: float,
        auth_hint: str,
    ) -> None:
        self.credentials = credentials
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.auth_hint = auth_hint  # how the lock's tool is given credentials, for a 401
        self.jobs = max(1, jobs)
        self.stop = threading.Event()
        self.connections = Connections(self.jobs, timeout, os.environ, self.stop)
        self.requests = 0  # over every `read_all`
        self._lock = threading.Lock()

    def read_all(self, urls: Iterable[str]) -> dict[str, Mapping[str, Link] | str]:
        """Each page's files by name, or why the page could not be read."""
        unique = sorted(set(urls))
        if not unique:
            return {}
        self.connections = Connections(self.jobs, self.timeout, os.environ, self.stop)
        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="lockstrip-pages")
        try:
            return dict(zip(unique, pool.map(self._read, unique), strict=True))
        except BaseException:
            self.stop.set()
            self.connections.interrupt()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self.connections.close()

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def _read(self, url: str) -> Mapping[str, Link] | str:
        try:
            return self._page(url)
        except (Fail, Stop) as error:
            return str(error) or "interrupted"

    def _page(self, url: str) -> Mapping[str, Link]:
        tally = Tally(self._count, self.stop, self.backoff)
        retry = Attempts(
            total=self.retries,
            connect=None,
            read=None,
            status=None,
            other=0,
            redirect=_REDIRECTS,  # urllib3 drops Authorization when a redirect leaves the host
            status_forcelist=RETRY_STATUSES,
            raise_on_status=False,
            respect_retry_after_header=False,
            tally=tally,
        )
        headers = {"User-Agent": f"lockstrip/{__version__}", "Accept": ACCEPT}
        auth = self.credentials.header(url)
        if auth is not None:
            headers["Authorization"] = auth
        self._count()
        try:
            response = self.connections.manager(url).urlopen(
                "GET", bare(url), headers=headers, retries=retry, redirect=True
            )
        except MaxRetryError as error:
            raise Fail(failure_text(error.reason, tally)) from None
        except (OSError, HTTPError) as error:
            raise Fail(failure_text(error, tally)) from None
        if response.status in (401, 403):
            raise Fail(f"HTTP {response.status}: {self.auth_hint}")
        if response.status == 404:
            raise Fail("HTTP 404: the index has no such project")
        if response.status != 200:
            raise status_error(response, tally)
        base = urljoin(url, response.url or "")  # the redirected URL; urllib3 may give a path
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind == _JSON:
            return _from_json(response.data, base)
        return _from_html(response.data.decode("utf-8", "replace"), base)


def _from_json(data: bytes, base: str) -> dict[str, Link]:
    try:
        page: Any = json.loads(data)
        files = page["files"]
        found = {}
        for entry in files:
            name, url, size = entry["filename"], entry["url"], entry.get("size")
            if not isinstance(name, str) or not isinstance(url, str):
                raise TypeError
            found[name] = Link(urljoin(base, url).partition("#")[0], size)
        return found
    except (ValueError, KeyError, TypeError):
        raise Fail("the index page is not PEP 691 JSON") from None


class _Anchors(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "base" and href:
            self.base = urljoin(self.base, href)
        elif tag == "a" and href:
            self.hrefs.append(href)


def _from_html(text: str, base: str) -> dict[str, Link]:
    parser = _Anchors(base)
    parser.feed(text)
    found: dict[str, Link] = {}
    for href in parser.hrefs:
        url = urljoin(parser.base, href).partition("#")[0]
        name = unquote(urlsplit(url).path.rpartition("/")[2])
        if name:
            found.setdefault(name, Link(url, None))
    return found
