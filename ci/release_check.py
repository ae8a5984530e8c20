#!/usr/bin/env python3
"""The release check: build lockstrip's sdist and wheel once, check them, install each into a
fresh virtual environment and run it, so that a broken artifact never reaches a tag.

    python ci/release_check.py [--tag vX.Y.Z] [--dist DIR]

`.ci/run` runs it on every change, the release workflow on every tag (with `--tag`, and
`--dist` to hand the very files it checked to the publish job). Steps, in order:

* every place that names lockstrip's version (README, examples, CI templates, docs, CHANGELOG)
  names the one in lockstrip/__init__.py; with `--tag`, the tag is `v<version>` and the
  CHANGELOG heading of that version is dated;
* `python -m build`: the sdist, then the wheel from the sdist, each in an isolated build
  environment with only `[build-system] requires`; these two files are the release;
* a second wheel straight from the source tree must hold the same files with the same hashes,
  which proves that the sdist holds everything the wheel is made of;
* `twine check --strict`; the wheel's files, entry point and metadata against pyproject.toml;
  the sdist's files;
* the wheel and the sdist, each pip-installed into a fresh virtual environment, run
  `lockstrip --version`, `python -m lockstrip --help` and `lockstrip digest` on
  examples/single-project, from a folder where the source tree cannot be imported.

build and twine are pinned below and installed into a scratch environment, not listed in the
test extra: the workflow then needs nothing but a Python, the check does not change on a day
nothing here changed, and the test environment stays free of twine and its 30 dependencies.
"""

from __future__ import annotations

import argparse
import configparser
import email.parser
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import venv
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOOLS = ("build==1.6.1", "twine==7.0.0")
SMOKE_PROJECT = REPO / "examples" / "single-project"
#: Set in the second process, the one that runs inside the tools' environment: its scratch folder.
_SCRATCH = "LOCKSTRIP_RELEASE_SCRATCH"
#: Besides the package, the sdist holds what rebuilds it and what its metadata names; hatchling
#: adds .gitignore itself, to rebuild with the same file selection.
SDIST_EXTRA = frozenset({"PKG-INFO", "pyproject.toml", "README.md", "CHANGELOG.md", ".gitignore"})
_DIST_INFO = frozenset({"METADATA", "WHEEL", "RECORD", "entry_points.txt"})
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class CheckFailed(Exception):
    """A step of the release check failed; the message says which and why."""


# --- where the version is named ------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Files that name lockstrip's version, and how: `pattern`'s first group is the version."""

    files: str  # a glob, relative to the repository
    pattern: str
    why: str
    latest_only: bool = False  # only the first match counts (older releases name older ones)
    blank_ok: bool = False  # an empty group means "this checkout", the same version by construction


PLACES = (
    Place(
        "lockstrip/__init__.py",
        r'^__version__ = "([^"]*)"$',
        "the one source: hatch reads it into the metadata, `lockstrip --version` prints it, "
        "`lockstrip dockerfile` pins it",
    ),
    Place(
        "CHANGELOG.md",
        r"^## (\S+)",
        "the latest heading is the release being cut",
        latest_only=True,
    ),
    Place(
        "README.md",
        r"\blockstrip==([^\s\"']+)",
        "the quick start's Dockerfile installs this release",
    ),
    Place(
        "examples/README.md",
        r"\blockstrip==([^\s\"']+)",
        "the Dockerfile the examples show installs this release",
    ),
    Place(
        "examples/*/Dockerfile",
        r"\blockstrip==([^\s\"']+)",
        "committed output of `lockstrip dockerfile`, which pins the release that printed it",
    ),
    Place(
        "examples/*/Dockerfile",
        r"^# Dockerfile .*\(lockstrip ([^)]*)\)\.$",
        "the header names the release that printed the file",
    ),
    Place(
        "action.yml",
        r'^  lockstrip-spec:\n(?:    .*\n)*?    default: "(?:lockstrip==)?([^"]*)"$',
        "blank installs the action's own checkout; a version must be this one",
        blank_ok=True,
    ),
    Place(
        "ci/lockstrip.gitlab-ci.yml",
        r"^    LOCKSTRIP_SPEC: \"?lockstrip==([^\s\"]+)",
        "the GitLab job installs this release by default",
    ),
    Place(
        "ci/lockstrip.gitlab-ci.yml",
        r"/lockstrip/lockstrip/v([^/\s]+)/ci/lockstrip\.gitlab-ci\.yml",
        "the include line the template shows names its own tag",
    ),
    Place(
        "docs/ci.md",
        r"\blockstrip/lockstrip@v(\S+)",
        "the `uses:` lines pin the action to this release's tag",
    ),
    Place(
        "docs/ci.md",
        r"/lockstrip/lockstrip/v([^/\s]+)/ci/lockstrip\.gitlab-ci\.yml",
        "the GitLab include names this release's tag",
    ),
    Place(
        "docs/pre-commit.md",
        r"^\s*rev: v(\S+)",
        "the pre-commit `rev:` is this release's tag",
    ),
)


