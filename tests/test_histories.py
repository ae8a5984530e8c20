"""`lockstrip diff` over real commit series: it exits 1 exactly where uv's view of the
third-party set changed, and then names a package that uv's own output shows changing.

fixtures/histories holds consecutive commits of three real series (uv.lock, pyproject.toml,
members' pyproject.toml; commits.tsv from ../shared/histories, whose `thirdparty_changed`
column compares `uv export --all-packages --all-extras --all-groups` between commits). When
../shared/histories is present, every commit of every series is replayed as well.
"""

from __future__ import annotations

import csv
import itertools
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO, run_uv

from lockstrip.cli import run
from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.explain import explain

HISTORIES = REPO / "fixtures" / "histories"
SHARED_HISTORIES = REPO.parent / "shared" / "histories"

#: Commits where lockstrip and uv's flattened view disagree, and why. Each is a real change
#: to the lock that uv's export hides; none is a change lockstrip misses.
KNOWN = {
    ("pydantic__pydantic-ai", "065"): (
        "uv re-simplified the markers of third-party edges (cuda-toolkit, cuda-bindings) after "
        "a new extra; the union of markers that uv export prints is unchanged"
    ),
}


def truth(row: dict[str, str]) -> bool:
    value = row["thirdparty_changed"]
    if value == "error":  # uv export refused (conflicts): the fallback column holds the answer
        value = row["thirdparty_changed_conflict_fallback"]
    return value == "1"


def series(folder: Path) -> list[tuple[dict[str, str], Path]]:
    with (folder / "commits.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(row, folder / f"{row['NNN']}-{row['sha'][:10]}") for row in rows]


def transitions(root: Path) -> Iterator[tuple[str, dict[str, str], Path, Path]]:
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        commits = series(folder)
        for (_, before), (row, after) in itertools.pairwise(commits):
            yield folder.name, row, before, after


def uv_names(project: Path, cache: Path) -> dict[str, str]:
    """name -> version of every third-party package in uv's view of the project."""
    lock = project / "uv.lock"
    args = ["export", "--frozen", "--offline", "--no-emit-workspace", "--no-emit-local"]
    args += ["--no-header", "--no-annotate", "--no-hashes", "--all-groups", "--all-packages"]
    if "conflicts" not in lock.read_text(encoding="utf-8").split("[[package]]", 1)[0]:
        args.append("--all-extras")
    result = run_uv(args, project, cache)
    assert result.returncode == 0, result.stderr
    found = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", result.stdout, re.MULTILINE)
    return dict(found)


FIXTURE_TRANSITIONS = list(transitions(HISTORIES))


@pytest.mark.parametrize(
    ("case", "row", "before", "after"),
    FIXTURE_TRANSITIONS,
    ids=[f"{case}-{row['NNN']}" for case, row, _, _ in FIXTURE_TRANSITIONS],
)
def test_diff_follows_uv(
    case: str,
    row: dict[str, str],
    before: Path,
    after: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    code = run(["diff", str(before), str(after)])
    output = capsys.readouterr().out
    assert code == (1 if truth(row) else 0), output
    if truth(row):
        old, new = uv_names(before, tmp_path), uv_names(after, tmp_path)
        changed = {n for n in old.keys() | new.keys() if old.get(n) != new.get(n)}
        if changed:  # else only hashes or markers changed; the output names those packages
            assert any(re.search(rf"\b{re.escape(n)}\b", output) for n in changed), output
    else:
        assert not output.startswith("third-party dependencies changed"), output


def test_fixture_series_cover_both_answers() -> None:
    answers = [truth(row) for _, row, _, _ in FIXTURE_TRANSITIONS]
    assert answers.count(True) >= 3 and answers.count(False) >= 6


@pytest.fixture(scope="session")
def shared_histories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SHARED_HISTORIES.is_dir():
        pytest.skip("../shared/histories is not present")
    root = tmp_path_factory.mktemp("histories")
    for archive in sorted(SHARED_HISTORIES.glob("*.tar.xz")):
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
                tar.extractall(root, filter="data")
            else:  # pragma: no cover
                tar.extractall(root)
        case = archive.name.removesuffix(".tar.xz")
        (root / case / "commits.tsv").write_bytes(
            (SHARED_HISTORIES / f"{case}.commits.tsv").read_bytes()
        )
    return root


@pytest.mark.slow
def test_every_shared_history_commit(shared_histories: Path) -> None:
    disagreements = []
    count = 0
    for case, row, before, after in transitions(shared_histories):
        count += 1
        changed = explain(read_project(before), read_project(after)).third_party_changed
        if changed == truth(row):
            continue
        # A known disagreement may only be an extra change: a missed one ships stale packages.
        if (case, row["NNN"]) not in KNOWN or not changed:
            disagreements.append(f"{case} {row['NNN']}: lockstrip {changed}, uv {truth(row)}")
    assert count >= 400
    assert disagreements == []
