"""The fenced code blocks of README.md and docs/*.md are run or checked, so the docs cannot rot.

Each block is handled by its kind:

* `sh`: run with bash, in a scratch copy of a bundled project (examples/single-project unless
  the directive says `project PATH`), with lockstrip and uv on PATH and uv offline.
* `console`: each `$ ` command is run the same way, and its output must be the lines shown.
* `dockerfile`: must be `lockstrip dockerfile`'s output for the example the directive names,
  verbatim or a verbatim excerpt (`comments-left-out`: the output without its comment lines).
* `yaml`: parses; GitHub steps and workflows, and GitLab jobs, pass the schemas SchemaStore
  publishes, and use only the action's inputs and the hooks that exist.
* `toml`: parses. `python`: runs, in a scratch copy of examples/single-project.

A directive on the line before a fence changes how its block is handled:

    <!-- docs-test: project examples/monorepo -->   run in a copy of that project instead
    <!-- docs-test: docker PROJECT tests/e2e/test_x.py::test_name -->
        run with a stand-in for `docker`: each `docker build` must build what the block's
        `lockstrip dockerfile` printed (and its --target must be a stage of it); the e2e
        test, which runs the real build, must exist
    <!-- docs-test: dockerfile examples/NAME [comments-left-out] -->
    <!-- docs-test: skip REASON -->   it needs the network, PyPI or buildx
    <!-- docs-test: covered tests/test_x.py::test_name [REASON] -->   another test checks it

A `covered` test must exist. An unmarked block of a kind that cannot run fails the test, and so
does every block's `lockstrip COMMAND --option` that the command's --help does not list.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from helpers import REPO, tomllib, uv_env, uv_executable
from test_ci_templates import ACTION, doc_files, load

from lockstrip import __version__

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
DEFAULT_PROJECT = "examples/single-project"
COMMANDS = ("export", "digest", "check", "dockerfile", "fetch", "diff")

_FENCE = re.compile(r"^```(\S*)\s*$")
_DIRECTIVE = re.compile(r"^<!-- docs-test: (.*?) -->$")
# `lockstrip COMMAND ...` up to the end of the shell command (a pipe, `;`, `&&`, `>`, a comment)
_INVOCATION = re.compile(rf"\blockstrip ({'|'.join(COMMANDS)})\b((?:(?! \| )[^;&>#])*)")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    kind: str  # the fence's language, "" when none
    text: str
    directive: str  # "" when the block has none

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def parse_blocks(page: Path) -> list[Block]:
    """Every fenced block of a Markdown page, with the directive on the line before it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while lines[index] != "```":
            body.append(lines[index])
            index += 1
        index += 1
        before = lines[start - 1] if start > 0 else ""
        directive = _DIRECTIVE.match(before)
        blocks.append(
            Block(
                page,
                start + 1,
                fence.group(1),
                "".join(line + "\n" for line in body),
                directive.group(1).strip() if directive else "",
            )
        )
    return blocks


BLOCKS = [block for page in PAGES for block in parse_blocks(page)]
CHECKED = {"sh", "console", "dockerfile", "yaml", "toml", "python"}


def by_kind(*kinds: str) -> list[Any]:
    return [pytest.param(b, id=b.id) for b in BLOCKS if b.kind in kinds]


def marked(block: Block) -> str | None:
    """The reason a block is not run here, or None when it is run."""
    words = block.directive.split(maxsplit=1)
    if not words or words[0] not in ("skip", "covered"):
        return None
    assert len(words) == 2, f"{block.id}: `{words[0]}` needs a reason or a test"
    if words[0] == "covered":
        target = words[1].split()[0]
        file, _, name = target.partition("::")
        source = REPO / file
        assert source.is_file(), f"{block.id}: no test file {file}"
        assert re.search(rf"^def {re.escape(name)}\(", source.read_text(), re.M), (
            f"{block.id}: {file} has no test {name}"
        )
    return words[1]


# --- the pages have blocks, and each is handled -----------------------------------------------


