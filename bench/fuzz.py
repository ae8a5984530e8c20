"""The long fuzz run: mutated fixture projects through every library entry point.

Each case mutates one node (or cuts the text) of one file of a fixture project, and runs
the result through what every command calls (tests/fuzzing.py: read, digest plain, scoped
and targeted, both export modes and reading the export back, requirements.txt, the
Dockerfile, a fetch plan and credentials, explanations both ways). Every outcome must be a
success or a `LockstripError` naming one of the project's files; anything else is a crash,
counted by class (entry point, exception type, innermost lockstrip function), with the
first case that showed it.

Cases are numbered; case N is the same mutation on every machine, so a crash can be
replayed: `python bench/fuzz.py --case N` prints the mutation and the traceback.

Every case runs the read, the plain digest and the frozen export (read back); a third of
the other entry points, by case number, so that 100,000 cases fit in an hour of two cores;
and every fourth case the explanations (`diff`, both ways), which cost as much as the other
entry points together. `--case N` runs them all. The seeds are the fixture projects with a
lock under 160 kB by default (five projects, one a workspace of four): a mutation of a small
lock reaches the same code as one of a large lock, many times faster.

Usage: `python bench/fuzz.py [--cases 100000] [--jobs 2] [--max-lock-bytes 160000]`.
Exits 1 when a crash was found.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzing

from lockstrip.errors import LockstripError
from lockstrip.formats.uv.model.project import MemoryFiles, read_files

_SEEDS: list[Path] = []
DIFF_EVERY = 4
#: Each case runs read, the plain digest and the frozen export, and a third of the other
#: entry points (the case number decides which): three times the cases in the same time.
SHARES = 3


def _init(seeds: list[Path]) -> None:
    _SEEDS[:] = seeds


def _case(number: int) -> tuple[int, str, str, str, str]:
    folder = _SEEDS[number % len(_SEEDS)]
    seed = fuzzing.load_seed(folder)
    mutation = fuzzing.mutate(seed, fuzzing.case_rng(seed, number))
    # Explanations cost as much as the rest together: every fourth case.
    original = _original(folder) if number % DIFF_EVERY == 0 else None
    outcome = fuzzing.run_case(mutation.texts, original, (number % SHARES, SHARES))
    return number, outcome.status, outcome.key, outcome.detail, mutation.what


_ORIGINALS: dict[Path, Any] = {}


def _original(folder: Path) -> Any:
    if folder not in _ORIGINALS:
        _ORIGINALS[folder] = fuzzing.load_seed(folder).project()
    return _ORIGINALS[folder]


def replay(number: int, seeds: list[Path]) -> int:
    """Run case `number` in this process and show what happened, with a traceback."""
    _init(seeds)
    folder = seeds[number % len(seeds)]
    seed = fuzzing.load_seed(folder)
    mutation = fuzzing.mutate(seed, fuzzing.case_rng(seed, number))
    print(f"case {number}: {mutation.what}")
    project = read_files(MemoryFiles(mutation.texts, fuzzing.ROOT), fuzzing.ROOT)
    for entry, call in fuzzing._entry_points(_original(folder), project):
        try:
            call()
        except LockstripError as error:
            print(f"{entry}: rejected: {error}")
            return 0
        except Exception:
            print(f"{entry}: crash")
            traceback.print_exc()
            return 1
    print("ok")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--start", type=int, default=0, help="the first case number")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--max-lock-bytes", type=int, default=160_000, help="seeds with a smaller lock only"
    )
    parser.add_argument("--case", type=int, help="replay one case, with its traceback")
    args = parser.parse_args()
    seeds = fuzzing.seed_folders(args.max_lock_bytes)
    if args.case is not None:
        return replay(args.case, seeds)
    print(f"{len(seeds)} seed projects: {', '.join(f.name for f in seeds)}", flush=True)
    statuses: collections.Counter[str] = collections.Counter()
    crashes: collections.Counter[str] = collections.Counter()
    first: dict[str, tuple[int, str, str]] = {}
    started = time.perf_counter()
    numbers = range(args.start, args.start + args.cases)
    with multiprocessing.Pool(args.jobs, initializer=_init, initargs=(seeds,)) as pool:
        for done, (number, status, key, detail, what) in enumerate(
            pool.imap_unordered(_case, numbers, chunksize=50), 1
        ):
            statuses[status] += 1
            if status == "crash":
                crashes[key] += 1
                first.setdefault(key, (number, what, detail))
            if done % max(args.cases // 20, 1000) == 0:
                elapsed = time.perf_counter() - started
                print(f"  {done} cases, {elapsed:.0f} s, {dict(statuses)}", flush=True)
    elapsed = time.perf_counter() - started
    print(
        f"{args.cases} cases in {elapsed:.0f} s ({args.cases / elapsed:.0f}/s, {args.jobs} jobs): "
        f"{statuses['ok']} ok, {statuses['rejected']} rejected with a message naming the file, "
        f"{statuses['crash']} crashes in {len(crashes)} classes"
    )
    for key, count in crashes.most_common():
        number, what, detail = first[key]
        print(f"  {count:6} {key}\n         first: case {number}: {what}\n         {detail}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
