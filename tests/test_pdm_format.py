"""PDM projects behind the format seam, checked against PDM 2.29.4 itself.

The oracle (tests/poetry_oracle/clients.py, offline): on the export, `pdm lock --check`
passes whenever it passes on the original; `pdm install --dry-run --frozen-lockfile
--no-self` plans the same (name, version) set on the original and the export, and the set
lockstrip's selection takes for the same scope on this machine. The fast tier runs one
small project; `LOCKSTRIP_SLOW=1` runs every fixture, every locked group and the generated
scopes. Without PDM PDM's checks skip with the reason; the checks of lockstrip's own
output (bytes, digests, errors) run everywhere.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SMALL
from poetry_oracle import clients

from lockstrip.cli import run
from lockstrip.environment.target import running_target
from lockstrip.formats import detect
from lockstrip.formats.pdm import FORMAT
from lockstrip.formats.pdm.model import LOCK_VERSIONS, PdmLockError, PdmProject
from lockstrip.formats.pdm.selection import select
from lockstrip.formats.request import Scope
from lockstrip.io.tomlread import parse_toml
from lockstrip.io.tomlwrite import render_pyproject

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pdm"
#: Every pdm.lock folder of the corpus (a release pair counts twice).
FOLDERS = sorted(lock.parent for lock in FIXTURES.rglob("pdm.lock"))
IDS = [folder.relative_to(FIXTURES).as_posix() for folder in FOLDERS]
#: The fast tier's project: small, `inherit_metadata`, plans offline.
FAST = FIXTURES / "frostming__unearth"


def _need_pdm() -> None:
    reason = clients.unavailable(clients.PDM)
    if reason:
        pytest.skip(reason)


def _original(folder: Path, dest: Path) -> Path:
    """The project as PDM reads it: the lock and the pyproject, nothing else."""
    dest.mkdir(parents=True)
    for name in ("pdm.lock", "pyproject.toml"):
        shutil.copy(folder / name, dest / name)
    return dest


def _export(folder: Path, dest: Path) -> Path:
    export = FORMAT.export(FORMAT.read(folder))
    for rel, text in export.files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)
    return dest


def _pdm_args(scope: Scope | None) -> list[str]:
    """The `pdm install` options that mean `scope` (selection.py's mapping)."""
    if scope is None:
        return []
    args = [arg for g in (*scope.groups, *scope.extras) for arg in ("-G", g)]
    args += [arg for g in scope.only_groups for arg in ("--no-default", "-G", g)]
    args += ["-G", ":all"] if scope.all_groups or scope.all_extras else []
    args += ["--prod"] if scope.no_dev else []
    args += [arg for g in scope.no_groups for arg in ("--without", g)]
    return args


#: `LOCKSTRIP_ORACLE_SWEEP=1`: every locked group of every project (litestar's lock has
#: dozens); the slow tier that `.ci/run` runs takes the first four of each project's.
SWEEP = os.environ.get("LOCKSTRIP_ORACLE_SWEEP") == "1"


def _scopes(project: PdmProject) -> Iterator[Scope | None]:
    """Generated scopes: none, each locked group, and PDM's other options around them."""
    declared = project.declared
    yield None
    locked = [g for g in (project.groups or declared.groups) if g in declared.groups]
    for group in locked if SWEEP else locked[:4]:
        yield Scope(groups=(group,))
    yield Scope(no_dev=True)
    yield Scope(all_groups=True)
    for extra in sorted(declared.extras & set(locked))[:2]:
        yield Scope(extras=(extra,), no_dev=True)
    for group in sorted(declared.dev_groups & set(locked))[:2]:
        yield Scope(no_groups=(group,))
        yield Scope(only_groups=(group,))


def _plan_of(project: Path, scope: Scope | None) -> tuple[clients.Result, set[tuple[str, str]]]:
    result, plan = clients.pdm_install_plan(project, _pdm_args(scope))
    return result, {(item.name, item.version) for item in plan}


def _agree(folder: Path, tmp_path: Path, scopes: list[Scope | None]) -> list[str]:
    """Run PDM on the original and the export for each scope; the disagreements."""
    original = _original(folder, tmp_path / "original")
    export = _export(folder, tmp_path / "export")
    project = FORMAT.read(folder)
    problems = []
    before, after = clients.pdm_lock_check(original), clients.pdm_lock_check(export)
    if before.ok and not after.ok:
        problems.append(f"pdm lock --check passes on the original only: {after.output[-300:]}")
    if not project.inherits_metadata:
        return problems  # PDM resolves such a lock again at install: it may need the index
    target = running_target()
    for scope in scopes:
        result, planned = _plan_of(original, scope)
        again, exported = _plan_of(export, scope)
        if result.ok != again.ok or planned != exported:
            problems.append(f"{_pdm_args(scope)}: original {len(planned)}, export {len(exported)}")
        try:
            mine = {(p.name, p.version) for p in select(project, scope, target).packages}
        except PdmLockError as error:
            if result.ok:
                problems.append(f"{_pdm_args(scope)}: lockstrip refused ({error}), PDM planned")
            continue
        if not result.ok:
            problems.append(f"{_pdm_args(scope)}: PDM failed, lockstrip took {len(mine)}")
        elif {(n, v) for n, v in mine if not _local(project, n)} != planned:
            extra, missing = sorted(mine - planned)[:3], sorted(planned - mine)[:3]
            problems.append(f"{_pdm_args(scope)}: lockstrip +{extra} -{missing}")
    return problems


def _local(project: PdmProject, name: str) -> bool:
    return any(p.local and p.name == name for p in project.packages)


# -- PDM, the oracle ------------------------------------------------------------------------


def test_pdm_plans_the_export_and_the_selection_as_the_original(tmp_path: Path) -> None:
    _need_pdm()
    # Two scopes here (PDM takes seconds a plan); every generated scope in the slow tier.
    scopes = [None, Scope(extras=("keyring",), no_dev=True)]
    assert _agree(FAST, tmp_path, scopes) == []


@pytest.mark.slow
@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_every_fixture_agrees_with_pdm(folder: Path, tmp_path: Path) -> None:
    _need_pdm()
    assert _agree(folder, tmp_path, list(_scopes(FORMAT.read(folder)))) == []


@pytest.mark.slow
def test_the_check_detects_a_dependency_change_on_the_export(tmp_path: Path) -> None:
    """A control: the oracle's check does fail when the hashed content changes."""
    _need_pdm()
    export = _export(FAST, tmp_path / "export")
    assert clients.pdm_lock_check(export).ok
    pyproject = export / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("dependencies = [", 'dependencies = ["six",', 1)
    )
    assert not clients.pdm_lock_check(export).ok