def test_every_block_is_run_or_marked() -> None:
    assert len(BLOCKS) > 20
    for block in BLOCKS:
        if block.kind == "":
            continue  # plain text (a synopsis): only its lockstrip options are checked
        assert block.kind in CHECKED, f"{block.id}: unknown block kind {block.kind!r}"
        if marked(block) is None and block.kind == "dockerfile":
            assert block.directive.startswith("dockerfile "), (
                f"{block.id}: a Dockerfile block names its example "
                "(<!-- docs-test: dockerfile examples/NAME -->) or the test that checks it"
            )


def test_the_readme_keeps_its_quick_start_commands() -> None:
    """.ci/run runs the quick start; the README must show exactly what it runs."""
    quick = BLOCKS[0]
    assert quick.page.name == "README.md" and quick.kind == "sh"
    ci = (REPO / ".ci" / "run").read_text()
    command_2 = quick.text.splitlines()[-1]
    assert command_2 in ci
    assert "lockstrip export fixtures/corpus/astral-sh__uv-docker-example" in quick.text


# --- lockstrip's options, in every block -------------------------------------------------------


@functools.cache
def _help_options(command: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-m", "lockstrip", command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    # the option definitions ("  --out OUT, -o OUT  ..."), not options named in the prose
    return set(re.findall(r"^ {2}(?:-\w[^,\n]*, )?(--[a-z][a-z-]*)", done.stdout, re.M))


def invocations(text: str) -> list[tuple[str, list[str]]]:
    """Each `lockstrip COMMAND` in the text, with the long options on its (continued) line."""
    joined = re.sub(r"\\\n", " ", text)
    joined = re.sub(r"\n\s+(?=\[)", " ", joined)  # a synopsis's continuation lines
    found = []
    for line in joined.splitlines():
        for match in _INVOCATION.finditer(line):
            found.append(
                (match.group(1), re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", match.group(2)))
            )
    return found


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id) for b in BLOCKS])
def test_lockstrip_options_exist(block: Block) -> None:
    for command, options in invocations(block.text):
        unknown = set(options) - _help_options(command)
        assert not unknown, f"{block.id}: `lockstrip {command}` has no {sorted(unknown)}"


def test_the_reference_lists_every_option() -> None:
    """docs/reference.md's synopsis shows each command's every option (SELECTION stands for
    uv's selection options, -q for --quiet), so a new option cannot go unmentioned."""
    (synopsis,) = [b for b in BLOCKS if b.page.name == "reference.md" and "SELECTION:" in b.text]
    selection = set(re.findall(r"--[a-z][a-z-]*", synopsis.text.split("SELECTION:")[1]))
    lines = re.sub(r"\n\s+(?=\[)", " ", synopsis.text).splitlines()
    for command in COMMANDS:
        shown: set[str] = set()
        for line in lines:
            if re.match(rf"lockstrip {command}\b", line):
                shown |= set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line))
                shown |= selection if "SELECTION" in line else set()
                shown |= {"--quiet"} if "[-q]" in line else set()
        missing = _help_options(command) - {"--help", "--debug"} - shown
        assert not missing, f"lockstrip {command}: {sorted(missing)}"
    # --debug is every command's: the synopsis names it once.
    assert re.search(r"^lockstrip --debug COMMAND", synopsis.text, re.M)


# --- shell and console blocks: run -------------------------------------------------------------


# A stand-in for the docker CLI, for blocks whose `docker build` cannot run in the unit suite:
# it records what each build would build (the Dockerfile's text and the --target), and refuses
# every other docker command. The e2e test the directive names runs the real build.
_DOCKER = """\
import json, pathlib, sys
args = sys.argv[1:]
if args[:1] != ["build"]:
    sys.exit(f"docker {' '.join(args)}: only `docker build` is stood in for")
file = target = None
positional = []
rest = iter(args[1:])
for arg in rest:
    if arg in ("-f", "--file"):
        file = next(rest)
    elif arg == "--target":
        target = next(rest)
    elif arg in ("-t", "--tag", "--build-arg", "--secret", "--cache-from"):
        next(rest)
    elif not arg.startswith("-"):
        positional.append(arg)
(context,) = positional
path = pathlib.Path(file or pathlib.Path(context, "Dockerfile"))
log = pathlib.Path(sys.argv[0]).parent.parent / "docker-builds.jsonl"
with log.open("a") as out:
    out.write(json.dumps({"dockerfile": path.read_text(), "target": target}) + "\\n")
"""

