"""The history replay behind `lockstrip savings`, whatever the lock format.

For each commit that touched the lock or a pyproject file, two download layers are asked
whether they rebuild: the lock tool's documented pattern, keyed on the bytes of
`pyproject.toml` and the lock (so every release rebuilds it), and lockstrip's generated
Dockerfile, keyed on the export its download step copies. A format supplies, in a module
named by `Replay.module`, one function: `state(files, scope, python_version,
python_platform) -> (project, export_key, download)`, and `reasons(old, new)`.

The history is read through one long-lived `git cat-file --batch`; a commit whose files
are the objects the previous one read reuses its result; a long history is cut into runs
read by processes of their own (the report is the same).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from lockstrip.errors import LockstripError
from lockstrip.formats.savings import CommitReport, Download, Report
from lockstrip.io.history import Batch, Commit, RevisionFiles, commits, parent, repository

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.request import Scope

__all__ = [
    "DEFAULT_PLATFORM",
    "Replay",
    "explanation_lines",
    "export_key",
    "file_hash",
    "named_files",
    "replay",
    "target_for",
]

#: The platform the report downloads for by default: the generated Dockerfile's linux/amd64.
DEFAULT_PLATFORM = "x86_64-manylinux_2_28"

#: Commits a worker process is worth: below that, starting it costs more than it saves.
_PER_WORKER = 40


class Replay(NamedTuple):
    """What a format's history replay reads and computes."""

    module: str  # the module with `state` and `reasons` (imported in worker processes too)
    lock_file: str  # "uv.lock", "poetry.lock"


class _State(NamedTuple):
    """One commit's inputs, as far as the two layers see them."""

    pattern_key: str  # sha256 of the root pyproject.toml and the lock's bytes
    export_key: str | None  # sha256 of the export's files; None: unreadable
    project: Any
    download: Download | None
    read_ids: dict[str, str | None]  # every file read, by object id: the reuse key
    error: str | None


def replay(
    how: Replay,
    directory: Path,
    scope: Scope,
    *,
    since: str | None = None,
    max_count: int | None = None,
    python_version: str | None = None,
    python_platform: str | None = None,
    jobs: int | None = None,
) -> Report:
    """The report for the project in `directory` over its git history."""
    top, prefix, shallow = repository(directory)
    history = commits(top, prefix, since, max_count, how.lock_file)
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
        (how, top, prefix, before, run, scope, python_version, python_platform)
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
    return Report(str(directory), tuple(scope.to_args()), target, tuple(reports), tuple(notes))


def _replay(
    how: Replay,
    top: Path,
    prefix: str,
    before: str | None,
    run: Sequence[Commit],
    scope: Scope,
    python_version: str | None,
    python_platform: str | None,
) -> list[CommitReport]:
    """Each commit of `run` against the one before it (`before` for the first)."""
    module = import_module(how.module)
    reports = []
    with Batch(top) as batch:
        options = (scope, python_version, python_platform)
        previous = _state(how, module, batch, before, prefix, options, None)
        for commit in run:
            state = _state(how, module, batch, commit.sha, prefix, options, previous)
            reports.append(_compare(module, commit, previous, state))
            previous = state
    return reports


def _state(
    how: Replay,
    module: Any,
    batch: Batch,
    rev: str | None,
    prefix: str,
    options: tuple[Scope, str | None, str | None],
    previous: _State | None,
) -> _State:
    if rev is None:  # before the first commit: nothing was built
        return _State("", None, None, None, {}, None)
    files = RevisionFiles(batch, rev, prefix)
    raw = [files.raw("pyproject.toml"), files.raw(how.lock_file)]
    pattern_key = file_hash(part or b"" for part in raw)
    if previous is not None and previous.read_ids and _same_files(files, previous):
        return previous._replace(pattern_key=pattern_key)
    if raw[1] is None:
        return _State(pattern_key, None, None, None, dict(files.read_ids), f"no {how.lock_file}")
    try:
        project, export_key, download = module.state(files, *options, previous)
    except LockstripError as error:
        return _State(pattern_key, None, None, None, dict(files.read_ids), str(error))
    return _State(pattern_key, export_key, project, download, dict(files.read_ids), None)


def _same_files(files: RevisionFiles, previous: _State) -> bool:
    """Whether every file the previous state read is the same object in `files`; a file
    `files` has already read (the lock, the root pyproject) is not read again."""
    for rel, oid in previous.read_ids.items():
        if rel not in files.read_ids:
            files.raw(rel)
        if files.read_ids[rel] != oid:
            return False
    return True


def file_hash(parts: Iterator[bytes] | Sequence[bytes]) -> str:
    """sha256 of byte strings, each prefixed with its length (no two lists collide)."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()


def _compare(module: Any, commit: Commit, old: _State, new: _State) -> CommitReport:
    pattern_rebuilds = old.pattern_key != new.pattern_key
    if new.error is not None:
        return CommitReport(commit, pattern_rebuilds, True, None, (), new.error)
    lockstrip_rebuilds = old.export_key != new.export_key
    reasons: tuple[str, ...] = ()
    if lockstrip_rebuilds and old.project is not None and new.project is not None:
        reasons = module.reasons(old.project, new.project)
    elif lockstrip_rebuilds:  # no project before: the first commit, or an unreadable one
        first = old.error is None
        reasons = ("the first build",) if first else ("the previous commit could not be read",)
    return CommitReport(commit, pattern_rebuilds, lockstrip_rebuilds, new.download, reasons)


def explanation_lines(explanation: Any) -> tuple[str, ...]:
    """An explanation's lines as `lockstrip diff` prints them, without colour."""
    from lockstrip.formats.explanation import render_text

    text = render_text(explanation, colour=False, export_changed=True)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def export_key(files: Mapping[str, str]) -> str:
    """The hash of an export's files: what a Docker layer that copies it is keyed on."""
    return file_hash(f"{name}\0{text}".encode() for name, text in files.items())


def target_for(
    project: Any, python_version: str | None, python_platform: str | None, python: str | None
) -> Target:
    """The options' target, or the Dockerfile's (`python`, on `DEFAULT_PLATFORM`)."""
    from lockstrip.environment.target import parse_target

    requires_python, source = project.requires_python
    if python_version is None and python_platform is None:
        python_version, python_platform = python, DEFAULT_PLATFORM
    target = parse_target(python_version, python_platform, requires_python, str(source))
    assert target is not None  # a platform is given either way
    return target


def named_files(packages: Iterable[Any], target: Target) -> Download:
    """What downloading `packages` (with lock `files` (name, hash) pairs, no sizes: poetry.lock
    and pdm.lock) takes on `target`: files counted once (pdm.lock repeats a package with
    extras, `rfc3986[idna2008]`, with the same files), bytes unknown."""
    from lockstrip.environment.target import best_file

    found = {file for p in packages if not p.local for file in best_file(p.files, target)}
    return Download(len(found), 0, len(found))
