"""Real BuildKit builds of what comes after the first build: a private index, a registry, a
second machine and a fresh CI runner.

One packaged project (`shop`: a console script, `python -m shop`, a dev group) installs from
a private index on 127.0.0.1 that answers 401 without HTTP Basic credentials. Its Dockerfile is
what `lockstrip dockerfile --secret private --lockstrip-spec dist/lockstrip-*.whl` prints.

* Builder A (a private dockerd) builds it with the credentials as BuildKit secrets, and the
  test looks for them in every layer (`docker save`), the history, and the export stage.
* A pushes the image to a registry on 127.0.0.1 (Debian's docker-registry); builder B, a
  second dockerd with its own empty data root, pulls it and starts it with `--network none`
  the ways users do: `uv run`, the console script, `python -m`. A pulled image's files have new
  times, which is when uv used to rebuild the project at start.
* Remote cache: A pushes its images with inline cache, the export stage as its own image.
  After a version bump, the fresh builder B builds with `--cache-from` both and fetches
  nothing from either index; builder C, fresh too, with only the final image's cache (today's
  single `--cache-from`) re-runs the export stage's install.

Runs only with LOCKSTRIP_E2E=1, like test_docker_cache.py.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from e2e import provision
from e2e.builder import Builder, StepState, step_state
from e2e.index import Index, serve
from e2e.lab import (
    HATCHLING,
    base_images,
    host_uv,
    layer_files,
    lockstrip_wheel,
    publish_fakes,
    replace,
    skip_reason,
    write,
)
from e2e.registry import serve_registry

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

#: A string of the project's source: the layer scan must find it (the scan works) where it
#: must not find the credentials.
MARKER = "shop-source-marker-7f3a"

#: What the history must show of a secret: the file the RUN line reads, not its value.
SECRET_FILE = "/run/secrets/UV_INDEX_PRIVATE_PASSWORD"

SHOP = {
    "pyproject.toml": """\
[project]
name = "shop"
version = "1.0.0"
requires-python = ">=3.11"
dependencies = ["alpha>=1", "beta"]

[project.scripts]
shop = "shop:main"

[dependency-groups]
dev = ["delta"]

[[tool.uv.index]]
name = "private"
url = "{private}"

"""
    + HATCHLING,
    "src/shop/__init__.py": f"""\
import alpha

MARKER = "{MARKER}"


def main() -> None:
    from importlib.metadata import version

    print("shop", version("shop"), "alpha", alpha.__version__)
