"""The rules table and the decisions that are easy to get wrong."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from helpers import FIXTURES, copy_project, tomllib

from lockstrip.formats.uv.model.locals import LOCAL_SOURCE_KINDS
from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.digest import compute_digest
from lockstrip.formats.uv.render.export import build_export
from lockstrip.formats.uv.render.lock import render_lock
from lockstrip.formats.uv.rules.lock import (
    ARTIFACT_VOLATILE_KEYS,
    LOCAL_METADATA_KEYS,
    LOCAL_PACKAGE_KEYS,
    LOCK_KEYS,
    MANIFEST_KEYS,
    UNORDERED_KEYS,
)
from lockstrip.formats.uv.rules.policy import Policy
from lockstrip.formats.uv.rules.pyproject import (
    PROJECT_KEYS,
    PYPROJECT_TABLES,
    TOOL_UV_DIGEST_KEYS,
    TOOL_UV_FROZEN_DROPS,
    TOOL_UV_NAMES_ONLY,
)

TABLES = [
    LOCK_KEYS,
    MANIFEST_KEYS,
    LOCAL_PACKAGE_KEYS,
    PROJECT_KEYS,
    PYPROJECT_TABLES,
]


@pytest.mark.parametrize("table", TABLES)
def test_every_rule_has_a_reason(table: dict[str, Policy]) -> None:
    assert table
    for key, policy in table.items():
        assert len(policy.reason) > 10, key


@pytest.mark.parametrize(
    "table",
    [
        LOCAL_SOURCE_KINDS,
        ARTIFACT_VOLATILE_KEYS,
        TOOL_UV_FROZEN_DROPS,
        UNORDERED_KEYS,
    ],
)
def test_every_kept_or_dropped_key_has_a_reason(table: dict[str, str]) -> None:
    for key, reason in table.items():
        assert len(reason) > 10, key


def test_digest_keys_are_installation_keys() -> None:
    assert not set(TOOL_UV_DIGEST_KEYS) & TOOL_UV_FROZEN_DROPS.keys()


def with_registry_twin(project: Path, version: str) -> None:
    """Add a registry package that shares the root's name (cargo-chef bug #224)."""
    lock = tomllib.loads((project / "uv.lock").read_text())
    root = next(p for p in lock["package"] if p["source"].get("editable") == ".")
    twin = {
        "name": root["name"],
        "version": version,
        "source": {"registry": "https://pypi.org/simple"},
        "wheels": [
            {
                "url": f"https://files.example.org/{root['name']}-{version}-py3-none-any.whl",
                "hash": "sha256:" + "ab" * 32,
                "size": 1000,
            }
        ],
    }
    lock["package"].append(twin)
    lock["package"].sort(key=lambda p: (p["name"], p.get("version", "")))
    (project / "uv.lock").write_text(render_lock(lock))


def test_a_registry_package_sharing_a_local_name_is_third_party(tmp_path: Path) -> None:
    case = FIXTURES / "astral-sh__uv-docker-example"
    first = copy_project(case, tmp_path / "a")
    second = copy_project(case, tmp_path / "b")
    with_registry_twin(first, "1.0.0")
    with_registry_twin(second, "2.0.0")
    exported = build_export(read_project(first)).files["uv.lock"]
    assert 'version = "1.0.0"' in exported  # the twin's version is not masked
    assert compute_digest(read_project(first)) != compute_digest(read_project(second))


def test_digest_does_not_depend_on_package_order(tmp_path: Path) -> None:
    project = copy_project(FIXTURES / "huggingface__lerobot", tmp_path / "p")
    before = compute_digest(read_project(project)).value
    lock = tomllib.loads((project / "uv.lock").read_text())
    random.Random(7).shuffle(lock["package"])
    (project / "uv.lock").write_text(render_lock(lock))
    assert compute_digest(read_project(project)).value == before


def test_frozen_export_drops_what_only_validation_reads() -> None:
    files = build_export(read_project(FIXTURES / "crewAIInc__crewAI")).files
    lock = tomllib.loads(files["uv.lock"])
    assert "options" not in lock
    local = [p for p in lock["package"] if "editable" in p["source"]]
    # Only the extra names stay: `--extra X` must find them.
    assert all(set(p.get("metadata", {})) <= {"provides-extras"} for p in local)
    assert any("provides-extras" in p.get("metadata", {}) for p in local)
    assert "upload-time" not in files["uv.lock"]
    locked = tomllib.loads(
        build_export(read_project(FIXTURES / "crewAIInc__crewAI"), "locked").files["uv.lock"]
    )
    assert "options" in locked


# --- The docs' "What is stripped" table follows the tables above -------------------------------

README = Path(__file__).resolve().parent.parent / "docs" / "what-is-stripped.md"
Views = tuple[bool, bool, bool]  # kept by the frozen, locked and digest views


