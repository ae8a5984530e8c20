"""Install targets: a Python version and one of uv's platform names, as `--python-platform`.

A universal lock holds every platform's packages and artifacts; one install takes a part of
it. Two things decide that part, and both come from here: the PEP 508 marker environment
(which dependency edges apply) and the wheel tags, most preferred first (which artifact of a
package would be downloaded). Both follow uv 0.13, the oracle the tests run, so that what
lockstrip says a target installs is what `uv sync --python-platform NAME` installs.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from platform import machine
from typing import TYPE_CHECKING, Any, NamedTuple

from lockstrip.errors import InputError

if TYPE_CHECKING:
    from packaging.tags import Tag
from lockstrip.environment.tags import (
    GLIBC_MINORS,
    PLATFORM_SPECS,
    PLATFORMS,
    supported_tags,
    tag_priority,
    wheel_tags,
)

__all__ = [
    "Target",
    "best_artifact",
    "best_file",
    "lowest_python",
    "parse_target",
    "running_target",
]


#: (os_name, sys_platform, platform_system) per operating system, as uv sets them.
_OS_MARKERS = {
    "manylinux": ("posix", "linux", "Linux"),
    "musllinux": ("posix", "linux", "Linux"),
    "macos": ("posix", "darwin", "Darwin"),
    "windows": ("nt", "win32", "Windows"),
}


#: platform_machine where it is not uv's architecture name (Python reports these).
_MACHINE = {
    ("macos", "aarch64"): "arm64",
    ("windows", "x86_64"): "AMD64",
    ("windows", "aarch64"): "ARM64",
    ("windows", "i686"): "x86",
}


_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


class Target(NamedTuple):
    """One install target. Universal output (no target) is `None`, never a Target."""

    python_version: str  # "3.12"
    python_full_version: str  # "3.12.0" or "3.12.4"
    platform: str  # a name in PLATFORMS

    def environment(self) -> dict[str, str]:
        """The marker environment uv evaluates lock edges in for this target.

        platform_release and platform_version are empty, as in uv: a target names no
        kernel, so markers on them are false unless they compare with "".
        """
        spec = PLATFORM_SPECS[self.platform]
        os_name, sys_platform, platform_system = _OS_MARKERS[spec.os]
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python_full_version,
            "os_name": os_name,
            "platform_machine": _MACHINE.get((spec.os, spec.arch), spec.arch),
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": platform_system,
            "platform_version": "",
            "python_full_version": self.python_full_version,
            "python_version": self.python_version,
            "sys_platform": sys_platform,
        }

    def tags(self) -> list[Tag]:
        """The wheel tags a CPython install on this target accepts, most preferred first."""
        return list(supported_tags(self.python_version, self.platform))

    def describe(self) -> dict[str, str]:
        """What JSON output says about the target: the version (completed from the project
        where only a platform was given) and the platform name, not what they expand to."""
        return {"python_version": self.python_version, "platform": self.platform}


def parse_target(
    python_version: str | None,
    python_platform: str | None,
    requires_python: str | None = None,
    source: str = "uv.lock",
) -> Target | None:
    """The target of `--python-version` and `--python-platform`; `None` when neither is given.

    A target is a function of the project and the flags, never of the machine lockstrip
    runs on: a cache key computed on a 3.11 runner must equal the one computed on 3.12.
    So a platform given alone takes the lowest Python the project's `requires-python`
    allows (`lowest_python`, the Python the generated Dockerfile installs), read from
    `source`; a Python version given alone is refused, since no project file names a
    platform.
    """
    if python_version is None and python_platform is None:
        return None
    if python_platform is None:
        raise InputError(
            "--python-version",
            "needs --python-platform too: no project file names a platform, and this "
            "machine's would make the result depend on where lockstrip runs "
            "(e.g. --python-platform x86_64-manylinux_2_28)",
        )
    name = python_platform.strip()
    if name not in PLATFORM_SPECS:
        raise InputError(
            "--python-platform", f"unknown platform {name!r}; valid: {', '.join(PLATFORMS)}"
        )
    if python_version is None:
        python_version = _lowest_release(requires_python)
        if python_version is None:
            reason = (
                "has no requires-python"
                if requires_python is None
                else f"requires-python {requires_python!r} allows no Python 3 release"
            )
            raise InputError(
                "--python-platform",
                f"given without --python-version, and {source} {reason} to take the "
                "lowest Python from; give --python-version X.Y",
            )
    minor, full = _parse_version(python_version)
    return Target(minor, full, name)


def _lowest_release(requires_python: str | None) -> str | None:
    """The lowest "3.X.Y" requires-python allows within `lowest_python`'s minor: the
    marker environment of a target stays inside what the project supports."""
    minor = lowest_python(requires_python)
    if minor is None or requires_python is None:
        return None
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(requires_python)  # lowest_python parsed it
    return next(f"{minor}.{patch}" for patch in range(100) if spec.contains(f"{minor}.{patch}"))


def lowest_python(requires_python: str | None) -> str | None:
    """The lowest "3.X" a requires-python specifier allows; None when it is missing,
    unreadable or allows none.

    A minor counts when its latest patch release is allowed, because that is what the
    official `python:3.X-slim` image ships; failing that, when any patch release is."""
    if requires_python is None:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return None
    for patches in ((99,), range(100)):
        for minor in range(6, 40):
            if any(spec.contains(f"3.{minor}.{patch}") for patch in patches):
                return f"3.{minor}"
    return None


def running_target() -> Target:
    """The running interpreter and machine: what `uv sync` installs for without options."""
    info = sys.version_info
    return Target(f"{info.major}.{info.minor}", _running_full_version(), _running_platform())


def best_artifact(package: Mapping[str, Any], target: Target) -> Mapping[str, Any] | None:
    """The artifact of a lock `[[package]]` table that an install on `target` downloads.

    The wheel whose best tag ranks highest for the target (as installers choose); the
    sdist, to be built, when no wheel fits; `None` when the package has neither (a git,
    directory or editable source is fetched or read another way).
    """
    priority = tag_priority(target.python_version, target.platform)
    best: Mapping[str, Any] | None = None
    best_rank = len(priority)
    for wheel in package.get("wheels", ()):  # tables, checked by lockfile.parse_lock
        tags = wheel_tags(wheel, package)
        rank = min((priority.get(tag, best_rank) for tag in tags), default=best_rank)
        if rank < best_rank:
            best, best_rank = wheel, rank
    if best is not None:
        return best
    sdist: Mapping[str, Any] | None = package.get("sdist")
    return sdist


def best_file(files: Sequence[tuple[str, str]], target: Target) -> list[tuple[str, str]]:
    """Of a lock's (file name, hash) pairs (poetry.lock and pdm.lock name files, not URLs),
    the one an install on `target` downloads, as a one-item list; empty when none fits."""
    wheels = [{"filename": f, "hash": h} for f, h in files if f.endswith(".whl")]
    sdists = [{"filename": f, "hash": h} for f, h in files if not f.endswith(".whl")]
    table: dict[str, Any] = {"wheels": wheels}
    if sdists:
        table["sdist"] = sdists[0]
    best = best_artifact(table, target)
    return [(best["filename"], best["hash"])] if best else []


def _parse_version(text: str) -> tuple[str, str]:
    match = _VERSION.fullmatch(text.strip())
    if match is None or int(match.group(1)) != 3:
        raise InputError(
            "--python-version",
            f"expected a Python 3 version such as 3.12 or 3.12.4, got {text!r}",
        )
    major, minor, patch = (int(part) if part else None for part in match.groups())
    # uv reads a version without a patch as its first release (`3.12` -> `3.12.0`): it
    # assumes the oldest interpreter of that minor, so `python_full_version >= '3.12.1'`
    # is false for such a target, in uv's output and in lockstrip's.
    return f"{major}.{minor}", f"{major}.{minor}.{patch or 0}"


def _running_full_version() -> str:
    """python_full_version as PEP 508 defines it, e.g. "3.11.7" or "3.14.0rc1"."""
    info = sys.implementation.version
    version = f"{info.major}.{info.minor}.{info.micro}"
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def _running_platform() -> str:
    """The uv name for the running interpreter's platform (its architecture, not the CPU's).

    On glibc Linux, the highest `manylinux_2_X` name uv has at or below the running glibc:
    never tags the machine lacks.
    """
    kind, _, arch = sysconfig.get_platform().partition("-")
    arch = {"amd64": "x86_64", "arm64": "aarch64", "win32": "i686"}.get(arch, arch)
    if kind == "win32":  # 32-bit Windows CPython: sysconfig says just "win32"
        kind, arch = "win", "i686"
    candidates: list[str] = []
    if kind == "win":
        candidates = [f"{arch}-pc-windows-msvc"]
    elif kind == "macosx":  # "macosx-11.0-arm64", or "-universal2": ask the machine
        candidates = [f"{'aarch64' if machine() == 'arm64' else machine()}-apple-darwin"]
    elif kind == "linux":
        glibc = _running_glibc()
        if glibc is None:
            candidates = [f"{arch}-unknown-linux-musl"]
        elif arch == "riscv64":
            candidates = ["riscv64-unknown-linux"] if glibc >= (2, 39) else []
        else:
            fits = [minor for minor in GLIBC_MINORS if (2, minor) <= glibc]
            candidates = [f"{arch}-manylinux_2_{fits[-1]}"] if fits else []
    for name in candidates:
        if name in PLATFORM_SPECS:
            return name
    raise InputError(
        "--python-platform",
        f"this machine ({sysconfig.get_platform()}) has no uv platform name; "
        f"give one of: {', '.join(PLATFORMS)}",
    )


def _running_glibc() -> tuple[int, int] | None:
    """The running glibc's version; `None` when the C library is not glibc (musl)."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""  # "glibc 2.36"
    except (AttributeError, OSError, ValueError):
        text = ""
    match = re.fullmatch(r"glibc (\d+)\.(\d+).*", text)
    return (int(match.group(1)), int(match.group(2))) if match else None
