"""`lockstrip savings` over real histories (fixtures/histories made into git repositories).

* uv's pattern rebuilds exactly where the dataset measured the root pyproject.toml or uv.lock
  bytes changing (commits.tsv `raw_changed`, taken when the series was collected);
* lockstrip's layer rebuilds exactly where `lockstrip export`, run on a checkout of each
  commit with the generated Dockerfile's options, writes other bytes: the history path
  (one `git cat-file --batch`) and the folder path agree;
* bad input gets a line and the report goes on; the chart is SVG; a run in several
  processes reports what one process does; git starts a bounded number of times.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import REPO
from history_repo import build_repository

from lockstrip.formats.uv.savings import savings

HISTORIES = REPO / "fixtures" / "histories"
SERIES = sorted(p.name for p in HISTORIES.iterdir() if (p / "commits.tsv").is_file())


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("histories")
    return {name: build_repository(HISTORIES / name, root / name) for name in SERIES}


def rows(name: str) -> list[dict[str, str]]:
    with (HISTORIES / name / "commits.tsv").open(newline="") as handle:
        found = list(csv.DictReader(handle, delimiter="\t"))
    kept = {p.name.split("-", 1)[0] for p in (HISTORIES / name).iterdir() if p.is_dir()}
    return [row for row in found if row["NNN"] in kept]


def lockstrip(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lockstrip", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)


@pytest.mark.parametrize("name", SERIES)
def test_uv_pattern_rebuilds_where_its_files_changed(name: str, repos: dict[str, Path]) -> None:
    report = savings(repos[name], jobs=1)
    measured = [row["raw_changed"] == "1" for row in rows(name)]
    # the first commit of a series is compared with nothing: both layers build it
    assert [c.uv_rebuilds for c in report.commits][1:] == measured[1:]
    assert report.commits[0].uv_rebuilds and report.commits[0].lockstrip_rebuilds


def export_hash(checkout: Path, out: Path) -> str:
    """The hash of what the Dockerfile's export step writes for linux/amd64."""
    dockerfile = lockstrip("dockerfile", checkout).stdout
    step = next(line for line in dockerfile.splitlines() if "lockstrip export /src" in line)
    options = step.split("--out /export", 1)[1].replace("\\", "").split()
    minor = next(
        line.split("python:")[1].split("-slim")[0]
        for line in dockerfile.splitlines()
        if line.startswith("FROM python:")
    )
    done = lockstrip(
        "export", checkout, "--out", out, "--quiet", *options,
        "--python-version", minor, "--python-platform", "x86_64-manylinux_2_28",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    hasher = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        hasher.update(path.relative_to(out).as_posix().encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=() if n == "stanfordnlp__dspy" else pytest.mark.slow) for n in SERIES],
)
def test_lockstrip_rebuilds_where_its_export_changes(
    name: str, repos: dict[str, Path], tmp_path: Path
) -> None:
    repo = repos[name]
    report = savings(repo, jobs=1)
    hashes = []
    for i, commit in enumerate(report.commits):
        checkout = tmp_path / f"checkout-{i}"
        add = ["worktree", "add", "-q", "--detach", str(checkout), commit.commit.sha]
        subprocess.run(["git", "-C", str(repo), *add], check=True)
        hashes.append(export_hash(checkout, tmp_path / f"export-{i}"))
    changed = [a != b for a, b in itertools.pairwise(hashes)]
    assert [c.lockstrip_rebuilds for c in report.commits[1:]] == changed
    assert any(changed) and not all(changed), "the series shows both outcomes"


def test_reasons_name_packages_and_versions(repos: dict[str, Path]) -> None:
    report = savings(repos["stanfordnlp__dspy"], jobs=1)
    reasons = {c.commit.subject: c.reasons for c in report.commits if c.lockstrip_rebuilds}
    assert (
        "↑ gepa 0.0.2 → 0.0.8" in reasons[next(s for s in reasons if "instruction_proposer" in s)]
    )
    cached = [c for c in report.commits if c.uv_rebuilds and not c.lockstrip_rebuilds]
    assert cached and all(c.reasons == () for c in cached)


def test_totals_add_up(repos: dict[str, Path]) -> None:
    report = savings(repos["stanfordnlp__dspy"], jobs=1)
    totals = report.totals()
    rebuilt = [c for c in report.commits if c.uv_rebuilds]
    assert totals["uv_pattern_rebuilds"] == len(rebuilt)
    assert totals["uv_pattern_bytes"] == sum(c.download.bytes for c in rebuilt if c.download)
    assert totals["lockstrip_bytes"] < totals["uv_pattern_bytes"]
    assert all(c.download and c.download.files > 50 for c in report.commits)


@pytest.mark.slow
def test_several_processes_report_what_one_does(tmp_path: Path) -> None:
    repo = build_repository(HISTORIES / "stanfordnlp__dspy", tmp_path / "repo", repeat=9)
    one = savings(repo, jobs=1)
    assert len(one.commits) == 45
    assert savings(repo, jobs=2) == one


