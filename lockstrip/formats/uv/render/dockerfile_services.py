"""A monorepo's Dockerfile: one shared download stage, one final stage per workspace member
(`--package`)."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from lockstrip import __version__
from lockstrip.errors import InputError
from lockstrip.formats.uv.model.project import Project

if TYPE_CHECKING:
    pass
from lockstrip.formats.uv.render.dockerfile_inputs import (
    SHARED_STAGES,
    IndexSecret,
    LockstripSource,
    Service,
    build_requirements,
    fold_flag,
    lockstrip_python,
    normal_location,
    parse_lockstrip_spec,
    python_minor,
    script_names,
    skip_local_flag,
)
from lockstrip.formats.uv.render.dockerfile_stages import (
    BACKEND,
    export_stage,
    secret_mounts,
    uv_stage,
)

__all__ = ["render_services", "services"]


def services(project: Project, names: Sequence[str]) -> tuple[Service, ...]:
    """The workspace members `names` as services, in the order given, each once.

    A service's sources are the local packages that `uv sync --package NAME --no-dev`
    installs (scope.py walks the lock as uv does), so its stage copies those folders only."""
    from packaging.utils import canonicalize_name

    from lockstrip.formats.request import Scope
    from lockstrip.formats.uv.selection.select import select

    members = sorted(project.lock.members)
    found = []
    for asked in dict.fromkeys(names):
        name = canonicalize_name(asked)
        if name not in members:
            have = ", ".join(members) or "none: not a workspace"
            raise InputError("--package", f"{asked!r} is not a workspace member (members: {have})")
        if name in SHARED_STAGES:
            raise InputError(
                "--package",
                f"{asked!r} is the name of a shared stage of the Dockerfile "
                f"({', '.join(SHARED_STAGES)}), so `--target {name}` could not pick it",
            )
        selection = select(project, Scope(no_dev=True, packages=(name,)), None)
        sources = set()
        for index in selection.packages:
            package = project.lock.packages[index]
            if not project.locals.is_local(package):
                continue
            location = normal_location(package.source.location)
            if location == ".." or location.startswith("../") or posixpath.isabs(location):
                raise InputError(
                    "--package",
                    f"{asked!r} depends on {package.name} at {location}, outside the build "
                    "context: a service's local packages must be inside the project folder",
                )
            sources.add(location)
        if "." in sources:  # the root package: its folder is the whole context
            sources = {"."}
        found.append(Service(name, tuple(sorted(sources)), tuple(_scripts_of(project, name))))
    return tuple(found)


def _scripts_of(project: Project, name: str) -> list[str]:
    if name == project.root_name:
        return script_names(project)
    for member in project.members:
        if member.name == name:
            table = project.member_pyproject(member).get("project", {})
            scripts = table.get("scripts") if isinstance(table, Mapping) else None
            return sorted(scripts) if isinstance(scripts, Mapping) else []
    return []


def render_services(
    project: Project,
    chosen: Sequence[Service],
    *,
    lockstrip: LockstripSource | None = None,
    secrets: Sequence[IndexSecret] = (),
) -> str:
    """The Dockerfile of several services of one workspace (uv issue #6323).

    One download stage takes the third-party artifacts of every service together, keyed on
    the export of their union, and keeps uv's cache as its only output. Each service's stage
    installs its own scope from that cache, offline, in two steps keyed on its own export and
    then on its own source folders, so each artifact is downloaded once per change of the
    union, and an edit of one service leaves the other services' stages cached."""
    minor = python_minor(project)
    requires = build_requirements(project)
    parts = [
        _services_header(project.root_name, chosen, secrets),
        export_stage(
            lockstrip_python(minor),
            minor,
            lockstrip or parse_lockstrip_spec(None),
            fold_flag(project),
            chosen,
        ),
        uv_stage(),
        _shared_download_stage(minor, skip_local_flag(project), requires, secrets, chosen),
    ]
    skip = skip_local_flag(project)
    parts += [_service_stage(minor, skip, requires, service) for service in chosen]
    return "\n".join(parts)


def _services_header(
    name: str | None, chosen: Sequence[Service], secrets: Sequence[IndexSecret]
) -> str:
    printed = f"printed by `lockstrip dockerfile` (lockstrip {__version__})"
    names = ", ".join(service.name for service in chosen)
    options = "".join(
        f" \\\n#   --secret id={s.username},src=FILE --secret id={s.password},src=FILE"
        for s in secrets
    )
    builds = "".join(f"#   docker build --target {s.name} -t {s.name}{options} .\n" for s in chosen)
    return f"""\
# Dockerfile for the services {names} of {name or "this workspace"}, {printed}.
# Build each service from the project folder; the download stage is shared:
{builds}# Keep .venv out of the build context with a .dockerignore that lists `.venv`.
# Why each line is there: docs/monorepo.md in lockstrip's repository.
"""


#: Where a service's stage reads the download stage's uv cache: a bind mount, so the cache
#: is in no layer of the service's image; `rw` lets uv write its lock files, which are
#: dropped after the step.
_SHARED_CACHE = "--mount=type=bind,from=download,source=/root/.cache/uv,target=/root/.cache/uv,rw"


def _shared_download_stage(
    minor: str,
    skip: str,
    requires: tuple[str, ...],
    secrets: Sequence[IndexSecret],
    chosen: Sequence[Service],
) -> str:
    packages = "".join(f" --package {service.name}" for service in chosen)
    download = f"uv sync --frozen {skip} --no-dev{packages}"
    if requires:
        download += f" \\\n && uv pip install --target {BACKEND} {shlex.join(requires)}"
        download += f" \\\n && rm -rf {BACKEND}"
    download += " \\\n && rm -rf /app/.venv"
    download = (secret_mounts(secrets) if secrets else "    ") + download
    return f"""\
# The download stage, shared by the services: every artifact of their third-party packages
# (the union of their scopes) and the build backends of the workspace's packages, downloaded
# once into uv's cache. The cache is the stage's output (the environment is removed), and the
# union's export its only input, so a version bump or a source edit leaves it cached.
FROM python:{minor}-slim AS download
COPY --from=uv /uv /uvx /bin/
ENV UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY --from=lockstrip /download /app
RUN {download.removeprefix("    ") if not secrets else download}
"""


def _service_stage(minor: str, skip: str, requires: tuple[str, ...], service: Service) -> str:
    third_party = f"uv sync --offline --frozen {skip} --no-dev --package {service.name}"
    final = f"uv sync --offline --frozen --no-dev --package {service.name}"
    if requires:
        third_party += (
            f" \\\n && uv pip install --offline --target {BACKEND} {shlex.join(requires)}"
        )
        final = f"PYTHONPATH={BACKEND} {final} --no-build-isolation"
    copies = "".join(
        "COPY . /app\n" if source == "." else f"COPY {source} /app/{source}\n"
        for source in service.sources
    )
    run = ""
    if service.scripts:
        run = f"# The service's scripts are on PATH ({', '.join(service.scripts)}); to run one:\n"
        run += f'# CMD ["{service.scripts[0]}"]\n'
    return f"""\
# The service {service.name}: `docker build --target {service.name}`. It installs everything
# offline from the download stage's cache, its third-party packages first: this layer re-runs
# when the download stage does, and takes no network.
FROM python:{minor}-slim AS {service.name}
COPY --from=uv /uv /uvx /bin/
ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY --from=lockstrip /export /app
RUN {_SHARED_CACHE} \\
    {third_party}
# Then the source of {service.name} and of the workspace packages it depends on, and nothing
# else, so an edit of another service leaves this stage cached. The lock here is the export's,
# hence `--frozen`: check the real one with `uv lock --check` before the build.
{copies}RUN {_SHARED_CACHE} \\
    {final}

ENV PATH="/app/.venv/bin:$PATH" UV_NO_SYNC=1
{run}"""
