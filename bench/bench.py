"""Whole-process benchmark of the lockstrip CLI against `uv export --frozen`, in pairs.

lockstrip runs where latency is felt: in pre-commit hooks, at the start of every CI job
(`lockstrip digest` computes the cache key) and in Docker builds (`lockstrip export`). What
a user waits for is a whole process (interpreter start, imports, reading a uv.lock of up to
several MB, hashing or writing), so every command runs as a child process. The yardstick
is uv reading the same lock: `uv export --frozen` of the whole lock (offline, no config, a
private cache), the fastest whole-lock command a uv user already runs. It is the reference
of every row, the scoped digest's too (uv export has no --python-version/--python-platform).

One run measures every target of the speed specification:

* `lockstrip digest` <= 1.2 x uv on mteb (4.2 MB), <= 1.1 x on the small locks (livekit
  0.97 MB, uv-docker-example 0.16 MB): every run is cold, as in a CI job;
* the scoped and targeted digest (`--no-dev --python-version 3.12 --python-platform
  x86_64-manylinux_2_28`), `check` of an up-to-date export, `export` into an unchanged
  folder and into a fresh one: <= 1.5 x, on each of the three locks;
* `diff OLD NEW` of two versions of a project (fixtures/corpus/*__version-bump) <= 2 x uv's
  export of one version;
* scaling to 200 MB: the same commands on synthetic locks (mteb's packages multiplied, see
  bench/scaling.py), each command's CPU ratio no worse than on the 4.2 MB original (with
  SCALING_SLACK for noise), and peak memory <= 1.5 x uv's at every size from 4.2 MB;
* `lockstrip --help` < 50 ms of CPU time.

Method (bench/pairing.py): per command, one unmeasured run of each side, then `--runs`
pairs (`--scaling-runs` on the synthetic locks, whose runs take seconds), lockstrip and uv
back to back, alternating which goes first. Each child is reaped with `os.wait4`: its own
CPU time (user + system), wall time and peak RSS. Children are started by a small launcher
process, not by this one: Linux counts a child's memory before its exec (a copy of its
parent, here holding a 200 MB lock) in its peak. The ratio is taken per pair; reported are
the median ratio and each side's median. CPU-time ratios decide PASS/FAIL (the machine may
be shared; wall time also counts waiting for a core); wall time is shown alongside. uv runs
several threads, so on an idle machine its wall time is below its CPU time.
lockstrip is byte-compiled first and PYTHONDONTWRITEBYTECODE dropped, as pip installs it.

Also printed, being cheap: the machine, start-up times (`--help`, `--version`, the import
of the CLI against a bare `python -c pass`), `python -X importtime` of a digest, and the
in-process parse time of each lock with every installed TOML reader (the case for toml-rs).

Usage: `python bench/bench.py [--runs N] [--scaling-runs N] [--max-size MB] [--write]`.
`--write` rewrites BENCHMARKS.md, keeping the sections other scripts write between
`<!-- NAME:start -->` markers; otherwise the report goes to stdout, progress to stderr.
The exit code is 0 whether targets pass or fail; a command that fails aborts the run.
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pairing import (
    Command,
    CommandFailed,
    Launcher,
    Paired,
    Sample,
    cpu,
    measure_alone,
    measure_pairs,
    peak,
    wall,
)
from scaling import copies_for, multiply_lock

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "corpus"
REPORT = ROOT / "BENCHMARKS.md"
#: Sections other scripts write (`<!-- NAME:start -->` ... `<!-- NAME:end -->`): kept as they are.
KEPT_SECTION = re.compile(r"<!-- ([\w-]+):start -->.*?<!-- \1:end -->\n?", re.DOTALL)

# The speed specification: lockstrip's CPU time / uv's, median of the pairs.
DIGEST_RATIO = 1.2  # on the 4.2 MB lock
DIGEST_SMALL_RATIO = 1.1  # on the small locks, where start-up dominates
COMMAND_RATIO = 1.5  # scoped digest, check, export (unchanged, fresh)
DIFF_RATIO = 2.0
MEMORY_RATIO = 1.5  # peak RSS, at every size from 4.2 MB up
HELP_CPU_S = 0.050
#: Scaling "no worse than at 4 MB" allows this factor: a median of 5 pairs moves by a few %.
SCALING_SLACK = 1.10
SCALING_SIZES_MB = (20, 50, 100, 200)

SCOPE = ("--no-dev", "--python-version", "3.12", "--python-platform", "x86_64-manylinux_2_28")
TOML_RUNS = 5
TOML_READERS = ("tomllib", "tomli", "toml_rs", "rtoml")
IMPORT_TOP = 8

#: The environment every `uv export` runs in: no config, no downloads (plus a private cache).
UV_ENV = {"UV_PYTHON": "python3", "UV_PYTHON_DOWNLOADS": "never", "UV_NO_CONFIG": "1"}


@dataclass(frozen=True)
class Lock:
    """A project folder to measure: a corpus project, or a synthetic one grown from mteb."""

    label: str
    folder: Path
    copies: int = 0  # synthetic: mteb's third-party packages this many more times
    mb: float = field(init=False)  # the uv.lock's size, kept for the report after it is gone

    def __post_init__(self) -> None:
        object.__setattr__(self, "mb", self.lock.stat().st_size / 1e6)

    @property
    def lock(self) -> Path:
        return self.folder / "uv.lock"

    @property
    def size(self) -> str:
        return f"{self.mb:.2f} MB"


SMALL_LOCKS = (
    Lock("uv-docker-example", CORPUS / "astral-sh__uv-docker-example"),
    Lock("livekit", CORPUS / "livekit__agents"),
)
BASE = Lock("mteb", CORPUS / "embeddings-benchmark__mteb")
REAL_LOCKS = (*SMALL_LOCKS, BASE)
VERSIONS = CORPUS / "huggingface__lerobot__version-bump"  # before/ and after/


@dataclass(frozen=True)
class Tools:
    python: str
    lockstrip: str
    uv: str
    scratch: Path
    launcher: Launcher
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def fresh(self, stem: str) -> Path:
        """A path that does not exist yet, inside the scratch folder."""
        return self.scratch / f"{stem}-{next(self.counter)}"

    def lockstrip_env(self) -> dict[str, str]:
        """The environment of every lockstrip child."""
        return dict(os.environ)


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


def output(tools: Tools, *argv: str) -> str:
    return tools.launcher.run(argv, env=tools.lockstrip_env()).stdout.strip()


def constant(argv: list[str]) -> Callable[[], list[str]]:
    return lambda: argv


def uv_export_argv(tools: Tools, lock: Mapping[str, Any]) -> list[str]:
    """The reference export, with the flags that make uv export the whole lock."""
    argv = [tools.uv, "export", "--frozen", "--offline", "--no-header", "--no-annotate"]
    argv += ["--no-emit-workspace", "--no-emit-local", "--all-groups"]
    if lock.get("manifest", {}).get("members"):
        argv.append("--all-packages")
    if "conflicts" not in lock:  # conflicting extras cannot all be enabled at once
        argv.append("--all-extras")
    return argv


def uv_reference(tools: Tools, folder: Path) -> Command:
    """`uv export --frozen` of the lock in `folder`; its flags come from the lock's top tables."""
    with (folder / "uv.lock").open(encoding="utf-8") as file:  # not all of a 200 MB lock
        head = "".join(itertools.takewhile(lambda line: line != "[[package]]\n", file))
    env = {**os.environ, **UV_ENV, "UV_CACHE_DIR": str(tools.scratch / "uv-cache")}
    return Command(constant(uv_export_argv(tools, tomllib.loads(head))), folder, env)


