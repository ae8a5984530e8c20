"""Docker rebuilds of real projects, with real BuildKit: what each Dockerfile pattern costs
after a cold build, a version bump, a source-only edit and a dependency added.

    python3 tests/e2e/provision.py                 # once: docker.io, the Debian root fs
    python bench/rebuild_bench.py --provision      # once: the projects' real wheels (online)
    python bench/rebuild_bench.py [--quick] [--only single,workspace] [--runs 3] [--write]

Run as root (a private dockerd, tests/e2e/builder.py). The benchmark itself never reaches the
internet: the projects' real wheels, downloaded once by `--provision` into the e2e cache
(one file per locked package version: the x86_64 manylinux / CPython 3.11 wheel where the
lock has one, else its smallest file), are served by the counting index of tests/e2e on
127.0.0.1, and each project is relocked against it (same versions: it serves no others).

Patterns: `lockstrip` (what `lockstrip dockerfile` prints), `uv-guide` (uv's Docker guide:
`COPY pyproject.toml uv.lock`, `uv sync --locked --no-install-project` with a cache mount,
then the source and `uv sync --locked`), `cache-mount` (copy everything, one
`uv sync --locked` with a cache mount). Each run starts a fresh daemon per project, builds
the three patterns cold, then applies each edit in turn and rebuilds the three. Before every
build the cache mounts are emptied and the layer cache kept, as on a CI runner that restores
layers but not mounts (`--keep-cache-mounts`: a developer's machine). Per build: the wall
time of `docker build`, the wheels fetched, the bytes and the requests the index served;
the report gives the median over the runs.

`--quick`: one run of the single project. `--only`: some projects. `--json FILE` saves
every build's figures; `--from-json FILE` reports them again without building. `--write`:
the results into BENCHMARKS.md (between the rebuild markers), the version-bump rows into
README.md.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from e2e import provision  # noqa: E402
from e2e.builder import Builder, step_state  # noqa: E402
from e2e.index import Index, serve, write_wheel  # noqa: E402
from e2e.lab import base_images, host_uv, lockstrip_wheel, replace  # noqa: E402
from helpers import tomllib  # noqa: E402

from lockstrip import __version__  # noqa: E402
from lockstrip.dockerfile import UV_VERSION  # noqa: E402

CORPUS = ROOT / "fixtures" / "corpus"
TARGET = ("3.11", "x86_64-manylinux_2_28")
#: Build backends the projects name, for the image's build (not in any lock).
BACKENDS = ("setuptools==80.9.0", "wheel==0.45.1")


@dataclass(frozen=True)
class Project:
    name: str
    source: Path
    #: Files to add to the copied pyproject files and lock: the project's own sources.
    files: dict[str, str]
    #: The pyproject.toml files whose versions the bump edits (the first also gets the added
    #: dependency); the module the source edit edits.
    versioned: tuple[str, ...]
    module: str
    #: Keep what the image installs: the members' dev groups and extras go (and the Python
    #: floor is raised to the image's) before relocking, so the local index serves only the
    #: image's dependency set with its locked versions.
    trim: bool = False


REBUILD = ROOT / "fixtures" / "rebuild"
PROJECTS = {
    "single": Project(
        "single",
        CORPUS / "astral-sh__uv-docker-example",
        {
            "README.md": "# uv-docker-example\n",
            "src/uv_docker_example/__init__.py": 'def hello() -> None:\n    print("hello")\n',
        },
        ("pyproject.toml",),
        "src/uv_docker_example/__init__.py",
    ),
    "workspace": Project(
        "workspace",
        REBUILD / "langchain-ai__langgraph__libs__cli__uv-examples__monorepo",
        {
            "apps/agent/src/agent/__init__.py": "",
            "libs/shared/src/shared/__init__.py": "",
        },
        # The root (virtual, `package = false`) is what `uv sync` installs: its release
        # and its dependencies are what the image sees; the bump also moves the library's
        # release, which the lock records; the library is the edited source.
        ("pyproject.toml", "libs/shared/pyproject.toml"),
        "libs/shared/src/shared/__init__.py",
    ),
    "large": Project(
        "large",
        CORPUS / "microsoft__autogen__python__at-fa826ab",
        {
            "packages/agbench/README.md": "# agbench\n",
            "packages/agbench/src/agbench/__init__.py": "",
            "packages/agbench/src/agbench/version.py": '__version__ = "0.0.1a1"\n',
            "packages/autogen-core/README.md": "# autogen-core\n",
            "packages/autogen-core/src/autogen_core/__init__.py": "",
            "packages/team-one/readme.md": "# team-one\n",
            "packages/team-one/src/team_one/__init__.py": "",
        },
        # A project-less root: `uv sync` installs its three members.
        ("packages/team-one/pyproject.toml", "packages/autogen-core/pyproject.toml"),
        "packages/team-one/src/team_one/__init__.py",
        trim=True,
    ),
}
PATTERNS = ("lockstrip", "uv-guide", "cache-mount")
SCENARIOS = ("cold", "version bump", "source-only edit", "dependency added")

UV_GUIDE = f"""\
FROM ghcr.io/astral-sh/uv:{UV_VERSION} AS uv
FROM python:3.11-slim
COPY --from=uv /uv /uvx /bin/
ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock /app/
RUN --mount=type=cache,target=/root/.cache/uv \\
    {{download}}
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv sync --locked --no-dev
"""
#: Without the members' pyproject files a workspace syncs --frozen (uv's guide says so).
UV_GUIDE_DOWNLOAD = {
    False: "uv sync --locked --no-install-project --no-dev",
    True: "uv sync --frozen --no-install-workspace --no-dev",
}
CACHE_MOUNT = f"""\
FROM ghcr.io/astral-sh/uv:{UV_VERSION} AS uv
FROM python:3.11-slim
COPY --from=uv /uv /uvx /bin/
ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv sync --locked --no-dev
"""


# --- provisioning: the real wheels, once -----------------------------------------------------


def wheel_cache(project: Project) -> Path:
    return provision.cache_dir() / "bench-wheels" / project.source.name


def _installed(lock: dict[str, Any]) -> set[tuple[str, str | None]]:
    """The (name, version) pairs a trimmed project's relock keeps, under any marker: what the
    workspace's packages and the root's requirements need, without dev groups or extras
    except those the dependencies themselves name."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for package in lock["package"]:
        by_name.setdefault(package["name"], []).append(package)
    manifest = lock.get("manifest", {})
    roots = [
        *((name, ()) for name in manifest.get("members", [])),
        *((r["name"], tuple(r.get("extra", []))) for r in manifest.get("requirements", [])),
    ]
    todo, seen = list(roots), set()
    while todo:
        name, extras = todo.pop()
        for package in by_name.get(name, []):
            key = (name, package.get("version"), extras)
            if key in seen:
                continue
            seen.add(key)
            deps = list(package.get("dependencies", []))
            for extra in extras:
                deps += package.get("optional-dependencies", {}).get(extra, [])
            todo += [(d["name"], tuple(d.get("extra", []))) for d in deps]
    return {(name, version) for name, version, _ in seen}


