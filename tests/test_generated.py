"""The generative uv oracle, fast slice: seeded projects that uv locks, read back by uv.

Each seed is a project composed by tests/oracle/generate.py from uv's pyproject schema,
locked by real `uv lock` against a universe served on 127.0.0.1 (tests/oracle/universe.py).
In every scope it defines and for both export modes, uv must read the export as it reads the
original (tests/oracle/compare.py). The wide sweep is bench/oracle_sweep.py.

Seeds whose only disagreements are of a known, tracked class are marked xfail(strict): the
mark names the class, and the test fails once the class is fixed (remove the mark then), or
when a seed shows any other class.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oracle.compare import check_seed, classify, scopes
from oracle.generate import generate
from oracle.universe import Universe, universe

from lockstrip.formats.uv.render.export import build_export
from lockstrip.io.export_folder import Export

#: The first 30 seeds, and four that show the shapes the first 30 miss: 34 (a project-less
#: root whose lock has no [[package]]), 48 (legacy dev-dependencies on a project-less root),
#: 81 (a project-less root's own group in a lock with `environments`, which a folded export
#: must not hang from a package) and 313 (`--package M` under a root default group whose
#: requires-python refuses 3.11, which uv reads from a revision-5 lock's group metadata).
FAST_SEEDS = [*range(30), 34, 48, 81, 313]
#: The fast tier's slice of FAST_SEEDS (the rest run with LOCKSTRIP_SLOW=1): a project-less
#: root without packages, and legacy dev-dependencies on one.
QUICK_SEEDS = frozenset({34, 48})

#: Seeds of the fast slice with known disagreements, and their classes (compare.classify):
#: none. The first sweep's classes (empty extras and groups, include-group, in-tree path
#: packages, legacy dev-dependencies, locks without [[package]], fork-marker order) are fixed;
#: a seed listed here must still disagree, or it fails as XPASS.
KNOWN: dict[int, frozenset[str]] = {}


class KnownDisagreement(Exception):
    """Only disagreements of the classes the seed is marked with."""


def _param(seed: int) -> Any:
    marks = [] if seed in QUICK_SEEDS else [pytest.mark.slow]
    classes = KNOWN.get(seed)
    if classes is None:
        return pytest.param(seed, marks=marks)
    mark = pytest.mark.xfail(
        strict=True,
        raises=KnownDisagreement,
        reason=f"{', '.join(sorted(classes))}: a known class of the frozen export",
    )
    return pytest.param(seed, marks=[*marks, mark])


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Universe]:
    with universe(tmp_path_factory.mktemp("oracle") / "universe") as served:
        yield served


@pytest.mark.parametrize("seed", [_param(seed) for seed in FAST_SEEDS])
def test_uv_reads_generated_export_as_original(seed: int, world: Universe, tmp_path: Path) -> None:
    outcome = check_seed(seed, world, tmp_path)
    if not outcome.locked:
        pytest.skip(f"uv refuses to lock seed {seed}: {outcome.lock_error.strip()[-200:]}")
    assert outcome.comparisons >= 2 * len(scopes(generate(seed)))
    expected = KNOWN.get(seed, frozenset())
    unknown = [d for d in outcome.disagreements if classify(d, outcome.features) not in expected]
    assert not unknown, "\n".join(d.entry(outcome.features) for d in unknown)
    if outcome.disagreements:
        raise KnownDisagreement(sorted(outcome.classes()))


# --- the oracle has teeth: planted export bugs are found --------------------------------------

#: A seed of the slice that locks, with dependency groups and registry packages with hashes.
TEETH_SEED = 6


def _planted(change: Any) -> Any:
    real = build_export

    def build(project: Any, mode: Any = "frozen", *args: Any, **kwargs: Any) -> Export:
        export = real(project, mode, *args, **kwargs)
        return Export(change(dict(export.files), project), export.warnings, export.sources)

    return build


def _drop_groups(files: dict[str, str], project: Any) -> dict[str, str]:
    text = files["pyproject.toml"]
    files["pyproject.toml"] = text.replace("[dependency-groups]", "[unused-groups]")
    return files


def _other_hash(files: dict[str, str], project: Any) -> dict[str, str]:
    def flip(found: re.Match[str]) -> str:
        return "sha256:" + ("1" if found.group(1) == "0" else "0")

    files["uv.lock"] = re.sub(r"sha256:([0-9a-f])", flip, files["uv.lock"], count=1)
    return files


def _keep_version(files: dict[str, str], project: Any) -> dict[str, str]:
    files["pyproject.toml"] += f"# {project.pyproject['project']['version']}\n"
    return files


def _drop_python_preference(files: dict[str, str], project: Any) -> dict[str, str]:
    """The frozen export before TOOL_UV_FROZEN_DROPS: python-preference dropped."""
    files["pyproject.toml"] = re.sub(r"(?m)^python-preference = .*\n", "", files["pyproject.toml"])
    return files


#: A seed of the slice whose project prefers managed interpreters only (none here).
ONLY_MANAGED_SEED = 7


@pytest.mark.slow  # its seed is beyond the fast slice
def test_planted_interpreter_drop_is_found(
    world: Universe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv refuses the project's interpreter choice, and installs from an export that lost
    it: the oracle must see the download stage run where the final stage refuses."""
    gen = generate(ONLY_MANAGED_SEED)
    assert gen.root.uv.get("python-preference") == "only-managed"
    monkeypatch.setattr("oracle.compare.build_export", _planted(_drop_python_preference))
    outcome = check_seed(ONLY_MANAGED_SEED, world, tmp_path, bump=False, scoped=False)
    assert outcome.locked, outcome.lock_error
    assert "sync-exit-differs" in outcome.classes()


@pytest.mark.parametrize(
    ("plant", "klass"),
    [
        (_drop_groups, "lock-check-fails"),
        (_other_hash, "export-output-differs"),
        (_keep_version, "version-bump-changes-export"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_planted_export_bugs_are_found(
    plant: Any, klass: str, world: Universe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen = generate(TEETH_SEED)
    assert gen.root.has_project and gen.groups()
    monkeypatch.setattr("oracle.compare.build_export", _planted(plant))
    outcome = check_seed(TEETH_SEED, world, tmp_path)
    assert outcome.locked, outcome.lock_error
    assert klass in outcome.classes()


# --- the generator ---------------------------------------------------------------------------

#: Every feature the generator composes; each must appear among the first 300 seeds.
FEATURES = {
    "root-package", "root-virtual", "root-package-false", "root-projectless",
    "root-groups-only", "dynamic-version", "requires-python-311", "workspace",
    "virtual-member", "nested-member", "glob-exclude", "member-dep", "member-dep-extra",
    "root-dep-member", "path-package", "path-editable", "index-explicit", "git-tag",
    "git-rev", "git-branch", "git-subdirectory", "url", "sdist", "markers", "extra-empty",
    "extra-self", "extra-cross-member", "group-empty", "include-group",
    "group-requires-python", "dev-dependencies", "default-groups", "member-groups",
    "conflicts-extras", "conflicts-groups", "environments", "required-environments",
    "dependency-metadata", "constraint-dependencies", "override-dependencies",
    "exclude-newer", "python-preference", "only-managed", "python-downloads",
    "required-version", "install-settings", "cache-keys", "resolver-settings",
}  # fmt: skip


def test_generator_is_seeded_and_covers_every_feature() -> None:
    assert generate(7).files() == generate(7).files()
    assert generate(7).files() != generate(8).files()
    seen = set().union(*(generate(seed).features for seed in range(300)))
    assert seen == FEATURES
