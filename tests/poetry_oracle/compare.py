"""Judge one generated Poetry case with the real Poetry: lock it, export it, compare.

For a case locked by one release (`generate.lock`), in every scope Poetry's options give
(no option, `--only main`, `--with G` for each optional group, `-E X` for each extra,
`--all-extras`):

* `check`: `poetry check --lock` passes on the export where it passes on the original;
* `plan`: `poetry install --no-root --no-directory --dry-run` plans the same (name, version)
  set, with the same exit, on the original and on the export;
* `selection`: `lockstrip.formats.poetry.selection.select` on the running interpreter's
  target (CPython 3.11, x86_64 manylinux: where Poetry runs here) takes the third-party
  set Poetry's plan on the original installs;
* `bump`: the root and member versions raised and the project locked again, the export's
  bytes and the digest (with and without the target) are unchanged in every scope;
* `add`: a dependency added to one group and the project locked again, the digest of each
  scope changes exactly when the scope installs that group.

Every comparison is counted; each disagreement names its comparison, scope and difference.
"""

from __future__ import annotations

import platform
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from lockstrip.environment.target import Target, parse_target
from lockstrip.formats.poetry import FORMAT
from lockstrip.formats.poetry.model import PoetryProject
from lockstrip.formats.poetry.selection import select
from lockstrip.formats.request import Scope
from poetry_oracle import clients
from poetry_oracle.generate import Case, Universe, lock

__all__ = ["KINDS", "Disagreement", "Outcome", "ScopeCase", "check_case", "scopes"]

KINDS = ("check", "plan", "selection", "bump", "add")


def target() -> Target:
    """The machine Poetry plans for here: this interpreter on x86_64 manylinux."""
    found = parse_target(platform.python_version(), "x86_64-manylinux_2_28")
    assert found is not None
    return found


@dataclass(frozen=True)
class ScopeCase:
    label: str
    args: tuple[str, ...]  # poetry install's options
    scope: Scope  # the same, as lockstrip reads it
    groups: frozenset[str]  # the groups Poetry installs (its documented meaning)


def scopes(case: Case) -> list[ScopeCase]:
    every = {"main", *case.groups}
    default = frozenset(every - case.optional_groups)
    found = [
        ScopeCase("default", (), Scope(), default),
        ScopeCase(
            "--only main", ("--only", "main"), Scope(only_groups=("main",)), frozenset({"main"})
        ),
    ]
    for group in sorted(case.optional_groups):
        found.append(
            ScopeCase(
                f"--with {group}", ("--with", group), Scope(groups=(group,)), default | {group}
            )
        )
    for extra in sorted(case.extras):
        found.append(ScopeCase(f"-E {extra}", ("-E", extra), Scope(extras=(extra,)), default))
    if case.extras:
        found.append(ScopeCase("--all-extras", ("--all-extras",), Scope(all_extras=True), default))
    return found


@dataclass(frozen=True)
class Disagreement:
    kind: str
    scope: str
    detail: str

    def entry(self, case: Case, locker: str) -> str:
        return f"seed {case.seed} [{locker}] {self.kind} ({self.scope}): {self.detail}"


@dataclass
class Outcome:
    seed: int
    locker: str
    locked: bool = False
    lock_error: str = ""
    compared: Counter[str] = field(default_factory=Counter)
    disagreements: list[Disagreement] = field(default_factory=list)

    def kinds(self) -> set[str]:
        return {d.kind for d in self.disagreements}

    def differ(self, kind: str, scope: str, detail: str) -> None:
        self.disagreements.append(Disagreement(kind, scope, detail))


Plan = frozenset[tuple[str, str]]


def _plan(result: clients.Result, planned: Sequence[clients.Planned]) -> tuple[bool, Plan]:
    return result.ok, frozenset((p.name, p.version) for p in planned if not p.skipped)


