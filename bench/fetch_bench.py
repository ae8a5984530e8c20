"""Benchmark `lockstrip fetch` against `pip download --no-deps --require-hashes`.

Both fill an empty folder with the wheels of one medium lock, from the same local index:
a PEP 503 simple index and file server on 127.0.0.1 (HTTP/1.1, keep-alive) that counts the
requests it answers. The wheels are real: ~100 of them (88 MB) from PyPI, downloaded once
with `pip download --only-binary :all:` into `~/.cache/lockstrip-bench/wheels` (the
provisioning step; later runs use no network). `uv lock` then locks a project that pins
each of them, against the local index, and `lockstrip export --requirements` writes the
hashed requirements file pip is given.

Measured, as whole processes, median of `--runs` runs (each into an empty folder):

* `lockstrip fetch PROJECT --dest DIR` (8 jobs): requests and wall time;
* the same again into the filled folder (every file present: no request);
* `pip download --no-deps --require-hashes -r requirements.txt --index-url LOCAL` with pip's
  configuration and cache switched off: requests and wall time.

With `--baseline DIR` (a folder holding another version's `lockstrip` package, e.g.
`git archive main lockstrip | tar -x -C DIR`), each run also fetches with that version into
its own empty folder, the two in alternating order, and the section gives both medians and
the paired difference per run: the measure of a change to the transport, on the same plan,
index and machine load.

Targets, printed as PASS/FAIL: lockstrip makes exactly one request per file, and takes at
most half of pip's wall time. On 127.0.0.1 a connection costs nearly nothing, so this
measures the requests and the work per file; over the internet, with TLS, the connection
reuse matters more (DESIGN.md: 0.96 s against 14.6 s for 134 wheels from PyPI).

Usage: `python bench/fetch_bench.py [--runs N] [--baseline DIR] [--write]`; `--write`
replaces the part of BENCHMARKS.md between `<!-- fetch:start -->` and `<!-- fetch:end -->`
(appends it when absent), otherwise the section goes to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "BENCHMARKS.md"
CACHE = Path(os.environ.get("LOCKSTRIP_BENCH_CACHE", Path.home() / ".cache" / "lockstrip-bench"))
START, END = "<!-- fetch:start -->", "<!-- fetch:end -->"

#: What `pip download` is asked for once; its closure is the ~100 wheels of the lock.
PROVISION = (
    "fastapi[standard]",
    "sqlalchemy",
    "alembic",
    "celery",
    "redis",
    "boto3",
    "pandas",
    "requests",
    "rich",
    "typer",
    "jinja2",
    "pytest",
    "httpx",
    "pydantic-settings",
    "flask",
    "black",
    "mypy",
)
RATIO_TARGET = 0.5


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed: pip install -e '.[test]'")
    return found


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of every command: no proxies, no pip or uv configuration."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "PIP_")) and "proxy" not in k.lower()
    }
    env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1", NETRC=os.devnull, **extra)
    return env


def provision() -> list[Path]:
    """The wheels, downloaded from PyPI on the first run only."""
    folder = CACHE / "wheels"
    if not any(folder.glob("*.whl")):
        log(f"provisioning: pip download {len(PROVISION)} projects into {folder} (once)")
        pip = [sys.executable, "-m", "pip", "download", "-q", "--only-binary", ":all:"]
        subprocess.run([*pip, "-d", str(folder), *PROVISION], check=True)
    return sorted(folder.glob("*.whl"))


class Index:
    """A simple index over the wheels, counting the GET requests it answers."""

    def __init__(self, wheels: Sequence[Path]) -> None:
        from packaging.utils import canonicalize_name, parse_wheel_filename

        self.content: dict[str, bytes] = {}
        pages: dict[str, list[str]] = {}
        for wheel in wheels:
            data = wheel.read_bytes()
            self.content[f"/files/{wheel.name}"] = data
            name = str(canonicalize_name(parse_wheel_filename(wheel.name)[0]))
            digest = hashlib.sha256(data).hexdigest()
            link = f'<a href="/files/{wheel.name}#sha256={digest}">{wheel.name}</a><br>'
            pages.setdefault(name, []).append(link)
        for name, links in pages.items():
            self.content[f"/simple/{name}/"] = (
                f"<html><body>{''.join(links)}</body></html>".encode()
            )
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        index = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                index.answer(self, body=True)

            def do_HEAD(self) -> None:
                index.answer(self, body=False)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def answer(self, handler: BaseHTTPRequestHandler, *, body: bool) -> None:
        path = urlsplit(handler.path).path
        if body:
            with self.lock:
                self.counts[path] += 1
        data = self.content.get(path)
        handler.send_response(404 if data is None else 200)
        kind = "text/html" if path.startswith("/simple/") else "application/octet-stream"
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(data or b"")))
        handler.end_headers()
        if body and data:
            handler.wfile.write(data)

    def take(self) -> int:
        with self.lock:
            total = sum(self.counts.values())
            self.counts.clear()
        return total


def make_project(folder: Path, wheels: Sequence[Path], index: Index) -> Path:
    """A project pinning every wheel, locked by uv against the local index."""
    from packaging.utils import parse_wheel_filename

    pins = sorted(
        {f"{n}=={v}" for n, v, _, _ in map(parse_wheel_filename, (w.name for w in wheels))}
    )
    project = folder / "project"
    project.mkdir()
    deps = "".join(f'    "{pin}",\n' for pin in pins)
    environment = "sys_platform == 'linux' and platform_machine == 'x86_64'"
    # The running interpreter exactly: the wheels were chosen for it, and a range would
    # make uv resolve branches (e.g. `python_full_version < '3.11.3'`) they do not cover.
    python = platform.python_version()
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "bench"\nversion = "0"\nrequires-python = "=={python}"\n'
        f"dependencies = [\n{deps}]\n\n"
        f'[tool.uv]\npackage = false\nenvironments = ["{environment}"]\n'
    )
    env = clean_env(UV_CACHE_DIR=str(folder / "uv-cache"), UV_PYTHON=sys.executable)
    subprocess.run(
        [tool("uv"), "lock", "-q", "--index-url", f"{index.url}/simple"],
        cwd=project,
        env=env,
        check=True,
    )
    return project


def timed(
    argv: Sequence[str], index: Index, cwd: Path | None = None, **env: str
) -> tuple[float, int]:
    index.take()
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=clean_env(**env), check=True, capture_output=True)
    return time.perf_counter() - started, index.take()


Rows = dict[str, list[tuple[float, int]]]


def measure(project: Path, folder: Path, index: Index, runs: int, baseline: Path | None) -> Rows:
    lockstrip = [sys.executable, "-m", "lockstrip"]
    deps = folder / "deps"
    export = [*lockstrip, "export", str(project), "-q", "--out", str(deps), "--requirements"]
    subprocess.run(export, check=True)
    rows: Rows = {"fetch": [], "again": [], "pip": [], "baseline": []}
    for run in range(runs):
        log(f"run {run + 1}/{runs}")
        dest = folder / f"fetch-{run}"
        fetch = [*lockstrip, "fetch", str(project), "-q", "--dest"]
        # -m puts the working folder first on sys.path: run where no lockstrip/ is, so that
        # PYTHONPATH decides which version runs. Alternate the order of the pair: neither
        # version always runs on the warmer machine.
        versions: list[tuple[str, dict[str, str]]] = [("fetch", {})]
        if baseline is not None:
            versions.append(("baseline", {"PYTHONPATH": str(baseline)}))
        for key, env in versions[:: -1 if run % 2 else 1]:
            target = folder / f"{key}-{run}"
            rows[key].append(timed([*fetch, str(target)], index, folder, **env))
        rows["again"].append(timed([*fetch, str(dest)], index, folder))
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes"]
        pip += [
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--index-url",
            f"{index.url}/simple",
        ]
        pip += ["-r", str(deps / "requirements.txt"), "-d", str(folder / f"pip-{run}")]
        rows["pip"].append(timed(pip, index))
    return rows


def medians(rows: Rows) -> dict[str, tuple[float, int]]:
    return {
        key: (statistics.median(t for t, _ in values), int(statistics.median(n for _, n in values)))
        for key, values in rows.items()
        if values
    }


def paired(rows: Rows) -> list[str]:
    """The baseline's lines: its row, and the per-run difference with this version."""
    if not rows["baseline"]:
        return []
    base = medians(rows)["baseline"]
    differences = sorted(
        t - b for (t, _), (b, _) in zip(rows["fetch"], rows["baseline"], strict=True)
    )
    return [
        f"| `lockstrip fetch` (8 jobs), baseline | {base[1]} | {base[0]:.2f} s |",
        "",
        f"Paired by run, this version minus the baseline: median "
        f"{statistics.median(differences):+.3f} s, from {differences[0]:+.3f} to "
        f"{differences[-1]:+.3f} s over {len(differences)} runs.",
    ]


