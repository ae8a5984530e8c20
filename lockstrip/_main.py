"""The `lockstrip` process. A digest the cache holds (`lockstrip.cache`) is printed here,
before the command line and the TOML reader load; everything else runs `lockstrip._cli`."""

from __future__ import annotations

import os
import sys


def main() -> None:
    _replay(sys.argv[1:])
    from lockstrip._cli import main as cli

    cli()


def _replay(argv: list[str]) -> None:
    """Print the recorded output of `argv` and exit 0, or return (a miss)."""
    try:
        from lockstrip import cache

        if not cache.enabled(argv):
            return
        output = cache.replay(argv)
        if output is None:
            return
        sys.stdout.write(output)
        sys.stdout.flush()
    except KeyboardInterrupt:  # the handlers of _cli.main are not installed yet
        print("lockstrip: interrupted", file=sys.stderr)
        os._exit(130)
    except BrokenPipeError:  # the reader left: as _cli.main ends then
        os._exit(141)
    except Exception:  # a miss: the full run below computes the digest
        return
    os._exit(0)
