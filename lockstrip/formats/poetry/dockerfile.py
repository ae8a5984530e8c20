"""Render a Dockerfile for a Poetry project: `lockstrip dockerfile` on a folder with poetry.lock.

The plan is uv's (`formats/uv/render/dockerfile.py`): an export stage writes lockstrip's
export, a download step installs the third-party packages from the export alone, and the
last step copies the source and installs the project itself. Here both installs are
`poetry install` with a pinned Poetry, in a virtual environment of its own, and the
project's environment is `/app/.venv` (`POETRY_VIRTUALENVS_IN_PROJECT`), which both steps
share. A pure function of the `PoetryProject` and of this release: the same project always
prints the same text. tests/e2e/test_docker_poetry.py builds it with a real BuildKit.
"""

from __future__ import annotations

import posixpath
import shlex
import textwrap
from collections.abc import Mapping

from lockstrip import __version__
from lockstrip.environment.target import lowest_python
from lockstrip.formats.poetry.model import PoetryLockError, PoetryProject
from lockstrip.formats.uv.render.dockerfile_inputs import (
    LockstripSource,
    lockstrip_python,
    parse_lockstrip_spec,
)

__all__ = ["POETRY_REQUIRES_PYTHON", "POETRY_VERSION", "image_python", "render_dockerfile"]

#: The Poetry the image installs: the release lockstrip's tests run (tests/poetry_oracle).
POETRY_VERSION = "2.5.1"

#: The Pythons that Poetry runs on (its wheel's Requires-Python): the image's Python is the
#: lowest minor that both the project and Poetry allow.
POETRY_REQUIRES_PYTHON = ">=3.10,<4.0"

#: Poetry's cache in the image (its default on Linux for root), a BuildKit cache mount.
POETRY_CACHE = "/root/.cache/pypoetry"

_PIP_INSTALL = "pip install --no-cache-dir --disable-pip-version-check"

#: The install both steps run, scoped as the image is: the project's own dependencies.
_SCOPE = "--only main"


def render_dockerfile(project: PoetryProject, *, lockstrip: LockstripSource | None = None) -> str:
    """The Dockerfile text for `project`, ready to build from the project folder."""
    minor = image_python(project)
    parts = [
        _header(project.name),
        _export_stage(lockstrip_python(minor), lockstrip or parse_lockstrip_spec(None)),
        _download_stage(minor),
        _project_stage(_members(project), _outside(project), _scripts(project.pyproject)),
    ]
    return "\n".join(parts)


def image_python(project: PoetryProject) -> str:
    """The lowest "3.X" that the lock's python-versions and Poetry both allow."""
    from lockstrip.formats.poetry.constraints import alternatives

    _, where = project.requires_python
    # `>=3.9,<3.9.7 || >3.9.7,<4.0` (pandas-ai) is a union: the lowest minor any part allows.
    found = min(
        (
            minor
            for spec in alternatives(project.python_versions)
            if (minor := lowest_python(",".join(filter(None, (str(spec), POETRY_REQUIRES_PYTHON)))))
        ),
        key=lambda minor: tuple(int(part) for part in minor.split(".")),
        default=None,
    )
    if found is None:
        raise PoetryLockError(
            where,
            f"allows no Python that Poetry {POETRY_VERSION} runs on ({POETRY_REQUIRES_PYTHON}), "
            "so no image can install the project with it",
            field="metadata.python-versions",
        )
    return found


def _header(name: str | None) -> str:
    printed = f"printed by `lockstrip dockerfile` (lockstrip {__version__})"
    return f"""\
# Dockerfile for {name or "this project"}, {printed}.
# Build it from the project folder: docker build -t {name or "app"} .
# Keep .venv out of the build context with a .dockerignore that lists `.venv`.
# Why each line is there: docs/poetry.md in lockstrip's repository.
"""


def _export_stage(python: str, lockstrip: LockstripSource) -> str:
    install = f"{_PIP_INSTALL} {shlex.quote(lockstrip.requirement)}"
    if lockstrip.wheel is not None:
        mount = f"--mount=type=bind,source={lockstrip.wheel},target={lockstrip.requirement}"
        install = f"{mount} \\\n    {install}"
    if lockstrip.needs_git:
        install = (
            "apt-get update && apt-get install -y --no-install-recommends git \\\n"
            f" && {install} \\\n && rm -rf /var/lib/apt/lists/*"
        )
    return f"""\
# The export: stripped pyproject.toml files and poetry.lock for `poetry install {_SCOPE}`,
# whose bytes change only when the packages that install takes do (a dev tool's upgrade
# leaves them). This stage re-runs on every source change and takes a second.
FROM --platform=$BUILDPLATFORM python:{python}-slim AS lockstrip
RUN {install}
RUN --mount=type=bind,target=/src \\
    lockstrip export /src {_SCOPE} --out /export
"""


