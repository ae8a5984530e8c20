"""`lockstrip digest` outputs: --format text|json|github|gitlab|env, --name, --json, --write,
and scoped digests that do not depend on the process (PYTHONHASHSEED)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURES

from lockstrip.cli import run
from lockstrip.environment.target import parse_target
from lockstrip.formats.request import Scope
from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.digest import compute_digest

WORKSPACE = FIXTURES / "modelcontextprotocol__python-sdk"
MEMBER = "mcp-simple-tool"
SCOPED = ["--package", MEMBER, "--no-dev"]
TARGET = ["--python-version", "3.12", "--python-platform", "x86_64-manylinux_2_28"]
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def digest(*args: str | Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`lockstrip digest ARGS` in this process: exit code, stdout, stderr."""
    code = run(["digest", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def no_github_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)


def expected(scoped: bool = False, target: bool = False) -> str:
    scope = Scope(packages=(MEMBER,), no_dev=True) if scoped else None
    chosen = parse_target("3.12", "x86_64-manylinux_2_28") if target else None
    return compute_digest(read_project(WORKSPACE), scope, chosen).value


def test_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = digest(WORKSPACE, capsys=capsys)
    assert (code, err) == (0, "")
    assert DIGEST.fullmatch(out.rstrip("\n")) and out.count("\n") == 1
    assert out == f"{expected()}\n"
    assert digest(WORKSPACE, "--format", "text", capsys=capsys)[1] == out
    scoped = digest(WORKSPACE, *SCOPED, capsys=capsys)[1]
    targeted = digest(WORKSPACE, *SCOPED, *TARGET, capsys=capsys)[1]
    assert scoped == f"{expected(scoped=True)}\n"
    assert targeted == f"{expected(scoped=True, target=True)}\n"
    assert len({out, scoped, targeted}) == 3


@pytest.mark.parametrize(
    ("args", "scope", "target"),
    [
        ([], None, None),
        (SCOPED, {"packages": [MEMBER], "no_dev": True}, None),
        (TARGET, None, {"python_version": "3.12", "platform": "x86_64-manylinux_2_28"}),
        (
            ["--group", "docs", "--extra", "cli", *TARGET],
            {"groups": ["docs"], "extras": ["cli"]},
            {"python_version": "3.12", "platform": "x86_64-manylinux_2_28"},
        ),
    ],
)
def test_json(
    args: list[str],
    scope: dict[str, Any] | None,
    target: dict[str, str] | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = digest(WORKSPACE, *args, "--json", capsys=capsys)
    assert code == 0
    assert digest(WORKSPACE, *args, "--format", "json", capsys=capsys)[1] == out
    data = json.loads(out)
    assert set(data) == {
        "digest",
        "packages",
        "local_packages",
        "artifacts",
        "lock",
        "scope",
        "target",
    }
    assert data["scope"] == scope
    assert data["target"] == target
    assert DIGEST.fullmatch(data["digest"])
    assert digest(WORKSPACE, *args, capsys=capsys)[1] == data["digest"] + "\n"
    assert data["lock"] == {"version": 1, "revision": 3}
    assert data["packages"] > 0 and data["artifacts"] >= data["packages"] - 5


def test_json_counts_shrink_with_the_scope(capsys: pytest.CaptureFixture[str]) -> None:
    whole = json.loads(digest(WORKSPACE, "--json", capsys=capsys)[1])
    scoped = json.loads(digest(WORKSPACE, *SCOPED, "--json", capsys=capsys)[1])
    targeted = json.loads(digest(WORKSPACE, *SCOPED, *TARGET, "--json", capsys=capsys)[1])
    assert whole["packages"] > scoped["packages"] >= targeted["packages"] > 0
    assert whole["artifacts"] > scoped["artifacts"] > targeted["artifacts"]
    # one artifact per package the target installs (a wheel, or the sdist to build)
    assert targeted["artifacts"] == targeted["packages"]


def test_github_appends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "github_output"
    output.write_text("earlier=step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    value = expected()
    code, out, err = digest(WORKSPACE, "--format", "github", capsys=capsys)
    assert (code, out, err) == (0, f"digest={value}\n", "")
    assert output.read_text() == f"earlier=step\ndigest={value}\n"
    scoped = expected(scoped=True, target=True)
    code, out, _ = digest(
        WORKSPACE, *SCOPED, *TARGET, "--format", "github", "--name", "deps", capsys=capsys
    )
    assert (code, out) == (0, f"deps={scoped}\n")
    assert output.read_text() == f"earlier=step\ndigest={value}\ndeps={scoped}\n"


@pytest.mark.parametrize("value", [None, ""])
def test_github_without_github_output(
    value: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if value is not None:
        monkeypatch.setenv("GITHUB_OUTPUT", value)
    written = tmp_path / "key"
    code, out, err = digest(WORKSPACE, "--format", "github", "--write", written, capsys=capsys)
    assert code == 2
    assert out == ""
    assert "GITHUB_OUTPUT" in err and "is not set" in err
    assert not written.exists()  # nothing is written by a command that fails


def test_github_output_unwritable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path))  # a folder
    code, out, err = digest(WORKSPACE, "--format", "github", capsys=capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"lockstrip: error: {tmp_path}: cannot append")


@pytest.mark.parametrize("fmt", ["env", "gitlab"])
def test_env_and_gitlab(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert digest(WORKSPACE, "--format", fmt, capsys=capsys) == (
        0,
        f"LOCKSTRIP_DIGEST={expected()}\n",
        "",
    )
    code, out, _ = digest(WORKSPACE, *SCOPED, "--format", fmt, "--name", "DEPS_KEY", capsys=capsys)
    assert (code, out) == (0, f"DEPS_KEY={expected(scoped=True)}\n")


@pytest.mark.parametrize("name", ["a=b", "two words", "line\nbreak", "", "1st"])
def test_bad_name(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = digest(WORKSPACE, "--format", "env", "--name", name, capsys=capsys)
    assert (code, out) == (2, "")
    assert err.startswith("lockstrip: error: --name: ")


def test_write_only_when_the_content_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "deps.key"
    assert digest(WORKSPACE, "--write", key, capsys=capsys)[1] == f"{expected()}\n"
    assert key.read_text() == f"{expected()}\n"
    old = 1_000_000_000_000_000_000  # 2001: any rewrite would move it to now
    os.utime(key, ns=(old, old))
    for _ in range(2):
        assert digest(WORKSPACE, "--write", key, capsys=capsys)[0] == 0
        assert key.stat().st_mtime_ns == old
    # --json prints the document, and the file still holds just the digest
    assert json.loads(digest(WORKSPACE, "--json", "--write", key, capsys=capsys)[1])
    assert key.stat().st_mtime_ns == old
    # another scope: another digest, so the file is rewritten
    assert digest(WORKSPACE, *SCOPED, "--write", key, capsys=capsys)[0] == 0
    assert key.read_text() == f"{expected(scoped=True)}\n"
    assert key.stat().st_mtime_ns != old


def test_write_replaces_other_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "deps.key"
    key.write_text(f"{expected()}")  # no newline: not the same content
    assert digest(WORKSPACE, "--write", key, capsys=capsys)[0] == 0
    assert key.read_text() == f"{expected()}\n"


def test_write_to_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = digest(WORKSPACE, "--write", tmp_path / "no" / "key", capsys=capsys)
    assert (code, out) == (2, "")
    assert "cannot write" in err


# --- determinism across processes -------------------------------------------------------------

SCRIPT = """
from lockstrip.formats.uv.render.digest import compute_digest
from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.request import Scope
from lockstrip.environment.target import parse_target
for case, scope, target in [
    ("livekit__agents", Scope(packages=("livekit-plugins-openai",)), None),
    ("microsoft__autogen__python", Scope(packages=("autogen-core",), all_groups=True), None),
    ("embeddings-benchmark__mteb", Scope(no_dev=True), parse_target("3.12", "linux")),
    ("pydantic__pydantic", Scope(only_groups=("linting", "docs")), parse_target("3.11", "macos")),
]:
    print(compute_digest(read_project(FIXTURES + "/" + case), scope, target).value)
"""


def run_with_seed(seed: str, *args: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_scoped_digests_do_not_depend_on_hash_seed() -> None:
    script = f"FIXTURES = {str(FIXTURES)!r}\n{SCRIPT}"
    outputs = {seed: run_with_seed(seed, "-c", script) for seed in ("0", "1", "4242")}
    assert len(set(outputs.values())) == 1, outputs
    lines = outputs["0"].split()
    assert len(lines) == len(set(lines)) == 4
    assert all(DIGEST.fullmatch(line) for line in lines)
    cli = ["-m", "lockstrip", "digest", str(WORKSPACE), *SCOPED, "--group", "docs", *TARGET]
    assert run_with_seed("0", *cli) == run_with_seed("99", *cli)