def fresh_folders(tools: Tools, stem: str) -> Callable[[], str]:
    """A new folder path on each call; the previous one is removed (a 200 MB lock's export)."""
    previous: list[Path] = []

    def next_folder() -> str:
        for path in previous:
            shutil.rmtree(path, ignore_errors=True)
        previous[:] = [tools.fresh(stem)]
        return str(previous[0])

    return next_folder


@dataclass(frozen=True)
class Row:
    """One line of a table: `key` names it in the targets."""

    key: str
    label: str


def uv_launcher(tools: Tools) -> Path:
    """The `lockstrip` script as `uv tool install` and `uv pip install` write it: unlike
    pip's, it imports no `re` (a few ms of every run)."""
    script = tools.scratch / "uv-launcher" / "lockstrip"
    if not script.exists():
        script.parent.mkdir(exist_ok=True)
        script.write_text(
            f"#!{tools.python}\n# -*- coding: utf-8 -*-\nimport sys\n"
            "from lockstrip._main import main\n"
            'if __name__ == "__main__":\n    sys.exit(main())\n',
            encoding="utf-8",
        )
        script.chmod(0o755)
    return script


def rows(tools: Tools, lock: Lock) -> Iterator[tuple[Row, Command | None]]:
    """The commands measured on every lock; None where lockstrip lacks the feature."""
    folder = str(lock.folder)
    env = tools.lockstrip_env()
    digest = [tools.lockstrip, "digest"]
    yield Row("digest", "`digest` (cold)"), Command(constant([*digest, folder]), env=env)
    launcher = str(uv_launcher(tools))
    yield (
        Row("digest-uv", "`digest` (cold, uv's launcher)"),
        Command(constant([launcher, "digest", folder]), env=env),
    )
    yield (
        Row("scoped", f"`digest {' '.join(SCOPE)}` (cold)"),
        Command(constant([*digest, *SCOPE, folder]), env=env),
    )
    export = [tools.lockstrip, "export", folder, "--out"]
    checked = str(tools.fresh("checked"))
    output(tools, *export, checked)  # the up-to-date export that `check` checks
    yield (
        Row("check", "`check` (up to date)"),
        Command(constant([tools.lockstrip, "check", folder, "--out", checked]), env=env),
    )
    same = str(tools.fresh("same"))  # written by the unmeasured run, then left as it is
    yield (
        Row("unchanged", "`export` (unchanged folder)"),
        Command(constant([*export, same]), env=env, expect="unchanged"),
    )
    new_folder = fresh_folders(tools, "fresh")
    yield (
        Row("fresh", "`export` (fresh folder)"),
        Command(lambda: [*export, new_folder()], env=env, expect="wrote"),
    )