def _locked(case: Case, locker: str, folder: Path, world: Universe, **options: Any) -> str | None:
    """Writes and locks the case in `folder`; the error when Poetry refuses."""
    case.write(folder, world, **options)
    result = lock(locker, folder, world)
    return None if result.ok else result.output.strip()


def _relock(locker: str, folder: Path, world: Universe) -> str | None:
    """Locks again keeping what is locked (`--no-update` is 1.8's; 2.x keeps by default)."""
    result = lock(locker, folder, world, *(("--no-update",) if locker == clients.POETRY_1 else ()))
    return None if result.ok else result.output.strip()


def _poetry(locker: str, args: Sequence[str], folder: Path, world: Universe) -> clients.Result:
    """Poetry offline (clients.run) without plugins, planning against the universe's venv."""
    env = {"VIRTUAL_ENV": str(world.venv)}
    return clients.run(locker, ["--no-plugins", *args], folder, env=env)


def _install_plan(
    locker: str, args: Sequence[str], folder: Path, world: Universe
) -> tuple[clients.Result, list[clients.Planned]]:
    """`poetry install --no-root --dry-run` plus `args`, as clients.poetry_install_plan."""
    result = _poetry(locker, ("install", "--no-root", "--dry-run", *args), folder, world)
    return result, clients.parse_poetry_plan(result.stdout)


def export(source: Path, dest: Path) -> dict[str, str]:
    """What `lockstrip export` writes for `source`, written to `dest`."""
    files = dict(FORMAT.export(FORMAT.read(source)).files)
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return files


def _digests(project: PoetryProject, cases: Sequence[ScopeCase]) -> dict[str, tuple[str, str]]:
    here = target()
    return {
        s.label: (
            FORMAT.digest(project, s.scope).value,
            FORMAT.digest(project, s.scope, here).value,
        )
        for s in cases
    }


def _third_party(project: PoetryProject, scope: Scope) -> Plan:
    chosen = select(project, scope, target())
    return frozenset((p.name, p.version) for p in chosen.packages if not p.local)


def _show(a: Plan, b: Plan) -> str:
    only_a = ", ".join(f"{n} {v}" for n, v in sorted(a - b)) or "-"
    only_b = ", ".join(f"{n} {v}" for n, v in sorted(b - a)) or "-"
    return f"only in the first: {only_a}; only in the second: {only_b}"


