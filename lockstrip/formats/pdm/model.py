"""Read a PDM project: pdm.lock, the pyproject.toml beside it, and the pyproject files of
the local path packages inside it.

Validation happens here, once: every field later stages read is checked, and bad input is a
`PdmLockError` naming the file and the field. The lock generations read are the ones real
PDM projects were measured with (docs/poetry-facts.md, fixtures/pdm): 4.0 and 4.2 (hashes
under `[metadata.files]`), 4.4 and 4.4.2 (`files` in each package, `strategy`), 4.5.0 and
4.5.1 (`targets`, and with `inherit_metadata` the `groups` and `marker` of each package).
Any other `lock_version` is refused, never guessed at; so is a lock that records
`lock_inputs` (PDM then checks more than `content_hash`, the project's version among it).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from lockstrip.formats.pdm.root import PdmLockError, Root, need, normalize, read_root, strings
from lockstrip.io.project_files import ProjectFiles
from lockstrip.io.tomlread import parse_toml

__all__ = [
    "LOCK_VERSIONS",
    "STRATEGIES",
    "Member",
    "Package",
    "PdmLockError",
    "PdmProject",
    "Root",
    "normalize",
    "read_files",
]

#: The lock generations lockstrip reads (`[metadata] lock_version`).
LOCK_VERSIONS = ("4.0", "4.2", "4.4", "4.4.2", "4.5.0", "4.5.1")
#: The strategy flags PDM 2.29 knows (`PDMLock.SUPPORTED_FLAGS`).
STRATEGIES = ("cross_platform", "direct_minimal_versions", "inherit_metadata", "static_urls")
#: The version-control keys of a package (`git = URL`, with `ref` and `revision`).
VCS = ("git", "hg", "svn", "bzr")

LOCK = "pdm.lock"
PYPROJECT = "pyproject.toml"


class Package(NamedTuple):
    """One `[[package]]` of pdm.lock (a package asked for with extras is an entry of its own)."""

    name: str  # normalized
    version: str
    extras: tuple[str, ...]  # normalized, sorted
    requires_python: str
    dependencies: tuple[str, ...]  # PEP 508 lines as PDM wrote them
    groups: tuple[str, ...]  # inherit_metadata: the groups that take it
    marker: str | None  # inherit_metadata: where it is installed
    files: tuple[tuple[str, str], ...]  # (file name, "sha256:...")
    path: str | None  # a local file or folder (POSIX, relative to the project)
    editable: bool
    url: str | None  # a direct URL
    vcs: Mapping[str, str]  # {"git": URL, "ref": ..., "revision": ..., "subdirectory": ...}
    file_urls: Mapping[str, str]  # file name -> the URL the lock records for it

    @property
    def local(self) -> bool:
        """A package read from the project's own tree, not fetched."""
        return self.path is not None

    @property
    def key(self) -> str:
        """How PDM identifies the entry: `name[extra,...]`."""
        return self.name + (f"[{','.join(self.extras)}]" if self.extras else "")


class Member(NamedTuple):
    """A local path package inside the project (POSIX path relative to the root)."""

    path: str
    pyproject: dict[str, Any] | None  # None when its pyproject.toml is not in the tree


class PdmProject(NamedTuple):
    root: Path
    lock_path: Path
    lock_text: str
    lock_version: str
    content_hash: str
    groups: tuple[str, ...] | None  # [metadata] groups; None in a 4.0 lock
    strategy: frozenset[str]
    targets: tuple[Mapping[str, Any], ...]
    packages: tuple[Package, ...]
    pyproject_path: Path
    pyproject_text: str
    pyproject: dict[str, Any]
    declared: Root  # what the pyproject asks PDM to install
    members: Mapping[str, Member]  # normalized package name -> member

    @property
    def requires_python(self) -> tuple[str | None, Path]:
        """The lock target's Python range, else the project's `requires-python`."""
        for target in self.targets:
            if isinstance(target.get("requires_python"), str) and target["requires_python"]:
                return target["requires_python"], self.lock_path
        spec = self.pyproject.get("project", {}).get("requires-python")
        return (spec if isinstance(spec, str) and spec else None), self.pyproject_path

    @property
    def name(self) -> str | None:
        """The root project's name, normalized."""
        name = self.pyproject.get("project", {}).get("name")
        return normalize(name) if isinstance(name, str) else None

    @property
    def inherits_metadata(self) -> bool:
        """Whether PDM installs from the groups and markers the lock records (else it
        resolves the lock again at install)."""
        return "inherit_metadata" in self.strategy


