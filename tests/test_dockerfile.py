"""`lockstrip dockerfile`: the Dockerfile fits the project, and its commands work on it.

The real builds are in tests/e2e (BuildKit, LOCKSTRIP_E2E=1). Here: the text for four kinds
of project (an editable root, a project-less workspace, a workspace with a root project, a
virtual root), its determinism, the examples being exactly what the command prints, and, with
uv offline, that the export and download commands the Dockerfile runs plan the same installs
on the export as on the project.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli
from helpers import FIXTURES, REPO, run_uv, uv_env, uv_executable

from lockstrip import __version__
from lockstrip.formats.uv.model.project import read_project
from lockstrip.formats.uv.render.dockerfile import render_dockerfile
from lockstrip.formats.uv.render.dockerfile_inputs import UV_VERSION, lowest_minor

EDITABLE_ROOT = FIXTURES / "astral-sh__uv-docker-example"
NO_ROOT_WORKSPACE = FIXTURES / "livekit__agents"
ROOT_WORKSPACE = FIXTURES / "modelcontextprotocol__python-sdk"
VIRTUAL_ROOT = FIXTURES / "astral-sh__uv-fastapi-example"
EXAMPLES = sorted(path.parent for path in (REPO / "examples").glob("*/Dockerfile"))
MONOREPO = REPO / "examples/monorepo"
#: The services an example's Dockerfile is printed for (`--package`), if any.
EXAMPLE_PACKAGES = {MONOREPO: ("api", "worker")}


def dockerfile(project: Path) -> str:
    return render_dockerfile(read_project(project), packages=EXAMPLE_PACKAGES.get(project, ()))


def run_lines(text: str) -> list[str]:
    """Each RUN instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in joined.splitlines() if line.startswith("RUN ")]


def test_editable_root() -> None:
    text = dockerfile(EDITABLE_ROOT)
    assert text.startswith("# Dockerfile for uv-docker-example, printed by `lockstrip dockerfile`")
    assert (
        "FROM --platform=$BUILDPLATFORM python:3.11-slim AS lockstrip\n" in text
    )  # requires-python = ">=3.11"
    assert f"FROM ghcr.io/astral-sh/uv:{UV_VERSION} AS uv\n" in text
    runs = run_lines(text)
    assert any("uv sync --frozen --no-install-project --no-dev" in run for run in runs)
    # hatchling is the root's backend; editables is what it asks for to build editable.
    assert any(
        run.endswith("&& uv pip install --target /opt/build-backend 'editables~=0.3' hatchling")
        for run in runs
    )
    assert runs[-1].endswith("uv sync --locked --no-dev --no-build-isolation")
    assert '# CMD ["hello"]' in text  # [project.scripts] hello


def test_workspace_without_root_project() -> None:
    text = dockerfile(NO_ROOT_WORKSPACE)
    assert text.startswith("# Dockerfile for this workspace,")
    assert "FROM python:3.12-slim\n" in text  # the lock: requires-python = ">=3.12.0, <3.15"
    runs = run_lines(text)
    assert any("uv sync --frozen --no-install-workspace --no-dev" in run for run in runs)
    assert any(
        run.endswith("uv pip install --target /opt/build-backend 'editables~=0.3' hatchling")
        for run in runs
    )
    assert "CMD" not in text


def test_workspace_with_root_project() -> None:
    text = dockerfile(ROOT_WORKSPACE)
    assert text.startswith("# Dockerfile for mcp,")
    assert "FROM python:3.10-slim\n" in text
    runs = run_lines(text)
    assert any("uv sync --frozen --no-install-workspace --no-dev" in run for run in runs)
    # The root's backend and its plugin, and the members' (one is setuptools with wheel).
    install = next(run for run in runs if "uv pip install" in run).split(
        "uv pip install --target /opt/build-backend "
    )[1]
    assert shlex.split(install) == [
        "editables~=0.3",
        "hatchling",
        "setuptools",
        "uv-dynamic-versioning",
        "wheel",
    ]


def test_virtual_root_builds_nothing() -> None:
    """A virtual root (no [build-system]) is never built: no backend, build isolation kept."""
    text = dockerfile(VIRTUAL_ROOT)
    assert "FROM python:3.12-slim\n" in text
    assert "uv pip install" not in text
    assert "--no-build-isolation" not in text
    assert run_lines(text)[-1].endswith("uv sync --locked --no-dev")


