"""The command line: parses options, calls the library, maps errors to exit codes.

Exit codes (docs/exit-codes.md): 0 success; 1 only for "stale / differs / rewritten /
downloads failed"; 2 usage error or bad input; 3 internal error (a bug); 130 and 143
interrupted by SIGINT and SIGTERM (128 + the signal; temporaries removed, an export left as
it was or complete); 141 stdout was closed by its reader (128 + SIGPIPE). `run` is the one
error boundary: a `LockstripError` (bad input, naming the file and field) exits 2, any other
exception 3 with one line, and its traceback only under `--debug` or LOCKSTRIP_DEBUG=1.

Built on argparse, not typer: this runs in pre-commit hooks and CI steps, and typer's import
(25-30 ms; 85-120 ms since 0.29 made it require pydantic) alone would cost more than `uv
export --frozen` takes on a 4 MB lock (BENCHMARKS.md). argparse imports in about 5 ms.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys

from lockstrip import __version__
from lockstrip.errors import InputError, LockstripError

#: Not typing's: `lockstrip --help` imports neither typing nor pathlib (mypy reads any
#: TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import Any, TextIO

    from lockstrip.environment.target import Target
    from lockstrip.formats.uv.model.project import Project
    from lockstrip.formats.uv.render.export import Export
    from lockstrip.formats.uv.selection.request import Scope, Skip

EXIT_OK = 0
EXIT_DIFFERS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

_EXIT_CODES = """\
exit codes:
  0    success
  1    check: the export is stale; diff: the third-party set differs;
       export --exit-code: the export was rewritten; fetch: some downloads failed
  2    bad input (the message names the file and the field) or bad usage
  3    internal error: a bug in lockstrip; please report it with --debug output
  130  interrupted (SIGINT)
  141  stdout was closed by its reader (`lockstrip diff | head -1`)
  143  terminated (SIGTERM)
"""
#: The reader of stdout left (`lockstrip diff | head -1`): 128 + SIGPIPE, the code a shell
#: shows for a tool that SIGPIPE ended.
EXIT_CLOSED_PIPE = 141

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


_DOCKERFILE_HELP = """\
Print a Dockerfile for the project that downloads its dependencies in a cached layer.

A small stage runs `lockstrip export`; the download stage copies the export and runs
`uv sync --frozen --no-install-project` (--no-install-workspace in a workspace), so a version
bump or a docs edit keeps it cached; the last stage copies the source and runs
`uv sync --locked`. The Python is the lowest minor version requires-python allows, and the
build backends of the project's own packages are installed in the download stage, so the
last stage needs no network. The export follows the image's TARGETPLATFORM, and the image
starts without a sync (UV_NO_SYNC=1). The text depends on the project and the options only.

With --package NAME (repeatable), each workspace member NAME gets its own final stage
(`docker build --target NAME`), and one download stage, keyed on the export of their union,
downloads the artifacts of all of them once; each member's stage installs its own scope
offline from it and copies only its own source folders.
"""

_DOCKERFILE_EXAMPLE = """\
Example: lockstrip dockerfile > Dockerfile && docker build -t app .
Services: lockstrip dockerfile --package api --package worker > Dockerfile
          docker build --target api -t api . && docker build --target worker -t worker .
