"""`lockstrip digest`: print (or write) the third-party digest, a CI cache key."""

from __future__ import annotations

import argparse
import os
import re

from lockstrip.commands.common import (
    EXIT_OK,
    Command,
    path_arg,
    selection_of,
    selection_options,
    write_text_if_changed,
)
from lockstrip.errors import InputError

__all__ = ["COMMAND"]


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


def _digest(args: argparse.Namespace) -> int:
    from lockstrip.formats import detect

    fmt = "json" if args.json else args.format
    if args.name is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", args.name):
        raise InputError("--name", f"{args.name!r} is not an output or variable name")
    output = os.environ.get("GITHUB_OUTPUT")
    if fmt == "github" and not output:  # before anything is written
        raise InputError("GITHUB_OUTPUT", "is not set: --format github runs in GitHub Actions")
    lock = detect(args.project, args.lock)
    project = lock.read(args.project)
    scope, target = selection_of(args, project)
    result = lock.digest(project, scope, target)
    if args.write is not None:
        write_text_if_changed(args.write, result.value + "\n")
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
        type=path_arg,
        metavar="FILE",
        help="also write the digest to FILE, only when it changes (for hashFiles, cache:key:files)",
    )
    selection_options(digest)


COMMAND = Command(_DIGEST_HELP, _DIGEST_EXAMPLE, _digest, _digest_options)
