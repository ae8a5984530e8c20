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
import sys

from lockstrip import __version__
from lockstrip.commands import check, diff, digest, dockerfile, export, fetch, savings
from lockstrip.commands.common import EXIT_BAD_INPUT, EXIT_CLOSED_PIPE, EXIT_INTERNAL, path_arg
from lockstrip.errors import LockstripError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any


__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "Interrupted", "main", "run"]


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


_DESCRIPTION = (
    "Cache-stable exports and third-party digests of uv projects: the Docker download layer "
    "and the CI cache key change only when third-party dependencies change."
)


def _debug_option(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="on an internal error, print its traceback (also: LOCKSTRIP_DEBUG=1)",
    )


_COMMANDS = {
    "export": export.COMMAND,
    "check": check.COMMAND,
    "diff": diff.COMMAND,
    "dockerfile": dockerfile.COMMAND,
    "digest": digest.COMMAND,
    "fetch": fetch.COMMAND,
    "savings": savings.COMMAND,
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
                type=path_arg,
                default=path_arg("."),
                metavar="PROJECT_DIR",
                help="the project folder, holding its lock and pyproject.toml (default: .)",
            )
        if named and (command.project or name == "diff"):
            sub.add_argument(
                "--lock",
                type=path_arg,
                metavar="FILE",
                help="the lock to read where a folder holds two (uv.lock, poetry.lock, pdm.lock)",
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
