"""Scoped Poetry exports (`lockstrip export --only main`): Poetry's content-hash computed as
Poetry computes it, and what real Poetry makes of the pruned export.

The fast tier needs no Poetry: the content-hash of every real lock is reproduced from its
pyproject (so the rule that writes a scoped export's hash is Poetry's), and each scoped
export's hash is that of the pyproject beside it. The slow tier asks Poetry 2.5.1: `poetry
check --lock` passes on every scoped export, and `poetry install --dry-run` plans on it
what it plans on the whole project for the same groups.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import REPO

from lockstrip.cli import run
from lockstrip.formats.poetry import FORMAT
from lockstrip.formats.poetry.content_hash import content_hash, is_fresh
from lockstrip.formats.poetry.model import PoetryProject
from lockstrip.formats.poetry.root import read_root
from lockstrip.formats.request import Scope
from lockstrip.io.export_folder import write_export
from lockstrip.io.tomlread import parse_toml

POETRY = REPO / "fixtures" / "poetry"
LOCKS = sorted(POETRY.rglob("poetry.lock"))
#: Measured with Poetry 2.5.1 (docs/poetry-facts.md): the one real lock that is stale.
STALE = {"sdispater__pendulum"}


def _id(lock: Path) -> str:
    return lock.parent.relative_to(POETRY).as_posix()


def _scopes(project: PoetryProject) -> list[Scope]:
    """`--only main`, `--without` each non-optional group, `--with` each optional one."""
    root = read_root(project.pyproject, project.pyproject_path)
    scopes = [Scope(only_groups=("main",))]
    scopes += [Scope(no_groups=(g,)) for g in sorted(root.groups) if g != "main"][:2]
    scopes += [Scope(groups=(g,)) for g in sorted(root.optional_groups)][:2]
    return scopes


@pytest.mark.parametrize("lock", LOCKS, ids=_id)
def test_the_content_hash_is_poetrys(lock: Path) -> None:
    project = FORMAT.read(lock.parent)
    fresh = is_fresh(project.pyproject, project.content_hash, project.generated_by)
    assert fresh is (_id(lock).split("/")[0] not in STALE)


def test_the_hash_covers_what_poetry_says() -> None:
    """Poetry 2.3+ hashes [dependency-groups]; a lock written before reads fresh without it."""
    doc = {"project": {"dependencies": ["a"]}, "dependency-groups": {"dev": ["b"]}}
    with_groups = content_hash(doc)
    without = content_hash(doc, with_dependency_groups=False)
    assert with_groups != without
    assert is_fresh(doc, without, "2.2.1") and not is_fresh(doc, without, "2.3.0")
    legacy = {"tool": {"poetry": {"dependencies": {"a": "*"}, "name": "x", "version": "1"}}}
    renamed = {"tool": {"poetry": {"dependencies": {"a": "*"}, "name": "y", "version": "2"}}}
    assert content_hash(legacy) == content_hash(renamed)  # name and version are not hashed


@pytest.mark.parametrize(
    "lock", [lock for lock in LOCKS if _id(lock).split("/")[0] not in STALE], ids=_id
)
def test_a_scoped_export_holds_the_hash_of_its_pyproject(lock: Path) -> None:
    project = FORMAT.read(lock.parent)
    whole = FORMAT.export(project)
    for scope in _scopes(project):
        files = FORMAT.export(project, scope=scope).files
        doc = parse_toml(files["pyproject.toml"], Path("pyproject.toml"))
        written = re.search(r'(?m)^content-hash = "([0-9a-f]+)"', files["poetry.lock"])
        assert written is not None and written.group(1) == content_hash(doc), scope
        assert files["poetry.lock"].count("[[package]]") <= whole.files["poetry.lock"].count(
            "[[package]]"
        )
        assert files["poetry.lock"].splitlines()[0] == project.lock_text.splitlines()[0]


RICH = POETRY / "Textualize__rich"

DEV_PACKAGE = """[[package]]
name = "zzz-dev-tool"
version = "1.0.0"
description = ""
optional = false
python-versions = ">=3.8"
groups = ["dev"]
files = [
    {file = "zzz_dev_tool-1.0.0-py3-none-any.whl", hash = "sha256:%s"},
]

