"""The caching matrix: modifications of real projects x what must happen to the cache keys.

Modelled on cargo-chef's tests/caching: a `Modification` edits a copy of a real project
from fixtures/corpus; each row says whether the frozen export, the locked export and the
digest stay the SAME or CHANGE. A row that does not apply to a project (a dynamic version
cannot be bumped, a project-less root has no extras) is skipped for it, and every row must
apply to at least three projects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from helpers import BUMP_PAIRS, FIXTURES, SINGLE_CASES, case_id, copy_project, tomllib

from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.digest import compute_digest
from lockstrip.formats.uv.render.export import build_export
from lockstrip.formats.uv.render.lock import render_lock


class Expect(Enum):
    SAME = "same"
    CHANGES = "changes"
    MAY_CHANGE = "may change"


class NotApplicable(Exception):
    """The modification has nothing to act on in this project."""


# --- editing a project -----------------------------------------------------------------------

Lock = dict[str, Any]


def edit_lock(project: Path, change: Callable[[Lock], None]) -> None:
    path = project / "uv.lock"
    lock = tomllib.loads(path.read_text())
    change(lock)
    path.write_text(render_lock(lock))


def edit_pyproject(project: Path, change: Callable[[Any], None], rel: str = ".") -> None:
    path = project / rel / "pyproject.toml"
    doc = tomlkit.parse(path.read_text())
    change(doc)
    path.write_text(tomlkit.dumps(doc))


def packages(lock: Lock) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = lock.get("package", [])
    return result


def root_package(lock: Lock) -> dict[str, Any]:
    for package in packages(lock):
        source = package["source"]
        if source.get("editable") == "." or source.get("virtual") == ".":
            return package
    raise NotApplicable("no root package (a project-less workspace root)")


def third_party(lock: Lock, *, with_wheels: bool = False) -> dict[str, Any]:
    """A registry package whose name is unique in the lock (the last one, for variety)."""
    names = [p["name"] for p in packages(lock)]
    for package in reversed(packages(lock)):
        unique = "registry" in package["source"] and names.count(package["name"]) == 1
        if unique and (package.get("wheels") or not with_wheels):
            found: dict[str, Any] = package
            return found
    raise NotApplicable("no registry package")


def bump(version: str) -> str:
    head, _, last = version.rpartition(".")
    return f"{head}.{int(last) + 1}" if last.isdigit() else version + ".post1"


# --- the modifications -----------------------------------------------------------------------


def bump_root_version(project: Path) -> None:
    lock = tomllib.loads((project / "uv.lock").read_text())
    root = root_package(lock)
    if "version" not in root:
        raise NotApplicable("dynamic version")

    def pyproject(doc: Any) -> None:
        doc["project"]["version"] = bump(str(doc["project"]["version"]))

    edit_pyproject(project, pyproject)
    edit_lock(project, lambda lock: root_package(lock).update(version=bump(root["version"])))


def bump_member_version(project: Path) -> None:
    lock = tomllib.loads((project / "uv.lock").read_text())
    members = set(lock.get("manifest", {}).get("members", ()))
    for package in packages(lock):
        where = package["source"].get("editable") or package["source"].get("virtual")
        if package["name"] in members and where not in (None, ".") and "version" in package:
            path = project / where / "pyproject.toml"
            if path.exists() and "version" in tomllib.loads(path.read_text()).get("project", {}):
                break
    else:
        raise NotApplicable("no member with a static version")
    name, new = package["name"], bump(package["version"])

    def pyproject(doc: Any) -> None:
        doc["project"]["version"] = new

    def change(lock: Lock) -> None:
        for entry in packages(lock):
            if entry["name"] == name:
                entry["version"] = new

    edit_pyproject(project, pyproject, where)
    edit_lock(project, change)


def edit_docs_metadata(project: Path) -> None:
    def change(doc: Any) -> None:
        if "project" not in doc:
            doc["project"] = tomlkit.table()  # a project-less root: edit [tool] only
            del doc["project"]
        else:
            p = doc["project"]
            p["description"] = "A description rewritten for the release notes."
            p["readme"] = "docs/README-new.md"
            p["authors"] = [{"name": "Someone New", "email": "new@example.org"}]
            p["classifiers"] = ["Programming Language :: Python :: 3", "Typing :: Typed"]
            p["urls"] = {"Homepage": "https://example.org/new"}
            p["scripts"] = {"newtool": "pkg.cli:main"}
        tool = doc.setdefault("tool", tomlkit.table())
        tool["ruff"] = {"line-length": 123, "lint": {"select": ["E", "F", "I"]}}
        tool["pytest"] = {"ini_options": {"addopts": "-q"}}

    edit_pyproject(project, change)


def reformat_pyproject(project: Path) -> None:
    path = project / "pyproject.toml"
    before = tomllib.loads(path.read_text())
    doc = tomlkit.document()
    doc.add(tomlkit.comment("reformatted: tables and keys reversed, comments added"))
    for key, value in reversed(list(before.items())):
        if isinstance(value, dict):
            table = tomlkit.table()
            table.add(tomlkit.comment(f"the {key} table"))
            for inner, item in reversed(list(value.items())):
                table.add(inner, item)
            doc.add(key, table)
        else:
            doc.add(key, value)
    text = tomlkit.dumps(doc).replace(" = ", "   =   ")
    assert tomllib.loads(text) == before
    path.write_text(text)


def drop_upload_time(project: Path) -> None:
    def change(lock: Lock) -> None:
        found = False
        for package in packages(lock):
            for artifact in [package.get("sdist", {}), *package.get("wheels", ())]:
                found |= artifact.pop("upload-time", None) is not None
        if not found:
            raise NotApplicable("no upload-time")

    edit_lock(project, change)


def add_upload_time(project: Path) -> None:
    def change(lock: Lock) -> None:
        for package in packages(lock):
            for artifact in [package.get("sdist"), *package.get("wheels", ())]:
                if artifact and "url" in artifact:
                    artifact["upload-time"] = "2026-11-21T07:00:00.123Z"

    edit_lock(project, change)


def change_revision(project: Path) -> None:
    edit_lock(project, lambda lock: lock.update(revision=lock.get("revision", 0) % 3 + 1))


def upgrade_third_party(project: Path) -> None:
    def change(lock: Lock) -> None:
        package = third_party(lock)
        package["version"] = bump(package["version"])

    edit_lock(project, change)


def change_wheel_hash(project: Path) -> None:
    def change(lock: Lock) -> None:
        wheel = third_party(lock, with_wheels=True)["wheels"][0]
        wheel["hash"] = "sha256:" + "0" * 64

    edit_lock(project, change)


def change_wheel_url(project: Path) -> None:
    def change(lock: Lock) -> None:
        wheel = third_party(lock, with_wheels=True)["wheels"][0]
        wheel["url"] = wheel["url"].replace("https://", "https://mirror.example.org/")

    edit_lock(project, change)


def change_index(project: Path) -> None:
    def change(lock: Lock) -> None:
        third_party(lock)["source"] = {"registry": "https://mirror.example.org/simple"}

    edit_lock(project, change)


def _package_with_edges(lock: Lock) -> dict[str, Any]:
    for package in packages(lock):
        if "registry" in package["source"] and package.get("dependencies"):
            return package
    raise NotApplicable("no third-party package with dependencies")


def remove_edge(project: Path) -> None:
    edit_lock(project, lambda lock: _package_with_edges(lock)["dependencies"].pop())


def add_edge(project: Path) -> None:
    def change(lock: Lock) -> None:
        package = _package_with_edges(lock)
        taken = {edge["name"] for edge in package["dependencies"]} | {package["name"]}
        names = [p["name"] for p in packages(lock)]
        for candidate in packages(lock):
            name = candidate["name"]
            if "registry" in candidate["source"] and names.count(name) == 1 and name not in taken:
                package["dependencies"].append({"name": name})
                return
        raise NotApplicable("no package to add an edge to")

    edit_lock(project, change)


def change_marker(project: Path) -> None:
    def change(lock: Lock) -> None:
        edge = _package_with_edges(lock)["dependencies"][0]
        marker = edge.get("marker")
        edge["marker"] = f"({marker}) and sys_platform == 'linux'" if marker else "os_name == 'nt'"

    edit_lock(project, change)


def change_requires_python(project: Path) -> None:
    def change(lock: Lock) -> None:
        lock["requires-python"] = lock["requires-python"] + ", !=3.99.*"

    edit_lock(project, change)

    def pyproject(doc: Any) -> None:
        if "project" in doc and "requires-python" in doc["project"]:
            doc["project"]["requires-python"] = lock_requires_python(project)

    edit_pyproject(project, pyproject)


def lock_requires_python(project: Path) -> str:
    return str(tomllib.loads((project / "uv.lock").read_text())["requires-python"])


def add_extra(project: Path) -> None:
    lock = tomllib.loads((project / "uv.lock").read_text())
    root = root_package(lock)
    if root["source"].get("virtual") is not None:
        raise NotApplicable("a virtual root has no extras")
    target = third_party(lock)["name"]

    def change(lock: Lock) -> None:
        entry = root_package(lock)
        extras = entry.setdefault("optional-dependencies", {})
        extras["lockstrip-added"] = [{"name": target}]
        metadata = entry.setdefault("metadata", {})
        requires = metadata.setdefault("requires-dist", [])
        requires.append({"name": target, "marker": "extra == 'lockstrip-added'"})
        metadata["provides-extras"] = sorted(
            [*metadata.get("provides-extras", []), "lockstrip-added"]
        )

    def pyproject(doc: Any) -> None:
        extras = doc["project"].setdefault("optional-dependencies", tomlkit.table())
        extras["lockstrip-added"] = [target]

    edit_lock(project, change)
    edit_pyproject(project, pyproject)


def add_group(project: Path) -> None:
    lock = tomllib.loads((project / "uv.lock").read_text())
    target = third_party(lock)["name"]

    def change(lock: Lock) -> None:
        try:
            entry = root_package(lock)
        except NotApplicable:
            groups = lock.setdefault("manifest", {}).setdefault("dependency-groups", {})
            groups["lockstrip-added"] = [{"name": target}]
            return
        entry.setdefault("dev-dependencies", {})["lockstrip-added"] = [{"name": target}]
        metadata = entry.setdefault("metadata", {})
        metadata.setdefault("requires-dev", {})["lockstrip-added"] = [{"name": target}]

    def pyproject(doc: Any) -> None:
        doc.setdefault("dependency-groups", tomlkit.table())["lockstrip-added"] = [target]

    edit_lock(project, change)
    edit_pyproject(project, pyproject)


def _plain_requirement(project: Path) -> tuple[int, dict[str, Any], str]:
    """A root requirement without marker or extra, as the lock and the pyproject spell it."""
    lock = tomllib.loads((project / "uv.lock").read_text())
    requires = root_package(lock).get("metadata", {}).get("requires-dist", [])
    doc = tomllib.loads((project / "pyproject.toml").read_text())
    declared = doc.get("project", {}).get("dependencies", [])
    for index, requirement in enumerate(requires):
        spelled = requirement["name"] + requirement.get("specifier", "").replace(" ", "")
        plain = [d for d in declared if d.replace(" ", "") == spelled]
        if "marker" not in requirement and "extra" not in requirement and plain:
            return index, requirement, plain[0]
    raise NotApplicable("no plain requirement to tighten")


def tighten_specifier(project: Path) -> None:
    """`pkg>=1.0` -> `pkg>=1.0,<999`: a new specifier, the same resolution."""
    index, requirement, old = _plain_requirement(project)
    new_spec = ",".join(s for s in (requirement.get("specifier", ""), "<999") if s)

    def change(lock: Lock) -> None:
        root_package(lock)["metadata"]["requires-dist"][index]["specifier"] = new_spec

    def pyproject(doc: Any) -> None:
        deps = doc["project"]["dependencies"]
        deps[list(deps).index(old)] = requirement["name"] + new_spec

    edit_lock(project, change)
    edit_pyproject(project, pyproject)


def _group_requirement(project: Path) -> tuple[str, int, dict[str, Any], str]:
    """A requirement of a project-less root's group, as the lock and the pyproject spell it."""
    lock = tomllib.loads((project / "uv.lock").read_text())
    doc = tomllib.loads((project / "pyproject.toml").read_text())
    for group, entries in lock.get("manifest", {}).get("dependency-groups", {}).items():
        declared = doc.get("dependency-groups", {}).get(group, [])
        for index, entry in enumerate(entries):
            spelled = entry["name"] + entry.get("specifier", "").replace(" ", "")
            written = [r for r in declared if isinstance(r, str) and r.replace(" ", "") == spelled]
            if "specifier" in entry and "marker" not in entry and written:
                return group, index, entry, written[0]
    raise NotApplicable("no project-less root group requirement to tighten")


