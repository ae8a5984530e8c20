"""Replay real commit series and count how often each download-layer input changes.

A Docker download layer is rebuilt (every third-party package downloaded again) whenever
the bytes of its inputs change. ../shared/histories holds the last 80 commits of six real
projects that touched uv.lock, pyproject.toml or a workspace member's pyproject.toml (its
README gives the format). For every series this replays each commit against the one before
it and counts the transitions (rows 1..N-1; row 0 has no predecessor and is not counted)
on which each candidate layer input changes:

* (a) today's pattern: the bytes of pyproject.toml, uv.lock and the members' pyproject files;
* (b) `uv export --frozen --offline --no-emit-workspace --no-emit-local --no-header` output
  as the layer input, with `--all-packages --all-extras --all-groups` so that it covers what
  the dataset's definition covers, hashes and `# via` annotations kept. Where uv refuses
  extras that conflict, it is rerun with the dataset's fallback (`--no-extra`/`--no-group`
  for all but one item of each conflict set, a group kept when there is one), and that
  output is the layer input; a commit uv cannot export at all counts as changed;
* (c) lockstrip's default export (`build_export(project, "frozen")`, all files);
* (d) its `--mode locked` export;
* (e) its digest (`compute_digest(project).value`);
* (f) its third-party hash (`render.digest.third_party_hash`), which leaves out what
  local packages pull, the manifest and the `[tool.uv]` settings;
* the lower bound: the commits where uv's view of the third-party set changed, which is
  the dataset's `thirdparty_changed` column (its conflict-fallback column where the first
  says "error"). No cache-correct layer input changes less often.

A transition where the lower bound changed but (c), (d), (e) or (f) did not is a
correctness bug: the cached layer would ship stale dependencies. The replay then exits 1
and names the commits. It also recomputes uv's view from (b)'s output (annotation lines
dropped, which is byte for byte `--no-annotate`) and checks (a) against the dataset's
`raw_changed`/`members_changed`, and reports any disagreement with commits.tsv.

Where (c) or (e) changes and the lower bound does not, the transition is classified by what
lockstrip's explanation (`render.explain.explain`) finds, in this order: the third-party
hash changed (a change uv's flattened export hides), a local package added or removed, a
local package's edges (what it pulls), the lock's `[manifest]`, install settings, and for
(c) alone the lock `revision`. These are the commits where (c) and (e) cannot equal the
lower bound: what a scoped install (`uv sync` without `--all-extras`, `--package NEW`)
installs changed, or the files `uv sync --frozen` reads did.

With `--scoped` it replays per scope instead: for each series, the scopes a Dockerfile
keys its download layer on (`--no-dev`; `--package M --no-dev` for two members of each
workspace, SCOPE_MEMBERS). The lower bound is then uv's view of that scope, computed per
commit: `uv export --frozen --no-emit-workspace --no-emit-local --no-annotate --no-header`
with the same flags. It counts the transitions on which the scoped export the Dockerfile's
download step reads (`build_export(project, "frozen", scope, skip=...)`: in a workspace
with `--no-install-workspace` or `--no-install-local`, as `lockstrip dockerfile` writes it;
every file) and the scoped digest
(`compute_digest(project, scope)`) change, the misses (uv's view changed, the export or the
digest did not: exit 1), and classifies each change beyond the lower bound (SCOPED_REASONS:
first what the install takes, then the export's files). `--verify N` also writes the
scoped export of every Nth commit and checks that uv reads it as it reads the project
(`uv export --no-annotate`, `uv sync --dry-run` with the download step's `--no-install-...`,
same flags).

Usage: `python bench/replay.py [--histories DIR] [--write] [--series NAME ...] [--scoped
[--verify N] [--json FILE]]`. Without `--write` the section is printed; with it, the part
of BENCHMARKS.md between `<!-- replay:start -->` and `<!-- replay:end -->` (with
`--scoped`: `<!-- replay-scoped:start -->` and its end) is replaced (appended when absent),
and nothing else in the file is touched. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lockstrip import __version__
from lockstrip.formats.explanation import Explanation
from lockstrip.formats.uv.model.locals import local_id
from lockstrip.formats.uv.model.project import Project, read_project
from lockstrip.formats.uv.render.digest import compute_digest, digest_view, third_party_hash
from lockstrip.formats.uv.render.explain import explain
from lockstrip.formats.uv.render.export import build_export
from lockstrip.io.tomlread import parse_toml

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "BENCHMARKS.md"
DEFAULT_HISTORIES = ROOT.parent / "shared" / "histories"
START, END = "<!-- replay:start -->", "<!-- replay:end -->"

#: The environment every `uv export` runs in: no config, no downloads, no network.
UV_ENV = {"UV_PYTHON": "python3", "UV_PYTHON_DOWNLOADS": "never", "UV_NO_CONFIG": "1"}
UV_FLAGS = (
    *("export", "--frozen", "--offline", "--no-emit-workspace", "--no-emit-local"),
    *("--no-header", "--all-packages", "--all-extras", "--all-groups"),
)
CONFLICT_ERROR = "incompatible with the declared conflicts"

#: The measured layer inputs, in table order: key -> column heading.
MEASURES = {
    "raw": "(a) raw bytes",
    "uv": "(b) uv export",
    "frozen": "(c) export",
    "locked": "(d) export --mode locked",
    "digest": "(e) digest",
    "third_party": "(f) third-party hash",
}
#: What must change wherever the lower bound does.
MUST_CHANGE = ("frozen", "locked", "digest", "third_party")

#: Why (c) or (e) changed while the lower bound did not, in the order they are tried.
#: The first six change the digest; the rest change only the export's bytes.
REASONS = {
    "third-party-markers": "uv re-simplified the markers of third-party edges; `uv export` "
    "prints their union, which did not change",
    "third-party": "the third-party hash changed, uv's flattened export did not",
    "local-added": "a local package (workspace member) was added or removed",
    "local-edges": "what a local package pulls changed (its dependencies, extras or groups)",
    "manifest": "the lock's `[manifest]` changed (members, constraints, overrides)",
    "settings": "requires-python, markers or `[tool.uv]` install settings changed",
    "revision": "the lock `revision` changed",
    "uv-settings": "a `[tool.uv]` install setting the export keeps for uv (such as "
    "`index`, `no-build`)",
    "build-constraints": "the lock's `[manifest] build-constraints`, which `uv sync --frozen` "
    "builds sdists under",
    "group-names": "a member declared a dependency group (the export keeps group names)",
    "source-spelling": "a registry URL's spelling (a trailing slash), which the digest normalizes",
    "local-version": "a local package's masked version appeared or went away (it became dynamic)",
    "other": "unclassified",
}
#: The reasons lockstrip counts by design: what some scoped install installs changed.
BY_DESIGN = ("local-added", "local-edges", "manifest", "settings")
_KIND_REASON = {
    "local-added": "local-added",
    "local-removed": "local-added",
    "groups": "local-edges",
    "extras": "local-edges",
    "dependencies": "local-edges",
    "manifest": "manifest",
}
#: Where an export-only change shows (file:key path, see `changed_paths`) -> its reason.
_PATH_REASON = (
    ("uv.lock:revision", "revision"),
    ("pyproject:tool.uv", "uv-settings"),
    ("uv.lock:manifest.build-constraints", "build-constraints"),
    ("pyproject:dependency-groups", "group-names"),
    ("uv.lock:package.source.registry (spelling)", "source-spelling"),
    ("uv.lock:package (local).version", "local-version"),
)
_LOCAL_SOURCES = ("editable", "virtual", "directory", "path")
DETAIL_LIMIT = 200


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the dataset -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Commit:
    """One row of a series' commits.tsv and the folder holding its files."""

    nnn: str
    folder: Path
    lower_bound: bool  # uv's view of the third-party set changed (row 0: True)
    raw_changed: bool  # root files or member files changed, per the dataset
    root_changed: bool  # pyproject.toml or uv.lock changed (members left out), per the dataset


