"""What the end-to-end modules share: when they can run, the images and packages they build
from, and small file edits.

Everything comes from files or from 127.0.0.1: base images from the Debian root file system
and the uv binary (no registry is reachable), packages from hand-written wheels, lockstrip's
own wheel built from this working tree, and the wheelhouse provision.py downloaded.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from helpers import REPO

from e2e import provision
from e2e.builder import Builder
from e2e.index import write_wheel
from lockstrip.dockerfile import UV_VERSION

HATCHLING = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'


def skip_reason() -> str | None:
    if os.environ.get("LOCKSTRIP_E2E") != "1":
        return "set LOCKSTRIP_E2E=1 to build real images (.ci/run does, after provisioning)"
    why = provision.unavailable()
    if why:
        return f"no container builder here: {why}"
    missing = provision.not_provisioned()
    if missing:
        return f"not provisioned ({missing}): run python3 tests/e2e/provision.py"
    if not uv_binary().is_file():
        return f"no uv binary beside {sys.executable} to put in the uv image"
    return None


def uv_binary() -> Path:
    return Path(sys.executable).parent / "uv"


def publish_fakes(folder: Path) -> dict[str, Path]:
    """Pure-Python wheels: alpha (two versions), beta (needs alpha), gamma, delta (two
    versions) for a dev group, and native: platform wheels of one release for two machines."""
    return {
        "alpha-1.0.0": write_wheel(folder, "alpha", "1.0.0"),
        "alpha-1.1.0": write_wheel(folder, "alpha", "1.1.0"),
        "beta-2.0.0": write_wheel(folder, "beta", "2.0.0", ["alpha>=1"]),
        "gamma-0.5.0": write_wheel(folder, "gamma", "0.5.0"),
        "delta-1.0.0": write_wheel(folder, "delta", "1.0.0"),
        "delta-1.1.0": write_wheel(folder, "delta", "1.1.0"),
        **{
            f"native-1.0.0-{arch}": write_wheel(
                folder, "native", "1.0.0", tag=f"py3-none-manylinux_2_17_{arch}"
            )
            for arch in ("x86_64", "aarch64")
        },
        # A later build of the same release for one platform only.
        **{
            f"native-1.0.0-{arch}-2_28": write_wheel(
                folder, "native", "1.0.0", tag=f"py3-none-manylinux_2_28_{arch}"
            )
            for arch in ("x86_64", "aarch64")
        },
    }


def lockstrip_wheel(out: Path, cache: Path) -> None:
    """lockstrip from this working tree, built offline with hatchling from the wheelhouse."""
    subprocess.run(
        [
            *(str(uv_binary()), "build", "-q", "--wheel", "--out-dir", str(out)),
            *("--no-index", "--find-links", str(provision.wheelhouse()), str(REPO)),
        ],
        env={**os.environ, "UV_NO_CONFIG": "1", "UV_CACHE_DIR": str(cache)},
        check=True,
        timeout=300,
    )


def base_images(builder: Builder, index_url: str) -> None:
    """The images the Dockerfiles name, made from files: no registry is reachable."""
    builder.import_tar(
        provision.rootfs_tar(),
        f"python:{provision.PYTHON}-slim",
        {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            # The index a company mirror would be: pip (lockstrip's stage) and uv read it.
            "PIP_INDEX_URL": index_url,
            "UV_DEFAULT_INDEX": index_url,
        },
    )
    uv = uv_binary()
    builder.import_files([uv, uv.with_name("uvx")], f"ghcr.io/astral-sh/uv:{UV_VERSION}")


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def host_uv(
    project: Path, index_url: str, cache: Path, *args: str, env: Mapping[str, str] = {}
) -> None:
    """Run uv on the host against the test index only (`uv lock` makes the real locks)."""
    full = {
        **os.environ,
        "UV_NO_CONFIG": "1",
        "UV_CACHE_DIR": str(cache),
        "UV_DEFAULT_INDEX": index_url,
        "UV_PYTHON_DOWNLOADS": "never",
        **env,
    }
    subprocess.run([str(uv_binary()), *args, "-q"], cwd=project, env=full, check=True, timeout=120)


def layer_files(tar: Path) -> Iterator[tuple[str, bytes]]:
    """Every regular file of a `docker save` archive, and of each layer archive in it: Docker
    20.10 writes `<id>/layer.tar`, newer releases OCI blobs, plain or gzipped."""
    with tarfile.open(tar) as outer:
        for member in outer:
            handle = outer.extractfile(member) if member.isfile() else None
            if handle is None:
                continue
            data = handle.read()
            yield member.name, data
            raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            yield from _archive_files(member.name, raw)


def _archive_files(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """The files of a tar archive in `data`; nothing when it is not one (a manifest)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as layer:
            found = []
            for inner in layer:
                content = layer.extractfile(inner) if inner.isfile() else None
                if content is not None:
                    found.append((f"{name}:{inner.name}", content.read()))
    except tarfile.ReadError:
        return
    yield from found
