"""The files lockstrip reads and writes: regular files only, of bounded size, replaced whole.

A uv.lock that is a named pipe would block a reader forever and one linked to /dev/zero
would fill its memory; a `--write FILE` that is /dev/full or a pipe does the same to a
writer. So a reader checks that it has a regular file before it reads (and opens without
blocking, so a pipe swapped in meanwhile cannot hang it), and reads at most the size limit
plus one byte whatever the file says its size is. A writer writes a temporary file beside
the target, syncs it and renames it over the target: a full disk or an interrupt leaves the
old file or the new one, never a part.

Temporary files and folders are registered until they are renamed or removed, so that the
command line removes what an interrupt left (`remove_temporaries`), and steps that must
complete together run with SIGINT and SIGTERM held back (`deferred_interrupts`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from lockstrip.errors import InputError, OutputError

__all__ = [
    "DEFAULT_MAX_SIZE",
    "MAX_SIZE_VARIABLE",
    "append",
    "deferred_interrupts",
    "forget_temporary",
    "holds_text",
    "max_size",
    "read_bytes",
    "remove_temporaries",
    "track_temporary",
    "write_if_changed",
]

#: The environment variable that overrides the size limit, in bytes.
MAX_SIZE_VARIABLE = "LOCKSTRIP_MAX_FILE_SIZE"
#: 512 MB: a hundred times the largest lock seen (4 MB), far below what fills a machine.
DEFAULT_MAX_SIZE = 512 * 1024 * 1024

_CHUNK = 1 << 16
# Not blocking on a pipe without a writer; not making a terminal the controlling one.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_OPEN_FLAGS |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def max_size() -> int:
    """The size limit: `LOCKSTRIP_MAX_FILE_SIZE` bytes, else `DEFAULT_MAX_SIZE`."""
    raw = os.environ.get(MAX_SIZE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_MAX_SIZE
    if not raw.isdigit():
        raise InputError(MAX_SIZE_VARIABLE, f"expected a number of bytes, got {raw!r}")
    return int(raw)


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file at `path` (links followed), at most `limit` of them.

    A missing file, another kind of file, a larger one or a failed read is an `InputError`.
    """
    limit = max_size() if limit is None else limit
    try:
        _check_readable(path, os.stat(path).st_mode)  # before opening: opening a device acts
        handle = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror or error}") from None
    try:
        info = os.fstat(handle)  # what was opened, if the path changed since
        _check_readable(path, info.st_mode)
        return _read_at_most(handle, path, limit, info.st_size)
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror or error}") from None
    finally:
        os.close(handle)


def holds_text(path: Path, text: str) -> bool:
    """Whether the regular file at `path` holds exactly `text`, in UTF-8.

    Compared a slice at a time, so neither the file's bytes nor the text's encoding are
    held whole: checking a 200 MB export would otherwise take 400 MB more. A special file
    or an unreadable one holds no text.
    """
    try:
        if _kind(os.stat(path).st_mode) is not None:
            return False
        handle = os.open(path, _OPEN_FLAGS)
    except OSError:
        return False
    try:
        info = os.fstat(handle)
        if _kind(info.st_mode) is not None or (text.isascii() and info.st_size != len(text)):
            return False
        for start in range(0, len(text), _COMPARED):
            expected = text[start : start + _COMPARED].encode()
            if _read_exactly(handle, len(expected)) != expected:
                return False
        return os.read(handle, 1) == b""
    except OSError:
        return False
    finally:
        os.close(handle)


_COMPARED = 1 << 20  # characters of text compared at a time


def _read_exactly(handle: int, count: int) -> bytes:
    """`count` bytes, or fewer at the end of the file."""
    chunks = []
    while count > 0:
        chunk = os.read(handle, count)
        if not chunk:
            break
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def _check_readable(path: Path, mode: int) -> None:
    kind = _kind(mode)
    if kind is not None:
        raise InputError(path, f"is {kind}, expected a regular file")


