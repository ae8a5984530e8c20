"""Select what one install would take from the lock: a scope (groups, extras, members) and,
optionally, a target (Python version and platform).

The traversal follows uv's `Installable::to_resolution`: start from the roots (the project,
the chosen members, or every member of a project-less workspace root), take their
dependencies, the chosen extras and groups, then follow edges whose markers can hold, with
uv's conflict markers evaluated against the extras and groups the walk activates.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from lockstrip.environment.markers import Environment, Points, comparisons, conflict_item
from lockstrip.errors import InputError
from lockstrip.formats.uv.model.lockfile import Package, Source, check_markers
from lockstrip.formats.uv.model.project import Project

if TYPE_CHECKING:
    from lockstrip.environment.markers import Dnf
    from lockstrip.environment.target import Target

__all__ = [
    "Scope",
    "Selection",
    "export_lock",
    "extra_names",
    "group_names",
    "restrict",
    "select",
]


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


def _groups_of(data: Mapping[str, Any]) -> set[str]:
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
    points = Points(_points(project, env))
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
        available |= _groups_of(lock.packages[index].data)
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
    own = _groups_of(package.data)
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
        workspace = {group: (root_index, tables.get(group, [])) for group in _groups_of(data)}
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
    environments of `_points`) where every marker on some path to it can hold: as in uv, an
    edge under `python_full_version < '3.11'` below one under `== '3.13.*'` leads nowhere."""
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
        for edge in _edges_of(lock.packages[index].data, extra):
            follow(index, reached[key], edge)
    return Selection(frozenset(selected), frozenset(edges), frozenset(tables)), found


#: Variables that universal selection tells values apart for, after the Python version:
#: each adds one point per value a marker names (plus one value none names), as long as
#: markers only test it with == and != and the points stay at most _MAX_POINTS.
_DIMENSIONS = ("sys_platform", "platform_machine", "platform_system", "os_name")
_MAX_POINTS = 256
#: A value no marker names, for `!=` comparisons.
_OTHER = "\x00other"


def _points(project: Project, env: Environment) -> list[Mapping[str, str]]:
    """The environments markers are evaluated in: the target's, or (universal) a set that
    stands for every environment (`_environments`) for the lock's markers."""
    if env is not None:
        return [env]
    return _environments(set(_markers(project)), project.lock.data.get("requires-python", ""))


