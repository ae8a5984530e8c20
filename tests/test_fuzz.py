"""Fuzzing: mutated fixture projects never crash lockstrip (a fast, seeded slice).

Every mutation of a real project (tests/fuzzing.py: one node of its lock or a pyproject
replaced, retyped, deleted or duplicated, or the text cut) goes through the library entry
points every command uses; each outcome is a success or a `LockstripError` naming one of
the project's files. A sample goes through the real command line (exit 0, 1 or 2, never a
traceback; on 2 the message starts with the file's path), and a sample through uv: an
export that succeeds is read by `uv export --frozen` exactly as the mutated original is.

The long run is bench/fuzz.py (100,000 cases, figures in BENCHMARKS.md). Each crash class it
or this slice found is a regression case below, written as the one edit that showed it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import fuzzing
import pytest
from fuzzing import DELETE, ROOT, Seed, edit, load_seed, mutate, run_case, seed_folders
from helpers import run_uv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockstrip.errors import LockstripError
from lockstrip.formats.uv.model.project import MemoryFiles, Project, read_files
from lockstrip.formats.uv.render.export import build_export

SEEDS = seed_folders(max_lock_bytes=160_000)  # five projects, one a workspace of four


def seed(name: str) -> Seed:
    return load_seed(fuzzing.CORPUS / name)


def test_the_seeds_are_small_real_projects() -> None:
    assert len(SEEDS) == 5
    assert any(len(load_seed(folder).texts) > 2 for folder in SEEDS)  # a workspace


@cache
def original(folder: Path) -> Project:
    return load_seed(folder).project()


@pytest.mark.parametrize(
    "part", [0, *(pytest.param(part, marks=pytest.mark.slow) for part in (1, 2))]
)
def test_mutations_never_crash(part: int) -> None:
    """30 seeded cases a part, every entry point, explanations on every third case."""
    outcomes = []
    for number in range(part * 30, part * 30 + 30):
        folder = SEEDS[number % len(SEEDS)]
        mutation = mutate(load_seed(folder), fuzzing.case_rng(load_seed(folder), number))
        outcome = run_case(mutation.texts, original(folder) if number % 3 == 0 else None)
        assert outcome.status != "crash", f"case {number}: {mutation.what}: {outcome.detail}"
        outcomes.append(outcome.status)
    # the slice exercises both sides: mutations that are read, and ones that are refused
    assert "ok" in outcomes and "rejected" in outcomes


#: TOML values, nested: what hypothesis puts where a mutation points.
TOML_VALUES = st.recursive(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from([v for v in fuzzing.WEIRD if isinstance(v, str)]),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.booleans(),
        st.floats(allow_nan=False),
        st.dates(),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["name", "url", "marker", "x"]), children, max_size=3),
    ),
    max_leaves=6,
)


def _path(data: st.DataObject, doc: Any) -> list[Any]:
    """A path into `doc`, walked by hypothesis's choices (so it shrinks to short paths)."""
    path: list[Any] = []
    node = doc
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(st.sampled_from(keys))
        path.append(key)
        node = node[key]
    return path or [data.draw(st.sampled_from(list(doc)))]


@pytest.mark.slow
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.data())
def test_any_value_anywhere_never_crashes(data: st.DataObject) -> None:
    folder = data.draw(st.sampled_from(SEEDS))
    project = load_seed(folder)
    rel = data.draw(st.sampled_from(sorted(project.texts)))
    path = _path(data, project.docs[rel])
    value = data.draw(st.one_of(st.just(DELETE), TOML_VALUES))
    explain = data.draw(st.booleans())
    outcome = run_case(edit(project, rel, path, value), original(folder) if explain else None)
    assert outcome.status != "crash", f"{rel} {path} = {value!r}: {outcome.detail}"


# --- every crash class found, as the edit that showed it ----------------------------------

CRASHES = [
    # scope.restrict: KeyError 'package' (a lock without [[package]])
    ("astral-sh__uv-fastapi-example", "uv.lock", ["package"], []),
    ("astral-sh__uv-fastapi-example", "uv.lock", ["package"], DELETE),
    # scope._default_groups: AttributeError ([tool] uv is not a table)
    ("000pp__doom", "pyproject.toml", ["tool", "uv"], "sys_platform == 'linux' and"),
    # explain._artifacts: AttributeError (an sdist URL that is not a string)
    ("000pp__doom", "uv.lock", ["package", 14, "sdist", "url"], 133),
    # scope.environment_points: TypeError (a marker that is not a string)
    ("000pp__doom", "uv.lock", ["package", 7, "dependencies", 0, "marker"], [{}]),
    # scope.groups_of: AttributeError ([[package.metadata]], an array of tables)
    ("astral-sh__uv-docker-example", "uv.lock", ["package", 37, "metadata"], [{}]),
]


