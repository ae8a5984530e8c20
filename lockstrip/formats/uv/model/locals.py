"""Which of a lock's packages are the project's own (local): decided by source, never by name."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any, NamedTuple

from lockstrip.formats.uv.model.lockfile import Lock, Package, Source

__all__ = ["LOCAL_SOURCE_KINDS", "Locals", "find_locals", "local_id"]


#: Sources whose package is built from the project's own tree (or a sibling checkout), never
#: downloaded. Their versions and metadata are the project's, not third-party facts. Local is
#: decided by source, never by name: a registry package may share a local package's name.
LOCAL_SOURCE_KINDS: dict[str, str] = {
    "editable": "installed from a folder in development mode: the root or a member",
    "virtual": "a project that is not installed itself (tool.uv.package = false)",
    "directory": "a path dependency on a folder, built at install time",
}


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
