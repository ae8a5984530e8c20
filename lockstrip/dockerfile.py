"""Render a Dockerfile that uses lockstrip's export for a project: `lockstrip dockerfile`.

A new user should start from a Dockerfile that works for the project at hand, so the text is
derived from the project: a workspace or a single project, the Python of its lowest allowed
minor version, its name, and the build backends its local packages need. It is a pure
function of the `Project` and of this release (no clock, no paths of this machine), so the
same project always prints the same text. Every line is explained in examples/README.md;
tests/e2e builds this output with a real BuildKit and checks what stays cached.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from lockstrip import __version__
from lockstrip.project import Project

__all__ = [
    "UV_VERSION",
    "build_requirements",
    "lowest_minor",
    "python_minor",
    "render_dockerfile",
]

#: The uv the Dockerfile copies in: the release lockstrip is tested with (the test oracle's
#: pin). uv's Docker guide recommends a pinned tag over `latest`.
UV_VERSION = "0.13.8"

#: When a project's requires-python cannot be read, the Python the Dockerfile uses.
DEFAULT_PYTHON = "3.12"

#: lockstrip itself needs Python 3.10 or newer; the export stage uses this one otherwise.
LOCKSTRIP_MIN_PYTHON = (3, 10)

#: What a local package without [build-system] is built with (PEP 517's fallback, as uv does).
LEGACY_BUILD_REQUIRES = ("setuptools>=40.8.0",)

#: Extra packages a backend asks for when it builds an *editable* wheel (PEP 660's
#: `get_requires_for_build_editable`). The final stage builds without isolation, so they
#: must be installed beforehand like the backend itself.
EDITABLE_REQUIRES: Mapping[str, tuple[str, ...]] = {
    "hatchling": ("editables~=0.3",),  # hatchling.build.get_requires_for_build_editable
}

#: Local sources that the final `uv sync` builds (a virtual package is never built).
_BUILT_KINDS = ("editable", "directory")


def render_dockerfile(project: Project) -> str:
    """The Dockerfile text for `project`, ready to build from the project folder."""
    minor = python_minor(project)
    requires = build_requirements(project)
    parts = [
        _header(project.root_name),
        _export_stage(_lockstrip_python(minor)),
        _uv_stage(),
        _download_stage(minor, _skip_local_flag(project), requires),
        _project_stage(
            bool(requires),
            outside=sorted(path for _, path in project.outside),
            scripts=_scripts(project),
        ),
    ]
    return "\n".join(parts)


def python_minor(project: Project) -> str:
    """The lowest Python minor version the project allows ("3.11"), from requires-python.

    The lock's requires-python comes first: in a workspace it is what every member allows
    together."""
    spec = project.lock.data.get("requires-python")
    if not isinstance(spec, str):
        table = project.pyproject.get("project", {})
        spec = table.get("requires-python") if isinstance(table, Mapping) else None
    return lowest_minor(spec if isinstance(spec, str) else None)


def lowest_minor(requires_python: str | None) -> str:
    """The lowest "3.X" a requires-python specifier allows; DEFAULT_PYTHON when it is
    missing or unreadable.

    A minor counts when its latest patch release is allowed, because that is what the
    official `python:3.X-slim` image ships; failing that, when any patch release is."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if requires_python is None:
        return DEFAULT_PYTHON
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return DEFAULT_PYTHON
    for patches in ((99,), range(100)):
        for minor in range(6, 40):
            if any(spec.contains(f"3.{minor}.{patch}") for patch in patches):
                return f"3.{minor}"
    return DEFAULT_PYTHON


def build_requirements(project: Project) -> tuple[str, ...]:
    """What the final stage needs to build the project's own packages, sorted and unique.

    Local packages are not in the lock's third-party set, so their build backends are not
    downloaded by `uv sync --no-install-project`; the download stage installs these instead.
    """
    found: set[str] = set()
    for pyproject in _built_pyprojects(project):
        system = pyproject.get("build-system")
        requires = system.get("requires") if isinstance(system, Mapping) else None
        if not isinstance(requires, list):
            requires = list(LEGACY_BUILD_REQUIRES)
        for requirement in requires:
            if isinstance(requirement, str):
                found.add(requirement)
                found.update(EDITABLE_REQUIRES.get(_requirement_name(requirement), ()))
    return tuple(sorted(found))


