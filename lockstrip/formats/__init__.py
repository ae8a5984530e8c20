"""The lock formats lockstrip reads, and which one a folder holds (`detect`).

Each format is a subpackage whose `FORMAT` is a `LockFormat` (formats/interface.py); its
registration is its name below. Formats are imported when asked for, not at startup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from lockstrip.formats.interface import LockFormat

__all__ = ["detect", "registered"]

#: The registered formats, in the order `detect` tries them. The first is the default: a
#: folder with no lock is read as one of its projects, whose reader says what is missing.
_REGISTERED = ("lockstrip.formats.uv",)


def registered() -> tuple[LockFormat[Any], ...]:
    """Every registered format."""
    from importlib import import_module

    return tuple(import_module(name).FORMAT for name in _REGISTERED)


def detect(folder: Path) -> LockFormat[Any]:
    """The format of the lock in `folder`: the first registered one that holds it."""
    formats = registered()
    return next((f for f in formats if f.holds(folder)), formats[0])
