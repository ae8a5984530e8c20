"""The Poetry format against real Poetry, on every real project under fixtures/poetry.

Poetry is the oracle (tests/poetry_oracle: 2.5.1 and 1.8.5, offline, isolated):

* the export: `poetry check --lock` passes on it whenever the original's lock is fresh, and
  `poetry install --no-root --no-directory --dry-run` plans the same (name, version) set on
  the original and on the export, in every scope (default, `--only main`, `--with` each
  optional group, `--without` each other group, `--all-extras` and each extra);
* the selection: `selection.select(project, scope, CPython 3.11 on x86_64 Linux)` takes the
  third-party set Poetry 2.5.1 plans on the original (this machine: CPython 3.11, x86_64,
  glibc Linux), scope by scope;
* version bumps (the real release pairs and one made for every project) change no byte of
  the export and no digest; a dependency change changes the digest of the scopes it reaches;
* bad input is exit 2 naming the file and the field.

Fast tier: a slice of projects in the default scope. Slow tier: every project, scope and
release.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from poetry_oracle import clients

from lockstrip.cli import run
from lockstrip.environment.target import parse_target
from lockstrip.formats.poetry import FORMAT as POETRY
from lockstrip.formats.poetry.model import PoetryProject, normalize
from lockstrip.formats.poetry.render import build_export
from lockstrip.formats.poetry.root import MAIN, read_root
from lockstrip.formats.poetry.selection import select
from lockstrip.formats.request import Scope

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "poetry"
#: The machine Poetry runs on here: CPython 3.11 on x86_64 glibc Linux, at the patch release
#: Poetry's interpreter has (Flagsmith's lock marks async-timeout `python_full_version <=
#: "3.11.2"`).
TARGET = parse_target(clients.python_version(clients.POETRY_2) or "3.11", "x86_64-manylinux_2_28")


class Case(NamedTuple):
    name: str
    tree: Path  # the fixture snapshot (the repository, from the lock's folder up)
    lock_dir: str  # where poetry.lock is inside it (POSIX, "." for the top)


def _lock_dir(snapshot: Path) -> str:
    found = re.search(r"^lock_dir: (.+)$", (snapshot / "SOURCE.txt").read_text(), re.M)
    return found[1].strip() if found else "."


def _cases() -> list[Case]:
    found = []
    for folder in sorted(path for path in FIXTURES.iterdir() if path.is_dir()):
        snapshot = folder / "after" if (folder / "after").is_dir() else folder
        found.append(Case(folder.name, snapshot, _lock_dir(snapshot)))
    return found


CASES = _cases()
#: The two largest locks (243 packages, ~20 scopes each): their offline checks take seconds,
#: so they run in the slow tier; every other project runs in the fast one.
_LARGEST = ("strawberry-graphql__strawberry", "strawberry-graphql__strawberry__version-bump")
TIERED = [
    pytest.param(case, id=case.name, marks=[pytest.mark.slow] if case.name in _LARGEST else [])
    for case in CASES
]
BY_NAME = {case.name: case for case in CASES}
PAIRS = sorted(path for path in FIXTURES.iterdir() if (path / "before").is_dir())


class Choice(NamedTuple):
    """One scope: Poetry's options for it and lockstrip's `Scope`."""

    label: str
    args: tuple[str, ...]
    scope: Scope


#: `LOCKSTRIP_ORACLE_SWEEP=1`: every group and extra of every project (about half an hour on
#: two cores); the slow tier takes the first two of each kind, which `.ci/run` can afford.
SWEEP = os.environ.get("LOCKSTRIP_ORACLE_SWEEP") == "1"


def scopes(project: PoetryProject) -> list[Choice]:
    """Every scope worth asking of a project: default, `--only main`, `--with` each optional
    group, `--without` each other group, `--all-extras` and each extra."""
    root = read_root(project.pyproject, project.pyproject_path)
    limit = None if SWEEP else 2  # the slow tier takes the first two of each kind
    found = [Choice("default", (), Scope())]
    if root.groups[MAIN]:  # without main dependencies Poetry refuses `--only main` (poetry-core)
        found.append(Choice("--only main", ("--only", MAIN), Scope(only_groups=(MAIN,))))
    for group in sorted(root.optional_groups)[:limit]:
        found.append(Choice(f"--with {group}", ("--with", group), Scope(groups=(group,))))
    for group in sorted(set(root.groups) - root.optional_groups - {MAIN})[:limit]:
        found.append(Choice(f"--without {group}", ("--without", group), Scope(no_groups=(group,))))
    if root.extras:
        found.append(Choice("--all-extras", ("--all-extras",), Scope(all_extras=True)))
        for extra in sorted(root.extras)[:limit]:
            found.append(Choice(f"-E {extra}", ("--extras", extra), Scope(extras=(extra,))))
    return found


# -- copies of the original and of the export ------------------------------------------------


def _declared_files(pyproject: dict[str, Any]) -> list[str]:
    """The readme and license files pyproject names (the fixtures hold neither)."""
    names: list[str] = []
    for table in (pyproject.get("project", {}), pyproject.get("tool", {}).get("poetry", {})):
        readme = table.get("readme")
        if isinstance(readme, str):
            names.append(readme)
        elif isinstance(readme, list):
            names += [item for item in readme if isinstance(item, str)]
        elif isinstance(readme, dict) and isinstance(readme.get("file"), str):
            names.append(readme["file"])
        license_ = table.get("license")
        if isinstance(license_, dict) and isinstance(license_.get("file"), str):
            names.append(license_["file"])
    return names


def original_copy(case: Case, into: Path) -> Path:
    """The project as a checkout has it: the fixture, with empty placeholders for the readme
    and license files its pyproject names. Returns the lock's folder."""
    shutil.copytree(case.tree, into)
    work = into / case.lock_dir
    for name in _declared_files(tomllib.loads((work / "pyproject.toml").read_text())):
        path = work / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    return work