def _read_at_most(handle: int, path: Path, limit: int, size: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        # Usually one read of the whole file and one that meets its end; never more
        # than the limit plus the byte that tells the file is larger.
        wanted = min(max(size + 1 - total, _CHUNK), limit + 1 - total)
        chunk = os.read(handle, wanted)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise InputError(
                path,
                f"is larger than the limit of {limit} bytes (set {MAX_SIZE_VARIABLE} to raise it)",
            )


# --- writing ----------------------------------------------------------------------------


def _existing(path: Path, verb: str) -> os.stat_result | None:
    """The status of the file at `path`, None when there is none; refuses special files."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OutputError(path, f"cannot {verb}: {error.strerror or error}") from None
    kind = _kind(info.st_mode)
    if kind is not None:
        raise OutputError(path, f"cannot {verb}: it is {kind}, not a regular file")
    return info


def write_if_changed(path: Path, data: bytes) -> bool:
    """Replace the regular file at `path` with `data`, unless it holds them already.

    Returns whether it wrote. The file is written whole under a temporary name in the same
    folder and renamed over `path` (a link is followed: the file it names is replaced), so
    it is never seen half written; on failure the temporary file is removed.
    """
    info = _existing(path, "write")  # the path as given: /dev/stdout names a pipe
    target = Path(os.path.realpath(path))
    if info is not None and info.st_size == len(data):
        try:
            if read_bytes(target, len(data)) == data:
                return False
        except InputError:
            pass  # unreadable, or changed meanwhile: write it
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    try:
        _replace(target, data, mode)
    except OSError as error:
        raise OutputError(path, f"cannot write: {error.strerror or error}") from None
    return True


def _replace(target: Path, data: bytes, mode: int) -> None:
    import tempfile

    handle = -1
    temporary: Path | None = None
    try:
        with deferred_interrupts():
            handle, name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            temporary = Path(name)
            track_temporary(temporary)
        _write_all(handle, data)
        os.chmod(temporary, mode)  # mkstemp makes it private
        os.fsync(handle)
        os.close(handle)
        handle = -1
        with deferred_interrupts():
            os.replace(temporary, target)
            forget_temporary(temporary)
            temporary = None
    finally:
        if handle >= 0:
            os.close(handle)
        if temporary is not None:
            with deferred_interrupts():
                temporary.unlink(missing_ok=True)
                forget_temporary(temporary)


def _write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


def append(path: Path, data: bytes) -> None:
    """Append `data` to the regular file at `path`, creating it if missing."""
    _existing(path, "append")
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags, 0o666)
        try:
            kind = _kind(os.fstat(handle).st_mode)  # what was opened, if the path changed
            if kind is not None:
                raise OutputError(path, f"cannot append: it is {kind}, not a regular file")
            _write_all(handle, data)
        finally:
            os.close(handle)
    except OSError as error:
        raise OutputError(path, f"cannot append: {error.strerror or error}") from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --- temporaries and interrupts -----------------------------------------------------------

_TEMPORARIES: set[Path] = set()


def track_temporary(path: Path) -> None:
    """Register a temporary file or folder: `remove_temporaries` removes it if still there."""
    _TEMPORARIES.add(path)


def forget_temporary(path: Path) -> None:
    """Unregister a temporary that was renamed into place or removed."""
    _TEMPORARIES.discard(path)


def remove_temporaries() -> None:
    """Remove every registered temporary: what an interrupt left behind."""
    import shutil

    for path in list(_TEMPORARIES):
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        except OSError:
            pass
        _TEMPORARIES.discard(path)


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then deliver the first one.

    For a few steps that must all happen or none (rename the old export away and the new
    one in). Outside the main thread signals do not interrupt Python code: nothing to hold.
    """
    import signal

    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous: dict[int, signal._HANDLER] = {}
    try:
        for held in (signal.SIGINT, signal.SIGTERM):
            previous[held] = signal.signal(held, hold)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            _deliver(received[0], previous.get(received[0]))


def _deliver(signum: int, handler: object) -> None:
    """Act on a held signal as its handler would have."""
    import signal

    if callable(handler):
        handler(signum, None)  # raises KeyboardInterrupt, or the command line's exception
    elif handler != signal.SIG_IGN:  # the default action, or a handler not set from Python
        os.kill(os.getpid(), signum)
