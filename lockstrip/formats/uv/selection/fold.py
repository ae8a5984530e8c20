"""Installs that leave local packages out (`--no-install-workspace`, `--no-install-local`):
which local packages go and which third-party edges their root then holds (`Fold`)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from lockstrip.formats.uv.model.lockfile import Package
from lockstrip.formats.uv.model.project import Project

if TYPE_CHECKING:
    from lockstrip.environment.markers import Dnf
from lockstrip.formats.request import Scope, Skip
from lockstrip.formats.uv.selection.names import extra_key
from lockstrip.formats.uv.selection.select import PackageIndex, Selection, edges_of, groups_of

__all__ = ["Fold", "fold", "skipped"]


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
        for edge in edges_of(lock.packages[index].data, extra):
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

    def leaving(key: tuple[int, str | None]) -> list[tuple[int, list[str], frozenset[str]]]:
        if key not in outgoing:
            index, extra = key
            found = []
            for edge in edges_of(lock.packages[index].data, extra):
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
            for target, extras, term in leaving(key):
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
    named_extras = {extra_key(extra) for extra in scope.extras}
    groups = {*scope.groups, *scope.only_groups, *scope.no_groups}
    return (
        package.name in scope.packages
        or bool(named_extras & {extra_key(extra) for extra in extras})
        or bool(groups & groups_of(data))
    )
