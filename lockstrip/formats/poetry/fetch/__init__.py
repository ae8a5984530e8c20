"""`lockstrip fetch` for Poetry: a wheelhouse of exactly the files one `poetry install` takes.

poetry.lock names each file and its sha256 but not its URL, so the URLs come from the
index: one page per project, from the source Poetry installs it from (`sources`). `plan`
decides the files from the lock alone; reading the pages and the downloads, hash checks,
atomic renames, retries and the summary are shared (`formats/wheelhouse`, which runs the uv
fetch), and the request count includes the pages.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

from lockstrip.formats.poetry.fetch.plan import plan_files
from lockstrip.formats.poetry.fetch.sources import PYPI, find_credentials, read_pool
from lockstrip.formats.uv.fetch import BACKOFF, JOBS, RETRIES, TIMEOUT
from lockstrip.formats.wheelhouse import fetch_wanted

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.poetry.model import PoetryProject
    from lockstrip.formats.request import Scope
    from lockstrip.formats.uv.fetch import FetchResult, Plan

__all__ = ["AUTH_HINT", "fetch_project"]

AUTH_HINT = (
    "give credentials as POETRY_HTTP_BASIC_<NAME>_USERNAME and _PASSWORD for the source, "
    "in its URL, or in ~/.netrc (or $NETRC)"
)


def fetch_project(
    project: PoetryProject,
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
    pypi: str = PYPI,
) -> tuple[FetchResult, Plan]:
    """Fill `dest`; the run's result and its plan (complete when neither lists a failure).

    `pypi` is PyPI's simple API: where packages without a source in the lock come from."""
    pool = read_pool(project, pypi)
    credentials = find_credentials(pool, environ)
    wants = plan_files(project, scope, target, pool)
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
            f"lockstrip: warning: git sources cannot go in a wheelhouse: {', '.join(wants.vcs)}. "
            "Build a wheel of each into the folder (pip wheel --no-deps -w DEST 'NAME @ "
            "git+URL'), or install them with network access (poetry install)",
            file=sys.stderr if stream is None else stream,
        )
    return result, plan
