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
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from lockstrip import __version__
from lockstrip.errors import InputError
from lockstrip.formats.uv.model.project import Project

if TYPE_CHECKING:
    from lockstrip.formats.uv.selection.request import Skip

__all__ = [
    "UV_VERSION",
    "IndexSecret",
    "LockstripSource",
    "Service",
    "build_requirements",
    "download_skip",
    "index_secrets",
    "lowest_minor",
    "parse_lockstrip_spec",
    "python_minor",
    "render_dockerfile",
    "services",
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

#: Docker's TARGETPLATFORM (shell patterns) -> the uv platform the export selects artifacts
#: for. manylinux_2_28 is what uv 0.13 means by `linux`, and every Debian-based
#: `python:*-slim` image has a newer glibc, so each wheel the export keeps installs there.
#: Other platforms get the export of every platform's artifacts.
DOCKER_PLATFORMS: Mapping[str, str] = {
    "linux/amd64": "x86_64-manylinux_2_28",
    "linux/arm64*": "aarch64-manylinux_2_28",  # linux/arm64 and linux/arm64/v8
}

#: Local sources that the final `uv sync` builds (a virtual package is never built).
_BUILT_KINDS = ("editable", "directory")

#: The stages a Dockerfile of several services names itself: no service can be called so,
#: because `docker build --target NAME` picks a service by its package name.
SHARED_STAGES = ("lockstrip", "uv", "download")


class LockstripSource(NamedTuple):
    """What the export stage installs lockstrip from (`--lockstrip-spec`)."""

    #: The argument of `pip install`: a requirement, or the path the wheel is mounted at.
    requirement: str
    #: A wheel in the build context, relative to the project folder, bind-mounted for the
    #: install; None when pip fetches the requirement.
    wheel: str | None = None
    #: A git URL: the slim image has no git, so the stage installs it first.
    needs_git: bool = False


class Service(NamedTuple):
    """A workspace member that gets its own image (`lockstrip dockerfile --package NAME`)."""

    name: str  # the package name, also the stage's: `docker build --target NAME`
    #: The folders of the local packages its install builds (itself and the workspace
    #: packages it depends on), POSIX and relative to the project root, sorted.
    sources: tuple[str, ...]
    scripts: tuple[str, ...]  # its [project.scripts]


class IndexSecret(NamedTuple):
    """A named index of `[[tool.uv.index]]` whose credentials come from BuildKit secrets."""

    name: str  # as the project spells it
    username: str  # UV_INDEX_<NAME>_USERNAME: the secret's id and the variable uv reads
    password: str  # UV_INDEX_<NAME>_PASSWORD


def render_dockerfile(
    project: Project,
    *,
    lockstrip: LockstripSource | None = None,
    secrets: Sequence[IndexSecret] = (),
    packages: Sequence[str] = (),
) -> str:
    """The Dockerfile text for `project`, ready to build from the project folder.

    `lockstrip` is what the export stage installs (default: this release from the index);
    `secrets` are the indexes whose credentials the two `uv sync` steps read from BuildKit
    secret mounts (`index_secrets`). With `packages` (workspace members), the Dockerfile has
    one shared download stage and one final stage per member (`render_services`)."""
    if packages:
        chosen = services(project, packages)
        return render_services(project, chosen, lockstrip=lockstrip, secrets=secrets)
    minor = python_minor(project)
    requires = build_requirements(project)
    parts = [
        _header(project.root_name, secrets),
        _export_stage(
            _lockstrip_python(minor),
            minor,
            lockstrip or parse_lockstrip_spec(None),
            _fold_flag(project),
        ),
        _uv_stage(),
        _download_stage(minor, _skip_local_flag(project), requires, secrets),
        _project_stage(
            bool(requires),
            outside=sorted(path for _, path in project.outside),
            scripts=_scripts(project),
            secrets=secrets,
        ),
    ]
    return "\n".join(parts)


def services(project: Project, names: Sequence[str]) -> tuple[Service, ...]:
    """The workspace members `names` as services, in the order given, each once.

    A service's sources are the local packages that `uv sync --package NAME --no-dev`
    installs (scope.py walks the lock as uv does), so its stage copies those folders only."""
    from packaging.utils import canonicalize_name

    from lockstrip.formats.uv.selection.request import Scope
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
            location = _normal(package.source.location)
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
        return _scripts(project)
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
        _export_stage(
            _lockstrip_python(minor),
            minor,
            lockstrip or parse_lockstrip_spec(None),
            _fold_flag(project),
            chosen,
        ),
        _uv_stage(),
        _shared_download_stage(minor, _skip_local_flag(project), requires, secrets, chosen),
    ]
    skip = _skip_local_flag(project)
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
        download += f" \\\n && uv pip install {shlex.join(requires)}"
    download += " \\\n && rm -rf /app/.venv"
    download = (_secret_mounts(secrets) if secrets else "    ") + download
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
        third_party += f" \\\n && uv pip install --offline {shlex.join(requires)}"
        final += " --no-build-isolation"
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


