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
from urllib.parse import urlsplit

from lockstrip.environment.markers import MarkerError, check_marker
from lockstrip.errors import InputError

__all__ = [
    "SUPPORTED_LOCK_VERSIONS",
    "Dependency",
    "Lock",
    "Package",
    "Source",
    "check_markers",
    "check_url",
    "parse_lock",
    "toml_type",
    "url_path",
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
_TOML_TYPES: tuple[tuple[type, str], ...] = (
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
    for kind, name in _TOML_TYPES:
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"  # a date or a time


def _is(value: Any, kind: type) -> bool:
    """`isinstance`, except that a boolean is never an integer (`version = true` is no 1)."""
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _require(path: Path, table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    """`table[key]`, which must be there and of `kind`; the error names `where` + `key`."""
    value = table.get(key)
    if not _is(value, kind):
        expected = dict(_TOML_TYPES)[kind]
        raise InputError(path, f"expected {expected}, found {toml_type(value)}", field=where + key)
    return value


def _optional(path: Path, table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    """`table[key]` when it is there, which must then be of `kind`; else None."""
    return _require(path, table, key, kind, where) if key in table else None


def _strings(path: Path, value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InputError(path, "expected an array of strings", field=field)
    return value


def _tables(path: Path, value: Any, field: str) -> list[Mapping[str, Any]]:
    """`value` must be an array of tables."""
    if not isinstance(value, list):
        raise InputError(path, f"expected an array, found {toml_type(value)}", field=field)
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            found = toml_type(item)
            raise InputError(path, f"expected a table, found {found}", field=f"{field}[{index}]")
    return value


def _table_of_arrays(path: Path, value: Any, field: str) -> Mapping[str, list[Any]]:
    """`value` must be a table whose values are arrays of tables (groups, extras)."""
    if not isinstance(value, Mapping):
        raise InputError(path, f"expected a table, found {toml_type(value)}", field=field)
    for name, items in value.items():
        _tables(path, items, f"{field}.{name}")
    return value


def _marker(path: Path, value: Any, field: str) -> None:
    """A marker is a string; whether it parses is `check_markers`'s business."""
    if not isinstance(value, str):
        raise InputError(path, f"expected a string, found {toml_type(value)}", field=field)


def _markers(path: Path, value: Any, field: str) -> None:
    for index, marker in enumerate(_strings(path, value, field)):
        _marker(path, marker, f"{field}[{index}]")


def check_markers(lock: Lock) -> None:
    """Every marker of the lock parses, as uv requires; the error names the field.

    The part of the lock's validation that only commands evaluating markers run (scopes,
    targets, requirements.txt, fetch plans): parsing every marker of the 4 MB mteb lock costs
    ~45 ms, half of a plain digest, which reads markers as text only. The parses are cached,
    so the selection that follows parses nothing twice.
    """
    for field, marker in _marker_fields(lock):
        try:
            check_marker(marker)
        except MarkerError as error:
            raise InputError(lock.path, f"not a valid marker: {error}", field=field) from None


def _marker_fields(lock: Lock) -> Iterator[tuple[str, str]]:
    """(field, marker) of every marker in the lock; their types were checked by parse_lock."""

    def edges(field: str, tables: Any) -> Iterator[tuple[str, str]]:
        for index, table in enumerate(tables):
            if table.get("marker"):
                yield f"{field}[{index}].marker", table["marker"]

    def groups(field: str, table: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
        for name, tables in table.items():
            yield from edges(f"{field}.{name}", tables)

    for key in ("resolution-markers", "supported-markers", "required-markers"):
        for index, marker in enumerate(lock.data.get(key, ())):
            yield f"{key}[{index}]", marker
    manifest = lock.data.get("manifest", {})
    yield from edges("manifest.requirements", manifest.get("requirements", ()))
    yield from groups("manifest.dependency-groups", manifest.get("dependency-groups", {}))
    for index, package in enumerate(lock.packages):
        where = f"package[{index}] ({package.name})."
        data = package.data
        for position, marker in enumerate(data.get("resolution-markers", ())):
            yield f"{where}resolution-markers[{position}]", marker
        yield from edges(f"{where}dependencies", data.get("dependencies", ()))
        for key in ("optional-dependencies", "dev-dependencies"):
            yield from groups(where + key, data.get(key, {}))
        metadata = data.get("metadata", {})
        yield from edges(f"{where}metadata.requires-dist", metadata.get("requires-dist", ()))
        yield from groups(f"{where}metadata.requires-dev", metadata.get("requires-dev", {}))


def url_path(url: str) -> str:
    """The path of a URL, without its query and fragment; never fails, unlike `urlsplit`,
    which refuses a host such as `[::1` that uv keeps in a lock as text."""
    rest = url.partition("://")[2] if "://" in url else url
    if "://" in url:
        rest = "/" + rest.partition("/")[2] if "/" in rest else ""
    return rest.partition("#")[0].partition("?")[0]


def check_url(path: Path, value: str, field: str) -> None:
    """A URL that `urllib` can take apart (host, port): for settings uv parses as URLs.

    Not for the lock's artifact and registry URLs: uv keeps those as text (`uv export
    --frozen` reads a wheel at `http://[::1`), so lockstrip does too, and the commands that
    take a URL apart (fetch, a target's wheel tags) treat one that does not split as a file
    they cannot fetch or name.
    """
    if "://" not in value:
        return  # a path: a local registry, find-links folder or file
    try:
        urlsplit(value).port  # noqa: B018 - raises on a port out of range
    except ValueError as error:
        raise InputError(path, f"not a valid URL ({error}): {value!r}", field=field) from None


def _requirement(path: Path, table: Mapping[str, Any], field: str) -> None:
    """A dependency edge (`extra`) or a requirement of the manifest or metadata (`extras`):
    what the install reads of it, checked once here."""
    _require(path, table, "name", str, field + ".")
    _optional(path, table, "version", str, field + ".")
    source = _optional(path, table, "source", Mapping, field + ".")
    if source is not None:
        _source(path, source, f"{field}.source")
    if "marker" in table:
        _marker(path, table["marker"], f"{field}.marker")
    for key in ("extra", "extras"):
        if key in table:
            _strings(path, table[key], f"{field}.{key}")


def _requirements(path: Path, value: Any, field: str) -> list[Mapping[str, Any]]:
    tables = _tables(path, value, field)
    for index, table in enumerate(tables):
        _requirement(path, table, f"{field}[{index}]")
    return tables


def _source(path: Path, table: Mapping[str, Any], field: str) -> Source:
    source = Source.from_table(table)
    if source is None:
        kinds = ", ".join(SOURCE_KINDS)
        raise InputError(path, f"expected one of: {kinds}", field=field)
    return source


def _artifacts(path: Path, tables: list[Mapping[str, Any]], field: str, *, array: bool) -> None:
    """The sdist or wheels: string locations and hash, an integer size.
    One loop over thousands of wheels, with a fast path for the usual shape: this runs on
    every command, the digest of a 4 MB lock included."""
    for index, table in enumerate(tables):
        get = table.get
        size = get("size")
        shape = (get("url").__class__, get("hash").__class__, get("path").__class__, size.__class__)
        if shape not in _USUAL_ARTIFACTS or get("filename").__class__ not in (str, _NONE):
            where = f"{field}[{index}]." if array else f"{field}."
            for key in ("url", "path", "filename", "hash"):
                if get(key) is not None:
                    _require(path, table, key, str, where)
            if size is not None:
                _require(path, table, "size", int, where)


_NONE = type(None)
#: (url, hash, path, size) types of the artifacts uv writes: a registry's, a local one's.
_USUAL_ARTIFACTS = frozenset(
    (url, hash, path, size)
    for url in (str, _NONE)
    for hash in (str, _NONE)
    for path in (str, _NONE)
    for size in (int, _NONE)
)


def _check_manifest(path: Path, manifest: Any) -> None:
    if not isinstance(manifest, Mapping):
        raise InputError(path, "expected a table [manifest]", field="manifest")
    _strings(path, manifest.get("members", []), "manifest.members")
    if "requirements" in manifest:
        _requirements(path, manifest["requirements"], "manifest.requirements")
    groups = _table_of_arrays(
        path, manifest.get("dependency-groups", {}), "manifest.dependency-groups"
    )
    for group, entries in groups.items():
        _requirements(path, entries, f"manifest.dependency-groups.{group}")


def _check_conflicts(path: Path, conflicts: Any) -> None:
    if not isinstance(conflicts, list) or not all(isinstance(c, list) for c in conflicts):
        raise InputError(path, "expected an array of arrays", field="conflicts")
    for index, items in enumerate(conflicts):
        for position, item in enumerate(_tables(path, items, f"conflicts[{index}]")):
            where = f"conflicts[{index}][{position}]."
            _require(path, item, "package", str, where)
            _optional(path, item, "extra", str, where)
            _optional(path, item, "group", str, where)


def _check_package(path: Path, table: Mapping[str, Any], where: str) -> Package:
    name = _require(path, table, "name", str, where)
    where = f"{where[:-1]} ({name})."
    version = _optional(path, table, "version", str, where)
    source = _source(path, _require(path, table, "source", Mapping, where), f"{where}source")
    if version is None and source.kind == "registry":
        raise InputError(
            path, "a package from a registry has a version; run `uv lock`", field=f"{where}version"
        )
    if "resolution-markers" in table:
        _markers(path, table["resolution-markers"], f"{where}resolution-markers")
    sdist = _optional(path, table, "sdist", Mapping, where)
    if sdist is not None:
        _artifacts(path, [sdist], f"{where}sdist", array=False)
    if "wheels" in table:
        wheels = _tables(path, table["wheels"], f"{where}wheels")
        _artifacts(path, wheels, f"{where}wheels", array=True)
    _requirements(path, table.get("dependencies", []), f"{where}dependencies")
    for key in ("optional-dependencies", "dev-dependencies"):
        for group, edges in _table_of_arrays(path, table.get(key, {}), where + key).items():
            _requirements(path, edges, f"{where}{key}.{group}")
    metadata = _optional(path, table, "metadata", Mapping, where)
    if metadata is not None:
        field = f"{where}metadata"
        if "requires-dist" in metadata:
            _requirements(path, metadata["requires-dist"], f"{field}.requires-dist")
        if "provides-extras" in metadata:
            _strings(path, metadata["provides-extras"], f"{field}.provides-extras")
        requires_dev = _table_of_arrays(
            path, metadata.get("requires-dev", {}), f"{field}.requires-dev"
        )
        for group, entries in requires_dev.items():
            _requirements(path, entries, f"{field}.requires-dev.{group}")
    return Package(name, version, source, table)


def _check_edges(path: Path, packages: tuple[Package, ...]) -> None:
    """Every dependency edge leads to a package of the lock, as uv requires (a lock cut at a
    `[[package]]` boundary still parses, with edges into the packages it lost)."""
    by_name: dict[str, list[Package]] = {}
    for package in packages:
        by_name.setdefault(package.name, []).append(package)
    for index, package in enumerate(packages):
        positions: dict[str, int] = {}
        for place, edge in package.edges():
            position = positions[place] = positions.get(place, -1) + 1
            candidates = by_name.get(edge.name, [])
            if len(candidates) > 1:  # uv writes the version and source of a shared name
                candidates = [
                    c
                    for c in candidates
                    if edge.version in (None, c.version) and edge.source in (None, c.source)
                ]
            if not candidates:
                field = f"package[{index}] ({package.name}).{_place(place)}[{position}]"
                raise InputError(
                    path,
                    f"names {edge.name!r}, which is not a package of the lock; "
                    "is the lock cut short? run `uv lock`",
                    field=field,
                )


def _place(place: str) -> str:
    kind, _, name = place.partition(":")
    key = {"extra": "optional-dependencies", "group": "dev-dependencies"}.get(kind, kind)
    return f"{key}.{name}" if name else key


def parse_lock(data: Mapping[str, Any], path: Path) -> Lock:
    """Check the shape of a parsed uv.lock and build the model; errors name the field.

    Everything lockstrip reads is checked here, once: the types of the fields the commands
    read, markers, URLs, and that every edge leads to a package. The commands trust the
    model after this.
    """
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
    if not _is(revision, int):
        raise InputError(path, "expected an integer", field="revision")
    _require(path, data, "requires-python", str, "")
    for key in ("resolution-markers", "supported-markers", "required-markers"):
        if key in data:
            _markers(path, data[key], key)
    _check_manifest(path, data.get("manifest", {}))
    _check_conflicts(path, data.get("conflicts", []))
    tables = data.get("package", [])
    if not isinstance(tables, list):
        raise InputError(path, "expected an array of tables [[package]]", field="package")
    packages = []
    for index, table in enumerate(tables):
        if not isinstance(table, Mapping):
            raise InputError(path, "expected a table", field=f"package[{index}]")
        packages.append(_check_package(path, table, f"package[{index}]."))
    _check_edges(path, tuple(packages))
    return Lock(path, data, version, revision, tuple(packages))