def tighten_workspace_group_specifier(project: Path) -> None:
    """The same edit in a project-less root's group (kept in the lock's `[manifest]`)."""
    group, index, entry, old = _group_requirement(project)
    new_spec = entry["specifier"] + ",<999"

    def change(lock: Lock) -> None:
        lock["manifest"]["dependency-groups"][group][index]["specifier"] = new_spec

    def pyproject(doc: Any) -> None:
        items = doc["dependency-groups"][group]
        items[list(items).index(old)] = entry["name"] + new_spec

    edit_lock(project, change)
    edit_pyproject(project, pyproject)


def edit_workspace_globs(project: Path) -> None:
    """Reorder the member globs and exclude a folder that holds no member: same members."""

    def change(doc: Any) -> None:
        workspace = doc.get("tool", {}).get("uv", {}).get("workspace")
        if not workspace or not workspace.get("members"):
            raise NotApplicable("no [tool.uv.workspace] members")
        workspace["members"] = list(reversed(list(workspace["members"])))
        workspace["exclude"] = [*workspace.get("exclude", []), "no-such-folder/*"]

    edit_pyproject(project, change)


def bump_required_version(project: Path) -> None:
    def change(doc: Any) -> None:
        doc.setdefault("tool", tomlkit.table()).setdefault("uv", tomlkit.table())
        doc["tool"]["uv"]["required-version"] = ">=0.13.8"

    edit_pyproject(project, change)


