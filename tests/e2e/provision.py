"""Provision the end-to-end suite: a container builder and what its images are made of.

Run by `.ci/run` before pytest, as `python3 tests/e2e/provision.py`. Everything the suite
needs from outside comes in here, once, into a cache folder that reruns reuse:

* Debian's `docker.io` (dockerd with BuildKit, and the 20.10 CLI in /usr/bin/docker, which
  has BuildKit built in; newer CLIs need the buildx plugin, which apt lacks), `debootstrap`
  and `docker-registry` (an image registry to run on 127.0.0.1), from apt;
* a Debian root file system with Python and pip, made by debootstrap from Debian's mirror,
  because no image registry is reachable: it stands in for `python:3.11-slim`;
* wheels from PyPI for what the images install: lockstrip's dependencies, and hatchling and
  editables, the build backend of the test projects;
* Poetry's wheels and its dependencies, for the Poetry projects' images, and PDM's for the
  PDM projects' images (a folder each, so the shared wheelhouse above stays current).

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
from collections.abc import Sequence
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

#: `platform.machine()` -> Debian's name of the architecture.
DEBIAN_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}

#: What the wheelhouse holds besides lockstrip's own dependencies.
EXTRA_WHEELS = ("hatchling", "editables")

#: The Poetry the Poetry images install: the release `lockstrip dockerfile` pins for Poetry
#: projects (tests/test_poetry_dockerfile.py checks that the two agree).
POETRY = "2.5.1"
#: The PDM the PDM images install (tests/test_pdm_dockerfile.py checks it is the pinned one),
#: with the hishel it runs with (the Dockerfile pins it too: hishel 2 breaks PDM 2.29.4).
PDM = "2.29.4"
PDM_REQUIREMENTS = (f"pdm=={PDM}", "hishel[httpx2]>=1.4,<2")


def cache_dir() -> Path:
    """Where provisioned files live across runs: $LOCKSTRIP_E2E_CACHE or ~/.cache/lockstrip-e2e."""
    explicit = os.environ.get("LOCKSTRIP_E2E_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lockstrip-e2e"


def rootfs_tar(machine: str | None = None) -> Path:
    """The root file system of `machine` (this one by default), as `platform.machine()` names it."""
    return cache_dir() / f"rootfs-{SUITE}-{machine or platform.machine()}.tar"


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


def _make_rootfs(machine: str | None = None) -> None:
    """debootstrap a minimal Debian with Python and pip, shaped like the official image.

    For another machine, debootstrap runs the second stage's programs through the emulator
    registered with binfmt_misc, so that must be in place first."""
    target = rootfs_tar(machine)
    if target.is_file():
        return
    arch = [] if machine is None else [f"--arch={DEBIAN_ARCH[machine]}"]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".rootfs.") as scratch:
        root = Path(scratch) / "rootfs"
        log = Path(scratch) / "debootstrap.log"
        with log.open("w") as handle:
            done = subprocess.run(
                [
                    *("debootstrap", *arch, "--variant=minbase", "--include=python3,python3-pip"),
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


def poetry_wheelhouse() -> Path:
    return cache_dir() / "poetry-wheels"


def _poetry_stamp() -> str:
    return " ".join((f"poetry=={POETRY}", PYTHON, platform.machine()))


def poetry_not_provisioned() -> str | None:
    """What the Poetry images lack, or None when their wheels are in place."""
    stamp = poetry_wheelhouse() / ".stamp"
    if stamp.is_file() and stamp.read_text() == _poetry_stamp():
        return None
    return f"{poetry_wheelhouse()} (for poetry=={POETRY})"


def _download_poetry_wheels() -> None:
    """Poetry and every dependency it installs on the image's Python and machine."""
    if poetry_not_provisioned() is None:
        return
    _download_tool(poetry_wheelhouse(), [f"poetry=={POETRY}"], _poetry_stamp())


def pdm_wheelhouse() -> Path:
    return cache_dir() / "pdm-wheels"


def _pdm_stamp() -> str:
    return " ".join((*PDM_REQUIREMENTS, PYTHON, platform.machine()))


def pdm_not_provisioned() -> str | None:
    """What the PDM images lack, or None when their wheels are in place."""
    stamp = pdm_wheelhouse() / ".stamp"
    if stamp.is_file() and stamp.read_text() == _pdm_stamp():
        return None
    return f"{pdm_wheelhouse()} (for pdm=={PDM})"


def _download_pdm_wheels() -> None:
    """PDM and every dependency it installs on the image's Python and machine."""
    if pdm_not_provisioned() is None:
        return
    _download_tool(pdm_wheelhouse(), PDM_REQUIREMENTS, _pdm_stamp())


