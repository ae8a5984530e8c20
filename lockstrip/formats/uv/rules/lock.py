"""The uv.lock rules: which lock fields each view keeps, one reason per row, and `strip_lock`,
which applies them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lockstrip.formats.uv.model.locals import Locals, local_id
from lockstrip.formats.uv.model.lockfile import Lock, Package
from lockstrip.formats.uv.rules.policy import KEEP, MASKED_VERSION, Policy, View

__all__ = [
    "ARTIFACT_VOLATILE_KEYS",
    "LOCAL_METADATA_KEYS",
    "LOCAL_PACKAGE_KEYS",
    "LOCK_KEYS",
    "MANIFEST_BY_NAME",
    "MANIFEST_KEYS",
    "REGISTRY_URL_SPELLING",
    "REQUIREMENT_SPECIFIER",
    "UNORDERED_KEYS",
    "registry_spelling",
    "strip_lock",
]


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
