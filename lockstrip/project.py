"""Find and read a uv project: the root pyproject, uv.lock, and the workspace members.

Files come through `ProjectFiles`: a folder on disk (`FolderFiles`) or a git revision
(`lockstrip.git.GitFiles`), so every reader of a project reads it the same way.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from lockstrip.errors import InputError
from lockstrip.lockfile import Lock, parse_lock
from lockstrip.tomlread import parse_toml, read_text
from lockstrip.volatile import Locals, find_locals

__all__ = [
    "FolderFiles",
    "Member",
    "MemoryFiles",
    "Project",
    "ProjectFiles",
    "read_files",
    "read_project",
]


class ProjectFiles(Protocol):
    """Read access to a project's files by POSIX path relative to its root."""

    def read(self, rel: str) -> str | None:
        """The file's text, or None when it does not exist; InputError when unreadable."""

    def where(self, rel: str) -> Path:
        """How errors name the file: a path, or `REV:path` for a git revision."""


class FolderFiles:
    """A project folder on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, rel: str) -> str | None:
        path = self.root / rel
        return read_text(path) if path.exists() or path.is_symlink() else None

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


class Member(NamedTuple):
    """A local package that lives inside the project: a workspace member or path dependency."""

    name: str
    path: str  # POSIX, relative to the project root, normalized
    workspace_member: bool


class Project(NamedTuple):
    root: Path
    pyproject: Mapping[str, Any]
    lock: Lock
    locals: Locals
    members: tuple[Member, ...]
    outside: tuple[tuple[str, str], ...]  # (name, path) of local packages outside the project
    files: ProjectFiles

    @property
    def root_name(self) -> str | None:
        """The root package's name in the lock, or None for a project-less workspace root."""
        for name, source in self.locals.by_name.items():
            if posixpath.normpath(source.location) == "." and name not in self.locals.shared_names:
                return name
        project = self.pyproject.get("project")
        if isinstance(project, Mapping) and isinstance(project.get("name"), str):
            return str(project["name"])
        return None

    @property
    def needs_files(self) -> tuple[str, ...]:
        """Packages whose install reads the project's files beyond what an export carries,
        sorted: path dependencies that are not workspace members (built from their source;
        a virtual one, `package = false`, is never built), local packages outside the
        project, and archives (`{ path = "dist/x.whl" }`). A download stage skips them with
        `uv sync --frozen --no-install-local`."""
        built = [m.name for m in self.members if not m.workspace_member]
        built += [name for name, _ in self.outside]
        names = [name for name in built if self.locals.by_name[name].kind != "virtual"]
        names += [p.name for p in self.lock.packages if p.source.kind == "path"]
        return tuple(sorted(set(names)))

    def member_pyproject(self, member: Member) -> Mapping[str, Any]:
        return _load_pyproject(self.files, f"{member.path}/pyproject.toml")


def _load_pyproject(files: ProjectFiles, rel: str) -> Mapping[str, Any]:
    """Read a pyproject.toml and check the tables lockstrip reads; errors name the field."""
    path = files.where(rel)
    text = files.read(rel)
    if text is None:
        raise InputError(path, "file not found")
    doc = parse_toml(text, path)
    for key in ("project", "tool", "dependency-groups"):
        if key in doc and not isinstance(doc[key], Mapping):
            raise InputError(path, "expected a table", field=key)
    if not isinstance(doc.get("project", {}).get("dynamic", []), list):
        raise InputError(path, "expected an array", field="project.dynamic")
    return doc


def _inside(path: str) -> str | None:
    """`path` normalized, or None when it leaves the project (absolute or through `..`)."""
    if posixpath.isabs(path) or (len(path) > 1 and path[1] == ":"):
        return None
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        return None
    return normal


def read_project(directory: Path | str) -> Project:
    """Read the project whose root (the folder with uv.lock) is `directory`."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(root, "not a folder" if root.exists() else "no such folder")
    if not (root / "uv.lock").exists():
        hint = "run `uv lock` first"
        for parent in root.resolve().parents:
            if (parent / "uv.lock").is_file():
                hint = f"the workspace root seems to be {parent}; run lockstrip there"
                break
        raise InputError(root / "uv.lock", f"file not found ({hint})")
    return read_files(FolderFiles(root), root)


def read_files(files: ProjectFiles, root: Path) -> Project:
    """Read a project through `files`; `root` is where it lives (for messages and exports)."""
    lock_path = files.where("uv.lock")
    lock_text = files.read("uv.lock")
    if lock_text is None:
        raise InputError(lock_path, "file not found (run `uv lock` first)")
    if files.read("pyproject.toml") is None:
        raise InputError(
            files.where("pyproject.toml"), "file not found (a uv project needs one beside uv.lock)"
        )
    pyproject = _load_pyproject(files, "pyproject.toml")
    lock = parse_lock(parse_toml(lock_text, lock_path), lock_path)
    locals = find_locals(lock)
    workspace = set(lock.members)
    members, outside = [], []
    for name, source in sorted(locals.by_name.items()):
        path = _inside(source.location)
        if path is None:
            if name in workspace:
                raise InputError(
                    lock_path,
                    f"workspace member {name!r} is at {source.location!r}, outside the project; "
                    "lockstrip never writes outside the export folder",
                    field=f"package ({name}).source",
                )
            outside.append((name, source.location))
        elif path != ".":
            members.append(Member(name, path, name in workspace))
    return Project(root, pyproject, lock, locals, tuple(members), tuple(outside), files)