def parse_lockstrip_spec(spec: str | None) -> LockstripSource:
    """What `--lockstrip-spec` asks the export stage to install.

    * nothing: this release, `lockstrip==<version>`, so the Dockerfile exports with the
      lockstrip that printed it;
    * a version (`0.2.0`) or a requirement (`lockstrip>=0.2,<0.3`): from the index;
    * an http(s) URL of a wheel or sdist: `lockstrip @ URL`;
    * a git URL (`git+https://...@rev`): `lockstrip @ git+...`, with git installed first;
    * the path of a lockstrip wheel inside the project folder (the build context), such as
      `dist/lockstrip-0.2.0-py3-none-any.whl`: bind-mounted, not copied into a layer.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
    from packaging.version import InvalidVersion, Version

    if spec is None:
        return LockstripSource(f"lockstrip=={__version__}")
    spec = spec.strip()
    if spec.startswith("git+"):
        return LockstripSource(f"lockstrip @ {spec}", needs_git=True)
    if re.match(r"https?://", spec):
        return LockstripSource(f"lockstrip @ {spec}")
    try:
        return LockstripSource(f"lockstrip=={Version(spec)}")
    except InvalidVersion:
        pass
    if spec.endswith(".whl"):
        wheel = _inside_context(spec)
        try:
            name = parse_wheel_filename(posixpath.basename(wheel))[0]
        except InvalidWheelFilename as error:
            raise InputError("--lockstrip-spec", str(error)) from None
        if name != "lockstrip":
            raise InputError("--lockstrip-spec", f"{spec!r} is a wheel of {name}, not lockstrip")
        return LockstripSource(f"/tmp/{posixpath.basename(wheel)}", wheel=wheel)
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        raise InputError(
            "--lockstrip-spec",
            f"{spec!r} is not a version, a requirement, a URL or the path of a wheel",
        ) from None
    if canonicalize_name(requirement.name) != "lockstrip":
        raise InputError("--lockstrip-spec", f"{spec!r} does not install lockstrip")
    return LockstripSource(str(requirement))


def _inside_context(path: str) -> str:
    """A wheel path the build can mount: relative, POSIX, inside the project folder."""
    normal = posixpath.normpath(path.replace("\\", "/"))
    if posixpath.isabs(normal) or normal == ".." or normal.startswith("../"):
        raise InputError(
            "--lockstrip-spec",
            f"{path!r} is outside the build context: give a path inside the project folder",
        )
    return normal


def index_secrets(project: Project, names: Sequence[str]) -> tuple[IndexSecret, ...]:
    """The secrets of the named indexes, checked against the project's `[[tool.uv.index]]`.

    uv reads an index's credentials from `UV_INDEX_<NAME>_USERNAME` and `..._PASSWORD`, NAME
    being the index name upper-cased with every other character than a letter or a digit
    replaced by `_`; the secrets have those ids, so `docker buildx build --secret id=ID` takes
    each from the environment variable of the same name."""
    declared = _index_names(project)
    found = []
    for name in dict.fromkeys(names):
        if name not in declared:
            have = ", ".join(declared) or "none"
            raise InputError(
                project.files.where("pyproject.toml"),
                f"no index named {name!r} (named indexes: {have})",
                field="tool.uv.index",
            )
        variable = re.sub(r"[^A-Z0-9]", "_", name.upper())
        found.append(
            IndexSecret(name, f"UV_INDEX_{variable}_USERNAME", f"UV_INDEX_{variable}_PASSWORD")
        )
    return tuple(found)


def _index_names(project: Project) -> list[str]:
    """Names of `[[tool.uv.index]]` entries in the root and the members, in file order."""
    pyprojects = [project.pyproject]
    pyprojects += [project.member_pyproject(m) for m in project.members if m.workspace_member]
    names: list[str] = []
    for pyproject in pyprojects:
        tool = pyproject.get("tool", {})
        uv = tool.get("uv", {}) if isinstance(tool, Mapping) else {}
        indexes = uv.get("index", []) if isinstance(uv, Mapping) else []
        for index in indexes if isinstance(indexes, list) else []:
            name = index.get("name") if isinstance(index, Mapping) else None
            if isinstance(name, str) and name not in names:
                names.append(name)
    return names


def python_minor(project: Project) -> str:
    """The lowest Python minor version the project allows ("3.11"), from requires-python."""
    return lowest_minor(project.requires_python[0])


def lowest_minor(requires_python: str | None) -> str:
    """The lowest "3.X" a requires-python specifier allows (`target.lowest_python`, which
    also completes a target given only a platform); DEFAULT_PYTHON when there is none."""
    from lockstrip.environment.target import lowest_python

    return lowest_python(requires_python) or DEFAULT_PYTHON


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


def download_skip(project: Project) -> Skip | None:
    """What the download step's `uv sync` leaves out, and its export folds: "local" (path
    dependencies need their source, so the final stage installs them), "workspace", or
    None for a single project (`--no-install-project`: nothing to fold)."""
    if project.needs_files:
        return "local"
    return "workspace" if project.lock.members else None


def _fold_flag(project: Project) -> str:
    """The export option for the download step's install ("" for a single project)."""
    skip = download_skip(project)
    return f"--no-install-{skip}" if skip else ""


