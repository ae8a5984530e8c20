"""What is volatile, and what each view keeps: the one place that decides it.

A field is volatile when it changes without a change in the third-party packages a project
installs (a release bump, a docs edit, a newer uv rewriting its lock). Each table below
gives one reason per row, the way crane's `cleanCargoToml` does. Three views read them:

* ``frozen``: the default export, the least that `uv sync --frozen` needs;
* ``locked``: the export that `uv lock --check` and `uv sync --locked` also accept;
* ``digest``: the canonical third-party view that the digest hashes.

When in doubt a field is kept: keeping a stable field only costs a cache miss, dropping a
field that matters would ship stale dependencies. So unknown lock keys are kept in every
view, and unknown pyproject keys are dropped only where a table says uv does not read them
for installation.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from lockstrip.formats.uv.model.lockfile import Lock, Package, Source

__all__ = [
    "GROUP_METADATA_REVISION",
    "LOCAL_SOURCE_KINDS",
    "MASKED_VERSION",
    "SCOPED_DROPS",
    "SCOPED_MANIFEST_DROPS",
    "SCOPED_REVISION",
    "UNORDERED_KEYS",
    "Locals",
    "Policy",
    "View",
    "find_locals",
    "keep_groups",
    "keep_lock_extras",
    "keep_lock_groups",
    "kept_group_names",
    "local_id",
    "registry_spelling",
    "scoped_revision",
    "strip_lock",
    "strip_member_pyproject",
    "strip_root_pyproject",
    "strip_scoped_lock",
]

View = Literal["frozen", "locked", "digest"]

#: What local versions become, in pyproject files and lock alike (cargo-chef masks to 0.0.1).
MASKED_VERSION = "0.0.0"


class Policy(NamedTuple):
    """Which views keep a field, and why."""

    frozen: bool
    locked: bool
    digest: bool
    reason: str

    def keeps(self, view: View) -> bool:
        return bool(getattr(self, view))


KEEP = Policy(True, True, True, "decides what is installed")

# --- uv.lock -------------------------------------------------------------------------------

#: Sources whose package is built from the project's own tree (or a sibling checkout), never
#: downloaded. Their versions and metadata are the project's, not third-party facts. Local is
#: decided by source, never by name: a registry package may share a local package's name.
LOCAL_SOURCE_KINDS: dict[str, str] = {
    "editable": "installed from a folder in development mode: the root or a member",
    "virtual": "a project that is not installed itself (tool.uv.package = false)",
    "directory": "a path dependency on a folder, built at install time",
}

LOCK_KEYS: dict[str, Policy] = {
    "version": Policy(True, True, True, "the format version: uv refuses a lock it cannot read"),
    "revision": Policy(
        True, True, False, "bumped by uv releases (1 -> 2 -> 3 -> 5) without a dependency change"
    ),
    "requires-python": KEEP,
    "resolution-markers": KEEP,
    "supported-markers": KEEP,
    "required-markers": KEEP,
    "conflicts": KEEP,
    "options": Policy(
        False,
        True,
        False,
        "resolver settings (exclude-newer timestamps, resolution and prerelease modes): "
        "only a new resolution reads them, `uv lock --check` compares them",
    ),
}

#: Lists that uv reads as sets but writes in an order that can move between re-locks with
#: the same resolution: every view writes them sorted (top level and in each package).
UNORDERED_KEYS: dict[str, str] = {
    "resolution-markers": (
        "uv's fork order moves between re-locks of the same resolution (seen after a version "
        "bump of a local package); uv reads them as a set, and `uv lock --check` accepts any "
        "order"
    ),
}

MANIFEST_KEYS: dict[str, Policy] = {
    "members": Policy(
        True, True, False, "local names; `uv sync --frozen --all-packages` enumerates them"
    ),
    "requirements": Policy(
        True, True, True, "a project-less root's requirements: they decide what it installs"
    ),
    "dependency-groups": Policy(
        True, True, True, "a project-less root's groups: they decide what it installs"
    ),
    "constraints": KEEP,
    "overrides": KEEP,
    "excludes": KEEP,
    "build-constraints": Policy(
        True,
        True,
        False,
        "pins for the build requirements of sdists: `uv sync --frozen` builds under them "
        "(it reads them here, not in [tool.uv]); they change how a package is built, not "
        "which packages are installed",
    ),
    "dependency-metadata": Policy(
        False, True, False, "metadata stand-ins used while resolving, checked by --locked"
    ),
}

#: Manifest entries that the installer reads by name, extras and marker only (uv's
#: `Installable::to_resolution` finds the locked package by name); their specifiers, like
#: `[package.metadata]`, are what `--locked` compares.
MANIFEST_BY_NAME = ("requirements", "dependency-groups")
REQUIREMENT_SPECIFIER = Policy(
    False, True, False, "the specifier as written: the locked package it names is installed"
)

#: Keys of a local package's table (the root, members, path dependencies) that are the
#: project's own facts, not third-party ones.
LOCAL_PACKAGE_KEYS: dict[str, Policy] = {
    "version": Policy(
        True, True, False, "every release; masked to 0.0.0 where kept (uv requires one)"
    ),
    "name": Policy(
        True, True, False, "a rename; the digest names a local package by its source instead"
    ),
    "metadata": Policy(
        False,
        True,
        False,
        "the specifiers as written (`>=1.2,<2`): `uv lock --check` compares them, the "
        "resolved edges above them decide what is installed",
    ),
}

#: Keys of a local package's `[package.metadata]` that a view keeps even where it drops the
#: table (the table comes back holding only them, as names: see `_names`).
LOCAL_METADATA_KEYS: dict[str, Policy] = {
    "provides-extras": Policy(
        True,
        True,
        True,
        "the extra names: `uv sync --frozen --extra X` refuses an extra missing here, even "
        "one with no dependencies (which leaves no edge in the lock)",
    ),
    "requires-dev": Policy(
        True,
        True,
        True,
        "the group names: `uv sync --frozen --group G` refuses a group missing here, even one "
        "whose requirements are all outside the lock's environments (no edge in the lock)",
    ),
}

#: Representations that change without a change to what is downloaded (digest view only:
#: the export keeps uv's spelling, which `uv sync` compares with the project's settings).
REGISTRY_URL_SPELLING = (
    "a registry URL's trailing slash: uv releases spell https://pypi.org/simple with and "
    "without it; the artifacts' own URLs and hashes are unchanged"
)

#: Keys inside sdist and wheel tables that change without a change to the artifact.
ARTIFACT_VOLATILE_KEYS: dict[str, str] = {
    "upload-time": "added to every artifact by uv 0.6.15+ on the first re-lock",
    "upload_time": "the same field as written by uv 0.6.x",
    "zstd": "compressed-copy entries added by uv 0.9+; the wheel's own url and hash stay",
}

# --- scoped exports ------------------------------------------------------------------------

#: What a scoped export (one install: `--no-dev`, `--package NAME`, a target) leaves out of
#: the frozen view, because `uv sync --frozen` with the export's own flags never reads it.
#: Whatever stays is what that install reads, so the export's bytes change when the install
#: does. (tests/test_scope.py checks each row against uv: `uv export --frozen` and
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


# --- pyproject.toml ------------------------------------------------------------------------


def static_metadata(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A skeleton for an install that leaves the local packages out: uv neither builds them
    nor, with --frozen, compares their metadata with the lock, so `dynamic` keeps only the
    version (which decides whether the lock holds one) and a project that starts to declare
    its dependencies dynamic leaves the export alone (SCOPED_DROPS)."""
    project = doc.get("project")
    if not isinstance(project, Mapping) or "dynamic" not in project:
        return dict(doc)
    dynamic = [entry for entry in project["dynamic"] if entry == "version"]
    table = {k: v for k, v in project.items() if k != "dynamic" or dynamic}
    if dynamic:
        table["dynamic"] = dynamic
    return {**doc, "project": table}


