"""What a download comes to: each artifact's outcome, the run's result, and the exceptions
that end an artifact's attempts (a failure to report, an interrupt)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from lockstrip.formats.uv.fetch.plan import Artifact


class Fail(Exception):
    """A failure another attempt would meet again: 404, a wrong hash; or the last attempt's."""


class Stop(Exception):
    """The run is being interrupted."""


class Outcome(NamedTuple):
    artifact: Artifact
    state: str  # "fetched", "present" or "failed"
    size: int
    message: str = ""


class FetchResult(NamedTuple):
    outcomes: tuple[Outcome, ...]
    seconds: float
    requests: int

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.state == "failed")

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)

    def size(self, state: str) -> int:
        return sum(o.size for o in self.outcomes if o.state == state)
