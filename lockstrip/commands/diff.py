"""`lockstrip diff`: what changed between two projects (or two git revisions), in
dependency terms."""

from __future__ import annotations

import argparse
import sys

from lockstrip.commands.common import EXIT_DIFFERS, EXIT_OK, Command, colour, path_arg
from lockstrip.errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from lockstrip.formats.interface import LockedProject as Project
    from lockstrip.formats.interface import LockFormat


__all__ = ["COMMAND"]


_DIFF_HELP = """\
Explain what changed in the third-party dependency set between two versions of a project.

OLD and NEW are project folders or export folders; with --git, revisions of the project
in PROJECT_DIR (default .): --git REV compares REV with the working tree, --git A..B two
revisions. Files at a revision are read with git, the working tree is not touched.
Exit 0 when the third-party set is the same (only volatile fields changed), 1 when it
differs, 2 on bad input.
"""


_DIFF_EXAMPLE = """\
Example: lockstrip diff --git HEAD~1
  only volatile fields changed: root version 1.4.0 → 1.5.0; export and digest unchanged
Example: lockstrip diff old-checkout/ . --json
"""


def _diff(args: argparse.Namespace) -> int:
    from lockstrip.formats import detect
    from lockstrip.formats.explanation import render_json, render_text

    if args.git is not None:
        from lockstrip.io.git import revision_range

        if len(args.paths) > 1:
            raise InputError(args.paths[1], "with --git, give at most one PROJECT_DIR")
        from pathlib import Path

        folder = args.paths[0] if args.paths else Path(".")
        old_rev, new_rev = revision_range(args.git)
        lock = detect(folder, args.lock)
        old = lock.read_revision(folder, old_rev)
        new = lock.read_revision(folder, new_rev) if new_rev else _read_side(lock, folder)
        labels = (old_rev, new_rev or f"{folder} (working tree)")
    else:
        if len(args.paths) != 2:
            given = f"{len(args.paths)} given"
            raise InputError("diff", f"give two folders, OLD and NEW, or --git REV ({given})")
        lock = detect(args.paths[0], args.lock)
        old, new = (_read_side(lock, path) for path in args.paths)
        labels = (str(args.paths[0]), str(args.paths[1]))
        old, new = _comparable(lock, old, new), _comparable(lock, new, old)
    explanation = lock.explain(old, new)
    if args.json:
        print(render_json(explanation, {"old": labels[0], "new": labels[1]}), end="")
    else:
        export_changed = not explanation.digest_changed and _export_changed(lock, old, new)
        text = render_text(explanation, colour=colour(sys.stdout), export_changed=export_changed)
        print(text, end="")
    return EXIT_DIFFERS if explanation.third_party_changed else EXIT_OK


def _export_changed(lock: LockFormat[Any], old: Project, new: Project) -> bool:
    """Whether the two sides' exports differ, in the mode of the side that is an export."""
    from lockstrip.io.export_folder import export_mode

    mode = export_mode(old.root) or export_mode(new.root) or "frozen"
    return lock.export(old, mode).files != lock.export(new, mode).files


def _read_side(lock: LockFormat[Any], path: Path) -> Project:
    if path.is_dir() and not lock.holds(path):
        raise InputError(
            path, f"is neither a {lock.name} project nor a lockstrip export (no {lock.lock_file})"
        )
    project: Project = lock.read(path)
    return project


def _comparable(lock: LockFormat[Any], side: Project, other: Project) -> Project:
    """A project compared with an export is compared as its export, in the export's mode."""
    from lockstrip.io.export_folder import export_mode

    mode = export_mode(other.root)
    if mode is None or export_mode(side.root) is not None:
        return side
    exported: Project = lock.read_texts(lock.export(side, mode).files, side.root)
    return exported


def _diff_options(diff: argparse.ArgumentParser) -> None:
    diff.add_argument("paths", nargs="*", type=path_arg, metavar="OLD NEW | PROJECT_DIR")
    diff.add_argument("--git", metavar="REV|A..B", help="compare git revisions of the project")
    diff.add_argument("--json", action="store_true", help="print a JSON report")


COMMAND = Command(_DIFF_HELP, _DIFF_EXAMPLE, _diff, _diff_options, project=False)
