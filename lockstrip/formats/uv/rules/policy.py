"""What is volatile, and what each view keeps: the one place that decides it.

A field is volatile when it changes without a change in the third-party packages a project
installs (a release bump, a docs edit, a newer uv rewriting its lock). Each table in this
package gives one reason per row, the way crane's `cleanCargoToml` does. Three views read them:

* ``frozen``: the default export, the least that `uv sync --frozen` needs;
* ``locked``: the export that `uv lock --check` and `uv sync --locked` also accept;
* ``digest``: the canonical third-party view that the digest hashes.

When in doubt a field is kept: keeping a stable field only costs a cache miss, dropping a
field that matters would ship stale dependencies. So unknown lock keys are kept in every
view, and unknown pyproject keys are dropped only where a table says uv does not read them
for installation.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["KEEP", "MASKED_VERSION", "Policy", "View"]


View = Literal["frozen", "locked", "digest"]


#: What local versions become, in pyproject files and lock alike (cargo-chef masks to 0.0.1).
MASKED_VERSION = "0.0.0"


class Policy(NamedTuple):
    """Which views keep a field, and why."""

    frozen: bool
    locked: bool
    digest: bool
    reason: str

    def keeps(self, view: View) -> bool:
        return bool(getattr(self, view))


KEEP = Policy(True, True, True, "decides what is installed")
