"""Poetry's lock format: poetry.lock and the pyproject.toml files beside it.

`model` and `root` read and validate, `selection` decides what one install takes, `rules`
say what an export keeps, `render` writes the export, the digest and explanations.
`FORMAT` is what the commands call (`formats.interface.LockFormat`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lockstrip.formats.interface import Digest, FormatError, LockFormat

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.explanation import Explanation
    from lockstrip.formats.poetry.model import PoetryProject
    from lockstrip.formats.request import Scope, Skip
    from lockstrip.io.export_folder import Export, Mode
    from lockstrip.io.project_files import ProjectFiles

__all__ = ["FORMAT", "PoetryFormat"]


class PoetryFormat(LockFormat["PoetryProject"]):
    """poetry.lock, read with `formats/poetry/model`."""

    name = "poetry"
    lock_file = "poetry.lock"

    def read_files(self, files: ProjectFiles, root: Path) -> PoetryProject:
        from lockstrip.formats.poetry.model import read_files

        return read_files(files, root)

    def export(
        self,
        project: PoetryProject,
        mode: Mode = "frozen",
        scope: Scope | None = None,
        target: Target | None = None,
        *,
        requirements: bool = False,
        skip: Skip | None = None,
    ) -> Export:
        from lockstrip.formats.poetry.render import build_export

        where = project.lock_path
        if target is not None:
            raise FormatError(
                where,
                "a Poetry export serves every platform (Poetry checks the lock against all "
                "of them); give the target to `lockstrip digest` and `lockstrip fetch`",
            )
        if requirements:
            raise FormatError(where, "--requirements is for uv projects; use `poetry export`")
        if skip is not None:
            raise FormatError(
                where,
                "--no-install-* are uv's; Poetry's are `poetry install --no-root --no-directory`",
            )
        return build_export(project, mode, scope)

    def digest(
        self, project: PoetryProject, scope: Scope | None = None, target: Target | None = None
    ) -> Digest:
        from lockstrip.formats.poetry.render import compute_digest

        return compute_digest(project, scope, target)

    def explain(self, old: PoetryProject, new: PoetryProject) -> Explanation:
        from lockstrip.formats.poetry.render import explain

        return explain(old, new)

    def dockerfile(
        self,
        folder: Path,
        *,
        lockstrip_spec: str | None = None,
        secrets: Sequence[str] = (),
        packages: Sequence[str] = (),
    ) -> str:
        from lockstrip.formats.poetry.dockerfile import render_dockerfile
        from lockstrip.formats.uv.render.dockerfile_inputs import parse_lockstrip_spec

        where = folder / self.lock_file
        if secrets:
            raise FormatError(where, "--secret names uv indexes; Poetry projects take none yet")
        if packages:
            raise FormatError(where, "--package is for uv workspaces; Poetry projects take none")
        source = parse_lockstrip_spec(lockstrip_spec)
        return render_dockerfile(self.read(folder), lockstrip=source)

    def fetch(
        self,
        project: PoetryProject,
        scope: Scope | None,
        target: Target,
        dest: Path,
        *,
        jobs: int,
        retries: int,
        quiet: bool,
    ) -> bool:
        from lockstrip.formats.poetry.fetch import fetch_project

        result, plan = fetch_project(
            project, scope, target, dest, jobs=jobs, retries=retries, quiet=quiet
        )
        return not (result.failed or plan.unavailable)

    savings_module = "lockstrip.formats.poetry.savings"

    def download_scope(self) -> Scope:
        """`poetry install --only main`, as the generated Dockerfile's download step."""
        from lockstrip.formats.request import Scope

        return Scope(only_groups=("main",))


FORMAT = PoetryFormat()
