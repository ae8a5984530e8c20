"""The lock formats lockstrip reads, and which one a folder holds (`detect`).

Each format is a subpackage whose `FORMAT` is a `LockFormat` (formats/interface.py); its
registration is its name below. Formats are imported when asked for, not at startup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lockstrip.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

    from lockstrip.formats.interface import LockFormat

__all__ = ["detect", "lock_files", "registered"]

#: The registered formats and their lock files, in the order `detect` tries them (the lock
#: file is named here so that detecting a folder imports only the format it holds). The
#: first is the default: a folder with no lock is read as its project, whose reader says
#: what is missing.
_REGISTERED = (
    ("lockstrip.formats.uv", "uv.lock"),
    ("lockstrip.formats.poetry", "poetry.lock"),
    ("lockstrip.formats.pdm", "pdm.lock"),
)


def registered() -> tuple[LockFormat[Any], ...]:
    """Every registered format."""
    from importlib import import_module

    return tuple(import_module(name).FORMAT for name, _ in _REGISTERED)


def lock_files() -> tuple[str, ...]:
    """The registered formats' lock files."""
    return tuple(lock for _, lock in _REGISTERED)


def _load(lock_file: str) -> LockFormat[Any]:
    from importlib import import_module

    module = next(name for name, lock in _REGISTERED if lock == lock_file)
    return import_module(module).FORMAT  # type: ignore[no-any-return]


def detect(folder: Path, lock: Path | None = None) -> LockFormat[Any]:
    """The format of the lock in `folder`. Two locks in one folder are a usage error naming
    both, unless `lock` (`--lock FILE`) picks one; a folder with none is read as uv's."""
    known = lock_files()
    if lock is not None:
        if lock.name not in known:
            raise InputError("--lock", f"{lock} is not a lock lockstrip reads ({', '.join(known)})")
        if len(lock.parts) > 1 and lock.resolve().parent != folder.resolve():
            raise InputError("--lock", f"{lock} is not in the project folder {folder}")
        if not (folder / lock.name).is_file():
            raise InputError(folder / lock.name, "not found (named by --lock)")
        return _load(lock.name)
    found = [name for name in known if (folder / name).is_file()]
    if len(found) > 1:
        raise InputError(
            folder,
            f"holds {' and '.join(found)}; pick one with --lock FILE (e.g. --lock {found[-1]})",
        )
    return _load(found[0] if found else known[0])