""" % ("0" * 64)


def _add_dev_tool(folder: Path) -> None:
    """A dev dependency added the way `poetry add --group dev` records it: declared in the
    pyproject, locked in the dev group, the content-hash updated."""
    pyproject = folder / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace(
            "[tool.poetry.dev-dependencies]\n",
            '[tool.poetry.dev-dependencies]\nzzz-dev-tool = "^1.0"\n',
        )
    )
    lock = folder / "poetry.lock"
    lock_text = lock.read_text().replace("[metadata]\n", DEV_PACKAGE + "[metadata]\n", 1)
    digest = content_hash(parse_toml(pyproject.read_text(), pyproject))
    lock.write_text(
        re.sub(r'(?m)^content-hash = "[0-9a-f]+"', f'content-hash = "{digest}"', lock_text)
    )


def test_a_dev_tool_upgrade_leaves_the_main_export(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    shutil.copytree(RICH, before)
    shutil.copytree(RICH, after)
    _add_dev_tool(after)
    old, new = FORMAT.read(before), FORMAT.read(after)
    assert is_fresh(new.pyproject, new.content_hash, new.generated_by)
    main = Scope(only_groups=("main",))
    assert FORMAT.export(old, scope=main).files == FORMAT.export(new, scope=main).files
    assert FORMAT.digest(old, main) == FORMAT.digest(new, main)
    assert FORMAT.export(old).files != FORMAT.export(new).files
    assert FORMAT.digest(old).value != FORMAT.digest(new).value
    assert "zzz-dev-tool" in FORMAT.export(new).files["poetry.lock"]


def test_the_header_records_poetrys_options_and_check_reads_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "export"
    assert run(["export", str(RICH), "--only", "main", "--out", str(out), "-q"]) == 0
    first = (out / "pyproject.toml").read_text().splitlines()[0]
    assert "--only main" in first
    assert run(["check", str(RICH), "--out", str(out)]) == 0
    project = tmp_path / "project"
    shutil.copytree(RICH, project)
    _add_dev_tool(project)
    assert run(["check", str(project), "--out", str(out)]) == 0  # a dev change: still fresh
    lock = project / "poetry.lock"
    lock.write_text(
        lock.read_text().replace(
            'name = "pygments"\nversion = "2.', 'name = "pygments"\nversion = "3.'
        )
    )
    capsys.readouterr()
    assert run(["check", str(project), "--out", str(out)]) == 1
    assert "pygments" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--extras", "jupyter"], "keeps every extra"),
        (["--python-platform", "linux"], "serves every platform"),
        (["--only", "docs"], "group 'docs' is not in the project"),
        (["--package", "rich"], "--package is uv's"),
    ],
)
def test_what_a_poetry_export_refuses(
    args: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["export", str(RICH), *args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_a_stale_lock_gets_no_scoped_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        [
            "export",
            str(POETRY / "sdispater__pendulum"),
            "--only",
            "main",
            "--out",
            str(tmp_path / "x"),
        ]
    )
    assert code == 2
    assert "poetry.lock: metadata.content-hash: stale" in capsys.readouterr().err


# --- the slow tier: real Poetry ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "lock", [lock for lock in LOCKS if _id(lock).split("/")[0] not in STALE], ids=_id
)
def test_poetry_reads_a_scoped_export_as_the_project(lock: Path, tmp_path: Path) -> None:
    from poetry_oracle import clients

    if reason := clients.unavailable(clients.POETRY_2):
        pytest.skip(reason)
    project = FORMAT.read(lock.parent)
    whole = tmp_path / "whole"
    write_export(FORMAT.export(project), whole, lock.parent)
    # pandas-ai's own pyproject fails `poetry check` (extras naming undeclared packages):
    # there the scoped export must fail it the same way, its lock still fresh.
    whole_ok = clients.poetry_check_lock(whole).ok
    for at, scope in enumerate(_scopes(project)):
        scoped = tmp_path / f"scoped-{at}"
        write_export(FORMAT.export(project, scope=scope), scoped, lock.parent)
        check = clients.poetry_check_lock(scoped)
        assert clients.lock_is_fresh(check) and check.ok == whole_ok, (scope, check.output)
        args = ["--no-directory", *_poetry_options(scope)]
        expected, plan = clients.poetry_install_plan(whole, args)
        got, scoped_plan = clients.poetry_install_plan(scoped, args)
        assert expected.ok == got.ok, (scope, expected.output, got.output)
        planned = {(p.name.lower(), p.version) for p in plan if not p.skipped}
        assert {(p.name.lower(), p.version) for p in scoped_plan if not p.skipped} == planned, scope


def _poetry_options(scope: Scope) -> list[str]:
    if scope.only_groups:
        return ["--only", ",".join(scope.only_groups)]
    if scope.no_groups:
        return ["--without", ",".join(scope.no_groups)]
    return ["--with", ",".join(scope.groups)]
