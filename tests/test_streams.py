"""Standard streams as a Unix tool treats them: a reader that leaves (`| head -1`, `| true`)
ends the run quietly with 141 (128 + SIGPIPE, what a shell shows for a tool SIGPIPE ended),
and text the stream's encoding cannot show is escaped instead of crashing the run."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
SMALL = CORPUS / "astral-sh__uv-docker-example"
LARGEST = CORPUS / "embeddings-benchmark__mteb"


def run_into_a_closed_pipe(*args: str | Path) -> tuple[int, str]:
    """Run lockstrip with stdout a pipe whose reader has already left: exit code, stderr."""
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "lockstrip", *map(str, args)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    return result.returncode, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["digest", SMALL], id="digest | true"),
        # tens of kB: the pipe breaks while the command prints, not at the last flush
        pytest.param(["diff", SMALL, LARGEST, "--json"], id="diff --json | head -1"),
        pytest.param(["diff", LARGEST, SMALL], id="diff | head -1"),
    ],
)
def test_a_closed_stdout_ends_quietly(args: list[str | Path]) -> None:
    code, stderr = run_into_a_closed_pipe(*args)
    assert (code, stderr) == (141, "")


def test_the_explanation_is_long_enough_to_break_the_pipe_early() -> None:
    """The diff cases above print more than a stream buffer holds: the pipe breaks in print."""
    result = subprocess.run(
        [sys.executable, "-m", "lockstrip", "diff", SMALL, LARGEST, "--json"],
        capture_output=True,
        timeout=60,
    )
    assert len(result.stdout) > 2 * io.DEFAULT_BUFFER_SIZE


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_text_the_encoding_cannot_show_is_escaped(encoding: str) -> None:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    result = subprocess.run(
        [sys.executable, "-m", "lockstrip", "diff", LARGEST, SMALL],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr  # differs
    assert result.stderr == b""
    text = result.stdout.decode("ascii")  # nothing but ASCII on an ASCII stream
    assert "\\u2192" in text  # the arrow of "old → new"
    assert text.startswith("third-party dependencies changed")
