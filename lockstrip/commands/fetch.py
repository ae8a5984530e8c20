"""`lockstrip fetch`: fill a wheelhouse with what one install downloads."""

from __future__ import annotations

import argparse

from lockstrip.commands.common import (
    EXIT_DIFFERS,
    EXIT_OK,
    Command,
    path_arg,
    recorded_options,
    selection_of,
    selection_options,
)
from lockstrip.errors import InputError

__all__ = ["COMMAND"]


_FETCH_HELP = """\
Download the artifacts one install takes from uv.lock into a folder (a wheelhouse).

Per package, the wheel that fits the target best, else its sdist (the install builds it),
from the URL in the lock: no index pages, no metadata, one request per file. Each file's
hash is checked as it streams, and a file gets its name in DEST only once it matches; one
already there with the right hash is not fetched again. Local packages are skipped, git
sources reported. Without options, what `uv sync` installs here: the project and its
default groups, for this interpreter and machine; for an export folder, the scope and
target it was written with.

Exit 0 when DEST holds every artifact, 1 when some could not be fetched, 2 on bad input.
"""


_FETCH_EXAMPLE = """\
Example: lockstrip fetch . --dest wheels --python-version 3.12 --python-platform linux
  then, without network:
    lockstrip export . --out deps --requirements --python-version 3.12 --python-platform linux
    uv pip install --offline --no-index --find-links wheels -r deps/requirements.txt
"""


def _fetch(args: argparse.Namespace) -> int:
    from lockstrip.environment.target import running_target
    from lockstrip.formats import detect
    from lockstrip.io.export_folder import export_options

    if args.jobs < 1 or args.retries < 0:
        raise InputError("--jobs" if args.jobs < 1 else "--retries", "is out of range")
    lock = detect(args.project, args.lock)
    project = lock.read(args.project)
    scope, target = selection_of(args, project)
    recorded = export_options(args.project)
    if recorded is not None:  # an export folder: by default, what it was written for
        _, written_scope, written_target = recorded_options(args.project, recorded, project)
        scope, target = scope or written_scope, target or written_target
    complete = lock.fetch(
        project,
        scope,
        target or running_target(),
        args.dest,
        jobs=args.jobs,
        retries=args.retries,
        quiet=args.quiet,
    )
    return EXIT_OK if complete else EXIT_DIFFERS  # 1: incomplete


def _fetch_options(fetch: argparse.ArgumentParser) -> None:
    fetch.add_argument(
        "--dest", "-d", type=path_arg, required=True, metavar="DIR", help="the folder to fill"
    )
    fetch.add_argument("--jobs", "-j", type=int, default=8, help="downloads at once (default: 8)")
    fetch.add_argument(
        "--retries", type=int, default=3, help="retries per file on network errors (default: 3)"
    )
    fetch.add_argument("--quiet", "-q", action="store_true", help="print warnings and errors only")
    selection_options(fetch)


COMMAND = Command(_FETCH_HELP, _FETCH_EXAMPLE, _fetch, _fetch_options)
