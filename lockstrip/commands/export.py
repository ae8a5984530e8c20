"""`lockstrip export`: write the export folder."""

from __future__ import annotations

import argparse
import sys

from lockstrip.commands.common import (
    EXIT_DIFFERS,
    EXIT_OK,
    Command,
    install_options,
    path_arg,
    selection_of,
    selection_options,
    skip_of,
    stale_explanation,
)

__all__ = ["COMMAND"]


_EXPORT_HELP = """\
Write stripped pyproject file(s) and uv.lock into an export folder.

Local versions, docs metadata, tool settings and lock-format churn are stripped, so the
folder's bytes change only when third-party dependencies do. The folder is written
atomically, and only when its content changes.

modes:
  frozen  the least `uv sync --frozen` needs; changes only with third-party dependencies
  locked  also what `uv sync --locked` and `uv lock --check` validate; changes with
          specifier and [tool.uv] edits too
"""


_EXPORT_EXAMPLE = """\
Example: lockstrip export . --out build/deps
  then, in a Dockerfile:
    COPY --from=deps /deps /app
    RUN uv sync --frozen --no-install-project
"""


def _export(args: argparse.Namespace) -> int:
    from lockstrip.formats import detect
    from lockstrip.io.export_folder import write_export

    lock = detect(args.project, args.lock)
    project = lock.read(args.project)
    scope, target = selection_of(args, project)
    result = lock.export(
        project, args.mode, scope, target, requirements=args.requirements, skip=skip_of(args)
    )
    previous = stale_explanation(args.out, result) if args.exit_code else None
    changed = write_export(result, args.out, project.root, force=args.force)
    for warning in result.warnings:
        print(f"lockstrip: warning: {warning}", file=sys.stderr)
    if not args.quiet:
        state = "wrote" if changed else "unchanged"
        count = len(result.files)
        print(f"{state} {args.out} ({count} files, mode {args.mode})", file=sys.stderr)
    if changed and previous:
        print(previous, end="")
    return EXIT_DIFFERS if changed and args.exit_code else EXIT_OK


def _export_options(export: argparse.ArgumentParser) -> None:
    export.add_argument(
        "--out",
        "-o",
        type=path_arg,
        default=path_arg("lockstrip-export"),
        help="the export folder to write, created if missing (default: lockstrip-export)",
    )
    export.add_argument(
        "--mode", choices=("frozen", "locked"), default="frozen", help="default: frozen"
    )
    export.add_argument(
        "--force",
        action="store_true",
        help="replace OUT even when it holds files lockstrip did not write",
    )
    export.add_argument("--quiet", "-q", action="store_true", help="print errors only")

    export.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when the folder was (re)written, and say why (the pre-commit hook)",
    )
    export.add_argument(
        "--requirements",
        action="store_true",
        help="also write requirements.txt: the install's third-party pins with hashes, "
        "for an offline install from a wheelhouse (lockstrip fetch)",
    )
    selection_options(export)
    install_options(export)


COMMAND = Command(_EXPORT_HELP, _EXPORT_EXAMPLE, _export, _export_options)