def lower_bound(row: Mapping[str, str]) -> bool:
    value = row["thirdparty_changed"]
    if value == "error":  # uv refused the conflicting extras: the fallback column answers
        value = row["thirdparty_changed_conflict_fallback"]
    if value not in ("0", "1"):
        raise SystemExit(f"replay: commit {row['NNN']}: no lower bound ({value!r})")
    return value == "1"


def series_names(histories: Path) -> list[str]:
    return sorted(p.name.removesuffix(".commits.tsv") for p in histories.glob("*.commits.tsv"))


def extract(histories: Path, name: str, scratch: Path) -> list[Commit]:
    """Unpack one series into `scratch` and read its commits.tsv."""
    with tarfile.open(histories / f"{name}.tar.xz") as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
            tar.extractall(scratch, filter="data")
        else:  # pragma: no cover
            tar.extractall(scratch)
    with (histories / f"{name}.commits.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        Commit(
            nnn=row["NNN"],
            folder=scratch / name / f"{row['NNN']}-{row['sha'][:10]}",
            lower_bound=lower_bound(row),
            raw_changed="1" in (row["raw_changed"], row["members_changed"]),
            root_changed=row["raw_changed"] == "1",
        )
        for row in rows
    ]


# --- one commit's layer inputs -----------------------------------------------------------


def sha256(parts: Iterable[bytes]) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(hashlib.sha256(part).digest())
    return hasher.hexdigest()


def raw_hash(folder: Path) -> str:
    """(a): every file of the commit: pyproject.toml, uv.lock, members' pyproject files."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return sha256(
        part for p in files for part in (p.relative_to(folder).as_posix().encode(), p.read_bytes())
    )


def export_hash(files: Mapping[str, str]) -> str:
    return sha256(
        part for rel, text in sorted(files.items()) for part in (rel.encode(), text.encode())
    )


@dataclasses.dataclass(frozen=True)
class UvResult:
    """(b)'s layer input (None when uv could not export) and uv's view without annotations."""

    layer: str | None
    view: str | None
    fallback: tuple[str, ...] = ()


def conflict_fallback(folder: Path) -> list[str]:
    """The dataset's fallback: drop all but one item (a group when there is one) of each set."""
    lock = parse_toml((folder / "uv.lock").read_text(encoding="utf-8"), folder / "uv.lock")
    flags: list[str] = []
    for items in lock.get("conflicts", []):
        kept = next((item for item in items if "group" in item), items[0])
        for item in items:
            if item is kept:
                continue
            flag = (
                ["--no-group", item["group"]] if "group" in item else ["--no-extra", item["extra"]]
            )
            if not any(flags[i : i + 2] == flag for i in range(0, len(flags), 2)):
                flags += flag
    return flags