""",
    "src/shop/__main__.py": "from shop import main\n\nmain()\n",
    ".dockerignore": ".venv\n",
}


@dataclass
class Deploy:
    """The lab: three builders (one at a time), two indexes, a registry, the project."""

    home: Path
    open_index: Index  # the public mirror: lockstrip's dependencies, the build backend
    private: Index  # the same packages behind HTTP Basic auth
    registry: str
    root: Path
    user: str
    password: str
    logs: dict[str, str] = field(default_factory=dict)
    fetched: dict[str, list[str]] = field(default_factory=dict)  # from either index
    from_private: dict[str, list[str]] = field(default_factory=dict)

    @property
    def host_env(self) -> dict[str, str]:
        return {"UV_INDEX_PRIVATE_USERNAME": self.user, "UV_INDEX_PRIVATE_PASSWORD": self.password}

    def lock(self) -> None:
        """`uv lock` on the host. host_uv reads no configuration (UV_NO_CONFIG), so the named
        index comes in as UV_INDEX, as the project declares it: it is searched first."""
        env = {**self.host_env, "UV_INDEX": f"private={self.private.url}"}
        host_uv(self.root, self.open_index.url, self.home / "uv-cache", "lock", env=env)

    def image(self, name: str) -> str:
        return f"{self.registry}/{name}"

    def secret_options(self) -> list[str]:
        options = []
        for variable, value in self.host_env.items():
            path = self.home / "secrets" / variable
            path.parent.mkdir(exist_ok=True)
            path.write_text(value)
            options += ["--secret", f"id={variable},src={path}"]
        return options

    def build(self, builder: Builder, name: str, tag: str, *options: str) -> str:
        """Build and record the log and every request either index served meanwhile."""
        before = (self.open_index.requests, self.private.requests)
        log = builder.build(self.root, self.root / "Dockerfile", tag, *options)
        self.logs[name] = log
        self.from_private[name] = self.private.served_since(before[1])
        self.fetched[name] = [*self.open_index.served_since(before[0]), *self.from_private[name]]
        (self.home / f"{name}.log").write_text(log)
        (self.home / f"{name}.fetched").write_text("".join(f"{r}\n" for r in self.fetched[name]))
        return log


def _dockerfile(root: Path, wheel: str) -> str:
    printed = subprocess.run(
        [
            *(sys.executable, "-m", "lockstrip", "dockerfile", str(root)),
            *("--secret", "private", "--lockstrip-spec", wheel),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return printed.stdout


def _fresh(bases: Path) -> Builder:
    """A new dockerd with an empty data root, given the base images by `docker load`: they
    keep their ids, as images pulled from a registry do."""
    builder = Builder()
    builder.start()
    builder.load(bases)
    return builder


INLINE = ("--build-arg", "BUILDKIT_INLINE_CACHE=1")


@pytest.fixture(scope="module")
def deploy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deploy]:
    home = tmp_path_factory.mktemp("deploy")
    served, wheels = home / "index", home / "wheels"
    served.mkdir()
    wheels.mkdir()
    fakes = publish_fakes(wheels)
    dist = home / "dist"
    lockstrip_wheel(dist, home / "uv-cache")
    (wheel,) = dist.glob("lockstrip-*.whl")
    user, password = "deploy-bot", secrets.token_hex(16)
    with (
        serve(served) as open_index,
        serve(served, auth=(user, password)) as private,
        serve_registry() as registry,
    ):
        open_index.publish(*provision.wheelhouse().glob("*.whl"))
        open_index.publish(*(fakes[n] for n in ("alpha-1.0.0", "beta-2.0.0", "delta-1.0.0")))
        root = home / "shop"
        files = {**SHOP, "pyproject.toml": SHOP["pyproject.toml"].format(private=private.url)}
        write(root, files)
        (root / "dist").mkdir()
        (root / "dist" / wheel.name).write_bytes(wheel.read_bytes())
        lab = Deploy(home, open_index, private, registry, root, user, password)
        lab.lock()
        (root / "Dockerfile").write_text(_dockerfile(root, f"dist/{wheel.name}"))
        yield lab


@dataclass
class Runs:
    """What the builders did, for the tests to read."""

    first: dict[str, StepState] = field(default_factory=dict)
    scans: dict[str, list[str]] = field(default_factory=dict)  # where each string was found
    started: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    remote: dict[str, dict[str, StepState]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


EXPORT_INSTALL = "pip install --no-cache-dir"
DOWNLOAD = "--no-install-project"

#: How users start the image; each must run the project as built, without network.
STARTS = {
    "uv run python -c": ("uv", "run", "python", "-c", "import shop; shop.main()"),
    "uv run --no-dev SCRIPT": ("uv", "run", "--no-dev", "shop"),
    "console script": ("shop",),
    "python -m": ("python", "-m", "shop"),
}


@pytest.fixture(scope="module")
def runs(deploy: Deploy) -> Runs:
    found = Runs()
    bases = deploy.home / "bases.tar"
    app, export = deploy.image("shop"), deploy.image("shop-lockstrip")
    # Builder A: the first build, its images pushed with inline cache.
    a = Builder()
    try:
        a.start()
        base_images(a, deploy.open_index.url)
        a.save(bases, *_base_tags())
        deploy.build(a, "a-export", f"{export}:cache", "--target", "lockstrip", *INLINE)
        log = deploy.build(a, "a-app", f"{app}:1", *deploy.secret_options(), *INLINE)
        found.first = {"download": step_state(log, DOWNLOAD)}
        a.docker("push", f"{export}:cache")
        a.docker("push", f"{app}:1")
        found.scans = _scan_for(
            a,
            deploy,
            [f"{app}:1", f"{export}:cache"],
            [deploy.password, deploy.user, MARKER, SECRET_FILE],
        )
    finally:
        a.stop()

    _bump(deploy)
    # Builder B: a second machine. It pulls and starts the image, and builds the bump with
    # the remote cache of both images.
    b = _fresh(bases)
    try:
        b.docker("pull", f"{app}:1")
        for name, command in STARTS.items():
            found.started[name] = b.container(f"{app}:1", *command)
        found.started["UV_NO_SYNC=0 uv run --no-dev"] = b.container(
            f"{app}:1", *STARTS["uv run --no-dev SCRIPT"], env={"UV_NO_SYNC": "0"}
        )
        caches = ("--cache-from", f"{export}:cache", "--cache-from", f"{app}:1")
        deploy.build(b, "b-export", f"{export}:cache", "--target", "lockstrip", *caches, *INLINE)
        log = deploy.build(b, "b-app", f"{app}:2", *deploy.secret_options(), *caches, *INLINE)
        found.remote["both images"] = _states(log)
        found.versions["both images"] = b.container(f"{app}:2", "shop").stdout.strip()
    finally:
        b.stop()

    # Builder C: the same fresh start with the final image's cache only.
    c = _fresh(bases)
    try:
        options = ("--cache-from", f"{app}:1", *deploy.secret_options())
        log = deploy.build(c, "c-app", f"{app}:2", *options, *INLINE)
        found.remote["final image only"] = _states(log)
        found.versions["final image only"] = c.container(f"{app}:2", "shop").stdout.strip()
    finally:
        c.stop()
    return found


def _base_tags() -> list[str]:
    from lockstrip.dockerfile import UV_VERSION

    return [f"python:{provision.PYTHON}-slim", f"ghcr.io/astral-sh/uv:{UV_VERSION}"]


def _states(log: str) -> dict[str, StepState]:
    return {
        "export install": step_state(log, EXPORT_INSTALL),
        "download": step_state(log, DOWNLOAD),
    }


def _bump(deploy: Deploy) -> None:
    replace(deploy.root / "pyproject.toml", 'version = "1.0.0"', 'version = "1.0.1"')
    deploy.lock()


def _scan_for(
    builder: Builder, deploy: Deploy, tags: list[str], needles: list[str]
) -> dict[str, list[str]]:
    """Where each needle appears: in the files of any layer of the images (`docker save`,
    layers opened), in their history and configuration."""
    found: dict[str, list[str]] = {needle: [] for needle in needles}
    for tag in tags:
        tar = deploy.home / "scan.tar"
        builder.save(tar, tag)
        for where, data in layer_files(tar):
            for needle in needles:
                if needle.encode() in data:
                    found[needle].append(f"{tag}: {where}")
        tar.unlink()
        history = builder.docker("history", "--no-trunc", tag).stdout
        config = builder.docker("inspect", tag).stdout
        for needle in needles:
            found[needle] += [
                f"{tag}: {w}" for w, t in (("history", history), ("config", config)) if needle in t
            ]
    return found


# --- the tests -------------------------------------------------------------------------------


def test_builds_from_a_private_index_with_secrets(deploy: Deploy, runs: Runs) -> None:
    """uv authenticated to the private index with the secrets: it downloaded the project's
    dependencies from there."""
    assert runs.first["download"] == "RAN"
    private = deploy.from_private["a-app"]
    assert "GET /files/alpha-1.0.0-py3-none-any.whl" in private, private
    assert "GET /files/beta-2.0.0-py3-none-any.whl" in private, private
    assert not [r for r in private if "(401)" in r]


def test_credentials_are_in_no_layer_history_or_export(runs: Runs, deploy: Deploy) -> None:
    assert runs.scans[deploy.password] == []
    assert runs.scans[deploy.user] == []
    # The scan reads the layers' files (it finds the project's source in the image) and the
    # history (the RUN lines name the secret's file).
    assert any("src/shop/__init__.py" in where for where in runs.scans[MARKER])
    assert any(where.endswith(": history") for where in runs.scans[SECRET_FILE])


@pytest.mark.parametrize("start", list(STARTS))
def test_pulled_image_starts_offline_without_a_sync(start: str, runs: Runs) -> None:
    """In another daemon, after push and pull, each way of starting runs the project as built:
    no install, no build, no network (the container has none)."""
    done = runs.started[start]
    assert (done.returncode, done.stdout) == (0, "shop 1.0.0 alpha 1.0.0\n"), done.stderr
    assert done.stderr == ""


def test_without_no_sync_uv_rebuilds_the_pulled_project(runs: Runs) -> None:
    """The situation UV_NO_SYNC is there for, measured on the same pulled image: uv takes the
    unpacked files for a changed project, tries to build it, and fails without network."""
    done = runs.started["UV_NO_SYNC=0 uv run --no-dev"]
    assert done.returncode != 0
    assert "Building shop @ file:///app" in done.stderr


def test_fresh_builder_with_remote_cache_fetches_nothing(runs: Runs, deploy: Deploy) -> None:
    """With the export stage's image and the final image as --cache-from, a fresh builder
    builds a version bump without a single request to either index."""
    assert runs.remote["both images"] == {"export install": "CACHED", "download": "CACHED"}
    assert deploy.fetched["b-export"] == []
    assert deploy.fetched["b-app"] == []
    assert runs.versions["both images"] == "shop 1.0.1 alpha 1.0.0"


def test_final_image_cache_alone_reinstalls_lockstrip(runs: Runs, deploy: Deploy) -> None:
    """Inline cache holds the final image's layers only: the export stage is not one of them,
    so its install runs again on a fresh builder and fetches lockstrip's dependencies."""
    assert runs.remote["final image only"] == {"export install": "RAN", "download": "CACHED"}
    assert any(r.startswith("GET /files/") for r in deploy.fetched["c-app"])
    assert runs.versions["final image only"] == "shop 1.0.1 alpha 1.0.0"