def export_copy(case: Case, into: Path) -> Path:
    """The export alone, at the lock folder's place in the tree: nothing else of the project.
    Returns the lock's folder."""
    project = POETRY.read(case.tree / case.lock_dir)
    export = build_export(project)
    work = into / case.lock_dir
    for rel, text in export.files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))  # byte for byte: a CRLF lock stays CRLF
    return work


@functools.cache
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="lockstrip-poetry-format-"))


@functools.cache
def copies(name: str) -> tuple[Path, Path]:
    """(original, export) lock folders of a fixture, made once a session."""
    case = BY_NAME[name]
    return original_copy(case, _scratch() / name / "original"), export_copy(
        case, _scratch() / name / "export"
    )


@functools.cache
def plan(name: str, which: str, args: tuple[str, ...], locker: str) -> Planned:
    """Poetry's planned third-party set for one copy and scope (cached for the session)."""
    original, export = copies(name)
    result, planned = clients.poetry_install_plan(
        original if which == "original" else export, ["--no-directory", *args], locker
    )
    return Planned(
        result, frozenset((normalize(p.name), p.version) for p in planned if not p.skipped)
    )


class Planned(NamedTuple):
    result: clients.Result
    packages: frozenset[tuple[str, str]]


@functools.cache
def check(name: str, which: str, locker: str) -> clients.Result:
    original, export = copies(name)
    return clients.poetry_check_lock(original if which == "original" else export, locker)


def _prefetch(name: str, locker: str, choices: list[Choice], *, export: bool = True) -> None:
    """Run the Poetry calls a comparison needs, four at a time (each is mostly waiting for
    its subprocess); the results land in the caches above."""
    from concurrent.futures import ThreadPoolExecutor

    copies(name)  # made once, before the threads read them
    which = ("original", "export") if export else ("original",)
    with ThreadPoolExecutor(max_workers=4) as pool:
        checks = [pool.submit(check, name, copy, locker) for copy in which]
        plans = [pool.submit(plan, name, copy, c.args, locker) for c in choices for copy in which]
        for done in checks:
            done.result()
        for waited in plans:
            waited.result()


def _need(locker: str) -> None:
    reason = clients.unavailable(locker)
    if reason:
        pytest.skip(reason)


def _errors(result: clients.Result) -> set[str]:
    """The error lines of a failed `check` or `install`, but those about the readme and
    license files the fixtures leave out (and the export drops)."""
    skip = ("README", "readme", "license", "LICENSE", "Warning:")
    return {
        line.strip()
        for line in result.output.splitlines()
        if line.strip()
        and not any(word in line for word in skip)
        and (line.strip().startswith(("Error", "-", "Cannot")) or "not found" in line)
    }


