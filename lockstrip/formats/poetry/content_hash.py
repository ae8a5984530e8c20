"""Poetry's `content-hash`: which pyproject content it covers, computed as Poetry 2.x does
(`Locker._get_content_hash` in Poetry 2.5.1).

sha256 of `json.dumps(..., sort_keys=True)` of `[project]` requires-python, dependencies
and optional-dependencies, `[dependency-groups]` whole, and `[tool.poetry]` dependencies,
source, extras, dev-dependencies and group. A Poetry-1-style file (none of the `[project]`
keys, no `[dependency-groups]`) hashes its `[tool.poetry]` keys at the top level, the four
legacy ones even when absent, which is what Poetry 1.8 computes for it too. A lock whose
first line names a Poetry before 2.3.0 is also fresh against the hash without
`[dependency-groups]`, which those releases did not read (`Locker.is_fresh`).

An export that keeps these keys keeps the lock fresh; a scoped export, which drops groups,
writes the hash of what it keeps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["content_hash", "is_fresh"]

_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_RELEVANT_KEYS = (*_LEGACY_KEYS, "group")
_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")


def content_hash(pyproject: Mapping[str, Any], *, with_dependency_groups: bool = True) -> str:
    project = pyproject.get("project", {})
    groups = pyproject.get("dependency-groups", {}) if with_dependency_groups else {}
    poetry = pyproject.get("tool", {}).get("poetry", {})
    relevant_project = {key: project[key] for key in _PROJECT_KEYS if project.get(key) is not None}
    relevant_poetry = {}
    for key in _RELEVANT_KEYS:
        data = poetry.get(key)
        if data is None and (key not in _LEGACY_KEYS or relevant_project or groups):
            continue
        relevant_poetry[key] = data
    content: dict[str, Any] = {}
    if relevant_project:
        content["project"] = relevant_project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": relevant_poetry}
    else:
        content = relevant_poetry
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def is_fresh(pyproject: Mapping[str, Any], locked: str, generated_by: str | None) -> bool:
    """Whether a lock whose content-hash is `locked`, written by Poetry `generated_by`, is
    fresh for `pyproject`, as Poetry 2.x decides."""
    if content_hash(pyproject) == locked:
        return True
    from packaging.version import InvalidVersion, Version

    try:
        before = generated_by is not None and Version(generated_by) < Version("2.3.0")
    except InvalidVersion:
        return False
    return before and content_hash(pyproject, with_dependency_groups=False) == locked