def uv_export(uv: str, folder: Path, env: Mapping[str, str]) -> UvResult:
    """(b): `uv export` in the commit's folder, with the conflict fallback when needed."""
    argv = [uv, *UV_FLAGS]
    result = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, check=False)
    fallback: list[str] = []
    if result.returncode != 0 and CONFLICT_ERROR in result.stderr:
        fallback = conflict_fallback(folder)
        result = subprocess.run(
            argv + fallback, cwd=folder, env=env, capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        return UvResult(None, None, tuple(fallback))
    view = "".join(
        line for line in result.stdout.splitlines(keepends=True) if not line.startswith("    #")
    )
    return UvResult(result.stdout, view, tuple(fallback))


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """One commit reduced to a fingerprint per measure (None: uv failed, counts as changed)."""

    values: Mapping[str, str | None]
    view: str | None  # uv's view without annotations, for checking the dataset
    revision: int


def snapshot(project: Project, folder: Path, uv: UvResult) -> Snapshot:
    values: dict[str, str | None] = {
        "raw": raw_hash(folder),
        "uv": None if uv.layer is None else sha256([uv.layer.encode()]),
        "frozen": export_hash(build_export(project, "frozen").files),
        "locked": export_hash(build_export(project, "locked").files),
        "digest": compute_digest(project).value,
        "third_party": third_party_hash(project),
    }
    view = None if uv.view is None else sha256([uv.view.encode()])
    return Snapshot(values, view, project.lock.revision)


# --- transitions -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Transition:
    series: str
    nnn: str
    changed: Mapping[str, bool]  # measure -> changed
    lower_bound: bool
    uv_view_changed: bool  # recomputed from this run's uv export
    raw_changed: bool  # per the dataset
    root_changed: bool  # per the dataset
    reason: str | None = None  # why (c) or (e) changed beyond the lower bound
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{self.series} {self.nnn}"


def differs(old: str | None, new: str | None) -> bool:
    return old is None or new is None or old != new


def classify(old: Project, new: Project) -> tuple[str, str]:
    """Why (c) or (e) changed although uv's view did not: (a key of REASONS, detail)."""
    if third_party_hash(old) != third_party_hash(new):
        return third_party_reason(old, new)
    explanation = explain(old, new)
    if explanation.digest_changed:
        return digest_reason(explanation, local_names(old, new))
    return export_reason(build_export(old).files, build_export(new).files)


def local_names(*projects: Project) -> set[str]:
    return {name for project in projects for name in project.locals.by_name}


def third_party_tables(project: Project, markers: bool) -> dict[str, str]:
    """`name version` -> the third-party package's digest-view table (markers dropped or not)."""
    packages = (p for p in digest_view(project)["lock"]["package"] if "name" in p)
    return {
        f"{p['name']} {p.get('version', '')}": json.dumps(
            p if markers else drop_markers(p), sort_keys=True, default=str
        )
        for p in packages
    }


def drop_markers(value: Any) -> Any:
    if isinstance(value, Mapping):
        keep = {k: v for k, v in value.items() if k not in ("marker", "resolution-markers")}
        return {k: drop_markers(v) for k, v in keep.items()}
    if isinstance(value, list):
        return [drop_markers(v) for v in value]
    return value


def third_party_reason(old: Project, new: Project) -> tuple[str, str]:
    before, after = third_party_tables(old, True), third_party_tables(new, True)
    moved = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    what = f"{len(moved)} third-party packages' tables changed ({few(moved)})"
    if third_party_tables(old, False) == third_party_tables(new, False):
        return "third-party-markers", f"{what}, in edge markers only"
    return "third-party", what


def digest_reason(explanation: Explanation, local: set[str]) -> tuple[str, str]:
    found: dict[str, list[str]] = {}
    for change in explanation.changes:
        key = _KIND_REASON.get(change.kind, "settings")
        if key == "local-edges" and change.subject not in local:
            key = "other"
        found.setdefault(key, []).append(change.detail)
    key = next((k for k in REASONS if k in found), "other")
    return key, "; ".join(found.get(key, ["digest changed, no change line"]))


def export_reason(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[str, str]:
    paths = set()
    for rel in sorted(old.keys() | new.keys()):
        name = "uv.lock" if rel == "uv.lock" else "pyproject"
        before, after = (parse(files.get(rel), rel) for files in (old, new))
        paths |= changed_paths(before, after, f"{name}:")
    for prefix, key in _PATH_REASON:
        if any(path.startswith(prefix) for path in paths):
            return key, ", ".join(sorted(paths))
    return "other", ", ".join(sorted(paths)) or "export bytes changed, not its data"


def parse(text: str | None, rel: str) -> Any:
    return None if text is None else parse_toml(text, Path(rel))


def changed_paths(old: Any, new: Any, path: str) -> set[str]:
    """Where two TOML documents differ, as dotted key paths; uv.lock packages are matched by
    name and version, local ones marked `(local)`, and a registry URL that differs only by a
    trailing slash marked `(spelling)`."""
    if old == new:
        return set()
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        sep = "" if path.endswith(":") else "."
        return {
            found
            for key in old.keys() | new.keys()
            for found in changed_paths(old.get(key), new.get(key), f"{path}{sep}{key}")
        }
    if path == "uv.lock:package" and isinstance(old, list) and isinstance(new, list):
        return package_paths(old, new)
    if path.endswith("source.registry") and str(old).rstrip("/") == str(new).rstrip("/"):
        return {f"{path} (spelling)"}
    return {path}


def package_paths(old: list[Any], new: list[Any]) -> set[str]:
    def by_key(packages: list[Any]) -> dict[str, Any]:
        return {f"{p.get('name')} {p.get('version', '')}": p for p in packages}

    def label(package: Any) -> str:
        local = any(k in package.get("source", {}) for k in _LOCAL_SOURCES)
        return "uv.lock:package (local)" if local else "uv.lock:package"

    before, after = by_key(old), by_key(new)
    names = {p.get("name") for p in old} ^ {p.get("name") for p in new}
    if names:  # a package came or went, which the digest would have seen
        return {f"uv.lock:package (added or removed: {few(sorted(map(str, names)))})"}
    paths = set()
    for key in before.keys() | after.keys():
        a, b = before.get(key), after.get(key)
        if a is None or b is None:  # the same names, another version: a local package's mask
            paths.add(f"{label(a or b)}.version")
        else:
            paths |= changed_paths(a, b, label(a))
    return paths


def few(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def transition(
    series: str, commit: Commit, pair: tuple[Snapshot, Snapshot], projects: tuple[Project, Project]
) -> Transition:
    old, new = pair
    changed = {key: differs(old.values[key], new.values[key]) for key in MEASURES}
    found = Transition(
        series,
        commit.nnn,
        changed,
        commit.lower_bound,
        differs(old.view, new.view),
        commit.raw_changed,
        commit.root_changed,
    )
    if commit.lower_bound or not (changed["frozen"] or changed["digest"]):
        return found
    why, detail = classify(*projects)
    return dataclasses.replace(found, reason=why, detail=detail)


def replay_series(
    name: str, commits: Sequence[Commit], uv: str, env: Mapping[str, str]
) -> list[Transition]:
    """Every transition of one series; uv exports run in threads while Python reads."""
    workers = max(2, os.cpu_count() or 2)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(uv_export, uv, c.folder, env) for c in commits]
        previous: tuple[Project, Snapshot] | None = None
        found = []
        for commit, future in zip(commits, futures, strict=True):
            project = read_project(commit.folder)
            current = snapshot(project, commit.folder, future.result())
            if previous is not None:
                found.append(
                    transition(name, commit, (previous[1], current), (previous[0], project))
                )
            previous = (project, current)
    return found


# --- the report ---------------------------------------------------------------------------


@dataclasses.dataclass
class Summary:
    series: str
    commits: int
    transitions: list[Transition] = dataclasses.field(default_factory=list)

    def count(self, key: str) -> int:
        return sum(t.changed[key] for t in self.transitions)

    @property
    def lower(self) -> int:
        return sum(t.lower_bound for t in self.transitions)


def missed(transitions: Iterable[Transition]) -> list[str]:
    """The correctness check: where uv's view changed and a lockstrip input did not."""
    return [
        f"{t.label}: uv's third-party set changed but lockstrip's "
        f"{', '.join(MEASURES[k] for k in MUST_CHANGE if not t.changed[k])} did not"
        for t in transitions
        if (t.lower_bound or t.uv_view_changed) and not all(t.changed[k] for k in MUST_CHANGE)
    ]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def counts_table(summaries: Sequence[Summary]) -> str:
    def row(label: str, commits: int, group: Sequence[Summary]) -> list[str]:
        transitions = sum(len(s.transitions) for s in group)
        measures = [str(sum(s.count(key) for s in group)) for key in MEASURES]
        return [label, str(commits), str(transitions), *measures, str(sum(s.lower for s in group))]

    rows = [row(s.series, s.commits, [s]) for s in summaries]
    total = row("**total**", sum(s.commits for s in summaries), summaries)
    header = ["series", "commits", "transitions", *MEASURES.values(), "lower bound"]
    return table(header, [*rows, total])


def reasons_table(transitions: Sequence[Transition]) -> str:
    rows = []
    for key, text in REASONS.items():
        hits = [t for t in transitions if t.reason == key]
        if not hits:
            continue
        frozen = sum(t.changed["frozen"] for t in hits)
        digest = sum(t.changed["digest"] for t in hits)
        rows.append([f"`{key}`: {text}", str(frozen), str(digest), commit_list(hits)])
    return table(["reason", "(c) export", "(e) digest", "commits"], rows)


def commit_list(transitions: Iterable[Transition]) -> str:
    by_series: dict[str, list[str]] = {}
    for t in transitions:
        by_series.setdefault(t.series, []).append(t.nnn)
    return "; ".join(f"{name} {', '.join(nnns)}" for name, nnns in by_series.items())


def details(transitions: Sequence[Transition]) -> list[str]:
    """The transitions outside the by-design reasons, each with what changed."""
    lines = []
    for t in transitions:
        if t.reason is None or t.reason in BY_DESIGN:
            continue
        detail = t.detail if len(t.detail) <= DETAIL_LIMIT else t.detail[: DETAIL_LIMIT - 3] + "..."
        only = "" if t.changed["digest"] else ", (c) only"
        lines.append(f"- {t.label} (`{t.reason}`{only}): {detail}")
    return lines


def checks(transitions: Sequence[Transition], failures: Sequence[str]) -> list[str]:
    view = [t.label for t in transitions if t.uv_view_changed != t.lower_bound]
    raw = [t.label for t in transitions if t.changed["raw"] != t.raw_changed]
    n = len(transitions)
    lower = sum(t.lower_bound for t in transitions)
    return [
        f"- Missed changes (lower bound changed, (c), (d), (e) or (f) did not): "
        f"{len(failures)} of {lower}" + (f": {'; '.join(failures)}" if failures else "."),
        f"- uv's view recomputed by this run ((b) without annotation lines) agrees with "
        f"commits.tsv on {n - len(view)} of {n} transitions"
        + (f"; not on {', '.join(view)}" if view else "."),
        f"- (a) agrees with commits.tsv's `raw_changed`/`members_changed` on {n - len(raw)} "
        f"of {n}" + (f"; not on {', '.join(raw)}" if raw else "."),
    ]


def uv_version(uv: str) -> str:
    result = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True)
    return result.stdout.strip()


INTRO = (
    "Written by `bench/replay.py` (`python bench/replay.py --write`, which replaces only this "
    "section); what it measures and why is in its docstring. Each series is the last 80 commits "
    "of a real project that touched uv.lock or a pyproject file (`../shared/histories`). A "
    "column counts the transitions (commits 1..N-1, each against the commit before it; commit 0 "
    "is not a transition) on which that layer input's bytes changed, so that the download layer "
    "is rebuilt: (a) pyproject.toml, uv.lock and the members' pyproject files; (b) `uv export "
    "--frozen --offline --no-emit-workspace --no-emit-local --no-header --all-packages "
    "--all-extras --all-groups`, hashes and `# via` annotations kept (where uv refuses "
    "conflicting extras, the dataset's fallback: `--no-extra` for all but one item of each "
    "conflict set); (c) `lockstrip export`; (d) `lockstrip export --mode locked`; (e) "
    "`lockstrip digest`; (f) lockstrip's third-party hash (`third_party_hash`); lower bound: "
    "uv's view of the third-party set changed (commits.tsv `thirdparty_changed`, or its "
    "conflict-fallback column where that says `error`)."
)


def section(summaries: Sequence[Summary], failures: Sequence[str], uv: str) -> str:
    transitions = [t for s in summaries for t in s.transitions]
    beyond = [t for t in transitions if t.reason is not None]
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        START,
        "## History replay: download-layer invalidations",
        f"{INTRO} {uv_version(uv)}, lockstrip {__version__}, {date}.",
        counts_table(summaries),
        f"(a) changes on every transition because each series holds only commits that changed "
        f"one of its files; without the members' files it changes on "
        f"{sum(t.root_changed for t in transitions)} (commits.tsv `raw_changed`). "
        "(b) exceeds the lower bound only through its `# via` annotations, which name the "
        "local packages that pull each requirement: without them it is uv's view (checked "
        "below).",
        "### Correctness",
        "\n".join(checks(transitions, failures)),
        "### Where (c) and (e) exceed the lower bound",
        f"{len(beyond)} transitions changed (c) or (e) but not the lower bound. Each is "
        "classified automatically (the third-party hash, then `render.explain`, then the "
        "export's files) under the first reason that applies. "
        f"{', '.join(f'`{k}`' for k in BY_DESIGN)} change what some scoped install (`uv sync` "
        "without `--all-extras`, `--package NAME`) installs, which uv's union export cannot "
        "show, so lockstrip counts them by design.",
        reasons_table(beyond) if beyond else "None.",
        "The others, with what changed:",
        "\n".join(details(transitions)) or "None.",
        END,
    ]
    return "\n\n".join(parts) + "\n"