def _environments(markers: Iterable[str], requires: str) -> list[Mapping[str, str]]:
    """Environments that stand for every one `requires` (a requires-python) allows, as far
    as `markers` tell them apart: one per Python version that markers or requires-python
    tell apart (versions between two that markers name compare alike), times the values of
    a few platform variables; any other variable stays unknown, so its atoms can hold."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    versions: set[str] = set()
    values: dict[str, set[str]] = {}
    untracked: set[str] = set()
    for marker in markers:
        for variable, op, value in comparisons(marker):
            if variable in ("python_version", "python_full_version"):
                versions.add(value)
            elif op in ("==", "!="):
                values.setdefault(variable, set()).add(value)
            else:
                untracked.add(variable)
    versions.update(re.findall(r"\d+(?:\.\d+)*", requires))
    patches: dict[int, set[int]] = {minor: {0} for minor in range(21)}
    for text in versions:
        parts = [int(part) for part in re.findall(r"\d+", text)[:3]]
        if len(parts) >= 2 and parts[0] == 3:
            patch = parts[2] if len(parts) > 2 else 0
            patches.setdefault(parts[1], {0}).update({max(patch - 1, 0), patch, patch + 1})
    patches.setdefault(max(patches) + 1, {0})
    try:
        allowed = SpecifierSet(requires)
    except InvalidSpecifier:
        allowed = SpecifierSet()
    points: list[dict[str, str]] = [
        {"python_version": f"3.{minor}", "python_full_version": f"3.{minor}.{patch}"}
        for minor in sorted(patches)
        for patch in sorted(patches[minor])
        if allowed.contains(f"3.{minor}.{patch}", prereleases=True)
    ] or [{}]
    for variable in _DIMENSIONS:
        named = values.get(variable)
        if named and variable not in untracked:
            domain = [*sorted(named), _OTHER]
            if len(points) * len(domain) <= _MAX_POINTS:
                points = [{**point, variable: value} for point in points for value in domain]
    return list(points)


def _markers(project: Project) -> Iterator[str]:
    """Every marker on an edge of the lock."""
    tables: list[Any] = []
    for package in project.lock.packages:
        data = package.data
        tables.append(data.get("dependencies", []))
        for key in ("optional-dependencies", "dev-dependencies"):
            tables.extend(data.get(key, {}).values())
    manifest = project.lock.data.get("manifest", {})
    tables.append(manifest.get("requirements", []))
    tables.extend(manifest.get("dependency-groups", {}).values())
    for table in tables:
        for edge in table:
            marker = edge.get("marker")
            if marker:
                yield marker


_EDGE_TABLES = ("dependencies", "optional-dependencies", "dev-dependencies")


def _followed(
    lock: PackageIndex, origin: int, edges: list[Any], stripped: list[Any], selection: Selection
) -> list[Any]:
    """The stripped edges whose original the selection followed (edges hold the same order)."""
    kept = []
    for edge, table in zip(edges, stripped, strict=True):
        if (origin, lock.find(edge)) in selection.edges:
            kept.append(table)
    return kept


def _installed_artifact(table: dict[str, Any], target: Target) -> dict[str, Any]:
    """The package with only the artifact `target` installs (none if nothing fits)."""
    from lockstrip.environment.target import best_artifact

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
    keep: frozenset[int] = frozenset(),
    fold: Fold | None = None,
) -> dict[str, Any]:
    """A stripped lock (`view`) cut down to `selection`.

    Third-party packages outside it go, with the edges that led to them. Local packages stay
    when `keep_locals` (uv checks the workspace against the lock), and so do the packages
    `keep` indexes, but lose the edges the install does not follow. With a `target`, a
    package keeps only the artifact it installs. With a `fold`, the folded local packages
    go, and the packages they lead to hang from the fold's root.
    """
    lock = PackageIndex(project.lock.packages)
    packages = []
    for index, (package, table) in enumerate(
        zip(lock.packages, view.get("package", []), strict=True)
    ):
        local = project.locals.is_local(package)
        if index not in selection.packages and not (keep_locals and local) and index not in keep:
            continue
        if fold is not None and index in fold.folded:
            if index not in keep and index not in fold.roots:
                continue
            out = {key: value for key, value in table.items() if key not in _EDGE_TABLES}
            if index == fold.root and fold.edges:
                out = _with_dependencies(out, fold.edges)
            packages.append(out)
            continue
        out = dict(table)
        for key in _EDGE_TABLES:
            if key not in out:
                continue
            # only the tables the install reads: a group that is not installed loses its
            # edges even to packages another table installs
            if key == "dependencies":
                kept: Any = []
                if (index, key, None) in selection.tables:
                    kept = _followed(lock, index, package.data[key], out[key], selection)
            else:
                kept = {
                    name: followed
                    for name, edges in package.data[key].items()
                    if (index, key, name) in selection.tables
                    and (followed := _followed(lock, index, edges, out[key][name], selection))
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
    if isinstance(manifest, Mapping) and fold is not None:  # their edges hang from the root
        restricted["manifest"] = {
            key: value
            for key, value in manifest.items()
            if key not in ("requirements", "dependency-groups")
        }
    elif isinstance(manifest, Mapping):  # a project-less root's own requirements and groups
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
                if (None, "dev-dependencies", group) in selection.tables
                and (
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


def export_lock(
    view: Mapping[str, Any],
    project: Project,
    selection: Selection,
    target: Target | None = None,
    skip: Skip | None = None,
    scope: Scope | None = None,
) -> dict[str, Any]:
    """A frozen view cut down to `selection`, holding only what that install reads: the
    packages it takes (local ones too, and no others) and the lock-level fields they use
    (`rules.volatile.SCOPED_DROPS` says what goes and why). With `skip`, the install leaves
    those local packages out, and the export folds them (`fold`)."""
    from lockstrip.formats.uv.rules.volatile import strip_scoped_lock

    # the root project stays, without edges: uv checks that the lock holds the workspace root
    keep = frozenset(
        index
        for index, package in enumerate(project.lock.packages)
        if package.name == project.root_name and project.locals.is_local(package)
    )
    folded = fold(project, selection, skipped(project, skip), scope) if skip else None
    lock = restrict(view, project, selection, target, keep_locals=False, keep=keep, fold=folded)
    return strip_scoped_lock(
        lock,
        members=set(project.lock.members) - {project.root_name},
        forks_bound_nothing=forks_bound_nothing(project),
    )


# --- installs that leave local packages out ------------------------------------------------

#: `uv sync --no-install-workspace` (every workspace member, the root project too) and
#: `--no-install-local` (every local package, path dependencies too).
Skip = Literal["workspace", "local"]
SKIPS: tuple[Skip, ...] = ("workspace", "local")

#: Past this many clauses in one folded marker, the export does not fold: the marker would
#: be unreadable, and one that says more than the paths would install more.
_MAX_CLAUSES = 32


class Fold(NamedTuple):
    """A scoped export for an install that leaves local packages out (`uv sync
    --no-install-workspace`, `--no-install-local`): that install reads the local packages
    only to find the third-party ones, so the export holds, instead of them, one edge per
    package they lead to, under the marker of the paths that reach it (`uv export` prints
    the same union). An edge added to a member, or a member added, that pulls nothing new
    then leaves the export's bytes as they were."""

    #: the package whose `dependencies` hold the folded edges: the first root the flags
    #: name (`--package`), else the first root
    root: int
    #: the roots that stay, without edges: those the flags name, which uv looks up, and
    #: those a kept package depends on (a project-less root's other members go: the fold's
    #: root holds what they lead to)
    roots: frozenset[int]
    #: the local packages folded: they keep no edges, and go unless a root or kept
    folded: frozenset[int]
    #: each folded edge as uv's lock writes it (name, version and source where the name is
    #: shared, extra, marker), in a fixed order
    edges: tuple[dict[str, Any], ...]


