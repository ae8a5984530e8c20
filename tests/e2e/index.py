"""A package index on 127.0.0.1 for the end-to-end builds: wheels written here, served by
http.server as a PEP 503 simple index.

The builds must not need the internet, and a dependency upgrade must be something the test
can cause. So the third-party packages are tiny pure-Python wheels written by hand (a wheel
is a zip with three metadata files), several versions each, and "publishing" a version is
copying its wheel into the served folder. `uv lock` on the host and `uv sync`/`pip` in the
images (with `--network host`) all read this index. It counts the requests it serves, so a
test can tell that a build fetched nothing, and the bytes of the bodies it sent, so a
benchmark can tell how much a build downloaded.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import shutil
import tarfile
import threading
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["Index", "serve", "write_sdist", "write_wheel"]

#: Every file in a hand-written wheel gets this time: the same input gives the same bytes.
_EPOCH = (2020, 1, 1, 0, 0, 0)


#: PyPI's caching headers, so uv's cache behaves as it does against PyPI: a project page is
#: fresh for 10 minutes, a file forever.
_PAGE_CACHING = "max-age=600, public"
_FILE_CACHING = "max-age=365000000, immutable, public"
_JSON = "application/vnd.pypi.simple.v1+json"


def _normalize(name: str) -> str:
    """PEP 503's name normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def write_wheel(
    folder: Path,
    name: str,
    version: str,
    requires: Iterable[str] = (),
    *,
    extras: Mapping[str, Iterable[str]] | None = None,
    requires_python: str | None = None,
    tag: str = "py3-none-any",
) -> Path:
    """A wheel of `name` whose module says its own version; returns its path.

    `extras` maps each extra to its requirements (written with `extra == "..."` markers);
    `tag` may name a platform (`cp311-cp311-win_amd64`): the wheel is then not pure."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if requires_python:
        metadata += f"Requires-Python: {requires_python}\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    for extra, extra_requires in (extras or {}).items():
        metadata += f"Provides-Extra: {extra}\n"
        metadata += "".join(
            f"Requires-Dist: {with_extra_marker(requirement, extra)}\n"
            for requirement in extra_requires
        )
    pure = "true" if tag.endswith("-any") else "false"
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n',
        f"{dist_info}/METADATA": metadata,
        f"{dist_info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: lockstrip-e2e\nRoot-Is-Purelib: {pure}\nTag: {tag}\n"
        ),
    }
    record = "".join(
        f"{path},{_record_hash(text.encode())},{len(text.encode())}\n"
        for path, text in files.items()
    )
    files[f"{dist_info}/RECORD"] = record + f"{dist_info}/RECORD,,\n"
    path = folder / f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name_in_zip, text in files.items():
            info = zipfile.ZipInfo(name_in_zip, _EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, text)
    return path


def with_extra_marker(requirement: str, extra: str) -> str:
    """`requirement` as written under `extra` in METADATA: its marker and the extra's."""
    spec, _, marker = requirement.partition(";")
    if marker.strip():
        return f'{spec.strip()}; ({marker.strip()}) and extra == "{extra}"'
    return f'{spec.strip()}; extra == "{extra}"'


def write_sdist(folder: Path, name: str, version: str, files: Mapping[str, str]) -> Path:
    """A source distribution `name-version.tar.gz` holding `files` under its top folder."""
    base = f"{name.replace('-', '_')}-{version}"
    path = folder / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for rel, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{base}/{rel}")
            info.size, info.mtime, info.mode = len(data), 1577836800, 0o644
            archive.addfile(info, io.BytesIO(data))
    return path


