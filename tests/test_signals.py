"""SIGINT and SIGTERM at any moment of an export: exit 130 or 143 with one line, nothing left
behind, and the export folder either the previous one or the complete new one.

The sweep exports the largest corpus lock (4 MB) over a previous export, so that the swap
runs, and into a fresh folder, and sends the signal after a random delay (seeded) spread
over the whole run and past its end. The delay counts from the moment the process catches
SIGTERM (read from /proc), so that every signal reaches lockstrip's handler rather than
the interpreter's start-up. `LOCKSTRIP_SIGNAL_RUNS=N` sets the number of runs (default 30);
the figures of a long sweep are in BENCHMARKS.md.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.export import build_export
from lockstrip.io import files
from lockstrip.io.export_folder import write_export

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
LARGEST = CORPUS / "embeddings-benchmark__mteb"
SMALL = CORPUS / "astral-sh__uv-docker-example"

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads signal dispositions from /proc"
)


def snapshot(folder: Path) -> dict[str, bytes] | None:
    """Every file below `folder` (relative path -> bytes); None when there is no folder."""
    if not folder.exists():
        return None
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def start(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lockstrip", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone
        return {}
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def wait_for_handler(process: subprocess.Popen[str]) -> bool:
    """Wait until `process` catches SIGTERM; False if it ended first."""
    bit = 1 << (signal.SIGTERM - 1)
    while process.poll() is None:
        caught = _status(process.pid).get("SigCgt", "0")
        if int(caught, 16) & bit:
            return True
        time.sleep(0.0005)
    return False


def interrupt_alive(process: subprocess.Popen[str], signum: int) -> bool:
    """Send `signum` while the process is stopped, so it surely reaches a live process.

    Returns False (nothing sent) when the process had already ended."""
    os.kill(process.pid, signal.SIGSTOP)
    try:
        while (state := _status(process.pid).get("State", "X")[:1]) not in "TtZX":
            time.sleep(0.0005)
        if state in "ZX":
            return False
        os.kill(process.pid, signum)
        return True
    finally:
        os.kill(process.pid, signal.SIGCONT)


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def leftovers(parent: Path) -> list[str]:
    return sorted(path.name for path in parent.iterdir() if path.name.startswith("."))


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """A previous export (of another project) and the bytes of the new one."""
    base = tmp_path_factory.mktemp("exports")
    previous, new = base / "previous", base / "new"
    for project, out in ((SMALL, previous), (LARGEST, new)):
        code, _, err = finish(start("export", project, "--out", out))
        assert code == 0, err
    wanted = snapshot(new)
    assert wanted is not None
    return previous, wanted


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_a_signal_exits_128_plus_its_number_with_one_line(
    signum: int, exports: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    previous, _ = exports
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    process = start("export", LARGEST, "--out", out)
    assert wait_for_handler(process)
    assert interrupt_alive(process, signum)

    code, stdout, stderr = finish(process)

    assert (code, stdout, stderr) == (128 + signum, "", "lockstrip: interrupted\n")
    assert snapshot(out) == snapshot(previous)  # it was early: the previous export stays
    assert leftovers(tmp_path) == []


def sweep_runs() -> int:
    return int(os.environ.get("LOCKSTRIP_SIGNAL_RUNS", "30"))


@pytest.mark.slow
def test_signal_sweep(exports: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    previous, wanted = exports
    before = snapshot(previous)
    rng = random.Random(20261202)
    # How long a run lasts once its handler is set (the median of three): the delays spread
    # over it and past it.
    spans = []
    for attempt in range(3):
        process = start("export", LARGEST, "--out", tmp_path / f"timing{attempt}")
        assert wait_for_handler(process)
        started = time.monotonic()
        assert finish(process)[0] == 0
        spans.append(time.monotonic() - started)
    span = sorted(spans)[1]
    outcomes: Counter[str] = Counter()
    for run in range(sweep_runs()):
        signum = rng.choice([signal.SIGINT, signal.SIGTERM])
        fresh = rng.random() < 0.3
        parent = tmp_path / f"run{run}"
        parent.mkdir()
        out = parent / "out"
        if not fresh:
            shutil.copytree(previous, out)
        delay = rng.uniform(0, 1.3 * span)
        process = start("export", LARGEST, "--out", out)
        handled = wait_for_handler(process)
        time.sleep(delay)
        if handled and process.poll() is None:
            process.send_signal(signum)
        code, _, stderr = finish(process)

        where = f"run {run}: {signal.Signals(signum).name} after {delay * 1000:.0f} ms"
        assert code in (0, 128 + signum), f"{where}: exit {code}\n{stderr}"
        assert "Traceback" not in stderr, f"{where}\n{stderr}"
        if code:
            assert stderr.endswith("lockstrip: interrupted\n"), f"{where}\n{stderr}"
        assert leftovers(parent) == [], where
        result = snapshot(out)
        if result == wanted:
            state = "new"
        else:
            assert result == (None if fresh else before), f"{where}: a mixed export"
            state = "none" if fresh else "previous"
        outcomes[f"exit {code}, {state}"] += 1
        shutil.rmtree(parent)
    print(f"\nsignal sweep, {sweep_runs()} runs over {span * 1000:.0f} ms: {dict(outcomes)}")


# --- in this process: the steps an interrupt must not come between ---------------------------


def test_an_interrupt_during_a_deferred_block_comes_after_it() -> None:
    steps = []
    with pytest.raises(KeyboardInterrupt), files.deferred_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
        steps.append("the step after the signal")
    assert steps == ["the step after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_between_the_renames_of_the_swap_waits_for_the_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT right after the previous export is renamed away: the new one still goes in."""
    out = tmp_path / "out"
    write_export(build_export(read_project(SMALL)), out, SMALL)
    export = build_export(read_project(SMALL), "locked")
    real = Path.rename

    def rename(path: Path, target: Path) -> Path:
        moved = real(path, target)
        if path == out:
            os.kill(os.getpid(), signal.SIGINT)
        return moved

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        write_export(export, out, SMALL)
    monkeypatch.undo()

    assert snapshot(out) == {rel: text.encode() for rel, text in export.files.items()}
    assert leftovers(tmp_path) == []


def test_remove_temporaries(tmp_path: Path) -> None:
    folder, file = tmp_path / ".out.1.tmp", tmp_path / ".key.2.tmp"
    (folder / "sub").mkdir(parents=True)
    file.write_text("x")
    for path in (folder, file, tmp_path / "gone"):
        files.track_temporary(path)
    files.remove_temporaries()
    assert list(tmp_path.iterdir()) == []


LOST = """
import os, signal, weakref
from lockstrip import cli as _cli

class Thing:
    pass

def run(argv=None):
    def callback(ref):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # the handler runs here, and its exception cannot leave
            pass
    thing = Thing()
    ref = weakref.ref(thing, callback)
    del thing
    print("done")
    return 0

_cli.run = run
_cli.main()
"""


def test_an_interrupt_raised_where_python_drops_it_still_ends_the_run() -> None:
    """Raised in a weakref callback (as during an import), the exception is lost: the run
    ends all the same with 143 and one line, not with 'Exception ignored' and 0."""
    result = subprocess.run(
        [sys.executable, "-c", LOST], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        143,
        "done\n",
        "lockstrip: interrupted\n",
    )
