"""The selection options refuse what uv refuses: every pair of them is tried on `uv export
--frozen` (uv 0.13.8) and on lockstrip, and lockstrip calls a pair a usage error exactly when
uv does; empty values and names that are not names are usage errors too (exit 2, one line)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from helpers import copy_project, run_uv

from lockstrip.cli import run

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
SMALL = CORPUS / "astral-sh__uv-docker-example"

#: Every selection option uv and lockstrip share, with a value where it takes one.
OPTIONS = (
    ("--group", "dev"),
    ("--only-group", "dev"),
    ("--no-group", "dev"),
    ("--extra", "x"),
    ("--package", "p"),
    ("--no-dev",),
    ("--only-dev",),
    ("--no-default-groups",),
    ("--all-groups",),
    ("--all-extras",),
    ("--all-packages",),
)
PAIRS = list(itertools.combinations(OPTIONS, 2))
REFUSED = "cannot be used with"


@pytest.fixture(scope="module")
def uv_refuses(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    """The pairs `uv export --frozen` refuses as a usage error."""
    base = tmp_path_factory.mktemp("uv")
    project = copy_project(SMALL, base / "project")
    refused = set()
    for first, second in PAIRS:
        result = run_uv(["export", "--frozen", "--no-header", *first, *second], project, base)
        if REFUSED in result.stderr:
            assert result.returncode == 2, result.stderr
            refused.add((first[0], second[0]))
    return refused


def lockstrip(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = run(["digest", str(SMALL), *args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("first", "second"), PAIRS, ids=[f"{a[0]} {b[0]}" for a, b in PAIRS])
def test_a_pair_is_refused_exactly_when_uv_refuses_it(
    first: tuple[str, ...],
    second: tuple[str, ...],
    uv_refuses: set[tuple[str, str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = lockstrip([*first, *second], capsys)
    if (first[0], second[0]) in uv_refuses:
        assert code == 2
        assert err == f"lockstrip: error: {first[0]}: {REFUSED} {second[0]}\n"
    else:
        assert REFUSED not in err


def test_uv_refuses_the_pairs_the_issue_names(uv_refuses: set[tuple[str, str]]) -> None:
    """The oracle itself: uv refuses --no-dev with --only-dev, and not everything."""
    assert ("--no-dev", "--only-dev") in uv_refuses
    assert 0 < len(uv_refuses) < len(PAIRS) // 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--python-version", ""], "--python-version: expects a value"),
        (["--python-version", " "], "--python-version: expects a value"),
        (["--python-platform", ""], "--python-platform: expects a value"),
        (["--group", ""], "--group: '' is not a valid name"),
        (["--only-group", "dev-"], "--only-group: 'dev-' is not a valid name"),
        (["--no-group", "a b"], "--no-group: 'a b' is not a valid name"),
        (["--extra", ""], "--extra: '' is not a valid name"),
        (["--package", "x/y"], "--package: 'x/y' is not a valid name"),
    ],
)
def test_an_empty_value_or_a_bad_name_is_a_usage_error(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lockstrip(args, capsys) == (2, f"lockstrip: error: {message}\n")


@pytest.mark.parametrize(
    "option", ["--group", "--only-group", "--no-group", "--extra", "--package"]
)
def test_uv_refuses_an_empty_name_too(option: str, tmp_path: Path) -> None:
    project = copy_project(SMALL, tmp_path / "project")
    result = run_uv(["export", "--frozen", f"{option}="], project, tmp_path)
    assert result.returncode == 2
    assert "invalid value ''" in result.stderr


def test_export_and_fetch_check_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["export", "--out", str(tmp_path / "out")], ["fetch", "--dest", str(tmp_path)]):
        code = run([command[0], str(SMALL), *command[1:], "--no-dev", "--only-dev"])
        err = capsys.readouterr().err
        assert (code, err) == (2, f"lockstrip: error: --no-dev: {REFUSED} --only-dev\n")
    assert not (tmp_path / "out").exists()