"""


def _dockerfile(args: argparse.Namespace) -> int:
    from lockstrip.formats.uv.model.project import read_project
    from lockstrip.formats.uv.render.dockerfile import (
        index_secrets,
        parse_lockstrip_spec,
        render_dockerfile,
    )

    lockstrip = parse_lockstrip_spec(args.lockstrip_spec)
    project = read_project(args.project)
    secrets = index_secrets(project, args.secret)
    text = render_dockerfile(project, lockstrip=lockstrip, secrets=secrets, packages=args.package)
    print(text, end="")
    return EXIT_OK


def _colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _export(args: argparse.Namespace) -> int:
    from lockstrip.formats.uv.model.project import read_project
    from lockstrip.formats.uv.render.export import build_export, write_export

    project = read_project(args.project)
    scope, target = _selection(args, project)
    result = build_export(
        project, args.mode, scope, target, requirements=args.requirements, skip=_skip(args)
    )
    previous = _stale_explanation(args.out, result) if args.exit_code else None
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


def _stale_explanation(out: Path, wanted: Export) -> str | None:
    """Why the export at `out` differs from `wanted`, or None when it is missing or equal."""
    from lockstrip.formats.uv.model.project import MemoryFiles, read_files, read_project
    from lockstrip.formats.uv.render.explain import explain, render_text
    from lockstrip.formats.uv.render.export import is_export, same_content

    if not out.is_dir() or not is_export(out) or same_content(out, wanted.files):
        return None
    try:
        old = read_project(out)
    except LockstripError as error:
        return f"the export at {out} cannot be read ({error})\n"
    new = read_files(MemoryFiles(wanted.files, out), out)
    return render_text(explain(old, new), colour=_colour(sys.stdout), export_changed=True)


def _check(args: argparse.Namespace) -> int:
    from lockstrip.formats.uv.model.project import MemoryFiles, read_files, read_project
    from lockstrip.formats.uv.render.explain import explain, render_json, render_text
    from lockstrip.formats.uv.render.export import (
        build_export,
        export_options,
        is_export,
        same_content,
    )

    project = read_project(args.project)
    out: Path = args.out
    recorded = export_options(out) or ["--mode", "frozen"]
    options, scope, target = _recorded(out, recorded, project)  # as it was written
    mode = args.mode or options.mode
    wanted = build_export(
        project, mode, scope, target, requirements=options.requirements, skip=_skip(options)
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
        old = read_project(out)
    except LockstripError as error:
        message = f"export at {out} is stale and cannot be read ({error}); rewrite it\n"
        data = {**report, "stale": True, "unreadable": str(error)}
        return _report(args, message, data, project)
    explanation = explain(old, read_files(MemoryFiles(wanted.files, out), out))
    if args.json:
        print(render_json(explanation, {**report, "stale": True}), end="")
    else:
        print(f"export at {out} is stale (run: lockstrip export --out {out}):")
        text = render_text(explanation, colour=_colour(sys.stdout), export_changed=True)
        print(text, end="")
    return EXIT_DIFFERS


def _report(args: argparse.Namespace, message: str, data: dict[str, Any], project: Project) -> int:
    """A check that needs no explanation: up to date, or an export missing or unreadable.

    The JSON has the keys of an explanation's (`render_json`); the old digest is null when
    there is no readable export to take it from."""
    stale = bool(data.get("stale"))
    if args.json:
        from lockstrip.formats.uv.render.digest import compute_digest

        new = compute_digest(project).value
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


def _diff(args: argparse.Namespace) -> int:
    from lockstrip.formats.uv.render.explain import explain, render_json, render_text

    if args.git is not None:
        from lockstrip.formats.uv.model.git import read_revision, revision_range

        if len(args.paths) > 1:
            raise InputError(args.paths[1], "with --git, give at most one PROJECT_DIR")
        from pathlib import Path

        folder = args.paths[0] if args.paths else Path(".")
        old_rev, new_rev = revision_range(args.git)
        old = read_revision(folder, old_rev)
        new = read_revision(folder, new_rev) if new_rev else _read_side(folder)
        labels = (old_rev, new_rev or f"{folder} (working tree)")
    else:
        if len(args.paths) != 2:
            given = f"{len(args.paths)} given"
            raise InputError("diff", f"give two folders, OLD and NEW, or --git REV ({given})")
        old, new = (_read_side(path) for path in args.paths)
        labels = (str(args.paths[0]), str(args.paths[1]))
        old, new = _comparable(old, new), _comparable(new, old)
    explanation = explain(old, new)
    if args.json:
        print(render_json(explanation, {"old": labels[0], "new": labels[1]}), end="")
    else:
        export_changed = not explanation.digest_changed and _export_changed(old, new)
        text = render_text(explanation, colour=_colour(sys.stdout), export_changed=export_changed)
        print(text, end="")
    return EXIT_DIFFERS if explanation.third_party_changed else EXIT_OK


def _export_changed(old: Project, new: Project) -> bool:
    """Whether the two sides' exports differ, in the mode of the side that is an export."""
    from lockstrip.formats.uv.render.export import build_export, export_mode

    mode = export_mode(old.root) or export_mode(new.root) or "frozen"
    return build_export(old, mode).files != build_export(new, mode).files


