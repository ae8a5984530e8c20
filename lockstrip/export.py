"""Build the export folder's files and write them atomically."""

from __future__ import annotations

import os
import posixpath
import shlex
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lockstrip.errors import InputError, OutputError
from lockstrip.project import Project
from lockstrip.render_lock import render_lock
from lockstrip.render_pyproject import render_pyproject
from lockstrip.volatile import strip_lock, strip_member_pyproject, strip_root_pyproject

if TYPE_CHECKING:
    from lockstrip.scope import Scope
    from lockstrip.target import Target

__all__ = [
    "Export",
    "Mode",
    "build_export",
    "export_mode",
    "export_options",
    "header",
    "is_export",
    "same_content",
    "write_export",
]

Mode = Literal["frozen", "locked"]

#: The first line of every pyproject.toml lockstrip writes starts so: how it knows its own
#: folders. The rest of the line names the mode, so `lockstrip check` needs no --mode.
_HEADER_START = "# Written by `lockstrip export"


_HEADER_END = "`; do not edit: it is rewritten from the project.\n"


def header(mode: Mode, options: Sequence[str] = ()) -> str:
    """The header line, naming the options the folder was written with (mode, scope)."""
    return f"{_HEADER_START} {shlex.join(['--mode', mode, *options])}{_HEADER_END}"


def export_options(folder: Path) -> list[str] | None:
    """The options recorded in an export folder's header (`--mode frozen ...`), or None."""
    try:
        with (folder / "pyproject.toml").open(encoding="utf-8") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError):
        return None
    if not (first.startswith(_HEADER_START + " ") and first.endswith(_HEADER_END)):
        return None
    try:
        options = shlex.split(first[len(_HEADER_START) + 1 : -len(_HEADER_END)])
    except ValueError:
        return None
    if options[:1] != ["--mode"] or len(options) < 2 or options[1] not in ("frozen", "locked"):
        return None
    return options


def export_mode(folder: Path) -> Mode | None:
    """The mode recorded in an export folder's header, or None when it is not an export."""
    options = export_options(folder)
    return None if options is None else ("locked" if options[1] == "locked" else "frozen")


#: The only file names an export holds (requirements.txt with `--requirements`).
_EXPORT_FILES = frozenset({"pyproject.toml", "uv.lock", "requirements.txt"})


@dataclass(frozen=True)
class Export:
    """The files of an export (relative POSIX path -> text) and notes for the user."""

    files: Mapping[str, str]
    warnings: tuple[str, ...]
    #: Folders the export was read from (the root and local packages inside it): never
    #: replaced by an export, even with --force.
    sources: tuple[Path, ...] = ()


def build_export(
    project: Project,
    mode: Mode = "frozen",
    scope: Scope | None = None,
    target: Target | None = None,
    *,
    requirements: bool = False,
) -> Export:
    """The export's files; with a scope or a target, the lock holds only what it installs.

    `requirements` adds requirements.txt: the same install's third-party pins with hashes,
    for an offline install from a wheelhouse (`lockstrip fetch`).
    """
    options: list[str] = []
    lock = strip_lock(project.lock, project.locals, mode)
    if scope is not None or target is not None:
        from lockstrip.scope import Scope, restrict, select, target_args

        if mode == "locked":
            raise InputError(
                project.lock.path,
                "a scoped or targeted export cannot pass `uv lock --check`; use --mode frozen",
                field="--mode",
            )
        scope = scope or Scope()
        selection = select(project, scope, target.environment() if target else None)
        lock = restrict(lock, project, selection, target)
        options = scope.to_args() + target_args(target)
    if requirements:
        options.append("--requirements")
    workspace = [member.path for member in project.members if member.workspace_member]
    stripped = strip_root_pyproject(
        project.pyproject, mode, lock_name=project.root_name, members=workspace
    )
    files = {"pyproject.toml": header(mode, options) + render_pyproject(stripped)}
    members = (
        project.members if mode == "locked" else [m for m in project.members if m.workspace_member]
    )
    for member in members:
        doc = strip_member_pyproject(project.member_pyproject(member), mode, name=member.name)
        files[f"{member.path}/pyproject.toml"] = header(mode, options) + render_pyproject(doc)
    files["uv.lock"] = render_lock(lock)
    if requirements:
        from lockstrip.requirements import render_requirements

        files["requirements.txt"] = render_requirements(project, scope, target, options)
    sources = (project.root, *(project.root / member.path for member in project.members))
    return Export(dict(sorted(files.items())), tuple(_warnings(project, mode)), sources)


