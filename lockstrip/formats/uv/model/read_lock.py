"""Read uv.lock into the model (`parse_lock`), checking that it has the shape uv writes; every
error names the file and the field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lockstrip.environment.markers import MarkerError, check_marker
from lockstrip.environment.tags import url_path
from lockstrip.formats.uv.model.lockfile import (
    SOURCE_KINDS,
    SUPPORTED_LOCK_VERSIONS,
    TOML_TYPES,
    Lock,
    Package,
    Source,
    UvLockError,
    toml_type,
)

__all__ = ["check_markers", "check_url", "parse_lock", "url_path"]


def _is(value: Any, kind: type) -> bool:
    """`isinstance`, except that a boolean is never an integer (`version = true` is no 1)."""
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _require(path: Path, table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    """`table[key]`, which must be there and of `kind`; the error names `where` + `key`."""
    value = table.get(key)
    if not _is(value, kind):
        expected = dict(TOML_TYPES)[kind]
        raise UvLockError(path, f"expected {expected}, found {toml_type(value)}", field=where + key)
    return value


def _optional(path: Path, table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    """`table[key]` when it is there, which must then be of `kind`; else None."""
    return _require(path, table, key, kind, where) if key in table else None


def _strings(path: Path, value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UvLockError(path, "expected an array of strings", field=field)
    return value


def _tables(path: Path, value: Any, field: str) -> list[Mapping[str, Any]]:
    """`value` must be an array of tables."""
    if not isinstance(value, list):
        raise UvLockError(path, f"expected an array, found {toml_type(value)}", field=field)
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            found = toml_type(item)
            raise UvLockError(path, f"expected a table, found {found}", field=f"{field}[{index}]")
    return value


def _table_of_arrays(path: Path, value: Any, field: str) -> Mapping[str, list[Any]]:
    """`value` must be a table whose values are arrays of tables (groups, extras)."""
    if not isinstance(value, Mapping):
        raise UvLockError(path, f"expected a table, found {toml_type(value)}", field=field)
    for name, items in value.items():
        _tables(path, items, f"{field}.{name}")
    return value


def _marker(path: Path, value: Any, field: str) -> None:
    """A marker is a string; whether it parses is `check_markers`'s business."""
    if not isinstance(value, str):
        raise UvLockError(path, f"expected a string, found {toml_type(value)}", field=field)


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
            raise UvLockError(lock.path, f"not a valid marker: {error}", field=field) from None


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
        raise UvLockError(path, f"not a valid URL ({error}): {value!r}", field=field) from None


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
        raise UvLockError(path, f"expected one of: {kinds}", field=field)
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
        raise UvLockError(path, "expected a table [manifest]", field="manifest")
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
        raise UvLockError(path, "expected an array of arrays", field="conflicts")
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
        raise UvLockError(
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
                raise UvLockError(
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
        raise UvLockError(
            path,
            f"lock format version {version} is not supported (supported: {supported}); "
            "is this lock written by a newer uv than this lockstrip knows?",
            field="version",
        )
    revision = data.get("revision", 0)
    if not _is(revision, int):
        raise UvLockError(path, "expected an integer", field="revision")
    _require(path, data, "requires-python", str, "")
    for key in ("resolution-markers", "supported-markers", "required-markers"):
        if key in data:
            _markers(path, data[key], key)
    _check_manifest(path, data.get("manifest", {}))
    _check_conflicts(path, data.get("conflicts", []))
    tables = data.get("package", [])
    if not isinstance(tables, list):
        raise UvLockError(path, "expected an array of tables [[package]]", field="package")
    packages = []
    for index, table in enumerate(tables):
        if not isinstance(table, Mapping):
            raise UvLockError(path, "expected a table", field=f"package[{index}]")
        packages.append(_check_package(path, table, f"package[{index}]."))
    _check_edges(path, tuple(packages))
    return Lock(path, data, version, revision, tuple(packages))
