"""Whole-process benchmark of the lockstrip CLI against `uv export --frozen` and `sha256sum`.

lockstrip runs where latency is felt: in pre-commit hooks and at the start of every CI job
(`lockstrip digest` computes the cache key) and in Docker builds (`lockstrip export`). What
a user waits for is a whole process (interpreter start, imports, CLI parsing, reading a
uv.lock of up to several MB, hashing or writing), so every command is timed as a
subprocess with a wall clock: one warm-up run, then the median of `--runs` runs.

Measured, on three real locks from fixtures/corpus (158 KB, 1.1 MB and 4.2 MB):

* `lockstrip digest`, `lockstrip export` (frozen, into a fresh folder and again into an
  unchanged one), `lockstrip export --mode locked`;
* the same digest as a bare library call (`python -c`), to separate the CLI's cost;
* the references: `uv export --frozen` (uv reads the same lock, in Rust) and `sha256sum`
  (the naive cache key, which changes on every volatile edit);
* start-up: `lockstrip --help`, `lockstrip --version`, `import lockstrip._cli` against a
  bare `python -c pass`, and `python -X importtime` for `lockstrip digest`;
* in-process parse time of each lock with every installed TOML reader (tomllib, tomli,
  toml_rs, rtoml) and whether it returns tomllib's data: the case for the toml-rs dependency.

Two targets are checked and printed as PASS/FAIL: on the 4.2 MB lock `lockstrip digest`
takes at most 1.5 times `uv export --frozen`, and `lockstrip --help` stays under 0.15 s.

Usage: `python bench/bench.py [--runs N] [--write]`; `--write` rewrites BENCHMARKS.md
(keeping the sections other scripts write between `<!-- NAME:start -->` markers),
otherwise the report goes to stdout. Progress goes to stderr. The exit code is 0 whether the
targets pass or fail; a command that exits non-zero aborts the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import itertools
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "corpus"
REPORT = ROOT / "BENCHMARKS.md"
#: Sections other scripts write (`<!-- NAME:start -->` ... `<!-- NAME:end -->`): kept as they are.
KEPT_SECTION = re.compile(r"<!-- ([\w-]+):start -->.*?<!-- \1:end -->\n?", re.DOTALL)

DIGEST_RATIO_TARGET = 1.5  # `lockstrip digest` / `uv export --frozen`, on the target lock
HELP_TARGET_S = 0.15
TOML_RUNS = 5
TOML_READERS = ("tomllib", "tomli", "toml_rs", "rtoml")
IMPORT_TOP = 8

#: The environment every `uv export` runs in: no config, no downloads, a private cache.
UV_ENV = {"UV_PYTHON": "python3", "UV_PYTHON_DOWNLOADS": "never", "UV_NO_CONFIG": "1"}

#: The digest as a library call: read the project, hash it, print it; no CLI framework.
LIBRARY_DIGEST = (
    "import sys; from lockstrip.project import read_project; "
    "from lockstrip.digest import compute_digest; "
    "print(compute_digest(read_project(sys.argv[1])).value)"
)


@dataclass(frozen=True)
class Input:
    label: str
    folder: Path

    @property
    def lock(self) -> Path:
        return self.folder / "uv.lock"

    @property
    def size(self) -> str:
        return f"{self.lock.stat().st_size / 1e6:.2f} MB"


INPUTS = (
    Input("uv-docker-example", CORPUS / "astral-sh__uv-docker-example"),
    Input("lerobot", CORPUS / "huggingface__lerobot"),
    Input("mteb", CORPUS / "embeddings-benchmark__mteb"),
)
TARGET_INPUT = INPUTS[-1]


@dataclass(frozen=True)
class Command:
    """A command to time; `argv` is called before each run (a fresh --out folder, say)."""

    label: str
    argv: Callable[[], list[str]]
    cwd: Path | None = None
    env: Mapping[str, str] | None = None
    expect: str | None = None  # the first word of its last stderr line: "wrote", "unchanged"


@dataclass(frozen=True)
class Tools:
    python: str
    lockstrip: str
    uv: str
    sha256sum: str
    scratch: Path
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def fresh(self, stem: str) -> str:
        """A path that does not exist yet, inside the scratch folder."""
        return str(self.scratch / f"{stem}-{next(self.counter)}")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def find_tool(name: str) -> str:
    """`name` from the running interpreter's folder (the same venv), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"bench: {name} not found beside {sys.executable} or on PATH")
    return found