def _dynamic(doc: Mapping[str, Any]) -> list[str]:
    dynamic = doc.get("project", {}).get("dynamic", [])  # checked by project.read_files
    return [d for d in dynamic if d in ("dependencies", "optional-dependencies")]


def _warnings(project: Project, mode: Mode) -> list[str]:
    notes = []
    path_deps = [m for m in project.members if not m.workspace_member]
    if path_deps or project.outside:
        names = ", ".join(sorted([m.name for m in path_deps] + [n for n, _ in project.outside]))
        notes.append(
            f"path dependencies that are not workspace members ({names}) need their source to "
            "install: in the download stage run `uv sync --frozen --no-install-local`"
        )
    if mode != "locked":
        return notes
    if project.outside:
        places = ", ".join(f"{name} ({path})" for name, path in project.outside)
        notes.append(
            f"`uv sync --locked` cannot run on this export: path dependencies outside the "
            f"project ({places}) must be read to validate the lock; use the default "
            "--mode frozen with `uv sync --frozen` in the download stage"
        )
    dynamic = {"pyproject.toml": _dynamic(project.pyproject)}
    for member in project.members:
        if project.files.read(f"{member.path}/pyproject.toml") is not None:
            dynamic[f"{member.path}/pyproject.toml"] = _dynamic(project.member_pyproject(member))
    for where, fields in dynamic.items():
        if fields:
            notes.append(
                f"`uv sync --locked` cannot run on this export: {where} declares "
                f"{' and '.join(fields)} dynamic, which uv must build the project to read; use "
                "--mode frozen with `uv sync --frozen` in the download stage"
            )
    return notes


def is_export(folder: Path) -> bool:
    """True when `folder` holds nothing but files a lockstrip export writes."""
    if export_mode(folder) is None:
        return False
    for _dirpath, _dirnames, filenames in os.walk(folder):
        if any(name not in _EXPORT_FILES for name in filenames):
            return False
    return True


def same_content(folder: Path, files: Mapping[str, str]) -> bool:
    found = {
        Path(dirpath, name).relative_to(folder).as_posix()
        for dirpath, _, names in os.walk(folder)
        for name in names
    }
    if found != set(files):
        return False
    return all((folder / rel).read_bytes() == text.encode() for rel, text in files.items())


def _check_target(out: Path, sources: Iterable[Path], force: bool) -> None:
    target = out.resolve()
    for source in sources:
        folder = source.resolve()
        if target == folder or target in folder.parents:
            raise OutputError(
                out, f"is or holds a project folder ({source}); choose an export folder"
            )
    if out.exists() and not out.is_dir():
        raise OutputError(out, "exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force and not is_export(out):
        raise OutputError(
            out,
            "is not empty and was not written by lockstrip; choose another folder, "
            "or pass --force to replace it",
        )


def write_export(export: Export, out: Path, project_root: Path, *, force: bool = False) -> bool:
    """Write `export` to `out`, swapping in a fully written sibling folder.

    Returns False when `out` already held exactly these bytes (nothing is touched then).
    A failure leaves the previous `out` as it was.
    """
    _check_target(out, (project_root, *export.sources), force)
    if out.is_dir() and same_content(out, export.files):
        return False
    for rel in export.files:  # the reader never yields these; an Export built by hand might
        if posixpath.isabs(rel) or ".." in rel.split("/"):
            raise OutputError(out / rel, "would be written outside the export folder")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    except OSError as error:
        raise OutputError(out, f"cannot create the export folder: {error.strerror}") from None
    try:
        for rel, text in export.files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        staging.chmod(0o755)
        _swap(staging, out.resolve())
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(out, f"cannot write the export: {error.strerror or error}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        staging.rename(out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    try:
        staging.rename(out)
    except BaseException:  # an interrupt too: the previous export must come back
        retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
