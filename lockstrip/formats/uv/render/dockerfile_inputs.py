"""What the Dockerfile is made from: the project's Python, build requirements, index secrets,
the install it leaves out, and where lockstrip itself comes from (`--lockstrip-spec`)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from lockstrip import __version__
from lockstrip.errors import InputError
from lockstrip.formats.uv.model.project import Project

if TYPE_CHECKING:
    from lockstrip.formats.request import Skip

__all__ = [
    "DEFAULT_PYTHON",
    "DOCKER_PLATFORMS",
    "EDITABLE_REQUIRES",
    "LEGACY_BUILD_REQUIRES",
    "LOCKSTRIP_MIN_PYTHON",
    "SHARED_STAGES",
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
            member = by_path.get(normal_location(source.location))
            if member is not None:
                yield project.member_pyproject(member)


def script_names(project: Project) -> list[str]:
    table = project.pyproject.get("project", {})
    scripts = table.get("scripts") if isinstance(table, Mapping) else None
    return sorted(scripts) if isinstance(scripts, Mapping) else []


def normal_location(location: str) -> str:
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


def fold_flag(project: Project) -> str:
    """The export option for the download step's install ("" for a single project)."""
    skip = download_skip(project)
    return f"--no-install-{skip}" if skip else ""


def skip_local_flag(project: Project) -> str:
    """The `uv sync` option that leaves the project's own packages out of the download."""
    return f"--no-install-{download_skip(project) or 'project'}"


def lockstrip_python(minor: str) -> str:
    major, _, low = minor.partition(".")
    if (int(major), int(low)) < LOCKSTRIP_MIN_PYTHON:
        return DEFAULT_PYTHON
    return minor