def _built_pyprojects(project: Project) -> Iterable[Mapping[str, Any]]:
    """The pyproject of every local package inside the project that `uv sync` builds."""
    by_path = {member.path: member for member in project.members}
    for _name, source in sorted(project.locals.by_name.items()):
        if source.kind not in _BUILT_KINDS:
            continue
        if source.location in (".", "") and project.root_name is not None:
            yield project.pyproject
        else:
            member = by_path.get(_normal(source.location))
            if member is not None:
                yield project.member_pyproject(member)


def _scripts(project: Project) -> list[str]:
    table = project.pyproject.get("project", {})
    scripts = table.get("scripts") if isinstance(table, Mapping) else None
    return sorted(scripts) if isinstance(scripts, Mapping) else []


def _normal(location: str) -> str:
    return posixpath.normpath(location)


def _requirement_name(requirement: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return ""


def _skip_local_flag(project: Project) -> str:
    """The `uv sync` option that leaves the project's own packages out of the download."""
    if project.outside or any(not member.workspace_member for member in project.members):
        return "--no-install-local"  # path dependencies need their source: the final stage
    return "--no-install-workspace" if project.lock.members else "--no-install-project"


def _lockstrip_python(minor: str) -> str:
    major, _, low = minor.partition(".")
    if (int(major), int(low)) < LOCKSTRIP_MIN_PYTHON:
        return DEFAULT_PYTHON
    return minor


def _header(name: str | None) -> str:
    printed = f"printed by `lockstrip dockerfile` (lockstrip {__version__})"
    return f"""\
# Dockerfile for {name or "this workspace"}, {printed}.
# Build it from the project folder: docker build -t {name or "app"} .
# Keep .venv out of the build context with a .dockerignore that lists `.venv`.
# Why each line is there: examples/README.md in lockstrip's repository.
"""


def _export_stage(python: str) -> str:
    return f"""\
# The export: stripped pyproject.toml files and uv.lock, whose bytes change only when the
# third-party dependencies do. This stage re-runs on every source change and takes a second.
FROM python:{python}-slim AS lockstrip
RUN pip install --no-cache-dir --disable-pip-version-check lockstrip=={__version__}
RUN --mount=type=bind,target=/src lockstrip export /src --out /export --no-dev
"""


def _uv_stage() -> str:
    return f"""\
FROM ghcr.io/astral-sh/uv:{UV_VERSION} AS uv
"""


def _download_stage(minor: str, skip: str, requires: tuple[str, ...]) -> str:
    download = f"uv sync --frozen {skip} --no-dev"
    backend = ""
    if requires:
        download += f" \\\n && uv pip install {shlex.join(requires)}"
        backend = (
            "# The build backend of the project's own packages is not in uv.lock: it is\n"
            "# installed here, so the last step builds them offline and removes it.\n"
        )
    return f"""\
FROM python:{minor}-slim
COPY --from=uv /uv /uvx /bin/
ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_PYTHON_DOWNLOADS=never
WORKDIR /app

# The download layer: its only input is the export, so a version bump or a docs edit
# leaves it cached, and a third-party change re-runs it.
{backend}COPY --from=lockstrip /export /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    {download}
"""


def _project_stage(prebuilt_backend: bool, outside: list[str], scripts: list[str]) -> str:
    """The same stage, continued: the source and the real files."""
    final = "uv sync --locked --no-dev" + (" --no-build-isolation" if prebuilt_backend else "")
    note = ""
    if outside:
        note = (
            f"# Path dependencies outside the project ({', '.join(outside)}) are not in\n"
            "# this build context: copy them in before the last `uv sync`.\n"
        )
    run = ""
    if scripts:
        run = f"# The project's scripts are on PATH ({', '.join(scripts)}); to run one:\n"
        run += f'# CMD ["{scripts[0]}"]\n'
    return f"""\
# The project: `--locked` checks the real uv.lock against the real pyproject.toml files.
{note}COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    {final}
ENV PATH="/app/.venv/bin:$PATH"
{run}"""
