"""The three-valued PEP 508 evaluator of lockstrip.environment.markers.

* unit tests: precedence, parentheses, reversed operands, version and string comparisons,
  `in`, extras and uv's conflict items as set membership, unknown (None) results when the
  environment is left open, and MarkerError on what it cannot read;
* every marker in fixtures/corpus/*/uv.lock parses, and in concrete environments agrees with
  `packaging.markers.Marker.evaluate` (conflict markers too, with at most one item active,
  where packaging's string `extra` and lockstrip's set mean the same);
* `Points` masks agree with `evaluate` at each of their environments.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import pytest
from helpers import FIXTURES, load
from packaging.markers import Marker

from lockstrip.environment.markers import MarkerError, Points, comparisons, conflict_item, evaluate
from lockstrip.environment.target import parse_target

LINUX_311: dict[str, str] = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.4",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Linux",
    "platform_version": "",
    "python_full_version": "3.11.4",
    "python_version": "3.11",
    "sys_platform": "linux",
}
WINDOWS_39 = {
    **LINUX_311,
    "implementation_version": "3.9.0",
    "os_name": "nt",
    "platform_machine": "AMD64",
    "platform_system": "Windows",
    "python_full_version": "3.9.0",
    "python_version": "3.9",
    "sys_platform": "win32",
}


# --- logic --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marker", "linux", "windows"),
    [
        ("sys_platform == 'linux'", True, False),
        ("sys_platform == 'linux' and python_version >= '3.10'", True, False),
        ("sys_platform == 'win32' or python_version >= '3.10'", True, True),
        # `and` binds tighter than `or`: a or (b and c)
        ("os_name == 'nt' or sys_platform == 'linux' and python_version < '3.10'", False, True),
        ("(os_name == 'nt' or sys_platform == 'linux') and python_version < '3.10'", False, True),
        ("((os_name == 'nt'))", False, True),
        ("os_name == 'nt' and (platform_machine == 'AMD64' or os_name == 'x')", False, True),
        ("python_version < '3.10' or (os_name == 'posix' and sys_platform != 'x')", True, True),
        ("os_name=='posix'and sys_platform!='darwin'", True, False),  # no spaces
        ('sys_platform == "linux"', True, False),  # double quotes
    ],
)  # fmt: skip
def test_and_or_parentheses(marker: str, linux: bool, windows: bool) -> None:
    assert evaluate(marker, LINUX_311) is linux
    assert evaluate(marker, WINDOWS_39) is windows
    assert Marker(marker).evaluate(LINUX_311) is linux  # the expectations are PEP 508's


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("'3.10' < python_version", True),  # reversed: python_version > '3.10'
        ("'3.11' <= python_version", True),
        ("'3.12' <= python_version", False),
        ("'3.11.4' == python_full_version", True),
        ("'3.11.5' > python_full_version", True),
        ("'linux' == sys_platform", True),
        ("'win32' != sys_platform", True),
    ],
)
def test_reversed_operands(marker: str, expected: bool) -> None:
    assert evaluate(marker, LINUX_311) is expected
    assert Marker(marker).evaluate(LINUX_311) is expected


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        # As versions: '3.11' > '3.9', which string comparison gets wrong.
        ("python_version > '3.9'", True),
        ("python_version >= '3.10'", True),
        ("python_full_version < '3.11.10'", True),
        ("python_full_version >= '3.11.10'", False),
        ("python_full_version == '3.11.*'", True),
        ("python_full_version != '3.11.*'", False),
        ("python_full_version == '3.1.*'", False),
        ("python_version ~= '3.9'", True),
        ("python_version ~= '3.12'", False),
        ("python_version == '3.11'", True),
        ("python_version === '3.11'", True),  # arbitrary equality: the string itself
        ("python_full_version === '3.11'", False),
        ("implementation_version >= '3.11.4'", True),
        # Other variables compare as strings: 'x86_64' < 'x9' as strings
        ("platform_machine < 'x9'", True),
        ("platform_machine > 'aarch64'", True),
        ("platform_machine >= 'x86_64'", True),
        # A value that is no version falls back to comparing strings
        ("python_version == 'three'", False),
        ("python_version != 'three'", True),
    ],
)
def test_version_and_string_comparisons(marker: str, expected: bool) -> None:
    assert evaluate(marker, LINUX_311) is expected


@pytest.mark.parametrize(
    ("marker", "linux", "windows"),
    [
        ("'linux' in sys_platform", True, False),
        ("'lin' in sys_platform", True, False),  # a substring test, as in PEP 508
        ("'linux' not in sys_platform", False, True),
        ("sys_platform in 'linux darwin'", True, False),
        ("sys_platform not in 'linux darwin'", False, True),
        ("platform_machine in 'x86_64 AMD64'", True, True),
        ("platform_machine not in 'x86_64 AMD64' or os_name == 'nt'", False, True),
    ],
)
def test_in_and_not_in(marker: str, linux: bool, windows: bool) -> None:
    assert evaluate(marker, LINUX_311) is linux
    assert evaluate(marker, WINDOWS_39) is windows
    assert Marker(marker).evaluate(WINDOWS_39) is windows


def test_conflict_items_are_uvs_encoding() -> None:
    assert conflict_item("extra", "nemo-rl", "vllm") == "extra-7-nemo-rl-vllm"
    assert conflict_item("group", "mteb", "dev") == "group-4-mteb-dev"


VLLM = "extra-7-nemo-rl-vllm"
DEV = "group-11-pydantic-ai-dev"


@pytest.mark.parametrize(
    ("marker", "active", "expected"),
    [
        (f"extra == '{VLLM}'", set(), False),
        (f"extra == '{VLLM}'", {VLLM}, True),
        (f"extra != '{VLLM}'", {VLLM}, False),
        (f"extra != '{VLLM}'", set(), True),
        # Several items active at once: a set, not one string
        (f"extra == '{VLLM}' and extra == '{DEV}'", {VLLM, DEV}, True),
        (f"extra == '{VLLM}' and extra != '{DEV}'", {VLLM, DEV}, False),
        (f"extra == '{VLLM}' and extra != '{DEV}'", {VLLM}, True),
        (f"'{VLLM}' == extra", {VLLM}, True),  # reversed
        (f"extra == '{VLLM}' or sys_platform == 'win32'", set(), False),
        (f"(extra == '{VLLM}' or extra == '{DEV}') and sys_platform == 'linux'", {DEV}, True),
    ],
)
def test_extras_are_set_membership(marker: str, active: set[str], expected: bool) -> None:
    assert evaluate(marker, LINUX_311, frozenset(active)) is expected


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("sys_platform == 'linux'", None),
        ("python_full_version >= '3.12'", None),
        ("'linux' in sys_platform", None),
        # Kleene logic: one False decides an `and`, one True an `or`, else unknown.
        (f"sys_platform == 'linux' and extra == '{VLLM}'", False),
        (f"sys_platform == 'linux' or extra == '{DEV}'", True),
        (f"sys_platform == 'linux' and extra == '{DEV}'", None),
        (f"sys_platform == 'linux' or extra == '{VLLM}'", None),
        (f"(sys_platform == 'linux' or extra == '{DEV}') and os_name == 'nt'", None),
        (f"(sys_platform == 'linux' and extra == '{VLLM}') or extra == '{DEV}'", True),
        (f"extra != '{DEV}'", False),
        (f"extra == '{DEV}'", True),
        (None, True),
        ("", True),
    ],
)
def test_unknown_without_environment(marker: str | None, expected: bool | None) -> None:
    assert evaluate(marker, None, frozenset({DEV})) is expected


def test_missing_variable_is_unknown() -> None:
    partial = {"python_version": "3.11", "python_full_version": "3.11.0"}
    assert evaluate("sys_platform == 'linux'", partial) is None
    assert evaluate("sys_platform == 'linux' and python_version < '3.10'", partial) is False
    assert evaluate("sys_platform == 'linux' or python_version >= '3.10'", partial) is True
    assert evaluate("python_version >= '3.10'", {}) is None


@pytest.mark.parametrize(
    "marker",
    [
        "python_version <",
        "python_version",
        "(python_version < '3.8'",
        "python_version < '3.8')",
        "python_version < '3.8' and",
        "or python_version < '3.8'",
        "python_version ~ '3.8'",
        "python_version @ '3.8'",
        "python_version < '3.8",  # unterminated string
        "python_version < 3.8",  # a bare version is a name, not a string: 3.8 is neither
        "python_version < '3.8' sys_platform == 'linux'",
        "python_version and '3.8'",
        "()",
        "'a' == 'b'",  # two literals
        "python_version == sys_platform",  # two variables
        "extra > 'x'",  # extras compare with == and != only
        # refused whatever decides the rest: reading does not depend on the environment
        "sys_platform == 'nope' and extra > 'x'",
        "sys_platform == 'linux' or 'a' == 'b'",
    ],
)
def test_parse_errors(marker: str) -> None:
    for env in (LINUX_311, WINDOWS_39, None):
        with pytest.raises(MarkerError):
            evaluate(marker, env)
    with pytest.raises(MarkerError):
        Points([LINUX_311]).mask(marker)
    assert issubclass(MarkerError, ValueError)


def test_comparisons() -> None:
    marker = (
        "(python_version < '3.9' or '3.12' <= python_full_version) and 'linux' in sys_platform"
        " and extra == 'x' and os.name == 'nt'"
    )
    assert sorted(comparisons(marker)) == [
        ("extra", "==", "x"),
        ("os_name", "==", "nt"),  # the legacy dotted name, read as PEP 508's
        ("python_full_version", ">=", "3.12"),
        ("python_version", "<", "3.9"),
        ("sys_platform", "in", "linux"),
    ]


def test_points_masks() -> None:
    points = Points([LINUX_311, WINDOWS_39, {"python_version": "3.11"}])
    assert points.full == 0b111
    assert points.mask("sys_platform == 'linux'") == 0b101  # the third: unknown, can hold
    assert points.mask("python_version >= '3.10'") == 0b101
    assert points.mask("os_name == 'nt' and python_version >= '3.10'") == 0b100
    assert points.mask("os_name == 'nt' or python_version >= '3.10'") == 0b111
    assert points.mask(None) == points.mask("") == 0b111
    assert points.mask(f"extra == '{VLLM}' and os_name == 'nt'", frozenset({VLLM})) == 0b110
    assert points.mask(f"extra == '{VLLM}' and os_name == 'nt'") == 0


# --- every marker in the corpus ---------------------------------------------------------


def _collect(value: Any, into: set[str]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "marker" and isinstance(item, str):
                into.add(item)
            elif key in ("resolution-markers", "supported-markers", "required-markers"):
                into.update(item)
            else:
                _collect(item, into)
    elif isinstance(value, list):
        for item in value:
            _collect(item, into)


@cache
def corpus_markers() -> tuple[str, ...]:
    found: set[str] = set()
    for path in sorted(FIXTURES.glob("**/uv.lock")):
        _collect(load(path), found)
    return tuple(sorted(found))


def environments() -> Iterator[dict[str, str]]:
    platforms = ["linux", "windows", "macos", "aarch64-unknown-linux-gnu"]
    platforms += ["x86_64-unknown-linux-musl", "x86_64-apple-darwin", "i686-pc-windows-msvc"]
    for version in ("3.8", "3.9", "3.10.2", "3.11.4", "3.12", "3.13.1", "3.14", "3.15"):
        for platform in platforms:
            target = parse_target(version, platform)
            assert target is not None
            yield target.environment()
    # packaging's view of a PyPy on Linux: implementation markers differ
    yield {**LINUX_311, "implementation_name": "pypy", "platform_python_implementation": "PyPy"}


@pytest.mark.slow  # a sweep of every marker in the corpus
def test_corpus_has_markers_of_every_kind() -> None:
    markers = corpus_markers()
    assert len(markers) > 500
    assert sum("extra ==" in marker for marker in markers) > 300  # uv's conflict markers
    kinds = {(variable, op) for marker in markers for variable, op, _ in comparisons(marker)}
    for kind in [("python_full_version", "<"), ("sys_platform", "in"), ("extra", "!=")]:
        assert kind in kinds


def test_every_corpus_marker_parses() -> None:
    for marker in corpus_markers():
        result = evaluate(marker, None)
        assert result in (True, False, None), marker


@pytest.mark.slow  # a sweep of every marker in the corpus
def test_corpus_markers_agree_with_packaging() -> None:
    """In concrete environments, with no conflict item active or one: packaging's `extra`
    is a single string, which means the same as a set of at most one item."""
    checked = 0
    for marker in corpus_markers():
        parsed = Marker(marker)
        items = sorted({value for variable, _, value in comparisons(marker) if variable == "extra"})
        for env in environments():
            for item in [None, *items[:3]]:
                active = frozenset({item} if item else ())
                expected = parsed.evaluate({**env, "extra": item or ""})
                assert evaluate(marker, env, active) is expected, (marker, env, item)
                checked += 1
    assert checked > 20_000


def test_points_agree_with_evaluate_on_corpus() -> None:
    envs = list(environments())
    # partial environments too: unknown variables must count as "can hold"
    envs += [{"python_version": "3.11", "python_full_version": "3.11.0"}, {"sys_platform": "win32"}]
    points = Points(envs)
    for marker in corpus_markers():
        for item in [None, *sorted(v for k, _, v in comparisons(marker) if k == "extra")[:2]]:
            active = frozenset({item} if item else ())
            mask = points.mask(marker, active)
            for bit, env in enumerate(envs):
                can_hold = evaluate(marker, env, active) is not False
                assert bool(mask >> bit & 1) is can_hold, (marker, env, item)