PROJECT_KEYS: dict[str, Policy] = {
    "name": Policy(True, True, False, "uv matches it with the lock's package entry"),
    "version": Policy(
        True, True, False, "every release; masked to 0.0.0, in the lock too (uv requires one)"
    ),
    "dynamic": Policy(
        True, True, False, "a dynamic version stays dynamic: the lock then has no version"
    ),
    "requires-python": KEEP,
    "dependencies": Policy(
        False, True, False, "specifiers: the lock's resolved edges decide what is installed"
    ),
    "optional-dependencies": Policy(
        False, True, False, "specifiers: the lock's resolved edges decide what is installed"
    ),
    # Everything else in [project] (description, readme, authors, maintainers, keywords,
    # classifiers, urls, license, scripts, gui-scripts, entry-points) is dropped: docs and
    # packaging edits that never change uv.lock.
}

#: `dynamic` entries that uv reads when it locks; others (readme, scripts, ...) are docs.
DYNAMIC_KEPT = ("version", "dependencies", "optional-dependencies")

PYPROJECT_TABLES: dict[str, Policy] = {
    "project": KEEP,
    "build-system": Policy(
        False, True, False, "decides editable vs virtual root; only validation compares it"
    ),
    "dependency-groups": Policy(
        True,
        True,
        False,
        "specifiers: the lock's resolved edges decide what is installed; the frozen view keeps "
        "the group names only, which `--group` and `default-groups` must find",
    ),
    # [tool] is reduced to [tool.uv]: every other tool (ruff, pytest, mypy, hatch, ...) is
    # linter, test-runner or build-backend configuration.
}