def _download_tool(folder: Path, requirements: Sequence[str], stamp: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    machine = platform.machine()
    target = ["--python-version", PYTHON, "--implementation", "cp", "--only-binary", ":all:"]
    for glibc in ("2_17", "2_28"):
        target += ["--platform", f"manylinux_{glibc}_{machine}"]
    target += ["--platform", "linux_" + machine]
    subprocess.run(
        [*_pip(), "download", "-q", "-d", str(folder), *target, *requirements], check=True
    )
    (folder / ".stamp").write_text(stamp)


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


# --- a second platform, under emulation ------------------------------------------------------

#: The machine whose images the two-platform test builds besides this one's.
OTHER_MACHINE = {"x86_64": "aarch64", "aarch64": "x86_64"}.get(platform.machine(), "")

#: Small packages with compiled wheels for both machines, so the two platforms' download steps
#: fetch different files: a dependency of every platform, one for aarch64 only, one for
#: x86_64 only (platform_machine markers in the test project).
PLATFORM_PACKAGES = ("markupsafe==3.0.2", "ujson==5.10.0", "crc32c==2.7.1")

#: qemu's user-mode emulators, and binfmt-support to register them with the kernel.
EMULATION_PACKAGES = ("qemu-user-static", "binfmt-support")

_BINFMT = Path("/proc/sys/fs/binfmt_misc")


def emulation_missing() -> str | None:
    """Why the other machine's programs cannot run here, or None when they can.

    The registration must carry the F flag (the kernel opens the emulator once, at
    registration), or containers, which do not see the host's emulator, cannot use it."""
    if not OTHER_MACHINE:
        return f"no second platform is known for {platform.machine()}"
    entry = _BINFMT / f"qemu-{OTHER_MACHINE}"
    if not entry.is_file():
        return f"{entry} is not registered (qemu-user-static, binfmt-support)"
    lines = entry.read_text().splitlines()
    if "enabled" not in lines:
        return f"{entry} is registered but disabled"
    flags = next((line.split(":", 1)[1] for line in lines if line.startswith("flags:")), "")
    if "F" not in flags:
        return f"{entry} lacks the F flag, so containers cannot reach the emulator"
    return None


def uv_wheel(machine: str) -> Path | None:
    """The uv wheel of `machine` in the platform wheelhouse, for that platform's uv image."""
    found = sorted(platform_wheelhouse().glob(f"uv-{_uv_pin()}-*{machine}*.whl"))
    return found[0] if found else None


def platform_wheelhouse() -> Path:
    return cache_dir() / "platform-wheels"


def platforms_not_provisioned() -> str | None:
    """What the two-platform test lacks, or None when everything is in place."""
    why = emulation_missing()
    if why:
        return why
    missing = [str(p) for p in (rootfs_tar(OTHER_MACHINE),) if not p.is_file()]
    if not _platform_wheels_current():
        missing.append(f"{platform_wheelhouse()} (for {', '.join(PLATFORM_PACKAGES)})")
    return ", ".join(missing) or None


def _uv_pin() -> str:
    """The uv of the test extra: the images run the uv the host's `uv lock` ran."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    with (REPO / "pyproject.toml").open("rb") as handle:
        extras: dict[str, list[str]] = tomllib.load(handle)["project"]["optional-dependencies"]
    pins = [r.split("==")[1] for r in extras["test"] if r.replace(" ", "").startswith("uv==")]
    return pins[0]


def _register_emulation() -> None:
    """Install and register the emulator; failures are left for emulation_missing() to
    explain, since the rest of the suite does not need it."""
    if emulation_missing() is None:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = []
    if not shutil.which(f"qemu-{OTHER_MACHINE}-static") and shutil.which("apt-get"):
        steps += [
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *EMULATION_PACKAGES],
        ]
    if not (_BINFMT / "register").exists():
        # Containers often start without binfmt_misc mounted; mounting it needs root only.
        steps.append(["mount", "-t", "binfmt_misc", "binfmt_misc", str(_BINFMT)])
    steps.append(["update-binfmts", "--enable", f"qemu-{OTHER_MACHINE}"])
    for step in steps:
        try:
            subprocess.run(step, env=env, stdout=subprocess.DEVNULL, check=False)
        except OSError as error:  # a program missing: say so, and carry on
            _log(f"{step[0]}: {error}")


def _platform_wheels_stamp() -> str:
    return " ".join((*PLATFORM_PACKAGES, f"uv=={_uv_pin()}", PYTHON, OTHER_MACHINE))


def _platform_wheels_current() -> bool:
    stamp = platform_wheelhouse() / ".stamp"
    return stamp.is_file() and stamp.read_text() == _platform_wheels_stamp()


def _download_platform_wheels() -> None:
    """Both machines' wheels of PLATFORM_PACKAGES, and uv's wheel for the other machine
    (this machine's uv image takes the test environment's binary)."""
    if _platform_wheels_current():
        return
    folder = platform_wheelhouse()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for machine in (platform.machine(), OTHER_MACHINE):
        target = ["--python-version", PYTHON, "--implementation", "cp", "--only-binary", ":all:"]
        target += ["--platform", f"manylinux2014_{machine}", "--no-deps"]
        wanted = [*PLATFORM_PACKAGES, *([f"uv=={_uv_pin()}"] if machine == OTHER_MACHINE else [])]
        subprocess.run([*_pip(), "download", "-q", "-d", str(folder), *target, *wanted], check=True)
    (folder / ".stamp").write_text(_platform_wheels_stamp())


def _provision_other_platform() -> None:
    """The two-platform test's needs; where emulation cannot be registered, say why and go on
    (that test then skips with the same reason, the rest of the suite runs)."""
    _register_emulation()
    why = emulation_missing()
    if why:
        _log(f"no second platform ({why}); the two-platform test will be skipped")
        return
    _make_rootfs(OTHER_MACHINE)
    _download_platform_wheels()


def main() -> int:
    why = unavailable()
    if why:
        _log(f"no builder on this machine ({why}); the e2e suite will be skipped")
        return 0
    for step, action in (
        (f"apt: {', '.join(APT_PACKAGES)}", _install_tools),
        (f"Debian {SUITE} root file system", _make_rootfs),
        ("wheels", _download_wheels),
        (f"Poetry {POETRY} wheels", _download_poetry_wheels),
        (f"PDM {PDM} wheels", _download_pdm_wheels),
        (f"second platform: {OTHER_MACHINE or 'none'}", _provision_other_platform),
    ):
        start = time.monotonic()
        action()
        _log(f"{step}: ready ({time.monotonic() - start:.1f} s)")
    _log(f"cache: {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
