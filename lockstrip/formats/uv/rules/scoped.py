"""The scoped-export rules: what an export for one install (`--no-dev`, `--package`, a
target) leaves out of the frozen view, one reason per row, and the functions applying them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockstrip.formats.uv.rules.lock import registry_spelling
from lockstrip.formats.uv.rules.policy import MASKED_VERSION
from lockstrip.formats.uv.rules.pyproject import group_key

__all__ = [
    "GROUP_METADATA_REVISION",
    "SCOPED_DROPS",
    "SCOPED_MANIFEST_DROPS",
    "SCOPED_REVISION",
    "keep_lock_extras",
    "keep_lock_groups",
    "scoped_revision",
    "strip_scoped_lock",
]


#: What a scoped export (one install: `--no-dev`, `--package NAME`, a target) leaves out of
#: the frozen view, because `uv sync --frozen` with the export's own flags never reads it.
#: Whatever stays is what that install reads, so the export's bytes change when the install
#: does. (tests/test_selection.py checks each row against uv: `uv export --frozen` and
#: `uv sync --frozen --dry-run` with the same flags print the same on export and project.)
SCOPED_DROPS: dict[str, str] = {
    "local packages outside the install": "a member the install neither starts from nor "
    "reaches: its lock entry, its `[manifest] members` entry, its pyproject skeleton and "
    "its `[tool.uv.workspace]` entry go together, so uv finds no member it cannot locate",
    "manifest constraints, overrides, excludes": "resolution inputs: an install follows the "
    "lock's resolved edges and never re-reads them",
    "conflicts naming packages outside the install": "a conflict item about a package the "
    "install never reaches cannot be activated; a set left with one item conflicts with "
    "nothing",
    "group names the install does not choose": "a group stays when the install reads its "
    "edges, when the flags name it, when `default-groups` lists it (uv checks those names) or "
    "when a kept group includes it (`include-group`); a local lock entry's `requires-dev` "
    "names the same groups as its pyproject",
    "extra names the install does not choose": "a local lock entry's `provides-extras` keeps "
    "the extras whose edges the install reads and those the flags name for the packages it "
    "starts from (every one of theirs with `--all-extras`): uv checks `--extra` names "
    "against it, and with the other names gone `uv export` and `uv sync --frozen` print the "
    "same in every scope the oracle and tests/test_lock_shapes.py compare; a member that "
    "gains an extra no longer changes the exports of scopes that never choose it",
    "revision": "a revision below GROUP_METADATA_REVISION is written as SCOPED_REVISION: uv "
    "releases bump it (or add it) without a dependency change, and uv installs from locks of "
    "those revisions alike; from GROUP_METADATA_REVISION on it stays as written, since uv "
    "then reads the local packages' dependency-group metadata from the lock (scoped_revision)",
    "registry URL spelling": "registry URLs lose a trailing slash (REGISTRY_URL_SPELLING): "
    "`uv sync --frozen` downloads from each artifact's own URL and never compares the "
    "registry with the project's index settings",
    "a member's dynamic version": "members' skeletons are static (MASKED_VERSION), so their "
    "lock entries carry it too, whether or not the project's pyproject is dynamic",
    "lock-level resolution-markers that cover every environment": "uv bounds the markers it "
    "prints by the union of the lock's forks, so keeping only the forks a kept package names "
    "would change `uv export` (measured: autogen `--package autogen-agentchat --all-groups` "
    "gains `; python_full_version < '3.12'` on most lines); forks that cover every "
    "environment requires-python allows bound nothing, and go whole (scope._everywhere); "
    "any others stay whole",
    "local packages an install leaves out": "with `--no-install-workspace` or "
    "`--no-install-local` (uv sync's options, as a Dockerfile's download step runs it), the "
    "install reads the members (and path packages) only to find the third-party packages "
    "they lead to: they are folded into the first package the install starts from, one edge "
    "per package reached under the union of the markers on the paths to it (scope.Fold), so "
    "a member that gains an edge to a package it already had, or a new member that pulls "
    "nothing new, leaves the export alone; not folded (scope.fold says why): locks with "
    "conflicts, --only-group, a kept package that depends on a folded non-root, a "
    "project-less root's own requirements in a lock with environments",
    "dynamic dependencies of local packages an install leaves out": "with `--no-install-...`, "
    "uv neither builds the local packages nor, with --frozen, compares their metadata with "
    "the lock: their skeletons' `dynamic` keeps only `version` (static_metadata)",
}


#: The lock revision a scoped export is written with for a lock of a lower revision than
#: GROUP_METADATA_REVISION: one every uv since 0.5 reads as it reads revisions 1 to 4.
SCOPED_REVISION = 3


#: From this lock revision on, uv takes the local packages' dependency-group metadata
#: (`default-groups`, `group-requires-python`) from the lock, and `uv sync --frozen --package
#: M` holds the interpreter to M's own groups only; below it, uv reads the workspace root's
#: `default-groups` and their `[tool.uv.dependency-groups]` requires-python from the
#: pyproject files. Measured with uv 0.13.8: a revision-5 workspace installs `--package
#: plugin` on Python 3.11, and the same lock written as revision 3 (or 1, 2, 4) refuses 3.11
#: for the root's default group `test` (`requires-python = ">=3.12"`).
GROUP_METADATA_REVISION = 5


#: `[manifest]` keys a scoped export drops (see SCOPED_DROPS).
SCOPED_MANIFEST_DROPS = ("constraints", "overrides", "excludes")


def strip_scoped_lock(
    lock: Mapping[str, Any], *, members: set[str], forks_bound_nothing: bool = False
) -> dict[str, Any]:
    """A lock already cut down to one install's packages, with SCOPED_DROPS applied to the
    rest: conflict sets and `[manifest] members` about packages it no longer holds, the
    manifest's resolution inputs, the revision, registry spelling and members' versions.
    `members` are the workspace members other than the root; `forks_bound_nothing`, that
    the lock-level `resolution-markers` cover every environment (`scope.forks_bound_nothing`)."""
    kept: list[dict[str, Any]] = lock["package"]
    names = {table["name"] for table in kept}
    out: dict[str, Any] = {}
    for key, value in lock.items():
        if key == "resolution-markers" and forks_bound_nothing:
            continue
        if key == "revision":
            continue
        if key == "conflicts":
            value = [
                items
                for conflict in value
                if len(items := [item for item in conflict if item.get("package") in names]) > 1
            ]
        elif key == "manifest":
            manifest = {k: v for k, v in value.items() if k not in SCOPED_MANIFEST_DROPS}
            if "members" in manifest:
                manifest["members"] = [name for name in manifest["members"] if name in names]
            value = {k: v for k, v in manifest.items() if v}
        elif key == "package":
            value = [
                {"name": table["name"], "version": MASKED_VERSION, **registry_spelling(table)}
                if table["name"] in members and {"editable", "virtual"} & table["source"].keys()
                else registry_spelling(table)
                for table in kept
            ]
        if value or key == "package":
            out[key] = value
        if key == "version":
            out["revision"] = scoped_revision(lock.get("revision", 0))
    return out


def scoped_revision(revision: int) -> int:
    """The revision a scoped export writes for a lock of `revision` (SCOPED_DROPS): the
    revisions uv reads alike collapse to SCOPED_REVISION; from GROUP_METADATA_REVISION on,
    uv reads the lock differently, and a revision it may read differently again stays."""
    return revision if revision >= GROUP_METADATA_REVISION else SCOPED_REVISION


def keep_lock_extras(package: Mapping[str, Any], kept: set[str]) -> dict[str, Any]:
    """A local lock package whose `[package.metadata] provides-extras` names only the extras
    `kept` (normalized, SCOPED_DROPS): uv checks `--extra X` against those names."""
    metadata = package.get("metadata")
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("provides-extras"), list):
        return dict(package)
    extras = [name for name in metadata["provides-extras"] if group_key(name) in kept]
    rest = {
        k: extras if k == "provides-extras" else v
        for k, v in metadata.items()
        if k != "provides-extras" or extras
    }
    out = dict(package)
    if rest:
        out["metadata"] = rest
    else:
        del out["metadata"]
    return out


def keep_lock_groups(package: Mapping[str, Any], kept: set[str]) -> dict[str, Any]:
    """A local lock package whose `[package.metadata] requires-dev` names only the groups
    `kept` (normalized): uv checks `--group G` against those names, so they follow the
    pyproject's `keep_groups`, and a group the scope never reads stays out of the export."""
    out = dict(package)
    metadata = package.get("metadata")
    if isinstance(metadata, Mapping) and isinstance(metadata.get("requires-dev"), Mapping):
        dev = {g: v for g, v in metadata["requires-dev"].items() if group_key(g) in kept}
        rest = {k: v for k, v in metadata.items() if k != "requires-dev"}
        if dev:
            rest["requires-dev"] = dev
        if rest:
            out["metadata"] = rest
        else:
            del out["metadata"]
    return out
