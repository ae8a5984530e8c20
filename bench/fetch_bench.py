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

Usage: `python bench/fetch_bench.py [--runs N] [--baseline DIR] [--tls] [--write]`. `--tls`
serves the index over HTTPS, with a self-signed certificate `openssl` makes. `--write`
replaces the part of BENCHMARKS.md between `<!-- fetch:start -->` and `<!-- fetch:end -->`
(`fetch-tls` with `--tls`), or appends it; otherwise the section goes to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import resource
import shutil
import ssl
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
from typing import Any, NamedTuple
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "BENCHMARKS.md"
CACHE = Path(os.environ.get("LOCKSTRIP_BENCH_CACHE", Path.home() / ".cache" / "lockstrip-bench"))
MARKERS = {
    False: ("<!-- fetch:start -->", "<!-- fetch:end -->"),
    True: ("<!-- fetch-tls:start -->", "<!-- fetch-tls:end -->"),
}
#: --tls: the self-signed certificate of the index, made in the run's scratch folder.
CERT = Path(tempfile.gettempdir()) / f"lockstrip-fetch-bench-{os.getpid()}.pem"

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
TLS_NOTE = ", over TLS with a self-signed certificate"


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
    bundles = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    for name in bundles:
        env.pop(name, None)
    if CERT.exists():  # --tls: the index's own certificate, for pip and lockstrip alike
        env.update(SSL_CERT_FILE=str(CERT), REQUESTS_CA_BUNDLE=str(CERT), PIP_CERT=str(CERT))
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

    def __init__(self, wheels: Sequence[Path], tls: ssl.SSLContext | None = None) -> None:
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
        self.servers = [self._serve(None)]
        #: What uv locks against: plain HTTP, as uv's TLS refuses a self-signed end entity.
        self.plain = f"http://127.0.0.1:{self.servers[0].server_address[1]}"
        self.url = self.plain
        if tls is not None:  # the lock's URLs are rewritten to this one
            self.servers.append(self._serve(tls))
            self.url = f"https://127.0.0.1:{self.servers[1].server_address[1]}"

    def _serve(self, tls: ssl.SSLContext | None) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def shutdown(self) -> None:
        for server in self.servers:
            server.shutdown()

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


def tls_context(folder: Path) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1 (CERT), and the server's context with it."""
    key = folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(CERT), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT, key)
    return context


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
        [tool("uv"), "lock", "-q", "--index-url", f"{index.plain}/simple"],
        cwd=project,
        env=env,
        check=True,
    )
    lock = project / "uv.lock"
    lock.write_text(lock.read_text().replace(index.plain, index.url))
    return project


class Timing(NamedTuple):
    wall: float  # seconds
    requests: int  # answered by the index
    cpu: float  # user + system seconds of the process: what a loaded machine does not blur


def timed(argv: Sequence[str], index: Index, cwd: Path | None = None, **env: str) -> Timing:
    index.take()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=clean_env(**env), check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Timing(wall, index.take(), cpu)


Rows = dict[str, list[Timing]]


def measure(project: Path, folder: Path, index: Index, runs: int, baseline: Path | None) -> Rows:
    lockstrip = [sys.executable, "-m", "lockstrip"]
    deps = folder / "deps"
    export = [*lockstrip, "export", str(project), "-q", "--out", str(deps), "--requirements"]
    subprocess.run(export, check=True)
    keys = ("fetch", "again", "pip", "baseline", "baseline again")
    rows: Rows = {key: [] for key in keys}
    for run in range(runs):
        log(f"run {run + 1}/{runs}")
        fetch = [*lockstrip, "fetch", str(project), "-q", "--dest"]
        # -m puts the working folder first on sys.path: run where no lockstrip/ is, so that
        # PYTHONPATH decides which version runs. Alternate the order of the pair: neither
        # version always runs on the warmer machine.
        versions: list[tuple[str, dict[str, str]]] = [("fetch", {})]
        if baseline is not None:
            versions.append(("baseline", {"PYTHONPATH": str(baseline)}))
        for key, env in versions[:: -1 if run % 2 else 1]:
            dest = folder / f"{key.replace(' ', '-')}-{run}"
            rows[key].append(timed([*fetch, str(dest)], index, folder, **env))
            again = "again" if key == "fetch" else f"{key} again"
            rows[again].append(timed([*fetch, str(dest)], index, folder, **env))
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


def medians(rows: Rows) -> dict[str, Timing]:
    return {
        key: Timing(
            statistics.median(t.wall for t in values),
            int(statistics.median(t.requests for t in values)),
            statistics.median(t.cpu for t in values),
        )
        for key, values in rows.items()
        if values
    }


