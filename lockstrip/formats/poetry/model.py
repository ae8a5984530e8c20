"""Read a Poetry project: poetry.lock, the pyproject.toml beside it, and the pyproject files
of the directory packages inside it (a monorepo's `develop = true` path dependencies).

Validation happens here, once: every field later stages read is checked, and bad input is a
`PoetryLockError` naming the file and the field. The lock generations read are the ones
measured with real Poetry (docs/poetry-facts.md): 1.1 (Poetry < 1.3, hashes under
`[metadata.files]`), 2.0 (1.3 to 1.8, `files` in each package) and 2.1 (2.x, with `groups`
and `markers` in each package). Any other `lock-version` is refused, never guessed at.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from lockstrip.environment.markers import MarkerError, check_marker
from lockstrip.formats.interface import FormatError
from lockstrip.formats.poetry.constraints import alternatives
from lockstrip.io.project_files import ProjectFiles
from lockstrip.io.tomlread import parse_toml

__all__ = [
    "LOCK_VERSIONS",
    "Dependency",
    "Member",
    "Package",
    "PoetryLockError",
    "PoetryProject",
    "normalize",
    "read_files",
]

#: The lock generations lockstrip reads (`[metadata] lock-version`).
LOCK_VERSIONS = ("1.1", "2.0", "2.1")

LOCK = "poetry.lock"
PYPROJECT = "pyproject.toml"


class PoetryLockError(FormatError):
    """poetry.lock or a pyproject.toml beside it that lockstrip cannot read."""


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Dependency(NamedTuple):
    """One `[package.dependencies]` entry (or one alternative of a list of them)."""

    name: str  # normalized
    constraint: str  # Poetry's syntax; "*" when the entry names none (a path, a git URL)
    markers: str | None
    extras: tuple[str, ...]
    optional: bool

    def text(self) -> str:
        """The entry as people read it: `name[extra] constraint ; marker`."""
        text = self.name + (f"[{','.join(self.extras)}]" if self.extras else "")
        text += "" if self.constraint == "*" else f" {self.constraint}"
        text += " (optional)" if self.optional else ""
        return text + (f" ; {self.markers}" if self.markers else "")


class Package(NamedTuple):
    """One `[[package]]` of poetry.lock."""

    name: str  # normalized
    version: str
    optional: bool
    python_versions: str
    files: tuple[tuple[str, str], ...]  # (file name, "sha256:...")
    source: Mapping[str, str]  # [package.source]: type, url, reference, ...; {} for the index
    dependencies: tuple[Dependency, ...]
    extras: Mapping[str, tuple[str, ...]]  # extra -> requirement strings (PEP 508)
    groups: tuple[str, ...]  # lock 2.1; () before
    markers: str | Mapping[str, str] | None  # lock 2.1: one marker or one per group
    category: str | None  # lock 1.1: "main" or "dev"
    develop: bool

    @property
    def local(self) -> bool:
        """A package read from the project's own tree (a directory or a file), not fetched."""
        return self.source.get("type") in ("directory", "file")

    @property
    def source_name(self) -> str | None:
        """The name of the `[[tool.poetry.source]]` it comes from (`type = "legacy"`), None
        for PyPI and for packages that are not on an index."""
        if self.source.get("type") == "legacy":
            return self.source.get("reference")
        return None


class Member(NamedTuple):
    """A directory package inside the project (POSIX path relative to the root)."""

    path: str
    pyproject: dict[str, Any] | None  # None when its pyproject.toml is not in the tree


class PoetryProject(NamedTuple):
    root: Path
    lock_path: Path
    lock_text: str
    lock_version: str
    generated_by: str | None  # the Poetry version in the lock's first line
    content_hash: str
    python_versions: str
    packages: tuple[Package, ...]
    pyproject_path: Path
    pyproject_text: str
    pyproject: dict[str, Any]
    members: Mapping[str, Member]  # normalized package name -> member

    @property
    def requires_python(self) -> tuple[str | None, Path]:
        """The lock's `python-versions` as PEP 440 (its first alternative when it is a union)."""
        found = alternatives(self.python_versions)
        spec = str(found[0]) if found else None
        return (spec or None), self.lock_path

    @property
    def name(self) -> str | None:
        """The root project's name, normalized."""
        project = self.pyproject.get("project", {})
        poetry = self.pyproject.get("tool", {}).get("poetry", {})
        name = project.get("name") or poetry.get("name")
        return normalize(name) if isinstance(name, str) else None


