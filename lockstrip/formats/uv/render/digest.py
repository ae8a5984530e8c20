"""The third-party digest: a canonical serialization of the digest view, then sha256."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lockstrip.formats.uv.model.project import Project
from lockstrip.formats.uv.rules.lock import strip_lock
from lockstrip.formats.uv.rules.pyproject import strip_root_pyproject

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope

from lockstrip.formats.interface import Digest

__all__ = ["Digest", "compute_digest", "digest_view", "third_party_hash", "view_header"]

#: The lock-level keys that belong to the third-party set itself (with its packages).
_THIRD_PARTY_KEYS = (
    "requires-python",
    "resolution-markers",
    "supported-markers",
    "required-markers",
    "conflicts",
)

#: Bumped when the serialization changes, so old and new digests never compare equal.
SCHEME = "lockstrip-digest-1"


def digest_view(project: Project) -> dict[str, Any]:
    """What the digest covers: the lock and the root pyproject as the digest view keeps them."""
    return {
        "lock": strip_lock(project.lock, project.locals, "digest"),
        "pyproject": strip_root_pyproject(project.pyproject, "digest", lock_name=None),
    }


#: One encoder for every package: json.dumps would build one per call. No cycle check: the
#: views are trees built from parsed TOML (the check costs a tenth of the encoding).
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str, check_circular=False
)
_dumps = _ENCODER.encode


def _scoped(
    project: Project, view: dict[str, Any] | None, scope: Scope, target: Target | None
) -> Digest:
    """Select, strip, render: the install's selection is decided before the rules run."""
    from lockstrip.formats.uv.rules.restrict import restrict
    from lockstrip.formats.uv.selection.select import select

    selection = select(project, scope, target.environment() if target else None)
    view = digest_view(project) if view is None else view
    lock = restrict(view["lock"], project, selection, target, keep_locals=False)
    # Not the target's name: a key of the download set, equal where two targets take the
    # same files (tests/test_platform_digest.py asks uv which files each one takes).
    header = {
        "scope": scope.describe(),
        "target": "one target" if target is not None else None,
        "requires-python": lock.get("requires-python"),
        "settings": view["pyproject"],
    }
    packages = [p for p in lock.get("package", []) if "name" in p]  # third-party: locals lost names
    return Digest(
        value=_hash(SCHEME + "-scoped", header, packages),
        packages=len(packages),
        local_packages=len(lock.get("package", [])) - len(packages),
        artifacts=sum(len(p.get("wheels", ())) + ("sdist" in p) for p in packages),
        lock_version=project.lock.version,
        lock_revision=project.lock.revision,
    )


def _hash(scheme: str, header: Any, packages: Iterable[Any]) -> str:
    # Packages are hashed as a sorted set: the hash does not depend on the lock's order.
    lines = sorted(_dumps(package) for package in packages)
    hasher = hashlib.sha256(scheme.encode())
    hasher.update(b"\n")
    hasher.update(_dumps(header).encode())
    for line in lines:
        hasher.update(b"\n")
        hasher.update(line.encode())
    return f"sha256:{hasher.hexdigest()}"


def view_header(view: dict[str, Any]) -> dict[str, Any]:
    """The view's header: everything but the package list (which is hashed as a set)."""
    lock = {key: value for key, value in view["lock"].items() if key != "package"}
    return {**view, "lock": lock}


def third_party_hash(project: Project, view: dict[str, Any] | None = None) -> str:
    """A hash of the third-party set alone: what `uv export --all-packages --all-extras
    --all-groups` shows. Unlike the digest, it leaves out which local package pulls which
    third-party package (the scopes), the manifest and the [tool.uv] settings.

    `view` is the project's `digest_view`, when the caller has it already."""
    lock = (view if view is not None else digest_view(project))["lock"]
    header = {key: lock.get(key) for key in _THIRD_PARTY_KEYS}
    return _hash(
        "lockstrip-third-party-1", header, (p for p in lock.get("package", []) if "name" in p)
    )


def compute_digest(
    project: Project,
    scope: Scope | None = None,
    target: Target | None = None,
    *,
    view: dict[str, Any] | None = None,
) -> Digest:
    """The digest of the whole third-party set, or of what one install takes from it.

    With a scope or a target, only the packages that install selects are hashed (with the
    artifact the target installs, when there is a target), under a header that names them.
    `view` is the project's `digest_view`, when the caller has it already; it is not changed.
    """
    if scope is not None or target is not None:
        from lockstrip.formats.request import Scope

        return _scoped(project, view, scope or Scope(), target)
    if view is None:
        view = digest_view(project)
    packages = view["lock"].get("package", ())
    local = sum(1 for p in project.lock.packages if project.locals.is_local(p))
    artifacts = sum(
        1 for p in project.lock.packages if not project.locals.is_local(p) for _ in p.artifacts()
    )
    return Digest(
        value=_hash(SCHEME, view_header(view), packages),
        packages=len(project.lock.packages) - local,
        local_packages=local,
        artifacts=artifacts,
        lock_version=project.lock.version,
        lock_revision=project.lock.revision,
    )