@dataclass(frozen=True)
class Measured:
    lock: Lock
    runs: int  # pairs per command
    results: dict[str, tuple[Row, Paired | None]]  # by Row.key, in row order


def measure_lock(tools: Tools, lock: Lock, runs: int) -> Measured:
    reference = uv_reference(tools, lock.folder)
    results: dict[str, tuple[Row, Paired | None]] = {}
    printed: dict[str, str] = {}
    for row, command in rows(tools, lock):
        results[row.key] = (row, None)
        if command is None:
            continue
        log(f"{lock.label} ({lock.size}): {row.label}, {runs} pairs")
        results[row.key] = (row, measure_pairs(command, reference, runs, tools.launcher))
        if row.key in ("digest", "digest-uv"):
            printed[row.key] = tools.launcher.run_command(command).stdout
    if len(set(printed.values())) > 1:
        raise SystemExit(f"bench: {lock.label}: digests differ by launcher: {printed}")
    return Measured(lock, runs, results)


def measure_diff(tools: Tools, runs: int) -> tuple[Lock, Paired]:
    """`lockstrip diff OLD NEW` against uv's export of NEW (exit 1, "it differs", is fine)."""
    old, new = VERSIONS / "before", VERSIONS / "after"
    argv = [tools.lockstrip, "diff", str(old), str(new)]
    command = Command(constant(argv), env=tools.lockstrip_env(), ok=(0, 1))
    log(f"diff of {VERSIONS.name}, {runs} pairs")
    paired = measure_pairs(command, uv_reference(tools, new), runs, tools.launcher)
    return Lock(f"{VERSIONS.name.split('__')[1]} before/after", new), paired


