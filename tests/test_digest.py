"""The digest of an export equals the digest of its project, in both modes.

So `lockstrip digest` gives the same key on the project in CI and on the exported folder
inside a Docker stage, and `check` and `diff` can compare an export with a project.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FIXTURE_CASES, FIXTURES, case_id

from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.digest import compute_digest, third_party_hash
from lockstrip.formats.uv.render.export import Mode, build_export
from lockstrip.io.export_folder import write_export


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