def _chosen_files(lock: dict[str, Any], trim: bool = False) -> list[dict[str, Any]]:
    """One file per registry package version (of those a trimmed project keeps): the
    target's best wheel, else the smallest."""
    from lockstrip.environment.target import best_artifact, parse_target

    target = parse_target(*TARGET)
    assert target is not None
    kept = _installed(lock) if trim else None
    chosen = []
    for package in lock["package"]:
        if "registry" not in package.get("source", {}):
            continue
        if kept is not None and (package["name"], package.get("version")) not in kept:
            continue
        best = best_artifact(package, target)
        if best is None:
            files = [
                *package.get("wheels", []),
                *([package["sdist"]] if "sdist" in package else []),
            ]
            # The relock wants a file for the image's Python (pywin32 has no sdist).
            ours = [f for f in files if re.search(r"-cp311-|-py3-none-|-py2\.py3-", f["url"])]
            best = min(ours or files, key=lambda f: f.get("size") or 0)
        chosen.append(dict(best))
    return chosen


def provision_wheels(project: Project) -> None:
    folder = wheel_cache(project)
    folder.mkdir(parents=True, exist_ok=True)
    lock = tomllib.loads((project.source / "uv.lock").read_text())
    for file in _chosen_files(lock, project.trim):
        name = file["url"].rsplit("/", 1)[-1]
        if (folder / name).is_file():
            continue
        with urllib.request.urlopen(file["url"], timeout=120) as response:
            data = response.read()
        if "sha256:" + hashlib.sha256(data).hexdigest() != file["hash"]:
            sys.exit(f"{name}: hash mismatch")
        (folder / f".{name}").write_bytes(data)
        (folder / f".{name}").rename(folder / name)
    backends = provision.cache_dir() / "bench-wheels" / "backends"
    backends.mkdir(exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "-d",
            str(backends),
            *BACKENDS,
        ],
        check=True,
    )


