"""Find and read a uv project: the root pyproject, uv.lock, and the workspace members.

Files come through `ProjectFiles`: a folder on disk (`FolderFiles`) or a git revision
(`lockstrip.io.git.GitFiles`), so every reader of a project reads it the same way.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from lockstrip.formats.uv.model.locals import Locals, find_locals
from lockstrip.formats.uv.model.lockfile import Lock, UvLockError, toml_type
from lockstrip.formats.uv.model.read_lock import check_url, parse_lock
from lockstrip.io.project_files import FolderFiles, MemoryFiles, ProjectFiles
from lockstrip.io.tomlread import parse_toml

__all__ = [
    "FolderFiles",
    "Member",
    "MemoryFiles",
    "Project",
    "ProjectFiles",
    "read_files",
    "read_project",
]


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

    @property
    def requires_python(self) -> tuple[str | None, Path]:
        """The project's requires-python and the file it is read from. The lock's comes
        first: in a workspace it is what every member allows together."""
        spec = self.lock.data.get("requires-python")
        if isinstance(spec, str):
            return spec, self.files.where("uv.lock")
        table = self.pyproject.get("project")
        spec = table.get("requires-python") if isinstance(table, Mapping) else None
        return (spec if isinstance(spec, str) else None), self.files.where("pyproject.toml")

    def member_pyproject(self, member: Member) -> Mapping[str, Any]:
        return _load_pyproject(self.files, f"{member.path}/pyproject.toml")


def _load_pyproject(files: ProjectFiles, rel: str) -> Mapping[str, Any]:
    """Read a pyproject.toml and check the tables lockstrip reads; errors name the field."""
    path = files.where(rel)
    text = files.read(rel)
    if text is None:
        raise UvLockError(path, "file not found")
    doc = parse_toml(text, path)
    _check_pyproject(doc, path)
    return doc


def _check_pyproject(doc: Mapping[str, Any], path: Path) -> None:
    """The fields lockstrip reads have the types uv reads them with (uv refuses the file
    otherwise); everything else is kept as it is, unread."""

    def table(value: Any, field: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise UvLockError(path, f"expected a table, found {toml_type(value)}", field=field)
        return value

    def strings(value: Any, field: str) -> None:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise UvLockError(path, "expected an array of strings", field=field)

    def string(value: Any, field: str) -> None:
        if not isinstance(value, str):
            raise UvLockError(path, f"expected a string, found {toml_type(value)}", field=field)

    # Not [build-system]: `uv sync --frozen` reads it only to build, and the Dockerfile
    # falls back to setuptools' defaults where it is not what it should be.
    for key in ("project", "tool", "dependency-groups"):
        if key in doc:
            table(doc[key], key)
    project = doc.get("project", {})
    for key in ("name", "version", "requires-python"):
        if key in project:
            string(project[key], f"project.{key}")
    for key in ("dynamic", "dependencies"):
        if key in project:
            if key == "dynamic" and not isinstance(project[key], list):
                raise UvLockError(path, "expected an array", field="project.dynamic")
            strings(project[key], f"project.{key}")
    for extra, requirements in table(
        project.get("optional-dependencies", {}), "project.optional-dependencies"
    ).items():
        strings(requirements, f"project.optional-dependencies.{extra}")
    for group, entries in doc.get("dependency-groups", {}).items():
        # an array; its entries are kept unread (the lock's edges say what a group installs)
        if not isinstance(entries, list):
            found = toml_type(entries)
            raise UvLockError(
                path, f"expected an array, found {found}", field=f"dependency-groups.{group}"
            )
    if "uv" not in doc.get("tool", {}):
        return
    uv = table(doc["tool"]["uv"], "tool.uv")
    if "default-groups" in uv and uv["default-groups"] != "all":
        strings(uv["default-groups"], "tool.uv.default-groups")
    for group, settings in table(
        uv.get("dependency-groups", {}), "tool.uv.dependency-groups"
    ).items():
        table(settings, f"tool.uv.dependency-groups.{group}")
    if "workspace" in uv:
        workspace = table(uv["workspace"], "tool.uv.workspace")
        for key in ("members", "exclude"):
            if key in workspace:
                strings(workspace[key], f"tool.uv.workspace.{key}")
    indexes = uv.get("index", [])
    if not isinstance(indexes, list):
        raise UvLockError(
            path, f"expected an array, found {toml_type(indexes)}", field="tool.uv.index"
        )
    for position, index in enumerate(indexes):
        field = f"tool.uv.index[{position}]"
        table(index, field)
        for key in ("name", "url"):
            if key in index:
                string(index[key], f"{field}.{key}")
        if isinstance(index.get("url"), str):
            check_url(path, index["url"], f"{field}.url")


def _normalized(name: str) -> str:
    """A PEP 503 normalized name: how uv compares package names."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _check_root(pyproject: Mapping[str, Any], locals: Locals, lock_path: Path) -> None:
    """A uv.lock copied from another project (or locked before a rename) is refused, as
    `uv sync --frozen` refuses it: the root pyproject's [project] must be the lock's root
    package. A project-less root (no [project], a virtual workspace root) has none."""
    name = pyproject.get("project", {}).get("name")
    if not isinstance(name, str):
        return
    roots = {
        _normalized(local)
        for local, source in locals.by_name.items()
        if posixpath.normpath(source.location) == "."
    }
    if _normalized(name) not in roots:
        wanted = _normalized(name)
        raise UvLockError(
            lock_path,
            f"does not match pyproject.toml ([project] name is {wanted}, the lock has no "
            f"package {wanted}): run `uv lock`",
        )


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
        raise UvLockError(root, "not a folder" if root.exists() else "no such folder")
    if not (root / "uv.lock").exists():
        hint = "run `uv lock` first"
        for parent in root.resolve().parents:
            if (parent / "uv.lock").is_file():
                hint = f"the workspace root seems to be {parent}; run lockstrip there"
                break
        raise UvLockError(root / "uv.lock", f"file not found ({hint})")
    return read_files(FolderFiles(root), root)


def read_files(files: ProjectFiles, root: Path) -> Project:
    """Read a project through `files`; `root` is where it lives (for messages and exports)."""
    lock_path = files.where("uv.lock")
    lock_text = files.read("uv.lock")
    if lock_text is None:
        raise UvLockError(lock_path, "file not found (run `uv lock` first)")
    if files.read("pyproject.toml") is None:
        raise UvLockError(
            files.where("pyproject.toml"), "file not found (a uv project needs one beside uv.lock)"
        )
    pyproject = _load_pyproject(files, "pyproject.toml")
    parsed = parse_toml(lock_text, lock_path)
    del lock_text  # a 200 MB lock's text need not outlive its parse
    lock = parse_lock(parsed, lock_path)
    locals = find_locals(lock)
    _check_root(pyproject, locals, lock_path)
    workspace = set(lock.members)
    members, outside = [], []
    for name, source in sorted(locals.by_name.items()):
        path = _inside(source.location)
        if path is None:
            if name in workspace:
                raise UvLockError(
                    lock_path,
                    f"workspace member {name!r} is at {source.location!r}, outside the project; "
                    "lockstrip never writes outside the export folder",
                    field=f"package ({name}).source",
                )
            outside.append((name, source.location))
        elif path != ".":
            members.append(Member(name, path, name in workspace))
    return Project(root, pyproject, lock, locals, tuple(members), tuple(outside), files)