# -- lockstrip's own output -----------------------------------------------------------------


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_every_fixture_reads_and_exports(folder: Path) -> None:
    project = FORMAT.read(folder)
    assert project.lock_version in LOCK_VERSIONS
    export = FORMAT.export(project)
    lock = (folder / "pdm.lock").read_text()
    local = {p.name for p in project.packages if p.local}
    if not local:
        assert export.files["pdm.lock"] == lock
    assert set(export.files) >= {"pdm.lock", "pyproject.toml"}
    stripped = export.files["pyproject.toml"]
    assert "[tool.pdm.scripts]" not in stripped and "[tool.ruff" not in stripped
    assert FORMAT.digest(project).packages == len(project.packages) - len(local)


def test_the_release_pair_keeps_export_and_digest() -> None:
    before, after = (
        FIXTURES / "litestar-org__litestar__version-bump" / s for s in ("before", "after")
    )
    old, new = FORMAT.read(before), FORMAT.read(after)
    assert old.pyproject["project"]["version"] != new.pyproject["project"]["version"]
    assert FORMAT.export(old).files == FORMAT.export(new).files
    assert FORMAT.digest(old) == FORMAT.digest(new)
    explanation = FORMAT.explain(old, new)
    assert not explanation.third_party_changed and explanation.changes == ()
    assert explanation.volatile == ("root version 2.12.1 → 2.13.0",)


def _bumped(folder: Path, dest: Path) -> Path:
    """`folder` after a release: its version, description and the tables PDM reads only to
    build or run changed, the pyproject rewritten, the local packages' versions in the lock
    changed; no dependency touched."""
    _original(folder, dest)
    doc = parse_toml((folder / "pyproject.toml").read_text(), folder / "pyproject.toml")
    project = doc.setdefault("project", {})
    if "version" in project:
        project["version"] = "99.1.2"
    project["description"] = "released"
    pdm = doc.setdefault("tool", {}).setdefault("pdm", {})
    pdm.setdefault("scripts", {})["bumped"] = "echo 1"
    pdm["version"] = {"source": "scm"}
    doc["tool"]["ruff"] = {"line-length": 123}
    (dest / "pyproject.toml").write_text(render_pyproject(doc))
    lock = (dest / "pdm.lock").read_text()
    for package in FORMAT.read(folder).packages:
        if package.local:
            lock = lock.replace(
                f'name = "{package.name}"\nversion = "{package.version}"',
                f'name = "{package.name}"\nversion = "7.7.7"',
            )
    (dest / "pdm.lock").write_text(lock)
    return dest


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_a_generated_release_keeps_export_and_digest(folder: Path, tmp_path: Path) -> None:
    bumped = FORMAT.read(_bumped(folder, tmp_path / "bumped"))
    project = FORMAT.read(folder)
    assert bumped.lock_text != project.lock_text or bumped.pyproject != project.pyproject
    assert FORMAT.export(bumped).files == FORMAT.export(project).files
    assert FORMAT.digest(bumped) == FORMAT.digest(project)


