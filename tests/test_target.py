"""Install targets against uv 0.13.8, the oracle.

* the platform names are uv's (its help text), the marker values uv's (a table);
* tags: which wheels a target accepts and in which order, asked of uv itself with wheels
  built for the test (`uv pip compile --find-links` picks the best wheel it accepts);
* the marker environment: for real locks and the common platforms, the packages whose
  edges hold in `Target.environment()` are exactly those `uv sync --python-platform`
  plans to install; where uv refuses a platform (a package with no wheel for it and no
  sdist), `best_artifact` finds no artifact for that package;
* `best_artifact` on real lock packages, and bad `--python-version`/`--python-platform`.
"""

from __future__ import annotations

import re
import sys
import sysconfig
import zipfile
from collections.abc import Iterator, Mapping
from functools import cache
from itertools import pairwise
from pathlib import Path
from platform import python_version
from typing import Any

import pytest
from helpers import FIXTURES, copy_project, load, run_uv
from packaging.markers import Marker, default_environment
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name

from lockstrip.environment import target as target_module
from lockstrip.environment.tags import PLATFORMS
from lockstrip.environment.target import Target, best_artifact, parse_target
from lockstrip.errors import InputError

#: uv's names that lockstrip leaves out (see PLATFORMS' comment).
SKIPPED = {
    "aarch64-linux-android",
    "x86_64-linux-android",
    "wasm32-pyodide2024",
    "wasm32-pyodide2025",
    "arm64-apple-ios",
    "arm64-apple-ios-simulator",
    "x86_64-apple-ios-simulator",
}


@pytest.fixture(scope="module")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


def target(platform: str, python: str = "3.11") -> Target:
    parsed = parse_target(python, platform)
    assert parsed is not None
    return parsed


# --- names and marker values ---------------------------------------------------------------


def test_platforms_are_uvs(tmp_path: Path, uv_cache: Path) -> None:
    result = run_uv(["sync", "--help"], tmp_path, uv_cache)
    assert result.returncode == 0, result.stderr
    block = re.search(r"--python-platform <PYTHON_PLATFORM>(.*?)\]", result.stdout, re.S)
    assert block is not None
    values = block.group(1).split("possible values:")[1]
    assert set(PLATFORMS) == {v.strip() for v in values.split(",")} - SKIPPED
    assert len(set(PLATFORMS)) == len(PLATFORMS)


# platform -> os_name, sys_platform, platform_system, platform_machine (uv's TargetTriple)
MARKERS = {
    "linux": ("posix", "linux", "Linux", "x86_64"),
    "windows": ("nt", "win32", "Windows", "AMD64"),
    "macos": ("posix", "darwin", "Darwin", "arm64"),
    "x86_64-pc-windows-msvc": ("nt", "win32", "Windows", "AMD64"),
    "aarch64-pc-windows-msvc": ("nt", "win32", "Windows", "ARM64"),
    "i686-pc-windows-msvc": ("nt", "win32", "Windows", "x86"),
    "x86_64-unknown-linux-gnu": ("posix", "linux", "Linux", "x86_64"),
    "aarch64-apple-darwin": ("posix", "darwin", "Darwin", "arm64"),
    "x86_64-apple-darwin": ("posix", "darwin", "Darwin", "x86_64"),
    "aarch64-unknown-linux-gnu": ("posix", "linux", "Linux", "aarch64"),
    "aarch64-unknown-linux-musl": ("posix", "linux", "Linux", "aarch64"),
    "x86_64-unknown-linux-musl": ("posix", "linux", "Linux", "x86_64"),
    "riscv64-unknown-linux": ("posix", "linux", "Linux", "riscv64"),
    "x86_64-manylinux2014": ("posix", "linux", "Linux", "x86_64"),
    "x86_64-manylinux_2_28": ("posix", "linux", "Linux", "x86_64"),
    "x86_64-manylinux_2_40": ("posix", "linux", "Linux", "x86_64"),
    "aarch64-manylinux_2_17": ("posix", "linux", "Linux", "aarch64"),
    "aarch64-manylinux_2_35": ("posix", "linux", "Linux", "aarch64"),
}