def run(
    argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `argv` to completion: (wall-clock seconds, result). Aborts when it fails."""
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"bench: command failed with exit code {result.returncode}: {' '.join(argv)}\n"
            f"{result.stderr.strip()}"
        )
    return elapsed, result


def median_time(command: Command, runs: int) -> float:
    """One warm-up run, then the median wall-clock time of `runs` runs."""
    run(command.argv(), cwd=command.cwd, env=command.env)
    times = []
    for _ in range(runs):
        argv = command.argv()
        elapsed, result = run(argv, cwd=command.cwd, env=command.env)
        status = result.stderr.splitlines()[-1] if result.stderr else ""
        if command.expect is not None and not status.startswith(command.expect + " "):
            raise SystemExit(
                f"bench: expected a line starting {command.expect!r} on stderr of "
                f"{' '.join(argv)}, got: {result.stderr.strip()!r}"
            )
        times.append(elapsed)
    return statistics.median(times)


def uv_export_argv(tools: Tools, lock: Mapping[str, Any]) -> list[str]:
    """The reference export, with the flags that make uv export the whole lock."""
    argv = [tools.uv, "export", "--frozen", "--offline", "--no-header", "--no-annotate"]
    argv += ["--no-emit-workspace", "--no-emit-local", "--all-groups"]
    if lock.get("manifest", {}).get("members"):
        argv.append("--all-packages")
    if "conflicts" not in lock:  # conflicting extras cannot all be enabled at once
        argv.append("--all-extras")
    return argv


def input_commands(tools: Tools, project: Input) -> list[Command]:
    folder = str(project.folder)
    lock = tomllib.loads(project.lock.read_text(encoding="utf-8"))
    uv_argv = uv_export_argv(tools, lock)
    uv_env = {**os.environ, **UV_ENV, "UV_CACHE_DIR": str(tools.scratch / "uv-cache")}
    same_out = tools.fresh("same-out")  # written by the warm-up run, then left as it is
    return [
        Command("`lockstrip digest`", lambda: [tools.lockstrip, "digest", folder]),
        Command(
            "digest as a library call (`python -c`)",
            lambda: [tools.python, "-c", LIBRARY_DIGEST, folder],
        ),
        Command(
            "`lockstrip export` (frozen, fresh folder)",
            lambda: [tools.lockstrip, "export", folder, "--out", tools.fresh("out")],
            expect="wrote",
        ),
        Command(
            "`lockstrip export` (frozen, unchanged)",
            lambda: [tools.lockstrip, "export", folder, "--out", same_out],
            expect="unchanged",
        ),
        Command(
            "`lockstrip export --mode locked` (fresh folder)",
            lambda: [
                tools.lockstrip,
                "export",
                folder,
                "--mode",
                "locked",
                "--out",
                tools.fresh("locked"),
            ],
            expect="wrote",
        ),
        Command("`uv export --frozen` (reference)", lambda: uv_argv, project.folder, uv_env),
        Command("`sha256sum uv.lock`", lambda: [tools.sha256sum, str(project.lock)]),
    ]


def startup_commands(tools: Tools) -> list[Command]:
    return [
        Command("`python -c pass`", lambda: [tools.python, "-c", "pass"]),
        Command(
            '`python -c "import lockstrip._cli"`',
            lambda: [tools.python, "-c", "import lockstrip._cli"],
        ),
        Command("`lockstrip --version`", lambda: [tools.lockstrip, "--version"]),
        Command("`lockstrip --help`", lambda: [tools.lockstrip, "--help"]),
    ]


@dataclass(frozen=True)
class ImportRow:
    name: str
    top_level: bool
    self_s: float
    cumulative_s: float


def import_times(tools: Tools, project: Input) -> list[ImportRow]:
    """`python -X importtime` of `lockstrip digest` (one run, after the timed ones)."""
    argv = [tools.python, "-X", "importtime", "-m", "lockstrip", "digest", str(project.folder)]
    _, result = run(argv)
    rows = []
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        name = parts[2]
        top_level = len(name) - len(name.lstrip()) == 1
        rows.append(ImportRow(name.strip(), top_level, int(parts[0]) / 1e6, int(parts[1]) / 1e6))
    return rows


def toml_readers() -> dict[str, Callable[[str], Any]]:
    """The installed TOML readers, by module name."""
    readers = {}
    for name in TOML_READERS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        readers[name] = module.loads
    return readers


def toml_rows(project: Input, readers: Mapping[str, Callable[[str], Any]]) -> list[list[str]]:
    """In-process parse time (median of TOML_RUNS) and equality with tomllib's data."""
    text = project.lock.read_text(encoding="utf-8")
    reference = tomllib.loads(text)
    rows = []
    for name, loads in readers.items():
        times = []
        for _ in range(TOML_RUNS):
            start = time.perf_counter()
            data = loads(text)
            times.append(time.perf_counter() - start)
        same = "yes" if data == reference else "**no**"
        rows.append([project.label, name, ms(statistics.median(times)), same])
    return rows


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown"
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def load_average() -> str:
    """Other processes inflate wall-clock times; the report says how busy the machine was."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def machine_info(tools: Tools) -> list[list[str]]:
    def output(*argv: str) -> str:
        return run(argv)[1].stdout.strip()

    backend = "from lockstrip.tomlread import BACKEND; print(BACKEND)"
    return [
        ["platform", platform.platform()],
        ["CPU", cpu_model()],
        ["nproc", str(os.cpu_count())],
        ["Python", f"{platform.python_implementation()} {platform.python_version()}"],
        ["uv", output(tools.uv, "--version")],
        ["lockstrip", output(tools.lockstrip, "--version")],
        ["lockstrip TOML reader", output(tools.python, "-c", backend)],
        ["date", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")],
        ["load average (1 min) at the end", load_average()],
    ]


def targets(results: Mapping[str, Mapping[str, float]], startup: Mapping[str, float]) -> list[str]:
    digest = results["`lockstrip digest`"][TARGET_INPUT.label]
    uv = results["`uv export --frozen` (reference)"][TARGET_INPUT.label]
    limit = DIGEST_RATIO_TARGET * uv
    help_s = startup["`lockstrip --help`"]
    return [
        f"{'PASS' if digest <= limit else 'FAIL'}: `lockstrip digest` on {TARGET_INPUT.label} "
        f"({TARGET_INPUT.size}) takes {ms(digest)} ms, target <= {DIGEST_RATIO_TARGET} x "
        f"`uv export --frozen` ({ms(uv)} ms) = {ms(limit)} ms (ratio {digest / uv:.2f})",
        f"{'PASS' if help_s < HELP_TARGET_S else 'FAIL'}: `lockstrip --help` takes "
        f"{ms(help_s)} ms, target < {ms(HELP_TARGET_S)} ms",
    ]


def import_tables(rows: Sequence[ImportRow]) -> str:
    top_level = sorted((r for r in rows if r.top_level), key=lambda r: -r.cumulative_s)
    by_self = sorted(rows, key=lambda r: -r.self_s)
    total = sum(r.cumulative_s for r in top_level)
    return "\n\n".join(
        [
            f"Total import time: {ms(total)} ms (one run). Top-level entries, imported at "
            "start-up or lazily while the command runs, by cumulative time:",
            table(
                ["module", "cumulative ms", "self ms"],
                [[f"`{r.name}`", ms(r.cumulative_s), ms(r.self_s)] for r in top_level[:IMPORT_TOP]],
            ),
            "Single modules by self time:",
            table(
                ["module", "self ms"], [[f"`{r.name}`", ms(r.self_s)] for r in by_self[:IMPORT_TOP]]
            ),
        ]
    )


RERUN = (
    "## How to rerun\n\n"
    "From the repository root, in a virtualenv where lockstrip is installed (editable) with "
    "its `test` extra (which pins uv) and, for the reader table, tomli and rtoml: "
    "`python bench/bench.py --write`. It runs every command once to warm the caches, then "
    "`--runs` times (default 7) and reports medians; it takes about half a minute on two "
    "cores and rewrites this file, keeping the replay and fetch sections (without "
    "`--write` it prints the report instead). Close "
    "other busy programs first: the numbers are wall-clock times of whole processes."
)


def report(tools: Tools, runs: int) -> str:
    results: dict[str, dict[str, float]] = {}
    for project in INPUTS:
        for command in input_commands(tools, project):
            log(f"timing {command.label} on {project.label}")
            results.setdefault(command.label, {})[project.label] = median_time(command, runs)
    startup = {}
    for command in startup_commands(tools):
        log(f"timing {command.label}")
        startup[command.label] = median_time(command, runs)
    log("importtime and TOML readers")
    imports = import_times(tools, TARGET_INPUT)
    readers = toml_readers()
    toml = [row for project in INPUTS for row in toml_rows(project, readers)]
    inputs = [[p.label, f"`{p.folder.relative_to(ROOT)}`", p.size] for p in INPUTS]
    verdicts = targets(results, startup)
    return (
        "\n\n".join(
            [
                "# Benchmarks",
                "Written by `bench/bench.py`; what it measures and why is in its docstring. "
                f"Wall-clock times of whole processes, median of {runs} runs after one warm-up.",
                "## Machine",
                table(["", ""], machine_info(tools)),
                "## Targets",
                "\n".join(f"- {line}" for line in verdicts),
                "## Inputs",
                table(["lock", "folder", "uv.lock size"], inputs),
                "## Commands (median ms)",
                table(
                    ["command", *(f"{p.label} ({p.size})" for p in INPUTS)],
                    [[label, *(ms(by[p.label]) for p in INPUTS)] for label, by in results.items()],
                ),
                "## Start-up (median ms)",
                table(["command", "ms"], [[label, ms(s)] for label, s in startup.items()]),
                f"## Imports of `lockstrip digest` ({TARGET_INPUT.label}, `python -X importtime`)",
                import_tables(imports),
                f"## TOML readers (in-process parse of uv.lock, median of {TOML_RUNS})",
                table(["lock", "reader", "ms", "same data as tomllib"], toml),
                RERUN,
            ]
        )
        + "\n"
    )


def as_installed() -> None:
    """Time lockstrip as pip installs it: with its bytecode compiled.

    An editable checkout has no `__pycache__` where PYTHONDONTWRITEBYTECODE is set (some
    CI and sandbox environments set it), and every run then compiles lockstrip's sources
    again: 12% of a digest of the 4 MB lock, which no installed copy pays.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "lockstrip")], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0] if __doc__ else "")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument("--write", action="store_true", help=f"write {REPORT.name}")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    as_installed()
    with tempfile.TemporaryDirectory(prefix="lockstrip-bench-") as scratch:
        tools = Tools(
            python=sys.executable,
            lockstrip=find_tool("lockstrip"),
            uv=find_tool("uv"),
            sha256sum=find_tool("sha256sum"),
            scratch=Path(scratch),
        )
        text = report(tools, args.runs)
    if args.write:
        old = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
        kept = [m.group(0).rstrip("\n") + "\n" for m in KEPT_SECTION.finditer(old)]
        REPORT.write_text("\n".join([text, *kept]), encoding="utf-8")
        log(f"wrote {REPORT}")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