def test_lockstrip_stage_has_a_python_lockstrip_runs_on() -> None:
    """mcp allows 3.10, lockstrip runs there; older projects get a newer export stage."""
    assert "FROM --platform=$BUILDPLATFORM python:3.10-slim AS lockstrip" in dockerfile(
        ROOT_WORKSPACE
    )


@pytest.mark.parametrize(
    ("spec", "minor"),
    [
        (">=3.12.0, <3.15", "3.12"),
        ("~=3.10.2", "3.10"),
        (">3.10", "3.10"),
        ("==3.9.*", "3.9"),
        (">=3.11,!=3.11.*", "3.12"),
        ("<3.12.4,>=3.12", "3.12"),  # no latest patch allowed: any patch then
        (None, "3.12"),
        ("not a specifier", "3.12"),
    ],
)
def test_lowest_minor(spec: str | None, minor: str) -> None:
    assert lowest_minor(spec) == minor


def test_deterministic_across_processes() -> None:
    """The same project prints the same bytes, whatever the hash seed."""
    outputs = set()
    for seed in ("0", "1", "12345"):
        done = subprocess.run(
            [sys.executable, "-m", "lockstrip", "dockerfile", str(ROOT_WORKSPACE)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_cli_prints_it_and_help_has_an_example(cli: Cli) -> None:
    done = cli("dockerfile", EDITABLE_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == dockerfile(EDITABLE_ROOT)
    help = cli("dockerfile", "--help")
    assert help.returncode == 0
    assert "Example: lockstrip dockerfile > Dockerfile" in help.stdout
    assert "dockerfile" in cli("--help").stdout


def test_cli_bad_input(cli: Cli, tmp_path: Path) -> None:
    done = cli("dockerfile", tmp_path)
    assert done.returncode == 2
    assert "uv.lock" in done.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_examples_are_what_the_command_prints(example: Path) -> None:
    """examples/*/Dockerfile are the command's output, which tests/e2e builds for real."""
    assert (example / "Dockerfile").read_text() == dockerfile(example)
    assert (example / ".dockerignore").read_text().splitlines()[0] == ".venv"


def test_examples_cover_a_single_project_and_a_workspace() -> None:
    assert [path.name for path in EXAMPLES] == ["monorepo", "single-project", "workspace"]
    assert "--no-install-project" in (REPO / "examples/single-project/Dockerfile").read_text()
    assert "--no-install-workspace" in (REPO / "examples/workspace/Dockerfile").read_text()


def export_calls(text: str, targetplatform: str) -> list[list[str]]:
    """The arguments of each `lockstrip` call of the Dockerfile's export step when it builds
    for `targetplatform`: the step's shell runs, with a `lockstrip` that prints them."""
    export = next(run for run in run_lines(text) if " lockstrip export " in run)
    command = export.removeprefix("RUN --mount=type=bind,target=/src ")
    done = subprocess.run(
        ["sh", "-ec", "lockstrip() { printf '%s\\n' \"$@\" ::; }\n" + command],
        env={"TARGETPLATFORM": targetplatform, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    )
    return [call.split() for call in done.stdout.split("::\n") if call]


def export_arguments(text: str, targetplatform: str, out: str = "/export") -> list[str]:
    """The arguments of the export step's `lockstrip export --out OUT`."""
    [found] = [call for call in export_calls(text, targetplatform) if call[3:4] == [out]]
    return found


def _export_and_download(text: str, targetplatform: str) -> tuple[list[str], list[str]]:
    """The options of the `lockstrip export` that the download `uv sync` reads, and of it."""
    download = next(run for run in run_lines(text) if "uv sync --frozen" in run)
    out = "/download" if "COPY --from=lockstrip /download /app" in text else "/export"
    arguments = export_arguments(text, targetplatform, out)
    assert arguments[:4] == ["export", "/src", "--out", out]
    sync = shlex.split(download.split("uv sync ", 1)[1].split("&&")[0])
    return arguments[4:], sync


@pytest.mark.parametrize(
    ("targetplatform", "options"),
    [
        ("linux/amd64", ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]),
        (
            "linux/arm64",
            ["--python-version", "3.11", "--python-platform", "aarch64-manylinux_2_28"],
        ),
        (
            "linux/arm64/v8",
            ["--python-version", "3.11", "--python-platform", "aarch64-manylinux_2_28"],
        ),
        ("linux/arm/v7", []),  # no uv platform name: every platform's artifacts
        ("", []),
    ],
)
def test_export_selects_the_target_platform(targetplatform: str, options: list[str]) -> None:
    arguments = export_arguments(dockerfile(EDITABLE_ROOT), targetplatform)
    assert arguments == ["export", "/src", "--out", "/export", "--no-dev", *options]


def test_each_platform_has_its_own_uv_cache() -> None:
    """Both uv steps mount the cache by TARGETPLATFORM, which the stage declares first."""
    text = dockerfile(EDITABLE_ROOT)
    final_stage = text[text.index("FROM python:3.11-slim\n") :]
    mounts = re.findall(r"--mount=type=cache,\S*", final_stage)
    assert mounts == ["--mount=type=cache,id=uv-$TARGETPLATFORM,target=/root/.cache/uv"] * 2
    assert final_stage.index("ARG TARGETPLATFORM\n") < final_stage.index("--mount=type=cache")
    # The export stage runs on the build machine: it is pure Python, and needs no emulation.
    assert "FROM --platform=$BUILDPLATFORM python:3.11-slim AS lockstrip\n" in text


def _host_targets(project: Path) -> list[str]:
    """What to plan the export for on this machine: every platform's artifacts, and this
    platform's when the image's Python is this interpreter's (markers must agree)."""
    import platform

    targets = ["linux/arm/v7"]
    host = {"x86_64": "linux/amd64", "aarch64": "linux/arm64"}.get(platform.machine())
    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    if host and f"FROM python:{minor}-slim\n" in dockerfile(project):
        targets.append(host)
    return targets


@pytest.mark.parametrize(
    ("project", "targetplatform"),
    [
        (project, target)
        for project in [EDITABLE_ROOT, ROOT_WORKSPACE, *EXAMPLES]
        for target in _host_targets(project)
    ],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_download_commands_plan_the_same_installs(
    project: Path, targetplatform: str, cli: Cli, tmp_path: Path
) -> None:
    """uv, offline, plans the same download on the export as on the project itself."""
    export_options, sync = _export_and_download(dockerfile(project), targetplatform)
    out = tmp_path / "export"
    done = cli("export", project, "--out", out, *export_options)
    assert done.returncode == 0, done.stderr
    plans = []
    for folder in (project, out):
        args = ["sync", *sync, "--offline", "--dry-run", "--python", "python3"]
        result = run_uv(args, folder, tmp_path / "uv-cache")
        assert result.returncode == 0, result.stderr
        text = (result.stdout + result.stderr).replace(str(folder), "<project>")
        plans.append(
            [line for line in text.splitlines() if not re.match(r"(Using|Would create) ", line)]
        )
    assert plans[0] == plans[1]
    assert any(line.startswith(" + ") for line in plans[0])


# --- what the export stage installs: --lockstrip-spec ---------------------------------------


def export_install(text: str) -> str:
    """The export stage's install RUN, continuation lines joined."""
    return " ".join(next(run for run in run_lines(text) if "pip install" in run).split())


def test_lockstrip_spec_default_is_this_release(cli: Cli) -> None:
    text = dockerfile(EDITABLE_ROOT)
    assert export_install(text).endswith(f"pip install {PIP_FLAGS} lockstrip=={__version__}")
    assert cli("dockerfile", EDITABLE_ROOT, "--lockstrip-spec", __version__).stdout == text


PIP_FLAGS = "--no-cache-dir --disable-pip-version-check"


@pytest.mark.parametrize(
    ("spec", "install"),
    [
        ("0.2.0", f"RUN pip install {PIP_FLAGS} lockstrip==0.2.0"),
        ("lockstrip>=0.2,<0.3", f"RUN pip install {PIP_FLAGS} 'lockstrip<0.3,>=0.2'"),
        (
            "https://mirror.example/lockstrip-0.2.0-py3-none-any.whl",
            f"RUN pip install {PIP_FLAGS} "
            "'lockstrip @ https://mirror.example/lockstrip-0.2.0-py3-none-any.whl'",
        ),
        (
            "git+https://github.com/example/lockstrip@v0.2.0",
            "RUN apt-get update && apt-get install -y --no-install-recommends git "
            f"&& pip install {PIP_FLAGS} "
            "'lockstrip @ git+https://github.com/example/lockstrip@v0.2.0' "
            "&& rm -rf /var/lib/apt/lists/*",
        ),
        (
            "dist/lockstrip-0.2.0-py3-none-any.whl",
            "RUN --mount=type=bind,source=dist/lockstrip-0.2.0-py3-none-any.whl,"
            "target=/tmp/lockstrip-0.2.0-py3-none-any.whl "
            f"pip install {PIP_FLAGS} /tmp/lockstrip-0.2.0-py3-none-any.whl",
        ),
        (
            "./dist/../wheels/lockstrip-0.2.0-py3-none-any.whl",
            "RUN --mount=type=bind,source=wheels/lockstrip-0.2.0-py3-none-any.whl,"
            "target=/tmp/lockstrip-0.2.0-py3-none-any.whl "
            f"pip install {PIP_FLAGS} /tmp/lockstrip-0.2.0-py3-none-any.whl",
        ),
    ],
)
def test_lockstrip_spec(spec: str, install: str, cli: Cli) -> None:
    """Each kind of spec becomes one install line; nothing else in the file changes."""
    done = cli("dockerfile", EDITABLE_ROOT, "--lockstrip-spec", spec)
    assert done.returncode == 0, done.stderr
    assert export_install(done.stdout) == install
    assert _without_export_install(done.stdout) == _without_export_install(
        dockerfile(EDITABLE_ROOT)
    )


def _without_export_install(text: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", text).splitlines()
    return [
        line
        for line in joined
        if not line.startswith("RUN") or "pip install --no-cache" not in line
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("../lockstrip-0.2.0-py3-none-any.whl", "outside the build context"),
        ("/opt/lockstrip-0.2.0-py3-none-any.whl", "outside the build context"),
        ("dist/requests-2.0.0-py3-none-any.whl", "a wheel of requests, not lockstrip"),
        ("dist/lockstrip.whl", "Invalid wheel filename"),
        ("requests==2.0", "does not install lockstrip"),
        ("not a spec!", "is not a version, a requirement, a URL or the path of a wheel"),
    ],
)
def test_lockstrip_spec_bad(spec: str, message: str, cli: Cli) -> None:
    done = cli("dockerfile", EDITABLE_ROOT, "--lockstrip-spec", spec)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("lockstrip: error: --lockstrip-spec: ")
    assert message in done.stderr


# --- private indexes: --secret ----------------------------------------------------------------


def with_indexes(tmp_path: Path, *names: str) -> Path:
    """A copy of the editable root whose pyproject declares named indexes."""
    project = tmp_path / "project"
    shutil.copytree(EDITABLE_ROOT, project)
    with (project / "pyproject.toml").open("a") as handle:
        for name in names:
            handle.write(f'\n[[tool.uv.index]]\nname = "{name}"\nurl = "https://{name}.example/"\n')
    return project


def test_secret_mounts_credentials_into_both_uv_syncs(cli: Cli, tmp_path: Path) -> None:
    project = with_indexes(tmp_path, "corp.pypi-2", "public")
    done = cli("dockerfile", project, "--secret", "corp.pypi-2")
    assert done.returncode == 0, done.stderr
    ids = ["UV_INDEX_CORP_PYPI_2_USERNAME", "UV_INDEX_CORP_PYPI_2_PASSWORD"]
    mounts = " ".join(f"--mount=type=secret,id={id},required=true" for id in ids)
    exports = " && ".join(f'export {id}="$(cat /run/secrets/{id})"' for id in ids)
    syncs = [" ".join(run.split()) for run in run_lines(done.stdout) if "uv sync" in run]
    assert len(syncs) == 2
    for sync in syncs:
        assert re.match(
            re.escape(
                "RUN --mount=type=cache,id=uv-$TARGETPLATFORM,target=/root/.cache/uv "
                f"{mounts} {exports} && "
            )
            + "(PYTHONPATH=/opt/build-backend )?uv sync ",
            sync,
        ), sync
    # Only the uv steps see them: not the export stage, and no ENV or ARG holds one.
    assert sum(line.count("type=secret") for line in run_lines(done.stdout)) == 4
    assert not re.search(r"^(ENV|ARG) .*UV_INDEX_", done.stdout, re.MULTILINE)
    # Without secrets, the same file but for those lines.
    plain = dockerfile(project)
    assert "secret" not in plain
    stripped = re.sub(
        r"    --mount=type=secret.*\n|export .*\n && | \\\n#   --secret[^.]*(?= \.)",
        "",
        done.stdout,
    )
    assert stripped == plain


def test_secret_names_an_index_the_project_declares(cli: Cli, tmp_path: Path) -> None:
    project = with_indexes(tmp_path, "corp")
    done = cli("dockerfile", project, "--secret", "crop")
    assert done.returncode == 2
    assert done.stdout == ""
    assert (
        "pyproject.toml: tool.uv.index: no index named 'crop' (named indexes: corp)" in done.stderr
    )
    assert "named indexes: none" in cli("dockerfile", EDITABLE_ROOT, "--secret", "corp").stderr


# --- the final image starts without a sync ----------------------------------------------------


def image_env(text: str) -> dict[str, str]:
    """The environment the Dockerfile's last stage sets with ENV (PATH's $PATH left as is)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                found[key] = value
    return found


def test_final_stage_sets_no_sync_after_the_last_sync() -> None:
    text = dockerfile(EDITABLE_ROOT)
    last_sync = text.rindex("uv sync --locked")
    env_line = text.index('ENV PATH="/app/.venv/bin:$PATH" UV_NO_SYNC=1\n')
    assert last_sync < env_line  # it changes how the image runs, not how it is built
    assert image_env(text)["UV_NO_SYNC"] == "1"


def test_uv_run_with_the_image_env_installs_nothing(tmp_path: Path) -> None:
    """With the final stage's ENV, `uv run` in a project synced --no-dev runs without the
    dev group and without the network; without it, uv tries to install the dev group."""
    from e2e.index import write_wheel

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "devtool", "1.0.0")
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1.0.0"\nrequires-python = ">=3.10"\n'
        'dependencies = []\n\n[dependency-groups]\ndev = ["devtool"]\n'
    )
    cache = tmp_path / "uv-cache"
    offline = ["--no-index", "--find-links", str(wheels)]
    assert run_uv(["lock", *offline], project, cache).returncode == 0
    assert run_uv(["sync", "--frozen", "--no-dev"], project, cache).returncode == 0
    shutil.rmtree(wheels)  # as in a container: nothing to install from
    command = [uv_executable(), "run", "python", "-c", "print('started')"]
    env = {**uv_env(cache), **image_env(dockerfile(EDITABLE_ROOT))}
    env["PATH"] = env["PATH"].replace("$PATH", os.environ["PATH"])
    started = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    assert (started.returncode, started.stdout) == (0, "started\n"), started.stderr
    assert started.stderr == ""  # no "Resolved", "Installed" or "Building"
    del env["UV_NO_SYNC"]
    for other in ({}, {"UV_FROZEN": "1"}):  # --frozen skips the lock check, not the sync
        synced = subprocess.run(
            command, cwd=project, env={**env, **other}, capture_output=True, text=True
        )
        assert synced.returncode != 0
        assert "devtool" in synced.stderr


def test_docs_dockerfile_blocks_are_what_the_command_prints(tmp_path: Path, cli: Cli) -> None:
    """docs/docker.md quotes the command's output; each quoted block is in it, verbatim."""
    project = with_indexes(tmp_path, "private")
    printed = cli("dockerfile", project, "--secret", "private").stdout
    blocks = re.findall(r"```dockerfile\n(.*?)```", (REPO / "docs/docker.md").read_text(), re.S)
    assert len(blocks) == 2
    for block in blocks:
        assert block in printed


def test_examples_readme_quotes_the_single_project_dockerfile() -> None:
    """examples/README.md explains the file block by block; each block is in it, verbatim."""
    readme = (REPO / "examples/README.md").read_text()
    blocks = re.findall(r"```dockerfile\n(.*?)```", readme, re.S)
    printed = (REPO / "examples/single-project/Dockerfile").read_text()
    assert len(blocks) >= 10
    for block in blocks:
        assert block in printed, block


# --- several services of one workspace: --package -------------------------------------------


def stages(text: str) -> dict[str, str]:
    """Each named stage's text, from its FROM line to the next FROM."""
    found = {}
    for block in re.split(r"^(?=FROM )", text, flags=re.MULTILINE)[1:]:
        name = re.match(r"FROM \S+(?: \S+)? AS (\S+)\n", block)
        assert name is not None, block.splitlines()[0]
        found[name.group(1)] = block
    return found


def test_services_share_one_download_stage() -> None:
    text = dockerfile(MONOREPO)
    found = stages(text)
    assert list(found) == ["lockstrip", "uv", "download", "api", "worker"]
    assert "#   docker build --target api -t api .\n" in text
    # One export, of the union of the services' scopes, keys the one download: the export
    # for an install that leaves the workspace out, its members folded. The services' own
    # steps install their members, from the union's whole export.
    assert export_calls(text, "linux/arm/v7") == [
        [
            *("export", "/src", "--out", "/export", "--no-dev", "--package", "api"),
            *("--package", "worker"),
        ],
        [
            *("export", "/src", "--out", "/download", "--no-dev", "--package", "api"),
            *("--package", "worker", "--no-install-workspace"),
        ],
    ]
    assert "COPY --from=lockstrip /download /app\n" in found["download"]
    [download] = [" ".join(run.split()) for run in run_lines(found["download"])]
    assert download == (
        "RUN uv sync --frozen --no-install-workspace --no-dev --package api --package worker "
        "&& uv pip install --target /opt/build-backend 'editables~=0.3' hatchling "
        "&& rm -rf /opt/build-backend && rm -rf /app/.venv"
    )
    # The cache is the download stage's output, in its layer: a cache mount would be empty
    # on a fresh CI runner, where the services' offline installs must still find it.
    assert "type=cache" not in text


@pytest.mark.parametrize(("service", "other"), [("api", "worker"), ("worker", "api")])
def test_each_service_installs_its_own_scope_offline(service: str, other: str) -> None:
    stage = stages(dockerfile(MONOREPO))[service]
    mount = "--mount=type=bind,from=download,source=/root/.cache/uv,target=/root/.cache/uv,rw"
    assert [" ".join(run.split()) for run in run_lines(stage)] == [
        f"RUN {mount} uv sync --offline --frozen --no-install-workspace --no-dev "
        f"--package {service} && uv pip install --offline --target /opt/build-backend "
        "'editables~=0.3' hatchling",
        f"RUN {mount} PYTHONPATH=/opt/build-backend uv sync --offline --frozen --no-dev "
        f"--package {service} --no-build-isolation",
    ]
    # Its own source and the library's, not the other service's: an edit there is not an
    # input of this stage.
    copies = [line for line in stage.splitlines() if line.startswith("COPY ")]
    assert copies == [
        "COPY --from=uv /uv /uvx /bin/",
        "COPY --from=lockstrip /export /app",
        "COPY packages/shared /app/packages/shared",
        f"COPY services/{service} /app/services/{service}",
    ]
    assert other not in "".join(line for line in stage.splitlines() if not line.startswith("#"))
    cmd = f'# The service\'s scripts are on PATH ({service}); to run one:\n# CMD ["{service}"]\n'
    assert f'ENV PATH="/app/.venv/bin:$PATH" UV_NO_SYNC=1\n{cmd}' in stage


@pytest.mark.parametrize("service", ["api", "worker"])
def test_service_install_plans_the_same_on_the_export(
    service: str, cli: Cli, tmp_path: Path
) -> None:
    """uv, offline, plans the same third-party install for the service on the union's export
    as on the project, and takes none of the other service's packages."""
    out = tmp_path / "export"
    options = export_arguments(dockerfile(MONOREPO), "linux/arm/v7")[4:]
    assert cli("export", MONOREPO, "--out", out, *options).returncode == 0
    sync = next(r for r in run_lines(stages(dockerfile(MONOREPO))[service]) if "uv sync" in r)
    args = shlex.split(sync.split("uv sync ", 1)[1].split("&&")[0])
    plans = []
    for folder in (MONOREPO, out):
        result = run_uv(
            ["sync", *args, "--dry-run", "--python", "python3"], folder, tmp_path / "cache"
        )
        assert result.returncode == 0, result.stderr
        text = result.stdout + result.stderr
        plans.append(sorted(line for line in text.splitlines() if line.startswith(" + ")))
    assert plans[0] == plans[1]
    names = {line.split()[1].split("==")[0] for line in plans[0]}
    assert "attrs" in names
    assert ("click" in names, "idna" in names) == (service == "api", service == "worker")


def test_package_must_be_a_workspace_member(cli: Cli) -> None:
    done = cli("dockerfile", MONOREPO, "--package", "api", "--package", "web")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "--package: 'web' is not a workspace member (members: api, shared, worker)" in (
        done.stderr
    )
    single = cli("dockerfile", EDITABLE_ROOT, "--package", "hello")
    assert single.returncode == 2
    assert "(members: none: not a workspace)" in single.stderr


def test_package_named_like_a_shared_stage_is_refused(cli: Cli, tmp_path: Path) -> None:
    for name in ("uv", "web"):
        write_member(tmp_path / "ws", name)
    (tmp_path / "ws/pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["m/*"]\n')
    assert run_uv(["lock"], tmp_path / "ws", tmp_path / "cache").returncode == 0
    assert cli("dockerfile", tmp_path / "ws", "--package", "web").returncode == 0
    done = cli("dockerfile", tmp_path / "ws", "--package", "web", "--package", "uv")
    assert done.returncode == 2
    assert "--package: 'uv' is the name of a shared stage" in done.stderr


def write_member(root: Path, name: str) -> None:
    folder = root / "m" / name
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "1.0"\nrequires-python = ">=3.11"\n'
    )


def test_services_secrets_are_for_the_download_only(cli: Cli, tmp_path: Path) -> None:
    """The services install offline: only the download stage reads index credentials."""
    project = tmp_path / "monorepo"
    shutil.copytree(MONOREPO, project)
    with (project / "pyproject.toml").open("a") as handle:
        handle.write('\n[[tool.uv.index]]\nname = "corp"\nurl = "https://corp.example/"\n')
    done = cli("dockerfile", project, "--package", "api", "--secret", "corp")
    assert done.returncode == 0, done.stderr
    found = stages(done.stdout)
    assert found["download"].count("type=secret") == 2
    assert sum(block.count("type=secret") for block in found.values()) == 2
    assert "--secret id=UV_INDEX_CORP_PASSWORD,src=FILE ." in done.stdout


def test_monorepo_docs_quote_the_example_dockerfile() -> None:
    """docs/monorepo.md quotes the monorepo example's Dockerfile, verbatim."""
    docs = (REPO / "docs/monorepo.md").read_text()
    blocks = re.findall(r"```dockerfile\n(.*?)```", docs, re.S)
    assert len(blocks) == 3
    printed = (MONOREPO / "Dockerfile").read_text()
    for block in blocks:
        assert block in printed


def test_root_package_as_a_service_copies_the_context_once(cli: Cli) -> None:
    done = cli("dockerfile", ROOT_WORKSPACE, "--package", "mcp")
    assert done.returncode == 0, done.stderr
    stage = stages(done.stdout)["mcp"]
    copies = [line for line in stage.splitlines() if line.startswith("COPY ")]
    assert copies[-1] == "COPY . /app"
    assert len(copies) == 3  # uv, the export, the context


def test_service_with_a_local_package_outside_the_context_is_refused(
    cli: Cli, tmp_path: Path
) -> None:
    write_member(tmp_path / "ws", "web")
    write_member(tmp_path, "ext")  # tmp_path/m/ext, outside tmp_path/ws
    (tmp_path / "ws/pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["m/*"]\n')
    with (tmp_path / "ws/m/web/pyproject.toml").open("a") as handle:
        handle.write(
            'dependencies = ["ext"]\n\n[tool.uv.sources]\next = { path = "../../../m/ext" }\n'
        )
    assert run_uv(["lock"], tmp_path / "ws", tmp_path / "cache").returncode == 0
    done = cli("dockerfile", tmp_path / "ws", "--package", "web")
    assert done.returncode == 2
    assert "'web' depends on ext at ../m/ext, outside the build context" in done.stderr
