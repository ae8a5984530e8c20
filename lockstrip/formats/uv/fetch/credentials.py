"""The credentials of the downloads, found where uv looks for them: the URL's userinfo, a
named index's `UV_INDEX_<NAME>_USERNAME` and `_PASSWORD`, netrc."""

from __future__ import annotations

import base64
import netrc
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from lockstrip.errors import InputError
from lockstrip.formats.uv.fetch.urls import Realm, is_url, realm

if TYPE_CHECKING:
    from lockstrip.formats.uv.model.project import Project


class Credentials:
    """Basic credentials per realm, where uv looks for them, in uv's order.

    The URL's own userinfo first; then a named index's `UV_INDEX_<NAME>_USERNAME` and
    `_PASSWORD`, for its realm only; then netrc (`$NETRC`, else `~/.netrc`), by host. They
    go into an Authorization header and nowhere else: messages show URLs through `redact`.
    """

    def __init__(self, realms: Mapping[Realm, tuple[str, str]], rc: netrc.netrc | None) -> None:
        self._realms = dict(realms)
        self._netrc = rc

    def header(self, url: str) -> str | None:
        parts = urlsplit(url)
        pair: tuple[str, str] | None = None
        if parts.username is not None:
            pair = unquote(parts.username), unquote(parts.password or "")
        elif realm(url) in self._realms:
            pair = self._realms[realm(url)]
        elif self._netrc is not None and parts.hostname:
            found = self._netrc.authenticators(parts.hostname)
            if found is not None:
                pair = found[0], found[2] or ""
        if pair is None:
            return None
        token = base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode("ascii")
        return f"Basic {token}"


def _env_name(index: str) -> str:
    """uv's variable name for an index: upper case, every other character an underscore."""
    return re.sub(r"[^A-Z0-9]", "_", index.upper())


def find_credentials(project: Project, environ: Mapping[str, str] | None = None) -> Credentials:
    """The credentials for this project's downloads: its named indexes' variables, netrc."""
    env = os.environ if environ is None else environ
    realms: dict[Realm, tuple[str, str]] = {}
    # an array of tables, names and URLs strings that split: checked by project.read_files
    indexes = project.pyproject.get("tool", {}).get("uv", {}).get("index", [])
    for index in indexes:
        name, url = index.get("name"), index.get("url")
        if name is None or url is None or not is_url(url):
            continue
        user = env.get(f"UV_INDEX_{_env_name(name)}_USERNAME")
        password = env.get(f"UV_INDEX_{_env_name(name)}_PASSWORD")
        if user is not None or password is not None:
            realms[realm(url)] = (user or "", password or "")
    return Credentials(realms, _read_netrc(env))


def _read_netrc(env: Mapping[str, str]) -> netrc.netrc | None:
    path = Path(env["NETRC"]) if env.get("NETRC") else Path.home() / ".netrc"
    if not path.is_file():
        return None
    try:
        return netrc.netrc(str(path))
    except (netrc.NetrcParseError, OSError) as error:
        # The parser's message may quote the file; the file holds passwords, so say less.
        line = getattr(error, "lineno", None) or "?"
        raise InputError(path, f"cannot read netrc file: line {line}") from None