def synthetic(tools: Tools, size_mb: int) -> Lock | None:
    """A copy of mteb's folder whose uv.lock is about `size_mb`; None when that is mteb itself."""
    text = BASE.lock.read_text(encoding="utf-8")
    copies = copies_for(size_mb * 1e6, len(text.encode()))
    if copies == 0:
        return None
    folder = tools.fresh(f"synthetic-{size_mb}MB")
    shutil.copytree(BASE.folder, folder, ignore=shutil.ignore_patterns("uv.lock"))
    (folder / "uv.lock").write_text(multiply_lock(text, copies), encoding="utf-8")
    return Lock(f"mteb x{copies + 1}", folder, copies)


def measure_startup(tools: Tools, runs: int) -> dict[str, list[Sample]]:
    commands = {
        "`python -c pass`": [tools.python, "-c", "pass"],
        '`python -c "import lockstrip.cli"`': [tools.python, "-c", "import lockstrip.cli"],
        "`lockstrip --version`": [tools.lockstrip, "--version"],
        "`lockstrip --help`": [tools.lockstrip, "--help"],
    }
    samples = {}
    for label, argv in commands.items():
        log(f"start-up: {label}, {runs} runs")
        command = Command(constant(argv), env=tools.lockstrip_env())
        samples[label] = measure_alone(command, runs, tools.launcher)
    return samples


@dataclass(frozen=True)
class ImportRow:
    name: str
    top_level: bool
    self_s: float
    cumulative_s: float


def import_times(tools: Tools, lock: Lock) -> list[ImportRow]:
    """`python -X importtime` of a cold `lockstrip digest` (one run)."""
    argv = [tools.python, "-X", "importtime", "-m", "lockstrip", "digest"]
    result = tools.launcher.run([*argv, str(lock.folder)], env=tools.lockstrip_env())
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


def toml_rows(lock: Lock, readers: Mapping[str, Callable[[str], Any]]) -> list[list[str]]:
    """In-process parse time (median of TOML_RUNS) and equality with tomllib's data."""
    text = lock.lock.read_text(encoding="utf-8")
    reference = tomllib.loads(text)
    rows = []
    for name, loads in readers.items():
        times = []
        for _ in range(TOML_RUNS):
            start = time.perf_counter()
            data = loads(text)
            times.append(time.perf_counter() - start)
        same = "yes" if data == reference else "**no**"
        rows.append([lock.label, name, ms(statistics.median(times)), same])
    return rows


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}"


def mb(kilobytes: float) -> str:
    return f"{kilobytes / 1024:.0f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


PAIR_HEADER = (
    "command",
    "CPU ratio",
    "lockstrip CPU ms",
    "uv CPU ms",
    "wall ratio",
    "lockstrip wall ms",
    "uv wall ms",
    "peak MB lockstrip / uv",
    "peak ratio",
)


def pair_cells(label: str, paired: Paired | None) -> list[str]:
    if paired is None:
        return [label, "not available", *[""] * (len(PAIR_HEADER) - 2)]
    return [
        label,
        f"**{paired.ratio(cpu):.2f}**",
        ms(paired.ours_median(cpu)),
        ms(paired.reference_median(cpu)),
        f"{paired.ratio(wall):.2f}",
        ms(paired.ours_median(wall)),
        ms(paired.reference_median(wall)),
        f"{mb(paired.ours_median(peak))} / {mb(paired.reference_median(peak))}",
        f"{paired.ratio(peak):.2f}",
    ]


