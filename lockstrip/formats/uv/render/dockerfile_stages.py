"""The Dockerfile's stages, one function each: export, uv, download, project."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lockstrip import __version__

if TYPE_CHECKING:
    pass
from lockstrip.formats.uv.render.dockerfile_inputs import (
    DOCKER_PLATFORMS,
    UV_VERSION,
    IndexSecret,
    LockstripSource,
    Service,
)

__all__ = []


def _header(name: str | None, secrets: Sequence[IndexSecret]) -> str:
    printed = f"printed by `lockstrip dockerfile` (lockstrip {__version__})"
    build = f"docker build -t {name or 'app'}"
    for secret in secrets:
        build += f" \\\n#   --secret id={secret.username},src=FILE"
        build += f" --secret id={secret.password},src=FILE"
    return f"""\
# Dockerfile for {name or "this workspace"}, {printed}.
# Build it from the project folder: {build} .
# Keep .venv out of the build context with a .dockerignore that lists `.venv`.
# Why each line is there: examples/README.md in lockstrip's repository.
"""


_PIP_INSTALL = "pip install --no-cache-dir --disable-pip-version-check"


def export_stage(
    python: str,
    minor: str,
    lockstrip: LockstripSource,
    fold: str,
    services: Sequence[Service] = (),
) -> str:
    """`fold`: the export option of the download step's install (`fold_flag`)."""
    install = f"{_PIP_INSTALL} {shlex.quote(lockstrip.requirement)}"
    if lockstrip.wheel is not None:
        mount = f"--mount=type=bind,source={lockstrip.wheel},target={lockstrip.requirement}"
        install = f"{mount} \\\n    {install}"
    if lockstrip.needs_git:
        install = (
            "apt-get update && apt-get install -y --no-install-recommends git \\\n"
            f" && {install} \\\n && rm -rf /var/lib/apt/lists/*"
        )
    cases = "".join(
        f"      {pattern}) platform={name} ;; \\\n" for pattern, name in DOCKER_PLATFORMS.items()
    )
    target = f"${{platform:+--python-version {minor} --python-platform $platform}}"
    packages = "".join(f" --package {service.name}" for service in services)
    # the download step leaves the workspace's own packages out, so its export folds them
    fold = f" {fold}" if fold else ""
    command = f"lockstrip export /src --out /export --no-dev{packages}{fold} \\\n    {target}"
    if services:  # the services' own steps install their local packages from /export
        command = (
            f"lockstrip export /src --out /export --no-dev{packages} \\\n    {target} \\\n"
            f" && lockstrip export /src --out /download --no-dev{packages}{fold} \\\n"
            f"    {target}"
        )
    return f"""\
# The export: stripped pyproject.toml files and uv.lock, whose bytes change only when the
# third-party dependencies do. This stage re-runs on every source change and takes a second.
# It runs on the build machine and exports the artifacts of the image's platform only, so a
# wheel uploaded for another platform leaves this platform's download cached.
FROM --platform=$BUILDPLATFORM python:{python}-slim AS lockstrip
RUN {install}
ARG TARGETPLATFORM
RUN --mount=type=bind,target=/src \\
    case "$TARGETPLATFORM" in \\
{cases}      *) platform= ;; \\
    esac \\
 && {command}
"""


def uv_stage() -> str:
    return f"""\
FROM ghcr.io/astral-sh/uv:{UV_VERSION} AS uv
"""


def secret_mounts(secrets: Sequence[IndexSecret]) -> str:
    """Mount lines and exports that give `uv` the index credentials for one RUN.

    A secret mount is a file under /run/secrets that exists only while the step runs: it is
    in no layer and its value in no cache key, and the RUN line that `docker history` shows
    names the file, not the value. The dockerfile frontend built into BuildKit mounts
    secrets as files (the `env=` option needs a newer frontend image), hence the `cat`."""
    ids = [id for secret in secrets for id in (secret.username, secret.password)]
    mounts = "".join(f"    --mount=type=secret,id={id},required=true \\\n" for id in ids)
    exports = " \\\n && ".join(f'export {id}="$(cat /run/secrets/{id})"' for id in ids)
    return f"{mounts}    {exports} \\\n && "


#: Where the download stage installs the project's build backend, outside its environment.
BACKEND = "/opt/build-backend"


def download_stage(
    minor: str, skip: str, requires: tuple[str, ...], secrets: Sequence[IndexSecret]
) -> str:
    download = f"uv sync --frozen {skip} --no-dev"
    if secrets:
        download = secret_mounts(secrets) + download
    backend = ""
    if requires:
        download += f" \\\n && uv pip install --target {BACKEND} {shlex.join(requires)}"
        backend = (
            "# The build backend of the project's own packages is not in uv.lock: it is\n"
            f"# installed here, beside the environment ({BACKEND}), so the last step builds\n"
            "# them offline with it and the environment keeps the lock's versions (a newer\n"
            "# backend may need a newer `packaging` than the lock's).\n"
        )
    return f"""\
FROM python:{minor}-slim
COPY --from=uv /uv /uvx /bin/
ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_PYTHON_DOWNLOADS=never
WORKDIR /app
# uv's cache mount is one per platform: builds for two platforms never share one.
ARG TARGETPLATFORM

# The download layer: its only input is the export, so a version bump or a docs edit
# leaves it cached, and a third-party change re-runs it.
{backend}COPY --from=lockstrip /export /app
RUN --mount=type=cache,id=uv-$TARGETPLATFORM,target=/root/.cache/uv \\
{download if secrets else "    " + download}
"""


def project_stage(
    prebuilt_backend: bool,
    outside: list[str],
    scripts: list[str],
    secrets: Sequence[IndexSecret],
) -> str:
    """The same stage, continued: the source and the real files."""
    final = "uv sync --locked --no-dev"
    if prebuilt_backend:
        final = f"PYTHONPATH={BACKEND} {final} --no-build-isolation"
    final = (secret_mounts(secrets) if secrets else "    ") + final
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
RUN --mount=type=cache,id=uv-$TARGETPLATFORM,target=/root/.cache/uv \\
{final}

# The image runs as it was built: `uv run` neither syncs nor builds at start (a pulled image
# has new file times, which uv would otherwise take for a changed project, and it would add
# the dev group), and the environment's python and scripts are first on PATH.
ENV PATH="/app/.venv/bin:$PATH" UV_NO_SYNC=1
{run}"""