@dataclass(frozen=True)
class Mention:
    where: str  # file:line
    version: str  # "" for a blank_ok place that names none


def mentions(root: Path, place: Place) -> list[Mention]:
    """The versions a place names, each with its file and line."""
    found: list[Mention] = []
    for name in sorted(glob.glob(place.files, root_dir=root)):
        text = (root / name).read_text(encoding="utf-8")
        for match in re.finditer(place.pattern, text, re.MULTILINE):
            line = text.count("\n", 0, match.start(1)) + 1
            found.append(Mention(f"{name}:{line}", match.group(1)))
            if place.latest_only:
                break
    return found


def load_pyproject(root: Path) -> dict[str, Any]:
    # Imported here: the first process, which only installs the tools, runs on any Python
    # 3.10 without tomli; the second runs in the tools' environment, where build brings it.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    data: dict[str, Any] = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def package_version(root: Path) -> str:
    (source,) = mentions(root, PLACES[0])
    return source.version


def version_problems(root: Path) -> list[str]:
    """Each place that does not name the version of lockstrip/__init__.py, or names none."""
    pyproject = load_pyproject(root)
    problems = single_source_problems(pyproject)
    version = package_version(root)
    for place in PLACES[1:]:
        found = mentions(root, place)
        if not found:
            problems.append(f"{place.files}: names no version any more ({place.why})")
        for mention in found:
            if mention.version != version and not (place.blank_ok and not mention.version):
                problems.append(
                    f"{mention.where}: names {mention.version!r}, lockstrip/__init__.py "
                    f"{version!r} ({place.why})"
                )
    return problems


def single_source_problems(pyproject: dict[str, Any]) -> list[str]:
    """pyproject.toml must take the version from lockstrip/__init__.py, not hold a second one."""
    project = pyproject.get("project", {})
    source = pyproject.get("tool", {}).get("hatch", {}).get("version", {}).get("path")
    if "version" in project or "version" not in project.get("dynamic", []):
        return ["pyproject.toml: the version must be dynamic, read from lockstrip/__init__.py"]
    if source != "lockstrip/__init__.py":
        return [
            f"pyproject.toml: [tool.hatch.version] path is {source!r}, not lockstrip/__init__.py"
        ]
    return []


def tag_problems(tag: str, version: str, changelog: str) -> list[str]:
    """A tag releases the version it names, and the CHANGELOG says when."""
    problems = []
    if tag != f"v{version}":
        problems.append(f"tag {tag!r} is not v{version}, the version lockstrip/__init__.py holds")
    heading = re.search(r"^## (\S+)(.*)$", changelog, re.MULTILINE)
    dated = r"^ \(\d{4}-\d{2}-\d{2}\)$"
    if heading is None or heading.group(1) != version or not re.match(dated, heading.group(2)):
        got = heading.group(0) if heading else "no heading"
        problems.append(
            f"CHANGELOG.md: the latest heading must be '## {version} (YYYY-MM-DD)', not {got!r}"
        )
    return problems


# --- what the artifacts hold ------------------------------------------------------------------


