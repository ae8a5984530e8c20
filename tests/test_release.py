"""The release: every place that names lockstrip's version names the same one, the sdist and the
wheel hold what ci/release_check.py requires of them, and the release workflow publishes the
files that check built.

The check itself (python -m build, twine, installs into fresh environments) needs the package
index and half a minute; `.ci/run` and .github/workflows/release.yml run it. Here its rules run
on artifacts hatchling builds in-process, offline, and on planted defects, to show each rule
can fail.
"""

from __future__ import annotations

import email.parser
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from helpers import REPO

import lockstrip
from lockstrip.formats.uv.render.dockerfile_inputs import parse_lockstrip_spec

sys.path.insert(0, str(REPO))

from ci import release_check as rc

VERSION = rc.package_version(REPO)
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def pyproject() -> dict[str, Any]:
    return rc.load_pyproject(REPO)


# --- one version everywhere --------------------------------------------------------------------


def test_every_place_names_the_version() -> None:
    assert rc.version_problems(REPO) == []


def test_the_running_lockstrip_and_the_dockerfile_pin_are_that_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lockstrip", "--version"], capture_output=True, text=True
    )
    assert done.stdout == f"lockstrip {VERSION}\n"
    assert lockstrip.__version__ == VERSION
    assert parse_lockstrip_spec(None).requirement == f"lockstrip=={VERSION}"


def test_pyproject_takes_the_version_from_the_package() -> None:
    assert rc.single_source_problems(pyproject()) == []
    # The layout before the release check: a second, static copy that nothing tied to the first.
    static = pyproject()
    static["project"]["version"] = VERSION
    static["project"]["dynamic"].remove("version")
    assert rc.single_source_problems(static) != []


def _tree(tmp_path: Path) -> Path:
    """A copy of the files the places name, and pyproject.toml."""
    root = tmp_path / "tree"
    for name in ["pyproject.toml", *(n for p in rc.PLACES for n in _files(REPO, p))]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, root / name)
    return root


def _files(root: Path, place: rc.Place) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.glob(place.files))


PLANTED = [pytest.param(p, id=f"{p.files}#{i}") for i, p in enumerate(rc.PLACES[1:], 1)]


@pytest.mark.parametrize("place", PLANTED)
def test_a_disagreement_planted_in_one_place_is_found(place: rc.Place, tmp_path: Path) -> None:
    root = _tree(tmp_path)
    first = _files(root, place)[0]
    text = (root / first).read_text(encoding="utf-8")
    match = re.search(place.pattern, text, re.MULTILINE)
    assert match is not None
    planted = text[: match.start(1)] + "9.9.9" + text[match.end(1) :]
    (root / first).write_text(planted, encoding="utf-8")
    problems = rc.version_problems(root)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{first}:") and "'9.9.9'" in problems[0]