def _files(
    value: Any, path: Path, field: str
) -> tuple[tuple[tuple[str, str], ...], dict[str, str]]:
    """(file name, hash) pairs, and the URL of each file whose entry records one."""
    found, urls = [], {}
    for i, entry in enumerate(need(value, list, path, field)):
        where = f"{field}[{i}]"
        need(entry, dict, path, where)
        name = entry.get("file")
        if name is None:  # `static_urls` and the 4.0/4.2 `[metadata.files]`: the URL's file
            url = need(entry.get("url"), str, path, f"{where}.url")
            name = posixpath.basename(url.split("#", 1)[0].split("?", 1)[0])
        need(name, str, path, f"{where}.file")
        digest = need(entry.get("hash"), str, path, f"{where}.hash")
        if ":" not in digest:
            raise PdmLockError(path, "expected ALGORITHM:HEX", field=f"{where}.hash")
        found.append((name, digest))
        url = entry.get("url")
        if url is not None:
            urls[name] = need(url, str, path, f"{where}.url")
    return tuple(found), urls


def _package(table: Any, index: int, path: Path, old_files: Mapping[str, Any]) -> Package:
    where = f"package[{index}]"
    need(table, dict, path, where)
    name = need(table.get("name"), str, path, f"{where}.name")
    version = need(table.get("version"), str, path, f"{where}.version")
    extras = strings(table.get("extras", []), path, f"{where}.extras")
    requires_python = need(table.get("requires_python", ""), str, path, f"{where}.requires_python")
    dependencies = strings(table.get("dependencies", []), path, f"{where}.dependencies")
    groups = strings(table.get("groups", []), path, f"{where}.groups")
    marker = table.get("marker")
    if marker is not None:
        need(marker, str, path, f"{where}.marker")
    files = table.get("files")
    if files is None:  # 4.0/4.2: `"name version" = [...]` (the key carries extras in 4.0)
        key = f"{name}{'[' + ','.join(extras) + ']' if extras else ''} {version}"
        files = old_files.get(key, old_files.get(f"{name} {version}", []))
        field = f"metadata.files.{key}"
    else:
        field = f"{where}.files"
    local = table.get("path")
    if local is not None:
        need(local, str, path, f"{where}.path")
    url = table.get("url")
    if url is not None:
        need(url, str, path, f"{where}.url")
    vcs: dict[str, str] = {}
    for key in (*VCS, "ref", "revision", "subdirectory"):
        if key in table:
            vcs[key] = need(table[key], str, path, f"{where}.{key}")
    if not any(kind in vcs for kind in VCS):
        vcs = {}
    pairs, urls = _files(files, path, field)
    return Package(
        name=normalize(name),
        version=version,
        extras=tuple(sorted(normalize(e) for e in extras)),
        requires_python=requires_python,
        dependencies=dependencies,
        groups=tuple(normalize(g) for g in groups),
        marker=marker,
        files=pairs,
        path=None if local is None else posixpath.normpath(local.replace("\\", "/")),
        editable=need(table.get("editable", False), bool, path, f"{where}.editable"),
        url=url,
        vcs=vcs,
        file_urls=urls,
    )


