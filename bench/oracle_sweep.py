"""The generative uv oracle, wide: generate, lock and compare many seeded projects.

For each seed in the range, tests/oracle generates a uv project, locks it with real uv
against a package index and a git repository served from 127.0.0.1, writes the frozen and
the locked export, and compares uv's reading of the original and of each export in every
scope (see tests/oracle/compare.py). Prints per-feature counts of projects, comparisons and
disagreements, disagreements by class, and the time taken.

Usage: `python bench/oracle_sweep.py [--seeds A:B | --seeds N,M] [--workers 2]
[--findings FILE] [--keep DIR]`. Workers run under `nice`. `--keep` leaves each project's
folder (original, exports, uv cache) under DIR to reproduce a finding by hand. The exit code
is 0 whatever is found; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(TESTS)]

from helpers import uv_executable  # noqa: E402
from oracle.compare import Disagreement, Outcome, check_seed, classify  # noqa: E402
from oracle.generate import generate  # noqa: E402
from oracle.universe import Universe, universe  # noqa: E402

_UNIVERSE: Universe | None = None
_KEEP: Path | None = None


def _seeds(text: str) -> list[int]:
    if ":" in text:
        start, stop = text.split(":")
        return list(range(int(start), int(stop)))
    return [int(part) for part in text.split(",")]


def _work(seed: int) -> Outcome:
    assert _UNIVERSE is not None
    if _KEEP is not None:
        folder = _KEEP / f"seed-{seed}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return check_seed(seed, _UNIVERSE, folder)
    with tempfile.TemporaryDirectory(prefix=f"oracle-{seed}-") as tmp:
        return check_seed(seed, _UNIVERSE, Path(tmp))


def _init() -> None:
    os.nice(10)


def report(outcomes: list[Outcome], seconds: float) -> str:
    locked = [o for o in outcomes if o.locked]
    lines = [
        f"projects generated: {len(outcomes)}",
        f"projects locked by uv: {len(locked)}",
        f"projects discarded (uv lock refused): {len(outcomes) - len(locked)}",
        f"comparisons run: {sum(o.comparisons for o in locked)}",
        f"disagreements: {sum(len(o.disagreements) for o in locked)} "
        f"in {sum(1 for o in locked if o.disagreements)} projects",
        f"time: {seconds:.0f} s",
        "",
        "disagreements by class (disagreements, projects, seeds):",
    ]
    by_class: dict[str, list[int]] = {}
    for outcome in locked:
        for found in outcome.disagreements:
            by_class.setdefault(classify(found, outcome.features), []).append(outcome.seed)
    for name, seeds in sorted(by_class.items()):
        unique = sorted(set(seeds))
        shown = ", ".join(map(str, unique[:8])) + (" ..." if len(unique) > 8 else "")
        lines.append(f"  {name}: {len(seeds)}, {len(unique)} ({shown})")
    lines += ["", "feature: projects, locked, comparisons, projects with disagreements"]
    features = Counter(f for o in outcomes for f in o.features)
    for feature in sorted(features):
        having = [o for o in outcomes if feature in o.features]
        ok = [o for o in having if o.locked]
        lines.append(
            f"  {feature}: {len(having)}, {len(ok)}, {sum(o.comparisons for o in ok)}, "
            f"{sum(1 for o in ok if o.disagreements)}"
        )
    lines += ["", "seeds with disagreements: classes"]
    lines += [f"  {o.seed}: {', '.join(sorted(o.classes()))}" for o in locked if o.disagreements]
    return "\n".join(lines)


def findings(outcomes: list[Outcome], seeds: str) -> str:
    """One entry per disagreement class: every seed, and the smallest project as the repro."""
    by_class: dict[str, list[tuple[Outcome, Disagreement]]] = {}
    for outcome in outcomes:
        for found in outcome.disagreements:
            by_class.setdefault(classify(found, outcome.features), []).append((outcome, found))
    text = f"## Sweep of seeds {seeds} (uv {_uv_version()})\n\n"
    if not by_class:
        return text + "No disagreement.\n\n"
    for name, cases in sorted(by_class.items()):
        seeds_hit = sorted({outcome.seed for outcome, _ in cases})
        outcome, found = min(cases, key=lambda case: (len(case[0].features), case[0].seed))
        files = generate(outcome.seed).files()
        pyprojects = "".join(
            f"# {rel}\n{body}" for rel, body in files.items() if rel.endswith("pyproject.toml")
        )
        text += f"### {name}: {len(cases)} disagreements in {len(seeds_hit)} projects\n\n"
        text += f"* seeds: {', '.join(map(str, seeds_hit[:30]))}"
        text += " ...\n" if len(seeds_hit) > 30 else "\n"
        text += found.entry(outcome.features).replace("### ", "#### example: ", 1)
        text += f"* the example's pyproject files:\n```toml\n{pyprojects.strip()}\n```\n\n"
    return text


def _uv_version() -> str:
    result = subprocess.run([uv_executable(), "--version"], capture_output=True, text=True)
    return result.stdout.strip().removeprefix("uv ")


def main() -> None:
    global _UNIVERSE, _KEEP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0:500")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--findings", type=Path, help="append one entry per finding here")
    parser.add_argument("--keep", type=Path, help="keep each project's folder here")
    args = parser.parse_args()
    seeds = _seeds(args.seeds)
    _KEEP = args.keep.resolve() if args.keep else None
    start = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="oracle-universe-") as tmp,
        universe(Path(tmp) / "universe") as world,
    ):
        _UNIVERSE = world
        outcomes: list[Outcome] = []
        context = multiprocessing.get_context("fork")
        with context.Pool(args.workers, initializer=_init) as pool:
            for done, outcome in enumerate(pool.imap_unordered(_work, seeds), start=1):
                outcomes.append(outcome)
                mark = "locked" if outcome.locked else "discarded"
                print(
                    f"[{done}/{len(seeds)}] seed {outcome.seed}: {mark}, "
                    f"{outcome.comparisons} comparisons, "
                    f"{len(outcome.disagreements)} disagreements "
                    f"{sorted(outcome.classes())}",
                    file=sys.stderr,
                )
    outcomes.sort(key=lambda o: o.seed)
    print(report(outcomes, time.monotonic() - start))
    if args.findings:
        with args.findings.open("a") as stream:
            stream.write(findings(outcomes, args.seeds))


if __name__ == "__main__":
    main()
