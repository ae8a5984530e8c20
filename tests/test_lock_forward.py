"""Lock formats from other uv releases: every revision, newer [options], zstd entries, git
LFS, and fields this release does not know.

The locks start as real ones written by uv 0.13.8 against an index on 127.0.0.1; older
revisions and the fields uv writes for other registries (zstd) or tools (git LFS, which
needs the git-lfs program) are edits of those, in uv's own spelling.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e.index import Index
from helpers import load, run_uv, tomllib
from projects import (
    MODES,
    PYPROJECT_HEADER,
    Dist,
    assert_uv_agrees,
    local_index,
    lock_project,
    make_project,
)

from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.digest import compute_digest
from lockstrip.formats.uv.render.export import Mode, build_export

#: uv writes upload times only for indexes that give them (PEP 700).
UPLOADED = "2020-01-01T00:00:00Z"

#: Resolver options that uv 0.9+ records in [options] (a relative span, per-package modes).
OPTIONS = (
    "--exclude-newer",
    "7 days",
    "--prerelease-package",
    "alpha=allow",
    "--exclude-newer-package",
    "beta=2030-01-01T00:00:00Z",
)

PROJECT = {
    "pyproject.toml": PYPROJECT_HEADER
    + """
        [project]
        name = "app"
        version = "1.2.3"
        requires-python = ">=3.10"
        dependencies = ["alpha", "beta"]

        [project.optional-dependencies]
        plain = []

        [dependency-groups]
        dev = ["gamma"]
        """
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    dists: dict[str, list[Dist]] = {
        "alpha": ["1.0", "1.1b1"],
        "beta": [("2.0", ["alpha"])],
        "gamma": ["3.0"],
    }
    with local_index(tmp_path_factory.mktemp("wheels"), dists, UPLOADED) as served:
        yield served


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory, index: Index, cache: Path) -> str:
    """The text of a lock that uv 0.13.8 wrote with resolver options."""
    root = make_project(tmp_path_factory.mktemp("original"), PROJECT)
    return lock_project(root, index.url, cache, *OPTIONS)


def project_with(tmp_path: Path, lock: str) -> Path:
    root = make_project(tmp_path / "p", PROJECT)
    (root / "uv.lock").write_text(lock)
    return root


def export_text(root: Path, mode: Mode = "frozen") -> str:
    return build_export(read_project(root), mode).files["uv.lock"]


def digest(root: Path) -> str:
    return compute_digest(read_project(root)).value


def test_uv_writes_what_these_tests_assume(original: str) -> None:
    lock = re.sub(r"\s+#.*", "", original)  # uv comments its placeholder timestamp
    assert "revision = 5\n" in lock
    assert 'exclude-newer-span = "P7D"' in lock
    assert "[options.prerelease-package]" in lock
    assert "[options.exclude-newer-package]" in lock
    assert 'upload-time = "2020-01-01T00:00:00Z"' in lock


def test_newer_resolver_options(original: str, tmp_path: Path, cache: Path) -> None:
    """[options] only feeds a new resolution: out of the frozen export and the digest, kept
    as uv wrote it in the locked export, which `uv lock --check` then accepts."""
    root = project_with(tmp_path, original)
    assert_uv_agrees(root, tmp_path, cache, [[], ["--extra", "plain"], ["--all-groups"]])
    assert "[options" not in export_text(root)
    locked = export_text(root, "locked")
    assert load_text(locked)["options"] == load(root / "uv.lock")["options"]
    assert "\n[options.prerelease-package]\nalpha = " in locked
    check = run_uv(["lock", "--check", *OPTIONS], tmp_path / "export-locked", cache)
    assert check.returncode == 0, check.stderr

    span = project_with(tmp_path / "span", original.replace('"P7D"', '"P14D"'))
    assert export_text(span) == export_text(root)
    assert digest(span) == digest(root)
    assert export_text(span, "locked") != locked


@pytest.mark.parametrize("revision", [None, 1, 2, 3, 4, 5])
def test_every_lock_revision(
    revision: int | None, original: str, tmp_path: Path, cache: Path
) -> None:
    """uv has written revisions 1 to 5 (none before 1); the export keeps the lock's own, and
    the digest does not depend on it."""
    line = "" if revision is None else f"revision = {revision}\n"
    root = project_with(tmp_path, original.replace("revision = 5\n", line))
    assert_uv_agrees(root, tmp_path, cache, [[], ["--extra", "plain"], ["--all-groups"]])
    for mode in MODES:
        assert export_text(root, mode).startswith(f"version = 1\n{line}requires-python")
    latest = project_with(tmp_path / "latest", original)
    assert digest(root) == digest(latest)
    check = run_uv(["lock", "--check", *OPTIONS], tmp_path / "export-locked", cache)
    if run_uv(["lock", "--check", *OPTIONS], root, cache).returncode == 0:
        assert check.returncode == 0, check.stderr


def with_zstd(lock: str) -> str:
    """Wheels with the compressed copies uv 0.9+ records for registries that serve them."""
    return re.sub(
        r'(\{ url = "[^"]+\.whl", hash = "(sha256:[0-9a-f]+)"[^}]*)\}',
        r'\1, zstd = { hash = "\2", size = 99 } }',
        lock,
    )


def test_zstd_entries(original: str, tmp_path: Path, cache: Path) -> None:
    plain = project_with(tmp_path, original)
    compressed = project_with(tmp_path / "zstd", with_zstd(original))
    assert "zstd = {" in (compressed / "uv.lock").read_text()
    assert_uv_agrees(compressed, tmp_path, cache, [[], ["--all-groups"]])
    for mode in MODES:
        assert export_text(compressed, mode) == export_text(plain, mode)
    assert digest(compressed) == digest(plain)


# --- fields this release does not know ------------------------------------------------------

#: Where a newer uv might add a field: (name, edit of the lock text, the text it adds).
Edit = Callable[[str, str], str]


def _after(anchor: str) -> Edit:
    return lambda lock, text: lock.replace(anchor, anchor + text, 1)


def _inside(anchor: str) -> Edit:
    """Before the closing brace of the first inline table that starts with `anchor`."""
    return lambda lock, text: re.sub(
        re.escape(anchor) + r"([^\n]*?) \}", lambda m: f"{anchor}{m[1]}, {text} }}", lock, count=1
    )


UNKNOWN: dict[str, tuple[Edit, str]] = {
    "top-level": (_after('requires-python = ">=3.10"\n'), 'future-key = "{}"\n'),
    "third-party package": (_after('name = "beta"\nversion = "2.0"\n'), 'future-key = "{}"\n'),
    "local package": (_after('name = "app"\nversion = "1.2.3"\n'), 'future-key = "{}"\n'),
    "wheel": (_inside('{ url = "http://'), 'future-key = "{}"'),
    "source": (_inside("source = { registry = "), 'future-key = "{}"'),
    "edge": (_inside('    { name = "alpha"'), 'future-key = "{}"'),
}


@pytest.mark.parametrize("where", sorted(UNKNOWN))
def test_unknown_fields_are_kept_and_hashed(where: str, original: str, tmp_path: Path) -> None:
    edit, text = UNKNOWN[where]
    one = project_with(tmp_path / "one", edit(original, text.format("one")))
    two = project_with(tmp_path / "two", edit(original, text.format("two")))
    assert text.format("one") in (one / "uv.lock").read_text(), "the edit found its place"
    for mode in MODES:
        assert text.format("one") in export_text(one, mode), mode
    assert digest(one) != digest(two)


def test_git_lfs_sources_are_kept(tmp_path: Path, index: Index, cache: Path) -> None:
    """uv records `lfs = true` in the git URL it locks (`?lfs=true#COMMIT`); the source is
    third-party and kept as written, and a change of it changes the digest."""
    repo = make_project(
        tmp_path / "repo",
        {
            "pyproject.toml": PYPROJECT_HEADER
            + '[project]\nname = "mygit"\nversion = "0.3"\nrequires-python = ">=3.10"\n'
        },
    )
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "one"]):
        subprocess_ok([*git, *args])
    pyproject = (
        '[project]\nname = "app"\nversion = "1.0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["mygit"]\n\n'
        f'[tool.uv.sources]\nmygit = {{ git = "{repo.as_uri()}" }}\n'
    )
    plain = make_project(tmp_path / "plain", {"pyproject.toml": pyproject})
    lock = lock_project(plain, index.url, cache)
    location = f'git = "{repo.as_uri()}#'
    assert location in lock
    lfs = make_project(
        tmp_path / "lfs", {"pyproject.toml": pyproject.replace('" }', '", lfs = true }')}
    )
    (lfs / "uv.lock").write_text(lock.replace(location, f'git = "{repo.as_uri()}?lfs=true#'))
    for mode in MODES:
        assert f"{repo.as_uri()}?lfs=true#" in export_text(lfs, mode)
    assert digest(lfs) != digest(plain)
    assert_uv_agrees(lfs, tmp_path, cache, [[]], sync=["--no-install-project"])


def subprocess_ok(args: list[str]) -> None:
    subprocess.run(args, check=True, capture_output=True)


def load_text(text: str) -> dict[str, object]:
    return dict(tomllib.loads(text))