def _read_side(path: Path) -> Project:
    from lockstrip.formats.uv.model.project import read_project

    if path.is_dir() and not (path / "uv.lock").exists():
        raise InputError(path, "is neither a uv project nor a lockstrip export (no uv.lock)")
    project = read_project(path)
    return project


def _comparable(side: Project, other: Project) -> Project:
    """A project compared with an export is compared as its export, in the export's mode."""
    from lockstrip.formats.uv.model.project import MemoryFiles, read_files
    from lockstrip.formats.uv.render.export import build_export, export_mode

    mode = export_mode(other.root)
    if mode is None or export_mode(side.root) is not None:
        return side
    return read_files(MemoryFiles(build_export(side, mode).files, side.root), side.root)


def _selection_options(parser: argparse.ArgumentParser) -> None:
    """uv's own selection options, with uv's names and meaning."""
    scope = parser.add_argument_group(
        "scope", "what one install takes, with uv's options (default: the whole lock)"
    )
    for flag, help in (
        ("--group", "include a dependency group (repeatable)"),
        ("--only-group", "only this group, without the project's dependencies"),
        ("--no-group", "leave out a group"),
        ("--extra", "include an extra of the project (repeatable)"),
        ("--package", "the third-party closure of one workspace member"),
    ):
        scope.add_argument(flag, action="append", default=[], metavar="NAME", help=help)
    for flag, help in (
        ("--no-dev", "leave out the dev group"),
        ("--only-dev", "only the dev group"),
        ("--no-default-groups", "ignore [tool.uv] default-groups"),
        ("--all-groups", "include every group"),
        ("--all-extras", "include every extra"),
        ("--all-packages", "every workspace member"),
    ):
        scope.add_argument(flag, action="store_true", help=help)
    target = parser.add_argument_group(
        "target", "the environment to install into (default: any environment)"
    )
    target.add_argument("--python-version", metavar="X.Y", help="e.g. 3.12")
    target.add_argument(
        "--python-platform", metavar="PLATFORM", help="uv's names: linux, macos, windows, ..."
    )


#: The selection options' destinations: none set means the whole lock, any environment.
_SELECTION_DESTS = (
    "group",
    "only_group",
    "no_group",
    "extra",
    "package",
    "no_dev",
    "only_dev",
    "no_default_groups",
    "all_groups",
    "all_extras",
    "all_packages",
    "python_version",
    "python_platform",
)


#: Pairs of selection options that uv 0.13.8 refuses together ("the argument '--no-dev'
#: cannot be used with '--only-dev'"): lockstrip refuses them too, rather than pick a meaning.
_CONFLICTS = (
    ("group", "only_group"),
    ("group", "only_dev"),
    ("only_group", "extra"),
    ("only_group", "all_groups"),
    ("only_group", "all_extras"),
    ("extra", "all_extras"),
    ("package", "all_packages"),
    ("no_dev", "only_dev"),
    ("only_dev", "all_groups"),
)

