"""Seeded uv projects composed from uv's documented pyproject schema.

`generate(seed)` draws a project: its root (a package, a virtual project, `package = false`,
a project-less workspace root, or a root with only `[dependency-groups]`), workspace members
(globs with `exclude`, nested members, members depending on members with extras), in-tree
path packages that are not members, third-party requirements with extras and markers,
sources of every kind, extras (empty, self-referencing, cross-member), dependency groups
(`include-group`, per-group `requires-python`, `default-groups`, legacy `dev-dependencies`)
and `[tool.uv]` settings (`conflicts`, `environments`, `required-environments`,
`dependency-metadata`, `constraint-dependencies`, `override-dependencies`, `exclude-newer`,
`python-preference`, `python-downloads`, `required-version`, `compile-bytecode`, `link-mode`,
`cache-keys`, `resolution`, `fork-strategy`, `prerelease`).
Each choice is recorded as a feature name, so a sweep can count projects and disagreements
per feature. The same seed gives the same files in every run (URLs are placeholders that
universe.Universe.fill replaces).

uv's schema: https://docs.astral.sh/uv/reference/settings/ and
https://docs.astral.sh/uv/concepts/projects/ (dependencies, workspaces, config).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from oracle.backend import BACKEND, BUILD_SYSTEM
from oracle.universe import EXCLUDE_NEWER

__all__ = ["Generated", "LocalPackage", "generate", "render_toml"]

#: Third-party requirements the universe can satisfy (name, the requirement as written).
REQUIREMENTS = (
    "alpha",
    "alpha>=1.1",
    "alpha<2",
    "beta",
    "beta[fast]",
    "beta[all]>=2",
    "gamma==0.1",
    "gamma",
    "delta",
    "epsilon",
    "eta",
    "kappa[cli]",
    "mu",
    "alpha; python_version >= '3.11'",
    "gamma; sys_platform == 'linux'",
    "eta; sys_platform == 'win32'",
)
#: Packages that uv must build from an sdist (zeta has no wheel).
SDIST_ONLY = "zeta"
MEMBER_NAMES = ("core", "utils", "plugin", "cli", "api")
GROUP_NAMES = ("test", "lint", "docs", "typing")


@dataclass
class LocalPackage:
    """A pyproject.toml the project holds: the root, a member or an in-tree path package."""

    name: str
    path: str  # relative to the project root, "." for the root
    role: str  # "root", "member" or "path"
    packaged: bool = True
    dynamic: bool = False
    version: str = "0.1.0"
    dependencies: list[str] = field(default_factory=list)
    extras: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, list[Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    uv: dict[str, Any] = field(default_factory=dict)  # [tool.uv] (besides sources)
    requires_python: str = ">=3.10"
    has_project: bool = True

    def pyproject(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        if self.has_project:
            if self.packaged:
                doc["build-system"] = dict(BUILD_SYSTEM)
            project: dict[str, Any] = {"name": self.name}
            if self.dynamic:
                project["dynamic"] = ["version"]
            else:
                project["version"] = self.version
            project["requires-python"] = self.requires_python
            project["dependencies"] = list(self.dependencies)
            if self.extras:
                project["optional-dependencies"] = dict(self.extras)
            doc["project"] = project
        if self.groups:
            doc["dependency-groups"] = dict(self.groups)
        uv = dict(self.uv)
        if self.sources:
            uv["sources"] = dict(self.sources)
        if uv:
            doc["tool"] = {"uv": uv}
        return doc

    def files(self) -> dict[str, str]:
        prefix = "" if self.path == "." else f"{self.path}/"
        files = {f"{prefix}pyproject.toml": render_toml(self.pyproject())}
        if self.has_project and self.packaged:
            files[f"{prefix}backend.py"] = BACKEND
        if self.dynamic:
            files[f"{prefix}VERSION"] = f"{self.version}\n"
        return files


@dataclass
class Generated:
    seed: int
    packages: list[LocalPackage]
    features: set[str] = field(default_factory=set)
    extra_dirs: dict[str, str] = field(default_factory=dict)  # path -> file text (noise)

    @property
    def root(self) -> LocalPackage:
        return self.packages[0]

    def files(self) -> dict[str, str]:
        files: dict[str, str] = dict(self.extra_dirs)
        for package in self.packages:
            files.update(package.files())
        return dict(sorted(files.items()))

    def members(self) -> list[LocalPackage]:
        return [p for p in self.packages if p.role == "member"]

    def extras(self) -> list[str]:
        return sorted(self.root.extras) if self.root.has_project else []

    def groups(self) -> list[str]:
        names: set[str] = set()
        for package in self.packages:
            if package.role != "path":
                names.update(package.groups)
                if package.uv.get("dev-dependencies") is not None:
                    names.add("dev")
        return sorted(names)

    def has_conflicts(self) -> bool:
        return bool(self.root.uv.get("conflicts"))

    def bumpable(self) -> list[LocalPackage]:
        """The root (when it is a project) and the first member: their versions can move."""
        found = [self.root] if self.root.has_project else []
        return found + self.members()[:1]


# --- TOML ------------------------------------------------------------------------------------

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def render_toml(doc: Mapping[str, Any], prefix: str = "") -> str:
    """TOML for `doc`: nested tables as [sections], anything inside an array inline."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in doc.items() if not isinstance(v, Mapping)]
    text = ""
    if lines and prefix:
        text += f"[{prefix}]\n"
    if lines:
        text += "\n".join(lines) + "\n\n"
    for key, value in doc.items():
        if isinstance(value, Mapping):
            name = f"{prefix}.{_key(key)}" if prefix else _key(key)
            text += render_toml(value, name)
    return text


