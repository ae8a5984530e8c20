"""PDM's lock format: pdm.lock and the pyproject.toml files beside it.

`root` and `model` read and validate, `selection` decides what one install takes, `rules`
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
    from lockstrip.formats.pdm.model import PdmProject
    from lockstrip.formats.request import Scope, Skip
    from lockstrip.io.export_folder import Export, Mode
    from lockstrip.io.project_files import ProjectFiles

__all__ = ["FORMAT", "PdmFormat"]


class PdmFormat(LockFormat["PdmProject"]):
    """pdm.lock, read with `formats/pdm/model`."""

    name = "pdm"
    lock_file = "pdm.lock"

    def read_files(self, files: ProjectFiles, root: Path) -> PdmProject:
        from lockstrip.formats.pdm.model import read_files

        return read_files(files, root)

    def export(
        self,
        project: PdmProject,
        mode: Mode = "frozen",
        scope: Scope | None = None,
        target: Target | None = None,
        *,
        requirements: bool = False,
        skip: Skip | None = None,
    ) -> Export:
        from lockstrip.formats.pdm.render import build_export

        where = project.lock_path
        if scope is not None or target is not None:
            raise FormatError(
                where,
                "a PDM export holds the whole lock (its content_hash covers every group); "
                "give the scope to `pdm install` (-G, --prod) and to `lockstrip digest`",
            )
        if requirements:
            raise FormatError(where, "--requirements is for uv projects; use `pdm export`")
        if skip is not None:
            raise FormatError(where, "--no-install-* are uv's; PDM's is `pdm install --no-self`")
        return build_export(project, mode)

    def digest(
        self, project: PdmProject, scope: Scope | None = None, target: Target | None = None
    ) -> Digest:
        from lockstrip.formats.pdm.render import compute_digest

        return compute_digest(project, scope, target)

    def explain(self, old: PdmProject, new: PdmProject) -> Explanation:
        from lockstrip.formats.pdm.render import explain

        return explain(old, new)

    def dockerfile(
        self,
        folder: Path,
        *,
        lockstrip_spec: str | None = None,
        secrets: Sequence[str] = (),
        packages: Sequence[str] = (),
    ) -> str:
        from lockstrip.formats.pdm.dockerfile import render_dockerfile
        from lockstrip.formats.uv.render.dockerfile_inputs import parse_lockstrip_spec

        where = folder / self.lock_file
        if secrets:
            raise FormatError(where, "--secret names uv indexes; PDM projects take none yet")
        if packages:
            raise FormatError(where, "--package is for uv workspaces; PDM projects take none")
        source = parse_lockstrip_spec(lockstrip_spec)
        return render_dockerfile(self.read(folder), lockstrip=source)

    def fetch(
        self,
        project: PdmProject,
        scope: Scope | None,
        target: Target,
        dest: Path,
        *,
        jobs: int,
        retries: int,
        quiet: bool,
    ) -> bool:
        from lockstrip.formats.pdm.fetch import fetch_project

        result, plan = fetch_project(
            project, scope, target, dest, jobs=jobs, retries=retries, quiet=quiet
        )
        return not (result.failed or plan.unavailable)

    savings_module = "lockstrip.formats.pdm.savings"


FORMAT = PdmFormat()