def trim(path: Path) -> None:
    """Drop dev groups and extras from a pyproject.toml and raise its Python floor to the
    image's: what is left is the project's main dependency set, as the image installs it."""
    out, table, array = [], False, False
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("["):
            table = line.strip() in ("[dependency-groups]", "[project.optional-dependencies]")
        if re.match(r"(dev-dependencies|optional-dependencies) = \[", line):
            array = True
        if table or array:
            array = array and line.strip() != "]"
            continue
        out.append(re.sub(r'^(requires-python = ">=)3\.(8|9|10)\b', r"\g<1>3.11", line))
    path.write_text("".join(out))


# --- one run ---------------------------------------------------------------------------------


@dataclass
class Build:
    seconds: float
    wheels: int
    bytes: int
    requests: int
    download_step: str
    steps: dict[str, float] = field(default_factory=dict)  # RUN step -> seconds (slow ones)


_DONE = re.compile(r"^#(\d+) DONE (\d+\.\d+)s$", re.MULTILINE)
_NAMED = re.compile(r"^#(\d+) \[([^\]]*)\] (.*)$", re.MULTILINE)


def _step_times(log: str) -> dict[str, float]:
    names = {m.group(1): f"[{m.group(2)}] {m.group(3)[:60]}" for m in _NAMED.finditer(log)}
    return {
        names[m.group(1)]: float(m.group(2)) for m in _DONE.finditer(log) if m.group(1) in names
    }


