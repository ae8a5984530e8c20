"""[tool.uv] in the frozen export: only what `uv sync --frozen` does not read is dropped.

uv itself is the oracle. It names every setting it knows when it meets one it does not, so
the table in volatile.py is checked against uv's own list; each dropped setting is planted in
a real project and uv must read the export (which drops it) as it reads the project (which
has it); and the settings that choose the interpreter, or refuse to run, must give the same
verdict on both. These tests run uv with the project's settings: helpers.uv_env sets
UV_NO_CONFIG, under which uv ignores them all.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from e2e.index import write_sdist, write_wheel
from helpers import FIXTURES, copy_project, tomllib, uv_executable
from oracle.backend import BACKEND, BUILD_SYSTEM
from oracle.generate import render_toml

from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.export import build_export
from lockstrip.formats.uv.rules.pyproject import TOOL_UV_FROZEN_DROPS, strip_root_pyproject
from lockstrip.io.export_folder import write_export

#: Settings that decide which interpreter `uv sync` uses, which uv may run, whether the
#: project is synced at all, or which of uv's behaviours are on: dropping one lets the
#: download stage run where the final stage refuses, or with another interpreter. Written
#: here, not read from volatile.py, so that a row planted in TOOL_UV_FROZEN_DROPS for one of
#: them fails.
INTERPRETER_SETTINGS = (
    "python-preference",
    "python-downloads",
    "python-install-mirror",
    "pypy-install-mirror",
    "graalpy-install-mirror",
    "pyodide-install-mirror",
    "python-downloads-json-url",
    "required-version",
    "managed",
    "package",
    "minimum-libc-version",
    "preview",
    "preview-features",
)

#: A value uv 0.13.8 accepts for each dropped setting, so that uv parses the [tool.uv] table
#: (it ignores the whole table when one value fails to parse, which would prove nothing).
DROPPED_SAMPLES: dict[str, Any] = {
    "resolution": "lowest-direct",
    "prerelease": "allow",
    "prerelease-package": {"pydantic": "allow"},
    "fork-strategy": "fewest",
    "upgrade": True,
    "upgrade-package": ["fastapi"],
    "torch-backend": "cpu",
    "constraint-dependencies": ["fastapi<0.100"],
    "override-dependencies": ["pydantic==1.10.0"],
    "exclude-dependencies": ["uvloop"],
    "build-constraint-dependencies": ["setuptools<60"],
    "conflicts": [[{"group": "dev"}, {"group": "other"}]],
    "environments": ["sys_platform == 'win32'"],
    "required-environments": ["sys_platform == 'win32' and platform_machine == 'AMD64'"],
    "sources": {"fastapi": {"git": "https://git.example.invalid/fastapi", "tag": "0.1"}},
    "add-bounds": "exact",
    "pip": {"compile-bytecode": True, "no-binary": [":all:"]},
    "publish-url": "https://upload.example.invalid/legacy/",
    "trusted-publishing": "never",
    "check-url": "https://index.example.invalid/simple/",
    "build-backend": {"module-name": "renamed"},
}

PROJECT = FIXTURES / "astral-sh__uv-docker-example"
#: The download stage's install, planned, and uv's view of the third-party set.
SYNC = ["sync", "--frozen", "--dry-run", "--no-install-project", "--all-groups"]
EXPORT = ["export", "--frozen", "--no-header", "--no-annotate", "--no-emit-project"]


def uv_settings(tmp_path: Path) -> list[str]:
    """The [tool.uv] settings the installed uv knows, from its own message about one it
    does not."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "probe"\nversion = "0"\n\n[tool.uv]\nnot-a-setting = 1\n'
    )
    result = run(["export", "--frozen", "--no-header"], tmp_path, tmp_path / "cache")
    listed = re.search(r"unknown field `not-a-setting`, expected one of (.*)", result.stderr)
    assert listed, result.stderr
    return re.findall(r"`([^`]+)`", listed.group(1))


