"""What a Poetry export keeps of each file, and why removing the rest is safe.

Measured with Poetry 2.5.1 and 1.8.5 on 26 real projects (docs/poetry-facts.md): the lock's
`content-hash` covers only the dependency declarations, so a pyproject stripped to them
keeps `poetry check --lock` passing and plans the same install.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lockstrip.formats.poetry.constraints import allows
from lockstrip.formats.poetry.model import PoetryProject

__all__ = [
    "MASK",
    "POETRY_KEEPS",
    "PROJECT_KEEPS",
    "mask_lock",
    "masked_version",
    "strip_pyproject",
]

#: A local package's version in an export: a constant, so a release changes no byte.
MASK = "0.0.0"

#: `[project]` keys an export keeps. Poetry 2 hashes requires-python, dependencies and
#: optional-dependencies; name and version make it a project (version masked); `dynamic`
#: says where the rest comes from. Description, readme, license (a missing license file
#: fails every Poetry 2 command), authors, urls, scripts and classifiers are not read by
#: an install that leaves the project out (`--no-root`).
PROJECT_KEEPS = (
    "name",
    "version",
    "dynamic",
    "requires-python",
    "dependencies",
    "optional-dependencies",
)

#: `[tool.poetry]` keys an export keeps, and why.
POETRY_KEEPS: Mapping[str, str] = {
    "name": "a package-mode project needs one; locked packages may depend on it by name",
    "version": "Poetry 1.8 requires one in package mode (masked)",
    "description": "Poetry 1.8 requires one in package mode (written empty)",
    "authors": "Poetry 1.8 requires them in package mode (written empty)",
    "package-mode": "decides whether the root is a package at all",
    "dependencies": "hashed into content-hash",
    "dev-dependencies": "hashed into content-hash",
    "group": "hashed into content-hash (and says which groups are optional)",
    "extras": "hashed into content-hash",
    "source": "hashed into content-hash; where packages are downloaded from",
    "requires-poetry": "which Poetry may install the project",
    "requires-plugins": "the plugins Poetry installs before it runs",
}

#: Top-level tables an export keeps: the rest (`[tool.ruff]`, ...) Poetry never reads.
TABLE_KEEPS = ("build-system", "project", "dependency-groups", "tool")


def _depending_constraints(project: PoetryProject, name: str) -> list[str]:
    return [
        dep.constraint
        for package in project.packages
        for dep in package.dependencies
        if dep.name == name and dep.constraint != "*"
    ]


def masked_version(project: PoetryProject, name: str | None) -> str:
    """The version a local package gets in an export: `MASK`, unless a locked package
    depends on it with a constraint `MASK` fails (textual's dev tools need textual>=0.86.2:
    Poetry 1.8 then refuses to plan). Then the lowest version every such constraint allows,
    among the versions they name: still a function of the lock, not of the release."""
    if name is None:
        return MASK
    constraints = _depending_constraints(project, name)
    if all(allows(c, MASK) for c in constraints):
        return MASK
    from packaging.version import InvalidVersion, Version

    named = set()
    for constraint in constraints:
        for found in re.findall(r"\d+(?:\.\d+)*(?:[a-z]+\d*)?", constraint):
            try:
                named.add(Version(found))
            except InvalidVersion:
                continue
    for version in sorted(named):
        if all(allows(c, str(version)) for c in constraints):
            return str(version)
    return MASK


def _mask_version(table: dict[str, Any], value: str) -> None:
    if "version" in table:
        table["version"] = value


def strip_pyproject(doc: Mapping[str, Any], version: str) -> dict[str, Any]:
    """The export's pyproject: the tables and keys Poetry reads to install, local version
    masked to `version`."""
    out: dict[str, Any] = {key: doc[key] for key in TABLE_KEEPS if key in doc and key != "tool"}
    if "project" in out:
        out["project"] = {
            key: doc["project"][key] for key in PROJECT_KEEPS if key in doc["project"]
        }
        _mask_version(out["project"], version)
    poetry = doc.get("tool", {}).get("poetry")
    if isinstance(poetry, Mapping):
        kept = {key: poetry[key] for key in POETRY_KEEPS if key in poetry}
        _mask_version(kept, version)
        if "name" in kept:  # Poetry 1.8 reads package mode from [tool.poetry] alone
            kept["description"] = ""
            kept["authors"] = []
        out["tool"] = {"poetry": kept}
    return out


def mask_lock(text: str, versions: Mapping[int, str]) -> str:
    """poetry.lock with the `version` of the packages numbered in `versions` (their order
    in the lock) replaced; every other byte, the first line's and the line endings too, kept
    (Poetry 2.3+ reads how content-hash was made from the first line; a lock written on
    Windows ends its lines with CRLF)."""
    lines = text.splitlines(keepends=True)
    index = -1
    in_package = False
    for at, raw in enumerate(lines):
        line = raw.rstrip("\r\n")
        if line == "[[package]]":
            index += 1
            in_package = True
        elif line.startswith("["):
            in_package = False
        elif in_package and index in versions and line.startswith("version = "):
            lines[at] = f'version = "{versions[index]}"' + raw[len(line) :]
            in_package = False
    return "".join(lines)


def local_versions(project: PoetryProject) -> dict[int, str]:
    """The lock positions of the project's own directory packages, with their masks."""
    return {
        index: masked_version(project, package.name)
        for index, package in enumerate(project.packages)
        if package.name in project.members
    }
