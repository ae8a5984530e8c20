"""How long `lockstrip savings` takes on a history of 500 commits or more.

    python bench/savings_bench.py [--series NAME] [--runs 3]

The history is a real series from ../shared/histories (unpacked into a scratch folder; the
bundled fixtures/histories series when it is absent), made into a git repository and
replayed end to end until it holds 500 commits or more: every step is a real commit's
change of uv.lock and the pyproject files. Each run is a whole cold process, as a user
starts it; the report prints the median wall and CPU time (the children's user + system).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from history_repo import build_repository  # noqa: E402

SHARED = ROOT.parent / "shared" / "histories"


def series_folder(name: str, scratch: Path) -> Path:
    archive = SHARED / f"{name}.tar.xz"
    if archive.is_file():
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="data")
        folder = scratch / name
        (folder / "commits.tsv").write_bytes((SHARED / f"{name}.commits.tsv").read_bytes())
        return folder
    return ROOT / "fixtures" / "histories" / name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0] if __doc__ else "")
    parser.add_argument("--series", default="pydantic__pydantic-ai")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commits", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lockstrip-savings-bench-") as scratch:
        series = series_folder(args.series, Path(scratch))
        steps = sum(1 for p in series.iterdir() if p.is_dir())
        repeat = -(-args.commits // steps)
        repo = build_repository(series, Path(scratch) / "repo", repeat=repeat)
        walls, cpus = [], []
        for _ in range(args.runs):
            before = os.times()
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "lockstrip", "savings", str(repo), "--summary"],
                capture_output=True,
                text=True,
                check=True,
            )
            walls.append(time.perf_counter() - start)
            after = os.times()
            cpus.append(
                after.children_user + after.children_system
                - before.children_user - before.children_system
            )  # fmt: skip
        print(done.stdout.splitlines()[0])
        python = sys.version.split()[0]
        print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {python}")
        print(f"load average at the end: {os.getloadavg()}")
        print(f"series {args.series}: {steps} commits replayed {repeat} times")
        print(f"median of {args.runs}: {statistics.median(walls):.1f} s wall, "
              f"{statistics.median(cpus):.1f} s CPU")  # fmt: skip


if __name__ == "__main__":
    main()
