"""A wheelhouse for a lock that names its files and hashes but not always their URLs
(poetry.lock, pdm.lock): what the formats share once each has decided its files.

A format plans `Wants`: per file its name, its hash, and either its URL or the index pages
that may list it, in the order its tool asks them. `fetch_wanted` reads those pages (`pages`:
PEP 691 JSON or PEP 503 HTML, one request per page, a later page only for files the earlier
ones lack), turns the files into the uv fetch's `Plan` and runs the uv fetch
(`formats/uv/fetch`): downloads, hash checks, atomic renames, retries, the summary, whose
request count includes the pages. A file already in DEST with the lock's hash needs no URL:
its pages are not asked for.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from lockstrip.formats.uv.fetch import Artifact, Plan, fetch
from lockstrip.formats.uv.fetch.urls import redact
from lockstrip.formats.wheelhouse.pages import Pages

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.uv.fetch import Credentials, FetchResult
    from lockstrip.formats.wheelhouse.pages import Link

__all__ = ["Wanted", "Wants", "best_file", "check_file", "fetch_wanted"]

#: What a lock may call a file: one path segment, no traversal.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!~-]*")


class Wanted(NamedTuple):
    """One file to put in the wheelhouse, before its URL is known."""

    package: str  # "name version", as messages name it
    filename: str
    hash: str  # "ALGORITHM:<hex>", from the lock
    pages: tuple[str, ...]  # the index pages that may list it, in order; () when `url` is known
    url: str | None  # the lock's own URL for it
    sdist: bool


class Wants(NamedTuple):
    files: tuple[Wanted, ...]
    builds: tuple[str, ...]  # "name version" of packages only an sdist fits: the install builds
    vcs: tuple[str, ...]  # "name (URL)": version-control sources, which no wheelhouse holds
    unavailable: tuple[str, ...]  # "name version: why"


def best_file(files: Iterable[tuple[str, str]], target: Target) -> tuple[str, str] | None:
    """(file name, hash) of what an install on `target` picks among (file name, hash) pairs:
    the wheel ranking highest for its tags, else the sdist; None when none fits."""
    from lockstrip.environment.target import best_artifact

    pairs = list(files)
    wheels = [{"filename": f, "hash": h} for f, h in pairs if f.endswith(".whl")]
    sdists = [{"filename": f, "hash": h} for f, h in pairs if not f.endswith(".whl")]
    table: dict[str, Any] = {"wheels": wheels}
    if sdists:
        table["sdist"] = sdists[0]
    best = best_artifact(table, target)
    return (best["filename"], best["hash"]) if best else None


def check_file(filename: str, digest: str) -> tuple[str, str | None]:
    """The hash as "algorithm:hex" and None, or why the lock's entry cannot be fetched."""
    algorithm, _, value = digest.lower().partition(":")
    if not _SAFE_NAME.fullmatch(filename):
        return "", f"the lock names its file {filename!r}, not a file name"
    if algorithm not in hashlib.algorithms_guaranteed or not value:
        return "", f"the lock's hash {digest!r} cannot verify a download"
    return f"{algorithm}:{value}", None


def fetch_wanted(
    wants: Wants,
    credentials: Credentials,
    target: Target,
    dest: Path,
    *,
    jobs: int,
    retries: int,
    timeout: float,
    backoff: float,
    quiet: bool,
    stream: IO[str] | None,
    auth_hint: str,
) -> tuple[FetchResult, Plan]:
    """Fill `dest` with `wants`; the run's result and its plan. `auth_hint` says how the
    lock's tool takes credentials, for a page that answers 401 or 403."""
    pages = Pages(
        credentials,
        jobs=jobs,
        retries=retries,
        timeout=timeout,
        backoff=backoff,
        auth_hint=auth_hint,
    )
    present = {w.filename for w in wants.files if _present(dest, w)}
    links = _find_links(pages, [w for w in wants.files if w.filename not in present])
    plan = _plan(wants, links, target, dest, present)
    result = fetch(
        plan,
        dest,
        credentials,
        jobs=jobs,
        retries=retries,
        timeout=timeout,
        backoff=backoff,
        stream=stream,
        quiet=quiet,
        requests=pages.requests,
    )
    return result, plan


def _present(dest: Path, wanted: Wanted) -> bool:
    from lockstrip.formats.uv.fetch.download import _verified

    artifact = Artifact(wanted.package, "", wanted.filename, wanted.hash, None, wanted.sdist)
    return _verified(dest / wanted.filename, artifact)


def _find_links(pages: Pages, wanted: list[Wanted]) -> dict[str, Link | str]:
    """Per file name its link, or why no page gave it. Each round reads the next page of
    the files still without a link, so a file on its first page costs one page request."""
    found: dict[str, Link | str] = {}
    read: dict[str, Mapping[str, Link] | str] = {}
    depth = max((len(w.pages) for w in wanted), default=0)
    for round_ in range(depth):
        todo = [w for w in wanted if len(w.pages) > round_ and not _linked(found, w)]
        read.update(pages.read_all(w.pages[round_] for w in todo if w.pages[round_] not in read))
        for w in todo:
            page = w.pages[round_]
            listing = read[page]
            if isinstance(listing, str):
                found.setdefault(w.filename, f"{redact(page)}: {listing}")
            elif w.filename in listing:
                found[w.filename] = listing[w.filename]
            else:
                found.setdefault(w.filename, f"{w.filename} is not on {redact(page)}")
    return found


def _linked(found: Mapping[str, Link | str], wanted: Wanted) -> bool:
    return not isinstance(found.get(wanted.filename, ""), str)


def _plan(
    wants: Wants,
    links: Mapping[str, Link | str],
    target: Target,
    dest: Path,
    present: set[str],
) -> Plan:
    """The uv fetch's plan: each wanted file with the URL its page gives (a file already
    in `dest` with the right hash: its path there, which the download keeps as it is)."""
    artifacts, unavailable = [], list(wants.unavailable)
    for wanted in wants.files:
        url, size = wanted.url, None
        if wanted.filename in present:
            url = str(dest / wanted.filename)
        elif url is None:
            link = links.get(wanted.filename, "no index page lists it")
            if isinstance(link, str):
                unavailable.append(f"{wanted.package}: {link}")
                continue
            url, size = link.url, link.size
        artifacts.append(
            Artifact(wanted.package, url, wanted.filename, wanted.hash, size, wanted.sdist)
        )
    builds = tuple(b for b in wants.builds if any(a.package == b for a in artifacts))
    return Plan(target, tuple(artifacts), builds, (), tuple(unavailable))
