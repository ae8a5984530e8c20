"""The command line: parses options, calls the library, maps errors to exit codes.

Exit codes: 0 success; 1 reserved for "differs / stale"; 2 usage error or bad input.

Built on argparse, not typer: this runs in pre-commit hooks and CI steps, and typer's import
(25-30 ms; 85-120 ms since 0.29 made it require pydantic) alone would cost more than `uv
export --frozen` takes on a 4 MB lock (BENCHMARKS.md). argparse imports in about 5 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from lockstrip import __version__
from lockstrip.errors import LockstripError

EXIT_OK = 0
EXIT_BAD_INPUT = 2

_DESCRIPTION = (
    "Cache-stable exports and third-party digests of uv projects: the Docker download layer "
    "and the CI cache key change only when third-party dependencies change."
)

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

_DIGEST_HELP = """\
Print a digest of the third-party dependency set, for CI cache keys.

It covers third-party packages (name, version, source, artifact URLs and hashes), the
dependency edges of every package (local ones included), requires-python, resolution
markers, conflicts, constraints and overrides; not local names and versions, specifier
strings, upload times or the lock revision.
"""

_DIGEST_EXAMPLE = """\
Example: lockstrip digest
  sha256:3f1c...
  GitHub Actions:  echo "deps=$(lockstrip digest)" >> "$GITHUB_OUTPUT"
"""


def _export(args: argparse.Namespace) -> int:
    from lockstrip.export import build_export, write_export
    from lockstrip.project import read_project

    project = read_project(args.project)
    result = build_export(project, args.mode)
    changed = write_export(result, args.out, project.root, force=args.force)
    for warning in result.warnings:
        print(f"lockstrip: warning: {warning}", file=sys.stderr)
    if not args.quiet:
        state = "wrote" if changed else "unchanged"
        count = len(result.files)
        print(f"{state} {args.out} ({count} files, mode {args.mode})", file=sys.stderr)
    return EXIT_OK


def _digest(args: argparse.Namespace) -> int:
    from lockstrip.digest import compute_digest
    from lockstrip.project import read_project

    result = compute_digest(read_project(args.project))
    print(json.dumps(result.as_json(), indent=2) if args.json else result.value)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lockstrip", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"lockstrip {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(
        name: str, help: str, example: str, run: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help.splitlines()[0],
            description=help,
            epilog=example,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument(
            "project",
            nargs="?",
            type=Path,
            default=Path("."),
            metavar="PROJECT_DIR",
            help="the project folder, holding uv.lock and pyproject.toml (default: .)",
        )
        sub.set_defaults(run=run)
        return sub

    export = command("export", _EXPORT_HELP, _EXPORT_EXAMPLE, _export)
    export.add_argument(
        "--out",
        "-o",
        type=Path,
        default=Path("lockstrip-export"),
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

    digest = command("digest", _DIGEST_HELP, _DIGEST_EXAMPLE, _digest)
    digest.add_argument(
        "--json",
        action="store_true",
        help="print the digest with package and artifact counts as JSON",
    )
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line on `argv` and return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        code: int = args.run(args)
    except LockstripError as error:
        print(f"lockstrip: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return code


def main() -> None:
    try:
        code = run()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        code = 130
    # Skip the interpreter's teardown: freeing a parsed 4 MB lock object by object takes
    # ~14 ms, a fifth of a digest run. Every file lockstrip writes is closed and synced by
    # then; only the standard streams need flushing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