def _last(result: clients.Result) -> str:
    lines = [line.strip() for line in result.output.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _short(result: clients.Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    return " / ".join(lines[-3:])[:300]


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    if _scratch.cache_info().currsize:
        shutil.rmtree(_scratch(), ignore_errors=True)
        _scratch.cache_clear()
        copies.cache_clear()


# -- 1. the export plans what the original plans ---------------------------------------------

#: Where a release cannot plan the original at all, and why (docs/poetry-facts.md): the
#: test asserts that it fails, so a project that starts to plan is noticed, and compares the
#: rest.
UNPLANNABLE: dict[tuple[str, str], str] = {
    ("sdispater__pendulum", clients.POETRY_2): "lock written by 1.8.4 for a [project] file: "
    "stale for Poetry 2, which hashes [project]",
    **{
        (name, clients.POETRY_1): "a Poetry 2 project: requires-poetry/requires-plugins or a "
        "[project] without [tool.poetry] metadata fail 1.8.5's schema"
        for name in (
            "commitizen-tools__commitizen",
            "commitizen-tools__commitizen__version-bump",
            "python-poetry__poetry",
            "python-poetry__poetry-core",
            "python-poetry__poetry__version-bump",
            "strawberry-graphql__strawberry",
            "strawberry-graphql__strawberry__version-bump",
            "synnaxlabs__synnax",
            "wemake-services__wemake-python-styleguide",
            "wemake-services__wemake-python-styleguide__at-79aea9f",
        )
    },
    ("martius-lab__depRL", clients.POETRY_1): 'python = ">=3.9, <=3.11.5" excludes this '
    "machine's 3.11.7, which 1.8.5 refuses (2.5.1 plans it)",
}


def export_disagreements(name: str, locker: str, choices: list[Choice]) -> list[str]:
    """How the export differs from the original for one release, scope by scope ([] when it
    agrees everywhere): `check --lock` and the planned (name, version) sets."""
    _prefetch(name, locker, choices)
    problems = []
    original = check(name, "original", locker)
    exported = check(name, "export", locker)
    if clients.lock_is_fresh(original) and not exported.ok:
        # The export drops the readme and license, so it must pass, unless the original
        # fails for its own reasons too (pandas-ai's extras name packages it never declares).
        new = _errors(exported) - _errors(original)
        if new or not _errors(exported):
            problems.append(f"check --lock fails on the export: {_short(exported)}")
    for choice in choices:
        before = plan(name, "original", choice.args, locker)
        after = plan(name, "export", choice.args, locker)
        if not before.result.ok:
            # Poetry refuses the original (1.8.5 on a group name it does not normalize, on a
            # lock stale for it): the export must be refused for the same reason.
            if after.result.ok or _last(after.result) != _last(before.result):
                problems.append(
                    f"{choice.label}: the original does not plan ({_short(before.result)}), "
                    f"the export {'plans' if after.result.ok else _short(after.result)}"
                )
        elif not after.result.ok:
            problems.append(f"{choice.label}: the export does not plan: {_short(after.result)}")
        elif before.packages != after.packages:
            lost, gained = before.packages - after.packages, after.packages - before.packages
            problems.append(f"{choice.label}: lost {sorted(lost)}, gained {sorted(gained)}")
    return problems


def _agree(name: str, locker: str, choices: list[Choice]) -> None:
    _need(locker)
    reason = UNPLANNABLE.get((name, locker))
    if reason is not None:
        result = plan(name, "original", (), locker).result
        assert not result.ok, f"{name} plans with {locker} now; drop it from UNPLANNABLE"
        pytest.skip(f"{locker} cannot plan the original: {reason}")
    problems = export_disagreements(name, locker, choices)
    assert not problems, f"{name} with {locker}:\n" + "\n".join(problems)


#: The fast tier's slice, in the default scope: a `package-mode = false` root with 11 develop
#: members and a CRLF lock (2.1), and a root that a locked package depends on (lock 2.0:
#: Poetry solves again with the root in the graph; extras and `python =` restrictions).
FAST = ("coveooss__coveo-python-oss", "nonebot__nonebot2__at-317a2b8")


@pytest.mark.parametrize("name", FAST)
def test_the_export_plans_what_the_original_plans(name: str) -> None:
    project = POETRY.read(BY_NAME[name].tree / BY_NAME[name].lock_dir)
    _agree(name, clients.POETRY_2, scopes(project)[:1])


@pytest.mark.slow
@pytest.mark.parametrize("locker", clients.POETRIES)
@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_the_export_plans_what_the_original_plans_in_every_scope(name: str, locker: str) -> None:
    project = POETRY.read(BY_NAME[name].tree / BY_NAME[name].lock_dir)
    _agree(name, locker, scopes(project))


# -- 2. the selection takes what Poetry 2.5.1 plans -----------------------------------------

#: Where lockstrip's selection and Poetry 2.5.1's plan cannot be compared, and why.
SELECTION_XFAIL: dict[str, str] = {
    "sdispater__pendulum": "Poetry 2.5.1 refuses the original: its lock (by 1.8.4) is stale "
    "for Poetry 2, which hashes [project]. 1.8.5, which plans it, ignores [project]: it agrees "
    "with the selection on 9 of 11 scopes and differs on `--only main` and `--without test` by "
    "time-machine alone, a main dependency in [project] but optional in [tool.poetry]",
}


#: Single scopes that differ, each with what differs and why: the rest of the project's
#: scopes are still compared, and a difference that changes fails.
SELECTION_KNOWN: dict[tuple[str, str], str] = {
    (
        "sinaptik-ai__pandas-ai",
        "-E modin: missing [('grpcio-status', '1.59.2')], extra []",
    ): "a lock 2.0 from Poetry 1.8.2 whose extra names `ray`, no dependency of the project "
    '(`poetry check`: "Cannot find dependency ray for extra modin"); Poetry 2.5.1 solves '
    "again and takes google-api-core's grpc extra, which only google-generativeai's packages "
    "ask for, outside `-E modin`",
}


def selection_disagreements(name: str, choices: list[Choice]) -> list[str]:
    case = BY_NAME[name]
    project = POETRY.read(case.tree / case.lock_dir)
    _prefetch(name, clients.POETRY_2, choices, export=False)
    problems = []
    for choice in choices:
        planned = plan(name, "original", choice.args, clients.POETRY_2)
        assert planned.result.ok, f"{name} {choice.label}: {_short(planned.result)}"
        chosen = select(project, choice.scope, TARGET).packages
        taken = {(package.name, package.version) for package in chosen if not package.local}
        if taken != planned.packages:
            missing, extra = planned.packages - taken, taken - planned.packages
            problem = f"{choice.label}: missing {sorted(missing)}, extra {sorted(extra)}"
            if (name, problem) not in SELECTION_KNOWN:
                problems.append(problem)
    return problems


def _selection_agrees(name: str, choices: list[Choice]) -> None:
    _need(clients.POETRY_2)
    if name in SELECTION_XFAIL:
        pytest.xfail(SELECTION_XFAIL[name])
    problems = selection_disagreements(name, choices)
    assert not problems, f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        *((name, "default") for name in FAST),
        # lock 1.1 with a `python = "<3.9"` dependency table: excluded from `--only main`
        ("Textualize__rich__at-b9c9eb5", "--only main"),
        # lock 2.1 recording cffi for main as `extra == "aiohttp" or extra == "all"`
        ("nonebot__nonebot2", "-E aiohttp"),
    ],
)
def test_the_selection_takes_what_poetry_plans(name: str, label: str) -> None:
    project = POETRY.read(BY_NAME[name].tree / BY_NAME[name].lock_dir)
    _selection_agrees(name, [c for c in scopes(project) if c.label == label])