def _need(value: Any, kind: type | tuple[type, ...], path: Path, field: str) -> Any:
    if not isinstance(value, kind):
        names = kind if isinstance(kind, tuple) else (kind,)
        wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in names)
        raise PoetryLockError(path, f"expected {wanted}", field=field)
    return value


_TYPE_NAMES = {str: "a string", list: "an array", dict: "a table", bool: "a boolean"}


def _dependency(name: str, value: Any, path: Path, field: str) -> list[Dependency]:
    """One dependency entry of poetry.lock or of a pyproject, checked: its constraint and
    marker are read here once, so no later stage meets one it cannot read."""
    if isinstance(value, str):
        _check_constraint(value, path, field)
        return [Dependency(normalize(name), value, None, (), False)]
    if isinstance(value, list):  # alternatives by marker
        return [
            d
            for i, item in enumerate(value)
            for d in _dependency(name, item, path, f"{field}[{i}]")
        ]
    table = _need(value, dict, path, field)
    constraint = table.get("version", "*")
    _need(constraint, str, path, f"{field}.version")
    _check_constraint(constraint, path, f"{field}.version")
    markers = table.get("markers")
    if markers is not None:
        _need(markers, str, path, f"{field}.markers")
        try:
            check_marker(markers)
        except MarkerError as error:
            raise PoetryLockError(
                path, f"not a marker: {error}", field=f"{field}.markers"
            ) from None
    # poetry-core's factory: `python` and `platform` narrow the marker (python_version,
    # sys_platform), intersected with `markers`.
    narrowed = [markers]
    for key, make in (("python", _python_marker), ("platform", _platform_marker)):
        if key in table:
            value = _need(table[key], str, path, f"{field}.{key}")
            try:
                narrowed.append(make(value))
            except ValueError as error:
                raise PoetryLockError(path, str(error), field=f"{field}.{key}") from None
    found = [marker for marker in narrowed if marker]
    markers = found[0] if len(found) == 1 else " and ".join(f"({m})" for m in found) or None
    extras = _need(table.get("extras", []), list, path, f"{field}.extras")
    for i, extra in enumerate(extras):
        _need(extra, str, path, f"{field}.extras[{i}]")
    optional = _need(table.get("optional", False), bool, path, f"{field}.optional")
    return [
        Dependency(normalize(name), constraint, markers, tuple(map(normalize, extras)), optional)
    ]


def _python_marker(constraint: str) -> str | None:
    """A `python = "..."` constraint as a marker (None for any Python): python_version for
    X.Y bounds, python_full_version where the bound names a patch release."""
    found = []
    for spec in alternatives(constraint):
        clauses = []
        for item in sorted(spec, key=str):
            release = item.version.split("+")[0].removesuffix(".*")
            variable = "python_full_version" if release.count(".") >= 2 else "python_version"
            clauses.append(f'{variable} {item.operator} "{item.version}"')
        if not clauses:
            return None
        found.append(" and ".join(clauses))
    if len(found) == 1:
        return found[0]
    return " or ".join(f"({alternative})" for alternative in found)


def _platform_marker(constraint: str) -> str | None:
    """A `platform = "linux || darwin"` constraint as a sys_platform marker."""
    found = []
    for alternative in re.split(r"\|\|?", constraint):
        value = alternative.strip()
        if value in ("", "*"):
            return None
        negated = value.startswith("!")
        value = value.lstrip("!=").strip()
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
            raise ValueError(f"not a platform: {constraint!r}")
        found.append(f'sys_platform {"!=" if negated else "=="} "{value}"')
    return " or ".join(found)


def _check_constraint(constraint: str, path: Path, field: str) -> None:
    try:
        alternatives(constraint)
    except ValueError as error:
        raise PoetryLockError(path, str(error), field=field) from None