def _download_stage(minor: str) -> str:
    return f"""\
FROM python:{minor}-slim
# Poetry in a virtual environment of its own, pinned to the release lockstrip is tested with.
ARG POETRY_VERSION={POETRY_VERSION}
RUN python -m venv --without-pip /opt/poetry \\
 && pip --python /opt/poetry/bin/python install --no-cache-dir \\
    --disable-pip-version-check "poetry==$POETRY_VERSION" \\
 && ln -s /opt/poetry/bin/poetry /usr/local/bin/poetry
# The project's environment is /app/.venv, made by the download step, completed by the last.
ENV POETRY_VIRTUALENVS_IN_PROJECT=true POETRY_VIRTUALENVS_CREATE=true \\
    POETRY_NO_INTERACTION=1 POETRY_CACHE_DIR={POETRY_CACHE}
WORKDIR /app
# Poetry's cache mount is one per platform: builds for two platforms never share one.
ARG TARGETPLATFORM

# The download layer: its only input is the export, so a version bump or a docs edit
# leaves it cached, and a change of the locked packages re-runs it. `--no-root
# --no-directory`: the project and its path dependencies need their source; the last
# step installs them.
COPY --from=lockstrip /export /app
RUN --mount=type=cache,id=poetry-$TARGETPLATFORM,target={POETRY_CACHE} \\
    poetry install --no-root --no-directory {_SCOPE} --compile
"""


def _project_stage(members: list[str], outside: list[str], scripts: list[str]) -> str:
    """The same stage, continued: the source, the real files, the project itself."""
    notes = ""
    if members:
        notes += _comment(
            f"Poetry builds the path dependencies ({', '.join(members)}) in an isolated "
            "environment: this step fetches their build backend from the index."
        )
    if outside:
        notes += _comment(
            f"Path dependencies outside the project ({', '.join(outside)}) are not in "
            "this build context: copy them in before the last `poetry install`."
        )
    run = ""
    if scripts:
        run = f"# The project's scripts are on PATH ({', '.join(scripts)}); to run one:\n"
        run += f'# CMD ["{scripts[0]}"]\n'
    return f"""\
# The project: Poetry checks the real poetry.lock against the real pyproject.toml, finds the
# third-party packages installed, and installs the path dependencies and the project.
{notes}COPY . /app
RUN --mount=type=cache,id=poetry-$TARGETPLATFORM,target={POETRY_CACHE} \\
    poetry install {_SCOPE} --compile

# The environment's python and scripts are first on PATH: the image starts without Poetry.
ENV PATH="/app/.venv/bin:$PATH"
{run}"""


def _comment(text: str) -> str:
    """`text` as Dockerfile comment lines of at most 92 characters."""
    return "".join(
        f"{line}\n"
        for line in textwrap.wrap(
            text, 90, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False
        )
    )


def _members(project: PoetryProject) -> list[str]:
    """The path dependencies inside the project that the last step builds."""
    return sorted(m.path for m in project.members.values() if m.path != ".")


def _outside(project: PoetryProject) -> list[str]:
    """Local packages whose path leaves the project folder (the build context)."""
    found = set()
    for package in project.packages:
        if not package.local:
            continue
        path = posixpath.normpath(package.source.get("url", "").replace("\\", "/"))
        if posixpath.isabs(path) or path == ".." or path.startswith("../"):
            found.add(path)
    return sorted(found)


def _scripts(pyproject: Mapping[str, object]) -> list[str]:
    """The console scripts of `[project.scripts]` and `[tool.poetry.scripts]`."""
    found: set[str] = set()
    project = pyproject.get("project")
    if isinstance(project, Mapping) and isinstance(project.get("scripts"), Mapping):
        found.update(project["scripts"])
    tool = pyproject.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, Mapping) else None
    if isinstance(poetry, Mapping) and isinstance(poetry.get("scripts"), Mapping):
        found.update(poetry["scripts"])
    return sorted(found)
