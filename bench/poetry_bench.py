"""lockstrip on Poetry and PDM projects, paired with the tools' own lock check.

    python bench/poetry_bench.py [--runs 7] [--write]

The reference is the cheapest command of each tool that reads the same files: `poetry
--no-plugins check --lock` (Poetry 2.5.1) and `pdm lock --check` (PDM 2.29.4), each
provisioned by tests/poetry_oracle/provision.py, run offline with its own cache and config
folders. lockstrip runs `digest`, `export` into a fresh folder and, for Poetry, the scoped
`export --only main`. Whole cold processes, alternating pairs after one unmeasured run of
each (bench/pairing.py); medians of the per-pair CPU ratios, and of each side's wall time.
`--write` puts the table in BENCHMARKS.md between `<!-- poetry:start -->` and
`<!-- poetry:end -->`.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from pairing import Command, Launcher, cpu, measure_pairs, wall  # noqa: E402
from poetry_oracle import clients, provision  # noqa: E402

#: (tool, fixture folder, lock size note) — a small, a middle and the largest real lock.
PROJECTS = (
    ("poetry", "Textualize__rich"),
    ("poetry", "Textualize__textual"),
    ("poetry", "strawberry-graphql__strawberry"),
    ("pdm", "pdm-project__pdm"),
    ("pdm", "litestar-org__litestar"),
)

START, END = "<!-- poetry:start -->", "<!-- poetry:end -->"


def _reference(tool: str, folder: Path, scratch: Path) -> Command:
    locker = clients.POETRY_2 if tool == "poetry" else clients.PDM
    args = ["--no-plugins", "check", "--lock"] if tool == "poetry" else ["lock", "--check"]
    env = clients._environment(scratch, {})  # the oracle's isolated folders, proxies nowhere
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[name] = "http://127.0.0.1:9"
    # Poetry's check also fails on the README the fixture leaves out: the lock is read either way.
    return Command(lambda: [str(provision.executable(locker)), *args], folder, env, ok=(0, 1))


def _ours(folder: Path, scratch: Path, *args: str) -> Command:
    counter = itertools.count()
    lockstrip = [sys.executable, "-m", "lockstrip"]
    if args[:1] == ("export",):
        return Command(
            lambda: [*lockstrip, *args, str(folder), "--out", str(scratch / f"out{next(counter)}")]
        )
    return Command(lambda: [*lockstrip, *args, str(folder)])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    for locker in (clients.POETRY_2, clients.PDM):
        if reason := clients.unavailable(locker):
            sys.exit(f"{locker}: {reason}")
    start_load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="lockstrip-poetry-bench-") as scratch_name:
        scratch = Path(scratch_name)
        launcher = Launcher(scratch)
        try:
            for tool, name in PROJECTS:
                folder = ROOT / "fixtures" / tool / name
                lock = folder / f"{tool}.lock"
                reference = _reference(tool, folder, scratch / f"ref-{name}")
                commands: list[tuple[str, ...]] = [("digest",), ("export",)]
                if tool == "poetry":
                    commands.append(("export", "--only", "main"))
                for command in commands:
                    paired = measure_pairs(
                        _ours(folder, scratch / name, *command), reference, args.runs, launcher
                    )
                    rows.append(
                        (
                            f"{name} ({lock.stat().st_size // 1024} KB)",
                            "lockstrip " + " ".join(command),
                            "poetry check --lock" if tool == "poetry" else "pdm lock --check",
                            paired.ratio(cpu),
                            paired.ours_median(wall),
                            paired.reference_median(wall),
                        )
                    )
                    print(*rows[-1], flush=True)
        finally:
            launcher.close()
    text = _render(rows, args.runs, start_load)
    print(text)
    if args.write:
        path = ROOT / "BENCHMARKS.md"
        current = path.read_text()
        if START in current:
            before, _, rest = current.partition(START)
            current = before + text + rest.partition(END)[2]
        else:
            current = current.rstrip("\n") + "\n\n" + text + "\n"
        path.write_text(current)


def _render(
    rows: list[tuple[str, str, str, float, float, float]], runs: int, load: tuple[float, ...]
) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START,
        "## Poetry and PDM projects",
        "",
        "Written by `bench/poetry_bench.py`: lockstrip paired with the tool's own lock check",
        "(`poetry --no-plugins check --lock`, Poetry 2.5.1; `pdm lock --check`, PDM 2.29.4),",
        f"offline, cold processes, {runs} alternating pairs after one unmeasured run of each.",
        f"Run {now} on {os.cpu_count()} cores ({platform.processor() or platform.machine()}),",
        f"CPython {platform.python_version()}; load average at the start "
        + " / ".join(f"{x:.2f}" for x in load)
        + ", at the end "
        + " / ".join(f"{x:.2f}" for x in os.getloadavg())
        + ".",
        "",
        "| project (lock size) | lockstrip | reference | CPU ratio (median of pairs) "
        "| lockstrip wall | reference wall |",
        "|---|---|---|---:|---:|---:|",
    ]
    for project, ours, reference, ratio, mine, theirs in rows:
        lines.append(
            f"| {project} | `{ours}` | `{reference}` | {ratio:.2f} "
            f"| {mine * 1000:.0f} ms | {theirs * 1000:.0f} ms |"
        )
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    main()