#: A package, extra or group name as uv accepts it (PEP 508).
_NAME = re.compile(r"[A-Z0-9](?:[A-Z0-9._-]*[A-Z0-9])?", re.IGNORECASE)


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _check_selection(args: argparse.Namespace) -> None:
    """Refuse what uv refuses: contradictory pairs, empty values, names that are not names."""
    for first, second in _CONFLICTS:
        if getattr(args, first) and getattr(args, second):
            raise InputError(_flag(first), f"cannot be used with {_flag(second)}")
    for dest in ("group", "only_group", "no_group", "extra", "package"):
        for name in getattr(args, dest):
            if not _NAME.fullmatch(name):
                raise InputError(_flag(dest), f"{name!r} is not a valid name")
    for dest in ("python_version", "python_platform"):
        if getattr(args, dest) is not None and not getattr(args, dest).strip():
            raise InputError(_flag(dest), "expects a value")


def _scope(args: argparse.Namespace) -> Scope | None:
    """The scope the selection options name; None for the whole lock."""
    _check_selection(args)
    if not any(getattr(args, dest) for dest in _SELECTION_DESTS):
        return None  # the common case stays off scope.py's imports (markers, tags)
    from lockstrip.formats.uv.selection.request import Scope

    scope = Scope(
        groups=tuple(args.group),
        only_groups=tuple(args.only_group + (["dev"] if args.only_dev else [])),
        no_groups=tuple(args.no_group),
        no_dev=args.no_dev,
        no_default_groups=args.no_default_groups,
        all_groups=args.all_groups,
        extras=tuple(args.extra),
        all_extras=args.all_extras,
        packages=tuple(args.package),
        all_packages=args.all_packages,
    )
    return None if scope == Scope() else scope


def _selection(args: argparse.Namespace, project: Project) -> tuple[Scope | None, Target | None]:
    """The scope and target the options name; a partial target is completed from the
    project's requires-python (`target.parse_target`), never from this machine."""
    scope = _scope(args)
    if args.python_version is None and args.python_platform is None:
        return scope, None
    from lockstrip.environment.target import parse_target

    requires_python, source = project.requires_python
    target = parse_target(args.python_version, args.python_platform, requires_python, str(source))
    return scope, target


def _digest(args: argparse.Namespace) -> int:
    from lockstrip.formats.uv.model.project import read_project
    from lockstrip.formats.uv.render.digest import compute_digest

    fmt = "json" if args.json else args.format
    if args.name is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", args.name):
        raise InputError("--name", f"{args.name!r} is not an output or variable name")
    output = os.environ.get("GITHUB_OUTPUT")
    if fmt == "github" and not output:  # before anything is written
        raise InputError("GITHUB_OUTPUT", "is not set: --format github runs in GitHub Actions")
    project = read_project(args.project)
    scope, target = _selection(args, project)
    result = compute_digest(project, scope, target)
    if args.write is not None:
        _write_if_changed(args.write, result.value + "\n")
    if fmt == "json":
        data = result.as_json()
        data["scope"] = scope.describe() if scope else None
        data["target"] = target.describe() if target else None
        import json

        text = json.dumps(data, indent=2)
    elif fmt == "github" and output:
        name = args.name or "digest"
        from pathlib import Path

        from lockstrip.io.files import append

        append(Path(output), f"{name}={result.value}\n".encode())
        text = f"{name}={result.value}"
    elif fmt in ("env", "gitlab"):
        text = f"{args.name or 'LOCKSTRIP_DIGEST'}={result.value}"
    else:
        text = result.value
    print(text)
    return EXIT_OK


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
    from lockstrip.formats.uv.fetch import fetch, find_credentials, plan_fetch
    from lockstrip.formats.uv.model.project import read_project
    from lockstrip.formats.uv.render.export import export_options

    if args.jobs < 1 or args.retries < 0:
        raise InputError("--jobs" if args.jobs < 1 else "--retries", "is out of range")
    project = read_project(args.project)
    scope, target = _selection(args, project)
    recorded = export_options(args.project)
    if recorded is not None:  # an export folder: by default, what it was written for
        _, written_scope, written_target = _recorded(args.project, recorded, project)
        scope, target = scope or written_scope, target or written_target
    plan = plan_fetch(project, scope, target or running_target())
    credentials = find_credentials(project)
    result = fetch(
        plan, args.dest, credentials, jobs=args.jobs, retries=args.retries, quiet=args.quiet
    )
    return EXIT_DIFFERS if result.failed or plan.unavailable else EXIT_OK  # 1: incomplete


