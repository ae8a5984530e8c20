"""requirements.txt for an offline install from a wheelhouse: third-party pins with hashes.

`uv sync --frozen` always downloads from the URLs in the lock (DESIGN.md), so a wheelhouse
filled by `lockstrip fetch` is installed with `uv pip install --offline --no-index
--find-links DIR -r requirements.txt` (or pip's equivalent) instead; `uv sync --locked
--offline` then installs only the project. The file lists what `uv sync` with the same scope
installs, without the local packages, sorted, one `name==version` with its hashes each, so
its bytes depend only on the lock and the options.

With a target, a package carries the hash of the one artifact the target installs, and no
marker: the selection already evaluated them. Without one, it carries every artifact's hash
and the marker under which some path from a root reaches it, as `uv export` writes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lockstrip.environment.markers import ALWAYS, Dnf, absorb, render_dnf, residual
from lockstrip.formats.uv.model.lockfile import Package

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.uv.model.project import Project
    from lockstrip.formats.uv.selection.select import PackageIndex, Selection

__all__ = ["render_requirements"]

#: Past this many clauses a package's marker is taken as "always": the file stays readable
#: and installs more, never less (pip skips nothing it needs).
_MAX_CLAUSES = 32


def render_requirements(
    project: Project,
    selection: Selection,
    target: Target | None,
    command: Sequence[str] = (),
) -> str:
    """The requirements.txt text for one install's `selection` on `target` (`None`:
    universal, each pin under the markers of the paths that reach it).

    `command` is the option list written in the header, so the file says how to remake it.
    """
    markers = {} if target is not None else _reach_markers(project, selection)
    entries, notes = [], []
    for index in sorted(selection.packages):
        package = project.lock.packages[index]
        if project.locals.is_local(package):
            continue
        if package.source.kind == "git":
            notes.append(
                f"# {package.name} @ git+{package.source.location.split('#')[0]}: "
                "a git source; no wheelhouse holds it, install it separately"
            )
            continue
        hashes = _hashes(package, target)
        marker = markers.get(index)
        entries.append((package.name, package.version or "", marker, hashes))
    header = [
        f"# Written by `lockstrip export {' '.join(command)}`".rstrip() + "; do not edit.",
        "# Third-party packages only. Install from a wheelhouse (lockstrip fetch --dest DIR):",
        "#   uv pip install --offline --no-index --find-links DIR -r requirements.txt",
    ]
    lines = header + sorted(notes)
    for name, version, marker, hashes in sorted(entries, key=lambda e: (e[0], e[1])):
        line = f"{name}=={version}" + (f" ; {marker}" if marker else "")
        lines.append(" \\\n".join([line, *(f"    --hash={h}" for h in hashes)]))
    return "\n".join(lines) + "\n"


def _hashes(package: Package, target: Target | None) -> list[str]:
    if target is None:
        tables: Iterable[Mapping[str, Any]] = package.artifacts()
    else:
        from lockstrip.environment.target import best_artifact

        best = best_artifact(package.data, target)
        tables = [] if best is None else [best]
    return sorted({t["hash"] for t in tables if "hash" in t})


# --- markers without a target --------------------------------------------------------------


def _reach_markers(project: Project, selection: Selection) -> dict[int, str | None]:
    """Per selected package, the marker under which the install reaches it.

    A package is reached when a followed edge into it holds and its origin is reached: the
    disjunction, over paths from a root, of the edges' markers, as `uv export` computes it
    (uv then simplifies the expression; this keeps the lock's own terms). uv's conflict
    items (`extra == 'extra-7-...'`) are decided by the extras and groups the install
    activates (`Selection.active`).
    """
    from lockstrip.formats.uv.selection.select import PackageIndex

    lock = PackageIndex(project.lock.packages)
    state: dict[int, Dnf] = {index: ALWAYS for index in selection.roots}
    outgoing: dict[int, list[tuple[int, frozenset[str]]]] = {}
    for origin, target, marker in _followed(project, lock, selection):
        if marker is False:
            continue
        term = frozenset() if marker is True else frozenset([marker])
        if origin is None:  # a project-less root's own requirement: reached from the start
            state[target] = _capped(state.get(target, frozenset()) | {term})
        else:
            outgoing.setdefault(origin, []).append((target, term))
    queue = deque(sorted(state))
    while queue:
        origin = queue.popleft()
        for target, term in outgoing.get(origin, []):
            grown = _capped(state.get(target, frozenset()) | {c | term for c in state[origin]})
            if grown != state.get(target):
                state[target] = grown
                queue.append(target)
    return {index: render_dnf(dnf) for index, dnf in state.items()}


def _followed(
    project: Project, lock: PackageIndex, selection: Selection
) -> Iterator[tuple[int | None, int, bool | str]]:
    """(origin, target, residual marker) of every edge the install follows, from the tables
    it reads; origin None for a project-less root's own requirements and groups."""
    manifest = project.lock.data.get("manifest", {})
    for requirement in manifest.get("requirements", []):
        target = lock.find(requirement)
        if target in selection.packages:
            yield None, target, residual(requirement.get("marker"), selection.active)
    for origin, table, name in sorted(selection.tables, key=repr):
        if origin is None:
            edges = manifest.get("dependency-groups", {}).get(name, [])
        else:
            data = lock.packages[origin].data
            edges = data.get(table, []) if name is None else data.get(table, {}).get(name, [])
        for edge in edges:
            target = lock.find(edge)
            followed = origin is None or (origin, target) in selection.edges
            if target in selection.packages and followed:
                yield origin, target, residual(edge.get("marker"), selection.active)


def _capped(dnf: Dnf) -> Dnf:
    kept = absorb(dnf)
    return ALWAYS if len(kept) > _MAX_CLAUSES else kept
