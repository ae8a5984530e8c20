"""Real BuildKit builds of `lockstrip dockerfile`'s output for linux/amd64 and linux/arm64: each
platform's download layer keys on its own export, the images run on their platforms, and both
join one multi-platform image in a registry.

The other machine's programs run under qemu's user-mode emulation (binfmt_misc, registered by
provision.py); where it cannot be registered, the test skips and says why.

Base images, without any remote registry:

* `python:3.11-slim` is a manifest list in a registry on 127.0.0.1 (Debian's docker-registry)
  holding the two Debian root file systems provision.py made, and the daemon takes that
  registry as its Docker Hub mirror. BuildKit in Docker 20.10 uses a local image only when its
  platform is the one asked for, and the printed Dockerfile asks for two at once: the export
  stage runs on the build machine (`--platform=$BUILDPLATFORM`), the rest on the target.
* `ghcr.io/astral-sh/uv:<version>` is a local image of the target platform, retagged before
  each platform's build: the amd64 one holds the test environment's uv, the arm64 one the
  binary from uv's aarch64 wheel.

The project depends on MarkupSafe (compiled wheels for both machines), on `native`
(hand-written wheels tagged for each machine, so a build for one machine only can be
published), and later on ujson for aarch64 only and crc32c for x86_64 only. After each edit,
both platforms are built; the log says whether each download step ran, the index counts each
build's requests, and each image runs its console script with `uv run`, without network.

Runs only with LOCKSTRIP_E2E=1, like test_docker_cache.py.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from e2e import provision
from e2e.builder import Builder, StepState, load_rootfs, step_state
from e2e.index import Index, serve, write_wheel
from e2e.lab import HATCHLING, host_uv, lockstrip_wheel, replace, skip_reason, uv_binary, write
from e2e.registry import serve_registry
from lockstrip.dockerfile import UV_VERSION


def _platforms_skip_reason() -> str | None:
    why = skip_reason()
    if why:
        return why
    missing = provision.platforms_not_provisioned()
    if missing:
        return f"no second platform: {missing} (python3 tests/e2e/provision.py registers it)"
    return None


pytestmark = pytest.mark.skipif(
    _platforms_skip_reason() is not None, reason=_platforms_skip_reason() or ""
)

#: Docker's platform -> (its architecture, `platform.machine()` there).
PLATFORMS = {"linux/amd64": ("amd64", "x86_64"), "linux/arm64": ("arm64", "aarch64")}
#: Docker 20.10 builds one platform at a time; the native one first, so the export stage's
#: install (on the build machine for every target) is in the cache for the other.
ORDER = sorted(PLATFORMS, key=lambda p: PLATFORMS[p][1] != platform.machine())

#: The Docker Hub name every stand-in is pushed under, in the mirror.
PYTHON_IMAGE = f"library/python:{provision.PYTHON}-slim"

PROJECT = {
    "pyproject.toml": """\
[project]
name = "orchard"
version = "1.0.0"
requires-python = ">=3.11"
dependencies = ["markupsafe", "native"]

[project.scripts]
orchard = "orchard:main"

