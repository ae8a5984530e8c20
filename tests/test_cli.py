"""The command-line surface: version, help, usage errors and the digest's output formats."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import lockstrip

Cli = Callable[..., "subprocess.CompletedProcess[str]"]  # the `cli` fixture (conftest.py)

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def test_version_prints_the_package_version(cli: Cli) -> None:
    result = cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"lockstrip {lockstrip.__version__}\n"


def test_help_lists_the_commands(cli: Cli) -> None:
    result = cli("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: lockstrip [-h] [--version] [--debug] COMMAND")
    for command in ("export", "digest"):
        assert re.search(rf"^    {command} +\S", result.stdout, re.MULTILINE), command


@pytest.mark.parametrize("command", ["export", "digest"])
def test_command_help_has_an_example(command: str, cli: Cli) -> None:
    result = cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: lockstrip {command} [-h]")
    assert "[PROJECT_DIR]" in result.stdout
    assert f"Example: lockstrip {command}" in result.stdout


def test_no_arguments_prints_help(cli: Cli) -> None:
    result = cli()
    assert result.returncode == 2  # a usage error, like any other
    assert result.stdout == ""
    assert result.stderr.startswith("usage: lockstrip [-h] [--version] [--debug] COMMAND")
    assert "commands:" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--bogus"], id="unknown global option"),
        pytest.param(["export", "--bogus"], id="unknown export option"),
        pytest.param(["digest", "--bogus"], id="unknown digest option"),
        pytest.param(["export", "--mode", "fast"], id="unknown mode"),
        pytest.param(["frobnicate"], id="unknown command"),
    ],
)
def test_usage_error_exits_2(args: list[str], project: Path, cli: Cli) -> None:
    result = cli(*args, cwd=project)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("usage: lockstrip")
    assert result.stdout == ""
    assert not (project / "lockstrip-export").exists()


def test_digest_prints_one_line(project: Path, cli: Cli) -> None:
    result = cli("digest", project)
    assert result.returncode == 0, result.stderr
    assert DIGEST.fullmatch(result.stdout.removesuffix("\n"))
    assert result.stdout.count("\n") == 1
    assert result.stderr == ""


def test_digest_json(project: Path, cli: Cli) -> None:
    plain = cli("digest", project)
    result = cli("digest", project, "--json")
    assert result.returncode == 0, result.stderr

    data = json.loads(result.stdout)

    assert DIGEST.fullmatch(data["digest"])
    assert data["digest"] == plain.stdout.strip()
    assert data["packages"] == 41
    assert data["artifacts"] == 470
    assert data["lock"] == {"version": 1, "revision": 3}
    assert all(type(data[key]) is int for key in ("packages", "artifacts"))


def test_digest_defaults_to_the_current_folder(project: Path, cli: Cli) -> None:
    here = cli("digest", cwd=project)
    there = cli("digest", project)
    assert here.returncode == 0, here.stderr
    assert here.stdout == there.stdout


def test_export_reports_on_stderr_and_quiet_silences_it(
    project: Path, tmp_path: Path, cli: Cli
) -> None:
    out = tmp_path / "out"
    result = cli("export", project, "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"wrote {out} (2 files, mode frozen)\n"

    quiet = cli("export", project, "--out", out, "--mode", "locked", "-q")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == quiet.stderr == ""
    assert "[build-system]" in (out / "pyproject.toml").read_text(encoding="utf-8")


def test_export_defaults_to_the_current_folder(project: Path, cli: Cli) -> None:
    result = cli("export", cwd=project)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (project / "lockstrip-export").iterdir()) == [
        "pyproject.toml",
        "uv.lock",
    ]


def test_console_script_runs(project: Path) -> None:
    script = Path(sys.executable).with_name("lockstrip")
    if not script.exists():
        pytest.skip("the `lockstrip` console script is not installed beside this Python")
    result = subprocess.run(
        [script, "digest", project], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert DIGEST.fullmatch(result.stdout.strip())


def test_folded_export_is_checked_with_its_own_options(
    cli: Cli, workspace: Path, tmp_path: Path
) -> None:
    """`--no-install-workspace` is recorded in the header, so `check` rebuilds the folded
    export; the two install options exclude each other, as in uv."""
    out = tmp_path / "out"
    done = cli("export", workspace, "--out", out, "--no-dev", "--no-install-workspace")
    assert done.returncode == 0, done.stderr
    assert "--no-install-workspace`" in (out / "pyproject.toml").read_text().splitlines()[0]
    assert sorted(p.name for p in out.rglob("*")) == ["pyproject.toml", "uv.lock"]  # folded
    assert cli("check", workspace, "--out", out).returncode == 0
    plain = tmp_path / "plain"
    assert cli("export", workspace, "--out", plain, "--no-dev").returncode == 0
    assert (plain / "uv.lock").read_text() != (out / "uv.lock").read_text()
    # the install builds no local package: a dynamic `dependencies` is nothing it reads
    assert 'dynamic = ["version"]\n' in (out / "pyproject.toml").read_text()
    assert '"dependencies",\n' in (plain / "pyproject.toml").read_text()
    both = cli("export", workspace, "--no-install-workspace", "--no-install-local")
    assert both.returncode == 2
    assert "not allowed with argument" in both.stderr
