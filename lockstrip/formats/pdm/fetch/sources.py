"""Where PDM looks for a locked package's files: the `[[tool.pdm.source]]` entries, PyPI, and
the credentials PDM reads for them.

PDM 2.29's rules (`Project.get_sources`, `Project.default_source`, `utils.filtered_sources`,
`_types.RepositoryConfig`, `environments/base.py` `get_finder`): the sources are the
declared ones by name (a later entry with the same name replaces an earlier one in its
place); a source named `pypi` is PyPI's, else PyPI is put first, at `PDM_PYPI_URL`
(`pypi.url`) or https://pypi.org/simple. A URL's `${VAR}` are expanded from the environment,
those in its user info quoted. `type = "find_links"` is one page listing files, any other
source a simple index. A package is looked for on the sources whose `include_packages`
match its name, when any do, else on every source whose `exclude_packages` do not; PDM's
finder takes the file whose hash the lock records from any of them, in their order.
Credentials: a source's `username`/`password`, else its URL's user info, PyPI's also from
`PDM_PYPI_USERNAME`/`PDM_PYPI_PASSWORD`, then netrc by host.

Sources from PDM's own configuration files (`pdm config`, pdm.toml) and keyring are not read.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from lockstrip.formats.pdm.model import PdmLockError, PdmProject, normalize
from lockstrip.formats.uv.fetch.credentials import Credentials, _read_netrc
from lockstrip.formats.uv.fetch.urls import Realm, is_url, realm

__all__ = ["PYPI", "Source", "find_credentials", "page_url", "read_sources", "sources_for"]

#: PDM's default `pypi.url`.
PYPI = "https://pypi.org/simple"
KINDS = ("index", "find_links")


class Source(NamedTuple):
    name: str
    url: str  # expanded
    kind: str  # one of KINDS
    include: tuple[str, ...]  # include_packages, normalized as PDM normalizes them
    exclude: tuple[str, ...]
    username: str | None
    password: str | None


def _pattern(pattern: str) -> str:
    return re.sub(r"[^A-Za-z0-9?*\[\]-]+", "-", pattern).lower()


def _expand(text: str, env: Mapping[str, str]) -> str:
    """PDM's `${VAR}` expansion: a missing variable is empty."""
    return re.sub(r"\$\{(.+?)\}", lambda m: env.get(m.group(1), ""), text)


def expand_url(url: str, env: Mapping[str, str]) -> str:
    """The URL as PDM uses it: `${VAR}` in the user info expanded and quoted, then every
    other `${VAR}` expanded as it is."""
    scheme, sep, rest = url.partition("://")
    if sep:
        netloc, slash, tail = rest.partition("/")
        if "@" in netloc:
            auth, _, host = netloc.rpartition("@")
            auth = re.sub(r"\$\{(.+?)\}", lambda m: quote(env.get(m.group(1), ""), ""), auth)
            url = f"{scheme}://{auth}@{host}{slash}{tail}"
    return _expand(url, env)


def _strings(value: Any, project: PdmProject, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PdmLockError(project.pyproject_path, "expected an array of strings", field=field)
    return tuple(value)


def _optional(value: Any, project: PdmProject, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise PdmLockError(project.pyproject_path, "expected a string", field=field)
    return value


def read_sources(
    project: PdmProject, environ: Mapping[str, str] | None = None, pypi: str | None = None
) -> tuple[Source, ...]:
    """The project's sources in PDM's order; `pypi` (else `PDM_PYPI_URL`, else PyPI) is where
    the default source points."""
    env = os.environ if environ is None else environ
    default = pypi or env.get("PDM_PYPI_URL") or PYPI
    found: dict[str, Source] = {}
    for i, entry in enumerate(project.declared.sources):
        where = f"tool.pdm.source[{i}]"
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise PdmLockError(
                project.pyproject_path, "expected the source's name", field=f"{where}.name"
            )
        kind = entry.get("type", "index")
        if kind not in KINDS:
            raise PdmLockError(
                project.pyproject_path, f"expected one of {', '.join(KINDS)}", field=f"{where}.type"
            )
        include = _strings(entry.get("include_packages", []), project, f"{where}.include_packages")
        exclude = _strings(entry.get("exclude_packages", []), project, f"{where}.exclude_packages")
        found[name] = Source(
            name,
            expand_url(entry["url"], env),
            kind,
            tuple(_pattern(p) for p in include),
            tuple(_pattern(p) for p in exclude),
            _optional(entry.get("username"), project, f"{where}.username"),
            _optional(entry.get("password"), project, f"{where}.password"),
        )
    pypi_user, pypi_password = env.get("PDM_PYPI_USERNAME"), env.get("PDM_PYPI_PASSWORD")
    if "pypi" in found:
        own = found["pypi"]
        found["pypi"] = own._replace(
            username=own.username if own.username is not None else pypi_user,
            password=own.password if own.password is not None else pypi_password,
        )
    elif env.get("PDM_IGNORE_STORED_INDEX", "").lower() not in ("1", "true", "yes", "on"):
        url = expand_url(default, env)
        found = {"pypi": Source("pypi", url, "index", (), (), pypi_user, pypi_password), **found}
    return tuple(found.values())


def sources_for(name: str, sources: tuple[Source, ...]) -> tuple[Source, ...]:
    """The sources PDM looks for package `name` on (`filtered_sources`)."""
    key = normalize(name)
    included = tuple(s for s in sources if any(fnmatch.fnmatch(key, p) for p in s.include))
    if included:
        return included
    return tuple(
        s
        for s in sources
        if not any(fnmatch.fnmatch(key, p) for p in s.include)
        and not any(fnmatch.fnmatch(key, p) for p in s.exclude)
    )


def page_url(source: Source, name: str) -> str:
    """The page listing `name`'s files on `source`; ValueError when it is no http(s) URL."""
    if not is_url(source.url):
        raise ValueError(f"source {source.name!r} is not an http(s) URL: {source.url!r}")
    if source.kind == "find_links":
        return source.url
    return f"{source.url.rstrip('/')}/{normalize(name)}/"


def find_credentials(
    sources: tuple[Source, ...], environ: Mapping[str, str] | None = None
) -> Credentials:
    """Basic credentials by realm: a source's username and password, else its URL's user
    info (which files listed on its pages share); then netrc by host."""
    env = os.environ if environ is None else environ
    realms: dict[Realm, tuple[str, str]] = {}
    for source in sources:
        if not is_url(source.url):
            continue
        if source.username is not None:
            realms[realm(source.url)] = (source.username, source.password or "")
            continue
        parts = urlsplit(source.url)
        if parts.username is not None:
            realms.setdefault(
                realm(source.url), (unquote(parts.username), unquote(parts.password or ""))
            )
    return Credentials(realms, _read_netrc(env))
