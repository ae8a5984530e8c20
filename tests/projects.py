"""Projects locked by real `uv lock` against packages served on 127.0.0.1.

A scenario writes a project's files, serves a few hand-made wheels (tests/e2e/index.py)
and lets uv 0.13.8 write the lock, so every lock shape a test uses is one uv really
writes. Then it asks uv how it reads the original and an export of it (`uv export
--frozen`, `uv sync --frozen --dry-run`), offline, in the scopes the scenario names.

    with local_index(tmp / "wheels", {"alpha": ["1.0"], "beta": [("2.0", ["alpha"])]}) as index:
        root = make_project(tmp / "p", {"pyproject.toml": ...})
        lock_project(root, index.url, cache)
        assert uv_view(root, cache, ["--extra", "x"]) == uv_view(export, cache, ["--extra", "x"])
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from e2e.index import Index, serve, write_wheel
from helpers import run_uv

from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.export import Mode, build_export
from lockstrip.io.export_folder import write_export

__all__ = [
    "BACKEND",
    "MODES",
    "PYPROJECT_HEADER",
    "Dist",
    "UvView",
    "assert_uv_agrees",
    "export_to",
    "local_index",
    "lock_project",
    "make_project",
    "uv_view",
]

MODES: tuple[Mode, ...] = ("frozen", "locked")

#: A PEP 517 backend with no requirements (backend-path = ["."]), so uv can build a local
#: package offline: `uv lock` reads its metadata, `uv sync` installs it.
BACKEND = '''\
"""A one-file PEP 517 backend with no requirements: builds a pure wheel from pyproject.toml."""
import base64, hashlib, tomllib, zipfile
from pathlib import Path
from typing import NamedTuple


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
    name, version = project["name"], project["version"]
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n"
    metadata += "".join(f"Requires-Dist: {r}\\n" for r in project.get("dependencies", []))
    files = {
        f"{module}/__init__.py": b"",
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\\n"
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\\n").encode()
    filename = f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / filename, "w") as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), data)
    return filename


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel
build_editable = build_wheel
'''

#: The [build-system] table of a package built by BACKEND (which must sit beside it).
PYPROJECT_HEADER = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]
"""

#: A distribution to serve: a version, or (version, requirements).
Dist = str | tuple[str, Sequence[str]]


@contextmanager
def local_index(
    folder: Path, dists: Mapping[str, Sequence[Dist]], upload_time: str | None = None
) -> Iterator[Index]:
    """Serve pure wheels of `dists` (name -> versions) as a simple index on 127.0.0.1.

    `index.url` is the simple index's URL, for `lock_project`. With `upload_time` (RFC 3339)
    every file has that upload time, and uv writes `upload-time` into the lock."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, versions in dists.items():
        for dist in versions:
            version, requires = (dist, ()) if isinstance(dist, str) else dist
            write_wheel(folder, name, version, requires)
    with serve(folder, upload_time=upload_time) as index:
        yield index


def make_project(root: Path, files: Mapping[str, str]) -> Path:
    """Write `files` (relative path -> text, dedented) under `root`.

    A folder whose pyproject.toml uses PYPROJECT_HEADER also gets BACKEND beside it."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        if path.name == "pyproject.toml" and 'build-backend = "backend"' in text:
            (path.parent / "backend.py").write_text(BACKEND)
    return root


def lock_project(root: Path, index_url: str, cache: Path, *args: str) -> str:
    """`uv lock` against `index_url` only (not offline); returns the lock's text."""
    result = run_uv(["lock", "--no-offline", "--default-index", index_url, *args], root, cache)
    if result.returncode != 0:
        raise AssertionError(f"uv lock failed in {root}:\n{result.stderr}")
    return (root / "uv.lock").read_text()


class UvView(NamedTuple):
    """How uv reads a project: `uv export --frozen` and `uv sync --frozen --dry-run`."""

    export_code: int
    export: str  # the requirements, or the error
    sync_code: int
    sync: str  # the plan, or the error


_DURATION = re.compile(r" in [0-9.]+m?s\b")
_NOISE = re.compile(r"(Using|Would create|Resolved|Audited|Would use|Discovered) |warning: ")


def uv_view(
    project: Path, cache: Path, scope: Sequence[str] = (), sync: Sequence[str] = ()
) -> UvView:
    """How uv reads `project` offline in `scope` (uv's selection options, `--extra x` ...).

    Two views: `uv export --frozen` (the third-party pins with hashes, local packages left
    out) and `uv sync --frozen --dry-run` (the install plan; `sync` adds options such as
    `--no-install-project`). Paths of the project and the machine are replaced, so the
    views of an original and of its export compare equal when uv reads them alike."""
    exported = run_uv(
        [
            "export",
            "--frozen",
            "--offline",
            "--no-header",
            "--no-annotate",
            "--no-emit-local",
            *scope,
        ],
        project,
        cache,
    )
    planned = run_uv(["sync", "--frozen", "--offline", "--dry-run", *sync, *scope], project, cache)

    def clean(text: str) -> str:
        text = text.replace(str(project.resolve()), "<project>").replace(str(project), "<project>")
        text = _DURATION.sub(" in <time>", text)
        return "\n".join(line for line in text.splitlines() if not _NOISE.match(line))

    return UvView(
        exported.returncode,
        clean(exported.stdout if exported.returncode == 0 else exported.stderr),
        planned.returncode,
        clean(planned.stdout + planned.stderr),
    )


def export_to(project: Path, out: Path, mode: Mode = "frozen") -> Path:
    """`lockstrip export --mode MODE` of `project` into `out` (replaced if it is an export)."""
    read = read_project(project)
    write_export(build_export(read, mode), out, read.root, force=True)
    return out


def assert_uv_agrees(
    project: Path,
    work: Path,
    cache: Path,
    scopes: Sequence[Sequence[str]],
    *,
    sync: Sequence[str] = (),
    modes: Sequence[Mode] = MODES,
) -> dict[tuple[str, ...], UvView]:
    """Export `project` in each mode (into `work`) and assert that uv reads every export as
    the original in every scope. Returns the original's views, for the caller to check
    that the scenario shows what it means to (a scope that works, one that uv refuses)."""
    expected = {tuple(scope): uv_view(project, cache, scope, sync) for scope in scopes}
    for mode in modes:
        out = export_to(project, work / f"export-{mode}", mode)
        for scope, view in expected.items():
            got = uv_view(out, cache, scope, sync)
            assert got == view, f"--mode {mode}, scope {scope}:\n{got}\n!= original\n{view}"
    return expected
