"""`lockstrip check`: is the export folder what `export` would write now? If not, why."""

from __future__ import annotations

import argparse
import sys

from lockstrip.commands.common import (
    EXIT_DIFFERS,
    EXIT_OK,
    Command,
    colour,
    path_arg,
    recorded_options,
    skip_of,
)
from lockstrip.errors import InputError, LockstripError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from lockstrip.formats.interface import LockedProject as Project


__all__ = ["COMMAND"]


_CHECK_HELP = """\
Check that an export folder holds exactly what `lockstrip export` would write now.

Exit 0 when it does, 1 when it is stale (and say what changed, in dependency terms), 2 on
bad input. The export's mode is read from the folder; --mode overrides it. Nothing is
written. This is the read-only pre-commit hook.
"""


_CHECK_EXAMPLE = """\
Example: lockstrip check --out deps
  export at deps is stale:
  third-party dependencies changed (1 change):
    ↑ requests 2.31.0 → 2.32.3
"""


def _check(args: argparse.Namespace) -> int:
    from lockstrip.formats import detect
    from lockstrip.formats.explanation import render_json, render_text
    from lockstrip.io.export_folder import export_options, is_export, same_content

    lock = detect(args.project, args.lock)
    project = lock.read(args.project)
    out: Path = args.out
    recorded = export_options(out) or ["--mode", "frozen"]
    options, scope, target = recorded_options(out, recorded, project)  # as it was written
    mode = args.mode or options.mode
    wanted = lock.export(
        project, mode, scope, target, requirements=options.requirements, skip=skip_of(options)
    )
    report: dict[str, Any] = {"export": str(out), "mode": mode}
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):  # export fills either
        message = f"no export at {out}; run: lockstrip export --out {out}\n"
        return _report(args, message, {**report, "stale": True, "missing": True}, project)
    if not out.is_dir() or not is_export(out):
        raise InputError(out, "is not an export folder written by lockstrip")
    if same_content(out, wanted.files):
        message = f"export at {out} is up to date\n"
        return _report(args, message, {**report, "stale": False}, project)
    try:
        old = lock.read(out)
    except LockstripError as error:
        message = f"export at {out} is stale and cannot be read ({error}); rewrite it\n"
        data = {**report, "stale": True, "unreadable": str(error)}
        return _report(args, message, data, project)
    explanation = lock.explain(old, lock.read_texts(wanted.files, out))
    if args.json:
        print(render_json(explanation, {**report, "stale": True}), end="")
    else:
        print(f"export at {out} is stale (run: lockstrip export --out {out}):")
        text = render_text(explanation, colour=colour(sys.stdout), export_changed=True)
        print(text, end="")
    return EXIT_DIFFERS


def _report(args: argparse.Namespace, message: str, data: dict[str, Any], project: Project) -> int:
    """A check that needs no explanation: up to date, or an export missing or unreadable.

    The JSON has the keys of an explanation's (`render_json`); the old digest is null when
    there is no readable export to take it from."""
    stale = bool(data.get("stale"))
    if args.json:
        from lockstrip.formats import detect

        new = detect(project.root, args.lock).digest(project).value
        fields: dict[str, Any] = {
            "schema": 1,
            "third_party_changed": None if stale else False,
            "digest_changed": stale,
            "digest": {"old": None if stale else new, "new": new},
            "changes": [],
            "volatile": [],
        }
        import json

        print(json.dumps({**fields, **data}, indent=2, ensure_ascii=False))
    else:
        print(message, end="", file=sys.stdout if stale else sys.stderr)
    return EXIT_DIFFERS if stale else EXIT_OK


def _check_options(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "--out", "-o", type=path_arg, default=path_arg("lockstrip-export"), help="the export folder"
    )
    check.add_argument(
        "--mode", choices=("frozen", "locked"), help="default: the mode the folder records"
    )
    check.add_argument("--json", action="store_true", help="print a JSON report")


COMMAND = Command(_CHECK_HELP, _CHECK_EXAMPLE, _check, _check_options)
