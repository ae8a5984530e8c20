"""`lockstrip savings` for uv projects: each commit read through uv's model, export and
wheelhouse plan (the replay itself is `formats/replay.py`).

* **uv's documented pattern**: `COPY pyproject.toml uv.lock` (or bind mounts of the two)
  then `uv sync --locked --no-install-project`: keyed on those two files' bytes.
* **lockstrip's Dockerfile**: its download step is keyed on the export that
  `lockstrip export --no-dev` (folded as the Dockerfile folds a workspace) writes for the
  target, so it rebuilds only when that export's bytes change.

A rebuild downloads every artifact the install takes for the target (the wheel uv picks,
or the sdist), with the sizes the lock records, one request per file: `uv sync` reads the
URLs from the lock and asks the index for no pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lockstrip.formats.replay import DEFAULT_PLATFORM, explanation_lines, export_key
from lockstrip.formats.savings import Download, Report

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope
    from lockstrip.formats.uv.model.project import Project
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
    """The report for the uv project in `directory` over its git history (`--no-dev`, as the
    Dockerfile, unless a scope is given)."""
    from lockstrip.formats.uv import FORMAT

    return FORMAT.savings(
        directory,
        since=since,
        max_count=max_count,
        scope=scope,
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
) -> tuple[Project, str, Download]:
    """The project at a revision, the hash of the export the generated Dockerfile's download
    step is keyed on, and what that step downloads."""
    from lockstrip.environment.target import parse_target
    from lockstrip.formats.uv.model.project import read_files
    from lockstrip.formats.uv.render.dockerfile_inputs import download_skip, python_minor
    from lockstrip.formats.uv.render.export import build_export

    project = read_files(files, files.where("."))
    requires_python, source = project.requires_python
    if python_version is None and python_platform is None:
        version: str | None = python_minor(project)  # the Dockerfile's Python
        platform: str | None = DEFAULT_PLATFORM
    else:
        version, platform = python_version, python_platform
    target = parse_target(version, platform, requires_python, str(source))
    assert target is not None
    export = build_export(project, "frozen", scope, target, skip=download_skip(project))
    key = export_key(export.files)
    if previous is not None and previous.export_key == key and previous.download is not None:
        return project, key, previous.download  # the same export holds the same artifacts
    return project, key, _download(project, scope, target)


def _download(project: Project, scope: Scope, target: Target) -> Download:
    from lockstrip.formats.uv.fetch import plan_fetch

    sizes = [artifact.size for artifact in plan_fetch(project, scope, target).artifacts]
    known = [size for size in sizes if size is not None]
    return Download(len(sizes), sum(known), len(sizes) - len(known))


def reasons(old: Project, new: Project) -> tuple[str, ...]:
    """The explanation's lines (`lockstrip diff`), without colour and its closing notes."""
    from lockstrip.formats.uv.render.explain import explain

    return explanation_lines(explain(old, new))