def _write_if_changed(path: Path, text: str) -> None:
    """Write a small file only when its content changes: its mtime and hash mean something."""
    from lockstrip.io.files import write_if_changed

    write_if_changed(path, text.encode("utf-8"))


def _path(value: str) -> Path:
    """A path option's value; an empty one (`--out "$UNSET"`) would mean the current folder."""
    if not value:
        raise argparse.ArgumentTypeError("expected a path, got an empty string")
    from pathlib import Path

    return Path(value)


def _recorded(
    folder: Path, recorded: list[str], project: Project
) -> tuple[argparse.Namespace, Scope | None, Target | None]:
    """The options an export folder's header records, and the scope and target they give;
    a header this lockstrip cannot read is bad input, named by its file and line."""
    try:
        options, unknown = _header_parser().parse_known_args(recorded)
        if unknown:
            raise InputError("header", f"unrecognized arguments: {' '.join(unknown)}")
        return (options, *_selection(options, project))
    except (argparse.ArgumentError, InputError) as error:
        detail = error.message if isinstance(error, InputError) else str(error)
        raise InputError(
            folder / "pyproject.toml",
            f"the header records options this lockstrip cannot read ({detail})",
            line=1,
        ) from None


def _header_parser() -> argparse.ArgumentParser:
    """Reads the options an export folder records in its header line."""
    parser = argparse.ArgumentParser(prog="lockstrip export", add_help=False, exit_on_error=False)
    parser.add_argument("--mode", choices=("frozen", "locked"), default="frozen")
    parser.add_argument("--requirements", action="store_true")
    _selection_options(parser)
    _install_options(parser)
    return parser


def _install_options(parser: argparse.ArgumentParser) -> None:
    """uv sync's options that leave local packages out of the install the export is for."""
    install = parser.add_argument_group(
        "install",
        "for an install that leaves local packages out, as uv sync's options do; the export "
        "then holds only the third-party packages they lead to (a Dockerfile's download step)",
    ).add_mutually_exclusive_group()
    install.add_argument(
        "--no-install-workspace",
        action="store_true",
        help="the workspace members and the root project are not installed",
    )
    install.add_argument(
        "--no-install-local",
        action="store_true",
        help="no local package is installed (path dependencies too)",
    )


def _skip(args: argparse.Namespace) -> Skip | None:
    if args.no_install_local:
        return "local"
    return "workspace" if args.no_install_workspace else None


def _debug_option(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="on an internal error, print its traceback (also: LOCKSTRIP_DEBUG=1)",
    )


def _export_options(export: argparse.ArgumentParser) -> None:
    export.add_argument(
        "--out",
        "-o",
        type=_path,
        default=_path("lockstrip-export"),
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
    _selection_options(export)
    _install_options(export)


def _check_options(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "--out", "-o", type=_path, default=_path("lockstrip-export"), help="the export folder"
    )
    check.add_argument(
        "--mode", choices=("frozen", "locked"), help="default: the mode the folder records"
    )
    check.add_argument("--json", action="store_true", help="print a JSON report")


def _diff_options(diff: argparse.ArgumentParser) -> None:
    diff.add_argument("paths", nargs="*", type=_path, metavar="OLD NEW | PROJECT_DIR")
    diff.add_argument("--git", metavar="REV|A..B", help="compare git revisions of the project")
    diff.add_argument("--json", action="store_true", help="print a JSON report")


def _dockerfile_options(dockerfile: argparse.ArgumentParser) -> None:
    dockerfile.add_argument(
        "--lockstrip-spec",
        metavar="SPEC",
        help="what the export stage installs: a version, a requirement, a wheel or sdist "
        "URL, a git+ URL, or a wheel's path inside the project folder "
        "(default: this release from the index)",
    )
    dockerfile.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="INDEX",
        help="a [[tool.uv.index]] name whose credentials the uv sync steps read from "
        "BuildKit secrets UV_INDEX_<NAME>_USERNAME and _PASSWORD (repeatable)",
    )
    dockerfile.add_argument(
        "--package",
        action="append",
        default=[],
        metavar="NAME",
        help="a workspace member that gets its own image, `docker build --target NAME` "
        "(repeatable): one shared download stage takes the artifacts of all of them, "
        "once, and each member's stage installs its own scope offline from it",
    )


