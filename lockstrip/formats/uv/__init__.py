"""uv's lock format: uv.lock and the pyproject.toml files beside it.

The stages, each a subpackage: `model` reads and validates, `selection` decides what one
install takes, `rules` strips every file for it, `render` writes the outputs; `fetch`
fills a wheelhouse. `FORMAT` is what the commands call (`formats.interface.LockFormat`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lockstrip.formats.interface import Digest, LockFormat

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.explanation import Explanation
    from lockstrip.formats.request import Scope, Skip
    from lockstrip.formats.uv.model.project import Project
    from lockstrip.io.export_folder import Export, Mode
    from lockstrip.io.project_files import ProjectFiles

__all__ = ["FORMAT", "UvFormat"]


class UvFormat(LockFormat["Project"]):
    """uv.lock, read with the model in `formats/uv/model`."""

    name = "uv"
    lock_file = "uv.lock"

    def read(self, folder: Path) -> Project:
        from lockstrip.formats.uv.model.project import read_project

        return read_project(folder)

    def read_files(self, files: ProjectFiles, root: Path) -> Project:
        from lockstrip.formats.uv.model.project import read_files

        return read_files(files, root)

    def export(
        self,
        project: Project,
        mode: Mode = "frozen",
        scope: Scope | None = None,
        target: Target | None = None,
        *,
        requirements: bool = False,
        skip: Skip | None = None,
    ) -> Export:
        from lockstrip.formats.uv.render.export import build_export

        return build_export(project, mode, scope, target, requirements=requirements, skip=skip)

    def digest(
        self, project: Project, scope: Scope | None = None, target: Target | None = None
    ) -> Digest:
        from lockstrip.formats.uv.render.digest import compute_digest

        return compute_digest(project, scope, target)

    def explain(self, old: Project, new: Project) -> Explanation:
        from lockstrip.formats.uv.render.explain import explain

        return explain(old, new)

    def dockerfile(
        self,
        folder: Path,
        *,
        lockstrip_spec: str | None = None,
        secrets: Sequence[str] = (),
        packages: Sequence[str] = (),
    ) -> str:
        from lockstrip.formats.uv.render.dockerfile import render_dockerfile
        from lockstrip.formats.uv.render.dockerfile_inputs import (
            index_secrets,
            parse_lockstrip_spec,
        )

        lockstrip = parse_lockstrip_spec(lockstrip_spec)  # before the project: a usage error
        project = self.read(folder)
        found = index_secrets(project, secrets)
        return render_dockerfile(project, lockstrip=lockstrip, secrets=found, packages=packages)

    def fetch(
        self,
        project: Project,
        scope: Scope | None,
        target: Target,
        dest: Path,
        *,
        jobs: int,
        retries: int,
        quiet: bool,
    ) -> bool:
        from lockstrip.formats.uv.fetch import fetch, find_credentials, plan_fetch

        plan = plan_fetch(project, scope, target)
        credentials = find_credentials(project)
        result = fetch(plan, dest, credentials, jobs=jobs, retries=retries, quiet=quiet)
        return not (result.failed or plan.unavailable)

    savings_module = "lockstrip.formats.uv.savings"


FORMAT = UvFormat()
