"""`lockstrip fetch` for Poetry: a wheelhouse of exactly the files one `poetry install` takes.

poetry.lock names each file and its sha256 but not its URL, so the URLs come from the
index: one page per project, from the source Poetry installs it from (`sources`), read as
PEP 691 JSON or PEP 503 HTML (`pages`). `plan` decides the files from the lock alone; the
downloads, hash checks, atomic renames, retries and the summary are the uv fetch's
(`formats/uv/fetch`), whose request count includes the pages.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

from lockstrip.formats.poetry.fetch.pages import Pages
from lockstrip.formats.poetry.fetch.plan import Wanted, Wants, plan_files
from lockstrip.formats.poetry.fetch.sources import PYPI, find_credentials, read_pool
from lockstrip.formats.uv.fetch import BACKOFF, JOBS, RETRIES, TIMEOUT, Artifact, Plan, fetch

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.poetry.fetch.pages import Link
    from lockstrip.formats.poetry.model import PoetryProject
    from lockstrip.formats.request import Scope
    from lockstrip.formats.uv.fetch import FetchResult

__all__ = ["fetch_project"]


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
    pages = Pages(credentials, jobs=jobs, retries=retries, timeout=timeout, backoff=backoff)
    # A file already in DEST with the lock's hash needs no URL: its page is not asked for.
    present = {w.filename for w in wants.files if _present(dest, w)}
    read = pages.read_all(
        w.page for w in wants.files if w.page is not None and w.filename not in present
    )
    plan = _plan(wants, read, target, dest, present)
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
    if wants.git:
        print(
            f"lockstrip: warning: git sources cannot go in a wheelhouse: {', '.join(wants.git)}. "
            "Build a wheel of each into the folder (pip wheel --no-deps -w DEST 'NAME @ "
            "git+URL'), or install them with network access (poetry install)",
            file=sys.stderr if stream is None else stream,
        )
    return result, plan


def _present(dest: Path, wanted: Wanted) -> bool:
    from lockstrip.formats.uv.fetch.download import _verified

    artifact = Artifact(wanted.package, "", wanted.filename, wanted.hash, None, wanted.sdist)
    return _verified(dest / wanted.filename, artifact)


def _plan(
    wants: Wants,
    read: Mapping[str, Mapping[str, Link] | str],
    target: Target,
    dest: Path,
    present: set[str],
) -> Plan:
    """The uv fetch's plan: each wanted file with the URL its page gives (a file already
    in `dest` with the right hash: its path there, which the download keeps as it is)."""
    from lockstrip.formats.uv.fetch.urls import redact

    artifacts, unavailable = [], list(wants.unavailable)
    for wanted in wants.files:
        url, size = wanted.url, None
        if wanted.filename in present:
            url = str(dest / wanted.filename)
        elif wanted.page is not None:
            page = read[wanted.page]
            if isinstance(page, str):
                unavailable.append(f"{wanted.package}: {redact(wanted.page)}: {page}")
                continue
            link = page.get(wanted.filename)
            if link is None:
                unavailable.append(
                    f"{wanted.package}: {wanted.filename} is not on {redact(wanted.page)}"
                )
                continue
            url, size = link.url, link.size
        assert url is not None  # a file without a page is a url source's
        artifacts.append(
            Artifact(wanted.package, url, wanted.filename, wanted.hash, size, wanted.sdist)
        )
    builds = tuple(b for b in wants.builds if any(a.package == b for a in artifacts))
    return Plan(target, tuple(artifacts), builds, (), tuple(unavailable))
