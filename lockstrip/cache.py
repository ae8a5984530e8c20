"""A content-addressed cache of digests, so that a hook that runs `lockstrip digest` on
every commit pays for reading the lock once per change of the lock.

An entry records one successful `lockstrip digest` run: its key is lockstrip's code, the
working folder, the command line and the environment variables lockstrip reads; its body
is the sha256 of every file the run read (and each path it found missing) and what the run
printed. A later run with the same key reads those files again and, when every hash still
matches, prints the same text without importing the rest of lockstrip or parsing TOML. The
digest is a function of those inputs alone, so a replay prints what a full run would
(`tests/test_digest_cache.py` runs both on every fixture and scope, and checks that a run opens no
file it did not record). Any doubt is a miss: a changed or unreadable file, a damaged or
foreign entry, a cache folder that cannot be read or written. A miss runs the command in
full, so the cache can make lockstrip faster but never different.

Only output to stdout is replayed: `--write` and `--format github` write files, and run in
full every time. `--no-cache` or LOCKSTRIP_NO_CACHE=1 turn the cache off;
LOCKSTRIP_CACHE_DIR moves it (default: the user cache folder, e.g. ~/.cache/lockstrip).
Entries are written to a temporary file and renamed, so concurrent runs never see a part;
past `MAX_ENTRIES` the least recently used half is removed.

This module imports only what a replay needs: `main` calls `replay` before the command line
and its dependencies load.
"""

from __future__ import annotations

import os
import sys

from lockstrip import __version__

__all__ = ["MAX_ENTRIES", "directory", "enabled", "record", "replay", "start_recording"]

FORMAT = "lockstrip-cache-1"
MAX_ENTRIES = 1000
#: The environment variables a digest run reads (LOCKSTRIP_MAX_FILE_SIZE bounds its reads).
_ENVIRONMENT = ("LOCKSTRIP_MAX_FILE_SIZE",)
_PACKAGE = os.path.dirname(os.path.abspath(__file__))

#: The files this run read, in order, as (path, sha256 or "-" for "did not exist"), while
#: recording (`note_read`).
reads: list[tuple[str, str]] | None = None


def enabled(argv: list[str]) -> bool:
    """Whether this command line may use the cache: only digests are recorded (other
    commands skip the lookup), and `--no-cache` anywhere turns it off."""
    if "digest" not in argv or os.environ.get("LOCKSTRIP_NO_CACHE", "") not in ("", "0"):
        return False
    return "--no-cache" not in argv


def directory() -> str:
    """Where entries live: LOCKSTRIP_CACHE_DIR, else the platform's user cache folder."""
    explicit = os.environ.get("LOCKSTRIP_CACHE_DIR")
    if explicit:
        return explicit
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "lockstrip", "cache")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "lockstrip")
    return os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "lockstrip"
    )


def _code() -> list[str]:
    """lockstrip's own modules by name, size and modification time: an edited or upgraded
    lockstrip never replays what another version printed, even under the same version."""
    with os.scandir(_PACKAGE) as entries:
        found = [
            f"{entry.name}:{info.st_size}:{info.st_mtime_ns}"
            for entry in entries
            if entry.name.endswith(".py")
            for info in (entry.stat(),)
        ]
    return sorted(found)


def _key(argv: list[str]) -> str:
    import hashlib  # here: importing it costs a command that reads no cache ~3 ms

    parts = [FORMAT, __version__, *_code(), os.getcwd(), "argv", *argv, "env"]
    parts += [f"{name}={os.environ.get(name, '')}" for name in _ENVIRONMENT]
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogateescape"))
        hasher.update(b"\0")
    return hasher.hexdigest()


def _read(path: str) -> bytes | None:
    """The bytes of a regular file within the size limit, or None (a miss) for anything
    else or any error. As `lockstrip.files.read_bytes` reads: a pipe swapped in does not
    block the open, and a file grown past the limit, which a full run refuses, is a miss."""
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    raw = os.environ.get("LOCKSTRIP_MAX_FILE_SIZE", "").strip()
    limit = int(raw) if raw.isdigit() else 512 * 1024 * 1024
    try:
        handle = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        with os.fdopen(handle, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return None
            data = stream.read(limit + 1)
    except (OSError, ValueError):
        return None
    return data if len(data) <= limit else None


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def replay(argv: list[str]) -> str | None:
    """What a recorded run of `argv` printed, when every file it read is as it was then."""
    try:
        path = os.path.join(directory(), _key(argv))
        entry = _read(path)
    except (OSError, ValueError):  # no working folder, say
        return None
    if entry is None:
        return None
    try:
        head, _, output = entry.decode("utf-8", "surrogateescape").partition("\n\n")
        magic, *lines = head.split("\n")
        if magic != FORMAT:
            return None
        for line in lines:
            digest, name = line.split(" ", 1)
            if digest == "-":
                if os.path.lexists(name):
                    return None
            else:
                data = _read(name)
                if data is None or _sha256(data) != digest:
                    return None
    except ValueError:  # damaged: a miss, and the full run writes it again
        return None
    # not contextlib.suppress: a replay imports as little as it can
    try:  # noqa: SIM105
        os.utime(path)  # recently used
    except OSError:
        pass
    return output


def start_recording() -> None:
    """From now on, each file lockstrip reads is noted (`note_read`), for `record`."""
    global reads
    reads = []


def note_read(path: str, data: bytes | None) -> None:
    """While recording: the run read `data` from `path` (None: found no file there). Hashed
    now, so that a 200 MB lock's bytes are not kept alive until the run ends."""
    if reads is not None:
        reads.append((path, "-" if data is None else _sha256(data)))


def record(argv: list[str], output: str) -> None:
    """Store what this run of `argv` printed, with the files it read. Best effort: a cache
    folder that cannot be written leaves the run as it was."""
    if reads is None or any("\n" in name for name, _ in reads):
        return
    from pathlib import Path

    from lockstrip.files import forget_temporary, track_temporary

    lines = [FORMAT]
    seen = set()
    for name, digest in reads:
        if name not in seen:
            seen.add(name)
            lines.append(f"{digest} {name}")
    body = ("\n".join(lines) + "\n\n" + output).encode("utf-8", "surrogateescape")
    folder = directory()
    try:
        target = os.path.join(folder, _key(argv))
        os.makedirs(folder, exist_ok=True)
        temporary = Path(f"{target}.{os.getpid()}.tmp")
        track_temporary(temporary)
        try:
            with open(temporary, "wb") as handle:
                handle.write(body)
            os.replace(temporary, target)
        finally:
            forget_temporary(temporary)
            temporary.unlink(missing_ok=True)
        _prune(folder)
    except (OSError, ValueError):
        pass


def _prune(folder: str) -> None:
    """Past MAX_ENTRIES entries, remove the least recently used half."""
    with os.scandir(folder) as scan:
        entries = [(e.stat().st_mtime_ns, e.path) for e in scan if len(e.name) == 64]
    if len(entries) <= MAX_ENTRIES:
        return
    for _, path in sorted(entries)[: len(entries) - MAX_ENTRIES // 2]:
        try:  # noqa: SIM105 - as above
            os.unlink(path)
        except OSError:
            pass