# --- the generator ---------------------------------------------------------------------------


class _Draw:
    """The seeded choices and the features they turn on."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.features: set[str] = set()

    def chance(self, p: float, feature: str | None = None) -> bool:
        hit = self.rng.random() < p
        if hit and feature:
            self.features.add(feature)
        return hit

    def pick(self, options: Any) -> Any:
        return self.rng.choice(list(options))

    def requirements(self, low: int, high: int) -> list[str]:
        chosen = self.rng.sample(REQUIREMENTS, self.rng.randint(low, high))
        names: set[str] = set()
        unique = []
        for requirement in chosen:  # one requirement per name keeps resolutions satisfiable
            name = re.split(r"[\[<>=;! ]", requirement)[0]
            if name not in names:
                names.add(name)
                unique.append(requirement)
        if any(";" in r for r in unique):
            self.features.add("markers")
        return unique


def _root(draw: _Draw) -> LocalPackage:
    kind = draw.pick(["package"] * 5 + ["virtual"] * 2 + ["package-false", "projectless"] * 1)
    if kind == "projectless" and draw.chance(0.4):
        kind = "groups-only"
    draw.features.add(f"root-{kind}")
    root = LocalPackage("app", ".", "root")
    root.has_project = kind not in ("projectless", "groups-only")
    root.packaged = kind in ("package", "package-false")
    if kind == "package-false":
        root.uv["package"] = False
    if root.packaged and draw.chance(0.15, "dynamic-version"):
        root.dynamic = True
    if root.has_project:
        root.dependencies = draw.requirements(0, 3)
        if draw.chance(0.2, "requires-python-311"):
            root.requires_python = ">=3.11"
    return root


def _workspace(draw: _Draw, gen: Generated) -> None:
    root = gen.root
    wanted = root.role == "root" and not root.has_project and "root-projectless" in draw.features
    if not (wanted or (root.has_project and draw.chance(0.5))):
        return
    draw.features.add("workspace")
    count = draw.rng.randint(1, 3)
    names = draw.rng.sample(MEMBER_NAMES, count)
    globs = ["packages/*"]
    workspace: dict[str, Any] = {"members": globs}
    for index, name in enumerate(names):
        path = f"packages/{name}"
        if index > 0 and draw.chance(0.2, "nested-member"):
            path = f"packages/{names[0]}/plugins/{name}"
            if "packages/*/plugins/*" not in globs:
                globs.append("packages/*/plugins/*")
        member = LocalPackage(name, path, "member")
        member.packaged = draw.chance(0.8)
        if not member.packaged:
            draw.features.add("virtual-member")
        member.version = "1.0.0"
        if member.packaged and draw.chance(0.1, "dynamic-version"):
            member.dynamic = True
        member.dependencies = draw.requirements(0, 2)
        gen.packages.append(member)
    if draw.chance(0.3, "glob-exclude"):
        workspace["exclude"] = ["packages/legacy"]
        gen.extra_dirs["packages/legacy/pyproject.toml"] = (
            '[project]\nname = "legacy"\nversion = "0.0.1"\nrequires-python = ">=3.10"\n'
        )
    root.uv["workspace"] = workspace


def _member_links(draw: _Draw, gen: Generated) -> None:
    """Members depending on members (with extras), and the root on members."""
    members = gen.members()
    for member in members:
        if draw.chance(0.3):
            member.extras["extra"] = [draw.pick(REQUIREMENTS[:6])]
    for index, member in enumerate(members[1:], start=1):
        if draw.chance(0.5):
            target = members[draw.rng.randrange(index)]
            if not target.packaged:
                continue
            spec = target.name
            if target.extras and draw.chance(0.5, "member-dep-extra"):
                spec += "[extra]"
            member.dependencies.append(spec)
            member.sources[target.name] = {"workspace": True}
            draw.features.add("member-dep")
    root = gen.root
    if root.has_project:
        for member in members:
            if member.packaged and draw.chance(0.6):
                spec = member.name
                if member.extras and draw.chance(0.5, "member-dep-extra"):
                    spec += "[extra]"
                root.dependencies.append(spec)
                root.sources[member.name] = {"workspace": True}
                draw.features.add("root-dep-member")


def _path_package(draw: _Draw, gen: Generated) -> None:
    root = gen.root
    if not root.has_project or not draw.chance(0.25, "path-package"):
        return
    package = LocalPackage("vendored", "vendor/vendored", "path", version="2.0.0")
    package.dependencies = draw.requirements(0, 1)
    source: dict[str, Any] = {"path": "vendor/vendored"}
    if draw.chance(0.5, "path-editable"):
        source["editable"] = True
    root.dependencies.append("vendored")
    root.sources["vendored"] = source
    gen.packages.append(package)


def _sources(draw: _Draw, gen: Generated) -> None:
    """Third-party sources on the root: explicit index, git, url, sdist-only."""
    root = gen.root
    uv = root.uv
    indexes: list[dict[str, Any]] = [{"name": "local", "url": "@INDEX@", "default": True}]
    uv["index"] = indexes
    target = root if root.has_project else None
    if target is None:
        return
    if draw.chance(0.3, "index-explicit"):
        indexes.append({"name": "extra", "url": "@EXTRA@", "explicit": True})
        target.dependencies.append(draw.pick(["theta", "iota"]))
        for name in ("theta", "iota"):
            target.sources[name] = {"index": "extra"}
    if draw.chance(0.25):
        kind = draw.pick(["tag", "rev", "branch", "subdirectory"])
        draw.features.add(f"git-{kind}")
        git: dict[str, Any] = {"git": "@GIT@"}
        name = "gitpkg"
        if kind == "tag":
            git["tag"] = "v0.2"
        elif kind == "rev":
            git["rev"] = "@GIT_REV@"
        elif kind == "branch":
            git["branch"] = "feature"
        else:
            name, git["subdirectory"] = "gitsub", "sub/gitsub"
        target.dependencies.append(name)
        target.sources[name] = git
    if draw.chance(0.2, "url"):
        target.dependencies.append("omega")
        target.sources["omega"] = {"url": "@FILES@/omega-1.0-py3-none-any.whl"}
    if draw.chance(0.2, "sdist"):
        target.dependencies.append(SDIST_ONLY)


def _extras(draw: _Draw, gen: Generated) -> None:
    root = gen.root
    if not root.has_project:
        return
    for index in range(draw.rng.randint(0, 3)):
        name = f"x{index}"
        if draw.chance(0.25, "extra-empty"):
            root.extras[name] = []
        else:
            root.extras[name] = draw.requirements(1, 2)
    if root.extras and draw.chance(0.3, "extra-self"):
        root.extras["all"] = [f"app[{name}]" for name in sorted(root.extras)]
    with_extra = [m for m in gen.members() if m.packaged and m.extras]
    if with_extra and draw.chance(0.4, "extra-cross-member"):
        member = draw.pick(with_extra)
        root.extras["plugins"] = [f"{member.name}[extra]"]
        root.sources[member.name] = {"workspace": True}


def _groups(draw: _Draw, gen: Generated) -> None:
    root = gen.root
    only_groups = "root-groups-only" in draw.features
    count = draw.rng.randint(1 if only_groups else 0, 3)
    names = draw.rng.sample(GROUP_NAMES, count)
    for name in names:
        root.groups[name] = draw.requirements(0 if only_groups else 1, 2)
        if not root.groups[name]:
            draw.features.add("group-empty")
    if draw.chance(0.4):
        root.groups["dev"] = draw.requirements(1, 2)
        names.append("dev")
    if len(names) >= 2 and draw.chance(0.4, "include-group"):
        first, second = draw.rng.sample(names, 2)
        root.groups[first].append({"include-group": second})
    if names and draw.chance(0.25, "group-requires-python"):
        root.uv["dependency-groups"] = {draw.pick(names): {"requires-python": ">=3.12"}}
    if draw.chance(0.2, "dev-dependencies"):
        root.uv["dev-dependencies"] = draw.requirements(1, 1)
    if names and draw.chance(0.2, "default-groups"):
        root.uv["default-groups"] = "all" if draw.chance(0.3) else sorted(names)[:2]
    members = gen.members()
    if members and draw.chance(0.2, "member-groups"):
        member = draw.pick(members)
        member.groups["test"] = draw.requirements(1, 1)


def _settings(draw: _Draw, gen: Generated) -> None:
    root = gen.root
    uv = root.uv
    if root.has_project and draw.chance(0.15, "conflicts-extras"):
        root.extras["lo"] = ["rho==1.0"]
        root.extras["hi"] = ["rho==2.0"]
        uv.setdefault("conflicts", []).append([{"extra": "lo"}, {"extra": "hi"}])
    if root.has_project and draw.chance(0.1, "conflicts-groups"):
        root.groups["glo"] = ["sigma==1.0"]
        root.groups["ghi"] = ["sigma==2.0"]
        uv.setdefault("conflicts", []).append([{"group": "glo"}, {"group": "ghi"}])
    if draw.chance(0.15, "environments"):
        uv["environments"] = draw.pick(
            [["sys_platform == 'linux'", "sys_platform == 'darwin'"], ["sys_platform != 'win32'"]]
        )
    if draw.chance(0.1, "required-environments"):
        uv["required-environments"] = ["sys_platform == 'win32' and platform_machine == 'AMD64'"]
    if draw.chance(0.15, "dependency-metadata"):
        uv["dependency-metadata"] = [{"name": SDIST_ONLY, "version": "0.1", "requires-dist": []}]
        if root.has_project and SDIST_ONLY not in root.dependencies:
            root.dependencies.append(SDIST_ONLY)
    if draw.chance(0.15, "constraint-dependencies"):
        uv["constraint-dependencies"] = [draw.pick(["alpha<3", "gamma>=0.1", "beta>=1"])]
    if draw.chance(0.15, "override-dependencies"):
        uv["override-dependencies"] = [draw.pick(["gamma==0.1", "alpha>=1.1"])]
    if draw.chance(0.1, "exclude-newer"):
        uv["exclude-newer"] = EXCLUDE_NEWER


def _uv_settings(draw: _Draw, gen: Generated) -> None:
    """Settings `uv sync --frozen` reads that no lock records (the interpreter, the uv
    version, how files are written), which the frozen export keeps, and resolver settings
    only `uv lock` reads, which it drops (volatile.TOOL_UV_FROZEN_DROPS). Drawn last, so the
    seeds drawn before them keep their projects."""
    uv = gen.root.uv
    if draw.chance(0.2, "python-preference"):
        uv["python-preference"] = draw.pick(["only-system", "managed", "system"])
        if draw.chance(0.3, "only-managed"):  # refused here: no managed interpreter
            uv["python-preference"] = "only-managed"
    if draw.chance(0.1, "python-downloads"):
        uv["python-downloads"] = draw.pick(["never", "manual", "automatic"])
    if draw.chance(0.1, "required-version"):
        uv["required-version"] = ">=0.5"
    if draw.chance(0.15, "install-settings"):
        uv["compile-bytecode"] = True
        uv["link-mode"] = draw.pick(["copy", "hardlink", "symlink"])
    if draw.chance(0.1, "cache-keys"):
        uv["cache-keys"] = [{"file": "pyproject.toml"}, {"file": "VERSION"}]
    if draw.chance(0.15, "resolver-settings"):
        uv["resolution"] = draw.pick(["highest", "lowest-direct"])
        uv["fork-strategy"] = draw.pick(["fewest", "requires-python"])
        uv["prerelease"] = "if-necessary-or-explicit"


def generate(seed: int) -> Generated:
    draw = _Draw(seed)
    gen = Generated(seed, [_root(draw)])
    _workspace(draw, gen)
    _member_links(draw, gen)
    _path_package(draw, gen)
    _sources(draw, gen)
    _extras(draw, gen)
    _groups(draw, gen)
    _settings(draw, gen)
    _uv_settings(draw, gen)
    gen.features = draw.features
    return gen
