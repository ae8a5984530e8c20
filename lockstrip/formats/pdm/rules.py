"""What a PDM export keeps of each file, and why removing the rest is safe.

PDM 2.29's `content_hash` (`pdm/project/project_file.py`, `PyProject.content_hash`) covers
`[project]` dependencies, optional-dependencies and requires-python, the dependency groups
(`[dependency-groups]` and `[tool.pdm.dev-dependencies]`), `[[tool.pdm.source]]` and
`[tool.pdm.resolution]`: a pyproject stripped to those, with the version masked, keeps
`pdm lock --check` passing and plans the same install (measured on fixtures/pdm,
docs/poetry-facts.md; tests/test_pdm_format.py runs it on every fixture).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockstrip.formats.pdm.model import PdmProject

__all__ = ["MASK", "PDM_KEEPS", "PROJECT_KEEPS", "TABLE_KEEPS", "local_positions", "mask_lock"]

#: A local package's version in an export: a constant, so a release changes no byte.
#: pdm.lock records no root version; a lock written with `inherit_metadata` is installed
#: from its recorded groups, not solved again, so no locked package's need of the root's
#: version is checked at install.
MASK = "0.0.0"

#: `[project]` keys an export keeps. PDM hashes requires-python, dependencies and
#: optional-dependencies; `name` tells self-references (`pdm[keyring]`) from packages;
#: the version is masked; `dynamic` says where the rest comes from. The description,
#: readme, license, authors, urls, scripts and classifiers are read only to build the
#: project itself, which a download layer leaves out (`pdm install --no-self`).
PROJECT_KEEPS = (
    "name",
    "version",
    "dynamic",
    "requires-python",
    "dependencies",
    "optional-dependencies",
)

#: `[tool.pdm]` keys an export keeps, and why. Dropped: `scripts`, `build`, `version`,
#: `ide`, `ignore_package_warnings` and anything else PDM reads only to build or run.
PDM_KEEPS: Mapping[str, str] = {
    "dev-dependencies": "hashed into content_hash",
    "source": "hashed into content_hash; where packages are downloaded from",
    "resolution": "hashed into content_hash; `excludes` leaves packages out of every install",
    "distribution": "whether `pdm install` installs the project itself",
    "package-type": "the same, in PDM's newer words",
    "options": "default options PDM adds to `pdm install`",
    "lock": "which lock format PDM reads",
    "plugins": "the plugins `pdm install --plugins` installs",
}

#: Top-level tables an export keeps: the rest (`[tool.ruff]`, ...) PDM never reads.
TABLE_KEEPS = ("build-system", "project", "dependency-groups", "tool")


def strip_pyproject(doc: Mapping[str, Any], version: str = MASK) -> dict[str, Any]:
    """The export's pyproject: the tables and keys PDM reads to install, a written version
    masked to `version` (a dynamic one stays dynamic)."""
    out: dict[str, Any] = {key: doc[key] for key in TABLE_KEEPS if key in doc and key != "tool"}
    if "project" in out:
        project = {key: doc["project"][key] for key in PROJECT_KEEPS if key in doc["project"]}
        if "version" in project:
            project["version"] = version
        out["project"] = project
    pdm = doc.get("tool", {}).get("pdm")
    if isinstance(pdm, Mapping):
        kept = {key: pdm[key] for key in PDM_KEEPS if key in pdm}
        if kept:
            out["tool"] = {"pdm": kept}
    return out


def mask_lock(text: str, positions: set[int], version: str = MASK) -> str:
    """pdm.lock with the `version` of the packages at `positions` (their order in the lock)
    replaced; every other byte kept."""
    lines = text.split("\n")
    index = -1
    in_package = False
    for at, line in enumerate(lines):
        if line == "[[package]]":
            index += 1
            in_package = True
        elif line.startswith("["):
            in_package = False
        elif in_package and index in positions and line.startswith("version = "):
            lines[at] = f'version = "{version}"'
            in_package = False
    return "\n".join(lines)


def local_positions(project: PdmProject) -> set[int]:
    """The lock positions of the project's own path packages (inside its tree)."""
    return {
        index
        for index, package in enumerate(project.packages)
        if package.local and package.name in project.members
    }
