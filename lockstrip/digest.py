"""The third-party digest: a canonical serialization of the digest view, then sha256."""

from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

from lockstrip.project import Project
from lockstrip.volatile import strip_lock, strip_root_pyproject

__all__ = ["Digest", "compute_digest", "digest_view"]

#: Bumped when the serialization changes, so old and new digests never compare equal.
SCHEME = "lockstrip-digest-1"


class Digest(NamedTuple):
    value: str  # "sha256:<64 hex>"
    packages: int  # third-party packages
    local_packages: int
    artifacts: int
    lock_version: int
    lock_revision: int

    def as_json(self) -> dict[str, Any]:
        return {
            "digest": self.value,
            "packages": self.packages,
            "local_packages": self.local_packages,
            "artifacts": self.artifacts,
            "lock": {"version": self.lock_version, "revision": self.lock_revision},
        }


def digest_view(project: Project) -> dict[str, Any]:
    """What the digest covers: the lock and the root pyproject as the digest view keeps them."""
    return {
        "lock": strip_lock(project.lock, project.locals, "digest"),
        "pyproject": strip_root_pyproject(project.pyproject, "digest", lock_name=None),
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def compute_digest(project: Project) -> Digest:
    view = digest_view(project)
    # Packages are hashed as a sorted set: the digest does not depend on the lock's order.
    packages = sorted(_dumps(package) for package in view["lock"].pop("package", ()))
    hasher = hashlib.sha256(SCHEME.encode())
    hasher.update(b"\n")
    hasher.update(_dumps(view).encode())
    for package in packages:
        hasher.update(b"\n")
        hasher.update(package.encode())
    local = sum(1 for p in project.lock.packages if project.locals.is_local(p))
    artifacts = sum(
        1 for p in project.lock.packages if not project.locals.is_local(p) for _ in p.artifacts()
    )
    return Digest(
        value=f"sha256:{hasher.hexdigest()}",
        packages=len(project.lock.packages) - local,
        local_packages=local,
        artifacts=artifacts,
        lock_version=project.lock.version,
        lock_revision=project.lock.revision,
    )
