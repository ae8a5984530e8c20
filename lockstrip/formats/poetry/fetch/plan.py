"""What to fetch for a Poetry project: per package one install takes on the target, the file
the install picks (its name and hash, from poetry.lock) and the page that gives its URL.

The packages are `selection.select`'s; local ones (directory, file) are the project's own
and skipped; git sources cannot go in a wheelhouse and are reported; a `url` source names
its file's URL in the lock and is fetched from there, with no page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockstrip.formats.poetry.fetch.sources import Pool, page_url, source_of
from lockstrip.formats.uv.fetch.urls import is_url, redact
from lockstrip.formats.wheelhouse import Wanted, Wants, best_file, check_file

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.poetry.model import PoetryProject
    from lockstrip.formats.request import Scope

__all__ = ["Wanted", "Wants", "plan_files"]


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
        best = best_file(package.files, target)
        if best is None:
            unavailable.append(f"{label}: no wheel for this target and no sdist in the lock")
            continue
        filename, digest = best
        digest, why = check_file(filename, digest)
        if why is not None:
            unavailable.append(f"{label}: {why}")
            continue
        pages: tuple[str, ...] = ()
        url = None
        if kind == "url":
            url = package.source.get("url", "")
            if not is_url(url):
                unavailable.append(f"{label}: its url source {url!r} is not an http(s) URL")
                continue
        else:
            try:
                pages = (page_url(source_of(package, pool), package.name),)
            except ValueError as error:
                unavailable.append(f"{label}: {error}")
                continue
        sdist = not filename.endswith(".whl")
        wanted = Wanted(label, filename, digest, pages, url, sdist)
        other = found.get(filename)
        if other is not None and other.hash != wanted.hash:
            unavailable.append(f"{label}: {filename} is also {other.package}'s, with another hash")
            continue
        if wanted.sdist:
            builds.append(label)
        found[filename] = wanted
    return Wants(tuple(found.values()), tuple(builds), tuple(git), tuple(unavailable))