@pytest.mark.slow
@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_the_selection_takes_what_poetry_plans_in_every_scope(name: str) -> None:
    project = POETRY.read(BY_NAME[name].tree / BY_NAME[name].lock_dir)
    _selection_agrees(name, scopes(project))


# -- 3. a version bump changes no byte and no digest; a dependency change does ---------------


def _all_scopes(project: PoetryProject) -> list[Scope | None]:
    return [None, *(choice.scope for choice in scopes(project))]


def _digests(project: PoetryProject) -> dict[str, str]:
    from lockstrip.formats.poetry.render import compute_digest

    found = {}
    for scope in _all_scopes(project):
        for target in (None, TARGET):
            key = f"{scope.describe() if scope else 'whole lock'} {'3.11' if target else 'any'}"
            found[key] = compute_digest(project, scope, target).value
    return found


def _next_version(version: str) -> str:
    """A release after `version`: the minor part one up (`2.0.0rc3` -> `2.1.0`)."""
    parts = [int(part) for part in re.findall(r"\d+", version.split("+")[0])[:2]] + [0, 0]
    return f"{parts[0]}.{parts[1] + 1}.0"


def bump_pyproject(text: str) -> str:
    """pyproject.toml with `[project]` and `[tool.poetry]` `version` set to the next release,
    every other byte kept."""
    lines, table = text.split("\n"), ""
    for at, line in enumerate(lines):
        header = re.match(r"\s*\[([^\[\]]+)\]\s*(#.*)?$", line, re.S)
        if header:
            table = header[1].strip().replace('"', "")
        value = re.match(r'(\s*version\s*=\s*)"([^"]*)"(.*)$', line, re.S)
        if value and table in ("project", "tool.poetry"):
            lines[at] = f'{value[1]}"{_next_version(value[2])}"{value[3]}'
    return "\n".join(lines)