"""
    + HATCHLING,
    "src/orchard/__init__.py": '''\
import importlib
import importlib.metadata
import json
import platform
import sys


def main() -> None:
    """Import each distribution named on the command line; print the machine, the project's
    version, and their versions and the tags of the wheels they were installed from."""
    found = {}
    for name in sys.argv[1:]:
        importlib.import_module(name)
        wheel = importlib.metadata.distribution(name).read_text("WHEEL") or ""
        tags = [line.split(": ", 1)[1] for line in wheel.splitlines() if line.startswith("Tag: ")]
        found[name] = {"version": importlib.metadata.version(name), "tags": tags}
    version = importlib.metadata.version("orchard")
    print(json.dumps({"machine": platform.machine(), "version": version, "wheels": found}))
''',
    ".dockerignore": ".venv\n",
}

#: Each third-party dependency of the project, and the machines that install it.
MACHINES = {
    "markupsafe": {"x86_64", "aarch64"},
    "native": {"x86_64", "aarch64"},
    "ujson": {"aarch64"},
    "crc32c": {"x86_64"},
}
#: The version of each: the real ones are those provision.py downloaded.
VERSIONS = {"native": "1.0.0", **dict(r.split("==") for r in provision.PLATFORM_PACKAGES)}


@dataclass
class Lab:
    builder: Builder
    index: Index
    registry: str
    wheels: Path  # the hand-written wheels, published or not
    home: Path
    root: Path  # the project
    uv_images: dict[str, str]  # Docker platform -> image id of its uv stand-in
    rows: list[Row] = field(default_factory=list)
    newer_native: set[str] = field(default_factory=set)  # machines with native's 2_28 wheel

    def uv(self, *args: str) -> None:
        host_uv(self.root, self.index.url, self.home / "uv-cache", *args)


@dataclass
class Outcome:
    download: StepState
    fetched: list[str]  # the paths the index served during the build
    seconds: float
    report: dict[str, Any]  # what the image's console script printed
    cache_ids: set[str]  # the uv cache mounts of the build's RUN steps
    started: str  # uv run's own output on stderr: empty when it neither syncs nor builds


@dataclass
class Row:
    scenario: str
    outcomes: dict[str, Outcome]  # by Docker platform
    dependencies: list[str]  # what the project depends on after the edit
    newer_native: set[str]  # the machines native's manylinux_2_28 wheel was published for
    version: str  # the project's, after the edit


# --- the lab ---------------------------------------------------------------------------------


def _uv_files(machine: str, folder: Path) -> list[Path]:
    """uv and uvx for `machine`: the test environment's, or those in uv's wheel for it."""
    if machine == platform.machine():
        uv = uv_binary()
        return [uv, uv.with_name("uvx")]
    wheel = provision.uv_wheel(machine)
    assert wheel is not None, f"no uv wheel for {machine} in {provision.platform_wheelhouse()}"
    found = []
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if re.fullmatch(r"uv-[^/]+\.data/scripts/uvx?", name):
                target = folder / name.rsplit("/", 1)[1]
                target.write_bytes(archive.read(name))
                target.chmod(0o755)
                found.append(target)
    return found


def _files_tar(files: list[Path], tar: Path) -> Path:
    with tarfile.open(tar, "w") as archive:
        for path in files:
            archive.add(path, arcname=path.name)
    return tar


def _base_images(builder: Builder, registry: str, index_url: str, home: Path) -> dict[str, str]:
    """Push both Python stand-ins under one manifest list; load both uv stand-ins locally."""
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "PIP_INDEX_URL": index_url,
        "UV_DEFAULT_INDEX": index_url,
    }
    uv_images = {}
    for docker_platform, (arch, machine) in PLATFORMS.items():
        tag = f"{registry}/{PYTHON_IMAGE}-{arch}"
        load_rootfs(builder, provision.rootfs_tar(machine), tag, arch, env)
        builder.docker("push", tag)
        folder = home / f"uv-{arch}"
        folder.mkdir()
        files = _uv_files(machine, folder)
        uv_tag = f"uv-stand-in:{arch}"
        load_rootfs(builder, _files_tar(files, home / f"uv-{arch}.tar"), uv_tag, arch)
        uv_images[docker_platform] = builder.docker(
            "image", "inspect", "-f", "{{.Id}}", uv_tag
        ).stdout.strip()
    _manifest_list(
        builder,
        f"{registry}/{PYTHON_IMAGE}",
        [f"{registry}/{PYTHON_IMAGE}-{arch}" for arch, _ in PLATFORMS.values()],
    )
    return uv_images


def _manifest_list(builder: Builder, name: str, images: list[str]) -> None:
    """Join pushed images into one multi-platform name: each keeps its own platform."""
    builder.docker("manifest", "create", "--insecure", name, *images)
    builder.docker("manifest", "push", "--insecure", "--purge", name)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("platforms")
    served, wheels = home / "index", home / "wheels"
    served.mkdir()
    wheels.mkdir()
    for machine in ("x86_64", "aarch64"):
        for glibc in ("2_17", "2_28"):
            write_wheel(wheels, "native", "1.0.0", tag=f"py3-none-manylinux_{glibc}_{machine}")
    lockstrip_wheel(served, home / "uv-cache")
    with serve(served) as index, serve_registry() as registry:
        index.publish(*provision.wheelhouse().glob("*.whl"))
        index.publish(
            *(p for p in provision.platform_wheelhouse().glob("*.whl") if "uv-" not in p.name)
        )
        index.publish(*wheels.glob("native-1.0.0-*manylinux_2_17_*.whl"))
        # The registry is the daemon's Docker Hub: `FROM python:3.11-slim` of either platform.
        builder = Builder("--registry-mirror", f"http://{registry}")
        try:
            builder.start()
            uv_images = _base_images(builder, registry, index.url, home)
            root = home / "orchard"
            write(root, PROJECT)
            lab = Lab(builder, index, registry, wheels, home, root, uv_images)
            lab.uv("lock")
            yield lab
        finally:
            builder.stop()


# --- the scenarios ---------------------------------------------------------------------------

Edit = Callable[[Lab], None]


def _nothing(lab: Lab) -> None:
    pass


def _version_bump(lab: Lab) -> None:
    replace(lab.root / "pyproject.toml", 'version = "1.0.0"', 'version = "1.0.1"')
    lab.uv("lock")


def _wheel_for(machine: str) -> Edit:
    def edit(lab: Lab) -> None:
        """A later build of native 1.0.0 for one machine: only its export changes."""
        before = (lab.root / "uv.lock").read_bytes()
        lab.index.publish(lab.wheels / f"native-1.0.0-py3-none-manylinux_2_28_{machine}.whl")
        lab.uv("lock", "--upgrade-package", "native", "--refresh")
        lab.newer_native.add(machine)
        assert (lab.root / "uv.lock").read_bytes() != before, "the lock did not take the wheel"

    return edit


def _dependency_for(name: str, version: str, machine: str) -> Edit:
    def edit(lab: Lab) -> None:
        """A dependency with a platform_machine marker: the other machine installs nothing new."""
        requirement = f"{name}=={version}; platform_machine == '{machine}'"
        text = (lab.root / "pyproject.toml").read_text()
        line = re.search(r"^dependencies = \[.*(\])$", text, re.MULTILINE)
        assert line is not None
        end = line.start(1)
        (lab.root / "pyproject.toml").write_text(f'{text[:end]}, "{requirement}"{text[end:]}')
        lab.uv("lock")

    return edit


@dataclass(frozen=True)
class Scenario:
    name: str
    edit: Edit
    expected: dict[str, StepState]  # the download step, by Docker platform


def _both(amd64: StepState, arm64: StepState) -> dict[str, StepState]:
    return {"linux/amd64": amd64, "linux/arm64": arm64}


SCENARIOS = (
    Scenario("first build", _nothing, _both("RAN", "RAN")),
    Scenario("root version bump", _version_bump, _both("CACHED", "CACHED")),
    Scenario(
        "native: a wheel for aarch64 only added", _wheel_for("aarch64"), _both("CACHED", "RAN")
    ),
    Scenario("native: a wheel for x86_64 only added", _wheel_for("x86_64"), _both("RAN", "CACHED")),
    Scenario(
        "ujson added for aarch64 only",
        _dependency_for("ujson", VERSIONS["ujson"], "aarch64"),
        _both("CACHED", "RAN"),
    ),
    Scenario(
        "crc32c added for x86_64 only",
        _dependency_for("crc32c", VERSIONS["crc32c"], "x86_64"),
        _both("RAN", "CACHED"),
    ),
)


def _dependencies(root: Path) -> list[str]:
    text = (root / "pyproject.toml").read_text()
    return [name for name in MACHINES if re.search(rf'"{name}[=";]', text)]


def _build(lab: Lab, docker_platform: str, step: int) -> Outcome:
    arch, machine = PLATFORMS[docker_platform]
    dockerfile = lab.home / "Dockerfile"
    printed = subprocess.run(
        [sys.executable, "-m", "lockstrip", "dockerfile", str(lab.root)],
        capture_output=True,
        text=True,
        check=True,
    )
    dockerfile.write_text(printed.stdout)
    lab.builder.docker("tag", lab.uv_images[docker_platform], f"ghcr.io/astral-sh/uv:{UV_VERSION}")
    # A CI runner keeps no cache mount: a step that runs must fetch what it installs.
    lab.builder.forget_cache_mounts()
    tag = f"orchard-{arch}:{step}"
    before, start = lab.index.requests, time.monotonic()
    log = lab.builder.build(lab.root, dockerfile, tag, "--platform", docker_platform)
    seconds = time.monotonic() - start
    fetched = lab.index.served_since(before)
    (lab.home / f"orchard-{arch}-{step}.log").write_text(log)
    names = [n for n in _dependencies(lab.root) if machine in MACHINES[n]]
    # `docker run` of another platform's image works through binfmt; it warns on stderr.
    ran = lab.builder.container(tag, "uv", "run", "--no-dev", "orchard", *names)
    if ran.returncode:
        raise AssertionError(f"orchard in {tag} failed:\n{ran.stdout}{ran.stderr}")
    started = "\n".join(
        line for line in ran.stderr.splitlines() if "platform" not in line and line.strip()
    )
    cache_ids = set(re.findall(r"RUN --mount=type=cache,id=([^,]+),", log))
    return Outcome(
        step_state(log, "uv sync ", "--no-install-"),
        fetched,
        seconds,
        json.loads(ran.stdout),
        cache_ids,
        started,
    )


@pytest.fixture(scope="module")
def rows(lab: Lab, request: pytest.FixtureRequest) -> dict[str, Row]:
    """Every scenario in order; after each edit, a build per platform."""
    request.config.pluginmanager.register(_Summary(lab.rows), "lockstrip-e2e-platforms")
    found = {}
    for step, scenario in enumerate(SCENARIOS):
        scenario.edit(lab)
        outcomes = {p: _build(lab, p, step) for p in ORDER}
        version = re.search(r'^version = "(.+)"$', (lab.root / "pyproject.toml").read_text(), re.M)
        assert version is not None
        row = Row(
            scenario.name,
            outcomes,
            _dependencies(lab.root),
            set(lab.newer_native),
            version.group(1),
        )
        lab.rows.append(row)
        found[scenario.name] = row
    return found


class _Summary:
    """Prints the cross-platform table after the tests (a pytest plugin object)."""

    def __init__(self, table: list[Row]) -> None:
        self.table = table

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("download step per platform: lockstrip's Dockerfile")
        for line in render_table(self.table):
            terminalreporter.write_line(line)


def render_table(table: list[Row]) -> list[str]:
    head = ("edit", "amd64", "arm64", "files amd64 / arm64", "build s amd64 / arm64")
    lines = [head]
    for row in table:
        amd64, arm64 = row.outcomes["linux/amd64"], row.outcomes["linux/arm64"]
        lines.append(
            (
                row.scenario,
                amd64.download,
                arm64.download,
                f"{len(_files(amd64))} / {len(_files(arm64))}",
                f"{amd64.seconds:.1f} / {arm64.seconds:.1f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]


def _files(outcome: Outcome) -> list[str]:
    """The project's dependency files a build downloaded (not lockstrip's, nor the backend's)."""
    names = [p.rsplit("/", 1)[1] for p in outcome.fetched if p.startswith("GET /files/")]
    return [n for n in names if re.split(r"[-_]", n, maxsplit=1)[0].lower() in MACHINES]


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_each_platforms_download_step_keys_on_its_own_export(
    scenario: Scenario, rows: dict[str, Row]
) -> None:
    row = rows[scenario.name]
    got = {p: o.download for p, o in row.outcomes.items()}
    assert got == scenario.expected, "\n".join(render_table([row]))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_each_platform_fetches_its_own_files(scenario: Scenario, rows: dict[str, Row]) -> None:
    """A download step that runs fetches its machine's wheels (and pure ones), never the
    other machine's; a cached one fetches none."""
    for docker_platform, outcome in rows[scenario.name].outcomes.items():
        _, machine = PLATFORMS[docker_platform]
        files = _files(outcome)
        other = [f for f in files if not (machine in f or f.endswith("-any.whl"))]
        assert other == [], f"{docker_platform} fetched another machine's files"
        if outcome.download == "CACHED":
            assert files == [], f"{docker_platform}: cached, yet fetched {files}"
        else:
            assert any(machine in f for f in files), f"{docker_platform} fetched {files}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_images_run_on_their_platform(scenario: Scenario, rows: dict[str, Row]) -> None:
    """The console script starts without a sync, on the image's machine, with wheels of that
    machine: the newest build of native for it, and only its marker-selected dependencies."""
    row = rows[scenario.name]
    for docker_platform, outcome in row.outcomes.items():
        _, machine = PLATFORMS[docker_platform]
        assert outcome.started == "", outcome.started
        assert outcome.report["machine"] == machine
        assert outcome.report["version"] == row.version
        wheels = outcome.report["wheels"]
        assert sorted(wheels) == sorted(n for n in row.dependencies if machine in MACHINES[n])
        for name, wheel in wheels.items():
            assert wheel["version"] == VERSIONS[name]
            assert wheel["tags"], name
            assert all(tag.endswith(f"_{machine}") for tag in wheel["tags"]), (name, wheel)
        glibc = "2_28" if machine in row.newer_native else "2_17"
        assert wheels["native"]["tags"] == [f"py3-none-manylinux_{glibc}_{machine}"]