def skipped(project: Project, skip: Skip) -> frozenset[int]:
    """The lock's local packages that an install with `skip` leaves out."""
    members = {*project.lock.members, project.root_name}
    return frozenset(
        index
        for index, package in enumerate(project.lock.packages)
        if project.locals.is_local(package) and (skip == "local" or package.name in members)
    )


def fold(
    project: Project,
    selection: Selection,
    skip: frozenset[int],
    scope: Scope | None = None,
) -> Fold | None:
    """The fold of the packages `skip` indexes out of `selection` (`Fold`), or None where
    folding would change what uv reads: a lock with conflicts (uv's conflict markers hold
    by the extras the local edges activate), an install without its roots' dependencies
    (--only-group), a package kept that depends on a folded one other than a root, or a
    project-less root's own requirements in a lock with `environments`."""
    from lockstrip.environment.markers import ALWAYS, absorb, render_dnf

    roots = selection.roots
    if project.lock.data.get("conflicts") or not roots or not set(roots) <= skip:
        return None
    manifest = project.lock.data.get("manifest", {})
    from_manifest = manifest.get("requirements") or any(o is None for o, _, _ in selection.tables)
    if from_manifest and project.lock.data.get("supported-markers"):
        # uv bounds the markers it prints by the lock's environments on package edges, not
        # on a project-less root's own requirements (seed 81: `mu` vs `mu ; sys_platform !=
        # 'win32'`), so those cannot hang from a package
        return None
    if any((root, "dependencies", None) not in selection.tables for root in roots):
        return None
    folded = skip & selection.packages
    # a kept package (a path dependency the install takes) may depend on a folded root: the
    # root stays, without edges, and what it leads to hangs from the fold's root under the
    # same markers (a root is reached everywhere); on any other folded package it may not
    crossed = {target for origin, target in selection.edges if origin not in folded} & folded
    if not crossed <= set(roots):
        return None
    lock = PackageIndex(project.lock.packages)
    inside: dict[tuple[int, str | None], Dnf] = {}
    reached: dict[tuple[int, str | None], Dnf] = {}
    queue: deque[tuple[int, str | None]] = deque()

    def add(into: dict[tuple[int, str | None], Dnf], key: tuple[int, str | None], dnf: Dnf) -> bool:
        grown = absorb(into.get(key, frozenset()) | dnf)
        if grown == into.get(key):
            return False
        into[key] = grown
        return True

    def follow(origin: int | None, at: Dnf, edge: Mapping[str, Any]) -> None:
        target = lock.find(edge)
        if target not in selection.packages:
            return
        if origin is not None and (origin, target) not in selection.edges:
            return
        term = _term(edge, selection.active)
        if term is None:
            return
        dnf = frozenset(clause | term for clause in at)
        for extra in [None, *edge.get("extra", edge.get("extras", []))]:
            if target in folded:
                if add(inside, (target, extra), dnf):
                    queue.append((target, extra))
            else:
                add(reached, (target, extra), dnf)

    for root in roots:
        data = lock.packages[root].data
        for extra in [None, *sorted(selection.extras & set(data.get("optional-dependencies", {})))]:
            add(inside, (root, extra), ALWAYS)
            queue.append((root, extra))
    for requirement in manifest.get("requirements", []):
        follow(None, ALWAYS, requirement)
    for origin, kind, group in sorted(selection.tables, key=repr):
        if kind != "dev-dependencies" or group is None:
            continue
        if origin is None:
            edges = manifest.get("dependency-groups", {}).get(group, [])
        else:
            edges = lock.packages[origin].data.get("dev-dependencies", {}).get(group, [])
        for edge in edges:
            follow(origin, ALWAYS, edge)
    while queue:
        index, extra = key = queue.popleft()
        for edge in _edges_of(lock.packages[index].data, extra):
            follow(index, inside[key], edge)
    if any(len(dnf) > _MAX_CLAUSES for dnf in reached.values()):
        return None
    for key in _redundant(lock, selection, folded, reached):
        del reached[key]
    found: list[tuple[int, tuple[str, ...], str | None]] = []
    for target in sorted({target for target, _ in reached}):
        by_dnf: dict[Dnf, set[str | None]] = {}
        for (index, extra), dnf in reached.items():
            if index == target:
                by_dnf.setdefault(dnf, set()).add(extra)
        # an edge to pkg[extra] takes pkg too, so one edge stands for both where they hold
        # under the same paths
        for dnf, among in by_dnf.items():
            extras = tuple(sorted(extra for extra in among if extra is not None))
            found.append((target, extras, render_dnf(dnf)))
    tables = []
    for target, extras, marker in sorted(found, key=lambda edge: (edge[0], edge[1])):
        table = _edge_to(lock, target)
        if extras:
            table["extra"] = list(extras)
        if marker:
            table["marker"] = marker
        tables.append(table)
    kept = {root for root in roots if _named(lock.packages[root], scope or Scope())}
    first = min(kept or roots)
    return Fold(first, frozenset({first, *kept, *crossed}), folded, tuple(tables))


