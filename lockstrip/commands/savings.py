"""`lockstrip savings`: what lockstrip's download layer saves over the project's history."""

from __future__ import annotations

import argparse

from lockstrip.commands.common import (
    EXIT_OK,
    Command,
    path_arg,
    scope_of,
    selection_options,
    write_text_if_changed,
)
from lockstrip.errors import InputError

__all__ = ["COMMAND"]


_SAVINGS_HELP = """\
Report what lockstrip saves on this project's own git history.

For every commit that touched the lock or a pyproject.toml: whether the download layer of
the documented Dockerfile (for uv: COPY pyproject.toml uv.lock; uv sync --locked
--no-install-project) rebuilds, whether lockstrip's generated Dockerfile's does, and what
such a rebuild downloads for the target (files, bytes from the lock, one request per
file), with the reason in dependency terms. Scope: --no-dev unless selection options are
given; target: x86_64-manylinux_2_28 and the Dockerfile's Python unless given. A commit
that cannot be read gets a line and the report goes on. Exit 0, or 2 on bad input.
"""


_SAVINGS_EXAMPLE = """\
Example: lockstrip savings --max-count 200 --svg savings.svg
Example: lockstrip savings --since v1.0 --json > savings.json
"""


def _savings(args: argparse.Namespace) -> int:
    from lockstrip.formats import detect
    from lockstrip.formats.savings import render_svg, render_text

    if args.max_count is not None and args.max_count < 1:
        raise InputError("--max-count", "is out of range")
    report = detect(args.project, args.lock).savings(
        args.project,
        since=args.since,
        max_count=args.max_count,
        scope=scope_of(args),
        python_version=args.python_version,
        python_platform=args.python_platform,
    )
    if args.svg is not None:
        write_text_if_changed(args.svg, render_svg(report))
    if args.json:
        import json

        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        print(render_text(report, verbose=not args.summary), end="")
    return EXIT_OK


def _savings_options(savings: argparse.ArgumentParser) -> None:
    savings.add_argument("--since", metavar="REV", help="only commits after REV")
    savings.add_argument(
        "--max-count", "-n", type=int, metavar="N", help="only the newest N commits"
    )
    savings.add_argument("--json", action="store_true", help="print a JSON report")
    savings.add_argument(
        "--svg", type=path_arg, metavar="FILE", help="also write a chart of the history to FILE"
    )
    savings.add_argument(
        "--summary", action="store_true", help="the summary only, without a line per commit"
    )
    selection_options(savings)


COMMAND = Command(_SAVINGS_HELP, _SAVINGS_EXAMPLE, _savings, _savings_options)