class Run:
    def __init__(self, project: Project, home: Path, index: Index, keep_mounts: bool) -> None:
        self.project, self.home, self.index, self.keep_mounts = project, home, index, keep_mounts
        self.root = home / project.name
        self.builder = Builder()
        self.workspace = "[tool.uv.workspace]" in (project.source / "pyproject.toml").read_text()

    def uv(self, *args: str) -> None:
        host_uv(self.root, self.index.url, self.home / "uv-cache", *args)

    def setup(self) -> None:
        for pyproject in self.project.source.rglob("pyproject.toml"):
            rel = pyproject.relative_to(self.project.source)
            (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(pyproject, self.root / rel)
            if self.project.trim and rel != Path("pyproject.toml"):
                trim(self.root / rel)
        for name, text in {**self.project.files, ".dockerignore": ".venv\n"}.items():
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            (self.root / name).write_text(text)
        (self.root / "uv.lock").write_text(self.local_lock())
        # Relocked by this uv against this index (which serves the real upload times and
        # sizes, PEP 691/700), so an edit's relock changes only what the edit changes.
        versioned = tomllib.loads((self.root / self.project.versioned[0]).read_text())
        self.uv("lock", "--upgrade-package", versioned["project"]["name"])
        real = tomllib.loads((self.project.source / "uv.lock").read_text())
        ours = tomllib.loads((self.root / "uv.lock").read_text())
        versions = [
            {(p["name"], p["version"]) for p in lock["package"] if "registry" in p["source"]}
            for lock in (real, ours)
        ]
        # Trimmed, the relock keeps a subset (what the Python floor drops goes too).
        changed = versions[1] - versions[0] if self.project.trim else versions[1] ^ versions[0]
        assert not changed, f"the relock changed versions: {sorted(map(str, changed))}"
        self.builder.start()
        base_images(self.builder, self.index.url)

    def local_lock(self) -> str:
        """The real lock pointed at the local index, listing only the files it serves; the
        relock then keeps every locked version (uv prefers them)."""
        served = {path.name for path in wheel_cache(self.project).iterdir()}
        files = self.index.url.removesuffix("/simple") + "/files/"
        lines = []
        for line in (self.project.source / "uv.lock").read_text().splitlines():
            named = re.search(r'url = "[^"]*/([^"/]+)".*upload-time = "([^"]+)"', line)
            if named:
                self.index.upload_times[named.group(1)] = named.group(2)
        for line in (self.project.source / "uv.lock").read_text().splitlines(keepends=True):
            url = re.search(r'url = "https://files\.pythonhosted\.org/[^"]*/([^"/]+)"', line)
            if url and url.group(1) not in served:
                continue
            if url:
                line = line.replace(url.group(0), f'url = "{files}{url.group(1)}"')
            lines.append(line.replace("https://pypi.org/simple", self.index.url))
        return re.sub(r"^wheels = \[\n\]\n", "", "".join(lines), flags=re.MULTILINE)

    def edit(self, scenario: str) -> None:
        if scenario == "version bump":
            for rel in self.project.versioned:
                path = self.root / rel
                old = re.search(r'^version = "([^"]+)"$', path.read_text(), re.MULTILINE)
                assert old is not None
                new = re.sub(r"\d+$", lambda m: str(int(m.group(0)) + 1), old.group(1))
                replace(path, old.group(0), f'version = "{new}"')
            self.uv("lock")
        elif scenario == "source-only edit":
            with (self.root / self.project.module).open("a") as handle:
                handle.write("\nEDITED = True\n")
        elif scenario == "dependency added":
            path = self.root / self.project.versioned[0]
            replace(path, "\ndependencies = [", '\ndependencies = [\n    "benchdep",')
            self.uv("lock")

    def dockerfile(self, pattern: str) -> Path:
        path = self.home / f"{self.project.name}.{pattern}.Dockerfile"
        if pattern == "lockstrip":
            printed = subprocess.run(
                [sys.executable, "-m", "lockstrip", "dockerfile", str(self.root)],
                capture_output=True,
                text=True,
                check=True,
            )
            path.write_text(printed.stdout)
        elif pattern == "uv-guide":
            path.write_text(UV_GUIDE.format(download=UV_GUIDE_DOWNLOAD[self.workspace]))
        else:
            path.write_text(CACHE_MOUNT)
        return path

    def build(self, pattern: str, tag: str) -> Build:
        dockerfile = self.dockerfile(pattern)
        if not self.keep_mounts:
            self.builder.forget_cache_mounts()
        requests, sent = self.index.requests, self.index.bytes_served
        start = time.perf_counter()
        log = self.builder.build(self.root, dockerfile, tag)
        seconds = time.perf_counter() - start
        served = self.index.served_since(requests)
        wheels = sum(1 for p in served if p.startswith("GET /files/") and p.endswith(".whl"))
        needle = ("uv sync ", "--no-install-") if pattern != "cache-mount" else ("uv sync ",)
        return Build(
            seconds,
            wheels,
            self.index.bytes_served - sent,
            len(served),
            step_state(log, *needle),
            _step_times(log),
        )


def run_once(project: Project, keep_mounts: bool, scenarios: tuple[str, ...]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="rebuild-bench-") as scratch:
        home = Path(scratch)
        served = home / "index"
        served.mkdir()
        lockstrip_wheel(served, home / "uv-cache")
        for folder in (wheel_cache(project), provision.cache_dir() / "bench-wheels" / "backends"):
            for path in folder.iterdir():
                if not path.name.startswith("."):
                    shutil.copy2(path, served / path.name)
        for path in provision.wheelhouse().glob("*.whl"):
            shutil.copy2(path, served / path.name)
        write_wheel(served, "benchdep", "1.0.0")
        with serve(served) as index:
            run = Run(project, home, index, keep_mounts)
            try:
                run.setup()
                for step, scenario in enumerate(scenarios):
                    run.edit(scenario)
                    results[scenario] = {
                        p: run.build(p, f"bench-{p}:{step}").__dict__ for p in PATTERNS
                    }
            finally:
                run.builder.stop()
    return results


# --- the report ------------------------------------------------------------------------------


def median(runs: list[dict[str, Any]], scenario: str, pattern: str, key: str) -> float:
    return float(statistics.median(r[scenario][pattern][key] for r in runs))


def render(all_runs: dict[str, list[dict[str, Any]]], meta: dict[str, str]) -> list[str]:
    lines = [
        "## Docker rebuilds",
        "",
        "Real BuildKit (a private dockerd, tests/e2e/builder.py), real projects: `single` is",
        "astral-sh/uv-docker-example (fastapi[standard], 39 files for the image), `workspace`",
        "the uv monorepo example of langgraph's CLI (a virtual root whose dependencies the",
        "image installs, an app and a library; 35 files; its version bump moves the root's and",
        "the library's releases, its other edits are the root's dependencies and the library's",
        "source), and `large` microsoft/autogen at fa826ab (three hatchling members; 86 wheels,",
        "142 MB for the image: numpy, pandas, openai, ...; the members' dev groups and extras",
        "left out, whose torch alone is gigabytes). Their real wheels are served from 127.0.0.1",
        "by the counting index of",
        "tests/e2e and each lock is relocked against it with the same versions. Patterns:",
        "`lockstrip` is what `lockstrip dockerfile` prints, `uv-guide` uv's Docker guide",
        "(`COPY pyproject.toml uv.lock`, `uv sync --locked --no-install-project`, then the",
        "source), `cache-mount` one `uv sync --locked` after `COPY . /app`. Each run is a fresh",
        "daemon: the cold build, then each edit in turn, rebuilt with the three patterns.",
        "Wheels, MB and requests are what the index served during the build (lockstrip's cold",
        "build includes `pip install lockstrip` in its export stage).",
        "",
        "    python3 tests/e2e/provision.py && python bench/rebuild_bench.py --provision  # once",
        "    python bench/rebuild_bench.py --write        # 3 runs of every project, ~10 min",
        "    python bench/rebuild_bench.py --quick        # one run of the single project",
        "    python bench/rebuild_bench.py --only workspace --runs 1",
        "",
        f"Run {meta['date']} on {meta['machine']}; load average {meta['load_start']} at the "
        f"start, {meta['load_end']} at the end; {meta['versions']}. Median of "
        f"{meta['runs']} runs ({meta['mounts']}).",
        "",
        "| project | rebuild | pattern | wall s | wheels | MB | requests | download step |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for name, runs in all_runs.items():
        for scenario in SCENARIOS:
            if scenario not in runs[0]:
                continue
            for pattern in PATTERNS:
                states = sorted({r[scenario][pattern]["download_step"] for r in runs})
                lines.append(
                    f"| {name} | {scenario} | {pattern} "
                    f"| {median(runs, scenario, pattern, 'seconds'):.1f} "
                    f"| {median(runs, scenario, pattern, 'wheels'):.0f} "
                    f"| {median(runs, scenario, pattern, 'bytes') / 1e6:.1f} "
                    f"| {median(runs, scenario, pattern, 'requests'):.0f} "
                    f"| {'/'.join(states)} |"
                )
    return lines


def headline(all_runs: dict[str, list[dict[str, Any]]], meta: dict[str, str]) -> list[str]:
    lines = [
        "| version bump, rebuild | pattern | wall | wheels | MB | index requests |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, runs in all_runs.items():
        for pattern in PATTERNS:
            s = "version bump"
            lines.append(
                f"| {name} | {pattern} | {median(runs, s, pattern, 'seconds'):.1f} s "
                f"| {median(runs, s, pattern, 'wheels'):.0f} "
                f"| {median(runs, s, pattern, 'bytes') / 1e6:.1f} "
                f"| {median(runs, s, pattern, 'requests'):.0f} |"
            )
    lines += [
        "",
        f"Measured {meta['date']} on {meta['machine']} with real BuildKit, medians of "
        f"{meta['runs']} ({meta['mounts']}); `bench/rebuild_bench.py`, "
        "[BENCHMARKS.md](BENCHMARKS.md#docker-rebuilds).",
    ]
    return lines


def replace_between(path: Path, start: str, end: str, body: list[str]) -> None:
    text = path.read_text()
    block = "\n".join([start, *body, end])
    if start in text:
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        path.write_text(head + block + tail)
    else:
        path.write_text(text.rstrip("\n") + "\n\n" + block + "\n")


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--provision", action="store_true", help="download the wheels, once")
    parser.add_argument("--only", default="", help="comma-separated projects (default: all)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run of the single project")
    parser.add_argument("--keep-cache-mounts", action="store_true")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md, README.md")
    parser.add_argument("--json", type=Path, help="also write every build's figures here")
    parser.add_argument("--from-json", type=Path, help="report a saved --json run, no builds")
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        report(saved["runs"], saved["meta"], args.write)
        return
    names = [n for n in args.only.split(",") if n] or list(PROJECTS)
    if args.quick:
        names, args.runs = ["single"], 1
    projects = [PROJECTS[n] for n in names if PROJECTS[n].source.is_dir()]
    if args.provision:
        for project in projects:
            provision_wheels(project)
        return
    why = provision.unavailable() or provision.not_provisioned()
    missing = [p.name for p in projects if not wheel_cache(p).is_dir()]
    if why or missing:
        sys.exit(f"not provisioned: {why or ''} {missing} (see the docstring)")
    docker = subprocess.run(["dockerd", "--version"], capture_output=True, text=True).stdout
    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores ({_cpu()})",
        "load_start": _load(),
        "versions": f"lockstrip {__version__}, uv {UV_VERSION}, {docker.strip()}",
        "runs": str(args.runs),
        "mounts": "cache mounts kept"
        if args.keep_cache_mounts
        else "cache mounts emptied before each build, layer cache kept",
    }
    all_runs: dict[str, list[dict[str, Any]]] = {}
    for project in projects:
        for n in range(args.runs):
            start = time.perf_counter()
            result = run_once(project, args.keep_cache_mounts, SCENARIOS)
            all_runs.setdefault(project.name, []).append(result)
            print(f"{project.name} run {n + 1}: {time.perf_counter() - start:.0f} s", flush=True)
    meta["load_end"] = _load()
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "runs": all_runs}, indent=1))
    report(all_runs, meta, args.write)


def report(all_runs: dict[str, list[dict[str, Any]]], meta: dict[str, str], write: bool) -> None:
    table = render(all_runs, meta)
    print("\n".join(table))
    if write:
        replace_between(
            ROOT / "BENCHMARKS.md", "<!-- rebuild:start -->", "<!-- rebuild:end -->", table
        )
        replace_between(
            ROOT / "README.md",
            "<!-- rebuild-headline:start -->",
            "<!-- rebuild-headline:end -->",
            headline(all_runs, meta),
        )


if __name__ == "__main__":
    main()