def lock_table(measured: Measured) -> str:
    return table(
        PAIR_HEADER, [pair_cells(row.label, paired) for row, paired in measured.results.values()]
    )


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def ratio_target(measured: Sequence[Measured], key: str, limit: float, where: str) -> str:
    """One line: the command `key`'s CPU ratio <= `limit` on each lock of `measured`."""
    label = measured[0].results[key][0].label
    ratios = []
    for m in measured:
        paired = m.results[key][1]
        assert paired is not None, key
        ratios.append((m.lock.label, paired.ratio(cpu), paired.ratio(wall)))
    each = ", ".join(f"{lock} {ratio:.2f} (wall {wall_:.2f})" for lock, ratio, wall_ in ratios)
    passed = all(ratio <= limit for _, ratio, _ in ratios)
    return f"{verdict(passed)}: {label} <= {limit} x uv {where}: CPU ratio {each}"


def scaling_targets(base: Measured, scaled: Sequence[Measured]) -> list[str]:
    """Per synthetic size: every command's CPU ratio no worse than on mteb, with slack."""
    lines = []
    for measured in scaled:
        worst: tuple[float, str] | None = None
        for key, (row, paired) in measured.results.items():
            at_base = base.results[key][1]
            if paired is None or at_base is None:
                continue
            growth = paired.ratio(cpu) / at_base.ratio(cpu)
            text = f"{row.label} {paired.ratio(cpu):.2f} vs {at_base.ratio(cpu):.2f}"
            if worst is None or growth > worst[0]:
                worst = (growth, text)
        if worst is None:
            continue
        lines.append(
            f"{verdict(worst[0] <= SCALING_SLACK)}: scaling to {measured.lock.size} "
            f"({measured.lock.label}): every command's CPU ratio <= {SCALING_SLACK} x its ratio "
            f"on {base.lock.label} ({base.lock.size}); worst: {worst[1]}"
        )
    return lines


def memory_targets(series: Sequence[Measured]) -> list[str]:
    lines = []
    for measured in series:
        ratios = [
            (paired.ratio(peak), row, paired)
            for row, paired in measured.results.values()
            if paired is not None
        ]
        ratio, row, paired = max(ratios, key=lambda item: item[0])
        lines.append(
            f"{verdict(ratio <= MEMORY_RATIO)}: peak memory on {measured.lock.size} "
            f"({measured.lock.label}) <= {MEMORY_RATIO} x uv's for every command; worst: "
            f"{row.label} {ratio:.2f} ({mb(paired.ours_median(peak))} vs "
            f"{mb(paired.reference_median(peak))} MB)"
        )
    return lines


def targets(
    real: Sequence[Measured],
    scaled: Sequence[Measured],
    diff: Paired,
    startup: Mapping[str, Sequence[Sample]],
) -> list[str]:
    small, base = list(real[:-1]), real[-1]
    lines = [
        ratio_target([base], "digest", DIGEST_RATIO, "on mteb"),
        ratio_target(small, "digest", DIGEST_SMALL_RATIO, "on the small locks"),
    ]
    lines.append(ratio_target([base], "digest-uv", DIGEST_RATIO, "on mteb"))
    lines.append(ratio_target(small, "digest-uv", DIGEST_SMALL_RATIO, "on the small locks"))
    lines += [
        ratio_target(real, key, COMMAND_RATIO, "on each lock")
        for key in ("scoped", "check", "unchanged", "fresh")
    ]
    lines.append(
        f"{verdict(diff.ratio(cpu) <= DIFF_RATIO)}: `diff OLD NEW` of two versions <= "
        f"{DIFF_RATIO} x uv's export of one: CPU ratio {diff.ratio(cpu):.2f} "
        f"(wall {diff.ratio(wall):.2f})"
    )
    lines += scaling_targets(base, scaled)
    lines += memory_targets([base, *scaled])
    help_cpu = statistics.median(s.cpu_s for s in startup["`lockstrip --help`"])
    help_wall = statistics.median(s.wall_s for s in startup["`lockstrip --help`"])
    lines.append(
        f"{verdict(help_cpu < HELP_CPU_S)}: `lockstrip --help` < {ms(HELP_CPU_S)} ms: "
        f"{ms(help_cpu)} ms CPU ({ms(help_wall)} ms wall)"
    )
    return lines