def package_files(root: Path) -> set[str]:
    """The files the wheel holds besides its metadata: the package as it is in the tree."""
    package = root / "lockstrip"
    return {
        path.relative_to(root).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def wheel_problems(wheel: Path, version: str, root: Path) -> list[str]:
    """The wheel holds the package and its metadata, and its metadata is pyproject.toml's."""
    pyproject = load_pyproject(root)
    info = f"lockstrip-{version}.dist-info"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        read = {
            name: archive.read(f"{info}/{name}").decode()
            for name in _DIST_INFO & {name.removeprefix(f"{info}/") for name in names}
        }
    problems = _difference(
        wheel.name, names - {f"{info}/{n}" for n in _DIST_INFO}, package_files(root)
    )
    problems += [f"{wheel.name}: no {info}/{name}" for name in sorted(_DIST_INFO - set(read))]
    if "METADATA" in read:
        problems += metadata_problems(read["METADATA"], version, pyproject)
    if "entry_points.txt" in read:
        problems += entry_point_problems(read["entry_points.txt"], pyproject)
    return problems


def sdist_problems(sdist: Path, version: str, root: Path) -> list[str]:
    """The sdist holds the package, what rebuilds it and what its metadata names; nothing else
    (no tests, fixtures or stray files a loose include pattern picks up)."""
    top = f"lockstrip-{version}/"
    with tarfile.open(sdist) as archive:
        names = [member.name for member in archive.getmembers() if member.isfile()]
    outside = [name for name in names if not name.startswith(top)]
    if outside:
        return [f"{sdist.name}: files outside {top}: {', '.join(sorted(outside))}"]
    inside = {name.removeprefix(top) for name in names}
    return _difference(sdist.name, inside, package_files(root) | SDIST_EXTRA)


def _difference(archive: str, held: set[str], expected: set[str]) -> list[str]:
    problems = []
    if missing := expected - held:
        problems.append(f"{archive}: missing {', '.join(sorted(missing))}")
    if unexpected := held - expected:
        problems.append(f"{archive}: unexpected {', '.join(sorted(unexpected))}")
    return problems


def metadata_problems(text: str, version: str, pyproject: dict[str, Any]) -> list[str]:
    """METADATA against [project]: name, version, Requires-Python, Requires-Dist, extras."""
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    project = pyproject["project"]
    message = email.parser.HeaderParser().parsestr(text)
    problems = []
    if message["Name"] != project["name"] or message["Version"] != version:
        problems.append(
            f"METADATA names {message['Name']} {message['Version']}, not lockstrip {version}"
        )
    if SpecifierSet(message["Requires-Python"] or "") != SpecifierSet(project["requires-python"]):
        problems.append(f"METADATA: Requires-Python {message['Requires-Python']!r}")
    runtime: set[str] = set()
    extras: dict[str, set[str]] = {}
    for line in message.get_all("Requires-Dist", []):
        requirement = Requirement(line)
        extra = re.search(r"\bextra == \"([^\"]+)\"", str(requirement.marker or ""))
        if extra is None:
            runtime.add(str(requirement))
        else:
            extras.setdefault(canonicalize_name(extra.group(1)), set()).add(
                _without_marker(requirement)
            )
    expected = {str(Requirement(line)) for line in project.get("dependencies", [])}
    if runtime != expected:
        problems.append(
            f"METADATA: Requires-Dist {sorted(runtime)} is not pyproject's dependencies "
            f"{sorted(expected)}"
        )
    optional = {
        canonicalize_name(name): {_without_marker(Requirement(line)) for line in lines}
        for name, lines in project.get("optional-dependencies", {}).items()
    }
    provided = {canonicalize_name(name) for name in message.get_all("Provides-Extra", [])}
    if provided != set(optional) or extras != {k: v for k, v in optional.items() if v}:
        problems.append("METADATA: the extras differ from pyproject's optional-dependencies")
    return problems


def _without_marker(requirement: Any) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


def entry_point_problems(text: str, pyproject: dict[str, Any]) -> list[str]:
    """The console scripts the wheel installs are [project.scripts] (`lockstrip`)."""
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    scripts = dict(parser["console_scripts"]) if parser.has_section("console_scripts") else {}
    expected = pyproject["project"].get("scripts", {})
    if scripts != expected:
        return [f"entry_points.txt: console_scripts {scripts} is not [project.scripts] {expected}"]
    return []


def contents(wheel: Path) -> dict[str, str]:
    """Each file of a wheel and the sha256 of its bytes (RECORD aside: it lists the rest)."""
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if not name.endswith(".dist-info/RECORD")
        }


def rebuild_problems(released: Path, from_tree: Path) -> list[str]:
    """The wheel built from the sdist and the one built from the tree hold the same bytes."""
    ours, reference = contents(released), contents(from_tree)
    differ = sorted(
        name for name in ours.keys() | reference.keys() if ours.get(name) != reference.get(name)
    )
    if differ:
        return [f"the wheel built from the sdist differs from the tree's in {', '.join(differ)}"]
    return []


# --- building, installing, running ------------------------------------------------------------