class Index:
    """The served folder, its URL, and a count of the requests served so far."""

    def __init__(self, folder: Path, upload_time: str | None = None) -> None:
        self.folder = folder
        self.url = ""  # http://127.0.0.1:PORT/simple, once the server has its port
        #: When set, project pages are also served as PEP 691 JSON giving every file this
        #: PEP 700 upload time, which uv needs to honour `exclude-newer`.
        self.upload_time = upload_time
        #: File name -> its own upload time, over `upload_time` (JSON is served when set).
        self.upload_times: dict[str, str] = {}
        self._paths: list[str] = []
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def requests(self) -> int:
        with self._lock:
            return len(self._paths)

    @property
    def bytes_served(self) -> int:
        """The bytes of every response body sent so far (pages and files)."""
        with self._lock:
            return self._bytes

    def sent(self, size: int) -> None:
        with self._lock:
            self._bytes += size

    def served_since(self, start: int) -> list[str]:
        """The paths requested since the `start`-th request (for failure messages)."""
        with self._lock:
            return self._paths[start:]

    def count(self, path: str) -> None:
        with self._lock:
            self._paths.append(path)

    def publish(self, *wheels: Path) -> None:
        """Make wheels installable: from now on the index lists them."""
        for wheel in wheels:
            shutil.copy2(wheel, self.folder / wheel.name)

    def projects(self) -> dict[str, list[Path]]:
        """Normalized project name -> its files, read from the folder on every request."""
        found: dict[str, list[Path]] = {}
        for path in sorted(self.folder.iterdir()):
            if path.name.endswith((".whl", ".tar.gz")):
                found.setdefault(_normalize(path.name.split("-")[0]), []).append(path)
        return found


def _handler(index: Index, auth: tuple[str, str] | None) -> type[BaseHTTPRequestHandler]:
    expected = None
    if auth is not None:
        expected = "Basic " + base64.b64encode(":".join(auth).encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        head_only = False

        def do_HEAD(self) -> None:
            """uv asks with HEAD whether a wheel's metadata can be read by range request."""
            self.head_only = True
            self.do_GET()

        def do_GET(self) -> None:
            if expected is not None and self.headers.get("Authorization") != expected:
                index.count(f"{self.command} {self.path} (401)")
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="lockstrip-e2e"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            index.count(f"{self.command} {self.path}")
            parts = [part for part in self.path.split("?")[0].split("/") if part]
            if parts == ["simple"]:
                self._page("".join(f'<a href="{n}/">{n}</a>\n' for n in index.projects()))
            elif len(parts) == 2 and parts[0] == "simple":
                self._project(_normalize(parts[1]))
            elif len(parts) == 2 and parts[0] == "files":
                self._file(parts[1])
            else:
                self.send_error(404)

        def _project(self, name: str) -> None:
            files = index.projects().get(name)
            if files is None:
                self.send_error(404)
                return
            timed = index.upload_time or index.upload_times
            if timed and _JSON in self.headers.get("Accept", ""):
                self._json(name, files)
                return
            links = []
            for path in files:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                href = html.escape(f"/files/{path.name}#sha256={digest}")
                links.append(f'<a href="{href}">{html.escape(path.name)}</a>\n')
            self._page("".join(links))

        def _json(self, name: str, files: list[Path]) -> None:
            entries = [
                {
                    "filename": path.name,
                    "url": f"/files/{path.name}",
                    "hashes": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
                    "size": path.stat().st_size,
                    "upload-time": index.upload_times.get(path.name)
                    or index.upload_time
                    or "2020-01-01T00:00:00Z",
                }
                for path in files
            ]
            page = {"meta": {"api-version": "1.1"}, "name": name, "files": entries}
            self._send(json.dumps(page).encode(), _JSON, _PAGE_CACHING)

        def _file(self, filename: str) -> None:
            path = index.folder / filename
            if "/" in filename or not path.is_file():
                self.send_error(404)
                return
            self._send(path.read_bytes(), "application/octet-stream", _FILE_CACHING)

        def _page(self, body: str) -> None:
            page = f"<!DOCTYPE html>\n<html><body>\n{body}</body></html>\n"
            self._send(page.encode(), "text/html", _PAGE_CACHING)

        def _send(self, data: bytes, content_type: str, caching: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", caching)
            self.end_headers()
            if not self.head_only:
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return  # uv reads a wheel's metadata and hangs up on the rest
                index.sent(len(data))

        def log_message(self, format: str, *args: object) -> None:
            pass  # the count is what the tests read

    return Handler


@contextmanager
def serve(
    folder: Path, auth: tuple[str, str] | None = None, upload_time: str | None = None
) -> Iterator[Index]:
    """Serve `folder` on a free port of 127.0.0.1 until the block ends.

    With `auth` (user, password), every request without those HTTP Basic credentials gets
    401, as a company's private index answers; refused requests are counted with "(401)".
    `upload_time` is the time the index gives every file (PEP 691)."""
    index = Index(folder, upload_time)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(index, auth))
    index.url = f"http://127.0.0.1:{server.server_address[1]}/simple"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()
