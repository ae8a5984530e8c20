"""What to fetch for a PDM project: per package one `pdm install` takes on the target, the
file the install picks (its name and hash, from pdm.lock) and where its URL comes from.

The packages are `selection.select`'s; local ones (`path`) are the project's own and
skipped; version-control ones cannot go in a wheelhouse and are reported. A file whose
entry records its URL (`static_urls` locks, 4.0/4.2 locks, direct URLs) is fetched from
there, as PDM does; any other is looked for on the pages of the package's sources
(`sources.sources_for`), in PDM's order.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from lockstrip.formats.pdm.fetch.sources import Source, page_url, sources_for
from lockstrip.formats.uv.fetch.urls import is_url, redact
from lockstrip.formats.wheelhouse import Wanted, Wants, best_file, check_file

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.pdm.model import Package, PdmProject
    from lockstrip.formats.request import Scope

__all__ = ["plan_files"]


def _file_url(package: Package, filename: str) -> str | None:
    """The URL the lock gives the file: its own entry's, else a direct URL ending in it."""
    url = package.file_urls.get(filename)
    if url is None and package.url is not None:
        path = package.url.split("#", 1)[0].split("?", 1)[0]
        if posixpath.basename(path) == filename:
            url = package.url
    return url


def _pages(package: Package, sources: tuple[Source, ...]) -> tuple[tuple[str, ...], str | None]:
    """The pages that may list the package's files, or why there are none."""
    pages, why = [], None
    for source in sources_for(package.name, sources):
        try:
            pages.append(page_url(source, package.name))
        except ValueError as error:
            why = str(error)
    if pages:
        return tuple(pages), None
    return (), why or "no source of [[tool.pdm.source]] may serve it (include/exclude_packages)"


def plan_files(
    project: PdmProject, scope: Scope | None, target: Target, sources: tuple[Source, ...]
) -> Wants:
    """The files `pdm install` with this scope downloads on `target`."""
    from lockstrip.formats.pdm.selection import select

    found: dict[str, Wanted] = {}
    builds, vcs, unavailable = [], [], []
    for package in select(project, scope, target).packages:
        label = f"{package.name} {package.version}"
        if package.local:
            continue
        if package.vcs:
            kind = next(k for k in ("git", "hg", "svn", "bzr") if k in package.vcs)
            vcs.append(f"{package.name} ({kind}+{redact(package.vcs[kind])})")
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
        url = _file_url(package, filename)
        pages: tuple[str, ...] = ()
        if url is not None:
            if not is_url(url):
                unavailable.append(f"{label}: the lock's URL {redact(url)!r} is not http(s)")
                continue
        else:
            pages, why = _pages(package, sources)
            if why is not None:
                unavailable.append(f"{label}: {why}")
                continue
        sdist = not filename.endswith(".whl")
        wanted = Wanted(label, filename, digest, pages, url, sdist)
        other = found.get(filename)
        if other is not None and other.hash != wanted.hash:
            unavailable.append(f"{label}: {filename} is also {other.package}'s, with another hash")
            continue
        if other is not None:
            continue  # `foo` and `foo[extra]`: one file
        if wanted.sdist:
            builds.append(label)
        found[filename] = wanted
    return Wants(tuple(found.values()), tuple(builds), tuple(vcs), tuple(unavailable))
