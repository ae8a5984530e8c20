"""The `lockstrip` process: `python -m lockstrip` and the console script both start here."""

from __future__ import annotations


def main() -> None:
    from lockstrip.cli import main as cli

    cli()