def run(
    command: Sequence[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    """Run a command; its stdout, or CheckFailed with everything it printed."""
    words = [str(word) for word in command]
    done = subprocess.run(words, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise CheckFailed(
            f"`{' '.join(words)}` exited with {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


@dataclass
class Clock:
    """Prints each step with the seconds it took: the check must stay well under 2 minutes."""

    start: float

    @classmethod
    def started(cls) -> Clock:
        return cls(time.monotonic())

    def lap(self, what: str) -> None:
        now = time.monotonic()
        print(f"release check: {what} ({now - self.start:.1f} s)", file=sys.stderr, flush=True)
        self.start = now


def only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise CheckFailed(f"{folder}: expected one {pattern}, found {[p.name for p in found]}")
    return found[0]


def smoke(artifact: Path, version: str, scratch: Path) -> str:
    """Install one artifact into a fresh virtual environment and run it; its digest of the
    smoke project. It runs from the scratch folder, so `python -m lockstrip` cannot import the
    source tree's package instead of the installed one."""
    kind = "wheel" if artifact.suffix == ".whl" else "sdist"
    home = scratch / f"smoke-{kind}"
    venv.create(home, with_pip=True)
    python, lockstrip = home / "bin" / "python", home / "bin" / "lockstrip"
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", artifact])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    problems = []
    printed = run([lockstrip, "--version"], cwd=scratch, env=env)
    if printed != f"lockstrip {version}\n":
        problems.append(f"{kind}: `lockstrip --version` printed {printed!r}")
    where = run([python, "-c", "import lockstrip; print(lockstrip.__file__)"], cwd=scratch, env=env)
    if not Path(where.strip()).is_relative_to(home):
        problems.append(f"{kind}: `import lockstrip` found {where.strip()}, not the installed one")
    usage = run([python, "-m", "lockstrip", "--help"], cwd=scratch, env=env)
    if not usage.startswith("usage: lockstrip "):
        problems.append(f"{kind}: `python -m lockstrip --help` printed {usage[:80]!r}")
    digest = run([lockstrip, "digest", SMOKE_PROJECT], cwd=scratch, env=env).strip()
    if not _DIGEST.fullmatch(digest):
        problems.append(f"{kind}: `lockstrip digest {SMOKE_PROJECT}` printed {digest!r}")
    if problems:
        raise CheckFailed("\n".join(problems))
    return digest


def check(tag: str | None, dist: Path | None, scratch: Path) -> None:
    clock = Clock.started()
    version = package_version(REPO)
    problems = version_problems(REPO)
    if tag is not None:
        problems += tag_problems(tag, version, (REPO / "CHANGELOG.md").read_text(encoding="utf-8"))
    if problems:
        raise CheckFailed("\n".join(problems))
    clock.lap(f"every place names {version}")

    # The release: the sdist, then the wheel built from the unpacked sdist.
    released = scratch / "dist"
    run([sys.executable, "-m", "build", "--outdir", released, REPO])
    sdist, wheel = only(released, "*.tar.gz"), only(released, "*.whl")
    clock.lap(f"built {sdist.name} and {wheel.name} from it")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", scratch / "tree", REPO])
    problems += rebuild_problems(wheel, only(scratch / "tree", "*.whl"))
    clock.lap("built a wheel from the tree to compare")

    run([sys.executable, "-m", "twine", "check", "--strict", sdist, wheel])
    problems += wheel_problems(wheel, version, REPO) + sdist_problems(sdist, version, REPO)
    if problems:
        raise CheckFailed("\n".join(problems))
    clock.lap("twine check --strict, contents and metadata")

    digests = {}
    for artifact in (wheel, sdist):
        digests[artifact.name] = smoke(artifact, version, scratch)
        clock.lap(f"installed {artifact.name} into a fresh environment and ran it")
    if len(set(digests.values())) != 1:
        raise CheckFailed(f"the wheel and the sdist print different digests: {digests}")

    if dist is not None:
        dist.mkdir(parents=True, exist_ok=True)
        if any(dist.iterdir()):
            raise CheckFailed(f"{dist}: not empty; the release is exactly the two files checked")
        for artifact in (sdist, wheel):
            shutil.copy2(artifact, dist)


def bootstrap(argv: Sequence[str]) -> int:
    """Install the pinned tools into a scratch environment and run the check there."""
    start = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="lockstrip-release-"))
    try:
        tools = scratch / "tools"
        venv.create(tools, with_pip=True)
        python = tools / "bin" / "python"
        try:
            run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *TOOLS])
        except CheckFailed as error:
            print(f"release check: {error}", file=sys.stderr)
            return 1
        env = {**os.environ, _SCRATCH: str(scratch)}
        code = subprocess.run([str(python), __file__, *argv], env=env).returncode
        verdict = "passed" if code == 0 else "FAILED"
        print(f"release check: {verdict} in {time.monotonic() - start:.0f} s", file=sys.stderr)
        return code
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tag", help="the tag being released (vX.Y.Z): must name the version")
    parser.add_argument("--dist", type=Path, help="an empty folder to copy the checked files to")
    options = parser.parse_args(arguments)
    scratch = os.environ.get(_SCRATCH)
    if scratch is None:
        return bootstrap(arguments)
    try:
        check(options.tag, options.dist, Path(scratch))
    except CheckFailed as error:
        print(f"release check: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