def bump_lock(text: str, names: set[str]) -> str:
    """poetry.lock with the version of the packages named bumped, every other byte kept."""
    blocks = re.split(r"(?m)^(?=\[\[package\]\]\r?$)", text)
    for at, block in enumerate(blocks):
        name = re.search(r'(?m)^name = "([^"]+)"\r?$', block)
        if block.startswith("[[package]]") and name and normalize(name[1]) in names:
            blocks[at] = re.sub(
                r'(?m)^version = "([^"]+)"(?=\r?$)',
                lambda m: f'version = "{_next_version(m[1])}"',
                block,
                count=1,
            )
    return "".join(blocks)


def bumped_copy(case: Case, into: Path) -> Path:
    """A release of the project made here: the root's and every member's version one up, in
    their pyproject files and in the lock's member entries. Returns the lock's folder."""
    shutil.copytree(case.tree, into)
    work = into / case.lock_dir
    project = POETRY.read(work)
    for path in [work / "pyproject.toml"] + [
        work / member.path / "pyproject.toml"
        for member in project.members.values()
        if member.pyproject is not None and member.path != "."
    ]:
        path.write_bytes(bump_pyproject(path.read_bytes().decode()).encode())
    lock = work / "poetry.lock"
    lock.write_bytes(bump_lock(lock.read_bytes().decode(), set(project.members)).encode())
    return work


def _assert_same_outputs(old: Path, new: Path) -> None:
    before, after = POETRY.read(old), POETRY.read(new)
    assert before.pyproject != after.pyproject or before.lock_text != after.lock_text
    assert build_export(before).files == build_export(after).files
    assert _digests(before) == _digests(after)


@pytest.mark.parametrize("pair", PAIRS, ids=[pair.name for pair in PAIRS])
def test_a_real_release_changes_no_export_byte_and_no_digest(pair: Path) -> None:
    lock_dir = _lock_dir(pair / "after")
    _assert_same_outputs(pair / "before" / lock_dir, pair / "after" / lock_dir)


@pytest.mark.parametrize("case", TIERED)
def test_a_made_release_changes_no_export_byte_and_no_digest(case: Case, tmp_path: Path) -> None:
    bumped = bumped_copy(case, tmp_path / "bumped")
    project = POETRY.read(bumped)
    for member in project.members.values():  # the bump reached every member it could
        if member.pyproject is not None and member.path != ".":
            original = (case.tree / case.lock_dir / member.path / "pyproject.toml").read_text()
            assert (bumped / member.path / "pyproject.toml").read_text() != original
    _assert_same_outputs(case.tree / case.lock_dir, bumped)


def _version_of(doc: dict[str, Any]) -> str | None:
    version = doc.get("project", {}).get("version") or doc.get("tool", {}).get("poetry", {}).get(
        "version"
    )
    return version if isinstance(version, str) else None


