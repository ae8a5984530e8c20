"""`lockstrip savings` for PDM projects (the replay itself is `formats/replay.py`).

* **PDM's usual pattern**: `COPY pyproject.toml pdm.lock` then `pdm install --prod
  --frozen-lockfile --no-self`: keyed on those two files' bytes, so every release rebuilds it.
* **lockstrip's**: a download step keyed on the export (`lockstrip export`), which a release
  leaves byte for byte.

A rebuild downloads the file an install on the target picks for each third-party package of
`--no-dev` (`pdm install --prod`) unless a scope is given. pdm.lock records no sizes, so the
files are counted and their bytes are not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lockstrip.formats.replay import (
    explanation_lines,
    export_key,
    named_files,
    target_for,
)
from lockstrip.formats.savings import Download

if TYPE_CHECKING:
    from lockstrip.formats.pdm.model import PdmProject
    from lockstrip.formats.request import Scope
    from lockstrip.io.history import RevisionFiles

__all__ = ["reasons", "state"]


def state(
    files: RevisionFiles,
    scope: Scope,
    python_version: str | None,
    python_platform: str | None,
    previous: Any,
) -> tuple[PdmProject, str, Download]:
    """The project at a revision, its export's key, and what the download step fetches on
    the lowest Python the project allows."""
    from lockstrip.environment.target import lowest_python
    from lockstrip.formats.pdm.model import read_files
    from lockstrip.formats.pdm.render import build_export
    from lockstrip.formats.pdm.selection import select

    project = read_files(files, files.where("."))
    key = export_key(build_export(project).files)
    if previous is not None and previous.export_key == key and previous.download is not None:
        return project, key, previous.download
    target = target_for(
        project, python_version, python_platform, lowest_python(project.requires_python[0])
    )
    return project, key, named_files(select(project, scope, target).packages, target)


def reasons(old: PdmProject, new: PdmProject) -> tuple[str, ...]:
    from lockstrip.formats.pdm.render import explain

    return explanation_lines(explain(old, new))
