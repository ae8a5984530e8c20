"""Find and read a uv project: the root pyproject, uv.lock, and the workspace members."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from lockstrip.errors import InputError
from lockstrip.lockfile import Lock, parse_lock
from lockstrip.tomlread import load_toml
from lockstrip.volatile import Locals, find_locals

__all__ = ["Member", "Project", "read_project"]


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

    @property
    def pyproject_path(self) -> Path:
        return self.root / "pyproject.toml"

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

    def member_pyproject(self, member: Member) -> Mapping[str, Any]:
        return _load_pyproject(self.root / member.path / "pyproject.toml")


def _load_pyproject(path: Path) -> Mapping[str, Any]:
    """Read a pyproject.toml and check the tables lockstrip reads; errors name the field."""
    doc = load_toml(path)
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
    lock_path = root / "uv.lock"
    if not lock_path.exists():
        hint = "run `uv lock` first"
        for parent in root.resolve().parents:
            if (parent / "uv.lock").is_file():
                hint = f"the workspace root seems to be {parent}; run lockstrip there"
                break
        raise InputError(lock_path, f"file not found ({hint})")
    pyproject_path = root / "pyproject.toml"
    if not pyproject_path.exists():
        raise InputError(pyproject_path, "file not found (a uv project needs one beside uv.lock)")
    pyproject = _load_pyproject(pyproject_path)
    lock = parse_lock(load_toml(lock_path), lock_path)
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
    return Project(root, pyproject, lock, locals, tuple(members), tuple(outside))
