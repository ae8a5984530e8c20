"""Select what one install would take from the lock: a scope (groups, extras, members) and,
optionally, a target (Python version and platform).

The traversal follows uv's `Installable::to_resolution`: start from the roots (the project,
the chosen members, or every member of a project-less workspace root), take their
dependencies, the chosen extras and groups, then follow edges whose markers can hold, with
uv's conflict markers evaluated against the extras and groups the walk activates.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from lockstrip.errors import InputError
from lockstrip.lockfile import Package, Source
from lockstrip.markers import Environment, conflict_item, evaluate
from lockstrip.project import Project

if TYPE_CHECKING:
    from lockstrip.target import Target

__all__ = ["Scope", "Selection", "restrict", "select"]


class Scope(NamedTuple):
    """uv's selection options, with uv's names and meaning."""

    groups: tuple[str, ...] = ()  # --group
    only_groups: tuple[str, ...] = ()  # --only-group (implies no project dependencies)
    no_groups: tuple[str, ...] = ()  # --no-group
    no_dev: bool = False  # --no-dev
    no_default_groups: bool = False  # --no-default-groups
    all_groups: bool = False  # --all-groups
    extras: tuple[str, ...] = ()  # --extra
    all_extras: bool = False  # --all-extras
    packages: tuple[str, ...] = ()  # --package
    all_packages: bool = False  # --all-packages

    def describe(self) -> dict[str, Any]:
        """The options that differ from the defaults, for JSON output and the digest."""
        return {k: v for k, v in self._asdict().items() if v not in ((), False)}

    def to_args(self) -> list[str]:
        """The command-line options that give this scope, in a fixed order."""
        args = []
        for field, value in self._asdict().items():
            flag = "--" + _FLAGS.get(field, field).replace("_", "-")
            if value is True:
                args.append(flag)
            elif isinstance(value, tuple):
                for item in value:
                    args += [flag, item]
        return args


#: Scope fields whose option name is not the field name, singular.
_FLAGS = {
    "groups": "group",
    "only_groups": "only-group",
    "no_groups": "no-group",
    "extras": "extra",
    "packages": "package",
}


def target_args(target: Target | None) -> list[str]:
    """The command-line options that give this target."""
    if target is None:
        return []
    return ["--python-version", target.python_version, "--python-platform", target.platform]


class Selection(NamedTuple):
    """The packages one install takes: the index of each in `Lock.packages`, and the edges."""

    packages: frozenset[int]
    #: (from, to) package indexes of every edge the install follows
    edges: frozenset[tuple[int, int]]


class _Lock:
    """Edge targets by name (and by version and source where a name is shared)."""

    def __init__(self, packages: tuple[Package, ...]) -> None:
        self.packages = packages
        self.by_name: dict[str, list[int]] = {}
        for index, package in enumerate(packages):
            self.by_name.setdefault(package.name, []).append(index)

    def find(self, edge: Mapping[str, Any]) -> int | None:
        candidates = self.by_name.get(edge.get("name", ""), [])
        if len(candidates) == 1:
            return candidates[0]
        source = edge.get("source")
        for index in candidates:
            package = self.packages[index]
            if "version" in edge and package.version != edge["version"]:
                continue
            if isinstance(source, Mapping) and Source.from_table(source) != package.source:
                continue
            return index
        return None


def _default_groups(project: Project, available: set[str]) -> set[str]:
    setting = project.pyproject.get("tool", {}).get("uv", {}).get("default-groups", ["dev"])
    return set(available) if setting == "all" else set(setting)


def _choose(kind: str, asked: Iterable[str], available: set[str], where: str) -> set[str]:
    chosen = set(asked)
    unknown = sorted(chosen - available)
    if unknown:
        valid = ", ".join(sorted(available)) or "none"
        raise InputError(where, f"unknown {kind} {', '.join(unknown)}; valid: {valid}")
    return chosen


def _roots(project: Project, scope: Scope, lock: _Lock) -> list[int]:
    members = set(project.lock.members)
    root = project.root_name
    names = sorted(members | ({root} if root else set()))
    if scope.packages:
        chosen = _choose("package", scope.packages, set(names), "--package")
    elif scope.all_packages or root is None or root not in lock.by_name:
        chosen = set(names)  # a project-less root installs every member, as uv sync does
    else:
        chosen = {root}
    found = [lock.find({"name": name}) for name in sorted(chosen)]
    return [index for index in found if index is not None]


def select(project: Project, scope: Scope, env: Environment) -> Selection:
    """What `uv sync` with these options takes from the lock (`env=None`: any environment)."""
    lock = _Lock(project.lock.packages)
    roots = _roots(project, scope, lock)
    manifest_groups: Mapping[str, list[Any]] = project.lock.data.get("manifest", {}).get(
        "dependency-groups", {}
    )
    groups_available = set(manifest_groups)
    extras_available: set[str] = set()
    for index in roots:
        data = lock.packages[index].data
        groups_available |= set(data.get("dev-dependencies", {}))
        groups_available |= set(data.get("metadata", {}).get("requires-dev", {}))
        extras_available |= set(data.get("optional-dependencies", {}))
        extras_available |= set(data.get("metadata", {}).get("provides-extras", []))
    groups_available |= set(project.pyproject.get("dependency-groups", {}))
    groups_available.add("dev")  # uv's --no-dev and --only-dev accept it even when undefined

    if scope.only_groups:
        groups = _choose("group", scope.only_groups, groups_available, "--only-group")
        prod = False
    else:
        prod = True
        groups = set() if scope.no_default_groups else _default_groups(project, groups_available)
        groups |= _choose("group", scope.groups, groups_available, "--group")
        if scope.all_groups:
            groups |= groups_available
        if scope.no_dev:
            groups.discard("dev")
        groups -= set(scope.no_groups)
    extras = (
        extras_available
        if scope.all_extras
        else _choose("extra", scope.extras, extras_available, "--extra")
    )

    active: set[str] = set()
    for index in roots:
        name = lock.packages[index].name
        active |= {conflict_item("group", name, group) for group in groups}
        if prod:
            active |= {conflict_item("extra", name, extra) for extra in extras}
    _check_conflicts(project, active)
    while True:  # conflict markers depend on the extras the walk itself activates
        selection, found = _walk(lock, roots, prod, extras, groups, manifest_groups, env, active)
        if found <= active:
            return selection
        active |= found


def _check_conflicts(project: Project, active: set[str]) -> None:
    """Refuse, as uv does, a choice of extras or groups that the lock declares conflicting."""
    for conflict in project.lock.data.get("conflicts", []):
        chosen = []
        for item in conflict:
            kind = "extra" if "extra" in item else "group" if "group" in item else None
            if kind and conflict_item(kind, item["package"], item[kind]) in active:
                chosen.append(f"{item['package']}[{item[kind]}]")
        if len(chosen) > 1:
            raise InputError(
                project.lock.path,
                f"{' and '.join(chosen)} are declared conflicting; choose one",
                field="conflicts",
            )


def _walk(
    lock: _Lock,
    roots: list[int],
    prod: bool,
    extras: set[str],
    groups: set[str],
    manifest_groups: Mapping[str, list[Any]],
    env: Environment,
    active: set[str],
) -> tuple[Selection, set[str]]:
    frozen_active = frozenset(active)
    selected: set[int] = set()
    edges: set[tuple[int, int]] = set()
    found: set[str] = set()
    queue: deque[tuple[int, str | None]] = deque()
    seen: set[tuple[int, str | None]] = set()

    def follow(origin: int | None, edge: Mapping[str, Any]) -> None:
        if evaluate(edge.get("marker"), env, frozen_active) is False:
            return
        target = lock.find(edge)
        if target is None:
            return
        selected.add(target)
        if origin is not None:
            edges.add((origin, target))
        # lock edges say `extra`, a manifest's requirements `extras`
        for extra in [None, *edge.get("extra", edge.get("extras", []))]:
            if extra is not None:
                found.add(conflict_item("extra", lock.packages[target].name, extra))
            if (target, extra) not in seen:
                seen.add((target, extra))
                queue.append((target, extra))

    for index in roots:
        selected.add(index)
        data = lock.packages[index].data
        if prod:
            for extra in [None, *sorted(extras & set(data.get("optional-dependencies", {})))]:
                seen.add((index, extra))
                queue.append((index, extra))
        for group in sorted(groups):
            for edge in data.get("dev-dependencies", {}).get(group, []):
                follow(index, edge)
    for group in sorted(groups):  # a project-less root's own groups
        for requirement in manifest_groups.get(group, []):
            follow(None, requirement)
    while queue:
        index, extra = queue.popleft()
        data = lock.packages[index].data
        table = data.get("optional-dependencies", {}).get(extra, []) if extra else None
        for edge in table if table is not None else data.get("dependencies", []):
            follow(index, edge)
    return Selection(frozenset(selected), frozenset(edges)), found


_EDGE_TABLES = ("dependencies", "optional-dependencies", "dev-dependencies")


def _followed(
    lock: _Lock, origin: int, edges: list[Any], stripped: list[Any], selection: Selection
) -> list[Any]:
    """The stripped edges whose original the selection followed (edges hold the same order)."""
    kept = []
    for edge, table in zip(edges, stripped, strict=True):
        if (origin, lock.find(edge)) in selection.edges:
            kept.append(table)
    return kept


def _installed_artifact(table: dict[str, Any], target: Target) -> dict[str, Any]:
    """The package with only the artifact `target` installs (none if nothing fits)."""
    from lockstrip.target import best_artifact

    best = best_artifact(table, target)
    out = {key: value for key, value in table.items() if key not in ("sdist", "wheels")}
    if best is not None and best is table.get("sdist"):
        out["sdist"] = best
    elif best is not None:
        out["wheels"] = [best]
    return out


def restrict(
    view: Mapping[str, Any],
    project: Project,
    selection: Selection,
    target: Target | None = None,
    *,
    keep_locals: bool = True,
) -> dict[str, Any]:
    """A stripped lock (`view`) cut down to `selection`.

    Third-party packages outside it go, with the edges that led to them. Local packages stay
    when `keep_locals` (uv checks the workspace against the lock) but lose the edges the
    install does not follow. With a `target`, a package keeps only the artifact it installs.
    """
    lock = _Lock(project.lock.packages)
    packages = []
    for index, (package, table) in enumerate(zip(lock.packages, view["package"], strict=True)):
        local = project.locals.is_local(package)
        if index not in selection.packages and not (keep_locals and local):
            continue
        out = dict(table)
        for key in _EDGE_TABLES:
            if key not in out:
                continue
            if key == "dependencies":
                kept: Any = _followed(lock, index, package.data[key], out[key], selection)
            else:
                kept = {
                    name: followed
                    for name, edges in package.data[key].items()
                    if (followed := _followed(lock, index, edges, out[key][name], selection))
                }
            if kept:
                out[key] = kept
            else:
                del out[key]
        if target is not None and not local:
            out = _installed_artifact(out, target)
        packages.append(out)
    restricted = {key: value for key, value in view.items() if key != "package"}
    restricted["package"] = packages
    manifest = view.get("manifest")
    if isinstance(manifest, Mapping):  # a project-less root's own requirements and groups
        original = project.lock.data.get("manifest", {})
        restricted["manifest"] = dict(manifest)
        if "requirements" in manifest:
            restricted["manifest"]["requirements"] = [
                entry
                for entry, source in zip(
                    manifest["requirements"], original["requirements"], strict=True
                )
                if lock.find(source) in selection.packages
            ]
        if "dependency-groups" in manifest:
            restricted["manifest"]["dependency-groups"] = {
                group: kept
                for group, entries in manifest["dependency-groups"].items()
                if (
                    kept := [
                        entry
                        for entry, source in zip(
                            entries, original["dependency-groups"][group], strict=True
                        )
                        if lock.find(source) in selection.packages
                    ]
                )
            }
    return restricted
