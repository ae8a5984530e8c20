"""Lock shapes the corpus lacks, each written by a real `uv lock`: uv reads the export as the
original in the scope that once told them apart.

Each scenario is a class of project that the default (frozen) export used to lose: extras
with no dependencies, groups that include groups, the legacy `dev-dependencies`, path
dependencies that are not workspace members, and locks with no `[[package]]` at all. The
packages come from an index on 127.0.0.1 (tests/projects.py); uv runs offline on the
locks it wrote.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.index import Index, write_wheel
from helpers import load, run_uv
from projects import (
    MODES,
    PYPROJECT_HEADER,
    Dist,
    UvView,
    assert_uv_agrees,
    export_to,
    local_index,
    lock_project,
    make_project,
    uv_view,
)

from lockstrip.formats.request import Scope
from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.digest import compute_digest
from lockstrip.formats.uv.render.export import build_export

#: The third-party world: a (version, requirements) or a version per package.
DISTS: dict[str, list[Dist]] = {
    "alpha": ["1.0"],
    "beta": [("2.0", ["alpha"])],
    "gamma": ["3.0"],
}

#: This interpreter's version is below it: a group that needs it is refused here.
NEWER_PYTHON = f">={sys.version_info.major}.{sys.version_info.minor + 1}"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    with local_index(tmp_path_factory.mktemp("wheels"), DISTS) as served:
        yield served


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


def locked(root: Path, files: dict[str, str], index: Index, cache: Path) -> Path:
    make_project(root, files)
    lock_project(root, index.url, cache)
    return root


def lockstrip(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lockstrip", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_uv_agrees_scoped(
    root: Path, work: Path, cache: Path, scopes: list[list[str]]
) -> dict[tuple[str, ...], UvView]:
    """`lockstrip export SCOPE` for each scope (into `work`), and uv reads each scoped export
    as it reads the project in that scope. Returns the project's views."""
    views = {}
    for number, scope in enumerate(scopes):
        out = work / f"scoped-{number}"
        result = lockstrip("export", root, "--out", out, *scope)
        assert result.returncode == 0, result.stderr
        views[tuple(scope)] = expected = uv_view(root, cache, scope)
        got = uv_view(out, cache, scope)
        assert got == expected, f"scope {scope}:\n{got}\n!= original\n{expected}"
    return views


# --- extras with no dependencies -------------------------------------------------------------

EXTRAS = {
    "pyproject.toml": PYPROJECT_HEADER
    + """
        [project]
        name = "app"
        version = "1.2.3"
        requires-python = ">=3.10"
        dependencies = ["alpha", "member"]

        [project.optional-dependencies]
        openai = []
        full = ["beta"]
        itself = ["app[openai]"]
        cross = ["member[plain]"]

        [tool.uv.workspace]
        members = ["packages/*"]

        [tool.uv.sources]
        member = { workspace = true }
        """,
    "packages/member/pyproject.toml": PYPROJECT_HEADER
    + """
        [project]
        name = "member"
        version = "4.5.6"
        requires-python = ">=3.10"

        [project.optional-dependencies]
        plain = []
        more = ["gamma"]
        """,
}


