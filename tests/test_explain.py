"""Explanations: what `lockstrip diff` says, one scenario per kind of change.

Each scenario edits a copy of a real project (fixtures/corpus) as a release, an upgrade or
a re-lock would, runs `lockstrip diff ORIGINAL COPY`, and checks the `kind` of every change
(JSON), the changelog lines (text) and the exit code: 1 when the third-party set differs,
0 when it is the same.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import BUMP_PAIRS, FIXTURES, copy_project, tomllib
from test_caching import (
    Lock,
    add_edge,
    add_extra,
    add_group,
    bump_member_version,
    bump_root_version,
    change_index,
    change_marker,
    change_requires_python,
    change_revision,
    change_wheel_hash,
    drop_upload_time,
    edit_lock,
    remove_edge,
    root_package,
    tighten_specifier,
    upgrade_third_party,
)

from lockstrip.cli import run
from lockstrip.formats.explanation import KINDS

#: An editable root and 41 third-party packages; the scenarios below name its packages.
SMALL = FIXTURES / "astral-sh__uv-docker-example"
#: Two resolution forks (python < 3.13 and >= 3.13).
FORKED = FIXTURES / "astral-sh__uv-fastapi-example"
#: A workspace: the editable root `mcp` and 16 members.
WORKSPACE = FIXTURES / "modelcontextprotocol__python-sdk"
#: A root whose requirements are plain `name>=x` (tighten_specifier applies).
PLAIN = FIXTURES / "000pp__doom"

ESC = "\x1b["


def lockstrip(*args: str | Path) -> tuple[int, str, str]:
    """`lockstrip ARGS` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run([str(arg) for arg in args])
    return code, out.getvalue(), err.getvalue()


