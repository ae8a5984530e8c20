"""Which packages and tables one install takes: uv's walk from the roots the flags name,
through the groups and extras they choose, under one environment (`select`)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from lockstrip.environment.markers import Environment, Points, conflict_item
from lockstrip.errors import InputError
from lockstrip.formats.uv.model.lockfile import Package, Source
from lockstrip.formats.uv.model.project import Project
from lockstrip.formats.uv.model.read_lock import check_markers

if TYPE_CHECKING:
    pass
from lockstrip.formats.request import Scope
from lockstrip.formats.uv.selection.environments import environment_points

__all__ = ["PackageIndex", "Selection", "select"]


class Selection(NamedTuple):
    """The packages one install takes: the index of each in `Lock.packages`, and the edges."""

    packages: frozenset[int]
    #: (from, to) package indexes of every edge the install follows
    edges: frozenset[tuple[int, int]]
    #: the edge tables the install reads: (package index, "dependencies", None),
    #: (index, "optional-dependencies", extra), (index, "dev-dependencies", group); the
    #: index is None for a project-less root's own groups (`[manifest.dependency-groups]`)
    tables: frozenset[tuple[int | None, str, str | None]] = frozenset()
    #: the packages the install starts from
    roots: tuple[int, ...] = ()
    #: uv's conflict items (`conflict_item`) the install activates
    active: frozenset[str] = frozenset()
    #: the extras the roots install their optional dependencies of (none with --only-group)
    extras: frozenset[str] = frozenset()


class PackageIndex:
    """The lock's packages by name: where an edge leads (by name, and by version and source
    where uv writes them because a name is shared)."""

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


def _default_groups(pyproject: Mapping[str, Any], available: set[str]) -> set[str]:
    setting = pyproject.get("tool", {}).get("uv", {}).get("default-groups", ["dev"])
    return set(available) if setting == "all" else set(setting)


def groups_of(data: Mapping[str, Any]) -> set[str]:
    """The dependency groups a lock package declares (with or without locked edges)."""
    return set(data.get("dev-dependencies", {})) | set(
        data.get("metadata", {}).get("requires-dev", {})
    )


def _pyproject_of(project: Project, name: str) -> Mapping[str, Any]:
    """The pyproject of the root or of workspace member `name` (empty when unreadable)."""
    if name == project.root_name:
        return project.pyproject
    for member in project.members:
        if member.name == name:
            try:
                return project.member_pyproject(member)
            except InputError:
                break
    return {}


def _choose(kind: str, asked: Iterable[str], available: set[str], where: str) -> set[str]:
    chosen = set(asked)
    unknown = sorted(chosen - available)
    if unknown:
        valid = ", ".join(sorted(available)) or "none"
        raise InputError(where, f"unknown {kind} {', '.join(unknown)}; valid: {valid}")
    return chosen


def _roots(project: Project, scope: Scope, lock: PackageIndex) -> list[int]:
    members = set(project.lock.members)
    root = project.root_name
    names = sorted(members | ({root} if root in lock.by_name else set()))
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
    check_markers(project.lock)
    lock = PackageIndex(project.lock.packages)
    roots = _roots(project, scope, lock)
    extras_available: set[str] = set()
    for index in roots:
        data = lock.packages[index].data
        extras_available |= set(data.get("optional-dependencies", {}))
        extras_available |= set(data.get("metadata", {}).get("provides-extras", []))
    extras = (
        extras_available
        if scope.all_extras
        else _choose("extra", scope.extras, extras_available, "--extra")
    )
    if len(set(scope.packages)) == 1:
        prod, group_edges, active = _member_groups(project, scope, lock, roots[0])
    else:
        prod, group_edges, active = _workspace_groups(project, scope, lock, roots)
    if prod:
        for index in roots:
            name = lock.packages[index].name
            active |= {conflict_item("extra", name, extra) for extra in extras}
    _check_conflicts(project, active)
    points = Points(environment_points(project, env))
    requirements = project.lock.data.get("manifest", {}).get("requirements", [])
    while True:  # conflict markers depend on the extras the walk itself activates
        selection, found = _walk(
            lock, roots, prod, extras, group_edges, requirements, points, active
        )
        if found <= active:
            return selection._replace(
                roots=tuple(roots),
                active=frozenset(active),
                extras=frozenset(extras) if prod else frozenset(),
            )
        active |= found


#: The edges of the chosen groups: (the package they belong to, or None for a project-less
#: root's own groups; the group; its edges).
_GroupEdges = list[tuple[int | None, str, list[Any]]]


def _chosen_groups(
    scope: Scope, available: set[str], defaults: set[str], every: set[str]
) -> tuple[bool, set[str], set[str]]:
    """Whether the project's own dependencies install, the groups chosen, and which of them
    were asked for by name (--group, --only-group, --all-groups) rather than by default."""
    prod = not scope.only_groups
    if scope.only_groups:
        explicit = _choose("group", scope.only_groups, available, "--only-group")
        groups = set(explicit)
    else:
        explicit = _choose("group", scope.groups, available, "--group")
        if scope.all_groups:
            explicit |= every
        groups = explicit | (set() if scope.no_default_groups else defaults)
    # uv subtracts these from --only-group too (`--only-group dev --no-dev` installs nothing)
    if scope.no_dev:
        groups.discard("dev")
    groups -= _choose("group", scope.no_groups, available, "--no-group")
    return prod, groups, explicit


def _workspace_groups(
    project: Project, scope: Scope, lock: PackageIndex, roots: list[int]
) -> tuple[bool, _GroupEdges, set[str]]:
    """Groups when the install is the project, the workspace or several members: each root's
    groups and a project-less root's own, with the root pyproject's default-groups."""
    manifest_groups: Mapping[str, list[Any]] = project.lock.data.get("manifest", {}).get(
        "dependency-groups", {}
    )
    available = set(manifest_groups) | set(project.pyproject.get("dependency-groups", {}))
    for index in roots:
        available |= groups_of(lock.packages[index].data)
    available.add("dev")  # uv's --no-dev and --only-dev accept it even when undefined
    defaults = _default_groups(project.pyproject, available)
    prod, groups, _ = _chosen_groups(scope, available, defaults, available)
    edges: _GroupEdges = []
    active: set[str] = set()
    for index in roots:
        package = lock.packages[index]
        tables = package.data.get("dev-dependencies", {})
        edges += [(index, group, tables[group]) for group in sorted(groups) if group in tables]
        active |= {conflict_item("group", package.name, group) for group in groups}
    edges += [
        (None, group, manifest_groups[group])
        for group in sorted(groups)
        if group in manifest_groups
    ]
    return prod, edges, active


def _member_groups(
    project: Project, scope: Scope, lock: PackageIndex, member: int
) -> tuple[bool, _GroupEdges, set[str]]:
    """Groups for `--package MEMBER`, as uv 0.13 takes them: the member's own groups, its own
    default-groups (those it declares); a group asked for by name that the member lacks comes
    from the workspace root (the root project's group, or a project-less root's)."""
    package = lock.packages[member]
    own = groups_of(package.data)
    root = project.root_name
    root_index = lock.find({"name": root}) if root and root in lock.by_name else None
    workspace: dict[str, tuple[int | None, list[Any]]] = {}
    if root_index is None:
        manifest = project.lock.data.get("manifest", {}).get("dependency-groups", {})
        workspace = {group: (None, edges) for group, edges in manifest.items()}
        workspace |= {
            group: (None, [])
            for group in project.pyproject.get("dependency-groups", {})
            if group not in workspace
        }
    elif root_index != member:
        data = lock.packages[root_index].data
        tables = data.get("dev-dependencies", {})
        workspace = {group: (root_index, tables.get(group, [])) for group in groups_of(data)}
    available = own | set(workspace) | {"dev"}
    defaults = _default_groups(_pyproject_of(project, package.name), own) & own
    prod, groups, explicit = _chosen_groups(scope, available, defaults, own | set(workspace))
    edges: _GroupEdges = []
    active: set[str] = set()
    tables = package.data.get("dev-dependencies", {})
    for group in sorted(groups):
        if group in own:
            edges.append((member, group, tables.get(group, [])))
            active.add(conflict_item("group", package.name, group))
        elif group in explicit and group in workspace:
            origin, found = workspace[group]
            edges.append((origin, group, found))
            if origin is not None:
                active.add(conflict_item("group", lock.packages[origin].name, group))
    return prod, edges, active


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
    lock: PackageIndex,
    roots: list[int],
    prod: bool,
    extras: set[str],
    group_edges: _GroupEdges,
    requirements: list[Any],
    points: Points,
    active: set[str],
) -> tuple[Selection, set[str]]:
    """Follow the edges whose markers can hold. A package is reached at the points (the
    environments of `environment_points`) where every marker on some path to it can hold: as
    in uv, an edge under `python_full_version < '3.11'` below one under `== '3.13.*'` leads
    nowhere."""
    frozen_active = frozenset(active)
    full = points.full
    holds_at: dict[tuple[str, frozenset[str]], int] = {}

    def holds(marker: str | None, own: frozenset[str]) -> int:
        if not marker:
            return full
        mask = holds_at.get((marker, own))
        if mask is None:
            mask = holds_at[marker, own] = points.mask(marker, frozen_active | own)
        return mask

    selected: set[int] = set()
    edges: set[tuple[int, int]] = set()
    found: set[str] = set()
    queue: deque[tuple[int, str | None]] = deque()
    reached: dict[tuple[int, str | None], int] = {}

    def reach(key: tuple[int, str | None], mask: int) -> None:
        old = reached.get(key, 0)
        if mask & ~old:
            reached[key] = old | mask
            queue.append(key)

    def follow(origin: int | None, at: int, edge: Mapping[str, Any]) -> None:
        target = lock.find(edge)
        if target is None:
            return
        # an edge to `pkg[extra]` activates that extra for its own conflict marker, as in
        # uv: `pydantic-ai-slim[huggingface]; extra == 'extra-16-pydantic-ai-slim-huggingface'`
        name = lock.packages[target].name
        requested = edge.get("extra", edge.get("extras", []))
        own = frozenset(conflict_item("extra", name, extra) for extra in requested)
        mask = at & holds(edge.get("marker"), own)
        if not mask:
            return
        selected.add(target)
        if origin is not None:
            edges.add((origin, target))
        # lock edges say `extra`, a manifest's requirements `extras`
        for extra in [None, *edge.get("extra", edge.get("extras", []))]:
            if extra is not None:
                found.add(conflict_item("extra", lock.packages[target].name, extra))
            reach((target, extra), mask)

    for index in roots:
        selected.add(index)
        data = lock.packages[index].data
        if prod:
            for extra in [None, *sorted(extras & set(data.get("optional-dependencies", {})))]:
                reach((index, extra), full)
    # A project-less root's own requirements (legacy dev-dependencies land here): uv's
    # to_resolution follows them whatever the groups.
    for requirement in requirements:
        follow(None, full, requirement)
    tables: set[tuple[int | None, str, str | None]] = set()
    for origin, group, group_table in group_edges:
        tables.add((origin, "dev-dependencies", group))
        for edge in group_table:
            follow(origin, full, edge)
    while queue:
        index, extra = key = queue.popleft()
        tables.add(
            (index, "optional-dependencies", extra) if extra else (index, "dependencies", None)
        )
        for edge in edges_of(lock.packages[index].data, extra):
            follow(index, reached[key], edge)
    return Selection(frozenset(selected), frozenset(edges), frozenset(tables)), found


def edges_of(data: Mapping[str, Any], extra: str | None) -> list[Any]:
    """The edges a lock package's node reads: its extra's table, or its dependencies."""
    if extra:
        found: list[Any] = data.get("optional-dependencies", {}).get(extra, [])
        return found
    dependencies: list[Any] = data.get("dependencies", [])
    return dependencies
