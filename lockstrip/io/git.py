"""A project folder's files as they were at a git revision, read without touching the
working tree; any lock format reads its project from them (`LockFormat.read_revision`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lockstrip.errors import InputError

__all__ = ["GitFiles", "revision_files", "revision_range"]


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError(cwd, "git is not installed; --git needs it") from None


class GitFiles:
    """The files of a project folder at revision `rev`, read with `git cat-file`."""

    def __init__(self, top: Path, rev: str, prefix: str) -> None:
        self.top = top
        self.rev = rev
        self.prefix = prefix  # the project folder relative to the repository top, POSIX

    def _spec(self, rel: str) -> str:
        return f"{self.rev}:{self.prefix}{rel}"

    def read(self, rel: str) -> str | None:
        result = _git(self.top, "cat-file", "blob", self._spec(rel))
        if result.returncode != 0:
            return None
        try:
            return result.stdout.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(self.where(rel), f"not UTF-8 text (byte {error.start})") from None

    def where(self, rel: str) -> Path:
        return Path(self._spec(rel))


def revision_files(directory: Path, rev: str) -> GitFiles:
    """The files of the project folder `directory` as they were at git revision `rev`."""
    if not directory.is_dir():
        raise InputError(directory, "not a folder" if directory.exists() else "no such folder")
    found = _git(directory, "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        raise InputError(directory, "not inside a git repository; --git needs one")
    top = Path(found.stdout.decode().strip())
    commit = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if commit.returncode != 0:
        raise InputError(top, f"unknown git revision {rev!r}")
    relative = directory.resolve().relative_to(top.resolve()).as_posix()
    prefix = "" if relative == "." else f"{relative}/"
    return GitFiles(top, rev, prefix)


def revision_range(spec: str) -> tuple[str, str | None]:
    """`A..B` -> (A, B); `REV` -> (REV, None), meaning REV against the working tree."""
    if ".." in spec:
        old, _, new = spec.partition("..")
        if not old or not new or new.startswith("."):
            raise InputError(spec, "expected REV or A..B", field="--git")
        return old, new
    return spec, None
