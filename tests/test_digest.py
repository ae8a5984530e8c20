"""The digest of an export equals the digest of its project, in both modes.

So `lockstrip digest` gives the same key on the project in CI and on the exported folder
inside a Docker stage, and `check` and `diff` can compare an export with a project. And
the key changes exactly when the install does: with a third-party upgrade or a setting that
decides what is installable, not with a release bump or lock churn, in every scope.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from helpers import FIXTURE_CASES, FIXTURES, case_id, copy_project
from test_caching import (
    add_upload_time,
    bump_root_version,
    change_requires_python,
    change_revision,
    edit_lock,
    edit_pyproject,
    prefer_managed_python,
    upgrade_third_party,
)

from lockstrip.formats.request import Scope
from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.digest import compute_digest, third_party_hash
from lockstrip.formats.uv.render.export import Mode, build_export
from lockstrip.io.export_folder import write_export

SMALL = FIXTURES / "astral-sh__uv-docker-example"  # one dev group, 41 third-party packages


@pytest.mark.parametrize("mode", ["frozen", "locked"])
@pytest.mark.parametrize("case", FIXTURE_CASES, ids=lambda p: case_id(p, FIXTURES))
def test_export_has_its_projects_digest(case: Path, mode: Mode, tmp_path: Path) -> None:
    project = read_project(case)
    write_export(build_export(project, mode), tmp_path / "export", project.root)
    exported = read_project(tmp_path / "export")
    assert compute_digest(exported).value == compute_digest(project).value
    assert third_party_hash(exported) == third_party_hash(project)


def test_digest_counts() -> None:
    digest = compute_digest(read_project(FIXTURES / "astral-sh__uv-docker-example"))
    assert (digest.packages, digest.local_packages) == (41, 1)
    assert digest.artifacts > digest.packages
    assert (digest.lock_version, digest.lock_revision) == (1, 3)


def set_tool_uv(key: str, value: Any) -> Callable[[Path], None]:
    def modify(project: Path) -> None:
        def change(doc: Any) -> None:
            doc.setdefault("tool", tomlkit.table()).setdefault("uv", tomlkit.table())
            doc["tool"]["uv"][key] = value

        edit_pyproject(project, change)

    modify.__name__ = f"set_{key}"
    return modify


forbid_builds = set_tool_uv("no-build", True)


def constrain_in_manifest(project: Path) -> None:
    """What `[tool.uv] constraint-dependencies` writes to the lock: a resolution input."""

    def change(lock: dict[str, Any]) -> None:
        manifest = lock.setdefault("manifest", {})
        manifest["constraints"] = [{"name": "ruff", "specifier": "<1"}]

    edit_lock(project, change)


#: [tool.uv] settings that decide what `uv sync` installs, with a value that changes it.
INSTALL_SETTINGS = {
    "default-groups": [],
    "dependency-groups": {"dev": {"requires-python": ">=3.12"}},
    "no-binary": True,
    "no-binary-package": ["ruff"],
    "no-build": True,
    "no-build-package": ["ruff"],
}


#: Each modification, and whether it changes the digest, the scoped digests and the
#: third-party hash (what `diff` calls a third-party change).
KEYS: list[tuple[Callable[[Path], None], bool, bool, bool]] = [
    (bump_root_version, False, False, False),
    (change_revision, False, False, False),
    (add_upload_time, False, False, False),
    (upgrade_third_party, True, True, True),
    (change_requires_python, True, True, True),
    (prefer_managed_python, False, False, False),  # which interpreter, not what is installed
    (forbid_builds, True, True, False),  # a [tool.uv] setting that decides what is installable
    (constrain_in_manifest, True, False, False),  # an install follows the resolved edges
]


@pytest.mark.parametrize(
    ("modify", "digest", "scoped", "third_party"), KEYS, ids=[row[0].__name__ for row in KEYS]
)
def test_digest_changes_exactly_when_the_install_does(
    modify: Callable[[Path], None], digest: bool, scoped: bool, third_party: bool, tmp_path: Path
) -> None:
    before = read_project(SMALL)
    modify(copy_project(SMALL, tmp_path / "project"))
    after = read_project(tmp_path / "project")
    assert (compute_digest(before).value != compute_digest(after).value) == digest
    for scope in (Scope(), Scope(no_dev=True)):
        changed = compute_digest(before, scope).value != compute_digest(after, scope).value
        assert changed == scoped, f"scope {scope.describe()}"
    assert (third_party_hash(before) != third_party_hash(after)) == third_party


def test_a_scope_is_part_of_the_key() -> None:
    """`digest`, `digest --no-dev` and `digest --only-group dev` name three installs."""
    project = read_project(SMALL)
    keys = {
        compute_digest(project).value,
        compute_digest(project, Scope(no_dev=True)).value,
        compute_digest(project, Scope(only_groups=("dev",))).value,
    }
    assert len(keys) == 3
    # the dev group (the default group) adds ruff alone
    assert compute_digest(project, Scope()).packages == 41
    assert compute_digest(project, Scope(no_dev=True)).packages == 40
    assert compute_digest(project, Scope(no_default_groups=True)).packages == 40
    assert compute_digest(project, Scope(no_groups=("dev",))).packages == 40


def test_the_lock_order_of_packages_is_not_part_of_the_key(tmp_path: Path) -> None:
    project = copy_project(SMALL, tmp_path / "project")
    header, *packages = (project / "uv.lock").read_text().split("\n[[package]]\n")
    reordered = [p if p.endswith("\n") else p + "\n" for p in reversed(packages)]
    (project / "uv.lock").write_text("\n[[package]]\n".join([header, *reordered]))
    assert compute_digest(read_project(project)) == compute_digest(read_project(SMALL))
    assert third_party_hash(read_project(project)) == third_party_hash(read_project(SMALL))


@pytest.mark.parametrize(("key", "value"), INSTALL_SETTINGS.items(), ids=list(INSTALL_SETTINGS))
def test_settings_that_decide_the_install_change_the_digest(
    key: str, value: Any, tmp_path: Path
) -> None:
    set_tool_uv(key, value)(copy_project(SMALL, tmp_path / "project"))
    before, after = read_project(SMALL), read_project(tmp_path / "project")
    assert compute_digest(before).value != compute_digest(after).value
    assert third_party_hash(before) == third_party_hash(after)
