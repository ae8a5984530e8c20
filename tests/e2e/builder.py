"""A private Docker daemon with BuildKit for the end-to-end builds, and how to read its logs.

The daemon is the test's own: its socket, data and state live in a fresh folder and go away
with it, so a run starts with an empty build cache and leaves nothing behind. It runs with
no iptables and no bridge (builds use `--network host` to reach the index on 127.0.0.1),
which is what works inside a container without extra privileges. Images come from files,
never from a registry: the Debian root file system that provision.py made, and the uv
binary of the test environment.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from e2e.provision import DOCKER

__all__ = ["Builder", "StepState", "step_state"]

StepState = Literal["CACHED", "RAN"]

#: Storage driver: overlay2 works on ext4 and overlayfs hosts; vfs is the slow fallback.
STORAGE_DRIVER = os.environ.get("LOCKSTRIP_E2E_STORAGE_DRIVER", "overlay2")


class Builder:
    """dockerd started by the test, and the docker CLI pointed at it."""

    def __init__(self, *daemon_options: str) -> None:
        #: More dockerd options, such as `--registry-mirror`.
        self.daemon_options = daemon_options
        # A short path: the daemon's unix sockets live below it (108-byte limit).
        self.home = Path(tempfile.mkdtemp(prefix="lse2e-", dir="/tmp"))
        self.env = {
            **os.environ,
            "DOCKER_HOST": f"unix://{self.home}/docker.sock",
            "DOCKER_BUILDKIT": "1",
            "DOCKER_CONFIG": str(self.home / "config"),  # no credential helpers of this host
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        log = (self.home / "dockerd.log").open("wb")
        command = [
            *("dockerd", "--data-root", str(self.home / "data")),
            *("--exec-root", str(self.home / "exec"), "--pidfile", str(self.home / "dockerd.pid")),
            *("-H", self.env["DOCKER_HOST"], "--storage-driver", STORAGE_DRIVER),
            *("--iptables=false", "--ip6tables=false", "--bridge=none"),
            *self.daemon_options,
        ]
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dockerd exited:\n{self.log_tail()}")
            if self.docker("version", check=False).returncode == 0:
                return
            time.sleep(0.3)
        raise RuntimeError(f"dockerd did not answer in {timeout} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return (self.home / "dockerd.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        """Stop the daemon this object started, then remove everything it wrote."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        netns = self.home / "exec" / "netns" / "default"  # dockerd leaves this nsfs mount
        if os.path.ismount(netns):
            subprocess.run(["umount", str(netns)], check=False)
        shutil.rmtree(self.home, ignore_errors=True)

    def docker(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(DOCKER), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode:
            raise RuntimeError(f"docker {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done

    def import_tar(self, tar: Path, tag: str, env: Mapping[str, str] = {}) -> None:
        """`docker import` a root file system tarball as `tag`, with environment variables."""
        changes = [arg for key, value in env.items() for arg in ("--change", f"ENV {key}={value}")]
        with tar.open("rb") as handle:
            done = subprocess.run(
                [str(DOCKER), "import", *changes, "-", tag],
                env=self.env,
                stdin=handle,
                capture_output=True,
                text=True,
                check=False,
            )
        if done.returncode:
            raise RuntimeError(f"docker import {tag} failed:\n{done.stderr}")

    def import_files(self, files: Sequence[Path], tag: str) -> None:
        """An image holding `files` at its root, such as uv's (`/uv`, `/uvx`)."""
        with tempfile.TemporaryDirectory(dir=self.home) as scratch:
            for path in files:
                shutil.copy2(path, Path(scratch) / path.name)
            tar = Path(scratch).with_suffix(".tar")
            subprocess.run(["tar", "-C", scratch, "-cf", str(tar), "."], check=True)
            self.import_tar(tar, tag)
            tar.unlink()

    def build(self, context: Path, dockerfile: Path, tag: str, *options: str) -> str:
        """Build with BuildKit; returns the plain progress log. Raises with it on failure.

        `options` go to `docker build` as they are (`--secret`, `--cache-from`, `--target`)."""
        done = self.docker(
            "build",
            "--network",
            "host",
            "--progress",
            "plain",
            "-f",
            str(dockerfile),
            "-t",
            tag,
            *options,
            str(context),
            check=False,
        )
        log = done.stdout + done.stderr
        if done.returncode:
            raise RuntimeError(f"build of {tag} failed:\n{log[-6000:]}")
        return log

    def forget_cache_mounts(self) -> None:
        """Empty every `RUN --mount=type=cache`, keep the layer cache: a CI runner restores
        exported layers (registry, GitHub cache) but never the contents of cache mounts."""
        self.docker("builder", "prune", "--force", "--filter", "type=exec.cachemount")

    def save(self, tar: Path, *tags: str) -> None:
        """`docker save`: the images with their ids, to load into another daemon unchanged
        (an image imported twice gets two ids, and BuildKit's cache keys on the id)."""
        self.docker("save", "-o", str(tar), *tags)

    def load(self, tar: Path) -> None:
        self.docker("load", "-i", str(tar))

    def container(
        self, tag: str, *command: str, env: Mapping[str, str] = {}
    ) -> subprocess.CompletedProcess[str]:
        """Run `command` in a container of `tag` without network; the finished process."""
        options = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        return self.docker("run", "--rm", "--network", "none", *options, tag, *command, check=False)

    def run(self, tag: str, *command: str) -> str:
        """Run `command` in a container of `tag` without network; returns its output."""
        done = self.docker("run", "--rm", "--network", "none", tag, *command, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} in {tag} failed:\n{done.stderr}")
        return done.stdout


_STEP = re.compile(r"^#(\d+) \[[^\]]*\] (RUN .*)$", re.MULTILINE)


def step_state(log: str, needle: str, *more: str) -> StepState:
    """Whether the one RUN step whose command contains `needle` (and each of `more`) ran or
    came from the cache.

    BuildKit's plain log names each step `#N [stage i/n] RUN ...` and ends it with
    `#N CACHED` or `#N DONE 1.2s`."""
    ids = sorted(
        {m.group(1) for m in _STEP.finditer(log) if all(n in m.group(2) for n in (needle, *more))}
    )
    if len(ids) != 1:
        raise AssertionError(f"expected one RUN step with {needle!r} in the log, found {ids}")
    step = ids[0]
    if re.search(rf"^#{step} CACHED$", log, re.MULTILINE):
        return "CACHED"
    if re.search(rf"^#{step} DONE ", log, re.MULTILINE):
        return "RAN"
    raise AssertionError(f"step #{step} ({needle!r}) neither CACHED nor DONE in the log")


def load_rootfs(
    builder: Builder, tar: Path, tag: str, architecture: str, env: Mapping[str, str] = {}
) -> None:
    """Load a root file system tarball as a one-layer image of `architecture` (Docker's name:
    amd64, arm64).

    `docker import --platform` is ignored by a daemon without experimental features, and the
    image it makes says the daemon's own architecture, so BuildKit would refuse it for another
    platform. A `docker save` archive written here carries the architecture in its config."""
    layer = hashlib.sha256()
    with tar.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            layer.update(block)
    config = {
        "architecture": architecture,
        "os": "linux",
        "config": {"Env": [f"{key}={value}" for key, value in env.items()]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer.hexdigest()}"]},
        "history": [{"created_by": f"load_rootfs {tar.name}"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = f"{hashlib.sha256(config_bytes).hexdigest()}.json"
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": ["layer.tar"]}]
    with tempfile.TemporaryDirectory(dir=builder.home) as scratch:
        archive = Path(scratch) / "image.tar"
        with tarfile.open(archive, "w") as out:
            out.add(tar, arcname="layer.tar")
            for name, data in (
                (config_name, config_bytes),
                ("manifest.json", json.dumps(manifest).encode()),
            ):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))
        builder.load(archive)
