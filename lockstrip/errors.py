"""Exceptions that carry the file (and the field or line) they are about."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: an error module loads on every run, typing need not
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["InputError", "LockstripError", "OutputError"]


class LockstripError(Exception):
    """Base of every error lockstrip reports to a user; the CLI exits 2 on it."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        from pathlib import Path

        self.path = Path(path)
        self.message = message
        self.field = field
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
        if self.field is not None:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class InputError(LockstripError):
    """A project file is missing, unreadable, or not what uv writes."""


class OutputError(LockstripError):
    """The export folder cannot be written where it was asked to go."""