# lockstrip, recording what each `lockstrip dockerfile` prints.
_LOCKSTRIP = """\
import pathlib, subprocess, sys
done = subprocess.run([sys.executable, "-m", "lockstrip", *sys.argv[1:]], stdout=subprocess.PIPE)
sys.stdout.buffer.write(done.stdout)
if sys.argv[1:2] == ["dockerfile"] and done.returncode == 0:
    log = pathlib.Path(sys.argv[0]).parent.parent / "printed"
    log.mkdir(exist_ok=True)
    (log / str(len(list(log.iterdir())))).write_bytes(done.stdout)
sys.exit(done.returncode)
"""


def _script(path: Path, source: str) -> None:
    """An executable that runs the Python source with this interpreter (no long #! line)."""
    program = path.with_name(f"_{path.name}.py")
    program.write_text(source)
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{program}" "$@"\n')
    path.chmod(0o755)


def scratch_project(block: Block, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the block's project, and an environment with lockstrip and uv on PATH (and
    the docker stand-in, for a `docker` block)."""
    words = block.directive.split()
    project = words[1] if words[:1] in (["project"], ["docker"]) else DEFAULT_PROJECT
    work = tmp_path / "project"
    shutil.copytree(REPO / project, work, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    bin = tmp_path / "bin"
    bin.mkdir()
    _script(bin / "lockstrip", _LOCKSTRIP)
    if words[:1] == ["docker"]:
        _script(bin / "docker", _DOCKER)
        (work / "Dockerfile").unlink(missing_ok=True)  # the block must write the one it builds
    (bin / "uv").symlink_to(uv_executable())
    env = uv_env(tmp_path / "uv-cache")
    env["PATH"] = f"{bin}:{env['PATH']}"
    return work, env


@pytest.mark.parametrize("block", by_kind("sh"))
def test_shell_block_runs(block: Block, tmp_path: Path) -> None:
    """A `docker PROJECT TEST` block runs with the docker stand-in: each `docker build` must
    build what `lockstrip dockerfile` printed in the block, and its --target must be a stage
    of it. TEST, the e2e test that runs the real build, must exist."""
    if (reason := marked(block)) is not None:
        pytest.skip(reason)
    work, env = scratch_project(block, tmp_path)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.text],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{block.id}:\n{block.text}\n{done.stdout}{done.stderr}"
    words = block.directive.split()
    if words[:1] != ["docker"]:
        return
    assert len(words) == 3, f"{block.id}: docker PROJECT TEST"
    marked(Block(block.page, block.line, block.kind, block.text, f"covered {words[2]}"))
    printed = {path.read_text() for path in (tmp_path / "printed").iterdir()}
    log = (tmp_path / "docker-builds.jsonl").read_text().splitlines()
    builds = [json.loads(line) for line in log]
    assert builds, block.id
    for build in builds:
        assert build["dockerfile"] in printed, f"{block.id}: builds a file lockstrip did not print"
        if build["target"] is not None:
            assert f" AS {build['target']}\n" in build["dockerfile"], build["target"]


def console_commands(text: str) -> list[tuple[str, str]]:
    """Each `$ ` command of a console block (with its continuation lines) and its output."""
    found: list[tuple[str, str]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.startswith("$ "):
            continue
        command = line[2:]
        while command.endswith("\\") and index < len(lines):
            command += "\n" + lines[index]
            index += 1
        output: list[str] = []
        while index < len(lines) and not lines[index].startswith("$ "):
            output.append(lines[index])
            index += 1
        found.append((command, "\n".join(output).strip("\n")))
    return found


@pytest.mark.parametrize("block", by_kind("console"))
def test_console_block_runs_and_prints_what_it_shows(block: Block, tmp_path: Path) -> None:
    if (reason := marked(block)) is not None:
        pytest.skip(reason)
    work, env = scratch_project(block, tmp_path)
    commands = console_commands(block.text)
    assert commands, f"{block.id}: no `$ ` command"
    for command, shown in commands:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # a terminal shows both
            text=True,
        )
        assert done.returncode in (0, 1), f"{block.id}: {command}\n{done.stdout}"
        assert done.stdout.strip("\n") == shown, f"{block.id}: {command}"


# --- Dockerfile blocks: the command's output ---------------------------------------------------


def without_comments(text: str) -> str:
    kept = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    return re.sub(r"\n{3,}", "\n\n", kept).strip("\n") + "\n"


@pytest.mark.parametrize("block", by_kind("dockerfile"))
def test_dockerfile_block_is_the_command_output(block: Block) -> None:
    if (reason := marked(block)) is not None:
        pytest.skip(reason)
    words = block.directive.split()
    assert words[:1] == ["dockerfile"] and len(words) >= 2, block.id
    printed = subprocess.run(
        [sys.executable, "-m", "lockstrip", "dockerfile", str(REPO / words[1])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == (REPO / words[1] / "Dockerfile").read_text()
    if "comments-left-out" in words[2:]:
        assert block.text == without_comments(printed), block.id
    else:
        assert block.text in printed, block.id


# --- yaml, toml and python blocks --------------------------------------------------------------


def _schema_check(data: Any, schema: str, tmp_path: Path) -> None:
    path = tmp_path / "block.yml"
    path.write_text(yaml.safe_dump(data))
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", schema, str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("block", by_kind("yaml"))
def test_yaml_block_is_valid(block: Block, tmp_path: Path) -> None:
    if (reason := marked(block)) is not None:
        pytest.skip(reason)
    data = yaml.safe_load(block.text)
    first = block.text.splitlines()[0]
    if block.text in doc_files().values():
        return  # a complete file of docs/ci.md: tests/test_ci_templates.py runs it
    if first == "# .pre-commit-config.yaml":
        listed = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
        hooks = {hook["id"]: hook for hook in listed}
        for repo in data["repos"]:
            assert repo["rev"] == f"v{__version__}", block.id
            for hook in repo["hooks"]:
                assert hook["id"] in hooks, block.id
                command = " ".join([hooks[hook["id"]]["entry"], *hook.get("args", [])])
                for name, options in invocations(command):
                    assert set(options) <= _help_options(name), f"{block.id}: {command}"
        return
    if isinstance(data, list):  # GitHub Actions steps: checked inside a one-job workflow
        inputs = set(load(ACTION)["inputs"])
        for step in data:
            if step.get("uses", "").startswith("lockstrip/lockstrip@"):
                assert step["uses"] == f"lockstrip/lockstrip@v{__version__}", block.id
                assert set(step.get("with", {})) <= inputs, block.id
        workflow = {"on": "push", "jobs": {"job": {"runs-on": "ubuntu-latest", "steps": data}}}
        _schema_check(workflow, "vendor.github-workflows", tmp_path)
        return
    assert isinstance(data, dict), block.id
    if "jobs" in data:
        _schema_check(data, "vendor.github-workflows", tmp_path)
    else:  # GitLab CI jobs
        _schema_check(data, "vendor.gitlab-ci", tmp_path)


@pytest.mark.parametrize("block", by_kind("toml"))
def test_toml_block_parses(block: Block) -> None:
    if (reason := marked(block)) is not None:
        pytest.skip(reason)
    tomllib.loads(block.text)


@pytest.mark.parametrize("block", by_kind("python"))
def test_python_block_runs(block: Block, tmp_path: Path) -> None:
    if (reason := marked(block)) is not None:
        pytest.skip(reason)
    work, env = scratch_project(block, tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", block.text], cwd=work, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{block.id}:\n{done.stderr}"


# --- links between the pages -------------------------------------------------------------------


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", [pytest.param(p, id=p.name) for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    """Each relative link names a file of the repository, and an anchor names a heading."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: {target}"
        if anchor:
            headings = re.findall(r"^#+ (.*)$", linked.read_text(encoding="utf-8"), re.M)
            assert anchor in {_slug(h) for h in headings}, f"{page.name}: {target}"
