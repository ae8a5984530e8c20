"""Run the provisioned Poetry and PDM releases on a project folder, offline and isolated.

Each call gets its own cache, config, data and state folders in a temporary directory, and
a throwaway virtual environment there too: a dry run plans against an empty environment,
never against the tool's own (with `virtualenvs.create = false` Poetry would plan against
the environment it runs in, and skip whatever that happens to hold).

Offline means a network namespace with no interfaces (`unshare -n`, as root): a command
that tries to reach an index fails at once with a name-resolution error instead of quietly
downloading. Where `unshare` cannot make one, the proxy variables point at a closed port on
127.0.0.1, which catches every request that honours them. Measured (docs/poetry-facts.md):
`poetry check --lock`, `poetry install --no-root --dry-run`, `poetry show --tree`,
`poetry export` and `pdm lock --check` read no index; `pdm install --dry-run
--frozen-lockfile` asks the index for the project's own build backend unless `--no-self`,
and resolves a lock without `inherit_metadata` again, which may need the index anyway.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from poetry_oracle import provision

POETRY_2 = "poetry-2.5.1"
POETRY_1 = "poetry-1.8.5"
PDM = "pdm-2.29.4"
POETRIES = (POETRY_2, POETRY_1)

#: A closed port: every request that honours the proxy variables fails at once.
_NOWHERE = "http://127.0.0.1:9"
#: `poetry install --dry-run`: "  - Installing name (1.2.3)", for a git package
#: "  - Installing name (1.2.3 abc1234)" (the version, then the revision), and, for packages
#: outside the requested groups, "... (1.2.3): Skipped for the following reason: Not required".
_POETRY_OP = re.compile(
    r"^\s*-\s+(?P<op>Installing|Updating|Downgrading|Removing)\s+(?P<name>\S+)\s+"
    r"\((?:[^()]*->\s*)?(?P<version>[^()\s]+)(?:\s+[^()\s]+)?\)(?P<skipped>:\s*Skipped.*)?$"
)
#: `pdm install --dry-run`: "  - name 1.2.3" under "Packages to add:".
_PDM_OP = re.compile(r"^\s*-\s+(?P<name>\S+)\s+(?P<version>\S+)")


@dataclass(frozen=True)
class Result:
    """One command's outcome, with the command line that produced it."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def offline_failure(self) -> bool:
        """True when the command failed because it tried to reach the network."""
        markers = (
            "name resolution",
            "Name or service not known",
            "Connection refused",
            "All attempts to connect",
        )
        return not self.ok and any(marker in self.output for marker in markers)


@dataclass(frozen=True)
class Planned:
    """A package that a dry run would install (skipped: outside the requested groups)."""

    name: str
    version: str
    skipped: bool = False


@functools.cache
def python_version(locker: str) -> str | None:
    """The full version of the Python the locker runs on ("3.11.7"): the environment a dry
    run plans for, markers on `python_full_version` included. None when not provisioned."""
    if unavailable(locker):
        return None
    python = provision.executable(locker).parent / "python"
    done = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def unavailable(locker: str) -> str | None:
    """Why `locker` cannot run here, or None when it is provisioned."""
    return provision.not_provisioned(locker)


@functools.cache
def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def _environment(scratch: Path, extra: Mapping[str, str]) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "NO_COLOR": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "XDG_CACHE_HOME": str(scratch / "xdg-cache"),
            "XDG_CONFIG_HOME": str(scratch / "xdg-config"),
            "XDG_DATA_HOME": str(scratch / "xdg-data"),
            "XDG_STATE_HOME": str(scratch / "xdg-state"),
            # Poetry: its own folders, a virtualenv made per call outside the project.
            "POETRY_CACHE_DIR": str(scratch / "poetry-cache"),
            "POETRY_CONFIG_DIR": str(scratch / "poetry-config"),
            "POETRY_DATA_DIR": str(scratch / "poetry-data"),
            "POETRY_VIRTUALENVS_CREATE": "true",
            "POETRY_VIRTUALENVS_IN_PROJECT": "false",
            "POETRY_VIRTUALENVS_PATH": str(scratch / "venvs"),
            "POETRY_NO_INTERACTION": "1",
            "POETRY_INSTALLER_PARALLEL": "false",
            # PDM: its own folders, no update check, a venv made per call.
            "PDM_HOME": str(scratch / "pdm-home"),
            "PDM_CACHE_DIR": str(scratch / "pdm-cache"),
            "PDM_CONFIG_FILE": str(scratch / "pdm-config.toml"),
            "PDM_CHECK_UPDATE": "false",
            "PDM_IGNORE_ACTIVE_VENV": "1",
            "PDM_IGNORE_SAVED_PYTHON": "1",
            "PDM_NON_INTERACTIVE": "1",
            "PDM_VENV_IN_PROJECT": "false",
            "PDM_VENV_LOCATION": str(scratch / "pdm-venvs"),
        }
    )
    if not _can_unshare():
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
            env[name] = _NOWHERE
    env.update(extra)
    return env


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="lockstrip-locker-") as folder:
        yield Path(folder)