def _skip_local_flag(project: Project) -> str:
    """The `uv sync` option that leaves the project's own packages out of the download."""
    return f"--no-install-{download_skip(project) or 'project'}"


def _lockstrip_python(minor: str) -> str:
    major, _, low = minor.partition(".")
    if (int(major), int(low)) < LOCKSTRIP_MIN_PYTHON:
        return DEFAULT_PYTHON
    return minor


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


def _export_stage(
    python: str,
    minor: str,
    lockstrip: LockstripSource,
    fold: str,
    services: Sequence[Service] = (),
) -> str:
    """`fold`: the export option of the download step's install (`_fold_flag`)."""
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


def _uv_stage() -> str:
    return f"""\
FROM ghcr.io/astral-sh/uv:{UV_VERSION} AS uv
"""


def _secret_mounts(secrets: Sequence[IndexSecret]) -> str:
    """Mount lines and exports that give `uv` the index credentials for one RUN.

    A secret mount is a file under /run/secrets that exists only while the step runs: it is
    in no layer and its value in no cache key, and the RUN line that `docker history` shows
    names the file, not the value. The dockerfile frontend built into BuildKit mounts
    secrets as files (the `env=` option needs a newer frontend image), hence the `cat`."""
    ids = [id for secret in secrets for id in (secret.username, secret.password)]
    mounts = "".join(f"    --mount=type=secret,id={id},required=true \\\n" for id in ids)
    exports = " \\\n && ".join(f'export {id}="$(cat /run/secrets/{id})"' for id in ids)
    return f"{mounts}    {exports} \\\n && "


def _download_stage(
    minor: str, skip: str, requires: tuple[str, ...], secrets: Sequence[IndexSecret]
) -> str:
    download = f"uv sync --frozen {skip} --no-dev"
    if secrets:
        download = _secret_mounts(secrets) + download
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
# uv's cache mount is one per platform: builds for two platforms never share one.
ARG TARGETPLATFORM

# The download layer: its only input is the export, so a version bump or a docs edit
# leaves it cached, and a third-party change re-runs it.
{backend}COPY --from=lockstrip /export /app
RUN --mount=type=cache,id=uv-$TARGETPLATFORM,target=/root/.cache/uv \\
{download if secrets else "    " + download}
"""


def _project_stage(
    prebuilt_backend: bool,
    outside: list[str],
    scripts: list[str],
    secrets: Sequence[IndexSecret],
) -> str:
    """The same stage, continued: the source and the real files."""
    final = "uv sync --locked --no-dev" + (" --no-build-isolation" if prebuilt_backend else "")
    final = (_secret_mounts(secrets) if secrets else "    ") + final
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