def test_the_digest_follows_third_party_changes(tmp_path: Path) -> None:
    project = _original(FAST, tmp_path / "project")
    lock = project / "pdm.lock"
    text = lock.read_text()
    digest = FORMAT.digest(FORMAT.read(project))
    lock.write_text(
        text.replace('name = "httpx"\nversion = "0.28.1"', 'name = "httpx"\nversion = "0.28.2"')
    )
    changed = FORMAT.read(project)
    assert FORMAT.digest(changed) != digest
    details = [change.detail for change in FORMAT.explain(FORMAT.read(FAST), changed).changes]
    assert details == ["httpx 0.28.1 → 0.28.2"]


def test_a_scope_is_pdm_groups(tmp_path: Path) -> None:
    project = FORMAT.read(FAST)
    assert select(project).groups == ("default", "doc", "keyring", "legacy", "test")
    assert select(project, Scope(groups=("test",))).groups == ("default", "test")
    assert select(project, Scope(extras=("keyring",))).groups == (
        "default",
        "doc",
        "keyring",
        "test",
    )
    assert select(project, Scope(no_dev=True)).groups == ("default",)
    assert select(project, Scope(no_groups=("doc",))).groups == (
        "default",
        "keyring",
        "legacy",
        "test",
    )
    assert select(project, Scope(only_groups=("doc",))).groups == ("doc",)
    digests = {FORMAT.digest(project, scope).value for scope in _scopes(project)}
    assert len(digests) >= 6


# -- bad input ------------------------------------------------------------------------------


MUTATIONS = [
    ("pdm.lock", 'lock_version = "4.5.1"', 'lock_version = "4.6"', "metadata.lock_version"),
    ("pdm.lock", 'lock_version = "4.5.1"', 'lock_version = "5.0"', "metadata.lock_version"),
    ("pdm.lock", 'lock_version = "4.5.1"', "lock_version = 4", "metadata.lock_version"),
    (
        "pdm.lock",
        'lock_version = "4.5.1"',
        'lock_version = "4.5.1"\nlock_inputs = {}',
        "metadata.lock_inputs",
    ),
    (
        "pdm.lock",
        'strategy = ["inherit_metadata"]',
        'strategy = ["sideways"]',
        "metadata.strategy[0]",
    ),
    ("pdm.lock", 'content_hash = "sha256:', 'content_hash = "', "metadata.content_hash"),
    ("pdm.lock", 'groups = ["default", "doc"', 'groups = [1, "doc"', "metadata.groups[0]"),
    ("pdm.lock", 'version = "0.0.5"', "version = 5", "package[0].version"),
    ("pdm.lock", 'name = "accessible-pygments"', "name = 1", "package[0].name"),
    ("pdm.lock", 'groups = ["doc"]', 'groups = "doc"', "package[0].groups"),
    ("pdm.lock", 'marker = "', "marker = 3 # ", ".marker"),
    ("pdm.lock", '"pygments>=1.5",', "1,", "package[0].dependencies[0]"),
    ("pdm.lock", 'any.whl", hash = "sha256:', 'any.whl", hash = "', "package[0].files[0].hash"),
    (
        "pdm.lock",
        '{file = "accessible_pygments',
        '{fil = "accessible_pygments',
        "package[0].files[0].url",
    ),
    ("pyproject.toml", "dependencies = [", "dependencies = 3\nx = [", "project.dependencies"),
    (
        "pyproject.toml",
        "[tool.pdm.dev-dependencies]",
        "[tool.pdm.workspace]\nmembers = []\n\n[tool.pdm.dev-dependencies]",
        "tool.pdm.workspace",
    ),
    (
        "pyproject.toml",
        "[tool.pdm.dev-dependencies]\ntest = [",
        '[tool.pdm.dev-dependencies]\ntest = [{include-group = "nope"}, ',
        "test",
    ),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "field"), MUTATIONS, ids=[m[3] + ":" + m[2][:12] for m in MUTATIONS]
)
def test_bad_input_is_exit_2_naming_file_and_field(
    file: str, old: str, new: str, field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _original(FAST, tmp_path / "project")
    text = (project / file).read_text()
    assert old in text, f"{file} no longer holds {old!r}"
    (project / file).write_text(text.replace(old, new, 1))
    assert run(["digest", str(project)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert file in err and field in err, err


def test_an_unknown_group_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["digest", str(FAST), "--group", "nope"]) == 2
    assert "group 'nope'" in capsys.readouterr().err


def test_two_locks_need_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _original(FAST, tmp_path / "project")
    shutil.copy(SMALL / "uv.lock", project / "uv.lock")
    assert run(["digest", str(project)]) == 2
    err = capsys.readouterr().err
    assert "uv.lock and pdm.lock" in err and "--lock" in err
    assert detect(project, Path("pdm.lock")).name == "pdm"
    assert run(["digest", str(project), "--lock", "pdm.lock"]) == 0
    assert capsys.readouterr().out.strip() == FORMAT.digest(FORMAT.read(FAST)).value
