"""The layer scan of the deployment test reads what `docker save` writes: files of the archive,
and the files of each layer archive in it, plain or gzipped. No builder needed."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

from e2e.lab import layer_files


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_reads_files_inside_layers(tmp_path: Path) -> None:
    layer = _tar({"app/.venv/secret.txt": b"the password", "etc/os-release": b"debian"})
    saved = tmp_path / "image.tar"
    saved.write_bytes(
        _tar(
            {
                "manifest.json": b"[]",
                "1a2b/layer.tar": layer,
                "blobs/sha256/3c4d": gzip.compress(_tar({"usr/leak": b"the password too"})),
                "blobs/sha256/5e6f": _tar({"root/.netrc": b"machine index"}),
            }
        )
    )
    found = {where: data for where, data in layer_files(saved)}
    assert found["1a2b/layer.tar:app/.venv/secret.txt"] == b"the password"
    assert found["blobs/sha256/3c4d:usr/leak"] == b"the password too"
    assert found["blobs/sha256/5e6f:root/.netrc"] == b"machine index"
    assert found["manifest.json"] == b"[]"
