"""The Poetry and PDM oracle runs offline on real fixtures (tests/poetry_oracle).

Skips with the reason when tests/poetry_oracle/provision.py has not installed the release.
A few seconds a release: the corpus-wide measurements are bench/poetry_facts.py's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from poetry_oracle import clients

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _copy(kind: str, name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / kind / name, target)
    return target


def _need(locker: str) -> None:
    reason = clients.unavailable(locker)
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("locker", clients.POETRIES)
def test_poetry_reads_a_lock_offline_and_plans_it(locker: str, tmp_path: Path) -> None:
    _need(locker)
    # A package-mode = false root with 11 develop path members: no README to miss.
    project = _copy("poetry", "coveooss__coveo-python-oss", tmp_path)
    check = clients.poetry_check_lock(project, locker)
    assert check.ok, check.output
    result, plan = clients.poetry_install_plan(project, ["--no-directory"], locker)
    assert result.ok, result.output
    names = {item.name for item in plan if not item.skipped}
    assert "attrs" in names
    assert not names & {"coveo-testing", "coveo-functools"}, "--no-directory planned a member"


def test_a_stale_lock_is_told_apart_from_a_missing_readme(tmp_path: Path) -> None:
    _need(clients.POETRY_2)
    project = _copy("poetry", "Textualize__rich", tmp_path)
    missing_readme = clients.poetry_check_lock(project)
    assert not missing_readme.ok
    assert clients.lock_is_fresh(missing_readme)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.poetry.dependencies]\n", '[tool.poetry.dependencies]\nsix = ">=1"\n', 1
        )
    )
    assert not clients.lock_is_fresh(clients.poetry_check_lock(project))


def test_pdm_checks_and_plans_offline(tmp_path: Path) -> None:
    _need(clients.PDM)
    project = _copy("pdm", "frostming__unearth", tmp_path)
    check = clients.pdm_lock_check(project)
    assert check.ok, check.output
    result, plan = clients.pdm_install_plan(project)
    assert result.ok, result.output
    assert "httpx" in {item.name for item in plan}