@pytest.mark.parametrize(("platform", "expected"), MARKERS.items())
def test_environment(platform: str, expected: tuple[str, str, str, str]) -> None:
    env = target(platform, "3.12").environment()
    os_name, sys_platform, platform_system, platform_machine = expected
    assert env == {
        "implementation_name": "cpython",
        "implementation_version": "3.12.0",
        "os_name": os_name,
        "platform_machine": platform_machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": platform_system,
        "platform_version": "",
        "python_full_version": "3.12.0",
        "python_version": "3.12",
        "sys_platform": sys_platform,
    }


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_platform_has_every_marker(platform: str) -> None:
    env = target(platform).environment()
    assert set(env) == set(default_environment())
    assert Marker("python_version >= '3.11' and implementation_name == 'cpython'").evaluate(env)
    assert target(platform).describe() == {"python_version": "3.11", "platform": platform}


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "minor", "full"),
    [
        ("3.12", "3.12", "3.12.0"),  # uv assumes the first release of the minor
        ("3.12.4", "3.12", "3.12.4"),
        (" 3.13 ", "3.13", "3.13.0"),
        ("3.9.21", "3.9", "3.9.21"),
        ("3.14", "3.14", "3.14.0"),
    ],
)
def test_python_version(given: str, minor: str, full: str) -> None:
    assert parse_target(given, "linux") == Target(minor, full, "linux")


def test_no_target() -> None:
    assert parse_target(None, None) is None


@pytest.mark.parametrize(
    ("requires_python", "full"),
    [
        (">=3.10", "3.10.0"),
        (">=3.9.2", "3.9.2"),  # the minor the Dockerfile installs, its lowest allowed patch
        (">=3.12.4, <3.12.5", "3.12.4"),  # no latest patch allowed: any patch then
        ("~=3.11", "3.11.0"),
        (">=3.11,!=3.11.*", "3.12.0"),
        ("<3.14,>3.12", "3.12.1"),
        ("==3.13.*", "3.13.0"),
    ],
)
def test_platform_alone_takes_lowest_required_python(requires_python: str, full: str) -> None:
    """A platform given alone is completed from the project, not from the interpreter
    running lockstrip: the same key on every runner."""
    parsed = parse_target(None, "windows", requires_python)
    assert parsed == Target(full.rpartition(".")[0], full, "windows")


def test_platform_alone_ignores_the_running_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(target_module, "_running_full_version", lambda: "3.13.1")
    monkeypatch.setattr(sys, "version_info", (3, 13, 1, "final", 0))
    assert parse_target(None, "linux", ">=3.10") == Target("3.10", "3.10.0", "linux")
    assert parse_target(None, "linux", ">=3.12") == Target("3.12", "3.12.0", "linux")


@pytest.mark.parametrize("requires_python", [None, "not a specifier", "<3", ">=4"])
def test_platform_alone_without_a_python_to_take(requires_python: str | None) -> None:
    with pytest.raises(InputError) as error:
        parse_target(None, "linux", requires_python, "proj/uv.lock")
    message = str(error.value)
    assert message.startswith("--python-platform: given without --python-version, and proj/")
    assert "give --python-version X.Y" in message


def test_version_alone_is_refused() -> None:
    """No project file names a platform, and the machine's is not the project's."""
    with pytest.raises(InputError) as error:
        parse_target("3.12", None, ">=3.10")
    assert str(error.value).startswith("--python-version: needs --python-platform too")


