"""A project's history, read through one long-lived `git cat-file --batch` process.

A savings report reads the lock and the pyproject files at hundreds of commits; a `git`
process per file costs ~2 ms of start-up each, one batch process costs that once.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO, NamedTuple

from lockstrip.errors import InputError

__all__ = ["Batch", "Commit", "RevisionFiles", "commits", "repository"]


class Commit(NamedTuple):
    sha: str
    date: str  # committer date, ISO 8601
    subject: str


class Batch:
    """Blobs by `REV:path`, from one `git cat-file --batch` process."""

    def __init__(self, top: Path) -> None:
        self._process = subprocess.Popen(
            ["git", "-C", str(top), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._in: IO[bytes] = self._process.stdin
        self._out: IO[bytes] = self._process.stdout

    def blob(self, spec: str) -> tuple[str, bytes] | None:
        """(object id, bytes) of the blob at `spec`, or None where there is none."""
        self._in.write(spec.encode("utf-8", "surrogateescape") + b"\n")
        self._in.flush()
        header = self._out.readline().split()
        if len(header) != 3:  # "<spec> missing", "<spec> ambiguous", or git went away
            if not header:
                raise InputError(spec, "git cat-file stopped answering")
            return None
        oid, kind, size = header
        data = self._out.read(int(size))
        self._out.read(1)  # the newline after each object
        return (oid.decode(), data) if kind == b"blob" else None

    def close(self) -> None:
        self._in.close()
        self._process.wait()

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RevisionFiles:
    """A project folder at one revision, as `lockstrip.project.ProjectFiles`; records the
    object id of every file it reads, so that an unchanged project is recognised."""

    def __init__(self, batch: Batch, rev: str, prefix: str) -> None:
        self.batch, self.rev, self.prefix = batch, rev, prefix
        self.read_ids: dict[str, str | None] = {}

    def raw(self, rel: str) -> bytes | None:
        found = self.batch.blob(f"{self.rev}:{self.prefix}{rel}")
        self.read_ids[rel] = found[0] if found else None
        return found[1] if found else None

    def read(self, rel: str) -> str | None:
        data = self.raw(rel)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(self.where(rel), f"not UTF-8 text (byte {error.start})") from None

    def where(self, rel: str) -> Path:
        return Path(f"{self.rev[:12]}:{self.prefix}{rel}")


def _git(top: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(top), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError(top, "git is not installed; a report of the history needs it") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(top, message[-1] if message else f"git {args[0]} failed")
    return done.stdout.decode("utf-8", "replace")


def repository(directory: Path) -> tuple[Path, str, bool]:
    """(the repository's top, the project's prefix in it, whether the clone is shallow)."""
    if not directory.is_dir():
        raise InputError(directory, "not a folder" if directory.exists() else "no such folder")
    try:
        top = Path(_git(directory, "rev-parse", "--show-toplevel").strip())
    except InputError:
        raise InputError(directory, "not inside a git repository") from None
    relative = directory.resolve().relative_to(top.resolve()).as_posix()
    shallow = _git(top, "rev-parse", "--is-shallow-repository").strip() == "true"
    return top, ("" if relative == "." else f"{relative}/"), shallow


def commits(
    top: Path, prefix: str, since: str | None, max_count: int | None, lock_file: str = "uv.lock"
) -> list[Commit]:
    """The commits that touched the project's lock or any pyproject.toml in it, oldest
    first: after `since` (exclusive), the newest `max_count` of them."""
    revisions = f"{since}..HEAD" if since else "HEAD"
    args = ["log", "--reverse", "--format=%H%x1f%cI%x1f%s"]
    if max_count is not None:
        args.append(f"--max-count={max_count}")
    paths = [f"{prefix}{lock_file}", f":(glob){prefix}**/pyproject.toml"]
    found = []
    for line in _git(top, *args, revisions, "--", *paths).splitlines():
        sha, date, subject = line.split("\x1f", 2)
        found.append(Commit(sha, date, subject))
    return found


def parent(top: Path, sha: str) -> str | None:
    """The first parent of `sha`, or None for a root commit (or a shallow boundary)."""
    try:
        return _git(top, "rev-parse", "--verify", "--quiet", f"{sha}^").strip() or None
    except InputError:
        return None