@pytest.mark.parametrize(
    ("name", "rel", "path", "value"), CRASHES, ids=[f"{c[0]}:{c[2]}" for c in CRASHES]
)
def test_crash_found_by_fuzzing(name: str, rel: str, path: list[Any], value: Any) -> None:
    project = seed(name)
    outcome = run_case(edit(project, rel, path, value), original(fuzzing.CORPUS / name))
    assert outcome.status != "crash", outcome.detail


def test_a_projectless_root_with_no_package_is_read() -> None:
    """What uv writes for an empty workspace root: scoped digests and exports work on it."""
    project = seed("astral-sh__uv-fastapi-example")
    texts = edit(project, "uv.lock", ["package"], DELETE)
    pyproject = dict(project.docs["pyproject.toml"])
    del pyproject["project"]
    texts = {**texts, "pyproject.toml": fuzzing.write_toml(pyproject, "pyproject.toml")}
    assert run_case(texts, None).status == "ok"


# --- the real command line ------------------------------------------------------------------


def _write(texts: dict[str, str] | Any, folder: Path) -> Path:
    for rel, text in texts.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


COMMANDS = [
    ["digest"],
    ["digest", "--all-groups", "--python-version", "3.12", "--python-platform", "linux"],
    ["export", "--out", "{out}"],
    ["diff", "{original}"],
    ["dockerfile"],
]


@pytest.mark.parametrize("number", [3, 8, 21])
def test_the_command_line_never_shows_a_traceback(number: int, tmp_path: Path) -> None:
    project = load_seed(SEEDS[number % len(SEEDS)])
    mutation = mutate(project, fuzzing.case_rng(project, number))
    folder = _write(mutation.texts, tmp_path / "project")
    original = _write(project.texts, tmp_path / "original")
    env = {k: v for k, v in os.environ.items() if k not in ("LOCKSTRIP_DEBUG", "NO_COLOR")}
    for command in COMMANDS:
        args = [a.format(out=tmp_path / "out", original=original) for a in command]
        if args[0] == "diff":
            args = ["diff", args[1], str(folder)]
        else:
            args.insert(1, str(folder))
        done = subprocess.run(
            [sys.executable, "-m", "lockstrip", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        where = f"case {number} ({mutation.what}): lockstrip {' '.join(command)}"
        assert done.returncode in (0, 1, 2), f"{where}: {done.stderr}"
        assert "Traceback" not in done.stderr, where
        if done.returncode == 2:
            assert done.stderr.startswith(f"lockstrip: error: {folder}/"), where
            assert done.stderr.count("\n") == 1, where


# --- uv reads what lockstrip exports --------------------------------------------------------

UV_EXPORT = ["export", "--frozen", "--all-groups", "--no-header", "--no-annotate"]


def test_uv_reads_every_export_of_a_mutated_project_it_reads(tmp_path: Path) -> None:
    """Among seeded mutations that lockstrip exports, the first three that uv reads too:
    uv reads the export, and prints the same requirements."""
    compared = 0
    for number in range(1000, 1060):
        project = load_seed(SEEDS[number % len(SEEDS)])
        mutation = mutate(project, fuzzing.case_rng(project, number))
        if mutation.texts == project.texts:
            continue
        try:
            read = read_files(MemoryFiles(mutation.texts, ROOT), ROOT)
            export = build_export(read)
        except LockstripError:
            continue
        case = tmp_path / str(number)
        original = run_uv(UV_EXPORT, _write(mutation.texts, case / "project"), tmp_path / "c")
        if original.returncode != 0:
            continue
        exported = run_uv(UV_EXPORT, _write(export.files, case / "export"), tmp_path / "c")
        assert (exported.returncode, exported.stdout) == (0, original.stdout), (
            f"case {number}: {mutation.what}: {exported.stderr}"
        )
        compared += 1
        if compared == 3:
            return
    raise AssertionError(f"only {compared} mutated projects were read by both")
