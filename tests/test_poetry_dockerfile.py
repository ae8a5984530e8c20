"""`lockstrip dockerfile` on Poetry projects: the text, its stages, and that it is a function
of the project. The real builds are in tests/e2e/test_docker_poetry.py (BuildKit,
LOCKSTRIP_SLOW=1): what stays cached, and that the image starts offline.
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
from lockstrip.formats.poetry import FORMAT as POETRY
from lockstrip.formats.poetry.dockerfile import POETRY_VERSION, render_dockerfile

POETRY_FIXTURES = REPO / "fixtures" / "poetry"
PROJECTS = sorted(p.parent for p in POETRY_FIXTURES.glob("*/poetry.lock"))
MEMBERS = POETRY_FIXTURES / "coveooss__coveo-python-oss"
RICH = POETRY_FIXTURES / "Textualize__rich"


def dockerfile(project: Path) -> str:
    return render_dockerfile(POETRY.read(project))


def instructions(text: str) -> list[str]:
    """Each instruction, continuation lines joined, comments left out."""
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
    """An export stage that only exports, then one stage: Poetry, the download step fed by
    the export alone, then the source and the project's install."""
    export, final = stages(dockerfile(project))
    assert re.fullmatch(
        r"FROM --platform=\$BUILDPLATFORM python:3\.\d+-slim AS lockstrip", export[0]
    )
    assert export[1:] == [
        f"RUN pip install --no-cache-dir --disable-pip-version-check lockstrip=={__version__}",
        "RUN --mount=type=bind,target=/src lockstrip export /src --only main --out /export",
    ]
    cache = "--mount=type=cache,id=poetry-$TARGETPLATFORM,target=/root/.cache/pypoetry"
    assert re.fullmatch(r"FROM python:3\.\d+-slim", final[0])
    assert final[1:] == [
        f"ARG POETRY_VERSION={POETRY_VERSION}",
        "RUN python -m venv --without-pip /opt/poetry"
        " && pip --python /opt/poetry/bin/python install --no-cache-dir"
        ' --disable-pip-version-check "poetry==$POETRY_VERSION"'
        " && ln -s /opt/poetry/bin/poetry /usr/local/bin/poetry",
        "ENV POETRY_VIRTUALENVS_IN_PROJECT=true POETRY_VIRTUALENVS_CREATE=true"
        " POETRY_NO_INTERACTION=1 POETRY_CACHE_DIR=/root/.cache/pypoetry",
        "WORKDIR /app",
        "ARG TARGETPLATFORM",
        # the download step's only input from the project is the export
        "COPY --from=lockstrip /export /app",
        f"RUN {cache} poetry install --no-root --no-directory --only main --compile",
        "COPY . /app",
        f"RUN {cache} poetry install --only main --compile",
        'ENV PATH="/app/.venv/bin:$PATH"',
    ]


def _with_python(tmp_path: Path, python: str) -> Path:
    """A copy of rich whose lock's python-versions is `python`."""
    shutil.copytree(RICH, tmp_path / "p")
    lock = tmp_path / "p" / "poetry.lock"
    head, metadata = lock.read_text().split("\n[metadata]\n")
    metadata = re.sub(r'(?m)^python-versions = ".*"$', f'python-versions = "{python}"', metadata)
    lock.write_text(f"{head}\n[metadata]\n{metadata}")
    return tmp_path / "p"


@pytest.mark.parametrize(
    ("python", "image"),
    [
        (">=3.11,<4.0", "3.11"),
        ("^3.12", "3.12"),
        (">=3.8", "3.10"),
        ("*", "3.10"),
        ("^3.7", "3.10"),
    ],
)
def test_python_is_the_lowest_the_project_and_poetry_allow(
    tmp_path: Path, python: str, image: str
) -> None:
    """Poetry 2.5.1 runs on 3.10 or newer: the image's Python is the lowest minor that the
    lock's python-versions and Poetry both allow, for both stages."""
    export, final = stages(dockerfile(_with_python(tmp_path, python)))
    assert final[0] == f"FROM python:{image}-slim"
    assert export[0].endswith(f"python:{image}-slim AS lockstrip")


def test_a_python_poetry_cannot_run_on_is_exit_2(tmp_path: Path, cli: Cli) -> None:
    result = cli("dockerfile", _with_python(tmp_path, "~3.9"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "poetry.lock" in result.stderr and "metadata.python-versions" in result.stderr


def test_a_function_of_the_project_not_of_its_place_or_version(tmp_path: Path) -> None:
    """Same project elsewhere: same bytes. A version bump or a description edit: same bytes
    (nothing of either is in the text)."""
    text = dockerfile(MEMBERS)
    copy = tmp_path / "elsewhere"
    shutil.copytree(MEMBERS, copy)
    assert dockerfile(copy) == text
    pyproject = copy / "pyproject.toml"
    edited = re.sub(
        r'(?m)^version = "[^"]*"$', 'version = "99.0.0"', pyproject.read_text(), count=1
    )
    edited = re.sub(r'(?m)^description = "[^"]*"$', 'description = "else"', edited, count=1)
    assert edited != pyproject.read_text()
    pyproject.write_text(edited)
    assert dockerfile(copy) == text
    assert str(tmp_path) not in text and str(REPO) not in text


def test_notes_members_and_scripts() -> None:
    """Path dependencies are named where their backend is fetched; scripts get a CMD hint."""
    text = dockerfile(MEMBERS)
    members = sorted(m.path for m in POETRY.read(MEMBERS).members.values() if m.path != ".")
    assert len(members) == 11
    note = " ".join(line[2:] for line in text.splitlines() if line.startswith("# Poetry builds"))
    comments = re.sub(r"\n# ", " ", text)
    assert f"path dependencies ({', '.join(members)})" in comments, note
    assert max(len(line) for line in text.splitlines()) <= 100
    rich = dockerfile(RICH)
    assert "Poetry builds" not in rich and "CMD" not in rich
    poetry = dockerfile(POETRY_FIXTURES / "python-poetry__poetry")
    assert '# CMD ["poetry"]' in poetry


def test_the_pinned_poetry_is_the_tested_one() -> None:
    """The Poetry the image installs is the oracle's, and the one the e2e index serves."""
    assert f"poetry=={POETRY_VERSION}" in lockers.LOCKERS[f"poetry-{POETRY_VERSION}"]
    assert e2e_provision.POETRY == POETRY_VERSION


def test_command_prints_it(cli: Cli) -> None:
    result = cli("dockerfile", RICH)
    assert result.returncode == 0, result.stderr
    assert result.stdout == dockerfile(RICH)
    spec = cli("dockerfile", RICH, "--lockstrip-spec", "0.2.0")
    assert "lockstrip==0.2.0" in spec.stdout


@pytest.mark.parametrize("option", [("--secret", "x"), ("--package", "rich")])
def test_uv_only_options_are_refused(cli: Cli, option: tuple[str, str]) -> None:
    result = cli("dockerfile", RICH, *option)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "poetry.lock" in result.stderr


def test_docs_block_is_what_the_command_prints() -> None:
    """docs/poetry.md shows rich's Dockerfile without its comments, verbatim."""
    from test_docs import parse_blocks, without_comments

    blocks = [b for b in parse_blocks(REPO / "docs" / "poetry.md") if b.kind == "dockerfile"]
    assert len(blocks) == 1
    assert blocks[0].text == without_comments(dockerfile(RICH))