def scaling_tables(series: Sequence[Measured]) -> str:
    """Rows: commands; columns: lock sizes. The ratio, and CPU ms per MB of each side."""
    header = ["command", *(f"{m.lock.label} ({m.lock.size})" for m in series)]
    ratios, per_mb = [], []
    for key, (row, _) in series[0].results.items():
        found = [m.results[key][1] for m in series]
        ratios.append([row.label, *("" if p is None else f"{p.ratio(cpu):.2f}" for p in found)])
        per_mb.append(
            [
                row.label,
                *(
                    ""
                    if p is None
                    else f"{ms(p.ours_median(cpu) / m.lock.mb)} / "
                    f"{ms(p.reference_median(cpu) / m.lock.mb)}"
                    for m, p in zip(series, found, strict=True)
                ),
            ]
        )
    return "\n\n".join(
        [
            "CPU ratio to `uv export --frozen`, by lock size:",
            table(header, ratios),
            "CPU ms per MB of uv.lock, lockstrip / uv (linear scaling keeps these flat once "
            "start-up no longer counts):",
            table(header, per_mb),
        ]
    )


def startup_table(samples: Mapping[str, Sequence[Sample]]) -> str:
    return table(
        ["command", "CPU ms", "wall ms", "peak MB"],
        [
            [
                label,
                ms(statistics.median(s.cpu_s for s in runs)),
                ms(statistics.median(s.wall_s for s in runs)),
                mb(statistics.median(s.maxrss_kb for s in runs)),
            ]
            for label, runs in samples.items()
        ],
    )


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
        return " / ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "unknown"


