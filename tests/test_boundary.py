"""The command line's one error boundary: bad input exits 2, a bug exits 3 in one line (the
traceback only under --debug or LOCKSTRIP_DEBUG=1), and 1 keeps its meaning ("stale",
"differs", "rewritten", "downloads failed")."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lockstrip import cli as _cli
from lockstrip.cli import run
from lockstrip.commands.common import EXIT_INTERNAL

Cli = Callable[..., "subprocess.CompletedProcess[str]"]  # the `cli` fixture (conftest.py)

LINE = "lockstrip: internal error: KeyError: 'package'; please report it with --debug output\n"


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug inside a command: the digest's library call raises a KeyError."""

    def compute_digest(*args: object, **kwargs: object) -> None:
        raise KeyError("package")

    monkeypatch.setattr("lockstrip.formats.uv.render.digest.compute_digest", compute_digest)
    monkeypatch.delenv("LOCKSTRIP_DEBUG", raising=False)


@pytest.mark.usefixtures("broken")
def test_an_internal_error_exits_3_with_one_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["digest", str(project)]) == EXIT_INTERNAL == 3
    out, err = capsys.readouterr()
    assert (out, err) == ("", LINE)


@pytest.mark.usefixtures("broken")
@pytest.mark.parametrize(
    "args", [["--debug", "digest"], ["digest", "--debug"]], ids=["before", "after"]
)
def test_debug_prints_the_traceback_too(
    args: list[str], project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*args, str(project)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert "in compute_digest\n" in err
    assert err.endswith(LINE)


@pytest.mark.usefixtures("broken")
def test_lockstrip_debug_in_the_environment_prints_the_traceback(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKSTRIP_DEBUG", "1")
    assert run(["digest", str(project)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and err.endswith(LINE)
    monkeypatch.setenv("LOCKSTRIP_DEBUG", "0")
    assert run(["digest", str(project)]) == 3
    assert capsys.readouterr().err == LINE


def test_a_message_on_several_lines_is_reported_on_one(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def render_dockerfile(*args: object, **kwargs: object) -> None:
        raise RuntimeError("first line\nsecond line")

    monkeypatch.setattr(
        "lockstrip.formats.uv.render.dockerfile.render_dockerfile", render_dockerfile
    )
    assert run(["dockerfile", str(project)]) == 3
    assert capsys.readouterr().err == (
        "lockstrip: internal error: RuntimeError: first line; "
        "please report it with --debug output\n"
    )


def test_a_closed_stdout_is_not_an_internal_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """main() owns the process's streams: a closed pipe passes through the boundary."""

    def compute_digest(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("lockstrip.formats.uv.render.digest.compute_digest", compute_digest)
    with pytest.raises(BrokenPipeError):
        run(["digest", str(project)])


def test_bad_input_still_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["digest", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"lockstrip: error: {tmp_path}/uv.lock: ")


def test_usage_errors_still_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(["digest", "--format", "yaml"])
    assert exited.value.code == 2


def test_help_documents_the_exit_codes(cli: Cli) -> None:
    result = cli("--help")
    assert result.returncode == 0, result.stderr
    codes = result.stdout.split("exit codes:\n", 1)[1]
    for code in ("0", "1", "2", "3", "130", "143"):
        assert f"\n  {code} " in f"\n{codes}", code
    docs = Path(__file__).resolve().parent.parent / "docs" / "exit-codes.md"
    for code in ("0", "1", "2", "3", "130", "143"):
        assert f"\n| {code} | " in docs.read_text(encoding="utf-8"), code


def test_the_real_process_reports_an_internal_error_in_one_line(
    project: Path, tmp_path: Path
) -> None:
    """Through `python -m lockstrip`: a bug planted by a sitecustomize module."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(
        "import lockstrip.formats.uv.render.digest\n"
        "def compute_digest(*args, **kwargs):\n"
        "    raise KeyError('package')\n"
        "lockstrip.formats.uv.render.digest.compute_digest = compute_digest\n",
        encoding="utf-8",
    )
    env = {"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "lockstrip", "digest", str(project)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (3, "", LINE)
    assert _cli.EXIT_INTERNAL == 3