def test_git_starts_a_bounded_number_of_times(
    repos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One `git cat-file --batch` for the history, not a git process per file."""
    started: list[list[str]] = []
    real_popen = subprocess.Popen

    def popen(args: list[str], **kwargs: object) -> object:  # every start: run uses it too
        started.append(args)
        return real_popen(args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", popen)
    report = savings(repos["modelcontextprotocol__python-sdk"], jobs=1)
    assert len(report.commits) >= 5
    assert len(started) <= 5, [" ".join(args[3:5]) for args in started]


def test_options_narrow_the_history(repos: dict[str, Path]) -> None:
    repo = repos["stanfordnlp__dspy"]
    full = savings(repo, jobs=1)
    last = savings(repo, max_count=2, jobs=1)
    assert [c.commit for c in last.commits] == [c.commit for c in full.commits[-2:]]
    assert last.commits == full.commits[-2:]  # compared with the commit before, not nothing
    since = savings(repo, since=full.commits[2].commit.sha, jobs=1)
    assert since.commits == full.commits[3:]


def test_text_json_and_chart(repos: dict[str, Path], tmp_path: Path) -> None:
    repo = repos["stanfordnlp__dspy"]
    chart = tmp_path / "savings.svg"
    text = lockstrip("savings", repo, "--svg", chart)
    assert text.returncode == 0, text.stderr
    head = text.stdout.splitlines()
    assert head[0].startswith("lockstrip savings: 5 commits")
    assert head[3].split()[:3] == ["download-layer", "rebuilds", "5"]
    root = ElementTree.fromstring(chart.read_text())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall("{http://www.w3.org/2000/svg}polyline")) == 2
    data = json.loads(lockstrip("savings", repo, "--json").stdout)
    assert data["totals"]["commits"] == 5 == len(data["commits"])
    assert data["scope"] == ["--no-dev"]


def test_bad_input_gets_one_line(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    done = lockstrip("savings", plain)
    assert done.returncode == 2
    assert done.stderr == f"lockstrip: error: {plain}: not inside a git repository\n"


def test_a_commit_without_a_readable_lock_is_a_line(tmp_path: Path) -> None:
    repo = build_repository(HISTORIES / "stanfordnlp__dspy", tmp_path / "repo")
    (repo / "uv.lock").write_text("version = [\n")  # a lock no TOML reader takes
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "break the lock"], check=True)
    (repo / "uv.lock").unlink()
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "remove the lock"], check=True)
    report = savings(repo, jobs=1)
    broken, removed = report.commits[-2:]
    assert broken.error is not None and "invalid TOML" in broken.error
    assert removed.error == "no uv.lock"
    assert len(report.notes) == 2 and len(report.commits) == 7
    done = lockstrip("savings", repo)
    assert done.returncode == 0 and "cannot read: " in done.stdout


def test_a_shallow_clone_is_said(repos: dict[str, Path], tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    source = f"file://{repos['stanfordnlp__dspy']}"
    subprocess.run(["git", "clone", "-q", "--depth", "2", source, str(clone)], check=True)
    report = savings(clone, jobs=1)
    assert any("shallow clone" in note for note in report.notes)
    assert len(report.commits) == 2


POETRY_BUMP = REPO / "fixtures/poetry/Textualize__rich__version-bump"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


PDM_BUMP = REPO / "fixtures/pdm/litestar-org__litestar__version-bump"


@pytest.mark.parametrize(
    ("pair", "lock", "package", "scope", "files"),
    [
        # What the tools plan on CPython 3.11, x86_64 Linux (measured with their dry runs):
        # Poetry 2.5.1 `install --no-root --only main`, 4 packages (markdown-it-py, mdurl,
        # pygments, typing-extensions, which the lock records in main with no marker) ...
        (POETRY_BUMP, "poetry.lock", "pygments", ["--only-group", "main"], 4),
        # ... and PDM 2.29.4 `install --prod --no-self --frozen-lockfile`, 26 packages.
        (PDM_BUMP, "pdm.lock", "anyio", ["--no-dev"], 26),
    ],
    ids=["poetry", "pdm"],
)
def test_a_poetry_or_pdm_history(
    pair: Path, lock: str, package: str, scope: list[str], files: int, tmp_path: Path
) -> None:
    """A real release commit and a dependency edit, replayed: the release rebuilds the
    tool's usual layer (COPY pyproject.toml and the lock) and not lockstrip's; the dependency
    edit rebuilds both, named in the reason; a README edit touches neither."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    old = f'name = "{package}"\nversion = "'
    steps: list[tuple[str, Callable[[], object]]] = [
        ("first", lambda: _copy(pair / "before", repo, lock)),
        ("release", lambda: _copy(pair / "after", repo, lock)),
        ("readme", lambda: (repo / "README.md").write_text("the project\n")),
        ("upgrade", lambda: _replace(repo / lock, old, old + "9")),
    ]
    for subject, edit in steps:
        edit()
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", subject)
    target = ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]
    result = lockstrip("savings", repo, "--json", *target)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    seen = [
        (c["subject"], c["uv_pattern_rebuilds"], c["lockstrip_rebuilds"]) for c in report["commits"]
    ]
    assert seen == [("first", True, True), ("release", True, False), ("upgrade", True, True)]
    assert any(package in reason for reason in report["commits"][2]["reasons"])
    assert report["commits"][0]["download"] == {"files": files, "bytes": 0, "unsized": files}
    assert report["scope"] == scope


def _copy(source: Path, repo: Path, lock: str) -> None:
    for name in ("pyproject.toml", lock):
        (repo / name).write_bytes((source / name).read_bytes())


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