@pytest.mark.parametrize("case", TIERED)
def test_masked_versions_agree_across_the_export(case: Case) -> None:
    """A member's masked version is the same in its pyproject and in the lock's entry, and
    every locked package's constraint on the root or a member allows the masked version."""
    from lockstrip.formats.poetry.constraints import allows

    project = POETRY.read(case.tree / case.lock_dir)
    files = build_export(project).files
    lock = tomllib.loads(files["poetry.lock"])
    locked = {normalize(p["name"]): p["version"] for p in lock["package"]}
    versions = {}
    root_version = _version_of(tomllib.loads(files["pyproject.toml"]))
    if project.name is not None and root_version is not None:
        versions[project.name] = root_version
    for name, member in project.members.items():
        rel = f"{member.path}/pyproject.toml"
        if rel in files:
            own = _version_of(tomllib.loads(files[rel]))
            if own is not None:
                assert own == locked[name], f"{name}: pyproject {own}, lock {locked[name]}"
        versions[name] = locked[name]
    for package in lock["package"]:
        for dep, spec in package.get("dependencies", {}).items():
            for item in spec if isinstance(spec, list) else [spec]:
                constraint = item if isinstance(item, str) else item.get("version", "*")
                if normalize(dep) in versions:
                    version = versions[normalize(dep)]
                    assert allows(constraint, version), f"{package['name']}: {dep} {constraint}"


PROBE = "lockstrip-probe"


def add_dependency(doc: dict[str, Any], group: str) -> dict[str, Any]:
    """`doc` with a dependency on PROBE added to `group` (MAIN: the project's own), written
    where the project declares that group."""
    import copy

    doc = copy.deepcopy(doc)
    poetry = doc.get("tool", {}).get("poetry", {})
    if group == MAIN:
        if isinstance(doc.get("project", {}).get("dependencies"), list):
            doc["project"]["dependencies"].append(f"{PROBE}>=1")
        else:
            poetry.setdefault("dependencies", {})[PROBE] = ">=1"
        return doc
    for name, items in doc.get("dependency-groups", {}).items():
        if normalize(name) == group:
            items.append(f"{PROBE}>=1")
            return doc
    for name, table in poetry.get("group", {}).items():
        if normalize(name) == group:
            table.setdefault("dependencies", {})[PROBE] = ">=1"
            return doc
    poetry["dev-dependencies"][PROBE] = ">=1"
    return doc


def _reaches(choice: Choice | None, group: str, optional: frozenset[str]) -> bool:
    """Whether an install of `choice` (None: the whole lock) takes `group`, as Poetry says:
    every non-optional group by default, `--with` adds one, `--without` and `--only` narrow."""
    if choice is None:
        return True
    scope = choice.scope
    if scope.only_groups:
        return group in scope.only_groups
    if group in scope.no_groups:
        return False
    return group not in optional or group in scope.groups


@pytest.mark.parametrize("case", TIERED)
def test_a_dependency_change_changes_the_digest_of_the_scopes_it_reaches(case: Case) -> None:
    from lockstrip.formats.poetry import FORMAT
    from lockstrip.formats.poetry.render import compute_digest
    from lockstrip.io.tomlwrite import render_pyproject

    project = POETRY.read(case.tree / case.lock_dir)
    root = read_root(project.pyproject, project.pyproject_path)
    choices: list[Choice | None] = [None, *scopes(project)]
    before = {
        (choice, target): compute_digest(project, choice and choice.scope, target).value
        for choice in choices
        for target in (None, TARGET)
    }
    for group in sorted(root.groups):
        changed = add_dependency(project.pyproject, group)
        texts = {"poetry.lock": project.lock_text, "pyproject.toml": render_pyproject(changed)}
        for member in project.members.values():
            if member.pyproject is not None and member.path != ".":
                texts[f"{member.path}/pyproject.toml"] = render_pyproject(member.pyproject)
        other = FORMAT.read_texts(texts, project.root)
        for choice in choices:
            scope = None if choice is None else choice.scope
            for target in (None, TARGET):
                old = before[(choice, target)]
                new = compute_digest(other, scope, target).value
                label = "whole lock" if choice is None else choice.label
                expected = _reaches(choice, group, root.optional_groups)
                assert (old != new) == expected, (
                    f"{PROBE} added to group {group}: the digest of {label} "
                    f"({'3.11' if target else 'any'}) {'kept' if expected else 'changed'}"
                )


