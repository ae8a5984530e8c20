"""The rules table and the decisions that are easy to get wrong."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from helpers import FIXTURES, copy_project, tomllib

from lockstrip import volatile
from lockstrip.digest import compute_digest
from lockstrip.export import build_export
from lockstrip.project import read_project
from lockstrip.render_lock import render_lock

TABLES = [
    volatile.LOCK_KEYS,
    volatile.MANIFEST_KEYS,
    volatile.LOCAL_PACKAGE_KEYS,
    volatile.PROJECT_KEYS,
    volatile.PYPROJECT_TABLES,
]


@pytest.mark.parametrize("table", TABLES)
def test_every_rule_has_a_reason(table: dict[str, volatile.Policy]) -> None:
    assert table
    for key, policy in table.items():
        assert len(policy.reason) > 10, key


@pytest.mark.parametrize(
    "table",
    [
        volatile.LOCAL_SOURCE_KINDS,
        volatile.ARTIFACT_VOLATILE_KEYS,
        volatile.TOOL_UV_INSTALL_KEYS,
        volatile.UNORDERED_KEYS,
    ],
)
def test_every_kept_or_dropped_key_has_a_reason(table: dict[str, str]) -> None:
    for key, reason in table.items():
        assert len(reason) > 10, key


def test_digest_keys_are_installation_keys() -> None:
    assert set(volatile.TOOL_UV_DIGEST_KEYS) <= set(volatile.TOOL_UV_INSTALL_KEYS)


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
    assert all("metadata" not in p for p in lock["package"] if "editable" in p["source"])
    assert "upload-time" not in files["uv.lock"]
    locked = tomllib.loads(
        build_export(read_project(FIXTURES / "crewAIInc__crewAI"), "locked").files["uv.lock"]
    )
    assert "options" in locked


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
