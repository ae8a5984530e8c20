"""What a run shows: a bar redrawn on a terminal or a line per file elsewhere, then the
summary of what the wheelhouse got and what it lacks."""

from __future__ import annotations

import threading
import time
from typing import IO, TYPE_CHECKING

from lockstrip.formats.uv.fetch.urls import redact

if TYPE_CHECKING:
    from pathlib import Path

    from lockstrip.environment.target import Target
    from lockstrip.formats.uv.fetch.outcome import FetchResult, Outcome
    from lockstrip.formats.uv.fetch.plan import Plan


class Progress:
    """A bar redrawn in place on a terminal; one line per finished file elsewhere (CI logs)."""

    def __init__(self, stream: IO[str], files: int, size: int, *, tty: bool, quiet: bool) -> None:
        self.stream = stream
        self.files = files
        self.total = size
        self.tty = tty and not quiet
        self.quiet = quiet
        self.done = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self._drawn = 0.0

    def advance(self, size: int) -> None:
        with self._lock:
            self.bytes += size
            if self.tty and time.monotonic() - self._drawn > 0.1:
                self._draw()

    def finish(self, outcome: Outcome) -> None:
        with self._lock:
            self.done += 1
            if self.tty:
                if outcome.state == "failed":
                    self._line(_failure(outcome))
                self._draw()
            elif outcome.state == "failed":
                self._line(_failure(outcome))
            elif outcome.state == "fetched" and not self.quiet:
                self._line(f"fetched {outcome.artifact.filename} ({_size(outcome.size)})")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.stream.flush()

    def _draw(self) -> None:
        self._drawn = time.monotonic()
        width = 30
        share = self.bytes / self.total if self.total else self.done / max(self.files, 1)
        filled = int(width * min(max(share, 0.0), 1.0))
        bar = "#" * filled + "-" * (width - filled)
        text = f"[{bar}] {self.done}/{self.files} files, {_size(self.bytes)}"
        self.stream.write(f"\r\033[K{text}")
        self.stream.flush()


def _failure(outcome: Outcome) -> str:
    artifact = outcome.artifact
    where = redact(artifact.location)
    return f"lockstrip: error: {artifact.package}: {where}: {outcome.message}"


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB"):
        if abs(value) < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _tags(target: Target) -> str:
    return f"CPython {target.python_version} on {target.platform}"


def summary(plan: Plan, result: FetchResult, dest: Path) -> list[str]:
    """What the run did, then what the wheelhouse lacks and what to do about it."""
    lines = [
        f"fetched {result.count('fetched')} files ({_size(result.size('fetched'))}) in "
        f"{result.seconds:.2f} s into {dest} with {result.requests} requests; "
        f"{result.count('present')} already present, {len(result.failed)} failed "
        f"({_tags(plan.target)})"
    ]
    if plan.builds:
        lines.append(
            f"lockstrip: warning: no wheel fits {_tags(plan.target)} for "
            f"{', '.join(plan.builds)}: their sdists were fetched, and installing them builds "
            "them. An offline install also needs their build backends (e.g. setuptools) in "
            "the folder; or build wheels now: pip wheel --no-deps --no-index -w DEST DEST/SDIST"
        )
    if plan.git:
        lines.append(
            f"lockstrip: warning: git sources cannot go in a wheelhouse: {', '.join(plan.git)}. "
            "Build a wheel of each into the folder (pip wheel --no-deps -w DEST 'NAME @ "
            "git+URL'), or install them with network access (uv sync --frozen)"
        )
    for problem in plan.unavailable:
        lines.append(f"lockstrip: error: {problem}")
    return lines