def test_extras_with_no_dependencies_stay_selectable(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    # An extra with no dependencies leaves no edge in the lock: only the names uv records
    # (`provides-extras`) tell `--extra openai` from a typo.
    root = locked(tmp_path / "p", EXTRAS, index, cache)
    scopes = [
        ["--extra", "openai"],
        ["--extra", "itself"],
        ["--extra", "cross"],
        ["--all-extras"],
        ["--extra", "nosuch"],
        ["--package", "member", "--extra", "plain"],
        ["--package", "member", "--extra", "more"],
        ["--all-packages", "--all-extras"],
    ]
    views = assert_uv_agrees(root, tmp_path, cache, scopes, sync=["--no-install-workspace"])
    assert views[("--extra", "openai")].export_code == 0
    assert views[("--package", "member", "--extra", "plain")].sync_code == 0
    assert views[("--extra", "nosuch")].export_code == 2  # uv does check the names


def test_scoped_exports_name_only_the_extras_they_choose(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    # uv checks `--extra X` against `provides-extras` and reads it for nothing else: a
    # scoped export keeps the extras it installs or names, and a new extra that a scope
    # never chooses leaves that scope's export as it was.
    root = locked(tmp_path / "p", EXTRAS, index, cache)
    scopes = [
        ["--no-dev"],
        ["--extra", "openai"],
        ["--extra", "itself"],
        ["--extra", "cross"],
        ["--all-extras"],
        ["--package", "member", "--no-dev"],
        ["--package", "member", "--extra", "plain"],
        ["--package", "member", "--extra", "more"],
        ["--all-packages", "--all-extras"],
    ]
    views = assert_uv_agrees_scoped(root, tmp_path / "first", cache, scopes)
    assert views[("--extra", "openai")].sync_code == 0
    assert views[("--package", "member", "--extra", "plain")].sync_code == 0
    added = EXTRAS["pyproject.toml"].replace("openai = []", "openai = []\n        nlp = []")
    again = locked(tmp_path / "q", {**EXTRAS, "pyproject.toml": added}, index, cache)
    assert load(again / "uv.lock") != load(root / "uv.lock")

    def scoped(project: Path, scope: Scope) -> object:
        return build_export(read_project(project), "frozen", scope).files

    unchanged = [Scope(no_dev=True), Scope(extras=("openai",)), Scope(packages=("member",))]
    for scope in unchanged:
        assert scoped(root, scope) == scoped(again, scope), scope
    assert scoped(root, Scope(all_extras=True)) != scoped(again, Scope(all_extras=True))


def test_extra_names_do_not_follow_their_order(tmp_path: Path, index: Index, cache: Path) -> None:
    """Reordering extras rewrites uv's `provides-extras`, but not what anything installs."""
    first = locked(tmp_path / "a", EXTRAS, index, cache)
    reordered = EXTRAS["pyproject.toml"].replace(
        'openai = []\n        full = ["beta"]', 'full = ["beta"]\n        openai = []'
    )
    second = locked(tmp_path / "b", {**EXTRAS, "pyproject.toml": reordered}, index, cache)
    assert load(first / "uv.lock") != load(second / "uv.lock")
    exports = [build_export(read_project(p)).files for p in (first, second)]
    assert exports[0] == exports[1]
    assert compute_digest(read_project(first)) == compute_digest(read_project(second))
    # A new extra is a new scope, even with no dependencies: both change.
    added = EXTRAS["pyproject.toml"].replace("openai = []", "openai = []\n        nlp = []")
    third = locked(tmp_path / "c", {**EXTRAS, "pyproject.toml": added}, index, cache)
    assert build_export(read_project(third)).files != exports[0]
    assert compute_digest(read_project(third)) != compute_digest(read_project(first))
    assert "app: extra nlp added" in lockstrip("diff", first, third).stdout


def test_groups_and_extras_with_no_edges_stay_selectable(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    # A group that is empty, or whose requirements all fall outside the lock's environments,
    # leaves no edge in the lock: only `[package.metadata.requires-dev]` names it there.
    body = """
        requires-python = ">=3.10"
        dependencies = ["alpha"]

        [project.optional-dependencies]
        elsewhere = ["gamma; sys_platform == 'nosuchos'"]

        [dependency-groups]
        empty = []
        elsewhere = ["gamma; sys_platform == 'nosuchos'"]
        """
    root = locked(
        tmp_path / "p",
        {
            "pyproject.toml": PYPROJECT_HEADER
            + '[project]\nname = "app"\nversion = "1.0"\n'
            + body
            + f"""
        [tool.uv]
        environments = ["sys_platform == '{sys.platform}'"]

        [tool.uv.workspace]
        members = ["member"]
        """,
            "member/pyproject.toml": PYPROJECT_HEADER
            + '[project]\nname = "member"\nversion = "1.0"\n'
            + body,
        },
        index,
        cache,
    )
    scopes = [
        ["--group", "empty"],
        ["--group", "elsewhere"],
        ["--extra", "elsewhere"],
        ["--package", "member", "--group", "empty"],
        ["--package", "member", "--group", "elsewhere"],
        ["--package", "member", "--extra", "elsewhere"],
        ["--group", "nosuch"],
    ]
    views = assert_uv_agrees(root, tmp_path, cache, scopes, sync=["--no-install-workspace"])
    assert all(views[tuple(scope)].export_code == 0 for scope in scopes[:-1]), views
    assert views[("--group", "nosuch")].export_code == 2
    # Another empty group: a new scope, which the digest and `diff` see.
    added = (root / "pyproject.toml").read_text().replace("empty = []", "empty = []\nanother = []")
    member = (root / "member/pyproject.toml").read_text()
    other = locked(
        tmp_path / "other",
        {"pyproject.toml": added, "member/pyproject.toml": member},
        index,
        cache,
    )
    assert compute_digest(read_project(other)) != compute_digest(read_project(root))
    assert "app: group another added" in lockstrip("diff", root, other).stdout


# --- groups that include groups ----------------------------------------------------------------


def test_included_groups_keep_their_requires_python(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    # `test` includes `typing`, which needs a newer Python than this one: uv refuses to
    # install `test` here. Dropping the include made the export plan an install of it.
    member = f"""
        [project]
        name = "member"
        version = "0.1.0"
        requires-python = ">=3.10"

        [dependency-groups]
        test = ["gamma", {{include-group = "typing"}}]
        typing = ["beta"]

        [tool.uv.dependency-groups]
        typing = {{requires-python = "{NEWER_PYTHON}"}}
        """
    root = locked(
        tmp_path / "p",
        {
            "pyproject.toml": member.replace('"member"', '"app"')
            + '\n[tool.uv.workspace]\nmembers = ["member"]\n',
            "member/pyproject.toml": PYPROJECT_HEADER + member,
        },
        index,
        cache,
    )
    scopes = [
        ["--group", "test"],
        ["--group", "typing"],
        ["--only-group", "test"],
        ["--all-groups"],
        ["--no-default-groups"],
        ["--package", "member", "--group", "test"],
        ["--package", "member", "--no-default-groups"],
    ]
    views = assert_uv_agrees(root, tmp_path, cache, scopes, sync=["--no-install-workspace"])
    refused = views[("--group", "test")]
    assert refused.export_code == 0 and refused.sync_code == 2, refused
    assert "requires-python" in refused.sync
    assert views[("--package", "member", "--group", "test")].sync_code == 2
    assert views[("--no-default-groups",)].sync_code == 0


def test_scoped_exports_keep_the_lock_revision_that_reads_group_metadata(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    # The root's default group `test` needs a newer Python than this one. From revision 5,
    # uv reads each package's groups from the lock, and `--package plugin` installs plugin
    # here; from a lock of an older revision, uv holds plugin's install to the root's
    # default groups and refuses. A scoped export written as revision 3 refused it.
    root = locked(
        tmp_path / "p",
        {
            "pyproject.toml": PYPROJECT_HEADER
            + f"""
                [project]
                name = "app"
                version = "0.1.0"
                requires-python = ">=3.10"
                dependencies = ["alpha", "plugin"]

                [dependency-groups]
                test = ["gamma"]

                [tool.uv]
                default-groups = ["test"]

                [tool.uv.dependency-groups]
                test = {{requires-python = "{NEWER_PYTHON}"}}

                [tool.uv.sources]
                plugin = {{workspace = true}}

                [tool.uv.workspace]
                members = ["plugin"]
                """,
            "plugin/pyproject.toml": PYPROJECT_HEADER
            + """
                [project]
                name = "plugin"
                version = "0.1.0"
                requires-python = ">=3.10"
                dependencies = ["beta"]
                """,
        },
        index,
        cache,
    )
    assert load(root / "uv.lock")["revision"] >= 5  # the shape under test, as uv writes it
    scopes = [
        ["--package", "plugin"],
        ["--package", "plugin", "--no-dev"],
        ["--package", "plugin", "--group", "test"],
        ["--no-dev"],
    ]
    views = assert_uv_agrees_scoped(root, tmp_path, cache, scopes)
    assert views[("--package", "plugin")].sync_code == 0, views
    assert "beta==2.0" in views[("--package", "plugin")].export
    refused = views[("--no-dev",)]
    assert refused.sync_code == 2 and "requires-python" in refused.sync, refused


# --- the legacy [tool.uv] dev-dependencies ------------------------------------------------------

LEGACY_SCOPES = [[], ["--group", "dev"], ["--only-dev"], ["--no-dev"], ["--all-groups"]]


@pytest.mark.parametrize(
    "files",
    [
        {  # a project-less root: uv writes the group into [manifest]
            "pyproject.toml": """
                [tool.uv]
                dev-dependencies = ["gamma"]

                [dependency-groups]
                lint = ["alpha"]
                """
        },
        {  # a project
            "pyproject.toml": """
                [project]
                name = "app"
                version = "1.0.0"
                requires-python = ">=3.10"
                dependencies = ["alpha"]

                [tool.uv]
                dev-dependencies = ["gamma"]
                """
        },
        {  # a workspace member
            "pyproject.toml": """
                [project]
                name = "app"
                version = "1.0.0"
                requires-python = ">=3.10"
                dependencies = ["alpha"]

                [tool.uv.workspace]
                members = ["member"]
                """,
            "member/pyproject.toml": """
                [project]
                name = "member"
                version = "1.0.0"
                requires-python = ">=3.10"

                [tool.uv]
                dev-dependencies = ["gamma"]
                """,
        },
    ],
    ids=["project-less", "project", "member"],
)
def test_legacy_dev_dependencies_stay_a_group(
    files: dict[str, str], tmp_path: Path, index: Index, cache: Path
) -> None:
    root = locked(tmp_path / "p", files, index, cache)
    scopes = LEGACY_SCOPES
    if "member/pyproject.toml" in files:
        scopes = [[*scope, "--package", "member"] for scope in LEGACY_SCOPES]
    views = assert_uv_agrees(root, tmp_path, cache, scopes, sync=["--no-install-workspace"])
    with_dev = views[tuple(scopes[1])]
    assert with_dev.export_code == 0 and "gamma==3.0" in with_dev.export, with_dev


# --- path dependencies that are not workspace members -------------------------------------------

PATH_DEPS = {
    "pyproject.toml": PYPROJECT_HEADER
    + """
        [project]
        name = "app"
        version = "1.2.3"
        requires-python = ">=3.10"
        dependencies = ["alpha", "libx[e]", "liby", "libz"]

        [tool.uv.sources]
        libx = { path = "libs/x", editable = true }
        liby = { path = "libs/y" }
        libz = { path = "libs/z", editable = false }
        """,
    "libs/x/pyproject.toml": PYPROJECT_HEADER
    + """
        [project]
        name = "libx"
        version = "0.4.0"
        description = "an editable path dependency"
        requires-python = ">=3.10"
        dependencies = ["beta"]

        [project.optional-dependencies]
        e = []

        [dependency-groups]
        dev = ["gamma"]
        """,
    "libs/y/pyproject.toml": PYPROJECT_HEADER
    + """
        [project]
        name = "liby"
        version = "0.5.0"
        requires-python = ">=3.10"
        """,
    "libs/z/pyproject.toml": PYPROJECT_HEADER
    + """
        [project]
        name = "libz"
        version = "0.6.0"
        requires-python = ">=3.10"
        """,
}


def test_path_dependencies_inside_the_project_are_planned(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    # uv's install plan looks every local package up at its path, even with
    # --no-install-project; the frozen export used to leave path dependencies out.
    root = locked(tmp_path / "p", PATH_DEPS, index, cache)
    for sync in (["--no-install-project"], ["--no-install-workspace"], []):
        views = assert_uv_agrees(root, tmp_path, cache, [[], ["--all-groups"]], sync=sync)
        assert views[()].sync_code == 0 and "libx" in views[()].sync, views[()]
    exported = read_project(tmp_path / "export-frozen")
    assert {m.path for m in exported.members} == {"libs/x", "libs/y", "libs/z"}
    skeleton = load(tmp_path / "export-frozen" / "libs/x/pyproject.toml")
    assert skeleton["project"] == {"name": "libx", "version": "0.0.0", "requires-python": ">=3.10"}
    # Their metadata is static, so uv validates the locked export without building them.
    assert run_uv(["lock", "--check"], root, cache).returncode == 0
    check = run_uv(["lock", "--check"], tmp_path / "export-locked", cache)
    assert check.returncode == 0, check.stderr


def test_a_path_dependency_version_bump_changes_nothing(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    root = locked(tmp_path / "p", PATH_DEPS, index, cache)
    before = {mode: build_export(read_project(root), mode).files for mode in MODES}
    digest = compute_digest(read_project(root))
    for rel, old, new in (("libs/x", "0.4.0", "0.4.1"), ("libs/y", "0.5.0", "1.0.0")):
        pyproject = root / rel / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace(old, new))
    lock_project(root, index.url, cache)
    assert 'version = "0.4.1"' in (root / "uv.lock").read_text()
    assert {mode: build_export(read_project(root), mode).files for mode in MODES} == before
    assert compute_digest(read_project(root)) == digest


def test_a_path_dependency_without_pyproject(tmp_path: Path, index: Index, cache: Path) -> None:
    """A setup.py path dependency has no pyproject.toml to strip: its skeleton comes from the
    lock. (Locked here with a pyproject, then turned into a setup.py project: building one
    for real would need setuptools, which the test index does not serve.)"""
    root = locked(tmp_path / "p", PATH_DEPS, index, cache)
    (root / "libs/y/pyproject.toml").unlink()
    (root / "libs/y/setup.py").write_text("from setuptools import setup\nsetup(name='liby')\n")
    views = assert_uv_agrees(
        root, tmp_path, cache, [[]], sync=["--no-install-project"], modes=["frozen"]
    )
    assert views[()].sync_code == 0 and "liby" in views[()].sync, views[()]
    skeleton = load(tmp_path / "export-frozen" / "libs/y/pyproject.toml")
    assert skeleton == {"project": {"name": "liby", "version": "0.0.0"}}


def test_path_dependencies_still_need_no_install_local(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    """A real install builds path dependencies, so it needs their source: the download stage
    skips them with --no-install-local (--no-install-project and --no-install-workspace do
    not), and then installs what the original does."""
    root = locked(tmp_path / "p", PATH_DEPS, index, cache)
    out = export_to(root, tmp_path / "export")
    warnings = build_export(read_project(root)).warnings
    assert any("--no-install-local" in w and "libx, liby, libz" in w for w in warnings)
    dockerfile = lockstrip("dockerfile", root)
    assert "uv sync --frozen --no-install-local --no-dev" in dockerfile.stdout
    installed = []
    for folder in (root, out):
        result = run_uv(
            [
                "sync",
                "--frozen",
                "--no-offline",
                "--default-index",
                index.url,
                "--no-install-local",
            ],
            folder,
            cache,
        )
        assert result.returncode == 0, result.stderr
        installed.append(
            sorted(line for line in result.stderr.splitlines() if line.startswith(" + "))
        )
    assert installed[0] == installed[1] == [" + alpha==1.0", " + beta==2.0"]


def test_virtual_path_dependencies_are_never_built(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    """A path dependency with `package = false` is not installed, only its dependencies:
    the download stage needs no --no-install-local for it, and installs what the original
    does."""
    root = locked(
        tmp_path / "p",
        {
            "pyproject.toml": """
                [project]
                name = "app"
                version = "1.0.0"
                requires-python = ">=3.10"
                dependencies = ["alpha", "libv"]

                [tool.uv.sources]
                libv = { path = "libs/v" }
                """,
            "libs/v/pyproject.toml": """
                [project]
                name = "libv"
                version = "0.4.0"
                requires-python = ">=3.10"
                dependencies = ["gamma"]

                [tool.uv]
                package = false
                """,
        },
        index,
        cache,
    )
    assert '{ virtual = "libs/v" }' in (root / "uv.lock").read_text()
    assert_uv_agrees(root, tmp_path, cache, [[]], sync=["--no-install-project"])
    assert build_export(read_project(root)).warnings == ()
    assert "uv sync --frozen --no-install-project --no-dev" in lockstrip("dockerfile", root).stdout
    installed = []
    for folder in (root, tmp_path / "export-frozen"):
        args = ["sync", "--frozen", "--no-offline", "--default-index", index.url]
        result = run_uv([*args, "--no-install-project"], folder, cache)
        assert result.returncode == 0, result.stderr
        installed.append(
            sorted(line for line in result.stderr.splitlines() if line.startswith(" + "))
        )
    assert installed[0] == installed[1] == [" + alpha==1.0", " + gamma==3.0"]


def test_path_archives_are_skipped_in_the_download_stage(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    """A wheel in the project's tree (`{ path = "dist/x.whl" }`) is not in the export: uv
    cannot plan its install there, so the download stage must skip it as a local package,
    and lockstrip says so (`export` warns, `dockerfile` passes --no-install-local)."""
    root = make_project(
        tmp_path / "p",
        {
            "pyproject.toml": """
                [project]
                name = "app"
                version = "1.0.0"
                requires-python = ">=3.10"
                dependencies = ["alpha", "vend"]

                [tool.uv.sources]
                vend = { path = "dist/vend-1.0-py3-none-any.whl" }
                """
        },
    )
    (root / "dist").mkdir()
    write_wheel(root / "dist", "vend", "1.0")
    lock_project(root, index.url, cache)
    views = assert_uv_agrees(
        root, tmp_path, cache, [[], ["--all-groups"]], sync=["--no-install-local"]
    )
    assert views[()].sync_code == 0 and "alpha" in views[()].sync and "vend" not in views[()].sync
    warnings = build_export(read_project(root)).warnings
    assert any("(vend)" in w and "--no-install-local" in w for w in warnings), warnings
    assert "uv sync --frozen --no-install-local --no-dev" in lockstrip("dockerfile", root).stdout


# --- locks with no [[package]] ------------------------------------------------------------------


@pytest.mark.parametrize(
    "pyproject",
    [
        "[dependency-groups]\ndev = []\n",
        "[tool.uv.workspace]\nmembers = []\n\n[dependency-groups]\nlint = []\n",
    ],
    ids=["project-less", "empty-workspace"],
)
def test_a_lock_without_packages(pyproject: str, tmp_path: Path, index: Index, cache: Path) -> None:
    root = locked(tmp_path / "p", {"pyproject.toml": pyproject}, index, cache)
    assert "package" not in load(root / "uv.lock")  # the shape under test, as uv writes it
    group = "dev" if "dev" in pyproject else "lint"
    assert_uv_agrees(root, tmp_path, cache, [[], ["--no-dev"], ["--group", group]])
    commands: list[list[str | Path]] = [
        ["export", root, "--out", tmp_path / "scoped", "--no-dev"],
        ["check", root, "--out", tmp_path / "scoped"],
        ["digest", root, "--no-dev"],
        ["digest", root, "--group", group, "--format", "json"],
        ["digest", root],
        ["diff", root, tmp_path / "export-frozen"],
        ["dockerfile", root],
    ]
    for args in commands:
        result = lockstrip(*args)
        assert result.returncode == 0, (args, result.stderr)
    assert "package" not in load(tmp_path / "scoped" / "uv.lock")


def test_legacy_dev_dependencies_are_kept_by_name_only(
    tmp_path: Path, index: Index, cache: Path
) -> None:
    """A tightened specifier with the same resolution changes neither export nor digest."""
    roots = [
        locked(
            tmp_path / name,
            {"pyproject.toml": f'[tool.uv]\ndev-dependencies = ["{requirement}"]\n'},
            index,
            cache,
        )
        for name, requirement in (("a", "gamma"), ("b", "gamma>=3"))
    ]
    assert load(roots[0] / "uv.lock") != load(roots[1] / "uv.lock")
    exports = [build_export(read_project(root)).files for root in roots]
    assert exports[0] == exports[1]
    assert "dev-dependencies = []" in exports[0]["pyproject.toml"]
