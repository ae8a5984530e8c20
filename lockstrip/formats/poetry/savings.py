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

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lockstrip.formats.replay import DEFAULT_PLATFORM, Replay, explanation_lines, file_hash, replay
from lockstrip.formats.savings import Download, Report

if TYPE_CHECKING:
    from lockstrip.formats.poetry.model import PoetryProject
    from lockstrip.formats.request import Scope
    from lockstrip.io.history import RevisionFiles

__all__ = ["reasons", "savings", "state"]


def savings(
    directory: Path,
    *,
    since: str | None = None,
    max_count: int | None = None,
    scope: Scope | None = None,
    python_version: str | None = None,
    python_platform: str | None = None,
    jobs: int | None = None,
) -> Report:
    from lockstrip.formats.request import Scope

    return replay(
        Replay(__name__, "poetry.lock"),
        directory,
        scope or Scope(only_groups=("main",)),
        since=since,
        max_count=max_count,
        python_version=python_version,
        python_platform=python_platform,
        jobs=jobs,
    )


def state(
    files: RevisionFiles,
    scope: Scope,
    python_version: str | None,
    python_platform: str | None,
    previous: Any,
) -> tuple[PoetryProject, str, Download]:
    from lockstrip.environment.target import lowest_python, parse_target
    from lockstrip.formats.poetry.model import read_files
    from lockstrip.formats.poetry.render import best_file, build_export
    from lockstrip.formats.poetry.selection import select

    project = read_files(files, files.where("."))
    export = build_export(project, scope=scope)  # the export the Dockerfile copies
    key = file_hash(f"{name}\0{text}".encode() for name, text in export.files.items())
    if previous is not None and previous.export_key == key and previous.download is not None:
        return project, key, previous.download
    requires_python, source = project.requires_python
    if python_version is None and python_platform is None:
        version: str | None = lowest_python(requires_python)
        platform: str | None = DEFAULT_PLATFORM
    else:
        version, platform = python_version, python_platform
    target = parse_target(version, platform, requires_python, str(source))
    assert target is not None
    chosen = [p for p in select(project, scope, target).packages if not p.local]
    count = sum(bool(best_file(p, target)) for p in chosen)
    return project, key, Download(count, 0, count)


def reasons(old: PoetryProject, new: PoetryProject) -> tuple[str, ...]:
    from lockstrip.formats.poetry.render import explain

    return explanation_lines(explain(old, new))
