"""Malformed input content, by hand: each case is one edit of a real project that crashed a
command (a traceback, exit 1) or was exported although uv refuses it. Now every command
exits 2 with one line naming the file and the field, and uv 0.13.8 refuses the same input
(`uv export --frozen`); the inputs uv reads, lockstrip reads too.

The commands run in-process through `lockstrip.cli.run`, the CLI's one error boundary.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import FIXTURES, run_uv

from lockstrip.cli import run
from lockstrip.environment.target import parse_target
from lockstrip.formats.uv.fetch import plan_fetch
from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.export import build_export
from lockstrip.io.export_folder import write_export

SMALL = FIXTURES / "astral-sh__uv-docker-example"
#: A project-less workspace root: its groups are [manifest.dependency-groups] in the lock.
PROJECTLESS = FIXTURES / "microsoft__autogen__python"
OTHER = FIXTURES / "astral-sh__uv-fastapi-example"

WHEEL = (
    'url = "https://files.pythonhosted.org/packages/78/b6/6307fbef88d9b5ee7421e68d78a9f162e0da'
    '4900bc5f5793f6d3d0e34fb8/annotated_types-0.7.0-py3-none-any.whl"'
)
ANYIO_MARKER = "marker = \"python_full_version < '3.13'\" }"
REQUIRES_DEV = (
    "[package.metadata.requires-dev]\ndev = [\n"
    '    { name = "fastapi-cli", specifier = ">=0.0.5" },\n'
    '    { name = "ruff", specifier = ">=0.6.2" },\n]'
)

#: What the commands are: the scoped and targeted digest, the plain export, and diff
#: against the unchanged project (both read the whole model).
SCOPED = ["digest", "--all-groups", "--python-version", "3.12", "--python-platform", "linux"]


def replace(old: str, new: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return apply


def cut_before(block: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        return text[: text.index(block)]

    return apply


def other_lock(text: str) -> str:
    return (OTHER / "uv.lock").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Case:
    id: str
    base: Path
    file: str
    edit: Callable[[str], str]
    message: str  # after "lockstrip: error: PROJECT/"
    #: the commands that must refuse it (a marker that does not parse is read as text by
    #: the plain export and by diff, and refused by what evaluates markers)
    commands: tuple[str, ...] = ("scoped", "export", "diff")


CASES = [
    Case(
        "artifact URL not a string",
        SMALL,
        "uv.lock",
        replace(WHEEL, "url = 1"),
        "uv.lock: package[0] (annotated-types).wheels[0].url: expected a string, found an integer",
    ),
    Case(
        "marker not a string",
        SMALL,
        "uv.lock",
        replace(ANYIO_MARKER, "marker = 1 }"),
        "uv.lock: package[1] (anyio).dependencies[2].marker: expected a string, found an integer",
    ),
    Case(
        "marker that does not parse",
        SMALL,
        "uv.lock",
        replace(ANYIO_MARKER, 'marker = "python_full_version <" }'),
        "uv.lock: package[1] (anyio).dependencies[2].marker: not a valid marker: incomplete "
        "comparison in marker 'python_full_version <'",
        commands=("scoped",),
    ),
    Case(
        "manifest dependency-groups entry not a table",
        PROJECTLESS,
        "uv.lock",
        replace('{ name = "autodoc-pydantic", specifier = "~=2.2" },', '"autodoc-pydantic",'),
        "uv.lock: manifest.dependency-groups.dev[0]: expected a table, found a string",
    ),
    Case(
        "[tool] uv = []",
        SMALL,
        "pyproject.toml",
        replace("[build-system]", "[tool]\nuv = []\n\n[build-system]"),
        "pyproject.toml: tool.uv: expected a table, found an array",
    ),
    Case(
        "[[package.metadata]] as an array",
        SMALL,
        "uv.lock",
        replace("[package.metadata]\n", "[[package.metadata]]\n"),
        "uv.lock: package[37] (uv-docker-example).metadata: expected a table, found an array",
    ),
    Case(
        "requires-dev group not an array",
        SMALL,
        "uv.lock",
        replace(REQUIRES_DEV, '[package.metadata.requires-dev]\ndev = "ruff"'),
        "uv.lock: package[37] (uv-docker-example).metadata.requires-dev.dev: "
        "expected an array, found a string",
    ),
    Case(
        "resolution-markers entry not a string",
        SMALL,
        "uv.lock",
        replace(
            'requires-python = ">=3.11"\n', 'requires-python = ">=3.11"\nresolution-markers = [1]\n'
        ),
        "uv.lock: resolution-markers: expected an array of strings",
    ),
    Case(
        "edge extra not an array",
        SMALL,
        "uv.lock",
        replace(
            '{ name = "fastapi", extra = ["standard"] },', '{ name = "fastapi", extra = "x" },'
        ),
        "uv.lock: package[37] (uv-docker-example).dependencies[0].extra: "
        "expected an array of strings",
    ),
    Case(
        "version = true",
        SMALL,
        "uv.lock",
        replace("version = 1\n", "version = true\n"),
        "uv.lock: version: expected an integer, found a boolean",
    ),
    Case(
        "registry package without a version",
        SMALL,
        "uv.lock",
        replace('name = "annotated-types"\nversion = "0.7.0"\n', 'name = "annotated-types"\n'),
        "uv.lock: package[0] (annotated-types).version: a package from a registry has a "
        "version; run `uv lock`",
    ),
    Case(
        "lock cut at a [[package]] boundary",
        SMALL,
        "uv.lock",
        cut_before('[[package]]\nname = "uvicorn"'),
        "uv.lock: package[7] (fastapi).optional-dependencies.standard[5]: names 'uvicorn', "
        "which is not a package of the lock; is the lock cut short? run `uv lock`",
    ),
    Case(
        "lock copied from another project",
        SMALL,
        "uv.lock",
        other_lock,
        "uv.lock: does not match pyproject.toml ([project] name is uv-docker-example, the "
        "lock has no package uv-docker-example): run `uv lock`",
    ),
]


def mutated(case: Case, tmp_path: Path) -> Path:
    project = shutil.copytree(case.base, tmp_path / "project")
    path = project / case.file
    path.write_text(case.edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return project


def command(name: str, project: Path, tmp_path: Path, base: Path) -> list[str]:
    if name == "scoped":
        return [*SCOPED, str(project)]
    if name == "export":
        return ["export", str(project), "--out", str(tmp_path / "out")]
    return ["diff", str(base), str(project)]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_input_exits_2_naming_file_and_field(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = mutated(case, tmp_path)
    for name in case.commands:
        code = run(command(name, project, tmp_path, case.base))
        err = capsys.readouterr().err
        assert (code, err) == (2, f"lockstrip: error: {project}/{case.message}\n"), name
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_uv_refuses_it_too(case: Case, tmp_path: Path) -> None:
    project = mutated(case, tmp_path)
    done = run_uv(["export", "--frozen", "--all-groups"], project, tmp_path / "cache")
    assert done.returncode != 0, done.stdout


#: uv reads [build-system] only to build: `uv export --frozen` takes this.
BUILD_REQUIRES_STRING = replace('requires = ["hatchling"]', 'requires = "hatchling"')

#: Inputs uv reads (`uv export --frozen` exits 0), which lockstrip must read too.
ACCEPTED = [
    pytest.param(BUILD_REQUIRES_STRING, id="build-system requires a string"),
    pytest.param(
        replace(WHEEL, 'url = "http://[::1/annotated_types-0.7.0-py3-none-any.whl"'),
        id="artifact URL that does not split",
    ),
    pytest.param(
        replace(WHEEL, 'url = "http://example.com:99999/annotated_types-0.7.0-py3-none-any.whl"'),
        id="artifact URL with a port out of range",
    ),
    pytest.param(
        replace(
            'version = "0.7.0"\nsource = { registry = "https://pypi.org/simple" }',
            'version = "0.7.0"\nsource = { registry = "http://[::1" }',
        ),
        id="registry URL that does not split",
    ),
]


@pytest.mark.parametrize("edit", ACCEPTED)
def test_what_uv_reads_is_exported(
    edit: Callable[[str], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = "pyproject.toml" if edit is BUILD_REQUIRES_STRING else "uv.lock"
    project = mutated(Case("", SMALL, file, edit, ""), tmp_path)
    uv_args = ["export", "--frozen", "--all-groups", "--no-header", "--no-annotate"]
    original = run_uv(uv_args, project, tmp_path / "cache")
    assert original.returncode == 0, original.stderr
    for name in ("scoped", "export", "diff"):
        assert run(command(name, project, tmp_path, SMALL)) in (0, 1), capsys.readouterr().err
    exported = run_uv(uv_args, tmp_path / "out", tmp_path / "cache")
    assert (exported.returncode, exported.stdout) == (0, original.stdout), exported.stderr


def test_fetch_plan_lists_a_url_that_does_not_split_as_unavailable(tmp_path: Path) -> None:
    edit = replace(WHEEL, 'url = "http://[::1/annotated_types-0.7.0-py3-none-any.whl"')
    project = read_project(mutated(Case("", SMALL, "uv.lock", edit, ""), tmp_path))
    target = parse_target("3.12", "linux")
    assert target is not None
    plan = plan_fetch(project, None, target)
    assert [u for u in plan.unavailable if u.startswith("annotated-types")] == [
        "annotated-types 0.7.0: the lock's URL for it is not valid (Invalid IPv6 URL)"
    ]


@pytest.mark.parametrize(
    "name", ["UV_Docker.Example", "uv_docker_example", "UV-DOCKER-EXAMPLE"], ids=str
)
def test_root_name_compares_normalized(name: str, tmp_path: Path) -> None:
    """PEP 503: uv reads `UV_Docker.Example` as the lock's `uv-docker-example`."""
    edit = replace('name = "uv-docker-example"', f'name = "{name}"')
    project = mutated(Case("", SMALL, "pyproject.toml", edit, ""), tmp_path)
    done = run_uv(["export", "--frozen"], project, tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    read = read_project(project)
    write_export(build_export(read), tmp_path / "out", read.root)


@pytest.mark.parametrize(
    ("options", "detail"),
    [
        ("--mode frozen --bogus", "unrecognized arguments: --bogus"),
        ("--mode frozen --mode", "argument --mode: expected one argument"),
        (
            "--mode frozen --python-version 2.7 --python-platform linux",
            "expected a Python 3 version such as 3.12 or 3.12.4, got '2.7'",
        ),
        (
            "--mode frozen --python-version 3.12",
            "needs --python-platform too: no project file names a platform, and this machine's"
            " would make the result depend on where lockstrip runs"
            " (e.g. --python-platform x86_64-manylinux_2_28)",
        ),
    ],
    ids=["unknown option", "option without its value", "bad target", "version alone"],
)
def test_an_export_header_with_unreadable_options_names_the_file(
    options: str, detail: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = shutil.copytree(SMALL, tmp_path / "project")
    out = tmp_path / "out"
    assert run(["export", str(project), "--out", str(out), "--quiet"]) == 0
    header = out / "pyproject.toml"
    text = header.read_text(encoding="utf-8")
    header.write_text(text.replace("--mode frozen", options, 1), encoding="utf-8")
    capsys.readouterr()
    assert run(["check", str(project), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"lockstrip: error: {header}:1: the header records options this lockstrip cannot "
        f"read ({detail})\n"
    )
