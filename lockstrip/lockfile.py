"""The uv.lock model: packages, their sources, artifacts and dependency edges.

Reading only. What is volatile is decided in `lockstrip.volatile`; this module checks that a
lock has the shape uv writes and gives typed access to it. The raw tables stay available
(`Lock.data`, `Package.data`) because the export keeps every field it does not strip.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from lockstrip.errors import InputError

__all__ = ["SUPPORTED_LOCK_VERSIONS", "Dependency", "Lock", "Package", "Source", "parse_lock"]

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
        if isinstance(sdist, Mapping):
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
        source=Source.from_table(source) if isinstance(source, Mapping) else None,
        data=table,
    )


def _require(
    path: Path, table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str
) -> Any:
    value = table.get(key)
    if not isinstance(value, kind):
        expected = (
            kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        )
        found = "missing" if value is None else f"a {type(value).__name__}"
        raise InputError(path, f"expected a {expected}, found {found}", field=f"{where}{key}")
    return value


def _require_tables(path: Path, value: Any, field: str, *, named: bool = False) -> None:
    """`value` must be an array of tables (wheels), each with a `name` when `named` (edges)."""
    if not isinstance(value, list):
        raise InputError(path, "expected an array", field=field)
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise InputError(path, "expected a table", field=f"{field}[{index}]")
        if named:
            _require(path, item, "name", str, f"{field}[{index}].")


def parse_lock(data: Mapping[str, Any], path: Path) -> Lock:
    """Check the shape of a parsed uv.lock and build the model; errors name the field."""
    version = _require(path, data, "version", int, "")
    if version not in SUPPORTED_LOCK_VERSIONS:
        supported = ", ".join(map(str, SUPPORTED_LOCK_VERSIONS))
        raise InputError(
            path,
            f"lock format version {version} is not supported (supported: {supported}); "
            "is this lock written by a newer uv than this lockstrip knows?",
            field="version",
        )
    revision = data.get("revision", 0)
    if not isinstance(revision, int):
        raise InputError(path, "expected an integer", field="revision")
    _require(path, data, "requires-python", str, "")
    manifest = data.get("manifest", {})
    if not isinstance(manifest, Mapping):
        raise InputError(path, "expected a table [manifest]", field="manifest")
    members = manifest.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise InputError(path, "expected an array of strings", field="manifest.members")
    conflicts = data.get("conflicts", [])
    if not isinstance(conflicts, list) or not all(isinstance(c, list) for c in conflicts):
        raise InputError(path, "expected an array of arrays", field="conflicts")
    tables = data.get("package", [])
    if not isinstance(tables, list):
        raise InputError(path, "expected an array of tables [[package]]", field="package")
    packages = []
    for index, table in enumerate(tables):
        where = f"package[{index}]."
        if not isinstance(table, Mapping):
            raise InputError(path, "expected a table", field=f"package[{index}]")
        name = _require(path, table, "name", str, where)
        where = f"package[{index}] ({name})."
        version_value = table.get("version")
        if version_value is not None and not isinstance(version_value, str):
            raise InputError(path, "expected a string", field=f"{where}version")
        source_table = _require(path, table, "source", dict, where)
        source = Source.from_table(source_table)
        if source is None:
            kinds = ", ".join(SOURCE_KINDS)
            raise InputError(path, f"expected one of: {kinds}", field=f"{where}source")
        if "sdist" in table and not isinstance(table["sdist"], Mapping):
            raise InputError(path, "expected a table", field=f"{where}sdist")
        if "wheels" in table:
            _require_tables(path, table["wheels"], f"{where}wheels")
        if "dependencies" in table:
            _require_tables(path, table["dependencies"], f"{where}dependencies", named=True)
        for key in ("optional-dependencies", "dev-dependencies"):
            groups = table.get(key, {})
            if not isinstance(groups, Mapping):
                raise InputError(path, "expected a table", field=f"{where}{key}")
            for group, edges in groups.items():
                _require_tables(path, edges, f"{where}{key}.{group}", named=True)
        packages.append(Package(name, version_value, source, table))
    return Lock(path, data, version, revision, tuple(packages))
