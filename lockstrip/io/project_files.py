"""A project's files, read by POSIX path relative to its root, whatever holds them: a folder
on disk, files in memory (an export not yet written), or a git revision
(`lockstrip.io.git.GitFiles`). Every lock format reads its projects through these."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from lockstrip.io.tomlread import read_text

__all__ = ["FolderFiles", "MemoryFiles", "ProjectFiles"]


class ProjectFiles(Protocol):
    """Read access to a project's files by POSIX path relative to its root."""

    def read(self, rel: str) -> str | None:
        """The file's text, or None when it does not exist; UvLockError when unreadable."""

    def where(self, rel: str) -> Path:
        """How errors name the file: a path, or `REV:path` for a git revision."""


class FolderFiles:
    """A project folder on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, rel: str) -> str | None:
        path = self.root / rel
        if path.exists() or path.is_symlink():
            return read_text(path)
        return None

    def where(self, rel: str) -> Path:
        return self.root / rel


class MemoryFiles:
    """Files held in memory, such as an export not yet written."""

    def __init__(self, files: Mapping[str, str], root: Path) -> None:
        self.files = files
        self.root = root

    def read(self, rel: str) -> str | None:
        return self.files.get(rel)

    def where(self, rel: str) -> Path:
        return self.root / rel