def lockstrip_process(*args: str | Path, env: dict[str, str] | None = None) -> Any:
    """`python -m lockstrip ARGS` in a subprocess, as a user or a CI step runs it."""
    return subprocess.run(
        [sys.executable, "-m", "lockstrip", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- edits the caching matrix does not have ------------------------------------------------


def _package(lock: Lock, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in lock["package"] if p["name"] == name)
    return found


def add_package(project: Path) -> None:
    """A new third-party package, and an edge from the root to it."""

    def change(lock: Lock) -> None:
        wheel = {
            "url": "https://files.example.org/lockstrip_probe-1.0.0-py3-none-any.whl",
            "hash": "sha256:" + "1" * 64,
            "size": 1234,
        }
        lock["package"].append(
            {
                "name": "lockstrip-probe",
                "version": "1.0.0",
                "source": {"registry": "https://pypi.org/simple"},
                "wheels": [wheel],
            }
        )
        lock["package"].sort(key=lambda package: package["name"])
        root_package(lock)["dependencies"].append({"name": "lockstrip-probe"})

    edit_lock(project, change)


def remove_package(project: Path) -> None:
    """annotated-types goes, with pydantic's edge to it."""

    def change(lock: Lock) -> None:
        lock["package"] = [p for p in lock["package"] if p["name"] != "annotated-types"]
        for package in lock["package"]:
            if "dependencies" in package:
                deps = package["dependencies"]
                package["dependencies"] = [d for d in deps if d["name"] != "annotated-types"]

    edit_lock(project, change)


def downgrade_websockets(project: Path) -> None:
    edit_lock(project, lambda lock: _package(lock, "websockets").update(version="14.2"))


def add_wheel(project: Path) -> None:
    """websockets 15.0.1 gains a wheel (a late upload for a new platform)."""

    def change(lock: Lock) -> None:
        wheels = _package(lock, "websockets")["wheels"]
        wheel = dict(wheels[-1])
        folder = wheel["url"].rsplit("/", 1)[0]
        wheel["url"] = f"{folder}/websockets-15.0.1-cp314-cp314-lockstrip_probe.whl"
        wheel["hash"] = "sha256:" + "2" * 64
        wheels.append(wheel)

    edit_lock(project, change)


def add_constraint(project: Path) -> None:
    """`[tool.uv] constraint-dependencies = ["websockets<16"]`, as uv records it in the lock."""
    edit_lock(
        project,
        lambda lock: lock.setdefault("manifest", {}).update(
            constraints=[{"name": "websockets", "specifier": "<16"}]
        ),
    )


def change_resolution_markers(project: Path) -> None:
    def change(lock: Lock) -> None:
        markers = lock["resolution-markers"]
        markers[-1] = f"{markers[-1]} and sys_platform == 'linux'"

    edit_lock(project, change)


def add_member_edge(project: Path) -> None:
    """A workspace member starts pulling a third-party package the lock already holds."""

    def change(lock: Lock) -> None:
        _package(lock, "mcp-simple-auth")["dependencies"].append({"name": "zipp"})

    edit_lock(project, change)


# --- one scenario per kind -------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    fixture: Path
    edit: Callable[[Path], None]
    kinds: tuple[str, ...]  # the JSON `kind` of every change, in order
    lines: tuple[str, ...]  # changelog lines the text must hold, exactly
    exit: int  # 1: the third-party set differs; 0: it is the same


SCENARIOS = {
    "added": Scenario(
        SMALL,
        add_package,
        ("added", "dependencies"),
        ("  + lockstrip-probe 1.0.0", "  ~ uv-docker-example: dependencies: + lockstrip-probe"),
        1,
    ),
    "removed": Scenario(
        SMALL,
        remove_package,
        ("removed", "dependencies"),
        ("  - annotated-types 0.7.0", "  ~ pydantic 2.11.10: dependencies: - annotated-types"),
        1,
    ),
    "upgraded": Scenario(
        SMALL, upgrade_third_party, ("upgraded",), ("  ↑ websockets 15.0.1 → 15.0.2",), 1
    ),
    "downgraded": Scenario(
        SMALL, downgrade_websockets, ("downgraded",), ("  ↓ websockets 15.0.1 → 14.2",), 1
    ),
    "upgraded in a workspace": Scenario(
        WORKSPACE, upgrade_third_party, ("upgraded",), ("  ↑ zipp 3.23.0 → 3.23.1",), 1
    ),
    "artifact added": Scenario(
        SMALL,
        add_wheel,
        ("artifacts",),
        (
            "  ~ websockets 15.0.1: artifacts 1 added "
            "(websockets-15.0.1-cp314-cp314-lockstrip_probe.whl)",
        ),
        1,
    ),
    "hash changed": Scenario(
        SMALL,
        change_wheel_hash,
        ("artifacts",),
        (
            "  ~ websockets 15.0.1: artifacts hash changed for "
            "websockets-15.0.1-cp311-cp311-macosx_10_9_universal2.whl",
        ),
        1,
    ),
    "index changed": Scenario(
        SMALL,
        change_index,
        ("source",),
        (
            "  ~ websockets 15.0.1: source registry https://pypi.org/simple → "
            "registry https://mirror.example.org/simple",
        ),
        1,
    ),
    "edge added": Scenario(
        SMALL,
        add_edge,
        ("dependencies",),
        ("  ~ anyio 4.11.0: dependencies: + annotated-types",),
        1,
    ),
    "edge removed": Scenario(
        SMALL,
        remove_edge,
        ("dependencies",),
        ("  ~ anyio 4.11.0: dependencies: - typing-extensions ; python_full_version < '3.13'",),
        1,
    ),
    "edge marker changed": Scenario(
        SMALL,
        change_marker,
        ("edge-markers",),  # one change, not an edge removed and another added
        ("  ~ anyio 4.11.0: idna: now only where os_name == 'nt'",),
        1,
    ),
    "member edge added": Scenario(
        WORKSPACE,
        add_member_edge,
        ("dependencies",),
        ("  ~ mcp-simple-auth: dependencies: + zipp",),
        0,
    ),
    "resolution markers changed": Scenario(
        FORKED,
        change_resolution_markers,
        ("markers",),
        (
            "  ~ resolution-markers: + python_full_version >= '3.13' and sys_platform == 'linux'"
            "; - python_full_version >= '3.13'",
        ),
        1,
    ),
    "requires-python changed": Scenario(
        SMALL,
        change_requires_python,
        ("requires-python", "requires-python"),
        (
            "  ~ requires-python: >=3.11 → >=3.11, !=3.99.*",
            "  ~ pyproject [project] requires-python: >=3.11 → >=3.11, !=3.99.*",
        ),
        1,
    ),
    "group added": Scenario(
        SMALL,
        add_group,
        ("groups",),
        ("  ~ uv-docker-example: group lockstrip-added added (websockets)",),
        0,
    ),
    "extra added": Scenario(
        SMALL,
        add_extra,
        ("extras",),
        ("  ~ uv-docker-example: extra lockstrip-added added (websockets)",),
        0,
    ),
    "constraint added": Scenario(
        SMALL, add_constraint, ("manifest",), ("  ~ manifest constraints: + websockets <16",), 0
    ),
}


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_each_kind_of_change_is_explained(scenario: Scenario, tmp_path: Path) -> None:
    edited = copy_project(scenario.fixture, tmp_path / "edited")
    scenario.edit(edited)

    code, text, err = lockstrip("diff", scenario.fixture, edited)
    json_code, report, _ = lockstrip("diff", "--json", scenario.fixture, edited)

    assert code == json_code == scenario.exit, err
    data = json.loads(report)
    assert tuple(change["kind"] for change in data["changes"]) == scenario.kinds
    lines = text.splitlines()
    for line in scenario.lines:
        assert line in lines, text
    # The text and the JSON say the same: one line per change, with the same detail.
    assert [line[4:] for line in lines[1:] if line.startswith("  ")] == [
        change["detail"] for change in data["changes"]
    ]
    count = len(scenario.kinds)
    noun = "change" if count == 1 else "changes"
    if scenario.exit:
        assert lines[0] == f"third-party dependencies changed ({count} {noun}):"
        assert data["third_party_changed"] is True
    else:
        assert lines[0].startswith("third-party set unchanged, but the digest and the export")
        assert data["third_party_changed"] is False
    assert data["digest_changed"] is True


def test_the_scenarios_use_known_kinds() -> None:
    used = {kind for scenario in SCENARIOS.values() for kind in scenario.kinds}
    assert used <= set(KINDS)
    # Every kind the contract names has a scenario.
    assert {
        "added",
        "removed",
        "upgraded",
        "downgraded",
        "artifacts",
        "source",
        "dependencies",
        "markers",
        "requires-python",
        "groups",
        "extras",
        "manifest",
    } <= used


# --- only volatile fields --------------------------------------------------------------------


def add_zstd(project: Path) -> None:
    """uv 0.9+ adds compressed-copy entries to wheels; the wheels themselves are the same."""

    def change(lock: Lock) -> None:
        for package in lock["package"]:
            for wheel in package.get("wheels", ()):
                wheel["zstd"] = {"hash": "sha256:" + "1" * 64, "size": 10}

    edit_lock(project, change)


VOLATILE = {
    "root version": (SMALL, bump_root_version, "root version 0.1.0 → 0.1.1"),
    "member version": (
        WORKSPACE,
        bump_member_version,
        "mcp-everything-server version 0.1.0 → 0.1.1",
    ),
    "specifier": (
        PLAIN,
        tighten_specifier,
        "dependency specifiers (the resolution is the same); "
        "pyproject.toml fields outside the third-party set",
    ),
    "upload-time": (SMALL, drop_upload_time, "upload-time on 470 → 0 artifacts"),
    "zstd": (SMALL, add_zstd, "zstd on 0 → 429 artifacts"),
}


@pytest.mark.parametrize(("fixture", "edit", "notes"), VOLATILE.values(), ids=VOLATILE.keys())
def test_only_volatile_changes_take_one_line(
    fixture: Path, edit: Callable[[Path], None], notes: str, tmp_path: Path
) -> None:
    edited = copy_project(fixture, tmp_path / "edited")
    edit(edited)

    code, text, err = lockstrip("diff", fixture, edited)

    assert code == 0, err
    assert text == f"only volatile fields changed: {notes}; export and digest unchanged\n"


def test_a_revision_bump_changes_the_export_but_not_the_third_party_set(tmp_path: Path) -> None:
    edited = copy_project(SMALL, tmp_path / "edited")
    change_revision(edited)

    code, text, err = lockstrip("diff", SMALL, edited)

    assert code == 0, err
    assert text == (
        "only volatile fields changed: lock revision 3 → 1; "
        "third-party set and digest unchanged, the export changed\n"
    )


def test_a_version_bump_next_to_an_upgrade_is_a_volatile_note(tmp_path: Path) -> None:
    edited = copy_project(SMALL, tmp_path / "edited")
    bump_root_version(edited)
    upgrade_third_party(edited)

    code, text, _ = lockstrip("diff", SMALL, edited)

    assert code == 1
    assert text.splitlines() == [
        "third-party dependencies changed (1 change):",
        "  ↑ websockets 15.0.1 → 15.0.2",
        "also changed (volatile): root version 0.1.0 → 0.1.1",
    ]


def _version(project: Path) -> str:
    doc = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    return str(doc["project"]["version"])


@pytest.mark.parametrize("pair", BUMP_PAIRS, ids=lambda pair: pair.name)
def test_real_release_commits_are_one_volatile_line(pair: Path) -> None:
    before, after = pair / "before", pair / "after"

    result = lockstrip_process("diff", before, after)

    assert result.returncode == 0, result.stderr
    old, new = _version(before), _version(after)
    assert old != new
    assert result.stdout == (
        f"only volatile fields changed: root version {old} → {new}; export and digest unchanged\n"
    )


# --- colour ------------------------------------------------------------------------------------


def _on_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run `python -m lockstrip ARGS` with stdout on a pseudo-terminal; what it printed."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "lockstrip", *args],
            stdout=follower,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    finally:
        os.close(follower)
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert process.wait(timeout=60) == 1
    return b"".join(chunks).decode("utf-8")


@pytest.fixture
def upgraded(tmp_path: Path) -> Path:
    edited = copy_project(SMALL, tmp_path / "edited")
    upgrade_third_party(edited)
    return edited


def _env(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    return {**env, **changes}


def test_colour_on_a_terminal(upgraded: Path) -> None:
    text = _on_terminal(["diff", str(SMALL), str(upgraded)], _env(TERM="xterm"))
    assert f"{ESC}36m↑{ESC}0m websockets 15.0.1 → 15.0.2" in text


@pytest.mark.parametrize(
    "env", [{"NO_COLOR": "1", "TERM": "xterm"}, {"TERM": "dumb"}], ids=["NO_COLOR", "TERM=dumb"]
)
def test_no_colour_when_asked_not_to(env: dict[str, str], upgraded: Path) -> None:
    text = _on_terminal(["diff", str(SMALL), str(upgraded)], _env(**env))
    assert "↑ websockets 15.0.1 → 15.0.2" in text
    assert ESC not in text


def test_no_colour_when_piped(upgraded: Path) -> None:
    result = lockstrip_process("diff", SMALL, upgraded, env=_env(TERM="xterm"))
    assert result.returncode == 1
    assert "  ↑ websockets 15.0.1 → 15.0.2\n" in result.stdout
    assert ESC not in result.stdout


def test_json_has_no_colour_on_a_terminal(upgraded: Path) -> None:
    text = _on_terminal(["diff", "--json", str(SMALL), str(upgraded)], _env(TERM="xterm"))
    assert ESC not in text
    assert json.loads(text)["changes"][0]["kind"] == "upgraded"


# --- the JSON schema ---------------------------------------------------------------------------

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _check_schema(data: dict[str, Any]) -> None:
    assert data["schema"] == 1
    assert type(data["third_party_changed"]) is bool
    assert type(data["digest_changed"]) is bool
    assert set(data["digest"]) == {"old", "new"}
    assert all(DIGEST.fullmatch(data["digest"][side]) for side in ("old", "new"))
    assert data["digest_changed"] == (data["digest"]["old"] != data["digest"]["new"])
    assert isinstance(data["changes"], list)
    for change in data["changes"]:
        assert list(change) == ["kind", "subject", "old", "new", "detail"]
        assert change["kind"] in KINDS
        assert all(isinstance(change[key], str) for key in ("subject", "detail"))
        assert all(change[key] is None or isinstance(change[key], str) for key in ("old", "new"))
    assert isinstance(data["volatile"], list)
    assert all(isinstance(note, str) for note in data["volatile"])


def test_json_schema(tmp_path: Path) -> None:
    edited = copy_project(SMALL, tmp_path / "edited")
    bump_root_version(edited)
    upgrade_third_party(edited)
    remove_package(edited)

    code, report, _ = lockstrip("diff", "--json", SMALL, edited)

    assert code == 1
    data = json.loads(report)
    assert list(data) == [
        "schema",
        "third_party_changed",
        "digest_changed",
        "digest",
        "changes",
        "volatile",
        "old",
        "new",
    ]
    _check_schema(data)
    assert data["third_party_changed"] is True
    assert (data["old"], data["new"]) == (str(SMALL), str(edited))
    assert data["changes"] == [
        {
            "kind": "removed",
            "subject": "annotated-types",
            "old": "0.7.0",
            "new": None,
            "detail": "annotated-types 0.7.0",
        },
        {
            "kind": "upgraded",
            "subject": "websockets",
            "old": "15.0.1",
            "new": "15.0.2",
            "detail": "websockets 15.0.1 → 15.0.2",
        },
        {
            "kind": "dependencies",
            "subject": "pydantic 2.11.10",
            "old": None,
            "new": None,
            "detail": "pydantic 2.11.10: dependencies: - annotated-types",
        },
    ]
    assert data["volatile"] == ["root version 0.1.0 → 0.1.1"]


def test_json_when_nothing_changed() -> None:
    code, report, _ = lockstrip("diff", "--json", SMALL, SMALL)
    assert code == 0
    data = json.loads(report)
    _check_schema(data)
    assert data["changes"] == data["volatile"] == []
    assert data["digest_changed"] is data["third_party_changed"] is False


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        ("1.9", "1.10", "upgraded"),  # as text, "1.10" < "1.9"
        ("1.10", "1.9", "downgraded"),
        ("9.0.0", "10.0.0", "upgraded"),
        ("2.0.0rc1", "2.0.0", "upgraded"),  # a release follows its candidates
        ("2.0.0", "2.0.0rc1", "downgraded"),
        ("1.0.post1", "1.0", "downgraded"),
        ("1.0", "1.0.post1", "upgraded"),
        ("0.9.9", "0.10.0", "upgraded"),
    ],
)
def test_versions_are_ordered_as_pep_440_not_as_text(before: str, after: str, kind: str) -> None:
    from lockstrip.formats.compare import _package_changes

    entry = {"source": "registry+https://pypi.org/simple", "artifacts": {}, "edges": {}}
    changes = list(_package_changes("pkg", {before: entry}, {after: entry}))
    assert [(c.kind, c.old, c.new) for c in changes] == [(kind, before, after)]


def test_several_versions_are_listed_in_pep_440_order() -> None:
    from lockstrip.formats.compare import _package_changes

    entry = {"source": "registry+https://pypi.org/simple", "artifacts": {}, "edges": {}}
    old = dict.fromkeys(["1.10", "1.9"], entry)
    new = dict.fromkeys(["1.11", "1.9", "1.2"], entry)
    changes = list(_package_changes("pkg", old, new))
    assert (changes[0].old, changes[0].new) == ("1.9, 1.10", "1.2, 1.9, 1.11")


# --- edges whose marker changed ------------------------------------------------------------

NARROWED = "python_full_version >= '3.12'"


def narrow_anyio(project: Path) -> None:
    """What uv writes when a new bound lets it simplify markers: every edge to anyio now
    carries a marker, nothing is added or removed."""
    lock = project / "uv.lock"
    text = lock.read_text(encoding="utf-8")
    narrowed = f'{{ name = "anyio", marker = "{NARROWED}" }}'
    assert text.count('{ name = "anyio" }') == 3
    lock.write_text(text.replace('{ name = "anyio" }', narrowed), encoding="utf-8")


def test_an_edge_whose_marker_changed_is_one_change_and_alike_ones_one_line(
    tmp_path: Path,
) -> None:
    new = copy_project(SMALL, tmp_path / "new")
    narrow_anyio(new)
    text = lockstrip_process("diff", SMALL, new)
    assert text.returncode == 1, text.stderr
    lines = text.stdout.splitlines()
    marker_lines = [line for line in lines if "anyio" in line]
    assert len(marker_lines) == 1, text.stdout  # not a `+`/`-` pair per package
    assert marker_lines[0].startswith(f"  ~ edges now only where {NARROWED}, on 3 packages: ")
    assert "+ anyio" not in text.stdout and "- anyio" not in text.stdout
    data = json.loads(lockstrip_process("diff", "--json", SMALL, new).stdout)
    changes = [c for c in data["changes"] if c["kind"] == "edge-markers"]
    assert len(changes) == 3  # JSON keeps one change a package
    assert {(c["old"], c["new"]) for c in changes} == {(None, NARROWED)}
    assert all(c["detail"].endswith(f": anyio: now only where {NARROWED}") for c in changes)


def test_marker_changes_in_words() -> None:
    from lockstrip.formats.explanation import marker_change

    assert marker_change(None, "a") == "now only where a"
    assert marker_change("a", None) == "now everywhere (was only where a)"
    assert marker_change("a", "b") == "now where b (was a)"


def test_an_added_edge_beside_a_changed_marker_stays_an_addition() -> None:
    from lockstrip.formats.compare import _edge_changes

    old = frozenset({"anyio", "idna ; sys_platform == 'win32'"})
    new = frozenset({"anyio ; python_full_version >= '3.12'", "idna", "sniffio"})
    moved, markers = _edge_changes("httpx 0.28.1", "dependencies", old, new)
    assert moved == ["+ sniffio"]
    assert [(c.old, c.new, c.detail) for c in markers] == [
        (None, NARROWED, f"httpx 0.28.1: anyio: now only where {NARROWED}"),
        ("sys_platform == 'win32'", None, "httpx 0.28.1: idna: now everywhere (was only where "
         "sys_platform == 'win32')"),
    ]  # fmt: skip
