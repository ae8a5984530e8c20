"""Inputs are regular files of bounded size; outputs are regular files, replaced whole.

The command-line cases run in a subprocess with a time limit and an address-space limit,
so that a reader that blocks on a pipe or fills its memory from /dev/zero fails the test
instead of the machine."""

from __future__ import annotations

import errno
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lockstrip.errors import InputError, OutputError
from lockstrip.io import files
from lockstrip.io.files import holds_text

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
SMALL = CORPUS / "astral-sh__uv-docker-example"


def _limit_memory() -> None:
    gigabyte = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (2 * gigabyte, 2 * gigabyte))


def lockstrip(
    *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m lockstrip ARGS`, failing the test if it hangs."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "lockstrip", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"lockstrip {' '.join(map(str, args))} hung")


def one_error(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    """Exit 2 with one line on stderr, naming each of `parts`."""
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("lockstrip: error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for part in parts:
        assert part in result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SMALL, tmp_path / "project"))


# --- reading ------------------------------------------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _folder(path: Path) -> None:
    path.mkdir()


def _socket(path: Path) -> None:
    import socket

    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))  # left bound: the file stays a socket for the test
    _sockets.append(server)


_sockets: list[object] = []


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        pytest.param(_fifo, "is a named pipe (FIFO)", id="fifo"),
        pytest.param(_dev_zero, "is a character device", id="link to /dev/zero"),
        pytest.param(_folder, "is a directory", id="folder"),
        pytest.param(_socket, "is a socket", id="socket"),
    ],
)
@pytest.mark.parametrize("name", ["uv.lock", "pyproject.toml"])
def test_a_special_input_file_is_refused_without_blocking(
    make: Callable[[Path], None], kind: str, name: str, project: Path
) -> None:
    (project / name).unlink()
    make(project / name)
    out = project.parent / "out"
    commands: list[list[str | Path]] = [["digest", project], ["export", project, "--out", out]]
    for args in commands:
        one_error(lockstrip(*args), str(project / name), kind, "expected a regular file")
    assert not out.exists()


def test_a_file_larger_than_the_limit_is_refused(project: Path) -> None:
    size = (project / "uv.lock").stat().st_size
    limit = {files.MAX_SIZE_VARIABLE: str(size - 1)}
    one_error(lockstrip("digest", project, env=limit), "uv.lock", f"limit of {size - 1} bytes")
    assert lockstrip("digest", project, env={files.MAX_SIZE_VARIABLE: str(size)}).returncode == 0
    bad = {files.MAX_SIZE_VARIABLE: "lots"}
    one_error(lockstrip("digest", project, env=bad), files.MAX_SIZE_VARIABLE, "'lots'")


def test_the_default_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(files.MAX_SIZE_VARIABLE, raising=False)
    assert files.max_size() == 512 * 1024 * 1024


def test_a_read_stops_past_the_limit_whatever_the_size_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that grows as it is read (a /proc file says 0 bytes): at most limit + 1."""
    path = tmp_path / "big"
    path.write_bytes(b"x" * 1_000_000)
    real_fstat, real_read = os.fstat, os.read
    asked: list[int] = []

    def fstat(handle: int) -> os.stat_result:
        info = list(real_fstat(handle))
        info[6] = 0  # st_size
        return os.stat_result(info)

    def read(handle: int, count: int) -> bytes:
        asked.append(count)
        return real_read(handle, count)

    monkeypatch.setattr(os, "fstat", fstat)
    monkeypatch.setattr(os, "read", read)
    with pytest.raises(InputError, match="larger than the limit of 100000 bytes"):
        files.read_bytes(path, 100_000)
    assert sum(asked) <= 100_001
    asked.clear()
    assert files.read_bytes(path, 1_000_000) == b"x" * 1_000_000
    assert sum(asked) <= 1_000_001 + (1 << 16)


# --- writing: digest --write ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        pytest.param("/dev/full", "a character device", id="/dev/full"),
        pytest.param("fifo", "a named pipe (FIFO)", id="fifo"),
        pytest.param(".", "a directory", id="folder"),
    ],
)
def test_write_refuses_a_special_file(
    target: str, kind: str, project: Path, tmp_path: Path
) -> None:
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
    path = target if target.startswith("/") else tmp_path / target
    result = lockstrip("digest", project, "--write", path)
    one_error(result, f"{path}: cannot write: it is {kind}, not a regular file")
    assert result.stdout == ""


def test_write_to_dev_stdout_piped_does_not_hang(project: Path) -> None:
    """`--write /dev/stdout | cat`: /dev/stdout is the pipe to cat."""
    command = [sys.executable, "-m", "lockstrip", "digest", str(project), "--write", "/dev/stdout"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("lockstrip digest --write /dev/stdout hung")
    assert process.returncode == 2, err
    assert "/dev/stdout: cannot write: it is a named pipe (FIFO)" in err
    assert out == ""


def test_write_follows_a_link_and_keeps_the_mode(project: Path, tmp_path: Path) -> None:
    key, link = tmp_path / "key", tmp_path / "link"
    key.write_text("old\n")
    key.chmod(0o640)
    link.symlink_to(key)
    result = lockstrip("digest", project, "--write", link)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and key.read_text() == result.stdout
    assert key.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key", "link", "project"]


def _no_space(real: Callable[..., object]) -> Callable[..., object]:
    def fail(*args: object) -> object:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return fail


@pytest.mark.parametrize("step", ["write", "fsync"])
def test_a_full_disk_leaves_the_previous_file_and_no_temporary(
    step: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "key"
    key.write_bytes(b"previous\n")
    monkeypatch.setattr(os, step, _no_space(getattr(os, step)))

    with pytest.raises(OutputError) as caught:
        files.write_if_changed(key, b"new\n")

    monkeypatch.undo()
    assert str(caught.value) == f"{key}: cannot write: No space left on device"
    assert key.read_bytes() == b"previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]
    assert files.write_if_changed(key, b"new\n") is True  # the failure was the injected one
    assert files.write_if_changed(key, b"new\n") is False
    assert key.read_bytes() == b"new\n"


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs, for a real ENOSPC (needs root)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def _fill(folder: Path, keep: int) -> None:
    """Fill `folder`'s disk but for about `keep` bytes."""
    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize
    (folder / "filler").write_bytes(b"\0" * max(free - keep, 0))


def test_write_on_a_real_full_disk(project: Path, full_disk: Path) -> None:
    key = full_disk / "key"
    key.write_text("previous\n")
    _fill(full_disk, 0)
    result = lockstrip("digest", project, "--write", key)
    one_error(result, f"{key}: cannot write: No space left on device")
    assert key.read_text() == "previous\n"
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler", "key"]


def test_export_on_a_real_full_disk(project: Path, full_disk: Path) -> None:
    out = full_disk / "out"
    assert lockstrip("export", project, "--out", out).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _fill(full_disk, sum(map(len, before.values())) // 2)  # room for half an export
    locked = lockstrip("export", project, "--out", out, "--mode", "locked")
    one_error(locked, f"{out}: cannot write the export: No space left on device")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler", "out"]
    (full_disk / "filler").unlink()
    assert lockstrip("export", project, "--out", out, "--mode", "locked").returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["export", SMALL, "--out", ""], id="--out"),
        pytest.param(["fetch", SMALL, "--dest", ""], id="--dest"),
        pytest.param(["digest", SMALL, "--write", ""], id="--write"),
        pytest.param(["digest", ""], id="PROJECT_DIR"),
    ],
)
def test_an_empty_path_is_a_usage_error(args: list[str | Path], tmp_path: Path) -> None:
    """`--out "$UNSET"` would otherwise mean the current folder."""
    result = lockstrip(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.rstrip().endswith("expected a path, got an empty string")
    assert list(tmp_path.iterdir()) == []


def test_a_pipe_in_the_export_folder_is_not_read(project: Path, tmp_path: Path) -> None:
    """check and export compare the folder's files with what they would write: a pipe
    named uv.lock is an unreadable, stale export, replaced by the next export."""
    out = tmp_path / "out"
    assert lockstrip("export", project, "--out", out).returncode == 0
    (out / "uv.lock").unlink()
    os.mkfifo(out / "uv.lock")
    check = lockstrip("check", project, "--out", out)
    assert check.returncode == 1, check.stderr
    assert "uv.lock: is a named pipe (FIFO), expected a regular file" in check.stdout
    assert lockstrip("export", project, "--out", out).returncode == 0
    assert (out / "uv.lock").is_file()
    assert lockstrip("check", project, "--out", out).returncode == 0


@pytest.mark.parametrize(
    ("written", "text", "same"),
    [
        (b"", "", True),
        (b"abc\n", "abc\n", True),
        ("é → ü\n".encode(), "é → ü\n", True),
        (b"abc", "abd", False),
        (b"abc", "abcd", False),
        (b"abcd", "abc", False),
        ("é".encode(), "e", False),
        (("x" * 3_000_000 + "é").encode(), "x" * 3_000_000 + "é", True),  # several slices
        (("x" * 3_000_000 + "é").encode(), "x" * 3_000_000 + "e", False),
        (b"abc\r\n", "abc\n", False),
    ],
)
def test_holds_text_compares_bytes_slice_by_slice(
    tmp_path: Path, written: bytes, text: str, same: bool
) -> None:
    path = tmp_path / "file"
    path.write_bytes(written)
    assert holds_text(path, text) is same


def test_holds_text_on_what_is_no_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    assert not holds_text(tmp_path / "fifo", "")  # and does not block
    assert not holds_text(tmp_path / "folder", "")
    assert not holds_text(tmp_path / "missing", "")