def machine_info(tools: Tools, load_at_start: str, minutes: float) -> list[list[str]]:
    backend = "from lockstrip.io.tomlread import BACKEND; print(BACKEND)"
    return [
        ["platform", platform.platform()],
        ["CPU", cpu_model()],
        ["nproc", str(os.cpu_count())],
        ["Python", f"{platform.python_implementation()} {platform.python_version()}"],
        ["uv", output(tools, tools.uv, "--version")],
        ["lockstrip", output(tools, tools.lockstrip, "--version")],
        ["lockstrip TOML reader", output(tools, tools.python, "-c", backend)],
        ["date", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")],
        ["load average (1, 5, 15 min) at the start", load_at_start],
        ["load average (1, 5, 15 min) at the end", load_average()],
        ["duration of this run", f"{minutes:.1f} min"],
        [
            "peak memory floor of every child (the launcher's own)",
            f"{mb(tools.launcher.peak_kb())} MB",
        ],
    ]


RERUN = (
    "## How to rerun\n\n"
    "From the repository root, in a virtualenv where lockstrip is installed (editable) with "
    "its `test` extra (which pins uv) and, for the reader table, tomli and rtoml: "
    "`python bench/bench.py --write`. Every command runs once unmeasured, then in `--runs` "
    "pairs with uv (default 21; `--scaling-runs`, default 5, on the synthetic locks); "
    "`--max-size MB` (default 200) leaves out the larger synthetic locks for a quick run "
    "(a full run took 12 minutes on two busy cores; `--runs 5 --max-size 50`, 3 minutes). "
    "It rewrites this file, keeping the sections other scripts write (without `--write` it "
    "prints the report). Pass/fail is on CPU time, but close other busy programs first: "
    "a loaded machine still skews the pairs."
)


def report(tools: Tools, runs: int, scaling_runs: int, max_mb: float) -> str:
    started, load_at_start = time.perf_counter(), load_average()
    real = [measure_lock(tools, lock, runs) for lock in REAL_LOCKS]
    diff_lock, diff = measure_diff(tools, runs)
    scaled = []
    for size in SCALING_SIZES_MB:
        if size > max_mb:
            continue
        lock = synthetic(tools, size)
        if lock is None:
            continue
        log(f"built {lock.label}: {lock.size}")
        scaled.append(measure_lock(tools, lock, scaling_runs))
        shutil.rmtree(lock.folder)
    startup = measure_startup(tools, runs)
    log("importtime and TOML readers")
    imports = import_times(tools, BASE)
    readers = toml_readers()
    toml = [row for lock in REAL_LOCKS for row in toml_rows(lock, readers)]
    minutes = (time.perf_counter() - started) / 60
    inputs = [[m.lock.label, f"`{m.lock.folder.relative_to(ROOT)}`", m.lock.size] for m in real]
    inputs += [
        [m.lock.label, f"synthetic: mteb's third-party packages x{m.lock.copies + 1}", m.lock.size]
        for m in scaled
    ]
    sections = [
        "# Benchmarks",
        "Written by `bench/bench.py`; what it measures and why is in its docstring. Each "
        "lockstrip command is paired with `uv export --frozen` of the same lock: "
        f"{runs} pairs on the real locks, {scaling_runs} on the synthetic ones, after one "
        "unmeasured run of each; medians of the per-pair ratios and of each side. CPU time "
        "(user + system of the child, all its threads: uv runs several) decides PASS/FAIL; "
        "wall time is shown alongside. Peak memory is the child's maximum resident set.",
        "## Machine",
        table(["", ""], machine_info(tools, load_at_start, minutes)),
        "## Targets",
        "\n".join(f"- {line}" for line in targets(real, scaled, diff, startup)),
        "## Inputs",
        table(["lock", "folder", "uv.lock size"], inputs),
    ]
    for measured in [*real, *scaled]:
        sections += [
            f"## {measured.lock.label} ({measured.lock.size}, {measured.runs} pairs)",
            lock_table(measured),
        ]
    sections += [
        f"## `diff` ({diff_lock.label}, {diff_lock.size}, {diff.runs} pairs)",
        "Against `uv export --frozen` of the new version.",
        table(PAIR_HEADER, [pair_cells("`diff OLD NEW`", diff)]),
        "## Scaling",
        "The synthetic locks copy every third-party package of mteb under new names "
        "(`NAME-xK`, edges renamed alike) and give the root an edge to every copy, so both "
        "tools traverse all of them (bench/scaling.py).",
        scaling_tables([real[-1], *scaled]),
        f"## Start-up (median of {runs} runs)",
        startup_table(startup),
        f"## Imports of a cold `lockstrip digest` ({BASE.label}, `python -X importtime`)",
        import_tables(imports),
        f"## TOML readers (in-process parse of uv.lock, median of {TOML_RUNS})",
        table(["lock", "reader", "ms", "same data as tomllib"], toml),
        RERUN,
    ]
    return "\n\n".join(sections) + "\n"


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
    parser.add_argument("--runs", type=int, default=21, help="pairs per command (default 21)")
    parser.add_argument(
        "--scaling-runs",
        type=int,
        default=5,
        help="pairs per command on the synthetic locks (default 5)",
    )
    parser.add_argument(
        "--max-size",
        type=float,
        default=max(SCALING_SIZES_MB),
        metavar="MB",
        help=f"largest synthetic lock, of {SCALING_SIZES_MB} MB (default: all)",
    )
    parser.add_argument("--write", action="store_true", help=f"write {REPORT.name}")
    args = parser.parse_args()
    if args.runs < 1 or args.scaling_runs < 1:
        parser.error("--runs and --scaling-runs must be at least 1")
    as_installed()
    lockstrip = find_tool("lockstrip")
    with tempfile.TemporaryDirectory(prefix="lockstrip-bench-") as scratch:
        launcher = Launcher(Path(scratch))
        try:
            tools = Tools(
                python=sys.executable,
                lockstrip=lockstrip,
                uv=find_tool("uv"),
                scratch=Path(scratch),
                launcher=launcher,
            )
            text = report(tools, args.runs, args.scaling_runs, args.max_size)
        except CommandFailed as error:
            raise SystemExit(f"bench: {error}") from None
        finally:
            launcher.close()
    if args.write:
        old = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
        kept = [m.group(0).rstrip("\n") + "\n" for m in KEPT_SECTION.finditer(old)]
        REPORT.write_text("\n".join([text, *kept]), encoding="utf-8")
        log(f"wrote {REPORT}")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