def _redundant(
    lock: PackageIndex,
    selection: Selection,
    folded: frozenset[int],
    reached: Mapping[tuple[int, str | None], Dnf],
) -> list[tuple[int, str | None]]:
    """The folded edges that the others already imply: their package (with that extra) is
    reached through the kept packages' own edges, under markers that hold wherever the edge's
    do (each of its clauses contains one of theirs). uv prints the union over every path,
    which such an edge leaves as it is; so a member that adds an edge to a package it
    already pulls (`typing-extensions`, through pydantic) leaves the export alone. Tried in
    the lock's order, each against the edges still kept."""
    from lockstrip.environment.markers import absorb

    outgoing: dict[tuple[int, str | None], list[tuple[int, list[str], frozenset[str]]]] = {}

    def edges_of(key: tuple[int, str | None]) -> list[tuple[int, list[str], frozenset[str]]]:
        if key not in outgoing:
            index, extra = key
            found = []
            for edge in _edges_of(lock.packages[index].data, extra):
                target = lock.find(edge)
                term = _term(edge, selection.active)
                if target is not None and (index, target) in selection.edges and term is not None:
                    found.append((target, edge.get("extra", []), term))
            outgoing[key] = found
        return outgoing[key]

    def through(seeds: Mapping[tuple[int, str | None], Dnf]) -> dict[tuple[int, str | None], Dnf]:
        """What the kept packages' edges reach from `seeds`, not counting the seeds."""
        state = dict(seeds)
        for (index, _), dnf in seeds.items():
            state[index, None] = absorb(state.get((index, None), frozenset()) | dnf)
        below: dict[tuple[int, str | None], Dnf] = {}
        queue = deque(state)
        while queue:
            key = queue.popleft()
            for target, extras, term in edges_of(key):
                if target in folded:
                    continue
                dnf = frozenset(clause | term for clause in state[key])
                for extra in [None, *extras]:
                    grown = absorb(below.get((target, extra), frozenset()) | dnf)
                    if grown != below.get((target, extra)) and len(grown) <= _MAX_CLAUSES:
                        below[target, extra] = grown
                        whole = absorb(state.get((target, extra), frozenset()) | grown)
                        if whole != state.get((target, extra)):
                            state[target, extra] = whole
                            queue.append((target, extra))
        return below

    kept = dict(reached)
    redundant = []
    candidates = through(kept).keys() & kept.keys()
    for key in sorted(candidates, key=lambda key: (key[0], key[1] or "")):
        others = {k: v for k, v in kept.items() if k != key}
        implied = through(others).get(key)
        if implied is not None and all(any(c >= o for o in implied) for c in kept[key]):
            redundant.append(key)
            del kept[key]
    return redundant


def _edges_of(data: Mapping[str, Any], extra: str | None) -> list[Any]:
    """The edges a lock package's node reads: its extra's table, or its dependencies."""
    if extra:
        found: list[Any] = data.get("optional-dependencies", {}).get(extra, [])
        return found
    dependencies: list[Any] = data.get("dependencies", [])
    return dependencies


