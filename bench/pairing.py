"""Paired whole-process measurements for bench/bench.py: CPU time, wall time, peak memory.

Each child is reaped with `os.wait4`, whose rusage belongs to that child alone: its
user+system CPU time and its peak resident set (ru_maxrss). The running totals of
`getrusage(RUSAGE_CHILDREN)` cannot give a child's peak, only the largest of all. Children
are started by a small launcher process (see Launcher): Linux counts the memory a child
had before its exec, a copy of its parent, in its ru_maxrss.

A pair runs lockstrip and the reference back to back, alternating which goes first, so
both see the same machine load; the ratio is taken per pair and the median of the ratios
reported. CPU time is the pass/fail basis: on a shared two-core machine wall time also
counts the time a child waited for a core.
"""

from __future__ import annotations

import marshal
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One run of one child."""

    cpu_s: float  # user + system
    wall_s: float
    maxrss_kb: int  # Linux: kilobytes


@dataclass(frozen=True)
class Command:
    """A command to measure; `argv` is called before each run (a fresh --out folder, say)."""

    argv: Callable[[], list[str]]
    cwd: Path | None = None
    env: Mapping[str, str] | None = None
    ok: Collection[int] = (0,)  # accepted exit codes
    expect: str | None = None  # the first word of its last stderr line: "wrote", "unchanged"


class CommandFailed(Exception):
    pass


@dataclass(frozen=True)
class Output:
    sample: Sample
    stdout: str
    stderr: str


#: The launcher's loop: read (argv, cwd, env, stdout file, stderr file), fork and exec it,
#: reap it with wait4, answer (exit code, CPU s, wall s, maxrss KB). Only builtin modules and
#: `python -S`: ru_maxrss counts the memory a child had before its exec, a copy of this
#: process, so this process must stay small (about 9 MB; the report prints it).
LAUNCHER = """
import marshal, os, sys, time
requests, replies = sys.stdin.buffer, sys.stdout.buffer
while len(head := requests.read(8)) == 8:
    argv, cwd, env, out, err = marshal.loads(requests.read(int.from_bytes(head, "little")))
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            if cwd is not None:
                os.chdir(cwd)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            for fd, path in ((1, out), (2, err)):
                os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
            os.execve(argv[0], argv, env)
        except BaseException as error:
            os.write(2, f"launcher: {error!r}".encode())
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    reply = marshal.dumps(
        (os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss)
    )
    replies.write(len(reply).to_bytes(8, "little") + reply)
    replies.flush()
"""


class Launcher:
    """Runs children for the bench from a small separate process, and measures each alone.

    Started from the bench process, every child would report the bench's own peak memory
    (the parsed locks, a 200 MB synthetic one) as its floor; from the launcher, the floor is
    the launcher's few MB, below any Python process or uv.
    """

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.process = subprocess.Popen(
            [sys.executable, "-S", "-I", "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()

    def peak_kb(self) -> int:
        """The launcher's own peak RSS: the floor under every child's."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        ok: Collection[int] = (0,),
    ) -> Output:
        """Run `argv` to completion, its output in files of the scratch folder."""
        out_path, err_path = self.scratch / "child.stdout", self.scratch / "child.stderr"
        request = marshal.dumps(
            (
                list(argv),
                None if cwd is None else str(cwd),
                dict(os.environ if env is None else env),
                str(out_path),
                str(err_path),
            )
        )
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(len(request).to_bytes(8, "little") + request)
        stdin.flush()
        head = stdout.read(8)
        if len(head) != 8:
            raise CommandFailed(f"the launcher stopped, running {' '.join(argv)}")
        code, cpu_s, wall_s, maxrss_kb = marshal.loads(stdout.read(int.from_bytes(head, "little")))
        stdout_text = out_path.read_bytes()[:100_000].decode(errors="replace")  # uv's is long
        stderr_text = err_path.read_text(errors="replace")
        if code not in ok:
            raise CommandFailed(f"exit code {code} from {' '.join(argv)}\n{stderr_text.strip()}")
        return Output(Sample(cpu_s, wall_s, maxrss_kb), stdout_text, stderr_text)

    def run_command(self, command: Command, *, check_expect: bool = True) -> Output:
        argv = command.argv()
        output = self.run(argv, cwd=command.cwd, env=command.env, ok=command.ok)
        if check_expect and command.expect is not None:
            lines = output.stderr.splitlines()
            if not lines or not lines[-1].startswith(command.expect + " "):
                raise CommandFailed(
                    f"expected a last stderr line starting {command.expect!r} from "
                    f"{' '.join(argv)}, got {output.stderr.strip()!r}"
                )
        return output


def cpu(sample: Sample) -> float:
    return sample.cpu_s


def wall(sample: Sample) -> float:
    return sample.wall_s


def peak(sample: Sample) -> float:
    return float(sample.maxrss_kb)


Metric = Callable[[Sample], float]


@dataclass(frozen=True)
class Paired:
    """The samples of the pairs, in pair order: `ours[i]` ran next to `reference[i]`."""

    ours: tuple[Sample, ...]
    reference: tuple[Sample, ...]

    @property
    def runs(self) -> int:
        return len(self.ours)

    def ratio(self, metric: Metric) -> float:
        return pair_ratio([metric(s) for s in self.ours], [metric(s) for s in self.reference])

    def ours_median(self, metric: Metric) -> float:
        return float(statistics.median(metric(s) for s in self.ours))

    def reference_median(self, metric: Metric) -> float:
        return float(statistics.median(metric(s) for s in self.reference))


def pair_ratio(ours: Sequence[float], reference: Sequence[float]) -> float:
    """The median of the per-pair ratios (not the ratio of the medians)."""
    if len(ours) != len(reference) or not ours:
        raise ValueError(
            f"need as many samples on each side, and some: {len(ours)}, {len(reference)}"
        )
    return float(statistics.median(a / b for a, b in zip(ours, reference, strict=True)))


def measure_pairs(ours: Command, reference: Command, runs: int, launcher: Launcher) -> Paired:
    """One unmeasured run of each (warm caches, first writes), then `runs` alternating pairs."""
    launcher.run_command(ours, check_expect=False)
    launcher.run_command(reference, check_expect=False)
    mine: list[Sample] = []
    theirs: list[Sample] = []
    for index in range(runs):
        first, second = (ours, reference) if index % 2 == 0 else (reference, ours)
        for command in (first, second):
            sample = launcher.run_command(command).sample
            (mine if command is ours else theirs).append(sample)
    return Paired(tuple(mine), tuple(theirs))


def measure_alone(command: Command, runs: int, launcher: Launcher) -> list[Sample]:
    """One unmeasured run, then `runs` runs."""
    launcher.run_command(command, check_expect=False)
    return [launcher.run_command(command).sample for _ in range(runs)]
