"""Provision the Poetry and PDM oracles: pinned releases in their own virtual environments.

Run by `.ci/run` before pytest, as `python3 tests/poetry_oracle/provision.py`. It installs,
with pip, into a cache folder that reruns reuse ($LOCKSTRIP_LOCKERS_CACHE, or
~/.cache/lockstrip-lockers), one virtual environment per tool and version:

* Poetry 2.x (the newest release when this was pinned) with poetry-plugin-export, which
  Poetry 2 no longer bundles;
* Poetry 1.8.5, the last 1.x release, which reads and writes the older lock generations
  (lock-version 1.1 and 2.0) and bundles the export plugin itself;
* PDM (the newest release when this was pinned).

Each environment is built at its final path (a venv's scripts name it in their shebangs)
and marked complete last, so an interrupted run is rebuilt and a complete one is reused.
The tests never reach the internet: tests/poetry_oracle/clients.py runs these installs
offline. Where pip cannot install them
here, this prints why and exits 0, and the tests that need them skip with that reason.

Standard library only: it runs before any virtual environment exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

#: Pinned so that a rerun tests with what the last run tested. Name -> pip requirements.
LOCKERS: dict[str, tuple[str, ...]] = {
    "poetry-2.5.1": ("poetry==2.5.1", "poetry-plugin-export==1.10.1"),
    "poetry-1.8.5": ("poetry==1.8.5",),
    # hishel 2.0 (released after pdm 2.29.4) drops names pdm imports: every pdm command that
    # touches the network layer fails with AttributeError 'SyncSqliteStorage'.
    "pdm-2.29.4": ("pdm==2.29.4", "hishel[httpx2]>=1.4,<2"),
}
#: Written last: an environment without it was interrupted and is built again.
_MARKER = ".provisioned"
#: The executable each environment provides.
_ENTRY = {"poetry": "poetry", "pdm": "pdm"}


def cache_dir() -> Path:
    explicit = os.environ.get("LOCKSTRIP_LOCKERS_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lockstrip-lockers"


def executable(name: str) -> Path:
    """The entry point of one provisioned locker, e.g. `executable("poetry-1.8.5")`."""
    tool = name.split("-", 1)[0]
    return cache_dir() / name / "bin" / _ENTRY[tool]


def not_provisioned(name: str) -> str | None:
    """What is missing for `name` to run, or None when it is in place."""
    if (cache_dir() / name / _MARKER).exists() and executable(name).exists():
        return None
    return f"{cache_dir() / name} missing (run tests/poetry_oracle/provision.py)"


def _log(message: str) -> None:
    print(f"lockers provision: {message}", flush=True)


def _install(name: str, requirements: tuple[str, ...]) -> None:
    target = cache_dir() / name
    if not_provisioned(name) is None:
        return
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(target)
        pip = target / "bin" / "pip"
        subprocess.run(
            [str(pip), "install", "-q", "--disable-pip-version-check", *requirements],
            check=True,
        )
        probe = subprocess.run(
            [str(executable(name)), "--version"], check=True, capture_output=True, text=True
        )
        (target / _MARKER).write_text(" ".join(requirements) + "\n")
        _log(f"{name}: {probe.stdout.strip()}")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def main() -> int:
    for name, requirements in LOCKERS.items():
        try:
            _install(name, requirements)
        except (OSError, subprocess.CalledProcessError) as error:
            _log(f"{name} not installed ({error}); the tests that need it will skip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
