"""`lockstrip savings` for uv projects: the project's git history replayed through uv's
model, export and wheelhouse plan.

For each commit that touched the lock or a pyproject file, two download layers are asked
whether they rebuild:

* **uv's documented pattern**: `COPY pyproject.toml uv.lock` (or bind mounts of the two)
  then `uv sync --locked --no-install-project`. Its layer is keyed on those two files'
  bytes, so any edit of either rebuilds it: every release, every description edit.
* **lockstrip's Dockerfile**: its download step is keyed on the export that
  `lockstrip export --no-dev` (folded as the Dockerfile folds a workspace) writes for the
  target, so it rebuilds only when that export's bytes change.

A rebuild downloads every artifact the install takes for the target (the wheel uv picks,
or the sdist), with the sizes the lock records, one request per file: `uv sync` reads the
URLs from the lock and asks the index for no pages.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from lockstrip.errors import LockstripError
from lockstrip.formats.savings import CommitReport, Download, Report
from lockstrip.io.history import Batch, Commit, RevisionFiles, commits, parent, repository

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope
    from lockstrip.formats.uv.model.project import Project

__all__ = ["savings"]

#: The platform the report downloads for by default: the generated Dockerfile's linux/amd64.
DEFAULT_PLATFORM = "x86_64-manylinux_2_28"


class _State(NamedTuple):
    """One commit's inputs, as far as the two layers see them."""

    uv_key: str  # sha256 of the root pyproject.toml and uv.lock bytes
    export_key: str | None  # sha256 of the export's files; None: unreadable
    project: Project | None
    download: Download | None
    read_ids: dict[str, str | None]  # every file read, by object id: the reuse key
    error: str | None


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
    """The report for the project in `directory` over its git history. With `jobs` > 1 the
    history is cut into that many runs of commits, each read by a process of its own (the
    report is the same: every commit is compared with its predecessor either way)."""
    from lockstrip.formats.request import Scope

    top, prefix, shallow = repository(directory)
    chosen = scope or Scope(no_dev=True)
    history = commits(top, prefix, since, max_count)
    notes = []
    if shallow:
        notes.append(
            "a shallow clone: the report starts where its history does (git fetch --unshallow)"
        )
    workers = max(1, min(jobs or os.cpu_count() or 1, len(history) // _PER_WORKER))
    size = -(-len(history) // workers) if history else 0
    runs = [history[start : start + size] for start in range(0, len(history), size or 1)]
    # Each run starts from the commit before it in the list, as a single pass would.
    befores = [parent(top, history[0].sha) if history else None]
    befores += [run[-1].sha for run in runs[:-1]]
    args = [
        (top, prefix, before, run, chosen, python_version, python_platform)
        for before, run in zip(befores, runs, strict=False)
    ]
    if workers == 1:
        parts = [_replay(*a) for a in args]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")  # no copy of this process's state
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            parts = list(pool.map(_replay, *zip(*args, strict=True)))
    reports = [report for part in parts for report in part]
    notes += [f"{r.commit.sha[:12]}: {r.error}" for r in reports if r.error is not None]
    target = python_platform or DEFAULT_PLATFORM
    if python_version:
        target += f", Python {python_version}"
    return Report(str(directory), tuple(chosen.to_args()), target, tuple(reports), tuple(notes))


#: Commits a worker process is worth: below that, starting it costs more than it saves.
_PER_WORKER = 40


def _replay(
    top: Path,
    prefix: str,
    before: str | None,
    run: Sequence[Commit],
    scope: Scope,
    python_version: str | None,
    python_platform: str | None,
) -> list[CommitReport]:
    """Each commit of `run` against the one before it (`before` for the first)."""
    reports = []
    with Batch(top) as batch:
        previous = _state(batch, before, prefix, scope, python_version, python_platform, None)
        for commit in run:
            state = _state(
                batch, commit.sha, prefix, scope, python_version, python_platform, previous
            )
            reports.append(_compare(commit, previous, state))
            previous = state
    return reports


def _state(
    batch: Batch,
    rev: str | None,
    prefix: str,
    scope: Scope,
    python_version: str | None,
    python_platform: str | None,
    previous: _State | None,
) -> _State:
    if rev is None:  # before the first commit: nothing was built
        return _State("", None, None, None, {}, None)
    files = RevisionFiles(batch, rev, prefix)
    raw = [files.raw("pyproject.toml"), files.raw("uv.lock")]
    uv_key = _hash(part or b"" for part in raw)
    if previous is not None and previous.read_ids and _same_files(files, previous):
        return previous._replace(uv_key=uv_key)
    if raw[1] is None:
        return _State(uv_key, None, None, None, dict(files.read_ids), "no uv.lock")
    try:
        project, target, export_key = _export(files, scope, python_version, python_platform)
        if previous is not None and previous.export_key == export_key:
            download = previous.download  # the same export holds the same artifacts
        else:
            download = _download(project, scope, target)
    except LockstripError as error:
        return _State(uv_key, None, None, None, dict(files.read_ids), str(error))
    return _State(uv_key, export_key, project, download, dict(files.read_ids), None)


def _same_files(files: RevisionFiles, previous: _State) -> bool:
    """Whether every file the previous state read is the same object in `files`; a file
    `files` has already read (the lock, the root pyproject) is not read again."""
    for rel, oid in previous.read_ids.items():
        if rel not in files.read_ids:
            files.raw(rel)
        if files.read_ids[rel] != oid:
            return False
    return True


def _export(
    files: RevisionFiles, scope: Scope, python_version: str | None, python_platform: str | None
) -> tuple[Project, Target, str]:
    """The project at a revision, its target, and the hash of the export the generated
    Dockerfile's download step is keyed on."""
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
    key = _hash(f"{name}\0{text}".encode() for name, text in export.files.items())
    return project, target, key


def _download(project: Project, scope: Scope, target: Target) -> Download:
    from lockstrip.formats.uv.fetch import plan_fetch

    sizes = [artifact.size for artifact in plan_fetch(project, scope, target).artifacts]
    known = [size for size in sizes if size is not None]
    return Download(len(sizes), sum(known), len(sizes) - len(known))


def _hash(parts: Iterator[bytes] | Sequence[bytes]) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()


def _compare(commit: Commit, old: _State, new: _State) -> CommitReport:
    uv_rebuilds = old.uv_key != new.uv_key
    if new.error is not None:
        return CommitReport(commit, uv_rebuilds, True, None, (), new.error)
    lockstrip_rebuilds = old.export_key != new.export_key
    reasons: tuple[str, ...] = ()
    if lockstrip_rebuilds and old.project is not None and new.project is not None:
        reasons = _reasons(old.project, new.project)
    elif lockstrip_rebuilds:  # no project before: the first commit, or an unreadable one
        first = old.error is None
        reasons = ("the first build",) if first else ("the previous commit could not be read",)
    return CommitReport(commit, uv_rebuilds, lockstrip_rebuilds, new.download, reasons)


def _reasons(old: Project, new: Project) -> tuple[str, ...]:
    """The explanation's lines (`lockstrip diff`), without colour and its closing notes."""
    from lockstrip.formats.explanation import render_text
    from lockstrip.formats.uv.render.explain import explain

    text = render_text(explain(old, new), colour=False, export_changed=True)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return tuple(lines)
