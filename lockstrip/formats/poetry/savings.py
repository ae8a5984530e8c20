"""`lockstrip savings` for Poetry projects (the replay itself is `formats/replay.py`).

* **Poetry's usual pattern**: `COPY pyproject.toml poetry.lock` then `poetry install
  --no-root`: keyed on those two files' bytes, so every `poetry version` bump rebuilds it
  (python-poetry/poetry#1301).
* **lockstrip's Dockerfile**: its download step copies the export, so it rebuilds only when
  the export's bytes change.

A rebuild downloads the artifact an install on the target picks for each third-party
package of `--only main` (unless a scope is given). poetry.lock records no sizes, so the
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
    from lockstrip.formats.poetry.model import PoetryProject
    from lockstrip.formats.request import Scope
    from lockstrip.io.history import RevisionFiles

__all__ = ["reasons", "state"]


def state(
    files: RevisionFiles,
    scope: Scope,
    python_version: str | None,
    python_platform: str | None,
    previous: Any,
) -> tuple[PoetryProject, str, Download]:
    """The project at a revision, the key of the export the Dockerfile copies (`--only main`
    unless a scope is given), and what its download step fetches on the image's Python."""
    from lockstrip.formats.poetry.dockerfile import image_python
    from lockstrip.formats.poetry.model import read_files
    from lockstrip.formats.poetry.render import build_export
    from lockstrip.formats.poetry.selection import select

    project = read_files(files, files.where("."))
    key = export_key(build_export(project, scope=scope).files)
    if previous is not None and previous.export_key == key and previous.download is not None:
        return project, key, previous.download
    python = image_python(project) if python_version is None else None
    target = target_for(project, python_version, python_platform, python)
    return project, key, named_files(select(project, scope, target).packages, target)


def reasons(old: PoetryProject, new: PoetryProject) -> tuple[str, ...]:
    from lockstrip.formats.poetry.render import explain

    return explanation_lines(explain(old, new))
