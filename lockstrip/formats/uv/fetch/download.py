"""One artifact into the wheelhouse: its request (redirects, credentials by realm), the hash
check while it streams, the retries of a body cut short, and the atomic rename. A file
already there with the right hash is kept."""

from __future__ import annotations

import filecmp
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol
from urllib.parse import urljoin

from urllib3.exceptions import HTTPError, MaxRetryError, ProtocolError, ReadTimeoutError

from lockstrip import __version__
from lockstrip.formats.uv.fetch.failures import attempts_text, failure_text, status_error
from lockstrip.formats.uv.fetch.outcome import Fail, Outcome, Stop
from lockstrip.formats.uv.fetch.transport import RETRY_STATUSES, Attempts, Connections, Tally
from lockstrip.formats.uv.fetch.urls import bare, is_url, local_path, realm
from lockstrip.io.files import forget_temporary, track_temporary

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse

    from lockstrip.formats.uv.fetch.credentials import Credentials
    from lockstrip.formats.uv.fetch.plan import Artifact
    from lockstrip.formats.uv.fetch.progress import Progress


#: Bytes read per call while streaming: large enough that hashing and writing, not Python
#: calls, take the time.
_CHUNK = 256 * 1024


_REDIRECTS = 5


class _Retry(Exception):
    """A failure that another attempt may not meet: a body cut short."""


class _Body(Protocol):
    def read(self, amount: int) -> bytes: ...