#: [tool.uv] settings the frozen view drops: each row says why `uv sync --frozen` does not
#: read it for the install (uv 0.13.8: `do_sync` takes the installer settings, the
#: interpreter and global settings, and the project's structure; resolver-only settings go
#: to `uv lock`, whose outcome the lock holds). Every other setting is kept, those uv adds in
#: later releases included (the module docstring's rule): a kept setting costs at most a
#: cache miss, a dropped one that uv reads would let the download stage install differently
#: from the final stage (an interpreter uv refuses there, say). The locked view keeps all of
#: [tool.uv], since `uv lock --check` reads these too.
TOOL_UV_FROZEN_DROPS: dict[str, str] = {
    "resolution": "resolver strategy: only a new resolution reads it, the lock holds its outcome",
    "prerelease": "resolver strategy: only a new resolution reads it, the lock holds its outcome",
    "prerelease-package": "per-package prerelease mode: only a new resolution reads it",
    "fork-strategy": "how the resolver forks: only a new resolution reads it",
    "upgrade": "`uv lock` upgrades: --frozen never re-locks",
    "upgrade-package": "`uv lock` upgrades: --frozen never re-locks",
    "torch-backend": "an index choice for resolving PyTorch packages: the lock holds each "
    "package's index and artifact URLs",
    "constraint-dependencies": "resolution input: the lock's [manifest] holds it, the edges "
    "its outcome",
    "override-dependencies": "resolution input: the lock's [manifest] holds it, the edges its "
    "outcome",
    "exclude-dependencies": "resolution input: the lock's [manifest] holds it, the edges its "
    "outcome",
    "build-constraint-dependencies": "`uv sync --frozen` reads the build constraints from the "
    "lock's [manifest] (kept: MANIFEST_KEYS), not from here",
    "conflicts": "`uv sync --frozen` checks the chosen extras and groups against the lock's "
    "`conflicts`, not these",
    "environments": "`uv sync --frozen` checks the platform against the lock's "
    "`supported-markers`, not these",
    "required-environments": "`uv lock` requires wheels for them; the lock's "
    "`required-markers` record them",
    "sources": "the lock records each package's source; what `uv sync --frozen` still takes "
    "from this table is credentials written into git and URL sources, which an export must "
    "not carry (they belong to the build's secrets)",
    "add-bounds": "read by `uv add` only",
    "pip": "read by the `uv pip` interface only",
    "publish-url": "read by `uv publish` only",
    "trusted-publishing": "read by `uv publish` only",
    "check-url": "read by `uv publish` only",
    "build-backend": "configures the uv_build backend, which builds the project itself; the "
    "download stage never builds it (`--no-install-project`) and the frozen view drops "
    "[build-system]",
}

