"""The export folder, whatever the lock format: its header line (which records the options it
was written with), how lockstrip recognises its own folders, and the atomic write."""

from __future__ import annotations

import os
import posixpath
import shlex
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from lockstrip.errors import LockstripError, OutputError
from lockstrip.io.files import (
    deferred_interrupts,
    forget_temporary,
    holds_text,
    read_bytes,
    track_temporary,
)

__all__ = [
    "Export",
    "Mode",
    "export_mode",
    "export_options",
    "header",
    "is_export",
    "same_content",
    "write_export",
]

#: `frozen`: the least `uv sync --frozen` reads; `locked`: also what `uv lock --check` reads.
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
_EXPORT_FILES = frozenset(
    {"pyproject.toml", "uv.lock", "poetry.lock", "pdm.lock", "requirements.txt"}
)


class Export(NamedTuple):
    """The files of an export (relative POSIX path -> text) and notes for the user."""

    files: Mapping[str, str]
    warnings: tuple[str, ...]
    #: Folders the export was read from (the root and local packages inside it): never
    #: replaced by an export, even with --force.
    sources: tuple[Path, ...] = ()


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