def run(
    locker: str,
    args: Sequence[str],
    project: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> Result:
    """Run one provisioned locker in `project`, offline, with every folder it writes isolated.

    The project folder itself is left as it was, apart from what the command writes there
    (`pdm` writes `.pdm-python`; nothing here asks either tool to rewrite a lock).
    """
    argv = (str(provision.executable(locker)), *args)
    offline = ("unshare", "-n") if _can_unshare() else ()
    with _scratch() as scratch:
        done = subprocess.run(
            [*offline, *argv],
            cwd=project,
            env=_environment(scratch, env or {}),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    return Result(argv, done.returncode, done.stdout, done.stderr)


# -- Poetry ----------------------------------------------------------------------------------


def _poetry(locker: str, args: Sequence[str], project: Path, *, plugins: bool = False) -> Result:
    """Poetry with `--no-plugins` unless asked: a project's `[tool.poetry.requires-plugins]`
    makes Poetry 2 resolve and install those plugins from the index before any command
    (measured: commitizen's poethepoet), and the oracle must not depend on them."""
    return run(locker, [*(() if plugins else ("--no-plugins",)), *args], project)


def poetry_check_lock(project: Path, locker: str = POETRY_2) -> Result:
    """`poetry check --lock`: the lock matches pyproject (content-hash) and pyproject is valid.

    Poetry 2 also fails on a declared readme file that is missing; see
    `lock_is_fresh` for the lock question alone.
    """
    return _poetry(locker, ["check", "--lock"], project)


def lock_is_fresh(result: Result) -> bool:
    """Whether `poetry check --lock` found the lock current, whatever else it reported."""
    stale = ("changed significantly", "not consistent with pyproject.toml")
    return not any(marker in result.output for marker in stale)


def poetry_install_plan(
    project: Path, extra: Sequence[str] = (), locker: str = POETRY_2
) -> tuple[Result, list[Planned]]:
    """`poetry install --no-root --dry-run` (plus `extra`, e.g. `--all-extras`, `--with x`)."""
    result = _poetry(locker, ["install", "--no-root", "--dry-run", *extra], project)
    return result, parse_poetry_plan(result.stdout)


def parse_poetry_plan(text: str) -> list[Planned]:
    planned = []
    for line in text.splitlines():
        match = _POETRY_OP.match(line)
        if match and match["op"] != "Removing":
            planned.append(Planned(match["name"], match["version"], bool(match["skipped"])))
    return sorted(planned, key=lambda item: (item.name, item.version))


def poetry_show_tree(project: Path, extra: Sequence[str] = (), locker: str = POETRY_2) -> Result:
    return _poetry(locker, ["show", "--tree", *extra], project)


def poetry_export(project: Path, extra: Sequence[str] = (), locker: str = POETRY_2) -> Result:
    """`poetry export -f requirements.txt` (the export plugin: bundled in 1.8, added in 2.x).

    Plugins stay on (export is one); a project with `requires-plugins` then needs the index.
    """
    return _poetry(
        locker, ["export", "--format", "requirements.txt", *extra], project, plugins=True
    )


# -- PDM -------------------------------------------------------------------------------------


def pdm_lock_check(project: Path) -> Result:
    """`pdm lock --check`: exit 0 when the lock's content_hash matches pyproject."""
    return run(PDM, ["lock", "--check"], project)


def pdm_install_plan(project: Path, extra: Sequence[str] = ()) -> tuple[Result, list[Planned]]:
    """`pdm install --dry-run --frozen-lockfile --no-self` (plus `extra`, e.g. `-G :all`).

    `--no-self`: without it PDM asks the index for the project's build backend.
    """
    result = run(PDM, ["install", "--dry-run", "--frozen-lockfile", "--no-self", *extra], project)
    return result, parse_pdm_plan(result.stdout)


def parse_pdm_plan(text: str) -> list[Planned]:
    planned = []
    adding = False
    for line in text.splitlines():
        if line.strip().endswith(":"):
            adding = line.strip() == "Packages to add:"
            continue
        match = _PDM_OP.match(line)
        if adding and match:
            planned.append(Planned(match["name"], match["version"]))
    return sorted(planned, key=lambda item: (item.name, item.version))