def prefer_managed_python(project: Path) -> None:
    """uv refuses a system interpreter: the download stage must refuse it too."""

    def change(doc: Any) -> None:
        doc.setdefault("tool", tomlkit.table()).setdefault("uv", tomlkit.table())
        doc["tool"]["uv"]["python-preference"] = "only-managed"

    edit_pyproject(project, change)


def change_resolution_strategy(project: Path) -> None:
    """A resolver setting: only a new `uv lock` reads it."""

    def change(doc: Any) -> None:
        doc.setdefault("tool", tomlkit.table()).setdefault("uv", tomlkit.table())
        doc["tool"]["uv"]["resolution"] = "lowest"

    edit_pyproject(project, change)


# --- the matrix ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    modification: Callable[[Path], None]
    frozen: Expect
    locked: Expect
    digest: Expect

    @property
    def name(self) -> str:
        return self.modification.__name__


S, C, M = Expect.SAME, Expect.CHANGES, Expect.MAY_CHANGE

MATRIX = [
    #   modification              frozen export  locked export  digest
    Row(bump_root_version, S, S, S),
    Row(bump_member_version, S, S, S),
    Row(edit_docs_metadata, S, S, S),
    Row(reformat_pyproject, S, S, S),
    Row(drop_upload_time, S, S, S),
    Row(add_upload_time, S, S, S),
    Row(change_revision, M, M, S),
    Row(upgrade_third_party, C, C, C),
    Row(change_wheel_hash, C, C, C),
    Row(change_wheel_url, C, C, C),
    Row(change_index, C, C, C),
    Row(remove_edge, C, C, C),
    Row(add_edge, C, C, C),
    Row(change_marker, C, C, C),
    Row(change_requires_python, C, C, C),
    Row(add_extra, C, C, C),
    Row(add_group, C, C, C),
    Row(tighten_specifier, S, C, S),
    Row(edit_workspace_globs, S, C, S),
    Row(bump_required_version, C, C, S),
    Row(prefer_managed_python, C, C, S),
    Row(change_resolution_strategy, S, C, S),
    Row(tighten_workspace_group_specifier, S, C, S),
]


