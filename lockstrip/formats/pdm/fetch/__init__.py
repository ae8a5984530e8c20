"""`lockstrip fetch` for PDM: a wheelhouse of exactly the files one `pdm install` takes.

pdm.lock names each file and its hash, and its URL only in some locks (`static_urls`, the
4.0/4.2 generations, direct URLs). The other files' URLs come from the index: the page of
the package's project on the sources PDM looks on (`sources`), one request per page, a
later source's page only for files the earlier ones lack. `plan` decides the files from the
lock alone; the pages, the downloads, hash checks, atomic renames, retries and the summary
are shared with Poetry's fetch (`formats/wheelhouse`, which runs the uv fetch).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

from lockstrip.formats.pdm.fetch.plan import plan_files
from lockstrip.formats.pdm.fetch.sources import find_credentials, read_sources
from lockstrip.formats.uv.fetch import BACKOFF, JOBS, RETRIES, TIMEOUT
from lockstrip.formats.wheelhouse import fetch_wanted

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.pdm.model import PdmProject
    from lockstrip.formats.request import Scope
    from lockstrip.formats.uv.fetch import FetchResult, Plan

__all__ = ["AUTH_HINT", "fetch_project"]

AUTH_HINT = (
    "give credentials in the source's URL (`https://${USER}:${PASSWORD}@host/simple`, "
    "expanded from the environment), as its username and password, as PDM_PYPI_USERNAME and "
    "PDM_PYPI_PASSWORD for PyPI, or in ~/.netrc (or $NETRC)"
)


def fetch_project(
    project: PdmProject,
    scope: Scope | None,
    target: Target,
    dest: Path,
    *,
    jobs: int = JOBS,
    retries: int = RETRIES,
    timeout: float = TIMEOUT,
    backoff: float = BACKOFF,
    quiet: bool = False,
    stream: IO[str] | None = None,
    environ: Mapping[str, str] | None = None,
    pypi: str | None = None,
) -> tuple[FetchResult, Plan]:
    """Fill `dest`; the run's result and its plan (complete when neither lists a failure).

    `pypi` replaces PDM's default source (else `PDM_PYPI_URL`, else PyPI)."""
    sources = read_sources(project, environ, pypi)
    credentials = find_credentials(sources, environ)
    wants = plan_files(project, scope, target, sources)
    result, plan = fetch_wanted(
        wants,
        credentials,
        target,
        dest,
        jobs=jobs,
        retries=retries,
        timeout=timeout,
        backoff=backoff,
        quiet=quiet,
        stream=stream,
        auth_hint=AUTH_HINT,
    )
    if wants.vcs:
        print(
            "lockstrip: warning: version-control sources cannot go in a wheelhouse: "
            f"{', '.join(wants.vcs)}. Build a wheel of each into the folder (pip wheel "
            "--no-deps -w DEST 'NAME @ git+URL'), or install them with network access",
            file=sys.stderr if stream is None else stream,
        )
    return result, plan
