"""Generated Poetry cases: seeded projects that real Poetry locks, read back by Poetry.

Each seed is a project composed by tests/poetry_oracle/generate.py in one of Poetry's two
pyproject styles, locked by the pinned Poetry against wheels served on 127.0.0.1; the export
is judged by Poetry itself in every scope (tests/poetry_oracle/compare.py). The fast tier
runs a few seeds with Poetry 2.5.1; the slow tier (LOCKSTRIP_SLOW=1) many, with both
releases (1.8.5 only on `[tool.poetry]` cases: it does not read `[project]`).

Seeds whose only disagreements are of a known class are marked xfail(strict), naming the
class: the test fails once the class is fixed (remove the mark), or on any other class.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from poetry_oracle import clients
from poetry_oracle.compare import KINDS, Outcome, check_case, scopes
from poetry_oracle.generate import Case, Universe, generate, universe

from lockstrip.formats.poetry import selection

#: Two seeds that between them show both styles, a git dependency, a Python fork, extras,
#: optional and PEP 735 groups, members with `develop = true` and `python =` constraints.
FAST_SEEDS = (0, 1)
#: The slow tier's seeds; `LOCKSTRIP_ORACLE_SWEEP=1` takes 2-39 (about 25 minutes).
SLOW_SEEDS = range(2, 40 if os.environ.get("LOCKSTRIP_ORACLE_SWEEP") == "1" else 12)

#: (seed, release) -> the comparison kinds it is known to disagree on: none now. Seeds 9, 14
#: and 28 with 1.8.5 (lock 2.0, alpha locked at 1.1 and 2.0 for a Python fork in a group)
#: found that Poetry keeps one version of a package per target, the one every group's
#: constraint allows (`selection._one_version_each`).
KNOWN: dict[tuple[int, str], frozenset[str]] = {}


class KnownDisagreement(Exception):
    """Only disagreements of the kinds the case is marked with."""


def _param(seed: int, locker: str, slow: bool) -> Any:
    marks: list[Any] = [pytest.mark.slow] if slow else []
    known = KNOWN.get((seed, locker))
    if known is not None:
        marks.append(
            pytest.mark.xfail(
                strict=True,
                raises=KnownDisagreement,
                reason=f"{', '.join(sorted(known))}: a known disagreement",
            )
        )
    return pytest.param(seed, locker, marks=marks, id=f"{seed}-{locker}")


def _params() -> list[Any]:
    found = [_param(seed, clients.POETRY_2, False) for seed in FAST_SEEDS]
    for seed in FAST_SEEDS:
        found += [_param(seed, r, True) for r in generate(seed).lockers if r != clients.POETRY_2]
    for seed in SLOW_SEEDS:
        found += [_param(seed, locker, True) for locker in generate(seed).lockers]
    return found


def _need(locker: str) -> None:
    reason = clients.unavailable(locker)
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Universe]:
    with universe(tmp_path_factory.mktemp("poetry-universe")) as served:
        yield served


def _report(case: Case, outcome: Outcome) -> str:
    return "\n".join(d.entry(case, outcome.locker) for d in outcome.disagreements)


@pytest.mark.parametrize(("seed", "locker"), _params())
def test_poetry_reads_generated_export_as_original(
    seed: int, locker: str, world: Universe, tmp_path: Path
) -> None:
    _need(locker)
    case = generate(seed)
    outcome = check_case(case, locker, world, tmp_path)
    if not outcome.locked:
        pytest.skip(f"Poetry refuses to lock seed {seed}: {outcome.lock_error[-200:]}")
    n = len(scopes(case))
    assert dict(outcome.compared) == {
        "check": 1, "plan": n, "selection": n, "bump": 1, "add": 1,
    }  # fmt: skip
    known = KNOWN.get((seed, locker), frozenset())
    unknown = [d for d in outcome.disagreements if d.kind not in known]
    assert not unknown, _report(case, outcome)
    if outcome.disagreements:
        raise KnownDisagreement(sorted(outcome.kinds()))


# --- the comparisons have teeth: planted bugs are found ---------------------------------------

#: A `[tool.poetry]` case with a git dependency, a member, an optional group, a Python fork
#: and an extra that takes a package only through lock 2.1's `extra == "x0"` marker.
TEETH_SEED = 1


def _keep_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The export keeps the root's and members' versions instead of masking them."""

    def real_version(project: Any, name: str | None) -> str:
        for package in project.packages:
            if package.name == name:
                return str(package.version)
        return str(project.pyproject["tool"]["poetry"]["version"])

    monkeypatch.setattr("lockstrip.formats.poetry.render.masked_version", real_version)


def _drop_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """The export's pyproject loses `[tool.poetry.group]`, which content-hash covers."""
    from lockstrip.formats.poetry.rules import strip_pyproject as strip

    def stripped(doc: Any, version: str) -> Any:
        out = strip(doc, version)
        out.get("tool", {}).get("poetry", {}).pop("group", None)
        return out

    monkeypatch.setattr("lockstrip.formats.poetry.render.strip_pyproject", stripped)


def _ignore_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    """Selection reads lock 2.1's markers with no extra requested (the bug fixed with this
    oracle): a package only an extra takes is left out."""
    real = selection._recorded
    monkeypatch.setattr(
        selection, "_recorded", lambda p, chosen, env, extras: real(p, chosen, env, frozenset())
    )


def _every_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """The digest of every scope covers every group, optional ones too."""
    monkeypatch.setattr(
        selection, "chosen_groups", lambda root, scope, project: tuple(sorted(root.groups))
    )


@pytest.mark.parametrize(
    ("plant", "kind"),
    [
        pytest.param(_keep_versions, "bump", id="keep-versions"),
        pytest.param(_drop_groups, "check", id="drop-groups", marks=pytest.mark.slow),
        pytest.param(_ignore_extras, "selection", id="ignore-extras", marks=pytest.mark.slow),
        pytest.param(_every_group, "add", id="every-group", marks=pytest.mark.slow),
    ],
)
def test_planted_bugs_are_found(
    plant: Any, kind: str, world: Universe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _need(clients.POETRY_2)
    plant(monkeypatch)
    outcome = check_case(generate(TEETH_SEED), clients.POETRY_2, world, tmp_path, kinds=(kind,))
    assert outcome.locked, outcome.lock_error
    assert kind in outcome.kinds(), f"{plant.__name__} went unnoticed"


# --- the generator ----------------------------------------------------------------------------

FEATURES = {
    "style-poetry", "style-project", "package-mode-false", "path-member", "member-dep-member",
    "develop-false", "source-supplemental", "source-explicit", "git", "extras", "group",
    "optional-group", "dependency-groups", "markers", "python-constraint", "python-fork",
    "package-extras", "package-markers",
}  # fmt: skip


def test_generator_is_seeded_and_covers_every_feature() -> None:
    assert generate(7).files() == generate(7).files()
    assert generate(7).files() != generate(8).files()
    seen = set().union(*(generate(seed).features for seed in range(40)))
    assert seen == FEATURES
    assert set(KINDS) == {"check", "plan", "selection", "bump", "add"}