def _package(table: Any, index: int, path: Path, files: Mapping[str, Any]) -> Package:
    where = f"package[{index}]"
    _need(table, dict, path, where)
    name = _need(table.get("name"), str, path, f"{where}.name")
    version = _need(table.get("version"), str, path, f"{where}.version")
    python_versions = _need(
        table.get("python-versions", "*"), str, path, f"{where}.python-versions"
    )
    _check_constraint(python_versions, path, f"{where}.python-versions")
    source = _need(table.get("source", {}), dict, path, f"{where}.source")
    for key, value in source.items():
        _need(value, str, path, f"{where}.source.{key}")
    raw_files = table.get("files", files.get(name, files.get(normalize(name), [])))
    found = []
    for i, entry in enumerate(_need(raw_files, list, path, f"{where}.files")):
        _need(entry, dict, path, f"{where}.files[{i}]")
        file = _need(entry.get("file"), str, path, f"{where}.files[{i}].file")
        digest = _need(entry.get("hash"), str, path, f"{where}.files[{i}].hash")
        if ":" not in digest:
            raise PoetryLockError(path, "expected ALGORITHM:HEX", field=f"{where}.files[{i}].hash")
        found.append((file, digest))
    deps = []
    for dep, value in _need(
        table.get("dependencies", {}), dict, path, f"{where}.dependencies"
    ).items():
        deps += _dependency(dep, value, path, f"{where}.dependencies.{dep}")
    extras = {}
    for extra, items in _need(table.get("extras", {}), dict, path, f"{where}.extras").items():
        for i, item in enumerate(_need(items, list, path, f"{where}.extras.{extra}")):
            _need(item, str, path, f"{where}.extras.{extra}[{i}]")
        extras[normalize(extra)] = tuple(items)
    groups = _need(table.get("groups", []), list, path, f"{where}.groups")
    for i, group in enumerate(groups):
        _need(group, str, path, f"{where}.groups[{i}]")
    markers = table.get("markers")
    if markers is not None:
        _need(markers, (str, dict), path, f"{where}.markers")
    category = table.get("category")
    if category is not None:
        _need(category, str, path, f"{where}.category")
    return Package(
        name=normalize(name),
        version=version,
        optional=_need(table.get("optional", False), bool, path, f"{where}.optional"),
        python_versions=python_versions,
        files=tuple(found),
        source=source,
        dependencies=tuple(deps),
        extras=extras,
        groups=tuple(groups),
        markers=markers,
        category=category,
        develop=_need(table.get("develop", False), bool, path, f"{where}.develop"),
    )


_GENERATED = re.compile(r"#.*generated by Poetry (?P<version>\S+?)[ \n]", re.IGNORECASE)


def read_files(files: ProjectFiles, root: Path) -> PoetryProject:
    """Read a Poetry project through `files`; `root` is where it lives."""
    lock_path = files.where(LOCK)
    lock_text = files.read(LOCK)
    if lock_text is None:
        raise PoetryLockError(lock_path, "file not found (run `poetry lock` first)")
    pyproject_path = files.where(PYPROJECT)
    pyproject_text = files.read(PYPROJECT)
    if pyproject_text is None:
        raise PoetryLockError(pyproject_path, "file not found (a Poetry project needs one)")
    pyproject = parse_toml(pyproject_text, pyproject_path)
    lock = parse_toml(lock_text, lock_path)
    metadata = _need(lock.get("metadata"), dict, lock_path, "metadata")
    version = metadata.get("lock-version")
    if version not in LOCK_VERSIONS:
        known = ", ".join(LOCK_VERSIONS)
        raise PoetryLockError(
            lock_path,
            f"lock-version {version!r} is not one lockstrip reads ({known}); "
            "`poetry lock` with a current Poetry rewrites it",
            field="metadata.lock-version",
        )
    content_hash = _need(metadata.get("content-hash"), str, lock_path, "metadata.content-hash")
    python = _need(metadata.get("python-versions", "*"), str, lock_path, "metadata.python-versions")
    _check_constraint(python, lock_path, "metadata.python-versions")
    old_files = _need(metadata.get("files", {}), dict, lock_path, "metadata.files")
    packages = tuple(
        _package(table, i, lock_path, old_files)
        for i, table in enumerate(_need(lock.get("package", []), list, lock_path, "package"))
    )
    first = lock_text.split("\n", 1)[0] + "\n"
    generated = _GENERATED.match(first)
    members = {}
    for package in packages:
        if package.source.get("type") != "directory":
            continue
        url = package.source.get("url", "")
        rel = posixpath.normpath(url.replace("\\", "/"))
        if posixpath.isabs(rel) or rel == ".." or rel.startswith("../"):
            continue  # outside the project: not exported, its version stays
        text = files.read(posixpath.join(rel, PYPROJECT))
        doc = (
            None if text is None else parse_toml(text, files.where(posixpath.join(rel, PYPROJECT)))
        )
        members[package.name] = Member(rel, doc)
    return PoetryProject(
        root=root,
        lock_path=lock_path,
        lock_text=lock_text,
        lock_version=version,
        generated_by=generated.group("version") if generated else None,
        content_hash=content_hash,
        python_versions=python,
        packages=packages,
        pyproject_path=pyproject_path,
        pyproject_text=pyproject_text,
        pyproject=pyproject,
        members=members,
    )
