"""Where Poetry installs a locked package from: the `[[tool.poetry.source]]` entries in
Poetry's order, PyPI when Poetry keeps it, and the credentials Poetry reads for them.

Poetry's rules (`factory.create_pool`, `repositories/repository_pool.py` and
`installation/chooser.py` of Poetry 2.5.1 and 1.8.5): sources are ordered by priority
(`primary`, `supplemental`, `explicit`; Poetry 1.8 also `default` before `primary` and
`secondary` after it, or the booleans `default = true`/`secondary = true`), stable within
one priority. PyPI joins the pool as a primary source unless a `primary` or `default` source
is declared (or a source named `pypi` puts it elsewhere). An install then takes each package
from one source: the one its lock entry names (`[package.source] type = "legacy"`,
`reference = NAME`), else PyPI when the pool has it, else the first non-explicit source.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from lockstrip.formats.poetry.model import Package, PoetryLockError, PoetryProject, normalize
from lockstrip.formats.uv.fetch.credentials import Credentials, _read_netrc
from lockstrip.formats.uv.fetch.urls import Realm, is_url, realm

__all__ = ["PYPI", "Pool", "Source", "find_credentials", "page_url", "read_pool", "source_of"]

#: PyPI's simple API.
PYPI = "https://pypi.org/simple/"

#: Poetry's priorities, highest first (1.8's deprecated `default` and `secondary` included).
PRIORITIES = ("default", "primary", "secondary", "supplemental", "explicit")


class Source(NamedTuple):
    name: str  # as declared; Poetry compares names without case
    url: str  # a simple index's root, or one page listing files (a URL ending in .html)
    priority: str  # one of PRIORITIES


class Pool(NamedTuple):
    sources: tuple[Source, ...]  # in Poetry's order, explicit ones last; PyPI among them

    def named(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.name.lower() == name.lower()), None)


def read_pool(project: PoetryProject, pypi: str = PYPI) -> Pool:
    """The project's sources in Poetry's order; `pypi` is PyPI's simple API."""
    path = project.pyproject_path
    declared = project.pyproject.get("tool", {}).get("poetry", {}).get("source", [])
    if not isinstance(declared, list):
        raise PoetryLockError(path, "expected an array of tables", field="tool.poetry.source")
    found: list[Source] = []
    for i, entry in enumerate(declared):
        where = f"tool.poetry.source[{i}]"
        if not isinstance(entry, dict):
            raise PoetryLockError(path, "expected a table", field=where)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise PoetryLockError(path, "expected the source's name", field=f"{where}.name")
        url = entry.get("url")
        if name.lower() == "pypi":
            url = pypi
        elif not isinstance(url, str) or not is_url(url):
            raise PoetryLockError(path, "expected an http(s) URL", field=f"{where}.url")
        priority = entry.get("priority", "primary")
        if entry.get("default") is True:
            priority = "default"
        elif entry.get("secondary") is True:
            priority = "secondary"
        if not isinstance(priority, str) or priority.lower() not in PRIORITIES:
            known = ", ".join(PRIORITIES)
            raise PoetryLockError(path, f"expected one of {known}", field=f"{where}.priority")
        found.append(Source(name, url, priority.lower()))
    names = {s.name.lower() for s in found}
    if "pypi" not in names and not {"default", "primary"} & {s.priority for s in found}:
        found.append(Source("PyPI", pypi, "primary"))
    found.sort(key=lambda s: PRIORITIES.index(s.priority))
    return Pool(tuple(found))


def source_of(package: Package, pool: Pool) -> Source:
    """The source an install takes `package` from (a package on an index); ValueError says
    why there is none."""
    name = package.source_name
    if name is not None:
        source = pool.named(name)
        if source is not None:
            return source
        url = package.source.get("url")
        if url and is_url(url):  # a source from Poetry's own configuration: the lock's URL
            return Source(name, url, "explicit")
        raise ValueError(f"its source {name!r} is not in [[tool.poetry.source]]")
    pypi = pool.named("pypi")
    if pypi is not None:
        return pypi
    for source in pool.sources:
        if source.priority != "explicit":
            return source
    raise ValueError("every source is explicit, so Poetry has none to take it from")


def page_url(source: Source, name: str) -> str:
    """The simple page listing `name`'s files: `<url>/<name>/`, or the source's one page."""
    if re.match(r".*\.(htm|html)$", source.url):  # Poetry's single-page repository
        return source.url
    return f"{source.url.rstrip('/')}/{normalize(name)}/"


def _env_name(name: str) -> str:
    """Poetry's setting `http-basic.<name>.username` as a variable: upper case, `-` -> `_`."""
    return name.upper().replace("-", "_")


def find_credentials(pool: Pool, environ: Mapping[str, str] | None = None) -> Credentials:
    """Basic credentials by realm: a source's `POETRY_HTTP_BASIC_<NAME>_USERNAME` and
    `_PASSWORD`, else the userinfo of its URL (which files listed on its pages share); then
    netrc by host, as the requests library under Poetry reads it."""
    env = os.environ if environ is None else environ
    realms: dict[Realm, tuple[str, str]] = {}
    for source in pool.sources:
        user = env.get(f"POETRY_HTTP_BASIC_{_env_name(source.name)}_USERNAME")
        password = env.get(f"POETRY_HTTP_BASIC_{_env_name(source.name)}_PASSWORD")
        if user is not None or password is not None:
            realms[realm(source.url)] = (user or "", password or "")
            continue
        parts = urlsplit(source.url)
        if parts.username is not None:
            realms.setdefault(
                realm(source.url), (unquote(parts.username), unquote(parts.password or ""))
            )
    return Credentials(realms, _read_netrc(env))