def _term(edge: Mapping[str, Any], active: frozenset[str]) -> frozenset[str] | None:
    """An edge's marker as a clause term (empty: always), uv's conflict items decided by
    `active`; None when it cannot hold."""
    from lockstrip.environment.markers import residual

    marker = residual(edge.get("marker"), active)
    if marker is False:
        return None
    return frozenset() if marker is True else frozenset([marker])


def _edge_to(lock: PackageIndex, target: int) -> dict[str, Any]:
    """An edge to `target` as uv's lock writes one: by name, and by version and source too
    where the lock holds the name more than once."""
    package = lock.packages[target]
    edge: dict[str, Any] = {"name": package.name}
    if len(lock.by_name[package.name]) > 1:
        if "version" in package.data:
            edge["version"] = package.data["version"]
        edge["source"] = package.data["source"]
    return edge


def _named(package: Package, scope: Scope) -> bool:
    """Whether the flags name `package`, or an extra or group it declares: uv looks those
    names up in the packages the install starts from, so such a root stays."""
    data = package.data
    extras = {*data.get("optional-dependencies", {})}
    extras |= {*data.get("metadata", {}).get("provides-extras", [])}
    named_extras = {_extra_key(extra) for extra in scope.extras}
    groups = {*scope.groups, *scope.only_groups, *scope.no_groups}
    return (
        package.name in scope.packages
        or bool(named_extras & {_extra_key(extra) for extra in extras})
        or bool(groups & _groups_of(data))
    )


def _with_dependencies(
    table: Mapping[str, Any], edges: tuple[dict[str, Any], ...]
) -> dict[str, Any]:
    """`table` (a folded root) with the fold's edges as its `dependencies`, where uv's
    lock writes them: after `source`."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        out[key] = value
        if key == "source":
            out["dependencies"] = list(edges)
    out.setdefault("dependencies", list(edges))
    return out


def forks_bound_nothing(project: Project) -> bool:
    """Whether the lock-level `resolution-markers` cover every environment the lock's
    requires-python allows, so that they bound none of the markers uv prints (a scoped
    export then drops them: `volatile.SCOPED_DROPS`). A whole resolution's forks do."""
    forks: list[str] = project.lock.data.get("resolution-markers", [])
    return bool(forks) and _everywhere(project, forks)


def _everywhere(project: Project, markers: list[str]) -> bool:
    """Whether, in every environment the lock's requires-python allows, one of `markers`
    holds for certain. Unknown variables or too many environments: False."""
    from lockstrip.environment.markers import evaluate

    environments = _environments(markers, project.lock.data.get("requires-python", ""))
    return all(any(evaluate(m, env) is True for m in markers) for env in environments)


def group_names(project: Project, scope: Scope, selection: Selection) -> dict[str | None, set[str]]:
    """The dependency groups a scoped export keeps, by pyproject: None for the root's, a
    member's name for its skeleton. A group stays when the install reads its edges, or when
    the scope names it (`--group`, `--only-group`, `--no-group`: uv looks the name up)."""
    named = {*scope.groups, *scope.only_groups, *scope.no_groups}
    root = project.root_name
    found: dict[str | None, set[str]] = {None: set(named)}
    for index, kind, group in selection.tables:
        if kind != "dev-dependencies" or group is None:
            continue
        name = None if index is None else project.lock.packages[index].name
        found.setdefault(None if name == root else name, set(named)).add(group)
    for member in project.lock.members:
        if member != root:
            found.setdefault(member, set(named))
    return found


def extra_names(project: Project, scope: Scope, selection: Selection) -> dict[str, set[str]]:
    """The extras (normalized) each local lock entry of a scoped export keeps in
    `provides-extras`, by package name: those whose edges the install reads, and those the
    scope names for the packages it starts from (all of theirs with `--all-extras`), which uv
    looks up (`volatile.SCOPED_DROPS`)."""
    found: dict[str, set[str]] = {}
    for index, kind, extra in selection.tables:
        if kind == "optional-dependencies" and index is not None and extra is not None:
            found.setdefault(project.lock.packages[index].name, set()).add(_extra_key(extra))
    named = {_extra_key(extra) for extra in scope.extras}
    for index in selection.roots:
        package = project.lock.packages[index]
        own = {_extra_key(extra) for extra in package.data.get("optional-dependencies", {})}
        own |= {
            _extra_key(extra)
            for extra in package.data.get("metadata", {}).get("provides-extras", [])
        }
        found.setdefault(package.name, set()).update(own if scope.all_extras else own & named)
    return found


def _extra_key(name: str) -> str:
    """An extra's name as uv compares it (PEP 685)."""
    return re.sub(r"[-_.]+", "-", name).lower()