def write_section(text: str, report: Path = REPORT) -> None:
    """Replace the marked section of `report`, or append it; the rest stays byte for byte."""
    current = report.read_text(encoding="utf-8") if report.exists() else ""
    start, end = current.find(START), current.find(END)
    if start != -1 and end > start:
        updated = current[:start] + text.rstrip("\n") + current[end + len(END) :]
    else:
        updated = current + ("\n" if current and not current.endswith("\n") else "")
        updated += ("\n" if current else "") + text
    report.write_text(updated, encoding="utf-8")


# --- per-scope replay ----------------------------------------------------------------------
#
# A Dockerfile keys its download layer on a scoped export (`lockstrip export --no-dev`, or
# `--package M --no-dev` for one service of a workspace). Its lower bound is uv's own view
# of that scope: `uv export --frozen --no-emit-workspace --no-emit-local --no-annotate
# --no-header` with the same flags, per commit.

#: The scopes replayed: `--no-dev` on every series, and `--package M --no-dev` for two
#: members of each workspace (members present at every commit of the series).
SCOPE_MEMBERS = {
    "livekit__agents": ("livekit-agents", "livekit-plugins-openai"),
    "microsoft__autogen__python": ("autogen-agentchat", "autogen-ext"),
    "modelcontextprotocol__python-sdk": ("mcp-simple-tool", "mcp-snippets"),
    "pydantic__pydantic-ai": ("pydantic-ai-slim", "pydantic-evals"),
}
SCOPED_UV_FLAGS = (
    *("export", "--frozen", "--offline", "--no-emit-workspace", "--no-emit-local"),
    *("--no-annotate", "--no-header"),
)
#: How `--verify` compares the export with the project: uv's export (hashes and markers;
#: not its `# via` annotations, which can name a parent the scope never installs, such as
#: the other version of a package split by conflicting extras) and its install plan.
VERIFY_EXPORT = (
    "export",
    "--frozen",
    "--offline",
    "--no-header",
    "--no-emit-local",
    "--no-annotate",
)
VERIFY_SYNC = ("sync", "--frozen", "--offline", "--dry-run")
SCOPED_START, SCOPED_END = "<!-- replay-scoped:start -->", "<!-- replay-scoped:end -->"
#: The scoped measures: key -> column heading.
SCOPED_MEASURES = {"export": "scoped export", "digest": "scoped digest"}
#: Why a scoped export or digest changed while uv's view of the scope did not, in the order
#: they are tried; the first four change what `uv sync --frozen SCOPE` installs or reads.
SCOPED_REASONS = {
    "local-installed": "a local package the scope installs came or went (uv's view leaves "
    "local packages out; the install still installs them)",
    "third-party-markers": "uv re-simplified the markers of third-party edges the scope "
    "follows; `uv export` prints their union, which did not change",
    "third-party-edges": "which third-party package pulls which changed (uv's view is flat)",
    "local-edges": "what a local package in the scope pulls changed (its edges), not the set",
    "settings": "requires-python or an install setting the scope reads changed",
    "revision": "the lock `revision` changed",
    "lock-level": "a lock-level field (`resolution-markers`, `supported-markers`, "
    "`conflicts`) the export keeps",
    "members": "a workspace member the export keeps came or went (skeleton, `[manifest] members`)",
    "uv-settings": "a `[tool.uv]` setting the export keeps",
    "build-constraints": "the lock's `[manifest] build-constraints`, which the install reads",
    "group-names": "a dependency group name the export keeps",
    "source-spelling": "a registry URL's spelling (a trailing slash)",
    "local-version": "a local package's masked version appeared or went away",
    "other": "unclassified",
}
#: The reasons that change what `uv sync --frozen SCOPE` takes from the lock or reads from
#: it (local packages and their edges, markers, settings), which uv's third-party view of
#: the scope does not show; the others are spelling the export could still normalize.
SCOPED_BY_DESIGN = (
    "local-installed",
    "third-party-markers",
    "third-party-edges",
    "local-edges",
    "settings",
    "lock-level",
)
_SCOPED_PATH_REASON = (
    ("uv.lock:revision", "revision"),
    ("uv.lock:resolution-markers", "lock-level"),
    ("uv.lock:supported-markers", "lock-level"),
    ("uv.lock:required-markers", "lock-level"),
    ("uv.lock:conflicts", "lock-level"),
    ("uv.lock:manifest.members", "members"),
    ("files", "members"),
    ("pyproject:tool.uv", "uv-settings"),
    ("uv.lock:manifest.build-constraints", "build-constraints"),
    ("pyproject:dependency-groups", "group-names"),
    ("uv.lock:package.source.registry (spelling)", "source-spelling"),
    ("uv.lock:package (local).version", "local-version"),
)


