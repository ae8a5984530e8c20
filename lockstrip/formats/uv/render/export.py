"""Build the export folder's files and write them atomically."""

from __future__ import annotations

import os
import posixpath
import shlex
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from lockstrip.errors import LockstripError, OutputError
from lockstrip.formats.uv.model.project import Project
from lockstrip.formats.uv.render.lock import render_lock
from lockstrip.formats.uv.render.pyproject import render_pyproject
from lockstrip.formats.uv.rules.apply import strip_export
from lockstrip.formats.uv.selection.plan import plan_install
from lockstrip.formats.uv.selection.request import Mode
from lockstrip.io.files import (
    deferred_interrupts,
    forget_temporary,
    holds_text,
    read_bytes,
    track_temporary,
)

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.uv.selection.request import Scope, Skip

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
        text = read_bytes(folder / "pyproject.toml").decode("utf-8")
    except (LockstripError, UnicodeDecodeError):
        return None
    first = text[: text.find("\n") + 1]
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


class Export(NamedTuple):
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
    skip: Skip | None = None,
) -> Export:
    """The export's files; with a scope or a target, only what that install reads: the
    packages it takes, the members it starts from or reaches (lock, `[manifest] members`,
    workspace, skeletons) and the group names it chooses (`rules.scoped.SCOPED_DROPS`).

    `requirements` adds requirements.txt: the same install's third-party pins with hashes,
    for an offline install from a wheelhouse (`lockstrip fetch`).

    `skip` ("workspace", "local") is for an install that leaves those local packages out
    (`uv sync --no-install-workspace`, `--no-install-local`): it reads them only to find the
    third-party ones, so the export folds them into its root (`selection.fold.Fold`).

    One pass: the install's plan is decided first (`plan_install`), the rules then strip
    every file for it (`strip_export`), and the files are rendered from the result.
    """
    plan = plan_install(project, mode, scope, target, skip=skip, requirements=requirements)
    stripped = strip_export(project, plan)
    files = {
        path: header(mode, plan.options) + render_pyproject(doc)
        for path, doc in stripped.pyprojects.items()
    }
    files["uv.lock"] = render_lock(stripped.lock)
    if plan.selection is not None and requirements:
        from lockstrip.formats.uv.render.requirements import render_requirements

        files["requirements.txt"] = render_requirements(
            project, plan.selection, target, plan.options
        )
    sources = (project.root, *(project.root / member.path for member in project.members))
    return Export(dict(sorted(files.items())), tuple(_warnings(project, mode)), sources)


def _dynamic(doc: Mapping[str, Any]) -> list[str]:
    dynamic = doc.get("project", {}).get("dynamic", [])  # checked by project.read_files
    return [d for d in dynamic if d in ("dependencies", "optional-dependencies")]


def _warnings(project: Project, mode: Mode) -> list[str]:
    notes = []
    # uv plans an install of a path dependency from its skeleton (the export writes one for
    # each inside the project), but installing it builds it from its source; an archive is
    # not in the export at all. --no-install-project and --no-install-workspace skip neither.
    if project.needs_files:
        notes.append(
            f"path dependencies that are not workspace members ({', '.join(project.needs_files)})"
            " are installed from the project's files: in the download stage run "
            "`uv sync --frozen --no-install-local`"
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
    return all(holds_text(folder / rel, text) for rel, text in files.items())


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
    staging: Path | None = None
    import tempfile  # only a write needs it

    try:
        # Held back, an interrupt cannot come between creating a temporary folder and
        # registering it, nor between the renames of the swap.
        with deferred_interrupts():
            parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
            track_temporary(staging)
        for rel, text in export.files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        # Synced after all are written, not one by one: the first sync's journal commit
        # takes the others' data along (livekit's 85 files: 0.52 s instead of 0.74 s on a
        # busy disk). Still before the swap, which never shows a file that is not on disk.
        for rel in export.files:
            _sync(staging / rel)
        staging.chmod(0o755)
        with deferred_interrupts():
            _swap(staging, out.resolve())
            forget_temporary(staging)
            staging = None
    except OSError as error:
        if staging is None:
            message = f"cannot create the export folder: {error.strerror or error}"
        else:
            message = f"cannot write the export: {error.strerror or error}"
        raise OutputError(out, message) from None
    finally:  # on failure and on an interrupt: the previous export stays, nothing is left
        if staging is not None:
            with deferred_interrupts():
                shutil.rmtree(staging, ignore_errors=True)
                forget_temporary(staging)
    return True


def _sync(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _swap(staging: Path, out: Path) -> None:
    """Put `staging` in the place of `out`; the previous `out` is removed, or comes back.

    Run with interrupts held back (`deferred_interrupts`): out of them, an interrupt
    between the two renames would leave no export at all."""
    if not out.exists():
        staging.rename(out)
        return
    import tempfile

    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    try:
        staging.rename(out)
    except BaseException:
        retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