@pytest.mark.parametrize(
    ("sysconfig_platform", "glibc", "cpu", "expected"),
    [
        ("linux-x86_64", (2, 36), "x86_64", "x86_64-manylinux_2_36"),
        ("linux-x86_64", (2, 29), "x86_64", "x86_64-manylinux_2_28"),  # no 2_29 name
        ("linux-x86_64", (2, 45), "x86_64", "x86_64-manylinux_2_40"),
        ("linux-aarch64", (2, 17), "aarch64", "aarch64-manylinux_2_17"),
        ("linux-x86_64", None, "x86_64", "x86_64-unknown-linux-musl"),
        ("linux-aarch64", None, "aarch64", "aarch64-unknown-linux-musl"),
        ("linux-riscv64", (2, 39), "riscv64", "riscv64-unknown-linux"),
        ("win-amd64", None, "AMD64", "x86_64-pc-windows-msvc"),
        ("win-arm64", None, "ARM64", "aarch64-pc-windows-msvc"),
        ("win32", None, "AMD64", "i686-pc-windows-msvc"),  # 32-bit Python on 64-bit Windows
        ("macosx-11.0-arm64", None, "arm64", "aarch64-apple-darwin"),
        ("macosx-10.9-universal2", None, "x86_64", "x86_64-apple-darwin"),
    ],
)
def test_running_platform(
    monkeypatch: pytest.MonkeyPatch,
    sysconfig_platform: str,
    glibc: tuple[int, int] | None,
    cpu: str,
    expected: str,
) -> None:
    monkeypatch.setattr(sysconfig, "get_platform", lambda: sysconfig_platform)
    monkeypatch.setattr(target_module, "_running_glibc", lambda: glibc)
    monkeypatch.setattr(target_module, "machine", lambda: cpu)
    assert target_module.running_target().platform == expected


@pytest.mark.parametrize(
    ("sysconfig_platform", "glibc"),
    [
        ("linux-x86_64", (2, 12)),  # older than any manylinux name uv has
        ("linux-i686", (2, 36)),
        ("linux-riscv64", (2, 35)),
        ("freebsd-14.0-RELEASE-amd64", None),
    ],
)
def test_running_platform_without_uv_name(
    monkeypatch: pytest.MonkeyPatch, sysconfig_platform: str, glibc: tuple[int, int] | None
) -> None:
    monkeypatch.setattr(sysconfig, "get_platform", lambda: sysconfig_platform)
    monkeypatch.setattr(target_module, "_running_glibc", lambda: glibc)
    with pytest.raises(InputError) as error:
        target_module.running_target()
    assert str(error.value).startswith("--python-platform: ")
    assert "x86_64-unknown-linux-gnu" in str(error.value)


@pytest.mark.parametrize(
    "name", ["linux-x86_64", "Linux", "macosx", "x86_64-manylinux_2_29", "arm64-apple-ios", ""]
)
def test_unknown_platform_lists_valid_names(name: str) -> None:
    with pytest.raises(InputError) as error:
        parse_target("3.12", name)
    message = str(error.value)
    assert message.startswith(f"--python-platform: unknown platform {name!r}; valid: ")
    assert error.value.field is None
    listed = message.split("; valid: ")[1].split(", ")
    assert listed == list(PLATFORMS)


@pytest.mark.parametrize(
    "version", ["3", "three", "2.7", "4.0", "3.12.4.1", "", "3.x", "3.12rc1", "py3.12"]
)
def test_bad_python_version(version: str) -> None:
    with pytest.raises(InputError) as error:
        parse_target(version, "linux")
    assert str(error.value).startswith("--python-version: ")
    assert repr(version) in str(error.value)


# --- tags -------------------------------------------------------------------------------------


def strings(tags: list[Tag]) -> list[str]:
    return [str(tag) for tag in tags]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_tag_order_properties(platform: str) -> None:
    tags = strings(target(platform, "3.12").tags())
    assert len(tags) == len(set(tags))
    first_platform = tags[0].split("-")[2]
    assert tags[0] == f"cp312-cp312-{first_platform}"
    assert tags[-1] == "py30-none-any"
    # The exact ABI, then the stable ABI, then none; older stable ABIs after; pure last.
    order = [
        f"cp312-cp312-{first_platform}",
        f"cp312-abi3-{first_platform}",
        f"cp312-none-{first_platform}",
        f"cp311-abi3-{first_platform}",
        f"cp32-abi3-{first_platform}",
        f"py312-none-{first_platform}",
        f"py3-none-{first_platform}",
        "cp312-none-any",
        "py312-none-any",
        "py3-none-any",
    ]
    assert [tags.index(tag) for tag in order] == sorted(tags.index(tag) for tag in order)
    assert not any(tag.startswith(("cp313", "py313", "pp")) for tag in tags)