# -- 4. bad input: exit 2, one line naming the file and the field ----------------------------


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from lockstrip.cli import run

    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err: str, *names: str) -> None:
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("lockstrip: error: "), err
    for name in names:
        assert name in err, f"{name!r} not in {err!r}"


@pytest.fixture
def rich(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "Textualize__rich", tmp_path / "rich"))


@pytest.mark.parametrize("command", ["digest", "export"])
def test_an_unknown_lock_version_is_refused(
    rich: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = rich / "poetry.lock"
    lock.write_text(lock.read_text().replace('lock-version = "2.1"', 'lock-version = "3.0"'))
    extra = ["--out", str(rich / "out")] if command == "export" else []
    code, out, err = _cli(capsys, command, str(rich), *extra)
    assert code == 2 and out == ""
    _one_line_error(err, str(lock), "metadata.lock-version", "'3.0'")
    assert not (rich / "out").exists()


def test_two_locks_need_lock_file(rich: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (rich / "uv.lock").write_text("version = 1\n")
    code, _, err = _cli(capsys, "digest", str(rich))
    assert code == 2
    _one_line_error(err, "uv.lock", "poetry.lock", "--lock")
    code, out, _ = _cli(capsys, "digest", str(rich), "--lock", "poetry.lock", "--json")
    assert code == 0
    (rich / "uv.lock").unlink()
    assert _cli(capsys, "digest", str(rich), "--json")[1] == out  # the Poetry digest


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        # a files entry without its hash
        (lambda text: re.sub(r', hash = "sha256:[0-9a-f]+"\}', "}", text, count=1), ".hash"),
        # [package.dependencies] written as a string
        (
            lambda text: text.replace(
                "[package.dependencies]\n", 'dependencies = "six"\n[package.x]\n', 1
            ),
            ".dependencies",
        ),
        # a dependency constraint that is no constraint
        (
            lambda text: re.sub(
                r'(?m)^(?!python-versions)([\w-]+ = )">=[^"]*"$', r'\1">=1 banana"', text, count=1
            ),
            ".dependencies.",
        ),
        # no content-hash
        (lambda text: re.sub(r"(?m)^content-hash = .*$", "", text), "metadata.content-hash"),
    ],
    ids=["file-without-hash", "dependencies-not-a-table", "bad-constraint", "no-content-hash"],
)
def test_a_broken_lock_names_its_file_and_field(
    rich: Path, broken: Any, field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = rich / "poetry.lock"
    text = lock.read_text()
    changed = broken(text)
    assert changed != text
    lock.write_text(changed)
    for command in (["digest", str(rich)], ["export", str(rich), "--out", str(rich / "out")]):
        code, _, err = _cli(capsys, *command)
        assert code == 2, err
        _one_line_error(err, str(lock), field)
        assert re.search(r"package\[\d+\]|metadata\.", err), err
    assert not (rich / "out").exists()


@pytest.mark.parametrize(
    "option", [["--with", "nope"], ["--without", "nope"], ["--only", "nope"], ["-E", "nope"]]
)
def test_an_unknown_group_or_extra_is_refused(
    rich: Path, option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(capsys, "digest", str(rich), *option)
    assert code == 2
    _one_line_error(err, str(rich / "pyproject.toml"), "'nope'")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('pygments = "^2.13.0"', 'pygments = "!!!"', "tool.poetry.dependencies.pygments:"),
        (
            'pygments = "^2.13.0"',
            'pygments = {version = "*", markers = "os_name =="}',
            "tool.poetry.dependencies.pygments.markers:",
        ),
    ],
)
def test_a_broken_root_dependency_is_bad_input(
    old: str, new: str, field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pyproject's dependency entries are checked where the project is read: every
    command, scoped or not, names the file and the field (it was an internal error)."""
    project = tmp_path / "rich"
    shutil.copytree(FIXTURES / "Textualize__rich", project)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert old in text
    pyproject.write_text(text.replace(old, new, 1))
    for args in (["digest", str(project)], ["digest", str(project), "--only", "main"]):
        assert run(args) == 2
        err = capsys.readouterr().err
        assert f"pyproject.toml: {field}" in err and "Traceback" not in err
