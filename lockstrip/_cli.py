"""The command line: parses options, calls the library, maps errors to exit codes.

Exit codes: 0 success; 1 reserved for "differs / stale"; 2 usage error or bad input.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lockstrip import __version__
from lockstrip.errors import LockstripError

EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="lockstrip",
    help=(
        "Cache-stable exports and third-party digests of uv projects: the Docker download "
        "layer and the CI cache key change only when third-party dependencies change."
    ),
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class ModeChoice(str, Enum):
    frozen = "frozen"
    locked = "locked"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lockstrip {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Cache-stable exports and third-party digests of uv projects."""


ProjectArg = Annotated[
    Path,
    typer.Argument(
        help="The project folder: the one holding uv.lock and pyproject.toml.",
        show_default=True,
    ),
]


def _fail(error: LockstripError) -> typer.Exit:
    typer.echo(f"lockstrip: error: {error}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


@app.command(
    epilog=(
        "Example: lockstrip export . --out build/deps   then, in a Dockerfile:  "
        "COPY --from=deps /deps .   RUN uv sync --frozen --no-install-project"
    )
)
def export(
    project: ProjectArg = Path("."),
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The export folder to write (created if missing).")
    ] = Path("lockstrip-export"),
    mode: Annotated[
        ModeChoice,
        typer.Option(
            help=(
                "frozen: the least `uv sync --frozen` needs (changes only with third-party "
                "dependencies). locked: also what `uv sync --locked` validates (changes "
                "with specifier edits too)."
            )
        ),
    ] = ModeChoice.frozen,
    force: Annotated[
        bool,
        typer.Option(help="Replace OUT even when it holds files lockstrip did not write."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
) -> None:
    """Write stripped pyproject file(s) and uv.lock into an export folder.

    Local versions, docs metadata, tool settings and lock-format churn are stripped, so the
    folder's bytes change only when third-party dependencies do. The folder is written
    atomically and only when its content changes.
    """
    from lockstrip.export import build_export, write_export
    from lockstrip.project import read_project

    try:
        proj = read_project(project)
        result = build_export(proj, mode.value)
        changed = write_export(result, out, proj.root, force=force)
    except LockstripError as error:
        raise _fail(error) from None
    for warning in result.warnings:
        typer.echo(f"lockstrip: warning: {warning}", err=True)
    if not quiet:
        state = "wrote" if changed else "unchanged"
        typer.echo(f"{state} {out} ({len(result.files)} files, mode {mode.value})", err=True)


@app.command(
    epilog=(
        "Example: lockstrip digest   ->  sha256:3f1c...  "
        '(GitHub Actions: echo "key=$(lockstrip digest)" >> "$GITHUB_OUTPUT")'
    )
)
def digest(
    project: ProjectArg = Path("."),
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the digest with package and artifact counts as JSON."),
    ] = False,
) -> None:
    """Print a digest of the third-party dependency set, for CI cache keys.

    It covers third-party packages (name, version, source, artifact URLs and hashes), the
    dependency edges of every package, local ones included, requires-python, resolution
    markers, conflicts, constraints and overrides; not local names and versions, specifier
    strings, upload times or the lock revision.
    """
    from lockstrip.digest import compute_digest
    from lockstrip.project import read_project

    try:
        result = compute_digest(read_project(project))
    except LockstripError as error:
        raise _fail(error) from None
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2))
    else:
        typer.echo(result.value)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