#: [tool.uv] settings the frozen view keeps by name only: their entries are specifiers.
TOOL_UV_NAMES_ONLY = ("dev-dependencies",)

#: [tool.uv] settings a workspace member's (or path dependency's) skeleton keeps: the
#: per-group requires-python, which `uv sync --frozen --package NAME --group G` checks. (A
#: member's legacy dev-dependencies need nothing here: its lock entry names the group.)
MEMBER_TOOL_UV_KEYS = ("dependency-groups",)

#: Entries of a dependency group that are structure, not specifiers: the frozen view keeps
#: them where it drops the group's requirements.
GROUP_STRUCTURE_KEYS: dict[str, str] = {
    "include-group": (
        "the including group installs the included one's packages and is held to its "
        "per-group requires-python ([tool.uv.dependency-groups]), which uv checks"
    ),
}

#: [tool.uv] settings that decide the installed third-party set itself (the digest's share).
#: Unlike the export, the digest names what it keeps: it is a key for the third-party set,
#: and the settings that choose the interpreter, the uv version or how packages are fetched
#: and written leave that set as the lock says; the export keeps them so that the install
#: runs as it does on the project.
TOOL_UV_DIGEST_KEYS = (
    "default-groups",
    "dependency-groups",
    "no-binary",
    "no-binary-package",
    "no-build",
    "no-build-package",
)


# --- local packages ------------------------------------------------------------------------


class Locals(NamedTuple):
    """The lock's local packages: name -> source, and which names are also third-party."""

    by_name: Mapping[str, Source]
    shared_names: frozenset[str]

    def is_local(self, package: Package) -> bool:
        return package.source.kind in LOCAL_SOURCE_KINDS

    def edge_target(self, edge: Mapping[str, Any]) -> Source | None:
        """The local source an edge points to, or None for a third-party edge."""
        source = edge.get("source")
        if isinstance(source, Mapping):
            found = Source.from_table(source)
            return found if found and found.kind in LOCAL_SOURCE_KINDS else None
        name = edge.get("name")
        if name in self.shared_names:
            return None  # uv writes the source on edges to a shared name; none means registry
        return self.by_name.get(name) if isinstance(name, str) else None


def find_locals(lock: Lock) -> Locals:
    local = {p.name: p.source for p in lock.packages if p.source.kind in LOCAL_SOURCE_KINDS}
    third_party = {p.name for p in lock.packages if p.source.kind not in LOCAL_SOURCE_KINDS}
    return Locals(local, frozenset(local.keys() & third_party))


def local_id(source: Source) -> str:
    """How the digest names a local package: by its place, not its name or version."""
    return f"{source.kind}:{posixpath.normpath(source.location)}"


# --- the lock ------------------------------------------------------------------------------


def strip_lock(lock: Lock, locals: Locals, view: View) -> dict[str, Any]:
    """The lock as `view` keeps it: a new dict, the input untouched."""
    out: dict[str, Any] = {}
    for key, value in lock.data.items():
        if key == "package":
            out[key] = [_strip_package(package, locals, view) for package in lock.packages]
        elif key == "manifest":
            manifest = _keep(value, MANIFEST_KEYS, view)
            if not REQUIREMENT_SPECIFIER.keeps(view):
                for by_name in MANIFEST_BY_NAME:
                    if by_name in manifest:
                        manifest[by_name] = _drop_specifiers(manifest[by_name])
            if view == "digest":
                manifest = _anonymize_conflicts_and_names(manifest, locals)
            if manifest:
                out[key] = manifest
        elif key in LOCK_KEYS:
            if LOCK_KEYS[key].keeps(view):
                out[key] = sorted(value) if key in UNORDERED_KEYS else value
        else:
            out[key] = value  # unknown to this release: kept (see the module docstring)
    if view == "digest" and "conflicts" in out:
        out["conflicts"] = _anonymize_conflicts_and_names(out["conflicts"], locals)
    # Every view has a package list: uv writes no [[package]] at all for a project-less
    # root whose groups are empty, and readers of a view should not have to know that.
    out.setdefault("package", [])
    return out


