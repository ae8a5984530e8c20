"""`lockstrip dockerfile`: print a Dockerfile whose download layer is cached by the export."""

from __future__ import annotations

import argparse

from lockstrip.commands.common import EXIT_OK, Command

__all__ = ["COMMAND"]


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
    from lockstrip.formats import detect

    text = detect(args.project, args.lock).dockerfile(
        args.project,
        lockstrip_spec=args.lockstrip_spec,
        secrets=args.secret,
        packages=args.package,
    )
    print(text, end="")
    return EXIT_OK


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


COMMAND = Command(_DOCKERFILE_HELP, _DOCKERFILE_EXAMPLE, _dockerfile, _dockerfile_options)