@dataclass(frozen=True)
class Keys:
    frozen: Mapping[str, str]
    locked: Mapping[str, str]
    digest: str


def keys(project: Path) -> Keys:
    read = read_project(project)
    return Keys(
        build_export(read, "frozen").files,
        build_export(read, "locked").files,
        compute_digest(read).value,
    )


def files(project: Path) -> dict[str, bytes]:
    return {
        p.relative_to(project).as_posix(): p.read_bytes()
        for p in sorted(project.rglob("*"))
        if p.is_file() and p.name in ("uv.lock", "pyproject.toml")
    }


@cache
def baseline(case: Path) -> Keys:
    return keys(case)


def check(expect: Expect, before: object, after: object, what: str) -> None:
    if expect is Expect.SAME:
        assert before == after, f"{what} changed"
    elif expect is Expect.CHANGES:
        assert before != after, f"{what} did not change"


#: The largest locks (4.2 and 1.6 MB): every row on them in the slow tier; the fast tier
#: runs every row on the other fixtures.
HEAVY = frozenset({"embeddings-benchmark__mteb", "crewAIInc__crewAI"})


def cells() -> Iterator[Any]:
    for row in MATRIX:
        for case in SINGLE_CASES:
            marks = pytest.mark.slow if case.name in HEAVY else ()
            yield pytest.param(row, case, id=f"{row.name}-{case_id(case, FIXTURES)}", marks=marks)