def _strategy(metadata: Mapping[str, Any], path: Path) -> frozenset[str]:
    """The lock's strategy flags, read as PDM reads them (`PDMLock.strategy`): a lock that
    names none is `cross_platform` (old locks), unless it says `cross_platform = false`."""
    flags = set(strings(metadata.get("strategy", ["cross_platform"]), path, "metadata.strategy"))
    for i, flag in enumerate(sorted(flags)):
        if flag not in STRATEGIES:
            raise PdmLockError(
                path,
                f"strategy {flag!r} is not one PDM 2.29 writes ({', '.join(STRATEGIES)})",
                field=f"metadata.strategy[{i}]",
            )
    if need(metadata.get("cross_platform", True), bool, path, "metadata.cross_platform") is False:
        flags.discard("cross_platform")
    if need(metadata.get("static_urls", False), bool, path, "metadata.static_urls"):
        flags.add("static_urls")
    return frozenset(flags)


def read_metadata(lock: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The lock's `[metadata]`, its version checked."""
    metadata = need(lock.get("metadata"), dict, path, "metadata")
    version = metadata.get("lock_version")
    if version not in LOCK_VERSIONS:
        raise PdmLockError(
            path,
            f"lock_version {version!r} is not one lockstrip reads ({', '.join(LOCK_VERSIONS)}); "
            "`pdm lock` with PDM 2.29 writes 4.5.1",
            field="metadata.lock_version",
        )
    if "lock_inputs" in metadata:
        raise PdmLockError(
            path,
            "lock_inputs makes PDM check the project's name and version against the lock; "
            "lockstrip reads locks checked by content_hash alone",
            field="metadata.lock_inputs",
        )
    content_hash = need(metadata.get("content_hash"), str, path, "metadata.content_hash")
    if ":" not in content_hash:
        raise PdmLockError(path, "expected ALGORITHM:HEX", field="metadata.content_hash")
    return dict(metadata)


def read_files(files: ProjectFiles, root: Path) -> PdmProject:
    """Read a PDM project through `files`; `root` is where it lives."""
    lock_path = files.where(LOCK)
    lock_text = files.read(LOCK)
    if lock_text is None:
        raise PdmLockError(lock_path, "file not found (run `pdm lock` first)")
    pyproject_path = files.where(PYPROJECT)
    pyproject_text = files.read(PYPROJECT)
    if pyproject_text is None:
        raise PdmLockError(pyproject_path, "file not found (a PDM project needs one)")
    pyproject = parse_toml(pyproject_text, pyproject_path)
    lock = parse_toml(lock_text, lock_path)
    metadata = read_metadata(lock, lock_path)
    groups = metadata.get("groups")
    targets = need(metadata.get("targets", []), list, lock_path, "metadata.targets")
    for i, target in enumerate(targets):
        need(target, dict, lock_path, f"metadata.targets[{i}]")
    old_files = need(metadata.get("files", {}), dict, lock_path, "metadata.files")
    packages = tuple(
        _package(table, i, lock_path, old_files)
        for i, table in enumerate(need(lock.get("package", []), list, lock_path, "package"))
    )
    declared = read_root(pyproject, pyproject_path)
    members = {}
    for package in packages:
        rel = package.path
        if rel is None or posixpath.isabs(rel) or rel == ".." or rel.startswith("../"):
            continue  # outside the project: not exported, its version stays
        if rel.endswith((".whl", ".tar.gz", ".zip")):
            continue
        text = files.read(posixpath.join(rel, PYPROJECT))
        doc = (
            None if text is None else parse_toml(text, files.where(posixpath.join(rel, PYPROJECT)))
        )
        members[package.name] = Member(rel, doc)
    return PdmProject(
        root=root,
        lock_path=lock_path,
        lock_text=lock_text,
        lock_version=metadata["lock_version"],
        content_hash=metadata["content_hash"],
        groups=None
        if groups is None
        else tuple(normalize(g) for g in strings(groups, lock_path, "metadata.groups")),
        strategy=_strategy(metadata, lock_path),
        targets=tuple(targets),
        packages=packages,
        pyproject_path=pyproject_path,
        pyproject_text=pyproject_text,
        pyproject=pyproject,
        declared=declared,
        members=members,
    )