def test_platforms_never_share_a_cache_mount(rows: dict[str, Row]) -> None:
    for row in rows.values():
        for docker_platform, outcome in row.outcomes.items():
            assert outcome.cache_ids == {f"uv-{docker_platform}"}


def test_one_multi_platform_image(lab: Lab, rows: dict[str, Row]) -> None:
    """Both platforms' last images, pushed and joined under one name; each pulled back by
    platform runs on its machine."""
    last = len(SCENARIOS) - 1
    images = []
    for arch, _ in PLATFORMS.values():
        image = f"{lab.registry}/orchard:{arch}"
        lab.builder.docker("tag", f"orchard-{arch}:{last}", image)
        lab.builder.docker("push", image)
        images.append(image)
    name = f"{lab.registry}/orchard:1.0.1"
    _manifest_list(lab.builder, name, images)

    request = urllib.request.Request(
        f"http://{lab.registry}/v2/orchard/manifests/1.0.1",
        headers={"Accept": "application/vnd.docker.distribution.manifest.list.v2+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        listed = json.load(answer)
    platforms = sorted(
        f"{m['platform']['os']}/{m['platform']['architecture']}" for m in listed["manifests"]
    )
    assert platforms == sorted(PLATFORMS)

    for docker_platform, (arch, machine) in PLATFORMS.items():
        lab.builder.docker("rmi", name, check=False)
        lab.builder.docker("pull", "--platform", docker_platform, name)
        inspected = lab.builder.docker("image", "inspect", "-f", "{{.Architecture}}", name)
        assert inspected.stdout.strip() == arch
        ran = lab.builder.container(name, "uv", "run", "--no-dev", "orchard", "markupsafe")
        assert json.loads(ran.stdout)["machine"] == machine, ran.stderr
