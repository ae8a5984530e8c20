"""What the commands share: exit codes, the `Command` record, and the selection and install
options (uv's names and meaning) with their checks."""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys

from lockstrip.errors import InputError, LockstripError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import TextIO

    from lockstrip.environment.target import Target
    from lockstrip.formats.interface import LockedProject as Project
    from lockstrip.formats.request import Scope, Skip
    from lockstrip.io.export_folder import Export

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CLOSED_PIPE",
    "EXIT_DIFFERS",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "Command",
    "colour",
    "header_parser",
    "install_options",
    "path_arg",
    "recorded_options",
    "scope_of",
    "selection_of",
    "selection_options",
    "skip_of",
    "stale_explanation",
    "write_text_if_changed",
]


EXIT_OK = 0


EXIT_DIFFERS = 1


EXIT_BAD_INPUT = 2


EXIT_INTERNAL = 3


#: The reader of stdout left (`lockstrip diff | head -1`): 128 + SIGPIPE, the code a shell
#: shows for a tool that SIGPIPE ended.
EXIT_CLOSED_PIPE = 141


def colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def selection_options(parser: argparse.ArgumentParser) -> None:
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
    # Poetry's names for the same choices (`--with dev,docs`, `-E "a b"`), as Poetry reads them.
    for flags, dest, separators, help in (
        (("--with",), "group", ",", "Poetry's name for --group (comma-separated)"),
        (("--without",), "no_group", ",", "Poetry's name for --no-group (comma-separated)"),
        (("--only",), "only_group", ",", "Poetry's name for --only-group; 'main': no group"),
        (("-E", "--extras"), "extra", ", ", "Poetry's name for --extra (space-separated)"),
    ):
        scope.add_argument(
            *flags,
            dest=dest,
            action="extend",
            type=functools.partial(_split, separators=separators),
            metavar="NAMES",
            help=help,
        )
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


def _split(value: str, separators: str) -> list[str]:
    """A Poetry list option's names: `dev,docs` or `"a b"` (empty items dropped)."""
    for separator in separators[1:]:
        value = value.replace(separator, separators[0])
    return [item.strip() for item in value.split(separators[0]) if item.strip()]


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


def scope_of(args: argparse.Namespace) -> Scope | None:
    """The scope the selection options name; None for the whole lock."""
    _check_selection(args)
    if not any(getattr(args, dest) for dest in _SELECTION_DESTS):
        return None  # the common case stays off scope.py's imports (markers, tags)
    from lockstrip.formats.request import Scope

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


def selection_of(args: argparse.Namespace, project: Project) -> tuple[Scope | None, Target | None]:
    """The scope and target the options name; a partial target is completed from the
    project's requires-python (`target.parse_target`), never from this machine."""
    scope = scope_of(args)
    if args.python_version is None and args.python_platform is None:
        return scope, None
    from lockstrip.environment.target import parse_target

    requires_python, source = project.requires_python
    target = parse_target(args.python_version, args.python_platform, requires_python, str(source))
    return scope, target


def write_text_if_changed(path: Path, text: str) -> None:
    """Write a small file only when its content changes: its mtime and hash mean something."""
    from lockstrip.io.files import write_if_changed

    write_if_changed(path, text.encode("utf-8"))


def path_arg(value: str) -> Path:
    """A path option's value; an empty one (`--out "$UNSET"`) would mean the current folder."""
    if not value:
        raise argparse.ArgumentTypeError("expected a path, got an empty string")
    from pathlib import Path

    return Path(value)


def recorded_options(
    folder: Path, recorded: list[str], project: Project
) -> tuple[argparse.Namespace, Scope | None, Target | None]:
    """The options an export folder's header records, and the scope and target they give;
    a header this lockstrip cannot read is bad input, named by its file and line."""
    try:
        options, unknown = header_parser().parse_known_args(recorded)
        if unknown:
            raise InputError("header", f"unrecognized arguments: {' '.join(unknown)}")
        return (options, *selection_of(options, project))
    except (argparse.ArgumentError, InputError) as error:
        detail = error.message if isinstance(error, InputError) else str(error)
        raise InputError(
            folder / "pyproject.toml",
            f"the header records options this lockstrip cannot read ({detail})",
            line=1,
        ) from None


def header_parser() -> argparse.ArgumentParser:
    """Reads the options an export folder records in its header line."""
    parser = argparse.ArgumentParser(prog="lockstrip export", add_help=False, exit_on_error=False)
    parser.add_argument("--mode", choices=("frozen", "locked"), default="frozen")
    parser.add_argument("--requirements", action="store_true")
    selection_options(parser)
    install_options(parser)
    return parser


def install_options(parser: argparse.ArgumentParser) -> None:
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


def skip_of(args: argparse.Namespace) -> Skip | None:
    if args.no_install_local:
        return "local"
    return "workspace" if args.no_install_workspace else None


class Command:
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


#: A package, extra or group name as uv accepts it (PEP 508).
_NAME = re.compile(r"[A-Z0-9](?:[A-Z0-9._-]*[A-Z0-9])?", re.IGNORECASE)


def stale_explanation(out: Path, wanted: Export) -> str | None:
    """Why the export at `out` differs from `wanted`, or None when it is missing or equal."""
    from lockstrip.formats import detect
    from lockstrip.formats.explanation import render_text
    from lockstrip.io.export_folder import is_export, same_content

    if not out.is_dir() or not is_export(out) or same_content(out, wanted.files):
        return None
    lock = detect(out)
    try:
        old = lock.read(out)
    except LockstripError as error:
        return f"the export at {out} cannot be read ({error})\n"
    new = lock.read_texts(wanted.files, out)
    return render_text(lock.explain(old, new), colour=colour(sys.stdout), export_changed=True)