def section(rows: Rows, wheels: Sequence[Path], runs: int) -> str:
    results = medians(rows)
    files = len(wheels)
    size = sum(w.stat().st_size for w in wheels) / 1e6
    fetch, again, pip = results["fetch"], results["again"], results["pip"]
    ratio = fetch[0] / pip[0]
    pip_version = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True
    ).stdout.split()[1]
    lines = [
        START,
        "## fetch: a wheelhouse from the lock",
        "",
        f"Written by `bench/fetch_bench.py`; what it measures and why is in its docstring. "
        f"{files} real wheels ({size:.0f} MB) from PyPI, served on 127.0.0.1 by a local simple "
        f"index (HTTP/1.1, keep-alive), locked by `uv lock`. Wall-clock times of whole "
        f"processes, median of {runs} runs, each into an empty folder. "
        f"{platform.platform()}, {os.cpu_count()} CPUs, CPython {platform.python_version()}, "
        f"pip {pip_version}, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "",
        "| command | requests | wall time |",
        "|---|---|---|",
        f"| `lockstrip fetch` (8 jobs) | {fetch[1]} | {fetch[0]:.2f} s |",
        f"| `lockstrip fetch` again (all present) | {again[1]} | {again[0]:.2f} s |",
        f"| `pip download --no-deps --require-hashes` | {pip[1]} | {pip[0]:.2f} s |",
        *paired(rows),
        "",
        f"- {'PASS' if fetch[1] == files else 'FAIL'}: `lockstrip fetch` makes {fetch[1]} "
        f"requests for {files} files (target: one per file, no index page)",
        f"- {'PASS' if ratio <= RATIO_TARGET else 'FAIL'}: `lockstrip fetch` takes "
        f"{fetch[0]:.2f} s, {ratio:.2f} x pip's {pip[0]:.2f} s (target <= {RATIO_TARGET} x)",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace the fetch section of BENCHMARKS.md, or append it; leave the rest as it is."""
    old = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
    if START in old and END in old:
        before, rest = old.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        new = before + text + ("\n" + after if after else "")
    else:
        new = old + ("\n" if old and not old.endswith("\n\n") else "") + text
    REPORT.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default: 5)")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a folder holding another version's lockstrip package, to compare with",
    )
    args = parser.parse_args()
    wheels = provision()
    index = Index(wheels)
    with tempfile.TemporaryDirectory(prefix="lockstrip-fetch-bench-") as scratch:
        folder = Path(scratch)
        log(f"locking {len(wheels)} wheels with uv against {index.url}")
        project = make_project(folder, wheels, index)
        rows = measure(project, folder, index, max(3, args.runs), args.baseline)
    index.server.shutdown()
    text = section(rows, wheels, max(3, args.runs))
    if args.write:
        write_section(text)
        log(f"wrote the fetch section of {REPORT}")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