def _drop_specifiers(value: Any) -> Any:
    """Requirement tables (in lists, or lists in a table of groups) without `specifier`."""
    if isinstance(value, Mapping):
        if "name" in value:
            return {k: v for k, v in value.items() if k != "specifier"}
        return {k: _drop_specifiers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_drop_specifiers(v) for v in value]
    return value


def _keep(table: Mapping[str, Any], policies: Mapping[str, Policy], view: View) -> dict[str, Any]:
    return {k: v for k, v in table.items() if k not in policies or policies[k].keeps(view)}


def _strip_package(package: Package, locals: Locals, view: View) -> dict[str, Any]:
    local = locals.is_local(package)
    out: dict[str, Any] = {}
    for key, value in package.data.items():
        if key == "sdist":
            out[key] = _strip_artifact(value)
        elif key == "wheels":
            out[key] = [_strip_artifact(wheel) for wheel in value]
        elif key == "dependencies":
            out[key] = [_strip_edge(edge, locals, view) for edge in value]
        elif key in ("optional-dependencies", "dev-dependencies"):
            out[key] = {
                name: [_strip_edge(edge, locals, view) for edge in edges]
                for name, edges in value.items()
            }
        elif local and key in LOCAL_PACKAGE_KEYS:
            if not LOCAL_PACKAGE_KEYS[key].keeps(view):
                if key == "metadata" and isinstance(value, Mapping):
                    kept = {
                        k: _names(v)
                        for k, v in value.items()
                        if k in LOCAL_METADATA_KEYS and LOCAL_METADATA_KEYS[k].keeps(view)
                    }
                    if kept:
                        out[key] = kept
            elif key == "version":
                out[key] = MASKED_VERSION
            else:
                out[key] = value
        elif key == "source" and view == "digest":
            out[key] = _registry_spelling(value)
        elif key in UNORDERED_KEYS:
            out[key] = sorted(value)
        else:
            out[key] = value
    return out


def registry_spelling(package: Mapping[str, Any]) -> dict[str, Any]:
    """A lock package with its registry URLs, its own and its edges', spelled one way
    (REGISTRY_URL_SPELLING): for views that uv reads without comparing them to settings."""
    out = dict(package)
    if isinstance(out.get("source"), Mapping):
        out["source"] = _registry_spelling(out["source"])

    def edges(table: list[Any]) -> list[Any]:
        return [
            {**edge, "source": _registry_spelling(edge["source"])}
            if isinstance(edge.get("source"), Mapping)
            else edge
            for edge in table
        ]

    if "dependencies" in out:
        out["dependencies"] = edges(out["dependencies"])
    for key in ("optional-dependencies", "dev-dependencies"):
        if key in out:
            out[key] = {name: edges(table) for name, table in out[key].items()}
    return out


def _names(value: Any) -> Any:
    """The names a list or table holds, in a canonical order: a list sorted, a table's keys
    with empty lists (its specifiers are what only validation reads)."""
    if isinstance(value, list):
        return sorted(value)
    if isinstance(value, Mapping):
        return {name: [] for name in sorted(value)}
    return value


def _registry_spelling(source: Mapping[str, Any]) -> Any:
    """See REGISTRY_URL_SPELLING."""
    registry = source.get("registry")
    if isinstance(registry, str) and registry.endswith("/"):
        return {**source, "registry": registry.rstrip("/")}
    return source


def _strip_artifact(table: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in table.items() if k not in ARTIFACT_VOLATILE_KEYS}


def _strip_edge(edge: Mapping[str, Any], locals: Locals, view: View) -> dict[str, Any]:
    target = locals.edge_target(edge)
    if target is None:
        if view == "digest" and isinstance(edge.get("source"), Mapping):
            return {**edge, "source": _registry_spelling(edge["source"])}
        return dict(edge)
    if view == "digest":
        rest = {k: v for k, v in edge.items() if k not in ("name", "version", "source")}
        return {"local": local_id(target), **rest}
    if "version" in edge:
        return {**edge, "version": MASKED_VERSION}
    return dict(edge)


