"""Seeded Poetry projects over a universe of wheels served on 127.0.0.1, locked by real Poetry.

`generate(seed)` draws a project in one of the two pyproject styles Poetry reads:

* `[tool.poetry]` with name and version, `[tool.poetry.dependencies]` (Poetry's inline
  tables: `version`, `extras`, `markers`, `python`, `optional`, `source`, `path` with
  `develop`, `git` with `tag`/`branch`/`rev`, and lists of them for Python forks),
  `[tool.poetry.group.G]` (optional or not) and `[tool.poetry.extras]`;
* Poetry 2's `[project]` (PEP 508 `dependencies`, `[project.optional-dependencies]`), PEP 735
  `[dependency-groups]` and `[tool.poetry.group.G]`, with `[tool.poetry.dependencies]`
  enriching a `[project]` dependency with what PEP 508 cannot say (path, git, source).

Around it: directory members inside the tree (`libs/NAME`, their own `[tool.poetry]` version,
`develop = true` or not, depending on each other), a second index as a `[[tool.poetry.source]]`
(`supplemental`, or `explicit` with packages pinned by `source = "extra"`), a git dependency
(a local repository by `file://` URL), and the default index as the `primary` source, which
leaves PyPI out. Each choice is recorded as a feature name. The same seed gives the same
files in every run (URLs are placeholders that `Universe.fill` replaces).

`lock` runs `poetry lock` against the universe: not in a network namespace (a new one has
its own loopback, where the universe is not served), but with every proxy variable pointing
at a closed port and `NO_PROXY` naming 127.0.0.1 only, so a request anywhere else fails.

Poetry's schema: https://python-poetry.org/docs/pyproject/ and
https://python-poetry.org/docs/dependency-specification/.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e.index import Index, serve, write_wheel
from oracle.generate import render_toml

from poetry_oracle import clients, provision

__all__ = ["Case", "Dep", "Universe", "generate", "lock", "universe"]

_NOWHERE = "http://127.0.0.1:9"
POETRY_CORE = {"requires": ["poetry-core>=1.0.0"], "build-backend": "poetry.core.masonry.api"}
ROOT_PYTHON = ">=3.9"
#: The package the add-a-dependency comparison adds: in the universe, in no generated case.
PROBE = "probe"


# --- the universe -----------------------------------------------------------------------------


def _primary(folder: Path) -> None:
    for version in ("1.0", "1.1"):
        write_wheel(folder, "alpha", version)
    write_wheel(folder, "alpha", "2.0", requires_python=">=3.11")  # only a fork reaches it
    write_wheel(folder, "beta", "1.0", ["alpha"])
    write_wheel(
        folder,
        "beta",
        "2.0",
        ["alpha>=1.1"],
        extras={"fast": ["gamma>=0.1"], "all": ["gamma", "delta; python_version >= '3.9'"]},
    )
    for version in ("0.1", "0.2"):
        write_wheel(folder, "gamma", version)
    write_wheel(folder, "delta", "1.0", ["alpha>=1.0", "epsilon; sys_platform == 'win32'"])
    for tag in ("cp311-cp311-manylinux_2_17_x86_64", "py3-none-win_amd64", "py3-none-any"):
        write_wheel(folder, "epsilon", "1.0", tag=tag)
    write_wheel(folder, "eta", "1.0")
    write_wheel(folder, "theta", "1.0")
    write_wheel(folder, "kappa", "1.0", extras={"cli": ["gamma"]})
    write_wheel(folder, "mu", "1.0", ["nu; python_version < '3.11'", "alpha"])
    write_wheel(folder, "nu", "1.0", requires_python=">=3.8")
    write_wheel(folder, "nu", "2.0", requires_python=">=3.11")
    write_wheel(folder, PROBE, "1.0", ["gamma"])


def _extra(folder: Path) -> None:
    write_wheel(folder, "theta", "1.5")  # the explicit source's own theta
    write_wheel(folder, "iota", "1.0", ["gamma"])  # only here: supplemental or explicit


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def _git_repo(repo: Path) -> None:
    """gitpkg 0.1 (tag v0.1), 0.2 (main), 0.3 (branch feature): a poetry-core project, whose
    metadata Poetry reads without building it."""

    def write(version: str) -> None:
        doc = {
            "build-system": POETRY_CORE,
            "tool": {
                "poetry": {
                    "name": "gitpkg",
                    "version": version,
                    "description": "",
                    "authors": [],
                    "dependencies": {"python": ">=3.8", "gamma": "*"},
                }
            },
        }
        (repo / "pyproject.toml").write_text(render_toml(doc))
        (repo / "gitpkg").mkdir(exist_ok=True)
        (repo / "gitpkg" / "__init__.py").write_text(f'__version__ = "{version}"\n')

    repo.mkdir(parents=True)
    _git(repo.parent, "init", "-q", "-b", "main", repo.name)
    write("0.1")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "0.1")
    _git(repo, "tag", "v0.1")
    write("0.2")
    _git(repo, "commit", "-q", "-am", "0.2")
    _git(repo, "checkout", "-q", "-b", "feature")
    write("0.3")
    _git(repo, "commit", "-q", "-am", "0.3")
    _git(repo, "checkout", "-q", "main")


@dataclass(frozen=True)
class Universe:
    root: Path
    primary: Index
    extra: Index
    git: Path
    #: An empty virtual environment the dry runs plan against (`VIRTUAL_ENV`): Poetry would
    #: otherwise make one per call, a second each; a dry run installs nothing in it. Not for
    #: `poetry lock`, which clones git dependencies into the environment's `src`: two locks
    #: at once would clone into the same folder.
    venv: Path

    def fill(self, text: str) -> str:
        for key, value in (
            ("@PRIMARY@", self.primary.url),
            ("@EXTRA@", self.extra.url),
            ("@GIT@", self.git.as_uri()),
        ):
            text = text.replace(key, value)
        return text


@contextmanager
def universe(root: Path) -> Iterator[Universe]:
    """Builds the two indexes and the git repository under `root`, served until the end."""
    primary, extra = root / "primary", root / "extra"
    primary.mkdir(parents=True)
    extra.mkdir()
    _primary(primary)
    _extra(extra)
    _git_repo(root / "repo")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    with ExitStack() as stack:
        one = stack.enter_context(serve(primary))
        two = stack.enter_context(serve(extra))
        yield Universe(root, one, two, root / "repo", venv)


def lock(locker: str, project: Path, world: Universe, *args: str) -> clients.Result:
    """`poetry lock` in `project` against the universe, and nothing but 127.0.0.1."""
    argv = (str(provision.executable(locker)), "--no-plugins", "lock", *args)
    dead = {name: _NOWHERE for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    dead.update({"ALL_PROXY": _NOWHERE, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
    with tempfile.TemporaryDirectory(prefix="lockstrip-poetry-lock-") as scratch:
        done = subprocess.run(
            argv,
            cwd=project,
            env=clients._environment(Path(scratch), dead),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    return clients.Result(argv, done.returncode, done.stdout, done.stderr)


# --- the project model ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dep:
    """One dependency, written in either style."""

    name: str
    version: str = "*"  # Poetry's syntax: "*", ">=1.1", "0.1" (exactly)
    extras: tuple[str, ...] = ()
    markers: str | None = None
    python: str | None = None  # Poetry's `python = ...`: a python_version marker in PEP 508
    optional: bool = False
    source: str | None = None  # a [[tool.poetry.source]] name
    path: str | None = None  # relative to the declaring pyproject
    develop: bool = True
    git: dict[str, str] | None = None  # {"tag": ...} or {"branch": ...} or {"rev": ...}
    fork: tuple[Dep, ...] = ()  # alternatives, one per Python range

    def poetry(self) -> Any:
        """The value in `[tool.poetry.dependencies]`."""
        if self.fork:
            return [alternative.poetry() for alternative in self.fork]
        table: dict[str, Any] = {}
        if self.path is not None:
            table.update(path=self.path, develop=self.develop)
        elif self.git is not None:
            table.update(git="@GIT@", **self.git)
        else:
            table["version"] = self.version
        for key, value in (
            ("extras", list(self.extras)),
            ("markers", self.markers),
            ("python", self.python),
            ("optional", self.optional),
            ("source", self.source),
        ):
            if value:
                table[key] = value
        return self.version if list(table) == ["version"] else table

    def pep508(self) -> list[str]:
        """The `[project]` / `[dependency-groups]` strings (the rest is enrichment)."""
        if self.fork:
            return [text for alternative in self.fork for text in alternative.pep508()]
        text = self.name + (f"[{','.join(self.extras)}]" if self.extras else "")
        local = self.path is not None or self.git is not None
        if not local and self.version != "*":
            exact = self.version[0].isdigit()
            text += f"=={self.version}" if exact else self.version
        markers = [m for m in (self.markers, _python_marker(self.python)) if m]
        if markers:
            text += "; " + " and ".join(f"({m})" if " or " in m else m for m in markers)
        return [text]

    @property
    def enriched(self) -> bool:
        """Whether PEP 508 alone cannot say it: `[tool.poetry.dependencies]` must add to it."""
        return self.path is not None or self.git is not None or self.source is not None


def _python_marker(python: str | None) -> str | None:
    if python is None:
        return None
    return " and ".join(
        f"python_version {part[:2] if part[1] == '=' else part[0]} '{part.lstrip('<>=')}'"
        for part in python.split(",")
    )


@dataclass
class Member:
    name: str
    deps: list[Dep]
    version: str = "0.3.0"

    @property
    def path(self) -> str:
        return f"libs/{self.name}"

    def pyproject(self, bump: bool = False) -> dict[str, Any]:
        deps: dict[str, Any] = {"python": ">=3.8"}
        deps.update({dep.name: dep.poetry() for dep in self.deps})
        version = "0.4.0" if bump else self.version
        poetry: dict[str, Any] = {"name": self.name, "version": version, "description": ""}
        poetry.update(authors=[], dependencies=deps)
        return {"build-system": POETRY_CORE, "tool": {"poetry": poetry}}


@dataclass
class Case:
    seed: int
    style: str  # "poetry" ([tool.poetry]) or "project" ([project])
    main: list[Dep]
    groups: dict[str, list[Dep]]  # group -> its dependencies
    optional_groups: set[str]
    pep735: set[str]  # groups written in [dependency-groups] ("project" style only)
    extras: dict[str, list[str]]  # extra -> names of optional main dependencies
    members: list[Member]
    source: str | None  # the second index's priority, when it is a source
    package_mode: bool = True
    features: set[str] = field(default_factory=set)

    @property
    def lockers(self) -> tuple[str, ...]:
        """The releases that read this style: 1.8.5 does not read `[project]`."""
        return clients.POETRIES if self.style == "poetry" else (clients.POETRY_2,)

    def _sources(self) -> list[dict[str, str]]:
        sources = [{"name": "local", "url": "@PRIMARY@/", "priority": "primary"}]
        if self.source is not None:
            sources.append({"name": "extra", "url": "@EXTRA@/", "priority": self.source})
        return sources

    def pyproject(self, bump: bool = False, add: str | None = None) -> dict[str, Any]:
        """The root pyproject; `bump` raises the version, `add` adds PROBE to that group."""
        version = "1.1.0" if bump else "1.0.0"
        groups = {name: list(deps) for name, deps in self.groups.items()}
        main = list(self.main)
        if add == "main":
            main.append(Dep(PROBE))
        elif add is not None:
            groups[add].append(Dep(PROBE))
        poetry: dict[str, Any] = {}
        doc: dict[str, Any] = {"build-system": POETRY_CORE}
        if self.style == "poetry":
            poetry.update(name="app", version=version, description="", authors=[])
            if not self.package_mode:
                poetry["package-mode"] = False
            deps: dict[str, Any] = {"python": ROOT_PYTHON}
            deps.update({dep.name: dep.poetry() for dep in main})
            poetry["dependencies"] = deps
            if self.extras:
                poetry["extras"] = {extra: names for extra, names in self.extras.items()}
        else:
            optional = [dep for dep in main if dep.optional]
            project: dict[str, Any] = {"name": "app", "version": version}
            project["requires-python"] = ROOT_PYTHON
            project["dependencies"] = [t for dep in main if not dep.optional for t in dep.pep508()]
            if self.extras:
                project["optional-dependencies"] = {
                    extra: [t for dep in optional if dep.name in names for t in dep.pep508()]
                    for extra, names in self.extras.items()
                }
            doc["project"] = project
            if not self.package_mode:
                poetry["package-mode"] = False
            enrich = {dep.name: _enrichment(dep) for dep in main if dep.enriched}
            if enrich:
                poetry["dependencies"] = enrich
            pep735 = {g: [t for d in groups[g] for t in d.pep508()] for g in sorted(self.pep735)}
            if pep735:
                doc["dependency-groups"] = pep735
        tables: dict[str, Any] = {}
        for name, deps_of in groups.items():
            table: dict[str, Any] = {}
            if name in self.optional_groups:
                table["optional"] = True
            if name not in self.pep735:
                table["dependencies"] = {dep.name: dep.poetry() for dep in deps_of}
            if table:
                tables[name] = table
        if tables:
            poetry["group"] = tables
        poetry["source"] = self._sources()
        doc["tool"] = {"poetry": poetry}
        return doc

    def files(self, bump: bool = False, add: str | None = None) -> dict[str, str]:
        files = {"pyproject.toml": render_toml(self.pyproject(bump, add))}
        for member in self.members:
            files[f"{member.path}/pyproject.toml"] = render_toml(member.pyproject(bump))
            files[f"{member.path}/{member.name}/__init__.py"] = ""
        return files

    def write(self, folder: Path, world: Universe, **options: Any) -> Path:
        for rel, text in self.files(**options).items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(world.fill(text))
        return folder


def _enrichment(dep: Dep) -> dict[str, Any]:
    """`[tool.poetry.dependencies]` for a `[project]` dependency: where it comes from."""
    value = dep.poetry()
    table = dict(value) if isinstance(value, Mapping) else {"version": value}
    for key in ("version", "extras", "markers", "python", "optional"):
        table.pop(key, None)
    return table


# --- the generator ----------------------------------------------------------------------------

_ALPHA_FORK = Dep(
    "alpha",
    fork=(Dep("alpha", "<2", python="<3.11"), Dep("alpha", ">=2", python=">=3.11")),
)
_NU_FORK = Dep("nu", fork=(Dep("nu", "<2", python="<3.11"), Dep("nu", ">=2", python=">=3.11")))
#: Third-party dependencies the universe satisfies, with the feature each shows.
THIRD_PARTY: tuple[tuple[Dep, str | None], ...] = (
    (Dep("alpha"), None),
    (Dep("alpha", ">=1.1"), None),
    (_ALPHA_FORK, "python-fork"),
    (Dep("beta"), None),
    (Dep("beta", extras=("fast",)), "package-extras"),
    (Dep("beta", ">=2", extras=("all",)), "package-extras"),
    (Dep("gamma", "0.1"), None),
    (Dep("gamma", markers="sys_platform == 'linux'"), "markers"),
    (Dep("gamma", python=">=3.10"), "python-constraint"),
    (Dep("delta"), "package-markers"),
    (Dep("epsilon", markers="sys_platform == 'win32'"), "markers"),
    (Dep("eta", markers="sys_platform == 'darwin' or python_version < '3.10'"), "markers"),
    (Dep("kappa", extras=("cli",)), "package-extras"),
    (Dep("mu"), "package-markers"),
    (_NU_FORK, "python-fork"),
    (Dep("theta"), None),
)
MEMBER_NAMES = ("core", "utils", "plugin")
GROUP_NAMES = ("test", "lint", "docs")


class _Draw:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.features: set[str] = set()

    def chance(self, p: float, feature: str | None = None) -> bool:
        hit = self.rng.random() < p
        if hit and feature:
            self.features.add(feature)
        return hit

    def deps(self, low: int, high: int, taken: set[str] | None = None) -> list[Dep]:
        """Distinct names (a table has one key per name); `taken` collects them."""
        taken = set() if taken is None else taken
        found = []
        for dep, feature in self.rng.sample(THIRD_PARTY, self.rng.randint(low, high)):
            if dep.name not in taken:
                taken.add(dep.name)
                found.append(dep)
                if feature:
                    self.features.add(feature)
        return found


def generate(seed: int) -> Case:
    draw = _Draw(seed)
    style = "poetry" if draw.chance(0.5) else "project"
    draw.features.add(f"style-{style}")
    taken: set[str] = set()
    main = draw.deps(1, 4, taken)
    package_mode = not draw.chance(0.2, "package-mode-false")
    # Members inside the tree, with their own versions; the first may depend on the second.
    members = [
        Member(name, draw.deps(0, 2))
        for name in MEMBER_NAMES[: draw.rng.choice((0, 0, 1, 1, 2, 3))]
    ]
    if members:
        draw.features.add("path-member")
    if len(members) > 1 and draw.chance(0.6, "member-dep-member"):
        members[0].deps.append(Dep(members[1].name, path=f"../{members[1].name}"))
    # The second index as a source, and the dependencies it serves.
    source = draw.rng.choice((None, None, "supplemental", "explicit"))
    if source is not None:
        draw.features.add(f"source-{source}")
        if "iota" not in taken:
            taken.add("iota")
            main.append(Dep("iota", source="extra" if source == "explicit" else None))
        if source == "explicit" and "theta" not in taken and draw.chance(0.7):
            taken.add("theta")
            main.append(Dep("theta", source="extra"))
    if draw.chance(0.25, "git"):
        ref = draw.rng.choice(({"tag": "v0.1"}, {"branch": "feature"}, {"branch": "main"}))
        taken.add("gitpkg")
        main.append(Dep("gitpkg", git=ref))
    # Extras: optional main dependencies turned on by name.
    extras: dict[str, list[str]] = {}
    for index in range(draw.rng.choice((0, 0, 1, 2))):
        optional = draw.deps(1, 2, taken)
        if not optional:
            continue
        draw.features.add("extras")
        main += [Dep(**{**_fields(dep), "optional": True}) for dep in optional]
        extras[f"x{index}"] = [dep.name for dep in optional]
    # Groups: optional or not, PEP 735 or [tool.poetry.group]; members hang from one.
    groups: dict[str, list[Dep]] = {}
    optional_groups: set[str] = set()
    pep735: set[str] = set()
    for name in GROUP_NAMES[: draw.rng.choice((0, 1, 1, 2, 3))]:
        groups[name] = draw.deps(1, 3)
        if draw.chance(0.5, "optional-group"):
            optional_groups.add(name)
        else:
            draw.features.add("group")
        if style == "project" and draw.chance(0.5, "dependency-groups"):
            pep735.add(name)
    for member in members:
        homes = ["main", *(g for g in groups if g not in pep735)]
        home = draw.rng.choice(homes)
        develop = not draw.chance(0.2, "develop-false")
        dep = Dep(member.name, path=member.path, develop=develop)
        (main if home == "main" else groups[home]).append(dep)
    case = Case(
        seed, style, main, groups, optional_groups, pep735, extras, members, source, package_mode
    )
    case.features = draw.features
    return case


def _fields(dep: Dep) -> dict[str, Any]:
    return {name: getattr(dep, name) for name in Dep.__dataclass_fields__}