@pytest.mark.parametrize(("row", "case"), list(cells()))
def test_matrix(row: Row, case: Path, tmp_path: Path) -> None:
    project = copy_project(case, tmp_path / "project")
    try:
        row.modification(project)
    except NotApplicable as reason:
        pytest.skip(str(reason))
    assert files(project) != files(case), "the modification changed no byte"
    before, after = baseline(case), keys(project)
    check(row.frozen, before.frozen, after.frozen, "frozen export")
    check(row.locked, before.locked, after.locked, "locked export")
    check(row.digest, before.digest, after.digest, "digest")
    # The default export changes exactly when the digest does, but for the exceptions
    # docs/what-is-stripped.md lists: the revision, and settings `uv sync` reads that leave
    # the third-party set alone.
    if row.modification not in (change_revision, bump_required_version, prefer_managed_python):
        assert (before.frozen == after.frozen) == (before.digest == after.digest)


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.name)
def test_every_row_applies_to_several_projects(row: Row, tmp_path: Path) -> None:
    applied = 0
    for index, case in enumerate(SINGLE_CASES):
        try:
            row.modification(copy_project(case, tmp_path / str(index)))
        except NotApplicable:
            continue
        applied += 1
    assert applied >= 3, f"{row.name} applies to {applied} fixture projects only"


@pytest.mark.parametrize("pair", BUMP_PAIRS, ids=lambda p: p.name)
def test_real_version_bumps_change_nothing(pair: Path) -> None:
    before, after = keys(pair / "before"), keys(pair / "after")
    assert (pair / "before" / "uv.lock").read_bytes() != (pair / "after" / "uv.lock").read_bytes()
    assert before == after