def test_a_bump_of_the_package_alone_is_found_everywhere_else(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    init = root / "lockstrip" / "__init__.py"
    init.write_text(init.read_text().replace(f'"{VERSION}"', '"9.9.9"'))
    problems = rc.version_problems(root)
    blank = [m for p in rc.PLACES[1:] for m in rc.mentions(root, p) if not m.version]
    named = sum(len(rc.mentions(root, p)) for p in rc.PLACES[1:]) - len(blank)
    assert len(problems) == named > 10


def test_a_place_that_stops_naming_a_version_is_found(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    template = root / "ci" / "lockstrip.gitlab-ci.yml"
    text = template.read_text()
    template.write_text(re.sub(r"LOCKSTRIP_SPEC: .*", "LOCKSTRIP_SPEC: lockstrip", text))
    problems = rc.version_problems(root)
    assert problems == [
        "ci/lockstrip.gitlab-ci.yml: names no version any more "
        "(the GitLab job installs this release by default)"
    ]


@pytest.mark.parametrize(
    ("tag", "heading", "problems"),
    [
        ("v1.2.0", "## 1.2.0 (2026-12-07)", 0),
        ("1.2.0", "## 1.2.0 (2026-12-07)", 1),
        ("v1.2.1", "## 1.2.0 (2026-12-07)", 1),
        ("v1.2.0", "## 1.1.9 (2026-12-07)", 1),
        ("v1.2.0", "## 1.2.0 (unreleased)", 1),
        ("v1.2.0", "## 1.2.0", 1),
    ],
)
def test_a_tag_names_the_version_and_the_changelog_dates_it(
    tag: str, heading: str, problems: int
) -> None:
    changelog = f"# Changelog\n\n{heading}\n\n- a change\n\n## 1.1.0 (2026-11-01)\n"
    assert len(rc.tag_problems(tag, "1.2.0", changelog)) == problems


# --- the artifacts -----------------------------------------------------------------------------


def _build(kind: str, source: Path, out: Path) -> Path:
    """Build with hatchling's PEP 517 hooks in-process: offline, the rules' input in a second."""
    out.mkdir(parents=True, exist_ok=True)
    code = f"import sys, hatchling.build as b; print(b.build_{kind}(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)], cwd=source, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The sdist, the wheel built from the unpacked sdist, and a wheel built from the tree."""
    home = tmp_path_factory.mktemp("built")
    sdist = _build("sdist", REPO, home / "dist")
    with tarfile.open(sdist) as archive:
        archive.extractall(home / "unpacked", filter="data")
    unpacked = home / "unpacked" / f"lockstrip-{VERSION}"
    wheel = _build("wheel", unpacked, home / "dist")
    return sdist, wheel, _build("wheel", REPO, home / "tree")


def test_the_sdist_holds_the_package_and_what_rebuilds_it(built: tuple[Path, Path, Path]) -> None:
    assert rc.sdist_problems(built[0], VERSION, REPO) == []


def test_the_wheel_holds_the_package_its_entry_point_and_metadata(
    built: tuple[Path, Path, Path],
) -> None:
    _, wheel, from_tree = built
    assert rc.wheel_problems(wheel, VERSION, REPO) == []
    assert rc.rebuild_problems(wheel, from_tree) == []


def test_a_loose_sdist_include_is_found(tmp_path: Path) -> None:
    # pyproject.toml's include patterns before they were anchored: "README.md" matches at any
    # depth, so the sdist took the READMEs of examples/ and fixtures/.
    root = tmp_path / "tree"
    for name in ("lockstrip", "README.md", "CHANGELOG.md", "pyproject.toml", ".gitignore"):
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copyfile
        copy(REPO / name, root / name)
    (root / "fixtures").mkdir()
    (root / "fixtures" / "README.md").write_text("the test data\n")
    text = (root / "pyproject.toml").read_text()
    loose = re.sub(
        r"(?m)^include = .*$", 'include = ["lockstrip", "README.md", "CHANGELOG.md"]', text
    )
    (root / "pyproject.toml").write_text(loose)
    sdist = _build("sdist", root, tmp_path / "dist")
    assert rc.sdist_problems(sdist, VERSION, root) == [
        f"lockstrip-{VERSION}.tar.gz: unexpected fixtures/README.md"
    ]


def _rewrite(wheel: Path, target: Path, drop: str, add: str) -> Path:
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(target, "w") as copy:
        for item in source.infolist():
            if item.filename != drop:
                copy.writestr(item, source.read(item))
        copy.writestr(add, "def test_nothing() -> None: ...\n")
    return target


def test_a_wheel_with_tests_and_without_py_typed_is_found(
    built: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    broken = _rewrite(built[1], tmp_path / built[1].name, "lockstrip/py.typed", "tests/test_x.py")
    assert rc.wheel_problems(broken, VERSION, REPO) == [
        f"{broken.name}: missing lockstrip/py.typed",
        f"{broken.name}: unexpected tests/test_x.py",
    ]
    assert rc.rebuild_problems(broken, built[2]) != []


def _metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(f"lockstrip-{VERSION}.dist-info/METADATA").decode()


def test_metadata_that_is_not_pyprojects_is_found(built: tuple[Path, Path, Path]) -> None:
    text = _metadata(built[1])
    requires = email.parser.HeaderParser().parsestr(text).get_all("Requires-Dist")
    assert requires is not None
    runtime = next(line for line in requires if "extra ==" not in line)
    dropped = text.replace(f"Requires-Dist: {runtime}\n", "")
    loosened = text.replace("Requires-Dist: packaging>=23", "Requires-Dist: packaging>=22")
    no_extra = text.replace("Provides-Extra: test\n", "")
    other_python = text.replace("Requires-Python: >=3.10", "Requires-Python: >=3.11")
    assert rc.metadata_problems(text, VERSION, pyproject()) == []
    for broken in (dropped, loosened, no_extra, other_python):
        assert broken != text
        assert len(rc.metadata_problems(broken, VERSION, pyproject())) == 1, broken
    assert len(rc.metadata_problems(text, "9.9.9", pyproject())) == 1


def test_an_entry_point_that_is_not_pyprojects_is_found() -> None:
    good = "[console_scripts]\nlockstrip = lockstrip._main:main\n"
    assert rc.entry_point_problems(good, pyproject()) == []
    assert rc.entry_point_problems(good.replace("_main:main", "_cli:main"), pyproject()) != []
    assert rc.entry_point_problems("[gui_scripts]\n", pyproject()) != []


# --- the workflow and CI -----------------------------------------------------------------------


def test_the_workflow_publishes_what_the_release_check_built(tmp_path: Path) -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the key `on` as True.
    assert workflow[True] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    commands = [step.get("run", "") for step in build["steps"]]
    check = [c for c in commands if "ci/release_check.py" in c]
    assert check == ['python ci/release_check.py --tag "$GITHUB_REF_NAME" --dist dist\n']
    (upload,) = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-")]
    (download,) = [s for s in publish["steps"] if s.get("uses", "").startswith("actions/down")]
    assert upload["with"]["name"] == download["with"]["name"]
    assert upload["with"]["path"] == download["with"]["path"] == "dist/"
    assert publish["needs"] == "build"
    assert publish["environment"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert "id-token" not in build.get("permissions", {})
    assert publish["steps"][-1]["uses"] == "pypa/gh-action-pypi-publish@release/v1"
    # The publish job runs nothing of the repository: no checkout, no build, no script.
    assert [s for s in publish["steps"] if "run" in s or "checkout" in s.get("uses", "")] == []
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_runs_the_release_check() -> None:
    script = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^python3 ci/release_check\.py$", script, re.MULTILINE)