def platforms_of(platform: str) -> list[str]:
    """The platform tags of a target, in order (from its `cp312-cp312-*` tags)."""
    return [t.split("-")[2] for t in strings(target(platform, "3.12").tags()) if "-cp312-" in t]


@pytest.mark.parametrize(
    ("platform", "expected_start", "expected_end"),
    [
        (
            "x86_64-manylinux_2_28",
            ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64"],
            [
                "manylinux_2_17_x86_64",
                "manylinux2014_x86_64",
                *(f"manylinux_2_{m}_x86_64" for m in range(16, 12, -1)),
                "manylinux_2_12_x86_64",
                "manylinux2010_x86_64",
                *(f"manylinux_2_{m}_x86_64" for m in range(11, 5, -1)),
                "manylinux_2_5_x86_64",
                "manylinux1_x86_64",
                "linux_x86_64",
            ],
        ),
        (
            "aarch64-manylinux_2_17",
            ["manylinux_2_17_aarch64", "manylinux2014_aarch64"],
            ["manylinux2014_aarch64", "linux_aarch64"],
        ),
        (
            "x86_64-unknown-linux-musl",
            ["musllinux_1_2_x86_64"],
            ["musllinux_1_1_x86_64", "musllinux_1_0_x86_64", "linux_x86_64"],
        ),
        ("windows", ["win_amd64"], ["win_amd64"]),
        ("i686-pc-windows-msvc", ["win32"], ["win32"]),
        ("aarch64-pc-windows-msvc", ["win_arm64"], ["win_arm64"]),
        (
            "macos",
            ["macosx_13_0_arm64", "macosx_13_0_universal2", "macosx_12_0_arm64"],
            ["macosx_10_5_universal2", "macosx_10_4_universal2"],
        ),
        (
            "x86_64-apple-darwin",
            ["macosx_13_0_x86_64", "macosx_13_0_intel"],
            ["macosx_10_4_universal2", "macosx_10_4_universal"],
        ),
    ],
)
def test_platform_tags(platform: str, expected_start: list[str], expected_end: list[str]) -> None:
    tags = platforms_of(platform)
    assert tags[: len(expected_start)] == expected_start
    assert tags[-len(expected_end) :] == expected_end


def test_gnu_aliases_and_glibc_ceiling() -> None:
    assert platforms_of("linux") == platforms_of("x86_64-unknown-linux-gnu")
    assert platforms_of("linux") == platforms_of("x86_64-manylinux_2_28")
    assert platforms_of("x86_64-manylinux2014") == platforms_of("x86_64-manylinux_2_17")
    assert platforms_of("aarch64-unknown-linux-gnu") == platforms_of("aarch64-manylinux_2_28")
    assert platforms_of("macos") == platforms_of("aarch64-apple-darwin")
    assert platforms_of("windows") == platforms_of("x86_64-pc-windows-msvc")
    assert "manylinux_2_29_x86_64" not in platforms_of("linux")
    assert "manylinux_2_40_x86_64" in platforms_of("x86_64-manylinux_2_40")
    assert not any("x86_64" in tag for tag in platforms_of("macos"))
    assert "macosx_14_0_arm64" not in platforms_of("macos")


def test_tags_are_a_fresh_list() -> None:
    tags = target("linux").tags()
    tags.clear()
    assert target("linux").tags()


# Wheel platform tags and interpreter/ABI pairs for the uv tag oracle: each target accepts
# some of them, and uv says which and in what order.
ORACLE_PLATFORMS = [
    *(f"manylinux_2_{minor}_x86_64" for minor in (5, 12, 17, 27, 28, 29, 34, 40, 41)),
    *(f"{legacy}_x86_64" for legacy in ("manylinux1", "manylinux2010", "manylinux2014")),
    *(f"musllinux_1_{minor}_x86_64" for minor in range(4)),
    *(f"manylinux_2_{minor}_aarch64" for minor in (5, 16, 17, 28, 31, 40)),
    *("manylinux2014_aarch64", "musllinux_1_1_aarch64", "musllinux_1_2_aarch64"),
    *(f"manylinux_2_{minor}_riscv64" for minor in (17, 31, 39, 40)),
    *("manylinux_2_17_i686", "linux_x86_64", "linux_aarch64", "linux_riscv64"),
    *("win32", "win_amd64", "win_arm64"),
    *(
        f"macosx_{v}_{arch}"
        for v in ("10_9", "11_0", "12_0", "13_0", "14_0")
        for arch in ("x86_64", "arm64")
    ),
    *("macosx_10_9_universal2", "macosx_10_9_intel", "macosx_10_4_universal2"),
    *("macosx_11_0_universal2", "macosx_13_1_arm64", "macosx_10_16_arm64", "any"),
]
ORACLE_ABIS = [
    *("cp311-cp311", "cp310-cp310", "cp312-cp312", "pp310-pypy310_pp73"),
    *("cp311-abi3", "cp38-abi3", "cp32-abi3", "cp312-abi3", "cp311-none", "cp310-none"),
    *("py311-none", "py3-none", "py310-none", "py30-none", "py312-none", "py2-none"),
]


