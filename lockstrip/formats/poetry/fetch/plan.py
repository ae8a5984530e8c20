"""What to fetch for a Poetry project: per package one install takes on the target, the file
the install picks (its name and hash, from poetry.lock) and the page that gives its URL.

The packages are `selection.select`'s; local ones (directory, file) are the project's own
and skipped; git sources cannot go in a wheelhouse and are reported; a `url` source names
its file's URL in the lock and is fetched from there, with no page.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from lockstrip.formats.poetry.fetch.sources import Pool, page_url, source_of
from lockstrip.formats.uv.fetch.urls import is_url, redact

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.poetry.model import Package, PoetryProject
    from lockstrip.formats.request import Scope

__all__ = ["Wanted", "Wants", "plan_files"]

#: What a file in a wheelhouse may be called: a wheel's or an sdist's name, no path.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!~-]*")


class Wanted(NamedTuple):
    """One file to put in the wheelhouse, before its URL is known."""

    package: str  # "name version", as messages name it
    filename: str
    hash: str  # "sha256:<hex>", from the lock
    page: str | None  # the index page listing it; None when `url` is already known
    url: str | None  # a `url` source's own URL
    sdist: bool


class Wants(NamedTuple):
    files: tuple[Wanted, ...]
    builds: tuple[str, ...]  # "name version" of packages only an sdist fits: the install builds
    git: tuple[str, ...]  # "name (URL)"
    unavailable: tuple[str, ...]  # "name version: why"


def best_file(package: Package, target: Target) -> tuple[str, str] | None:
    """(file name, hash) of what an install on `target` picks: the wheel ranking highest for
    its tags, else the sdist; None when the lock lists no file that fits."""
    from lockstrip.environment.target import best_artifact

    wheels = [{"filename": f, "hash": h} for f, h in package.files if f.endswith(".whl")]
    sdists = [{"filename": f, "hash": h} for f, h in package.files if not f.endswith(".whl")]
    table: dict[str, Any] = {"wheels": wheels}
    if sdists:
        table["sdist"] = sdists[0]
    best = best_artifact(table, target)
    return (best["filename"], best["hash"]) if best else None


def plan_files(project: PoetryProject, scope: Scope | None, target: Target, pool: Pool) -> Wants:
    """The files `poetry install` with this scope downloads on `target`."""
    from lockstrip.formats.poetry.selection import select

    found: dict[str, Wanted] = {}
    builds, git, unavailable = [], [], []
    for package in select(project, scope, target).packages:
        label = f"{package.name} {package.version}"
        kind = package.source.get("type")
        if package.local:
            continue
        if kind == "git":
            git.append(f"{package.name} ({redact(package.source.get('url', ''))})")
            continue
        best = best_file(package, target)
        if best is None:
            unavailable.append(f"{label}: no wheel for this target and no sdist in the lock")
            continue
        filename, digest = best
        algorithm, _, value = digest.lower().partition(":")
        if not _SAFE_NAME.fullmatch(filename):
            unavailable.append(f"{label}: the lock names its file {filename!r}, not a file name")
            continue
        if algorithm not in hashlib.algorithms_guaranteed or not value:
            unavailable.append(f"{label}: the lock's hash {digest!r} cannot verify a download")
            continue
        page = url = None
        if kind == "url":
            url = package.source.get("url", "")
            if not is_url(url):
                unavailable.append(f"{label}: its url source {url!r} is not an http(s) URL")
                continue
        else:
            try:
                page = page_url(source_of(package, pool), package.name)
            except ValueError as error:
                unavailable.append(f"{label}: {error}")
                continue
        sdist = not filename.endswith(".whl")
        wanted = Wanted(label, filename, f"{algorithm}:{value}", page, url, sdist)
        other = found.get(filename)
        if other is not None and other.hash != wanted.hash:
            unavailable.append(f"{label}: {filename} is also {other.package}'s, with another hash")
            continue
        if wanted.sdist:
            builds.append(label)
        found[filename] = wanted
    return Wants(tuple(found.values()), tuple(builds), tuple(git), tuple(unavailable))
