"""Platform tags: which wheels a Python version and platform install, ranked (`priority`), and
the tags a wheel's file name carries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote

if TYPE_CHECKING:
    from packaging.tags import Tag

__all__ = ["PLATFORMS"]


class _Platform(NamedTuple):
    """What a uv platform name stands for."""

    os: str  # "manylinux", "musllinux", "macos" or "windows"
    arch: str  # uv's architecture: "x86_64", "aarch64", "i686" or "riscv64"
    version: tuple[int, int]  # glibc, musl or macOS version; (0, 0) on Windows


#: uv 0.13.8 maps `linux`, `x86_64-unknown-linux-gnu` and `aarch64-unknown-linux-gnu` to
#: manylinux_2_28, not the 2_17 of earlier releases: it accepts a manylinux_2_28 wheel for
#: `--python-platform linux` and refuses a 2_29 one (tests/test_target.py asks it).
#: `riscv64-unknown-linux` is manylinux_2_39.
_GNU = (2, 28)


#: uv's default macOS for both macOS targets: the oldest release Apple still supports. uv
#: also reads MACOSX_DEPLOYMENT_TARGET; lockstrip does not, so that a target's meaning
#: does not depend on the environment it runs in.
_MACOS = (13, 0)


#: The glibc versions uv has a `<arch>-manylinux_2_<minor>` name for.
GLIBC_MINORS = (17, 28, *range(31, 41))


def _manylinux_names(arch: str) -> Iterator[tuple[str, _Platform]]:
    yield f"{arch}-manylinux2014", _Platform("manylinux", arch, (2, 17))
    for minor in GLIBC_MINORS:
        yield f"{arch}-manylinux_2_{minor}", _Platform("manylinux", arch, (2, minor))


#: Every name uv 0.13.8 accepts for `--python-platform`, in the order of its help text,
#: except the Android, iOS and Pyodide ones: their wheels are not installed by `uv sync`
#: on a build machine, which is what a target describes here.
PLATFORM_SPECS: dict[str, _Platform] = {
    "windows": _Platform("windows", "x86_64", (0, 0)),
    "linux": _Platform("manylinux", "x86_64", _GNU),
    "macos": _Platform("macos", "aarch64", _MACOS),
    "x86_64-pc-windows-msvc": _Platform("windows", "x86_64", (0, 0)),
    "aarch64-pc-windows-msvc": _Platform("windows", "aarch64", (0, 0)),
    "i686-pc-windows-msvc": _Platform("windows", "i686", (0, 0)),
    "x86_64-unknown-linux-gnu": _Platform("manylinux", "x86_64", _GNU),
    "aarch64-apple-darwin": _Platform("macos", "aarch64", _MACOS),
    "x86_64-apple-darwin": _Platform("macos", "x86_64", _MACOS),
    "aarch64-unknown-linux-gnu": _Platform("manylinux", "aarch64", _GNU),
    "aarch64-unknown-linux-musl": _Platform("musllinux", "aarch64", (1, 2)),
    "x86_64-unknown-linux-musl": _Platform("musllinux", "x86_64", (1, 2)),
    "riscv64-unknown-linux": _Platform("manylinux", "riscv64", (2, 39)),
    **dict(_manylinux_names("x86_64")),
    **dict(_manylinux_names("aarch64")),
}


#: The valid `--python-platform` names.
PLATFORMS: tuple[str, ...] = tuple(PLATFORM_SPECS)


def _platform_tags(spec: _Platform) -> list[str]:
    """Platform tags, most preferred first, as packaging yields them on such a machine.

    manylinux follows `packaging._manylinux.platform_tags` for a glibc of that version:
    every 2_X down to 2_17 (2_5 on x86, 2_31 on riscv64 as in uv), each legacy alias right
    after its version; musllinux follows `packaging._musllinux`, 1_X down to 1_0. Then, as
    in uv and pip, `linux_<arch>` last: packaging puts it first, for wheels built on the
    machine itself, and a target is never that machine.
    """
    if spec.os == "windows":
        return [{"x86_64": "win_amd64", "aarch64": "win_arm64", "i686": "win32"}[spec.arch]]
    if spec.os == "macos":
        from packaging.tags import mac_platforms

        arch = "arm64" if spec.arch == "aarch64" else spec.arch
        return list(mac_platforms(version=spec.version, arch=arch))
    major, newest = spec.version
    tags: list[str] = []
    if spec.os == "musllinux":
        tags = [f"musllinux_{major}_{minor}_{spec.arch}" for minor in range(newest, -1, -1)]
    else:
        # packaging stops at 2_17 except on x86 (2_5); uv also knows that riscv64 wheels
        # start at 2_31, and accepts no older ones.
        oldest = {"x86_64": 5, "i686": 5, "riscv64": 31}.get(spec.arch, 17)
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        for minor in range(newest, oldest - 1, -1):
            tags.append(f"manylinux_{major}_{minor}_{spec.arch}")
            if minor in legacy:
                tags.append(f"{legacy[minor]}_{spec.arch}")
    tags.append(f"linux_{spec.arch}")
    return tags


@cache
def supported_tags(python_version: str, platform: str) -> tuple[Tag, ...]:
    # Imported here: packaging.tags costs 17 ms (it imports subprocess and logging), and
    # only tags need it, not markers.
    from packaging.tags import compatible_tags, cpython_tags

    major, minor = (int(part) for part in python_version.split("."))
    interpreter = f"cp{major}{minor}"
    platforms = _platform_tags(PLATFORM_SPECS[platform])
    return (
        *cpython_tags(python_version=(major, minor), abis=[interpreter], platforms=platforms),
        *compatible_tags(
            python_version=(major, minor), interpreter=interpreter, platforms=platforms
        ),
    )


@cache
def tag_priority(python_version: str, platform: str) -> dict[Tag, int]:
    """Each accepted tag's rank, 0 the most preferred."""
    ranks: dict[Tag, int] = {}
    for rank, tag in enumerate(supported_tags(python_version, platform)):
        ranks.setdefault(tag, rank)
    return ranks


def wheel_tags(wheel: Mapping[str, Any], package: Mapping[str, Any]) -> frozenset[Tag]:
    """The tags in a wheel's file name; none when the name is missing or not a wheel's."""
    filename = _file_name(wheel)
    if filename is None:
        # A direct-URL wheel: uv writes the URL in the source and only a hash here.
        source = package.get("source")
        filename = _file_name(source) if source is not None else None
    return frozenset() if filename is None else _filename_tags(filename)


@lru_cache(maxsize=65536)
def _filename_tags(filename: str) -> frozenset[Tag]:
    """The tags in a wheel file name: parsed once per name, since a history or a scoped
    export asks the same wheels again and again."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        return parse_wheel_filename(filename)[3]
    except (InvalidWheelFilename, ValueError):
        return frozenset()


def _file_name(table: Mapping[str, Any]) -> str | None:
    """The last path segment of `filename`, `url` or `path`, percent-decoded (`%2B` is `+`)."""
    for key in ("filename", "url", "path"):
        value = table.get(key)
        if value:  # a string where it is there (lockfile.parse_lock)
            path = url_path(value) if key == "url" else value
            name = unquote(path.replace("\\", "/").rpartition("/")[2])
            return name or None
    return None


def url_path(url: str) -> str:
    """The path of a URL, without its query and fragment; never fails, unlike `urlsplit`,
    which refuses a host such as `[::1` that uv keeps in a lock as text."""
    rest = url.partition("://")[2] if "://" in url else url
    if "://" in url:
        rest = "/" + rest.partition("/")[2] if "/" in rest else ""
    return rest.partition("#")[0].partition("?")[0]