def write_wheel(folder: Path, name: str, version: str, tag: str) -> None:
    with zipfile.ZipFile(folder / f"{name}-{version}-{tag}.whl", "w") as wheel:
        info = f"{name}-{version}.dist-info"
        wheel.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
        wheel.writestr(f"{info}/RECORD", "")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_tags_agree_with_uv(platform: str, tmp_path: Path, uv_cache: Path) -> None:
    """uv accepts exactly the candidate wheels `tags()` has, and prefers them in its order.

    Package `cN` has a 2.0 wheel with candidate N and a pure 1.0 wheel: uv picks 2.0 iff it
    accepts the candidate. Package `oN` has two wheels, our N-th and N+1-th accepted
    candidates: uv picks the first iff it ranks them as we do.
    """
    tags = target(platform).tags()
    rank = {tag: index for index, tag in reversed(list(enumerate(tags)))}
    best = str(tags[0]).split("-")[2]
    candidates = list(
        dict.fromkeys(
            [f"py3-none-{p}" for p in ORACLE_PLATFORMS]
            + [f"{pair}-{best}" for pair in ORACLE_ABIS]
            + [f"{pair}-any" for pair in ORACLE_ABIS if pair.endswith("-none")]
        )
    )
    requirements = []
    for index, candidate in enumerate(candidates):
        write_wheel(tmp_path, f"c{index}", "2.0", candidate)
        write_wheel(tmp_path, f"c{index}", "1.0", "py3-none-any")
        requirements.append(f"c{index}")
    ours = [c for c in candidates if any(tag in rank for tag in parse_tag(c))]
    ours.sort(key=lambda c: min(rank[tag] for tag in parse_tag(c) if tag in rank))
    for index, (better, worse) in enumerate(pairwise(ours)):
        write_wheel(tmp_path, f"o{index}", "1.0", better)
        write_wheel(tmp_path, f"o{index}", "1.0", worse)
        requirements.append(f"o{index}")
    (tmp_path / "requirements.in").write_text("\n".join(requirements) + "\n")

    args = ["pip", "compile", "-v", "--no-index", "--find-links", str(tmp_path)]
    args += ["--python", sys.executable, "--python-platform", platform, "--python-version"]
    result = run_uv([*args, "3.11", "requirements.in"], tmp_path, uv_cache)
    assert result.returncode == 0, result.stderr[-2000:]
    chosen = dict(re.findall(r"Selecting: (\w+)==\S+ \[\w+\] \((\S+)\.whl\)", result.stderr))
    assert len(chosen) == len(requirements)

    accepted = [c for i, c in enumerate(candidates) if chosen[f"c{i}"].startswith(f"c{i}-2.0-")]
    assert sorted(accepted) == sorted(ours)
    assert ours, "the oracle must test some accepted wheels"
    for index, better in enumerate(ours[:-1]):
        assert chosen[f"o{index}"].endswith(f"-{better}"), (better, chosen[f"o{index}"])


# --- best_artifact on real lock packages ------------------------------------------------------

PREFECT = "PrefectHQ__prefect__at-95810d4"
AUTOGEN = "microsoft__autogen__python"
DOCKER = "astral-sh__uv-docker-example"


@cache
def packages(project: str) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = load(FIXTURES / project / "uv.lock")["package"]
    return found