class Fetcher:
    """Downloads artifacts into `dest`; one instance serves every worker thread."""

    def __init__(
        self,
        dest: Path,
        credentials: Credentials,
        progress: Progress,
        *,
        jobs: int,
        retries: int,
        timeout: float,
        backoff: float,
    ) -> None:
        self.dest = dest
        self.credentials = credentials
        self.progress = progress
        self.retries = retries
        self.backoff = backoff
        self.stop = threading.Event()
        self.connections = Connections(jobs, timeout, os.environ, self.stop)
        self.requests = 0
        self._count_lock = threading.Lock()
        self._mode = 0o666 & ~_umask()

    def run(self, artifact: Artifact) -> Outcome:
        final = self.dest / artifact.filename
        try:
            if _verified(final, artifact):
                self.progress.advance(artifact.size or 0)
                return Outcome(artifact, "present", final.stat().st_size)
            return self._attempts(artifact, final)
        except Fail as error:
            return Outcome(artifact, "failed", 0, str(error))
        except OSError as error:  # the wheelhouse itself: full disk, permissions
            return Outcome(artifact, "failed", 0, f"cannot write {final}: {error.strerror}")

    def _count(self) -> None:
        with self._count_lock:
            self.requests += 1

    def _attempts(self, artifact: Artifact, final: Path) -> Outcome:
        tally = Tally(self._count, self.stop, self.backoff)
        retry = Attempts(
            total=self.retries,
            connect=None,
            read=None,
            status=None,
            other=0,  # TLS and proxy refusals: another attempt meets them again
            redirect=None,  # followed by _open, which decides where credentials go
            status_forcelist=RETRY_STATUSES,
            raise_on_status=False,  # the last 5xx is reported as such, with its attempts
            respect_retry_after_header=False,
            tally=tally,
        )
        while True:
            attempt = [retry]  # _open leaves the budget urllib3 returned with the response
            try:
                return Outcome(artifact, "fetched", self._download(artifact, final, attempt))
            except _Retry as error:
                try:
                    retry = attempt[0].increment("GET", error=ProtocolError(str(error)))
                except MaxRetryError:
                    raise Fail(f"{error} ({attempts_text(tally)})") from None
                retry.sleep()

    def _download(self, artifact: Artifact, final: Path, attempt: list[Attempts]) -> int:
        """Stream into a temporary file beside `final`, verify, rename; the size written."""
        handle, temporary = tempfile.mkstemp(
            prefix=f".{artifact.filename}.", suffix=".part", dir=self.dest
        )
        track_temporary(Path(temporary))  # removed by the command line if this never ends
        done = False
        try:
            with os.fdopen(handle, "wb") as out, self._open(artifact, attempt) as body:
                size = self._copy(artifact, body, out)
            os.chmod(temporary, self._mode)  # mkstemp makes it private; a wheelhouse is not
            os.replace(temporary, final)
            done = True
            return size
        finally:
            if not done:
                Path(temporary).unlink(missing_ok=True)
            forget_temporary(Path(temporary))

    def _copy(self, artifact: Artifact, body: _Body, out: IO[bytes]) -> int:
        algorithm, _, expected = artifact.hash.partition(":")
        hasher = hashlib.new(algorithm or "sha256")
        size = 0
        while chunk := self._read(body, size):
            if self.stop.is_set():
                raise Stop
            hasher.update(chunk)
            out.write(chunk)
            size += len(chunk)
            self.progress.advance(len(chunk))
        if self.stop.is_set():  # the interrupt shut the socket: the end is not the file's
            raise Stop
        if artifact.size is not None and size < artifact.size:
            self.progress.advance(-size)
            raise _Retry(f"connection closed after {size} of {artifact.size} bytes")
        if expected and hasher.hexdigest() != expected:
            raise Fail(
                f"{algorithm} mismatch: the lock says {expected}, the download is "
                f"{hasher.hexdigest()} ({size} bytes); the file was deleted"
            )
        return size

    def _read(self, body: _Body, size: int) -> bytes:
        try:
            return body.read(_CHUNK)
        except (OSError, HTTPError) as error:
            if self.stop.is_set():
                raise Stop from None
            self.progress.advance(-size)
            if isinstance(error, ReadTimeoutError):
                raise _Retry("timed out") from None
            raise _Retry(f"connection closed after {size} bytes") from None

    @contextmanager
    def _open(self, artifact: Artifact, attempt: list[Attempts]) -> Iterator[_Body]:
        if not is_url(artifact.location):
            path = local_path(artifact.location)
            try:
                handle = path.open("rb")
            except FileNotFoundError:
                raise Fail(f"{path} does not exist") from None
            with handle:
                yield handle
            return
        url = artifact.location
        for _ in range(_REDIRECTS + 1):
            response = self._request(url, artifact.location, attempt)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                response.drain_conn()
                response.release_conn()
                if not location:
                    raise Fail(f"HTTP {response.status} without a Location")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                response.drain_conn()
                response.release_conn()
                raise status_error(response, attempt[0].tally)
            try:
                if self.stop.is_set():  # the interrupt came while the headers did
                    raise Stop
                yield response
            except BaseException:
                response.close()  # the body was not read to its end: not reused
                raise
            response.release_conn()
            return
        raise Fail(f"more than {_REDIRECTS} redirects")

    def _request(self, url: str, original: str, attempt: list[Attempts]) -> BaseHTTPResponse:
        """One GET through urllib3, which retries it within the artifact's budget."""
        self._count()
        try:
            response = self.connections.manager(url).urlopen(
                "GET",
                bare(url),
                headers=self._headers(url, original),
                retries=attempt[0],
                redirect=False,
                preload_content=False,
                decode_content=False,  # the hash is of the file's bytes
            )
        except MaxRetryError as error:
            raise Fail(failure_text(error.reason, attempt[0].tally)) from None
        except (OSError, HTTPError) as error:  # not retried: urllib3 gives it back as is
            raise Fail(failure_text(error, attempt[0].tally)) from None
        if isinstance(response.retries, Attempts):
            attempt[0] = response.retries
        return response

    def _headers(self, url: str, original: str) -> dict[str, str]:
        headers = {
            "User-Agent": f"lockstrip/{__version__}",
            "Accept-Encoding": "identity",  # the hash is of the file's bytes
        }
        # Credentials follow a redirect only within the lock URL's realm (as curl and uv
        # do): a presigned storage URL must not receive the index's password.
        same = realm(url) == realm(original)
        auth = self.credentials.header(original if same else url)
        if auth is not None:
            headers["Authorization"] = auth
        return headers


def _verified(path: Path, artifact: Artifact) -> bool:
    """Whether `path` already holds this artifact: the resumable part of a rerun."""
    if not artifact.hash:  # a local file without a hash: the same bytes as the original
        source = local_path(artifact.location)
        return path.is_file() and source.is_file() and filecmp.cmp(path, source, shallow=False)
    if not path.is_file():  # missing, or a pipe or a device that reading could hang on
        return False
    algorithm, _, expected = artifact.hash.partition(":")
    hasher = hashlib.new(algorithm)
    try:
        if artifact.size is not None and path.stat().st_size != artifact.size:
            return False
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                hasher.update(chunk)
    except FileNotFoundError:
        return False
    return hasher.hexdigest() == expected


_umask_lock = threading.Lock()


def _umask() -> int:
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask
