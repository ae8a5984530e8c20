"""Render a Dockerfile for a PDM project: `lockstrip dockerfile` on a folder with pdm.lock.

The plan is uv's and Poetry's (`formats/poetry/dockerfile.py`): an export stage writes
lockstrip's export, a download step installs the third-party packages from the export alone,
and the last step copies the source and installs the project itself. Here both installs are
`pdm install --prod --frozen-lockfile` with a pinned PDM in a virtual environment of its own;
the project's environment is `/app/.venv` (PDM's `venv.in_project`), which both steps share.
A PDM export holds the whole lock (its content_hash covers every group), so a dev group's
change re-runs the download step too. A pure function of the `PdmProject` and of this
release. tests/e2e/test_docker_pdm.py builds it with a real BuildKit.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from lockstrip import __version__
from lockstrip.environment.target import lowest_python
from lockstrip.formats.pdm.model import PdmLockError, PdmProject
from lockstrip.formats.uv.render.dockerfile_inputs import (
    LockstripSource,
    lockstrip_python,
    parse_lockstrip_spec,
)

__all__ = ["PDM_REQUIRES_PYTHON", "PDM_VERSION", "image_python", "render_dockerfile"]

#: The PDM the image installs: the release lockstrip's tests run (tests/poetry_oracle).
PDM_VERSION = "2.29.4"

#: What PDM's venv installs: PDM, and the hishel it works with (hishel 2.0, released after
#: PDM 2.29.4, drops names PDM imports).
PDM_REQUIREMENTS = ('"pdm==$PDM_VERSION"', '"hishel[httpx2]>=1.4,<2"')

#: The Pythons PDM runs on (its wheel's Requires-Python).
PDM_REQUIRES_PYTHON = ">=3.9"

#: PDM's cache in the image (PDM_CACHE_DIR), a BuildKit cache mount.
PDM_CACHE = "/root/.cache/pdm"

_PIP_INSTALL = "pip install --no-cache-dir --disable-pip-version-check"

#: The install both steps run: the project's dependencies, the lock as it is.
_INSTALL = "pdm install --prod --frozen-lockfile"


def render_dockerfile(project: PdmProject, *, lockstrip: LockstripSource | None = None) -> str:
    """The Dockerfile text for `project`, ready to build from the project folder."""
    members = sorted(m.path for m in project.members.values() if m.path != ".")
    if members:
        raise PdmLockError(
            project.lock_path,
            f"local path packages ({', '.join(members)}): `pdm install` has no option to "
            "leave them out of the download step, so lockstrip writes no Dockerfile for them yet",
        )
    minor = image_python(project)
    parts = [
        _header(project.name),
        _export_stage(lockstrip_python(minor), lockstrip or parse_lockstrip_spec(None)),
        _download_stage(minor),
        _project_stage(_scripts(project.pyproject)),
    ]
    return "\n".join(parts)


def image_python(project: PdmProject) -> str:
    """The lowest "3.X" that the lock's (or the project's) requires-python and PDM allow."""
    spec, where = project.requires_python
    both = f"{spec},{PDM_REQUIRES_PYTHON}" if spec else PDM_REQUIRES_PYTHON
    found = lowest_python(both)
    if found is None:
        raise PdmLockError(
            where,
            f"allows no Python that PDM {PDM_VERSION} runs on ({PDM_REQUIRES_PYTHON}), so no "
            "image can install the project with it",
            field="requires-python",
        )
    return found


def _header(name: str | None) -> str:
    printed = f"printed by `lockstrip dockerfile` (lockstrip {__version__})"
    return f"""\
# Dockerfile for {name or "this project"}, {printed}.
# Build it from the project folder: docker build -t {name or "app"} .
# Keep .venv and .pdm-python out of the build context with a .dockerignore that lists them.
# Why each line is there: docs/pdm.md in lockstrip's repository.
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
# The export: stripped pyproject.toml and pdm.lock, whose bytes change only when the locked
# packages do (a version bump or a docs edit leaves them). PDM's export holds the whole
# lock, dev groups included. This stage re-runs on every source change and takes a second.
FROM --platform=$BUILDPLATFORM python:{python}-slim AS lockstrip
RUN {install}
RUN --mount=type=bind,target=/src \\
    lockstrip export /src --out /export
"""


def _download_stage(minor: str) -> str:
    return f"""\
FROM python:{minor}-slim
# PDM in a virtual environment of its own, pinned to the release lockstrip is tested with.
ARG PDM_VERSION={PDM_VERSION}
RUN python -m venv --without-pip /opt/pdm \\
 && pip --python /opt/pdm/bin/python install --no-cache-dir \\
    --disable-pip-version-check {" ".join(PDM_REQUIREMENTS)} \\
 && ln -s /opt/pdm/bin/pdm /usr/local/bin/pdm
# The project's environment is /app/.venv, made by the download step, completed by the last;
# a .pdm-python copied in with the source is not read.
ENV PDM_CHECK_UPDATE=false PDM_NON_INTERACTIVE=1 PDM_IGNORE_SAVED_PYTHON=1 \\
    PDM_CACHE_DIR={PDM_CACHE}
WORKDIR /app
# PDM's cache mount is one per platform: builds for two platforms never share one.
ARG TARGETPLATFORM

# The download layer: its only input is the export, so a version bump or a docs edit
# leaves it cached, and a change of the locked packages re-runs it. `--no-self`: the
# project needs its source; the last step installs it.
COPY --from=lockstrip /export /app
RUN --mount=type=cache,id=pdm-$TARGETPLATFORM,target={PDM_CACHE} \\
    {_INSTALL} --no-self
"""


def _project_stage(scripts: list[str]) -> str:
    run = ""
    if scripts:
        run = f"# The project's scripts are on PATH ({', '.join(scripts)}); to run one:\n"
        run += f'# CMD ["{scripts[0]}"]\n'
    return f"""\
# The project: PDM checks the real pdm.lock against the real pyproject.toml, finds the
# third-party packages installed, and installs the project itself (a wheel, not a link to
# the source folder).
COPY . /app
RUN --mount=type=cache,id=pdm-$TARGETPLATFORM,target={PDM_CACHE} \\
    {_INSTALL} --no-editable

# The environment's python and scripts are first on PATH: the image starts without PDM.
ENV PATH="/app/.venv/bin:$PATH"
{run}"""


def _scripts(pyproject: Mapping[str, object]) -> list[str]:
    """The console scripts of `[project.scripts]`."""
    project = pyproject.get("project")
    if isinstance(project, Mapping) and isinstance(project.get("scripts"), Mapping):
        return sorted(project["scripts"])
    return []