def _anonymize_conflicts_and_names(value: Any, locals: Locals) -> Any:
    """Replace local package names (in conflicts, requirements) by their place."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            local = isinstance(v, str) and v in locals.by_name and v not in locals.shared_names
            if k in ("package", "name") and local:
                out[k] = local_id(locals.by_name[v])
            else:
                out[k] = _anonymize_conflicts_and_names(v, locals)
        return out
    if isinstance(value, list):
        return [_anonymize_conflicts_and_names(v, locals) for v in value]
    return value


# --- pyproject.toml ------------------------------------------------------------------------


def strip_root_pyproject(
    doc: Mapping[str, Any],
    view: View,
    *,
    lock_name: str | None,
    members: Sequence[str] = (),
) -> dict[str, Any]:
    """The root pyproject as `view` keeps it.

    `lock_name` is the root package's name in the lock (normalized by uv); the frozen view
    uses it so that a cosmetic rename (`My_Pkg` -> `my-pkg`) does not reach the export.
    `members` are the workspace members' paths, which the frozen view lists explicitly.
    """
    out: dict[str, Any] = {}
    for table, policy in PYPROJECT_TABLES.items():
        if table in doc and policy.keeps(view):
            value = doc[table]
            if table == "project":
                value = _strip_project(value, view, lock_name)
            elif table == "dependency-groups" and view == "frozen":
                value = _group_names(value)
            out[table] = value
    tool_uv = doc.get("tool", {}).get("uv")  # a table where it is there (read_files)
    if tool_uv is not None:
        if view == "locked":
            out["tool"] = {"uv": dict(tool_uv)}
        else:
            if view == "frozen":
                kept = _tool_uv(tool_uv, tool_uv.keys() - TOOL_UV_FROZEN_DROPS.keys())
            else:
                kept = _tool_uv(tool_uv, TOOL_UV_DIGEST_KEYS)
            if "workspace" in kept:
                kept["workspace"] = {"members": sorted(members)}
            if kept:
                out["tool"] = {"uv": kept}
    return out


def _tool_uv(tool_uv: Mapping[str, Any], keys: Collection[str]) -> dict[str, Any]:
    """The [tool.uv] settings among `keys`, those of TOOL_UV_NAMES_ONLY emptied."""
    return {k: [] if k in TOOL_UV_NAMES_ONLY else v for k, v in tool_uv.items() if k in keys}


def strip_member_pyproject(doc: Mapping[str, Any], view: View, *, name: str) -> dict[str, Any]:
    """A local package's pyproject (a workspace member or an in-tree path dependency): what
    uv validates (locked), else a skeleton.

    The skeleton is the name, the masked version (`uv sync --frozen --package NAME` rejects
    a member with neither a version nor a dynamic one), requires-python (uv refuses an
    interpreter that any member excludes), the groups' names and structure (`--package NAME
    --all-groups` takes them from the member's own pyproject) and MEMBER_TOOL_UV_KEYS.
    """
    if view == "locked":
        return strip_root_pyproject(doc, view, lock_name=name)
    skeleton = {"name": name, "version": MASKED_VERSION}
    project = doc.get("project")
    if isinstance(project, Mapping) and "requires-python" in project:
        skeleton["requires-python"] = project["requires-python"]
    out: dict[str, Any] = {"project": skeleton}
    groups = doc.get("dependency-groups")
    if isinstance(groups, Mapping):
        out["dependency-groups"] = _group_names(groups)
    tool_uv = doc.get("tool", {}).get("uv")
    if isinstance(tool_uv, Mapping):
        kept = _tool_uv(tool_uv, MEMBER_TOOL_UV_KEYS)
        if kept:
            out["tool"] = {"uv": kept}
    return out


def _group_key(name: str) -> str:
    """A group name as uv compares it (PEP 735 normalizes group names like project names)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def kept_group_names(doc: Mapping[str, Any], names: set[str]) -> set[str]:
    """The groups (normalized) a scoped pyproject keeps: `names`, those its `default-groups`
    lists (uv checks that each names a group of this pyproject), and every group a kept one
    includes (uv resolves `include-group` when it reads the pyproject, installed or not)."""
    kept = {_group_key(name) for name in names}
    tool_uv = doc.get("tool", {}).get("uv")
    defaults = tool_uv.get("default-groups") if isinstance(tool_uv, Mapping) else None
    if isinstance(defaults, list):
        kept |= {_group_key(name) for name in defaults if isinstance(name, str)}
    groups = doc.get("dependency-groups")
    if isinstance(groups, Mapping):
        by_key = {_group_key(name): entries for name, entries in groups.items()}
        todo = list(kept)
        while todo:
            entries = by_key.get(todo.pop())
            for entry in entries if isinstance(entries, list) else ():
                included = entry.get("include-group") if isinstance(entry, Mapping) else None
                if isinstance(included, str) and _group_key(included) not in kept:
                    kept.add(_group_key(included))
                    todo.append(_group_key(included))
    return kept


def keep_groups(doc: Mapping[str, Any], names: set[str]) -> dict[str, Any]:
    """A stripped pyproject with only the dependency groups `kept_group_names` keeps (see
    SCOPED_DROPS), in `[dependency-groups]` and in the per-group settings of `[tool.uv]`.
    `default-groups` stays as written: `uv sync --package NAME` reads the root's, `uv export
    --package NAME` the member's."""
    kept = kept_group_names(doc, names)
    out = dict(doc)
    tool_uv = doc.get("tool", {}).get("uv")
    groups = doc.get("dependency-groups")
    if isinstance(groups, Mapping):
        chosen = {group: value for group, value in groups.items() if _group_key(group) in kept}
        if chosen:
            out["dependency-groups"] = chosen
        else:
            del out["dependency-groups"]
    if isinstance(tool_uv, Mapping):
        uv = dict(tool_uv)
        if isinstance(uv.get("dependency-groups"), Mapping):
            settings = {g: v for g, v in uv["dependency-groups"].items() if _group_key(g) in kept}
            if settings:
                uv["dependency-groups"] = settings
            else:
                del uv["dependency-groups"]
        out["tool"] = {**doc["tool"], "uv": uv}
    return out


def keep_lock_extras(package: Mapping[str, Any], kept: set[str]) -> dict[str, Any]:
    """A local lock package whose `[package.metadata] provides-extras` names only the extras
    `kept` (normalized, SCOPED_DROPS): uv checks `--extra X` against those names."""
    metadata = package.get("metadata")
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("provides-extras"), list):
        return dict(package)
    extras = [name for name in metadata["provides-extras"] if _group_key(name) in kept]
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
        dev = {g: v for g, v in metadata["requires-dev"].items() if _group_key(g) in kept}
        rest = {k: v for k, v in metadata.items() if k != "requires-dev"}
        if dev:
            rest["requires-dev"] = dev
        if rest:
            out["metadata"] = rest
        else:
            del out["metadata"]
    return out


def _group_names(groups: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Groups with their names and GROUP_STRUCTURE_KEYS entries only: the lock's edges say
    what each one installs."""
    return {
        group: [
            entry
            for entry in entries
            if isinstance(entry, Mapping) and entry.keys() & GROUP_STRUCTURE_KEYS.keys()
        ]
        if isinstance(entries, list)
        else []
        for group, entries in groups.items()
    }


def _strip_project(project: Mapping[str, Any], view: View, lock_name: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in project.items():
        policy = PROJECT_KEYS.get(key)
        if policy is None or not policy.keeps(view):
            continue
        if key == "version":
            out[key] = MASKED_VERSION
        elif key == "dynamic":
            kept = [entry for entry in value if entry in DYNAMIC_KEPT]
            if kept:
                out[key] = kept
        elif key == "name" and view == "frozen" and lock_name:
            out[key] = lock_name
        else:
            out[key] = value
    return out