def readme_rows() -> list[tuple[str, list[str], Views]]:
    """(where, the backticked names of the field column, the views that keep it)."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## What is stripped, and why")
    rows: list[tuple[str, list[str], Views]] = []
    for line in text[start:].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] in ("where", "---"):
            if rows and not line.startswith("|"):
                break
            continue
        where, field, _why, *views = cells
        names = re.findall(r"`([^`]+)`", field)
        kept = tuple(not view.startswith("out") for view in views)
        rows.append((where, names, (kept[0], kept[1], kept[2])))
    return rows


def code_views(where: str, name: str) -> Views | None:
    """What volatile.py decides for `name` in README's `where`, or None if no table has it."""
    policy: Policy | None = None
    if where == "pyproject [tool.uv]":
        install = name not in TOOL_UV_FROZEN_DROPS
        return install, True, name in TOOL_UV_DIGEST_KEYS
    if where == "pyproject":
        if name.startswith("[project] "):
            policy = PROJECT_KEYS.get(name.removeprefix("[project] "))
        elif name.startswith("["):
            policy = PYPROJECT_TABLES.get(name.strip("[]"))
        else:
            policy = PROJECT_KEYS.get(name)
    elif where == "uv.lock":
        policy = LOCK_KEYS.get(name.strip("[]"))
    elif where == "uv.lock [manifest]":
        policy = MANIFEST_KEYS.get(name)
    elif where == "uv.lock local package":
        key = name.strip("[]").removeprefix("package.")
        policy = LOCAL_PACKAGE_KEYS.get(key) or LOCAL_METADATA_KEYS.get(key)
    elif where == "uv.lock artifact" and name in ARTIFACT_VOLATILE_KEYS:
        return False, False, False
    return None if policy is None else (policy.frozen, policy.locked, policy.digest)


def test_readme_table_says_what_the_code_does() -> None:
    rows = readme_rows()
    checked = 0
    for where, names, views in rows:
        for name in names:
            decided = code_views(where, name)
            if decided is not None:
                assert decided == views, f"README row {where} | {name}: code keeps {decided}"
                checked += 1
    assert checked >= 20


def test_every_rule_that_drops_a_field_is_in_the_readme() -> None:
    rows = readme_rows()
    listed = {(where, name) for where, names, _ in rows for name in names}
    expected: set[tuple[str, str]] = set()
    for where, table in (
        ("uv.lock", {f"[{k}]" if k == "options" else k: v for k, v in LOCK_KEYS.items()}),
        ("uv.lock [manifest]", MANIFEST_KEYS),
        ("uv.lock local package", LOCAL_PACKAGE_KEYS),
        ("pyproject", {f"[project] {k}": v for k, v in PROJECT_KEYS.items()}),
        ("pyproject", {f"[{k}]": v for k, v in PYPROJECT_TABLES.items()}),
    ):
        for key, policy in table.items():
            if not (policy.frozen and policy.locked and policy.digest):
                expected.add((where, key))
    expected |= {("uv.lock artifact", key) for key in ARTIFACT_VOLATILE_KEYS}
    expected |= {("pyproject [tool.uv]", key) for key in TOOL_UV_NAMES_ONLY}
    expected |= {("uv.lock, uv.lock package", key) for key in UNORDERED_KEYS}
    aliases = {
        ("uv.lock local package", "metadata"): "[package.metadata]",
        ("pyproject", "[project] dependencies"): "dependencies",
        ("pyproject", "[project] optional-dependencies"): "optional-dependencies",
    }
    missing = {
        (where, key)
        for where, key in expected
        if (where, aliases.get((where, key), key)) not in listed
    }
    assert not missing, f"rules missing from README's table: {sorted(missing)}"


def test_fork_markers_order_does_not_matter(tmp_path: Path) -> None:
    """uv writes `resolution-markers` in an order that moves between re-locks of the same
    resolution (the generative oracle saw it after a version bump): exports and digest
    keep them sorted."""
    project = copy_project(FIXTURES / "huggingface__lerobot", tmp_path / "p")
    read = read_project(project)
    before = (build_export(read).files, build_export(read, "locked").files, compute_digest(read))
    lock = tomllib.loads((project / "uv.lock").read_text())
    shuffled = [lock, *(p for p in lock["package"] if "resolution-markers" in p)]
    assert len(shuffled) > 1 and len(lock["resolution-markers"]) > 2
    for table in shuffled:
        table["resolution-markers"].reverse()
    (project / "uv.lock").write_text(render_lock(lock))
    read = read_project(project)
    after = (build_export(read).files, build_export(read, "locked").files, compute_digest(read))
    assert after == before


def test_member_skeletons_are_what_uv_sync_package_reads() -> None:
    """`uv sync --frozen --package NAME` finds each member by its name, needs a version (the
    masked one) and checks requires-python and the group names: the frozen export keeps
    those of each member's pyproject, and nothing else."""
    export = build_export(read_project(FIXTURES / "microsoft__autogen__python"), "frozen")
    member = tomllib.loads(export.files["packages/autogen-core/pyproject.toml"])
    assert member == {
        "project": {"name": "autogen-core", "version": "0.0.0", "requires-python": ">=3.10"},
        "dependency-groups": {"dev": []},
    }