def _digest_options(digest: argparse.ArgumentParser) -> None:
    digest.add_argument(
        "--format",
        choices=("text", "json", "github", "gitlab", "env"),
        default="text",
        help=(
            "text: the digest; json: with counts, scope and target; github: also append "
            "NAME=digest to $GITHUB_OUTPUT; gitlab, env: NAME=digest (a dotenv line)"
        ),
    )
    digest.add_argument("--json", action="store_true", help="the same as --format json")
    digest.add_argument(
        "--name", help="the output's name (github: digest; gitlab, env: LOCKSTRIP_DIGEST)"
    )
    digest.add_argument(
        "--write",
        type=_path,
        metavar="FILE",
        help="also write the digest to FILE, only when it changes (for hashFiles, cache:key:files)",
    )
    _selection_options(digest)


def _fetch_options(fetch: argparse.ArgumentParser) -> None:
    fetch.add_argument(
        "--dest", "-d", type=_path, required=True, metavar="DIR", help="the folder to fill"
    )
    fetch.add_argument("--jobs", "-j", type=int, default=8, help="downloads at once (default: 8)")
    fetch.add_argument(
        "--retries", type=int, default=3, help="retries per file on network errors (default: 3)"
    )
    fetch.add_argument("--quiet", "-q", action="store_true", help="print warnings and errors only")
    _selection_options(fetch)


class _Command:
    """A command: its help, example, what runs it and what adds its options."""

    def __init__(
        self,
        help: str,
        example: str,
        run: Callable[[argparse.Namespace], int],
        options: Callable[[argparse.ArgumentParser], None],
        *,
        project: bool = True,  # takes the project folder as its one argument
    ) -> None:
        self.help, self.example, self.run, self.options = help, example, run, options
        self.project = project


_COMMANDS = {
    "export": _Command(_EXPORT_HELP, _EXPORT_EXAMPLE, _export, _export_options),
    "check": _Command(_CHECK_HELP, _CHECK_EXAMPLE, _check, _check_options),
    "diff": _Command(_DIFF_HELP, _DIFF_EXAMPLE, _diff, _diff_options, project=False),
    "dockerfile": _Command(_DOCKERFILE_HELP, _DOCKERFILE_EXAMPLE, _dockerfile, _dockerfile_options),
    "digest": _Command(_DIGEST_HELP, _DIGEST_EXAMPLE, _digest, _digest_options),
    "fetch": _Command(_FETCH_HELP, _FETCH_EXAMPLE, _fetch, _fetch_options),
}


