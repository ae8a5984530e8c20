"""An image registry on 127.0.0.1 for the end-to-end builds: Debian's `docker-registry`.

A deployment pushes an image to a registry and another machine pulls it; a CI runner starts
with an empty builder and gets its layer cache back from a registry. Both need a registry,
and none is reachable from here, so the test runs its own: the Distribution registry that
Debian packages (provision.py installs it), with its storage in a temporary folder, on a
free port of 127.0.0.1. Docker talks plain HTTP to registries on 127.0.0.0/8 without any
daemon setting.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["REGISTRY", "serve_registry"]

REGISTRY = "docker-registry"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve_registry(timeout: float = 30) -> Iterator[str]:
    """Run a registry until the block ends; yields its address, `127.0.0.1:PORT`."""
    home = Path(tempfile.mkdtemp(prefix="lse2e-registry-"))
    port = _free_port()
    config = home / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {home / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    log = (home / "registry.log").open("wb")
    process = subprocess.Popen([REGISTRY, "serve", str(config)], stdout=log, stderr=log)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{REGISTRY} exited:\n{(home / 'registry.log').read_text()}")
            try:
                with urllib.request.urlopen(f"http://{address}/v2/", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{REGISTRY} did not answer in {timeout} s") from None
                time.sleep(0.2)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(home, ignore_errors=True)