def scope_flags(series: str) -> list[tuple[str, ...]]:
    return [("--no-dev",)] + [
        ("--package", member, "--no-dev") for member in SCOPE_MEMBERS.get(series, ())
    ]


def parse_scope(flags: Sequence[str]) -> Any:
    from lockstrip.commands import common

    args = common.header_parser().parse_args(["--mode", "frozen", *flags])
    return common.scope_of(args)


def uv_run(uv: str, argv: Sequence[str], folder: Path, env: Mapping[str, str]) -> str | None:
    """uv's stdout, or None when it fails (a failure counts as a change)."""
    result = subprocess.run(
        [uv, *argv], cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    return result.stdout if result.returncode == 0 else None


@dataclasses.dataclass(frozen=True)
class ScopedSnapshot:
    """One commit under one scope: uv's view, the scoped export's files and digest."""

    view: str | None
    files: Mapping[str, str] | None
    digest: str | None
    error: str = ""

    def values(self) -> dict[str, str | None]:
        return {
            "export": None if self.files is None else export_hash(self.files),
            "digest": self.digest,
        }


def scoped_snapshot(project: Project, scope: Any, view: str | None) -> ScopedSnapshot:
    from lockstrip.errors import LockstripError
    from lockstrip.formats.uv.render.dockerfile_inputs import download_skip

    try:
        files = build_export(project, "frozen", scope, skip=download_skip(project)).files
        digest = compute_digest(project, scope).value
    except LockstripError as error:
        return ScopedSnapshot(view, None, None, str(error))
    return ScopedSnapshot(view, files, digest)


def scoped_parts(project: Project, scope: Any) -> dict[str, Any]:
    """What the scoped digest hashes, split for classifying: the local packages the scope
    installs, the third-party tables by `name version`, the local tables, the header."""
    from lockstrip.formats.uv.rules.restrict import restrict
    from lockstrip.formats.uv.selection.select import select

    view = digest_view(project)
    selection = select(project, scope, None)
    lock = restrict(view["lock"], project, selection, None, keep_locals=False)
    installed = sorted(
        local_id(package.source)
        for index, package in enumerate(project.lock.packages)
        if index in selection.packages and project.locals.is_local(package)
    )
    third = {f"{p['name']} {p.get('version', '')}": p for p in lock["package"] if "name" in p}
    local = sorted(
        json.dumps(p, sort_keys=True, default=str) for p in lock["package"] if "name" not in p
    )
    header = {
        "requires-python": lock.get("requires-python"),
        "settings": view["pyproject"],
    }
    return {"installed": installed, "third": third, "local": local, "header": header}


def scoped_reason(
    old: Project, new: Project, scope: Any, files: tuple[Mapping[str, str], Mapping[str, str]]
) -> tuple[str, str]:
    """Why a scoped export or digest changed although uv's view of the scope did not."""
    a, b = scoped_parts(old, scope), scoped_parts(new, scope)
    if a["installed"] != b["installed"]:
        came = sorted(set(b["installed"]) ^ set(a["installed"]))
        return "local-installed", few(came)
    if a["third"] != b["third"]:
        moved = sorted(
            k
            for k in a["third"].keys() | b["third"].keys()
            if a["third"].get(k) != b["third"].get(k)
        )
        markers_only = {k: drop_markers(v) for k, v in a["third"].items()} == {
            k: drop_markers(v) for k, v in b["third"].items()
        }
        key = "third-party-markers" if markers_only else "third-party-edges"
        return key, f"{len(moved)} third-party tables ({few(moved)})"
    if a["local"] != b["local"]:
        return "local-edges", "a local package's edges in the scope"
    if a["header"] != b["header"]:
        changed = sorted(k for k in a["header"] if a["header"][k] != b["header"][k])
        return "settings", ", ".join(changed)
    old_files, new_files = files
    paths: set[str] = set()
    if old_files.keys() != new_files.keys():
        paths.add("files: " + few(sorted(old_files.keys() ^ new_files.keys())))
    for rel in sorted(old_files.keys() & new_files.keys()):
        name = "uv.lock" if rel == "uv.lock" else "pyproject"
        before, after = parse(old_files.get(rel), rel), parse(new_files.get(rel), rel)
        paths |= changed_paths(before, after, f"{name}:")
    for prefix, key in _SCOPED_PATH_REASON:
        if any(path.startswith(prefix) for path in paths):
            return key, ", ".join(sorted(paths))
    return "other", ", ".join(sorted(paths)) or "export bytes changed, not its data"


@dataclasses.dataclass(frozen=True)
class ScopedTransition:
    series: str
    scope: str
    nnn: str
    changed: Mapping[str, bool]
    lower_bound: bool  # uv's view of the scope changed
    reason: str | None = None
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{self.series} `{self.scope}` {self.nnn}"


@dataclasses.dataclass(frozen=True)
class Verified:
    """`--verify`: uv read the scoped export as it read the project (export and plan)."""

    label: str
    agrees: bool
    detail: str = ""


def verify(
    uv: str,
    project: Project,
    folder: Path,
    flags: Sequence[str],
    env: Mapping[str, str],
    scratch: Path,
    label: str,
) -> Verified:
    from lockstrip.io.export_folder import write_export

    out = scratch / "verify" / hashlib.sha256(label.encode()).hexdigest()[:16]
    try:
        from lockstrip.formats.uv.render.dockerfile_inputs import download_skip

        skip = download_skip(project)
        scope = parse_scope(flags)
        write_export(build_export(project, "frozen", scope, skip=skip), out, folder)
        install = f"--no-install-{skip or 'project'}"
        for argv in (VERIFY_EXPORT, (*VERIFY_SYNC, install, "--python", sys.executable)):
            original = subprocess.run(
                [uv, *argv, *flags], cwd=folder, env=env, capture_output=True, text=True
            )
            exported = subprocess.run(
                [uv, *argv, *flags], cwd=out, env=env, capture_output=True, text=True
            )
            said = [
                (r.returncode, quiet(r.stdout + r.stderr, where))
                for r, where in ((original, folder), (exported, out))
            ]
            if said[0] != said[1]:
                return Verified(label, False, f"{argv[0]}: {first_difference(*said)}")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return Verified(label, True)


#: uv's refusal of the running interpreter: the project names the member whose
#: requires-python refuses it, the export (which keeps the members the install takes) the
#: lock's requires-python, which uv wrote as the intersection of every member's.
REFUSED_PYTHON = re.compile(
    r"^error: The (requested interpreter resolved to|current Python version \()"
    r".*(incompatible with the project's|not compatible with the locked) Python requirement"
)


def quiet(text: str, folder: Path) -> str:
    """uv's output without what differs by design: paths, interpreter notes, deprecation
    warnings about pyproject fields the export does not keep, and which file states the
    Python requirement that refuses the interpreter."""
    lines = text.replace(str(folder), "<project>").splitlines()
    return "\n".join(
        "error: the Python requirement refuses the interpreter"
        if REFUSED_PYTHON.match(line)
        else line
        for line in lines
        if not line.startswith(("Using ", "Would create ", "Resolved ", "warning: "))
    )


def first_difference(a: tuple[int, str], b: tuple[int, str]) -> str:
    if a[0] != b[0]:
        return f"exit {a[0]} vs {b[0]}: {b[1][-300:]}"
    for x, y in zip([*a[1].splitlines(), ""], [*b[1].splitlines(), ""], strict=False):
        if x != y:
            return f"{x!r} vs {y!r}"
    return "differs"


def replay_scoped_series(
    name: str,
    commits: Sequence[Commit],
    uv: str,
    env: Mapping[str, str],
    verify_every: int,
    scratch: Path,
) -> tuple[list[ScopedTransition], list[Verified]]:
    """Every transition of one series under each of its scopes."""
    scopes = scope_flags(name)
    workers = max(2, os.cpu_count() or 2)
    found: list[ScopedTransition] = []
    verified: list[Verified] = []
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        views = {
            (c.nnn, flags): pool.submit(uv_run, uv, [*SCOPED_UV_FLAGS, *flags], c.folder, env)
            for c in commits
            for flags in scopes
        }
        checks: list[concurrent.futures.Future[Verified]] = []
        previous: dict[tuple[str, ...], tuple[Project, ScopedSnapshot]] = {}
        for position, commit in enumerate(commits):
            project = read_project(commit.folder)
            for flags in scopes:
                scope = parse_scope(flags)
                current = scoped_snapshot(project, scope, views[commit.nnn, flags].result())
                label = f"{name} `{' '.join(flags)}` {commit.nnn}"
                if verify_every and position % verify_every == 0 and current.files is not None:
                    checks.append(
                        pool.submit(verify, uv, project, commit.folder, flags, env, scratch, label)
                    )
                if flags in previous:
                    old_project, old = previous[flags]
                    found.append(
                        scoped_transition(
                            name, flags, commit, (old, current), (old_project, project), scope
                        )
                    )
                previous[flags] = (project, current)
        verified = [future.result() for future in checks]
    return found, verified


def scoped_transition(
    series: str,
    flags: Sequence[str],
    commit: Commit,
    pair: tuple[ScopedSnapshot, ScopedSnapshot],
    projects: tuple[Project, Project],
    scope: Any,
) -> ScopedTransition:
    old, new = pair
    before, after = old.values(), new.values()
    changed = {key: differs(before[key], after[key]) for key in SCOPED_MEASURES}
    lower = differs(old.view, new.view)
    found = ScopedTransition(series, " ".join(flags), commit.nnn, changed, lower)
    if lower or not any(changed.values()) or old.files is None or new.files is None:
        return found
    why, detail = scoped_reason(*projects, scope, (old.files, new.files))
    return dataclasses.replace(found, reason=why, detail=detail)


def scoped_missed(transitions: Iterable[ScopedTransition]) -> list[str]:
    return [
        f"{t.label}: uv's view of the scope changed but the scoped "
        f"{', '.join(SCOPED_MEASURES[k] for k in SCOPED_MEASURES if not t.changed[k])} did not"
        for t in transitions
        if t.lower_bound and not all(t.changed.values())
    ]


def ratio(count: int, lower: int) -> str:
    return f"{count} ({count / lower:.2f}x)" if lower else str(count)


def scoped_counts_table(transitions: Sequence[ScopedTransition]) -> str:
    groups: dict[tuple[str, str], list[ScopedTransition]] = {}
    for t in transitions:
        groups.setdefault((t.series, t.scope), []).append(t)

    def row(label: str, scope: str, group: Sequence[ScopedTransition]) -> list[str]:
        lower = sum(t.lower_bound for t in group)
        misses = len(scoped_missed(group))
        counts = [ratio(sum(t.changed[k] for t in group), lower) for k in SCOPED_MEASURES]
        return [label, scope, str(len(group)), str(lower), *counts, str(misses)]

    rows = [row(series, f"`{scope}`", group) for (series, scope), group in groups.items()]
    rows.append(row("**total**", f"{len(groups)} scopes", transitions))
    header = ["series", "scope", "transitions", "uv's view changed (lower bound)"]
    header += [*SCOPED_MEASURES.values(), "misses"]
    return table(header, rows)


def scoped_reasons_table(transitions: Sequence[ScopedTransition]) -> str:
    rows = []
    for key, text in SCOPED_REASONS.items():
        hits = [t for t in transitions if t.reason == key]
        if not hits:
            continue
        counts = [str(sum(t.changed[k] for t in hits)) for k in SCOPED_MEASURES]
        labels = "; ".join(f"{t.series} `{t.scope}` {t.nnn}" for t in hits)
        rows.append([f"`{key}`: {text}", *counts, labels])
    return table(["reason", *SCOPED_MEASURES.values(), "transitions"], rows)


def by_design_note(transitions: Sequence[ScopedTransition]) -> str:
    lower = sum(t.lower_bound for t in transitions)
    parts = []
    for key, heading in SCOPED_MEASURES.items():
        count = sum(t.changed[key] for t in transitions)
        read = sum(t.changed[key] for t in transitions if t.reason in SCOPED_BY_DESIGN)
        parts.append(
            f"the {heading} changes {count} times, {read} of them beyond the lower bound for "
            f"what the install takes or reads, {count - lower - read} for other reasons"
        )
    names = ", ".join(f"`{k}`" for k in SCOPED_BY_DESIGN)
    return (
        f"The reasons {names} change what `uv sync --frozen SCOPE` takes from the lock or "
        f"reads from it (the local packages it installs and their edges, markers, settings), "
        f"which uv's third-party view of the scope does not print. Over the {lower} "
        f"transitions of the lower bound, " + "; ".join(parts) + "."
    )


def scoped_section(
    transitions: Sequence[ScopedTransition], verified: Sequence[Verified], uv: str
) -> str:
    failures = scoped_missed(transitions)
    beyond = [t for t in transitions if t.reason is not None]
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    disagree = [v for v in verified if not v.agrees]
    parts = [
        SCOPED_START,
        "## Per-scope replay: scoped exports and digests against uv's view of the scope",
        "Written by `bench/replay.py --scoped` (`--write` replaces only this section). The "
        "same series as the replay above; for each, the scopes a Dockerfile keys its download "
        "layer on: `--no-dev`, and `--package M --no-dev` for two members of each workspace. "
        "The lower bound is uv's own view of the scope: `uv export --frozen --offline "
        "--no-emit-workspace --no-emit-local --no-annotate --no-header` with the same flags, "
        "per commit. The scoped export is the one the Dockerfile's download step reads, "
        "`lockstrip export SCOPE --no-install-workspace` (`--no-install-local` where path "
        "dependencies need their files; a single project without either), every file; the scoped "
        "digest `lockstrip digest SCOPE`; a miss is a transition where uv's view changed "
        f"and the export or the digest did not. {uv_version(uv)}, lockstrip {__version__}, "
        f"{date}.",
        scoped_counts_table(transitions),
        f"- Misses: {len(failures)}" + (f": {'; '.join(failures)}" if failures else "."),
    ]
    if verified:
        parts.append(
            f"- uv reads the scoped export as it reads the project (`uv export --frozen "
            f"--no-header --no-emit-local --no-annotate SCOPE` and `uv sync --frozen --dry-run "
            f"--no-install-... SCOPE` as the download step runs it, outputs compared) on "
            f"{len(verified) - len(disagree)} "
            f"of {len(verified)} sampled (commit, scope) pairs"
            + (
                f"; not on: {'; '.join(f'{v.label} ({v.detail})' for v in disagree)}"
                if disagree
                else "."
            )
        )
    parts += [
        "### Where the scoped export or digest exceeds the lower bound",
        f"{len(beyond)} transitions, each under the first reason that applies (the local "
        "packages the scope installs, then its third-party tables, its local tables, its "
        "settings, then the export's files).",
        scoped_reasons_table(beyond) if beyond else "None.",
        by_design_note(transitions),
        SCOPED_END,
    ]
    return "\n\n".join(parts) + "\n"


def write_scoped_section(text: str, report: Path = REPORT) -> None:
    """Replace the per-scope section of `report`, or append it at the end."""
    current = report.read_text(encoding="utf-8") if report.exists() else ""
    start, end = current.find(SCOPED_START), current.find(SCOPED_END)
    if start != -1 and end > start:
        updated = current[:start] + text.rstrip("\n") + current[end + len(SCOPED_END) :]
    else:
        updated = current.rstrip("\n") + "\n\n" + text if current else text
    report.write_text(updated, encoding="utf-8")


def main_scoped(args: argparse.Namespace, chosen: Sequence[str], uv: str) -> int:
    transitions: list[ScopedTransition] = []
    verified: list[Verified] = []
    with tempfile.TemporaryDirectory(prefix="lockstrip-replay-") as scratch:
        env = {**os.environ, **UV_ENV, "UV_CACHE_DIR": str(Path(scratch) / "uv-cache")}
        for name in chosen:
            log(f"replaying {name} per scope")
            commits = extract(args.histories, name, Path(scratch))
            found, checked = replay_scoped_series(
                name, commits, uv, env, args.verify, Path(scratch)
            )
            transitions += found
            verified += checked
    if args.json:
        args.json.write_text(
            json.dumps([dataclasses.asdict(t) for t in transitions], indent=1), encoding="utf-8"
        )
    failures = scoped_missed(transitions)
    text = scoped_section(transitions, verified, uv)
    if args.write and not failures:
        write_scoped_section(text)
        log(f"wrote the per-scope replay section of {REPORT}")
    else:
        sys.stdout.write(text)
    if failures:
        log("replay: CORRECTNESS BUG: uv's view of a scope changed but lockstrip's did not:")
        for line in failures:
            log(f"  {line}")
        return 1
    return 0


# --- main ---------------------------------------------------------------------------------


def find_uv() -> str:
    """uv from the running interpreter's folder (the same venv), else from PATH."""
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("uv")
    if found is None:
        raise SystemExit(f"replay: uv not found beside {sys.executable} or on PATH")
    return found


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument(
        "--histories", type=Path, default=DEFAULT_HISTORIES, help="the dataset folder"
    )
    parser.add_argument("--write", action="store_true", help=f"update {REPORT.name}")
    parser.add_argument("--series", nargs="+", metavar="NAME", help="replay only these series")
    parser.add_argument(
        "--scoped", action="store_true", help="replay per scope (`--no-dev`, `--package M`)"
    )
    parser.add_argument(
        "--verify",
        type=int,
        default=0,
        metavar="N",
        help="with --scoped: on every Nth commit, check that uv reads the scoped export as it "
        "reads the project",
    )
    parser.add_argument("--json", type=Path, help="with --scoped: also dump the transitions")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    available = series_names(args.histories)
    if not available:
        raise SystemExit(f"replay: no *.commits.tsv in {args.histories}")
    chosen = args.series or available
    if unknown := sorted(set(chosen) - set(available)):
        raise SystemExit(f"replay: unknown series {', '.join(unknown)}; have {available}")
    uv = find_uv()
    if args.scoped:
        return main_scoped(args, chosen, uv)
    summaries = []
    with tempfile.TemporaryDirectory(prefix="lockstrip-replay-") as scratch:
        env = {**os.environ, **UV_ENV, "UV_CACHE_DIR": str(Path(scratch) / "uv-cache")}
        for name in chosen:
            log(f"replaying {name}")
            commits = extract(args.histories, name, Path(scratch))
            summary = Summary(name, len(commits))
            summary.transitions = replay_series(name, commits, uv, env)
            summaries.append(summary)
    failures = missed(t for s in summaries for t in s.transitions)
    text = section(summaries, failures, uv)
    if args.write and not failures:
        write_section(text)
        log(f"wrote the replay section of {REPORT}")
    else:
        sys.stdout.write(text)
    if failures:
        log("replay: CORRECTNESS BUG: the third-party set changed but lockstrip's layer input")
        log("did not, so the cached layer would ship stale dependencies:")
        for line in failures:
            log(f"  {line}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