def _parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command line's parser. When `argv` names a command, only that command's parser
    is built: argparse spends ~1 ms per command building parsers the run never reads.
    The first word that is a command's name is the command (no option before it takes a
    value). With none, no command can run, and every command is listed, without its
    options, for the help and for the error that names the choices."""
    named = [word for word in argv if word in _COMMANDS][:1]
    parser = argparse.ArgumentParser(
        prog="lockstrip",
        description=_DESCRIPTION,
        epilog=_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lockstrip {__version__}")
    _debug_option(parser, False)
    # Accepted after the command too; SUPPRESS keeps a `--debug` given before it.
    common = argparse.ArgumentParser(add_help=False)
    _debug_option(common, argparse.SUPPRESS)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in named or _COMMANDS:
        command = _COMMANDS[name]
        sub = commands.add_parser(
            name,
            help=command.help.splitlines()[0],
            description=command.help,
            epilog=command.example,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common],
        )
        if named and command.project:
            sub.add_argument(
                "project",
                nargs="?",
                type=_path,
                default=_path("."),
                metavar="PROJECT_DIR",
                help="the project folder, holding uv.lock and pyproject.toml (default: .)",
            )
        if named:
            command.options(sub)
        sub.set_defaults(run=command.run)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line on `argv` and return the exit code.

    The one error boundary: bad input exits 2 with lockstrip's own message; any other
    exception is a bug, reported in one line (exit 3) and not as a traceback that a hook or
    a CI step would show as if it were the answer. Interrupts and a closed stdout pass
    through to `main`, which owns the process (signals, streams).
    """
    words = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(words)
    args = parser.parse_args(words)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        code: int = args.run(args)
    except LockstripError as error:
        print(f"lockstrip: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        raise
    except Exception as error:
        if args.debug or os.environ.get("LOCKSTRIP_DEBUG", "") not in ("", "0"):
            import traceback

            traceback.print_exc(file=sys.stderr)
        detail = f"{type(error).__name__}: {error}".splitlines()[0]
        print(
            f"lockstrip: internal error: {detail}; please report it with --debug output",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return code


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM: raised so that every cleanup on the way out runs, as on Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: The signals received, in order: an exception raised where Python cannot propagate it
#: (a weakref callback, a __del__) is lost, and the record still says the run was stopped.
_received: list[int] = []


def _interrupt(signum: int, frame: object) -> None:
    _received.append(signum)
    raise Interrupted(signum)


def _quiet_unraisable(default: Callable[[Any], object]) -> Callable[[Any], object]:
    """An unraisable-exception hook that is silent on an interrupt: `_received` has it."""

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, Interrupted):
            default(unraisable)

    return hook


def _tolerant_streams() -> None:
    """Text the terminal's encoding lacks (the arrows of explanations) is escaped, not fatal."""
    import io

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """After a closed pipe: later writes, and the final flush, go nowhere (Python docs)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


def main() -> None:
    # The process lives for one command and builds no reference cycles worth collecting:
    # the cyclic collector would only walk the parsed lock again and again as it grows.
    gc.disable()
    import signal

    sys.unraisablehook = _quiet_unraisable(sys.unraisablehook)
    _tolerant_streams()
    interrupted: int | None = None
    code = EXIT_INTERNAL
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):  # from here on, the finally cleans up
            signal.signal(signum, _interrupt)
        code = run()
        sys.stdout.flush()  # here, so that a closed pipe is met inside the try
    except KeyboardInterrupt as interrupt:
        interrupted = interrupt.signum if isinstance(interrupt, Interrupted) else signal.SIGINT
    except BrokenPipeError:  # the reader left (`| head -1`): end quietly, as Unix tools do
        code = EXIT_CLOSED_PIPE
        _silence_stdout()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):  # nothing may stop the cleanup
            signal.signal(signum, signal.SIG_IGN)
        files = sys.modules.get("lockstrip.io.files")  # what registers temporaries, if it ran
        if files is not None:
            files.remove_temporaries()
    if interrupted is None and _received:  # the interrupt was lost on the way: still one
        interrupted = _received[0]
    if interrupted is not None:
        code = 128 + interrupted
        try:  # noqa: SIM105 - not contextlib.suppress: contextlib is not imported for --help
            print("lockstrip: interrupted", file=sys.stderr)
        except (OSError, ValueError):
            pass
    # Skip the interpreter's teardown: freeing a parsed 4 MB lock object by object takes
    # ~14 ms, a fifth of a digest run. Every file lockstrip writes is closed and synced by
    # then, and every temporary removed; only the standard streams need flushing.
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - as above
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
