"""Provision lockstrip's runtime dependencies for every CPython 3.10+ on this machine, with
and without toml-rs, for tests/test_key_identity.py (a digest must not depend on the
interpreter or the TOML reader that computes it).

    python3 tests/interpreters.py      # .ci/run does this before the suite

Each environment is a virtual environment under ~/.cache/lockstrip-interpreters named
`<X.Y>-<reader>`, holding the dependencies pyproject.toml declares (less toml-rs for the
`tomli` reader) but not lockstrip: the test runs the working tree's lockstrip in it through
PYTHONPATH. The package index is reached here, never by the tests.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
from pathlib import Path

from helpers import tomllib  # tomli before 3.11

ROOT = Path(__file__).resolve().parent.parent
HOME = Path.home() / ".cache" / "lockstrip-interpreters"
MINORS = ("3.10", "3.11", "3.12", "3.13")
READERS = ("toml_rs", "tomli")


def interpreters() -> dict[str, str]:
    """One working interpreter per minor version: pythonX.Y on PATH, or a pyenv build."""
    found: dict[str, str] = {}
    for minor in MINORS:
        candidates = [shutil.which(f"python{minor}") or ""]
        pattern = str(Path.home() / f".pyenv/versions/{minor}.*/bin/python3")
        candidates += sorted(glob.glob(pattern))
        for candidate in filter(None, candidates):
            probe = [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
            done = subprocess.run(probe, capture_output=True, text=True, check=False)
            if done.returncode == 0 and done.stdout.strip() == minor:  # not a stale shim
                found[minor] = candidate
                break
    return found


def requirements(reader: str) -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        declared: list[str] = tomllib.load(handle)["project"]["dependencies"]
    if reader == "tomli":
        declared = [r for r in declared if not r.startswith("toml-rs")]
    return declared


def provision(minor: str, python: str, reader: str) -> None:
    folder = HOME / f"{minor}-{reader}"
    stamp = folder / "requirements.txt"
    wanted = "\n".join(requirements(reader)) + "\n"
    if stamp.is_file() and stamp.read_text() == wanted:
        return
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(folder)], check=True)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--disable-pip-version-check", *requirements(reader)], check=True)
    stamp.write_text(wanted)


def main() -> None:
    found = interpreters()
    for minor, python in found.items():
        for reader in READERS:
            provision(minor, python, reader)
    missing = sorted(set(MINORS) - set(found))
    print(f"interpreters: {', '.join(found) or 'none'}; not on this machine: {missing or 'none'}")


if __name__ == "__main__":
    main()
