"""`lockstrip dockerfile` on PDM projects: the text, its stages, and that it is a function of
the project. The real builds are in tests/e2e/test_docker_pdm.py (BuildKit, LOCKSTRIP_SLOW=1):
what stays cached, and that the image starts offline.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import Cli
from e2e import provision as e2e_provision
from helpers import REPO
from poetry_oracle import provision as lockers

from lockstrip import __version__
from lockstrip.formats.pdm import FORMAT as PDM
from lockstrip.formats.pdm.dockerfile import PDM_REQUIREMENTS, PDM_VERSION, render_dockerfile

FIXTURES = REPO / "fixtures" / "pdm"
PROJECTS = sorted(
    p.parent for p in FIXTURES.glob("*/pdm.lock") if not (p.parent / "uv.lock").exists()
)
UNEARTH = FIXTURES / "frostming__unearth"


def dockerfile(project: Path) -> str:
    return render_dockerfile(PDM.read(project))


def instructions(text: str) -> list[str]:
    joined = re.sub(r"\s*\\\n\s*", " ", text)
    return [line for line in joined.splitlines() if line and not line.startswith("#")]


def stages(text: str) -> list[list[str]]:
    found: list[list[str]] = []
    for line in instructions(text):
        if line.startswith("FROM "):
            found.append([])
        found[-1].append(line)
    return found


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_stages(project: Path) -> None:
    """An export stage that only exports (the whole lock: PDM's export takes no scope), then
    one stage: PDM, the download step fed by the export alone, the source, the project."""
    export, final = stages(dockerfile(project))
    assert re.fullmatch(
        r"FROM --platform=\$BUILDPLATFORM python:3\.\d+-slim AS lockstrip", export[0]
    )
    assert export[1:] == [
        f"RUN pip install --no-cache-dir --disable-pip-version-check lockstrip=={__version__}",
        "RUN --mount=type=bind,target=/src lockstrip export /src --out /export",
    ]
    cache = "--mount=type=cache,id=pdm-$TARGETPLATFORM,target=/root/.cache/pdm"
    assert re.fullmatch(r"FROM python:3\.\d+-slim", final[0])
    assert final[1:] == [
        f"ARG PDM_VERSION={PDM_VERSION}",
        "RUN python -m venv --without-pip /opt/pdm"
        " && pip --python /opt/pdm/bin/python install --no-cache-dir"
        ' --disable-pip-version-check "pdm==$PDM_VERSION" "hishel[httpx2]>=1.4,<2"'
        " && ln -s /opt/pdm/bin/pdm /usr/local/bin/pdm",
        "ENV PDM_CHECK_UPDATE=false PDM_NON_INTERACTIVE=1 PDM_IGNORE_SAVED_PYTHON=1"
        " PDM_CACHE_DIR=/root/.cache/pdm",
        "WORKDIR /app",
        "ARG TARGETPLATFORM",
        "COPY --from=lockstrip /export /app",
        f"RUN {cache} pdm install --prod --frozen-lockfile --no-self",
        "COPY . /app",
        f"RUN {cache} pdm install --prod --frozen-lockfile --no-editable",
        'ENV PATH="/app/.venv/bin:$PATH"',
    ]
    assert max(len(line) for line in dockerfile(project).splitlines()) <= 100


def test_the_export_stage_runs_what_the_export_accepts(cli: Cli, tmp_path: Path) -> None:
    """The export stage's command works on a PDM project; a scoped one is refused (exit 2),
    which is why the Dockerfile exports the whole lock."""
    assert cli("export", UNEARTH, "--out", tmp_path / "e").returncode == 0
    scoped = cli("export", UNEARTH, "--no-dev", "--out", tmp_path / "f")
    assert scoped.returncode == 2 and "whole lock" in scoped.stderr


def _with_python(tmp_path: Path, python: str) -> Path:
    shutil.copytree(UNEARTH, tmp_path / "p")
    lock = tmp_path / "p" / "pdm.lock"
    text = re.sub(
        r'(?m)^requires_python = ".*"$', f'requires_python = "{python}"', lock.read_text(), count=1
    )
    lock.write_text(text)
    assert PDM.read(tmp_path / "p").requires_python[0] == python
    return tmp_path / "p"


@pytest.mark.parametrize(
    ("python", "image"),
    [(">=3.11", "3.11"), ("~=3.12", "3.12"), (">=3.7", "3.9"), ("==3.10.*", "3.10")],
)
def test_python_is_the_lowest_the_project_and_pdm_allow(
    tmp_path: Path, python: str, image: str
) -> None:
    export, final = stages(dockerfile(_with_python(tmp_path, python)))
    assert final[0] == f"FROM python:{image}-slim"
    assert export[0].endswith("-slim AS lockstrip")


def test_a_python_pdm_cannot_run_on_is_exit_2(tmp_path: Path, cli: Cli) -> None:
    result = cli("dockerfile", _with_python(tmp_path, "<3.8"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "pdm.lock" in result.stderr


def test_local_path_packages_are_refused(tmp_path: Path, cli: Cli) -> None:
    """`pdm install` cannot leave a path package out of the download step: exit 2, named."""
    root = tmp_path / "p"
    (root / "libs" / "core").mkdir(parents=True)
    (root / "libs" / "core" / "pyproject.toml").write_text(
        '[project]\nname = "core"\nversion = "1"\n'
    )
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = ["core @ file:///${PROJECT_ROOT}/libs/core"]\n'
    )
    (root / "pdm.lock").write_text(
        '[metadata]\ngroups = ["default"]\nstrategy = ["inherit_metadata"]\n'
        'lock_version = "4.5.0"\n'
        f'content_hash = "sha256:{"0" * 64}"\n\n[[package]]\nname = "core"\nversion = "1"\n'
        'path = "./libs/core"\ngroups = ["default"]\nfiles = []\n'
    )
    result = cli("dockerfile", root)
    assert result.returncode == 2 and result.stdout == ""
    assert "libs/core" in result.stderr and result.stderr.count("\n") == 1


def test_a_function_of_the_project_not_of_its_place_or_version(tmp_path: Path) -> None:
    text = dockerfile(UNEARTH)
    copy = tmp_path / "elsewhere"
    shutil.copytree(UNEARTH, copy)
    assert dockerfile(copy) == text
    pyproject = copy / "pyproject.toml"
    edited = re.sub(
        r'(?m)^description = "[^"]*"$', 'description = "else"', pyproject.read_text(), count=1
    )
    edited = re.sub(r'(?m)^version = "[^"]*"$', 'version = "99.0.0"', edited, count=1)
    pyproject.write_text(edited)
    assert dockerfile(copy) == text
    assert str(tmp_path) not in text and str(REPO) not in text


def test_the_pinned_pdm_is_the_tested_one() -> None:
    assert lockers.LOCKERS[f"pdm-{PDM_VERSION}"]
    assert e2e_provision.PDM == PDM_VERSION
    pins = [r.strip('"').replace("$PDM_VERSION", PDM_VERSION) for r in PDM_REQUIREMENTS]
    assert tuple(pins) == e2e_provision.PDM_REQUIREMENTS == lockers.LOCKERS[f"pdm-{PDM_VERSION}"]


def test_command_prints_it(cli: Cli) -> None:
    result = cli("dockerfile", UNEARTH)
    assert result.returncode == 0, result.stderr
    assert result.stdout == dockerfile(UNEARTH)
    assert "lockstrip==0.2.0" in cli("dockerfile", UNEARTH, "--lockstrip-spec", "0.2.0").stdout


@pytest.mark.parametrize("option", [("--secret", "x"), ("--package", "x")])
def test_uv_only_options_are_refused(cli: Cli, option: tuple[str, str]) -> None:
    result = cli("dockerfile", UNEARTH, *option)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "pdm.lock" in result.stderr
