"""The third-party world every generated project locks against, built once and served on
127.0.0.1: no internet.

* a default index and a second one (for `[[tool.uv.index]]` with `explicit = true`):
  pure wheels with several versions, `Requires-Dist` with extras and markers, wheels for
  Linux, macOS and Windows only, sdists that uv must build (with the in-tree backend), and
  upload times (served as PEP 691 JSON) so that `exclude-newer` has something to exclude;
* a wheel reachable only by URL (a `{ url = ... }` source);
* a local git repository (file:// URL) with tags, a branch and a package in a subdirectory.

Generated projects name these with placeholders (`@INDEX@`, `@EXTRA@`, `@FILES@`, `@GIT@`,
`@GIT_REV@`) that `Universe.fill` replaces, so a seed gives the same project in every run.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from e2e.index import Index, serve, write_sdist, write_wheel

from oracle.backend import BACKEND

__all__ = ["Universe", "universe"]

#: A file newer than this is left out by the generated `exclude-newer`.
EXCLUDE_NEWER = "2024-01-01T00:00:00Z"
_OLD, _NEW = "2020-01-01T00:00:00Z", "2025-01-01T00:00:00Z"

_PLATFORM_TAGS = (
    "cp311-cp311-manylinux_2_17_x86_64",
    "py3-none-win_amd64",
    "py3-none-macosx_11_0_arm64",
)


def _sdist_files(name: str, version: str, requires: list[str]) -> dict[str, str]:
    deps = ", ".join(f'"{r}"' for r in requires)
    pyproject = (
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\ndependencies = [{deps}]\n'
    )
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    return {"pyproject.toml": pyproject, "backend.py": BACKEND, "PKG-INFO": metadata}


def _default_index(folder: Path) -> dict[str, str]:
    """Writes the default index's files; returns upload times of the new ones."""
    for version in ("1.0", "1.1", "2.0"):
        write_wheel(folder, "alpha", version)
    write_wheel(folder, "beta", "1.0", ["alpha"])
    write_wheel(
        folder,
        "beta",
        "2.0",
        ["alpha>=1.1"],
        extras={"fast": ["gamma>=0.2"], "all": ["gamma", "delta; python_version >= '3.9'"]},
    )
    for version in ("0.1", "0.2"):
        write_wheel(folder, "gamma", version)
    write_wheel(folder, "delta", "1.0", ["alpha<2", "epsilon; sys_platform == 'win32'"])
    for tag in _PLATFORM_TAGS:
        write_wheel(folder, "epsilon", "1.0", tag=tag)
    write_sdist(folder, "zeta", "0.1", _sdist_files("zeta", "0.1", ["gamma"]))
    write_wheel(folder, "eta", "1.0")
    write_sdist(folder, "eta", "1.0", _sdist_files("eta", "1.0", []))
    write_wheel(folder, "theta", "1.0")
    write_wheel(folder, "kappa", "1.0", extras={"cli": ["gamma"]})
    write_wheel(folder, "mu", "1.0", ["nu; python_version < '3.11'", "alpha"])
    write_wheel(folder, "nu", "1.0", requires_python=">=3.8")
    for version in ("1.0", "2.0"):  # pinned apart by conflicting extras and groups only
        write_wheel(folder, "rho", version)
        write_wheel(folder, "sigma", version)
    return {"alpha-2.0-py3-none-any.whl": _NEW, "gamma-0.2-py3-none-any.whl": _NEW}


def _extra_index(folder: Path) -> None:
    write_wheel(folder, "theta", "1.5")
    write_wheel(folder, "iota", "1.0", ["gamma"])
    write_wheel(folder, "omega", "1.0", ["alpha"])  # named by URL in the projects


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def _git_package(folder: Path, name: str, version: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, text in _sdist_files(name, version, ["gamma"]).items():
        if rel != "PKG-INFO":
            (folder / rel).write_text(text)


def _git_repo(repo: Path) -> str:
    """gitpkg 0.1 (tag v0.1, the returned commit), 0.2 (main, tag v0.2), 0.3 (branch
    feature); gitsub 1.0 in sub/gitsub on every commit."""
    _git_package(repo, "gitpkg", "0.1")
    _git_package(repo / "sub" / "gitsub", "gitsub", "1.0")
    _git(repo.parent, "init", "-q", "-b", "main", repo.name)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "0.1")
    _git(repo, "tag", "v0.1")
    first = _git(repo, "rev-parse", "HEAD")
    _git_package(repo, "gitpkg", "0.2")
    _git(repo, "commit", "-q", "-am", "0.2")
    _git(repo, "tag", "v0.2")
    _git(repo, "checkout", "-q", "-b", "feature")
    _git_package(repo, "gitpkg", "0.3")
    _git(repo, "commit", "-q", "-am", "0.3")
    _git(repo, "checkout", "-q", "main")
    return first


@dataclass(frozen=True)
class Universe:
    root: Path
    index: Index
    extra: Index
    git: Path
    git_rev: str

    def fill(self, text: str) -> str:
        """A generated file with the placeholders replaced by this universe's URLs."""
        files = self.extra.url.removesuffix("/simple") + "/files"
        for key, value in (
            ("@INDEX@", self.index.url),
            ("@EXTRA@", self.extra.url),
            ("@FILES@", files),
            ("@GIT_REV@", self.git_rev),
            ("@GIT@", self.git.as_uri()),
        ):
            text = text.replace(key, value)
        return text


@contextmanager
def universe(root: Path) -> Iterator[Universe]:
    """Builds the world under `root` and serves it until the block ends."""
    default, extra = root / "index", root / "extra"
    default.mkdir(parents=True)
    extra.mkdir()
    times = _default_index(default)
    _extra_index(extra)
    rev = _git_repo(root / "repo")
    with ExitStack() as stack:
        index = stack.enter_context(serve(default, upload_time=_OLD))
        index.upload_times.update(times)
        second = stack.enter_context(serve(extra, upload_time=_OLD))
        yield Universe(root, index, second, root / "repo", rev)
