"""Download-only: fill a wheelhouse with exactly the artifacts one install takes from the lock.

The lock already names every file, its URL and its sha256, so nothing else is asked of an
index: no simple pages, no metadata, one request per file (`pip download` asks for an index
page per package and resolves again). Each file's hash is checked while it streams; the file
is written under a temporary name and renamed only once it matches, so DEST never holds a
partial or unverified file under an artifact's name, and a rerun fetches only what is missing.

One concern a module: `plan` (what to fetch), `credentials` (by index and realm, netrc),
`transport` (urllib3's pools, proxies, TLS context and retry budget), `failures` (its errors
in words), `download` (one artifact: streamed, verified, renamed), `progress` (the bar and
the summary), `urls` (locations, realms, redaction); `fetch` here runs them. urllib3 (what
pip vendors) does the pooling, the proxies' CONNECT tunnels and the retries; lockstrip keeps
what is its own: the plan, the hash check while streaming, the credentials by index and
realm, the request count. urllib3 is imported by this subpackage only, so never on the
digest path (docs/dependencies.md).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from lockstrip.errors import OutputError
from lockstrip.formats.uv.fetch.credentials import Credentials, find_credentials
from lockstrip.formats.uv.fetch.download import Fetcher
from lockstrip.formats.uv.fetch.outcome import FetchResult, Outcome, Stop
from lockstrip.formats.uv.fetch.plan import Artifact, Plan, plan_fetch
from lockstrip.formats.uv.fetch.progress import Progress, summary
from lockstrip.formats.uv.fetch.urls import redact

__all__ = [
    "Artifact",
    "Credentials",
    "FetchResult",
    "Outcome",
    "Plan",
    "fetch",
    "find_credentials",
    "plan_fetch",
    "redact",
    "summary",
]


#: Attempts after the first, for connection errors, timeouts, cut bodies, 5xx and 429.
RETRIES = 3
#: Seconds before the first retry; each further one waits twice as long.
BACKOFF = 0.25
#: Seconds a connection may stay silent before the attempt counts as failed.
TIMEOUT = 30.0
JOBS = 8


def fetch(
    plan: Plan,
    dest: Path,
    credentials: Credentials | None = None,
    *,
    jobs: int = JOBS,
    retries: int = RETRIES,
    timeout: float = TIMEOUT,
    backoff: float = BACKOFF,
    stream: IO[str] | None = None,
    quiet: bool = False,
    requests: int = 0,
) -> FetchResult:
    """Put every artifact of `plan` in `dest`, `jobs` at a time; report on `stream`.

    A file already in `dest` with the right hash is kept (no request). Failures do not stop
    the others; the result lists them. `requests` were made before to make the plan (index
    pages, when the lock has no URLs); the result's count includes them.
    """
    out = sys.stderr if stream is None else stream
    _prepare(dest)
    started = time.monotonic()
    # Largest first: the long downloads start early and the small ones fill in around them.
    order = sorted(plan.artifacts, key=lambda a: (-(a.size or 0), a.filename))
    total = sum(a.size or 0 for a in order)
    tty = out.isatty() and os.environ.get("TERM") != "dumb"
    progress = Progress(out, len(order), total, tty=tty, quiet=quiet)
    fetcher = Fetcher(
        dest,
        credentials or Credentials({}, None),
        progress,
        jobs=max(1, jobs),
        retries=retries,
        timeout=timeout,
        backoff=backoff,
    )
    outcomes = _run_all(fetcher, order, max(1, jobs), progress.finish)
    progress.close()
    result = FetchResult(tuple(outcomes), time.monotonic() - started, requests + fetcher.requests)
    for line in summary(plan, result, dest):
        if not quiet or line.startswith("lockstrip:"):
            print(line, file=out)
    return result


def _prepare(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise OutputError(dest, "exists and is not a folder")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(dest, f"cannot create the folder: {error.strerror}") from None
    if not os.access(dest, os.W_OK):
        raise OutputError(dest, "is not writable")


def _run_all(
    fetcher: Fetcher, order: list[Artifact], jobs: int, done: Callable[[Outcome], None]
) -> list[Outcome]:
    """Run every download on a pool; an interrupt stops the workers and removes temp files."""

    def work(artifact: Artifact) -> Outcome:
        try:
            outcome = fetcher.run(artifact)
        except Stop:
            outcome = Outcome(artifact, "failed", 0, "interrupted")
        done(outcome)
        return outcome

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="lockstrip-fetch")
    try:
        return list(pool.map(work, order))
    except BaseException:
        fetcher.stop.set()
        fetcher.connections.interrupt()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        fetcher.connections.close()