def env(cache: Path) -> dict[str, str]:
    """No UV_NO_CONFIG (the project's settings are the subject), no user configuration, no
    managed interpreters, no downloads, no network."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    out.update(
        UV_CACHE_DIR=str(cache),
        UV_PYTHON_INSTALL_DIR=str(cache / "pythons"),
        UV_PYTHON_DOWNLOADS="never",
        UV_OFFLINE="1",
        XDG_CONFIG_HOME=str(cache / "config"),
        NO_COLOR="1",
    )
    return out


def run(args: list[str], cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [uv_executable(), *args], cwd=cwd, env=env(cache), capture_output=True, text=True
    )


def verdict(args: list[str], project: Path, cache: Path) -> tuple[int, str]:
    """uv's exit code and output, the project's path and the venv lines masked."""
    result = run(args, project, cache)
    text = (result.stdout + result.stderr).replace(str(project), "<project>")
    lines = [line for line in text.splitlines() if not line.startswith("Would create ")]
    return result.returncode, "\n".join(lines)


def with_settings(tmp_path: Path, settings: dict[str, Any]) -> tuple[Path, Path]:
    """The fixture with `settings` in its [tool.uv], and its frozen export."""
    project = copy_project(PROJECT, tmp_path / "project")
    with (project / "pyproject.toml").open("a") as file:
        file.write("\n" + render_toml({"tool": {"uv": settings}}))
    read = read_project(project)
    out = tmp_path / "export"
    write_export(build_export(read), out, read.root)
    return project, out


def exported_settings(out: Path) -> dict[str, Any]:
    with (out / "pyproject.toml").open("rb") as file:
        doc = tomllib.load(file)
    settings: dict[str, Any] = doc.get("tool", {}).get("uv", {})
    return settings


# --- the table against uv's own list of settings ----------------------------------------------


def test_every_dropped_setting_is_one_uv_knows(tmp_path: Path) -> None:
    """A row for a setting uv does not have would be a guess (or a typo that drops nothing)."""
    known = set(uv_settings(tmp_path))
    assert len(known) > 60
    assert TOOL_UV_FROZEN_DROPS.keys() <= known
    assert DROPPED_SAMPLES.keys() == TOOL_UV_FROZEN_DROPS.keys()


@pytest.mark.parametrize("setting", INTERPRETER_SETTINGS)
def test_interpreter_settings_are_kept(setting: str) -> None:
    assert setting not in TOOL_UV_FROZEN_DROPS


def test_the_frozen_view_keeps_every_setting_no_row_drops() -> None:
    """Settings uv adds later, and every one no row names, stay (volatile.py's rule)."""
    tool_uv = {
        "a-setting-from-a-later-uv": True,
        "python-preference": "only-managed",
        "compile-bytecode": True,
        "exclude-newer": "7 days",
        **DROPPED_SAMPLES,
    }
    doc = {"project": {"name": "p", "version": "1"}, "tool": {"uv": tool_uv}}
    kept = strip_root_pyproject(doc, "frozen", lock_name="p")["tool"]["uv"]
    assert kept == {
        "a-setting-from-a-later-uv": True,
        "python-preference": "only-managed",
        "compile-bytecode": True,
        "exclude-newer": "7 days",
    }
    locked = strip_root_pyproject(doc, "locked", lock_name="p")["tool"]["uv"]
    assert locked == tool_uv


# --- uv reads the export as the project --------------------------------------------------------


@pytest.mark.parametrize("setting", sorted(DROPPED_SAMPLES))
def test_uv_reads_a_dropped_setting_alike(setting: str, tmp_path: Path) -> None:
    """With the setting in the project and out of the export, `uv sync --frozen` plans the
    same install and `uv export --frozen` prints the same packages."""
    project, out = with_settings(tmp_path, {setting: DROPPED_SAMPLES[setting]})
    assert setting not in exported_settings(out)
    cache = tmp_path / "cache"
    for args in (SYNC, EXPORT):
        original = verdict(args, project, cache)
        assert "Failed to parse" not in original[1], original[1]  # uv read the setting
        assert original[0] == 0, original[1]
        assert verdict(args, out, cache) == original, " ".join(args)


#: Settings whose value makes uv refuse the project on this machine (no managed interpreter,
#: no downloads), and the message that says so: the export must be refused alike.
REFUSING = {
    "python-preference": ("only-managed", "in managed installations"),
    "required-version": ("<0.1", "Required uv version"),
}


@pytest.mark.parametrize("setting", sorted(REFUSING))
def test_uv_refuses_the_export_where_it_refuses_the_project(setting: str, tmp_path: Path) -> None:
    """uv fails on the project ("No interpreter found for Python >=3.11 in managed
    installations"); it must fail the same way on the export, or the download stage would
    install with an interpreter the final stage refuses."""
    value, message = REFUSING[setting]
    project, out = with_settings(tmp_path, {setting: value})
    assert exported_settings(out)[setting] == value
    cache = tmp_path / "cache"
    for args in (SYNC, EXPORT):
        original = verdict(args, project, cache)
        if args is SYNC or setting == "required-version":
            assert original[0] != 0 and message in original[1], original[1]
        assert verdict(args, out, cache) == original, " ".join(args)


def test_the_interpreter_preference_is_followed_on_the_export(tmp_path: Path) -> None:
    """`only-system` accepts this machine's interpreter on both: the plan is not empty."""
    project, out = with_settings(tmp_path, {"python-preference": "only-system"})
    cache = tmp_path / "cache"
    original = verdict(SYNC, project, cache)
    assert original[0] == 0 and "+ fastapi==" in original[1], original[1]
    assert verdict(SYNC, out, cache) == original


# --- build constraints: `uv sync --frozen` reads them from the lock ------------------------------


def sdist_with_a_build_requirement(project: Path) -> None:
    """A project whose one dependency is an sdist that needs `buildme` to build, from a
    find-links folder (offline), and a lock whose [manifest] forbids the only `buildme`."""
    links = project / "links"
    links.mkdir(parents=True)
    write_wheel(links, "buildme", "1.0")
    files = {
        "pyproject.toml": render_toml(
            {
                "build-system": {**BUILD_SYSTEM, "requires": ["buildme"]},
                "project": {"name": "pkg", "version": "1.0", "dependencies": []},
            }
        ),
        "backend.py": BACKEND,
        "PKG-INFO": "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n",
    }
    write_sdist(links, "pkg", "1.0", files)
    doc = {
        "project": {
            "name": "app",
            "version": "0.1.0",
            "requires-python": ">=3.10",
            "dependencies": ["pkg"],
        },
        "tool": {
            "uv": {
                "find-links": ["links"],
                "no-index": True,
                "build-constraint-dependencies": ["buildme<1"],
            }
        },
    }
    (project / "pyproject.toml").write_text(render_toml(doc))


def test_the_export_keeps_the_locks_build_constraints(tmp_path: Path) -> None:
    """uv builds an sdist in the download stage under the lock's `[manifest]
    build-constraints` (it locked `pkg` from its static metadata, without a build): here
    they forbid the only `buildme`, so uv refuses the project, and must refuse the export,
    or the download stage would build what the final stage refuses to."""
    project = tmp_path / "project"
    sdist_with_a_build_requirement(project)
    cache = tmp_path / "cache"
    locked = run(["lock"], project, cache)
    assert locked.returncode == 0, locked.stderr
    assert "build-constraints" in (project / "uv.lock").read_text()
    read = read_project(project)
    out = tmp_path / "export"
    write_export(build_export(read), out, read.root)
    (out / "links").symlink_to(project / "links")  # the build context's archives
    install = ["sync", "--frozen", "--no-install-project"]
    original = verdict(install, project, cache)
    assert original[0] != 0 and "you require buildme<1" in original[1], original[1]
    exported = verdict(install, out, tmp_path / "cache-export")
    assert exported[0] == original[0] and "you require buildme<1" in exported[1], exported[1]
