"""What to fetch: the artifacts one install on a target takes from the lock, and what a
wheelhouse cannot hold (sdists that the install builds, git sources, packages without a file
for the target)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

from lockstrip.formats.uv.fetch.urls import is_url, redact

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope
    from lockstrip.formats.uv.model.lockfile import Package
    from lockstrip.formats.uv.model.project import Project


#: What a file in a wheelhouse may be called: a wheel's or an sdist's name, no path.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!~-]*")


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
    if is_url(location):
        try:  # uv keeps the lock's URLs as text; one that does not split cannot be fetched
            urlsplit(location).port  # noqa: B018 - raises on a port out of range
        except ValueError as error:
            raise ValueError(f"the lock's URL for it is not valid ({error})") from None
    name = table.get("filename")  # url, filename, hash and size: checked by parse_lock
    if name is None:
        path = urlsplit(location).path if is_url(location) else location
        name = unquote(path.replace("\\", "/").rpartition("/")[2])
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"the lock names its file {name!r}, which is not a file name")
    digest = (table.get("hash") or "").lower()
    algorithm, _, value = digest.partition(":")
    if algorithm not in hashlib.algorithms_guaranteed or not value:
        if is_url(location):  # never put a download in the wheelhouse that nothing vouches for
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
        if is_url(source.location):
            return urljoin(source.location.rstrip("/") + "/", path)
        return str(project.root / source.location / path)
    if source.kind == "url":
        return source.location.partition("#")[0]
    if source.kind == "path":
        return str(project.root / source.location)
    raise ValueError("the lock gives no URL or path for its file")