def check_case(
    case: Case,
    locker: str,
    world: Universe,
    tmp: Path,
    *,
    workers: int = 3,
    kinds: Sequence[str] = KINDS,
) -> Outcome:
    """Lock `case` with `locker` and compare; Poetry's calls run `workers` at a time."""
    outcome = Outcome(case.seed, locker)
    original, exported = tmp / "original", tmp / "export"
    error = _locked(case, locker, original, world)
    if error is not None:
        outcome.lock_error = error
        return outcome
    outcome.locked = True
    export(original, exported)
    project = FORMAT.read(original)
    cases = scopes(case)
    calls: dict[tuple[str, str], Callable[[], Any]] = {}
    if "check" in kinds:
        for name, folder in (("original", original), ("export", exported)):
            calls[("check", name)] = partial(_poetry, locker, ("check", "--lock"), folder, world)
    if "plan" in kinds or "selection" in kinds:
        for s in cases:
            for name, folder in (("original", original), ("export", exported)):
                args = ("--no-directory", *s.args)
                calls[(s.label, name)] = partial(_install_plan, locker, args, folder, world)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {key: pool.submit(call) for key, call in calls.items()}
        # The relocks run meanwhile: they need the universe, not the plans.
        later = {}
        if "bump" in kinds:
            later["bump"] = pool.submit(_locked, case, locker, tmp / "bumped", world, bump=True)
        added_group = _group_to_add(case)
        if "add" in kinds:
            later["add"] = pool.submit(_locked, case, locker, tmp / "added", world, add=added_group)
        done = {key: future.result() for key, future in futures.items()}
        relocked = {key: future.result() for key, future in later.items()}
    if "check" in kinds:
        outcome.compared["check"] += 1
        before, after = done[("check", "original")], done[("check", "export")]
        if before.ok and not after.ok:
            outcome.differ(
                "check", "-", f"check --lock fails on the export: {after.output.strip()[-300:]}"
            )
        elif not before.ok:
            outcome.differ(
                "check", "-", f"check --lock fails on the original: {before.output.strip()[-300:]}"
            )
    for s in cases:
        if ("plan" in kinds or "selection" in kinds) is False:
            break
        ok_a, plan_a = _plan(*done[(s.label, "original")])
        ok_b, plan_b = _plan(*done[(s.label, "export")])
        if "plan" in kinds:
            outcome.compared["plan"] += 1
            if ok_a != ok_b or plan_a != plan_b:
                detail = f"original exit ok={ok_a}, export ok={ok_b}; {_show(plan_a, plan_b)}"
                if ok_a != ok_b:
                    failed = done[(s.label, "export" if ok_a else "original")][0]
                    detail += f"; {failed.output.strip()[-300:]}"
                outcome.differ("plan", s.label, detail)
        if "selection" in kinds and ok_a:
            outcome.compared["selection"] += 1
            chosen = _third_party(project, s.scope)
            if chosen != plan_a:
                outcome.differ(
                    "selection", s.label, f"Poetry's plan vs select(): {_show(plan_a, chosen)}"
                )
    if "bump" in kinds:
        _compare_bump(outcome, locker, tmp, exported, cases, project, relocked["bump"])
    if "add" in kinds:
        _compare_add(outcome, tmp, cases, project, added_group, relocked["add"])
    return outcome


def _group_to_add(case: Case) -> str:
    """The group the add comparison grows: an optional one, else a plain one, else main."""
    optional = sorted(case.optional_groups)
    plain = sorted(set(case.groups) - case.optional_groups)
    return (optional or plain or ["main"])[0]


def _compare_bump(
    outcome: Outcome,
    locker: str,
    tmp: Path,
    exported: Path,
    cases: Sequence[ScopeCase],
    project: PoetryProject,
    error: str | None,
) -> None:
    outcome.compared["bump"] += 1
    if error is not None:
        outcome.differ("bump", "-", f"Poetry refuses the bumped project: {error[-300:]}")
        return
    bumped = tmp / "bumped"
    before = {
        p.relative_to(exported).as_posix(): p.read_bytes()
        for p in exported.rglob("*")
        if p.is_file()
    }
    files = export(bumped, tmp / "bumped-export")
    after = {rel: text.encode() for rel, text in files.items()}
    if before != after:
        changed = sorted(
            rel for rel in set(before) | set(after) if before.get(rel) != after.get(rel)
        )
        outcome.differ("bump", "-", f"export bytes change: {', '.join(changed)}")
    old, new = _digests(project, cases), _digests(FORMAT.read(bumped), cases)
    for s in cases:
        if old[s.label] != new[s.label]:
            outcome.differ("bump", s.label, "digest changes with the versions")


def _compare_add(
    outcome: Outcome,
    tmp: Path,
    cases: Sequence[ScopeCase],
    project: PoetryProject,
    group: str,
    error: str | None,
) -> None:
    outcome.compared["add"] += 1
    if error is not None:
        outcome.differ("add", group, f"Poetry refuses the grown project: {error[-300:]}")
        return
    old, new = _digests(project, cases), _digests(FORMAT.read(tmp / "added"), cases)
    for s in cases:
        expected = group in s.groups
        for which, a, b in (
            ("any target", old[s.label][0], new[s.label][0]),
            ("3.11 target", old[s.label][1], new[s.label][1]),
        ):
            if (a != b) != expected:
                what = "unchanged" if expected else "changed"
                outcome.differ("add", s.label, f"probe added to {group}: {which} digest {what}")