def package(project: str, name: str, version: str | None) -> Mapping[str, Any]:
    (found,) = (p for p in packages(project) if p["name"] == name and p.get("version") == version)
    return found


def file_name(artifact: Mapping[str, Any] | None) -> str | None:
    if artifact is None:
        return None
    return str(artifact["url"]).rpartition("/")[2]


CRYPTO = "cryptography-44.0.1-cp39-abi3-"
BEST = [
    # Several manylinux levels: each glibc target takes the newest it has.
    (PREFECT, "cryptography", "44.0.1", "x86_64-manylinux_2_17", "3.11",
     f"{CRYPTO}manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
    (PREFECT, "cryptography", "44.0.1", "x86_64-manylinux_2_28", "3.11",
     f"{CRYPTO}manylinux_2_28_x86_64.whl"),
    (PREFECT, "cryptography", "44.0.1", "linux", "3.11", f"{CRYPTO}manylinux_2_28_x86_64.whl"),
    (PREFECT, "cryptography", "44.0.1", "x86_64-manylinux_2_40", "3.11",
     f"{CRYPTO}manylinux_2_34_x86_64.whl"),
    (PREFECT, "cryptography", "44.0.1", "aarch64-unknown-linux-gnu", "3.11",
     f"{CRYPTO}manylinux_2_28_aarch64.whl"),
    (PREFECT, "cryptography", "44.0.1", "x86_64-unknown-linux-musl", "3.11",
     f"{CRYPTO}musllinux_1_2_x86_64.whl"),
    (PREFECT, "cryptography", "44.0.1", "macos", "3.11", f"{CRYPTO}macosx_10_9_universal2.whl"),
    (PREFECT, "cryptography", "44.0.1", "windows", "3.11", f"{CRYPTO}win_amd64.whl"),
    (PREFECT, "cryptography", "44.0.1", "i686-pc-windows-msvc", "3.11", f"{CRYPTO}win32.whl"),
    # No Windows-on-ARM wheel: the sdist, to be built.
    (PREFECT, "cryptography", "44.0.1", "aarch64-pc-windows-msvc", "3.11",
     "cryptography-44.0.1.tar.gz"),
    # macOS 14 wheels do not fit the macOS 13 targets.
    (PREFECT, "numpy", "2.2.3", "macos", "3.11", "numpy-2.2.3-cp311-cp311-macosx_11_0_arm64.whl"),
    (PREFECT, "numpy", "2.2.3", "x86_64-apple-darwin", "3.11",
     "numpy-2.2.3-cp311-cp311-macosx_10_9_x86_64.whl"),
    (PREFECT, "numpy", "2.2.3", "linux", "3.12",
     "numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
    (PREFECT, "numpy", "2.2.3", "x86_64-unknown-linux-musl", "3.10",
     "numpy-2.2.3-cp310-cp310-musllinux_1_2_x86_64.whl"),
    (PREFECT, "numpy", "2.2.3", "linux", "3.14", "numpy-2.2.3.tar.gz"),  # no cp314 wheels
    (PREFECT, "orjson", "3.10.15", "macos", "3.11",
     "orjson-3.10.15-cp311-cp311-"
     "macosx_10_15_x86_64.macosx_11_0_arm64.macosx_10_15_universal2.whl"),
    # Legacy manylinux1 / manylinux2014 names, and a `none` ABI.
    (AUTOGEN, "torch", "2.5.1", "linux", "3.11", "torch-2.5.1-cp311-cp311-manylinux1_x86_64.whl"),
    (AUTOGEN, "torch", "2.5.1", "aarch64-unknown-linux-gnu", "3.11",
     "torch-2.5.1-cp311-cp311-manylinux2014_aarch64.whl"),
    (AUTOGEN, "torch", "2.5.1", "macos", "3.11", "torch-2.5.1-cp311-none-macosx_11_0_arm64.whl"),
    (AUTOGEN, "torch", "2.5.1", "x86_64-apple-darwin", "3.11", None),  # no wheel, no sdist
    (DOCKER, "pyyaml", "6.0.3", "x86_64-manylinux_2_17", "3.11",
     "pyyaml-6.0.3-cp311-cp311-"
     "manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl"),
    (DOCKER, "annotated-types", "0.7.0", "windows", "3.13",
     "annotated_types-0.7.0-py3-none-any.whl"),
    (DOCKER, "annotated-types", "0.7.0", "aarch64-manylinux_2_40", "3.9",
     "annotated_types-0.7.0-py3-none-any.whl"),
    (PREFECT, "daff", "1.3.46", "linux", "3.11", "daff-1.3.46.tar.gz"),  # sdist only
    (PREFECT, "prefect-aws", None, "linux", "3.11", None),  # a directory source
    ("pydantic__pydantic", "pydantic-docs", "0.0.1", "linux", "3.11", None),  # a git source
]  # fmt: skip


@pytest.mark.parametrize(("project", "name", "version", "platform", "python", "expected"), BEST)
def test_best_artifact(
    project: str, name: str, version: str | None, platform: str, python: str, expected: str | None
) -> None:
    chosen = best_artifact(package(project, name, version), target(platform, python))
    assert file_name(chosen) == expected


def test_best_artifact_reads_every_way_of_naming_a_wheel() -> None:
    linux = target("linux")
    url = "https://download.pytorch.org/whl/cpu/torch-2.5.1%2Bcpu-cp311-cp311-linux_x86_64.whl"
    encoded: dict[str, Any] = {"name": "torch", "wheels": [{"url": url, "hash": "sha256:0"}]}
    assert best_artifact(encoded, linux) == encoded["wheels"][0]
    by_path: dict[str, Any] = {"wheels": [{"path": "wheels/demo-1.0-py3-none-win_amd64.whl"}]}
    assert best_artifact(by_path, target("windows")) == by_path["wheels"][0]
    assert best_artifact(by_path, linux) is None
    by_filename: dict[str, Any] = {
        "wheels": [{"filename": "demo-1.0-cp311-abi3-manylinux_2_17_x86_64.whl"}]
    }
    assert best_artifact(by_filename, linux) == by_filename["wheels"][0]
    # A direct-URL wheel: the URL is the source's, the wheel entry only has a hash.
    direct: dict[str, Any] = {
        "source": {"url": "https://example.com/flash_attn-2.8.1+cu12-cp311-cp311-linux_x86_64.whl"},
        "wheels": [{"hash": "sha256:0"}],
    }
    assert best_artifact(direct, linux) == direct["wheels"][0]
    # Names that are not a wheel's are no candidates; the sdist is the fallback.
    broken: dict[str, Any] = {
        "sdist": {"url": "https://example.com/demo-1.0.tar.gz"},
        "wheels": [{"url": "https://example.com/demo.whl"}, {"url": "https://example.com/"}, {}],
    }
    assert best_artifact(broken, linux) == broken["sdist"]
    assert best_artifact({"wheels": []}, linux) is None


def test_best_artifact_ties_keep_lock_order() -> None:
    first = {"url": "https://a.example/demo-1.0-py3-none-any.whl"}
    second = {"url": "https://b.example/demo-1.0-py3-none-any.whl"}
    assert best_artifact({"wheels": [first, second]}, target("linux")) is first


# --- the marker environment against `uv sync --python-platform` -------------------------------

SYNC_PROJECTS = [
    DOCKER,
    "pydantic__pydantic",  # a git package, forks on python_full_version
    PREFECT,  # 126 edges with markers, directory packages
    "modelcontextprotocol__python-sdk",  # a workspace
    "crewAIInc__crewAI",  # a workspace with a virtual root's dependency groups
    AUTOGEN,
]
SYNC_PLATFORMS = [
    "linux",
    "x86_64-manylinux_2_28",
    "aarch64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl",
    "macos",
    "x86_64-apple-darwin",
    "windows",
    "i686-pc-windows-msvc",
]


def installs(lock: Mapping[str, Any], env: Mapping[str, str]) -> dict[tuple[str, str | None], Any]:
    """The non-workspace packages an all-extras, all-groups, all-packages sync installs, as
    (name, version) -> package table; the version is None unless from a registry (uv then
    prints `name @ url`, not `name==version`)."""
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for table in lock["package"]:
        by_name.setdefault(table["name"], []).append(table)

    def holds(edge: Mapping[str, Any]) -> bool:
        marker = edge.get("marker")
        assert marker is None or "extra" not in marker, "a lock with conflicts"
        return marker is None or Marker(marker).evaluate(dict(env))

    def resolve(edge: Mapping[str, Any]) -> Mapping[str, Any]:
        (found,) = [
            p
            for p in by_name[edge["name"]]
            if edge.get("version", p.get("version")) == p.get("version")
            and edge.get("source", p["source"]) == p["source"]
        ]
        return found

    members = set(lock.get("manifest", {}).get("members", ()))
    roots = [
        p
        for p in lock["package"]
        if p["name"] in members
        or p["source"].get("editable") == "."
        or p["source"].get("virtual") == "."
    ]
    edges: list[Mapping[str, Any]] = []
    for root in roots:
        edges += root.get("dependencies", ())
        for group in ("optional-dependencies", "dev-dependencies"):
            for deps in root.get(group, {}).values():
                edges += deps
    # A virtual workspace root has no package: its groups are requirements in the manifest.
    for requirements in lock.get("manifest", {}).get("dependency-groups", {}).values():
        for requirement in requirements:
            specifier = SpecifierSet(requirement.get("specifier", ""))
            (pinned,) = [
                p
                for p in by_name[requirement["name"]]
                if specifier.contains(p["version"], prereleases=True)
            ]
            pin = {key: pinned[key] for key in ("name", "version", "source")}
            edges.append({**pin, **requirement, "extra": requirement.get("extras", [])})

    seen: set[tuple[int, str | None]] = set()
    installed: dict[tuple[str, str | None], Any] = {}
    stack = [edge for edge in edges if holds(edge)]
    while stack:
        edge = stack.pop()
        table = resolve(edge)
        for extra in [None, *edge.get("extra", ())]:
            if (id(table), extra) in seen:
                continue
            seen.add((id(table), extra))
            if table["name"] not in members and table not in roots:
                version = table.get("version") if "registry" in table["source"] else None
                installed[canonicalize_name(table["name"]), version] = table
            deps = (
                table.get("dependencies", ())
                if extra is None
                else table.get("optional-dependencies", {}).get(extra, ())
            )
            stack += [dep for dep in deps if holds(dep)]
    return installed


def iter_plan(text: str) -> Iterator[tuple[str, str | None]]:
    for match in re.finditer(r"^ \+ (\S+?)(?:==(\S+)| @ )", text, re.M):
        yield canonicalize_name(match.group(1)), match.group(2)


@pytest.fixture(scope="module")
def sync_copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sync")
    for project in SYNC_PROJECTS:
        copy_project(FIXTURES / project, root / project)
    return root


@pytest.mark.parametrize("platform", SYNC_PLATFORMS)
@pytest.mark.parametrize("project", SYNC_PROJECTS)
def test_environment_selects_what_uv_installs(
    project: str, platform: str, sync_copies: Path, uv_cache: Path
) -> None:
    folder = sync_copies / project
    lock = load(folder / "uv.lock")
    assert not lock.get("conflicts")
    selection = ["--all-groups", "--all-extras", "--no-install-workspace"]
    if lock.get("manifest", {}).get("members"):
        selection.append("--all-packages")
    args = ["sync", "--frozen", "--offline", "--dry-run", *selection, "--python", sys.executable]
    result = run_uv([*args, "--python-platform", platform], folder, uv_cache)

    chosen = parse_target(python_version(), platform)  # the interpreter uv is given
    assert chosen is not None
    ours = installs(lock, chosen.environment())
    missing = sorted(
        name
        for (name, _), table in ours.items()
        if "registry" in table["source"] and best_artifact(table, chosen) is None
    )
    if result.returncode != 0:
        # uv refuses a platform on the first package with no wheel for it and no sdist.
        refused = re.search(r"Distribution `(\S+)==\S+ @ registry", result.stderr)
        assert refused is not None, result.stderr
        assert canonicalize_name(refused.group(1)) in missing
        return
    assert not missing
    planned = set(iter_plan(result.stdout + result.stderr))
    assert planned == set(ours)
