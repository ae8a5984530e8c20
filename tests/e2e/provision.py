"""Provision the end-to-end suite: a container builder and what its images are made of.

Run by `.ci/run` before pytest, as `python3 tests/e2e/provision.py`. Everything the suite
needs from outside comes in here, once, into a cache folder that reruns reuse:

* Debian's `docker.io` (dockerd with BuildKit, and the 20.10 CLI in /usr/bin/docker, which
  has BuildKit built in; newer CLIs need the buildx plugin, which apt lacks), `debootstrap`
  and `docker-registry` (an image registry to run on 127.0.0.1), from apt;
* a Debian root file system with Python and pip, made by debootstrap from Debian's mirror,
  because no image registry is reachable: it stands in for `python:3.11-slim`;
* wheels from PyPI for what the images install: lockstrip's dependencies, and hatchling and
  editables, the build backend of the test projects.

The test process itself never reaches the internet. Where a builder cannot start (not root,
no apt), this prints why and exits 0; the suite then skips with the same reason.

Standard library only: it runs before any virtual environment exists.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Debian release of the stand-in base image, and the Python it ships.
SUITE = "bookworm"
PYTHON = "3.11"
MIRROR = os.environ.get("LOCKSTRIP_E2E_MIRROR", "http://deb.debian.org/debian")

#: Debian's CLI: BuildKit built in (DOCKER_BUILDKIT=1), no plugin needed.
DOCKER = Path("/usr/bin/docker")
#: docker-registry: Debian's Distribution registry, which the deployment and remote-cache tests
#: run on 127.0.0.1 (push, pull into another daemon, `--cache-from`).
APT_PACKAGES = ("docker.io", "debootstrap", "docker-registry")

#: What the wheelhouse holds besides lockstrip's own dependencies.
EXTRA_WHEELS = ("hatchling", "editables")


def cache_dir() -> Path:
    """Where provisioned files live across runs: $LOCKSTRIP_E2E_CACHE or ~/.cache/lockstrip-e2e."""
    explicit = os.environ.get("LOCKSTRIP_E2E_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lockstrip-e2e"


def rootfs_tar() -> Path:
    return cache_dir() / f"rootfs-{SUITE}-{platform.machine()}.tar"


def wheelhouse() -> Path:
    return cache_dir() / "wheels"


def _tools_missing() -> list[str]:
    tools = {name: shutil.which(name) for name in ("dockerd", "debootstrap", "docker-registry")}
    missing = [name for name, found in tools.items() if not found]
    return missing + ([str(DOCKER)] if not DOCKER.exists() else [])


def unavailable() -> str | None:
    """Why no builder can be provisioned on this machine, or None when one can."""
    if not sys.platform.startswith("linux"):
        return f"a private dockerd needs Linux (this is {sys.platform})"
    if os.geteuid() != 0:
        return "not root, and a private dockerd needs root"
    if _tools_missing() and not shutil.which("apt-get"):
        return f"{', '.join(_tools_missing())} missing and no apt-get to install them"
    return None


def not_provisioned() -> str | None:
    """What is missing for the suite to run, or None when everything is in place."""
    missing = _tools_missing()
    if not rootfs_tar().is_file():
        missing.append(str(rootfs_tar()))
    if not _wheels_current():
        missing.append(f"{wheelhouse()} (for this pyproject.toml)")
    return ", ".join(missing) or None


def _log(message: str) -> None:
    print(f"e2e provision: {message}", flush=True)


def _install_tools() -> None:
    if not _tools_missing():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *APT_PACKAGES],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _make_rootfs() -> None:
    """debootstrap a minimal Debian with Python and pip, shaped like the official image."""
    target = rootfs_tar()
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".rootfs.") as scratch:
        root = Path(scratch) / "rootfs"
        log = Path(scratch) / "debootstrap.log"
        with log.open("w") as handle:
            done = subprocess.run(
                [
                    *("debootstrap", "--variant=minbase", "--include=python3,python3-pip"),
                    *(SUITE, str(root), MIRROR),
                ],
                stdout=handle,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if done.returncode:
            sys.exit(f"debootstrap failed:\n{log.read_text()[-3000:]}")
        _like_official_image(root)
        partial = target.with_suffix(".tar.part")
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
        partial.rename(target)


def _like_official_image(root: Path) -> None:
    """The official python images let pip install into the system and have `python`."""
    for marker in root.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    (root / "usr/local/bin/python").symlink_to("/usr/bin/python3")
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for path in (root / junk).glob("*"):
            if path.is_file():
                path.unlink()


def _wheels_stamp() -> str:
    """The wheelhouse is current while lockstrip's pyproject.toml and this list are."""
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes())
    digest.update(" ".join((*EXTRA_WHEELS, PYTHON, platform.machine())).encode())
    return digest.hexdigest()


def _wheels_current() -> bool:
    stamp = wheelhouse() / ".stamp"
    return stamp.is_file() and stamp.read_text() == _wheels_stamp()


def _download_wheels() -> None:
    """Wheels for the image's Python (Debian's 3.11), whatever Python runs this script."""
    if _wheels_current():
        return
    folder = wheelhouse()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    machine = platform.machine()
    target = ["--python-version", PYTHON, "--implementation", "cp", "--only-binary", ":all:"]
    for glibc in ("2_17", "2_28"):  # Debian bookworm has glibc 2.36
        target += ["--platform", f"manylinux_{glibc}_{machine}"]
    subprocess.run(
        [
            *(*_pip(), "download", "-q", "-d", str(folder), *target),
            *(*EXTRA_WHEELS, *_lockstrip_dependencies()),
        ],
        check=True,
    )
    (folder / ".stamp").write_text(_wheels_stamp())


def _pip() -> list[str]:
    """This Python's pip, or one in a virtual environment when it has none (Debian's)."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    venv = cache_dir() / "pip-venv"
    if not (venv / "bin" / "pip").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return [str(venv / "bin" / "pip")]


def _lockstrip_dependencies() -> list[str]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    with (REPO / "pyproject.toml").open("rb") as handle:
        dependencies: list[str] = tomllib.load(handle)["project"]["dependencies"]
    return dependencies


def main() -> int:
    why = unavailable()
    if why:
        _log(f"no builder on this machine ({why}); the e2e suite will be skipped")
        return 0
    for step, action in (
        (f"apt: {', '.join(APT_PACKAGES)}", _install_tools),
        (f"Debian {SUITE} root file system", _make_rootfs),
        ("wheels", _download_wheels),
    ):
        start = time.monotonic()
        action()
        _log(f"{step}: ready ({time.monotonic() - start:.1f} s)")
    _log(f"cache: {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
