"""The pyproject.toml rules: which tables and keys each view keeps, one reason per row, and
the functions applying them to the root's and the members' files."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from lockstrip.formats.uv.rules.policy import KEEP, MASKED_VERSION, Policy, View

__all__ = [
    "DYNAMIC_KEPT",
    "GROUP_STRUCTURE_KEYS",
    "MEMBER_TOOL_UV_KEYS",
    "PROJECT_KEYS",
    "PYPROJECT_TABLES",
    "TOOL_UV_DIGEST_KEYS",
    "TOOL_UV_FROZEN_DROPS",
    "TOOL_UV_NAMES_ONLY",
    "keep_groups",
    "kept_group_names",
    "static_metadata",
    "strip_member_pyproject",
    "strip_root_pyproject",
]


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
                value = group_names_only(value)
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
        out["dependency-groups"] = group_names_only(groups)
    tool_uv = doc.get("tool", {}).get("uv")
    if isinstance(tool_uv, Mapping):
        kept = _tool_uv(tool_uv, MEMBER_TOOL_UV_KEYS)
        if kept:
            out["tool"] = {"uv": kept}
    return out


def group_key(name: str) -> str:
    """A group name as uv compares it (PEP 735 normalizes group names like project names)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def kept_group_names(doc: Mapping[str, Any], names: set[str]) -> set[str]:
    """The groups (normalized) a scoped pyproject keeps: `names`, those its `default-groups`
    lists (uv checks that each names a group of this pyproject), and every group a kept one
    includes (uv resolves `include-group` when it reads the pyproject, installed or not)."""
    kept = {group_key(name) for name in names}
    tool_uv = doc.get("tool", {}).get("uv")
    defaults = tool_uv.get("default-groups") if isinstance(tool_uv, Mapping) else None
    if isinstance(defaults, list):
        kept |= {group_key(name) for name in defaults if isinstance(name, str)}
    groups = doc.get("dependency-groups")
    if isinstance(groups, Mapping):
        by_key = {group_key(name): entries for name, entries in groups.items()}
        todo = list(kept)
        while todo:
            entries = by_key.get(todo.pop())
            for entry in entries if isinstance(entries, list) else ():
                included = entry.get("include-group") if isinstance(entry, Mapping) else None
                if isinstance(included, str) and group_key(included) not in kept:
                    kept.add(group_key(included))
                    todo.append(group_key(included))
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
        chosen = {group: value for group, value in groups.items() if group_key(group) in kept}
        if chosen:
            out["dependency-groups"] = chosen
        else:
            del out["dependency-groups"]
    if isinstance(tool_uv, Mapping):
        uv = dict(tool_uv)
        if isinstance(uv.get("dependency-groups"), Mapping):
            settings = {g: v for g, v in uv["dependency-groups"].items() if group_key(g) in kept}
            if settings:
                uv["dependency-groups"] = settings
            else:
                del uv["dependency-groups"]
        out["tool"] = {**doc["tool"], "uv": uv}
    return out


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


def group_names_only(groups: Mapping[str, Any]) -> dict[str, list[Any]]:
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