def _difference(this: list[Timing], other: list[Timing], field: str) -> str:
    values = sorted(getattr(a, field) - getattr(b, field) for a, b in zip(this, other, strict=True))
    return (
        f"median {statistics.median(values) * 1000:+.0f} ms "
        f"({values[0] * 1000:+.0f} to {values[-1] * 1000:+.0f})"
    )


def paired(rows: Rows) -> list[str]:
    """The baseline's rows, and the per-run differences with this version."""
    if not rows["baseline"]:
        return []
    found = medians(rows)
    base, again = found["baseline"], found["baseline again"]
    fetch, present = (rows["fetch"], rows["baseline"]), (rows["again"], rows["baseline again"])
    return [
        f"| `lockstrip fetch` (8 jobs), baseline | {base.requests} | {base.wall:.2f} s |",
        f"| `lockstrip fetch` again, baseline | {again.requests} | {again.wall:.2f} s |",
        "",
        f"Paired by run over {len(rows['fetch'])} runs, this version minus the baseline: "
        f"wall time {_difference(*fetch, 'wall')}, CPU time {_difference(*fetch, 'cpu')}; "
        f"with every file present (no request: the imports and the plan), wall time "
        f"{_difference(*present, 'wall')}, CPU time {_difference(*present, 'cpu')}.",
    ]


def section(rows: Rows, wheels: Sequence[Path], runs: int, *, tls: bool) -> str:
    results = medians(rows)
    files = len(wheels)
    size = sum(w.stat().st_size for w in wheels) / 1e6
    fetch, again, pip = results["fetch"], results["again"], results["pip"]
    ratio = fetch.wall / pip.wall
    pip_version = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True
    ).stdout.split()[1]
    start, end = MARKERS[tls]
    lines = [
        start,
        "## fetch: a wheelhouse from the lock" + (", over HTTPS" if tls else ""),
        "",
        f"Written by `bench/fetch_bench.py`; what it measures and why is in its docstring. "
        f"{files} real wheels ({size:.0f} MB) from PyPI, served on 127.0.0.1 by a local simple "
        f"index (HTTP/1.1, keep-alive{TLS_NOTE if tls else ''}), locked by `uv lock`. "
        f"Wall-clock times of whole processes, median of {runs} runs, each into an empty folder. "
        f"{platform.platform()}, {os.cpu_count()} CPUs, CPython {platform.python_version()}, "
        f"pip {pip_version}, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "",
        "| command | requests | wall time |",
        "|---|---|---|",
        f"| `lockstrip fetch` (8 jobs) | {fetch.requests} | {fetch.wall:.2f} s |",
        f"| `lockstrip fetch` again (all present) | {again.requests} | {again.wall:.2f} s |",
        f"| `pip download --no-deps --require-hashes` | {pip.requests} | {pip.wall:.2f} s |",
        *paired(rows),
        "",
        f"- {'PASS' if fetch.requests == files else 'FAIL'}: `lockstrip fetch` makes "
        f"{fetch.requests} requests for {files} files (target: one per file, no index page)",
        f"- {'PASS' if ratio <= RATIO_TARGET else 'FAIL'}: `lockstrip fetch` takes "
        f"{fetch.wall:.2f} s, {ratio:.2f} x pip's {pip.wall:.2f} s (target <= {RATIO_TARGET} x)",
        end,
    ]
    return "\n".join(lines) + "\n"


def write_section(text: str, *, tls: bool) -> None:
    """Replace the fetch section of BENCHMARKS.md, or append it; leave the rest as it is."""
    start, end = MARKERS[tls]
    old = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
    if start in old and end in old:
        before, rest = old.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        new = before + text + ("\n" + after if after else "")
    else:
        new = old + ("\n" if old and not old.endswith("\n\n") else "") + text
    REPORT.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default: 5)")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument(
        "--tls", action="store_true", help="serve the index over HTTPS (self-signed, openssl)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a folder holding another version's lockstrip package, to compare with",
    )
    args = parser.parse_args()
    wheels = provision()
    with tempfile.TemporaryDirectory(prefix="lockstrip-fetch-bench-") as scratch:
        folder = Path(scratch)
        index = Index(wheels, tls_context(folder) if args.tls else None)
        log(f"locking {len(wheels)} wheels with uv against {index.url}")
        project = make_project(folder, wheels, index)
        rows = measure(project, folder, index, max(3, args.runs), args.baseline)
        index.shutdown()
        CERT.unlink(missing_ok=True)
    text = section(rows, wheels, max(3, args.runs), tls=args.tls)
    if args.write:
        write_section(text, tls=args.tls)
        log(f"wrote the fetch section of {REPORT}")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
