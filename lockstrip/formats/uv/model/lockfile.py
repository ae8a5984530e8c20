"""The uv.lock model: packages, their sources, artifacts and dependency edges.

Reading only. What is volatile is decided in `lockstrip.formats.uv.rules`; this module
checks that a lock has the shape uv writes and gives typed access to it. The raw tables
stay available (`Lock.data`, `Package.data`) because the export keeps every field it does not strip.

Validation happens here, once: `parse_lock` checks every field a command reads (with the
types uv reads it with; a field no command reads is kept unjudged), so the commands trust
the model. It refuses only what uv refuses too (tests/test_validation.py asks uv), and
names the field: `package[12] (httpx).wheels[0].url: expected a string, found an integer`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from lockstrip.formats.interface import FormatError

__all__ = [
    "SOURCE_KINDS",
    "SUPPORTED_LOCK_VERSIONS",
    "Dependency",
    "Lock",
    "Package",
    "Source",
    "UvLockError",
    "toml_type",
]


#: uv.lock format versions this release understands (`version = 1`; `revision` varies).
SUPPORTED_LOCK_VERSIONS = (1,)


#: The keys of a `source` inline table that name its kind, as uv writes them.
SOURCE_KINDS = ("registry", "git", "url", "path", "directory", "editable", "virtual")


class Source(NamedTuple):
    """Where a package comes from: `{ registry = "..." }`, `{ editable = "libs/a" }`, ..."""

    kind: str
    location: str

    @staticmethod
    def from_table(table: Mapping[str, Any]) -> Source | None:
        for kind in SOURCE_KINDS:
            value = table.get(kind)
            if isinstance(value, str):
                return Source(kind, value)
        return None


class Dependency(NamedTuple):
    """One edge `{ name = ..., extra = [...], marker = ... }` from a package's table."""

    name: str
    version: str | None
    source: Source | None
    data: Mapping[str, Any]


class Package(NamedTuple):
    """One `[[package]]` entry."""

    name: str
    version: str | None
    source: Source
    data: Mapping[str, Any]

    def edges(self) -> Iterator[tuple[str, Dependency]]:
        """Every dependency edge with where it sits: `dependencies`, `extra:NAME`, `group:NAME`."""
        for dep in self.data.get("dependencies", ()):
            yield "dependencies", _dependency(dep)
        for extra, deps in self.data.get("optional-dependencies", {}).items():
            for dep in deps:
                yield f"extra:{extra}", _dependency(dep)
        for group, deps in self.data.get("dev-dependencies", {}).items():
            for dep in deps:
                yield f"group:{group}", _dependency(dep)

    def artifacts(self) -> Iterator[Mapping[str, Any]]:
        """The sdist (if any) then the wheels, as uv lists them."""
        sdist = self.data.get("sdist")
        if sdist is not None:
            yield sdist
        yield from self.data.get("wheels", ())


class Lock(NamedTuple):
    """A parsed uv.lock."""

    path: Path
    data: Mapping[str, Any]
    version: int
    revision: int
    packages: tuple[Package, ...]

    @property
    def members(self) -> tuple[str, ...]:
        """`[manifest] members`: the workspace members' names, empty outside a workspace."""
        return tuple(self.data.get("manifest", {}).get("members", ()))

    def artifact_count(self) -> int:
        return sum(1 for package in self.packages for _ in package.artifacts())


def _dependency(table: Mapping[str, Any]) -> Dependency:
    source = table.get("source")
    return Dependency(
        name=table["name"],
        version=table.get("version"),
        source=Source.from_table(source) if source is not None else None,
        data=table,
    )


#: TOML's names for the Python types a parsed document holds, as messages name them.
TOML_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (str, "a string"),
    (int, "an integer"),
    (float, "a float"),
    (Mapping, "a table"),
    (list, "an array"),
)


def toml_type(value: Any) -> str:
    """How a message names the type of a parsed TOML value: `a string`, `missing`."""
    if value is None:
        return "missing"
    for kind, name in TOML_TYPES:
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"  # a date or a time


class UvLockError(FormatError):
    """uv.lock, or a pyproject.toml beside it, is not what uv writes: names the file and
    the field or line."""
