"""uv is the oracle: it must read every export exactly as it reads the original project.

For each real project and both modes, in the original folder and in the export folder:
* `uv export --frozen` prints the same third-party requirements (with hashes);
* `uv sync --frozen --dry-run` plans the same installs (the Docker download stage);
* where the original passes `uv lock --check`, the `--mode locked` export passes too.
All offline: uv reads only the files. The sweep over ../shared/corpus runs when it is there.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from helpers import FIXTURE_CASES, FIXTURES, SHARED_CORPUS, case_dirs, case_id, load, run_uv

from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.export import Mode, build_export
from lockstrip.io.export_folder import write_export

MODES: tuple[Mode, ...] = ("frozen", "locked")


def export_to(project: Path, out: Path, mode: Mode) -> Path:
    read = read_project(project)
    write_export(build_export(read, mode), out, read.root)
    return out


def selection(project: Path) -> list[str]:
    """All groups, all extras (unless the lock declares conflicts), all workspace packages."""
    lock = load(project / "uv.lock")
    args = ["--all-groups"]
    if not lock.get("conflicts"):
        args.append("--all-extras")
    if lock.get("manifest", {}).get("members"):
        args.append("--all-packages")
    return args


def first_member(project: Path) -> str | None:
    members = load(project / "uv.lock").get("manifest", {}).get("members", [])
    return str(sorted(members)[0]) if members else None


def uv_export(project: Path, cache_dir: Path, extra: list[str]) -> tuple[int, str]:
    result = run_uv(
        [
            "export",
            "--frozen",
            "--offline",
            "--no-emit-workspace",
            "--no-emit-local",
            "--no-header",
            "--no-annotate",
            *extra,
        ],
        project,
        cache_dir,
    )
    return result.returncode, result.stdout if result.returncode == 0 else result.stderr


def uv_sync_plan(project: Path, cache_dir: Path, venv: Path) -> tuple[int, str]:
    """What `uv sync --frozen` in a download stage would install, without installing it."""
    read = read_project(project)
    skip = ["--no-install-workspace"] if read.lock.members else ["--no-install-project"]
    if any(not m.workspace_member for m in read.members) or read.outside:
        skip.append("--no-install-local")
    args = ["sync", "--frozen", "--offline", "--dry-run", *skip, *selection(project)]
    result = run_uv([*args, "--python", "python3"], project, cache_dir)
    text = (result.stdout + result.stderr).replace(str(project), "<project>")
    # The interpreter and venv paths are the machine's; warnings (a deprecated setting that
    # the export leaves out) are not installs.
    noise = re.compile(r"(Using|Would create) |warning: ")
    lines = [line for line in text.splitlines() if not noise.match(line)]
    return result.returncode, "\n".join(lines)


@cache
def original_export(project: Path, cache_dir: Path, extra: tuple[str, ...]) -> tuple[int, str]:
    return uv_export(project, cache_dir, list(extra))


def check_project(project: Path, mode: Mode, tmp_path: Path, cache_dir: Path) -> None:
    out = export_to(project, tmp_path / "export", mode)
    extra = tuple(selection(project))
    expected = original_export(project, cache_dir, extra)
    assert expected[0] == 0, f"uv export fails on the original: {expected[1]}"
    assert uv_export(out, cache_dir, list(extra)) == expected

    member = first_member(project)
    if member is not None:
        one = ("--package", member, *[a for a in extra if a != "--all-packages"])
        assert uv_export(out, cache_dir, list(one)) == original_export(project, cache_dir, one)

    plan = uv_sync_plan(project, cache_dir, tmp_path / "venv")
    assert uv_sync_plan(out, cache_dir, tmp_path / "venv") == plan

    if mode == "locked":
        original = run_uv(["lock", "--check", "--offline"], project, cache_dir)
        if original.returncode == 0:
            exported = run_uv(["lock", "--check", "--offline"], out, cache_dir)
            assert exported.returncode == 0, exported.stderr


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("project", FIXTURE_CASES, ids=lambda p: case_id(p, FIXTURES))
def test_uv_reads_export_as_original(
    project: Path, mode: Mode, tmp_path: Path, uv_cache: Path
) -> None:
    check_project(project, mode, tmp_path, uv_cache)


def test_oracle_runs_on_real_checks(tmp_path: Path, uv_cache: Path) -> None:
    """The oracle is not vacuous: uv's plan lists packages, and --check passes somewhere."""
    project = FIXTURES / "astral-sh__uv-docker-example"
    code, plan = uv_sync_plan(project, uv_cache, tmp_path / "venv")
    assert code == 0 and "+ fastapi==" in plan
    out = export_to(project, tmp_path / "export", "locked")
    assert run_uv(["lock", "--check", "--offline"], out, uv_cache).returncode == 0
    # A lock that disagrees with its pyproject fails --check: the check has teeth.
    text = (out / "pyproject.toml").read_text().replace('"fastapi', '"fastapi[all]')
    (out / "pyproject.toml").write_text(text)
    assert run_uv(["lock", "--check", "--offline"], out, uv_cache).returncode != 0


CORPUS_CASES = case_dirs(SHARED_CORPUS) if SHARED_CORPUS.is_dir() else []


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS_CASES, reason="../shared/corpus is not present")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "project", CORPUS_CASES, ids=lambda p: case_id(p, SHARED_CORPUS) if CORPUS_CASES else ""
)
def test_corpus_sweep(project: Path, mode: Mode, tmp_path: Path, uv_cache: Path) -> None:
    check_project(project, mode, tmp_path, uv_cache)
