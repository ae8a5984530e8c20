"""The GitLab CI template (ci/lockstrip.gitlab-ci.yml), run by gitlab-ci-local.

gitlab-ci-local plans a pipeline as GitLab does (stages, `needs:`, `extends:`, dotenv
reports, `cache:key` expansion, `parallel:matrix`) and runs each job with the shell
executor (`--force-shell-executor`; `--shell-isolation` gives each job its own copy of the
repository, and saves caches and artifacts as a runner does). `tests/gitlab_ci/provision.py`
installs it and Node.js 22; `.ci/run` calls it. The key jobs install lockstrip as the
template does, from a wheel of this checkout with pip offline ($LOCKSTRIP_TEST_WHEELHOUSE,
which `.ci/run` fills). They skip where Node.js cannot be installed, or without the
wheelhouse, and say why; on a machine that could run them but was not provisioned, they fail.

Three pipelines run (about a minute in all on 2 shared cores): the main one (stage order, artifacts,
`needs:`, a matrix, a pull-only job, two projects, the check job, the fallback key), one
on a broken lock, and one whose only Python is a system Python that refuses pip (PEP 668).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from conftest import CORPUS, SMALL
from gitlab_ci import provision
from helpers import REPO, copy_project
from test_ci_templates import load
from test_ci_templates import lockstrip_digest as digest

from lockstrip import __version__

TEMPLATE = REPO / "ci" / "lockstrip.gitlab-ci.yml"
DOCS = REPO / "docs" / "ci.md"
BEFORE = CORPUS / "openai__openai-agents-python__version-bump" / "before"
AFTER = CORPUS / "openai__openai-agents-python__version-bump" / "after"
#: A second project, for the pipeline with two projects and for the commit before the last.
OTHER = CORPUS / "astral-sh__uv-fastapi-example"
WHEELHOUSE = "LOCKSTRIP_TEST_WHEELHOUSE"
ARCH = os.uname().machine
PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def key(project: Path, *options: str) -> str:
    """The key job's key for a project: `uv-` and the digest's hex."""
    return "uv-" + digest(project, *options).removeprefix("sha256:")


# --- the template's shape ------------------------------------------------------------------


def test_no_job_of_the_template_changes_scheduling() -> None:
    """`needs:` makes a job ignore stage order and drop earlier stages' artifacts, and
    `dependencies:` drops them too; a job that extends the template keeps its own plan."""
    template = load(TEMPLATE)
    for name, job in template.items():
        assert name.startswith("."), f"{name}: including the template must add no job"
        assert "needs" not in job, name
        assert "dependencies" not in job, name


def test_the_uv_cache_folder_is_absolute_and_cached() -> None:
    job = load(TEMPLATE)[".lockstrip-uv-cache"]
    assert job["variables"]["UV_CACHE_DIR"] == "$CI_PROJECT_DIR/.cache/uv"
    assert job["cache"]["paths"] == [".cache/uv"]


def test_the_key_has_python_and_arch_and_a_fallback() -> None:
    cache = load(TEMPLATE)[".lockstrip-uv-cache"]["cache"]
    suffix = "-py${LOCKSTRIP_PYTHON}-${LOCKSTRIP_ARCH}"
    assert cache["key"] == "${LOCKSTRIP_CACHE_KEY}" + suffix
    assert cache["fallback_keys"] == ["${LOCKSTRIP_FALLBACK_KEY}" + suffix]
    assert cache["when"] == "on_success"  # the check in before_script then blocks the save
    assert cache["policy"] == "pull-push"
    pull = load(TEMPLATE)[".lockstrip-uv-cache-pull"]
    assert pull == {"extends": ".lockstrip-uv-cache", "cache": {"policy": "pull"}}


def test_the_pinned_release_is_this_one() -> None:
    job = load(TEMPLATE)[".lockstrip-install"]
    assert job["variables"]["LOCKSTRIP_SPEC"] == f"lockstrip=={__version__}"


def test_valid_against_the_published_schema() -> None:
    """SchemaStore's schema, as check-jsonschema bundles it: nothing is fetched."""
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.gitlab-ci", str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the key job's script, without GitLab ------------------------------------------------


def job_script(part: str, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`.lockstrip-key`'s lines of `part`, in sh, with its variables and lockstrip on PATH."""
    template = load(TEMPLATE)
    variables = {
        **template[".lockstrip-install"]["variables"],
        **template[".lockstrip-key"]["variables"],
    }
    bin = cwd.parent / "bin"
    bin.mkdir(exist_ok=True)
    (bin / "lockstrip").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lockstrip "$@"\n')
    (bin / "lockstrip").chmod(0o755)
    return subprocess.run(
        ["sh", "-ec", "\n".join(template[".lockstrip-key"][part])],
        cwd=cwd,
        env={
            **os.environ,
            "PATH": f"{bin}:{os.environ['PATH']}",
            "CI_PROJECT_DIR": str(cwd),
            **{k: str(v) for k, v in variables.items()},
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_dotenv(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


def test_key_survives_a_version_bump(tmp_path: Path) -> None:
    keys = []
    for project in (BEFORE, AFTER):
        workspace = copy_project(project, tmp_path / project.name)
        done = job_script("script", workspace, {})
        assert done.returncode == 0, done.stderr
        keys.append(read_dotenv(workspace / "lockstrip.env")["LOCKSTRIP_CACHE_KEY"])
    assert keys[0] == keys[1] == key(BEFORE)
    assert (BEFORE / "uv.lock").read_bytes() != (AFTER / "uv.lock").read_bytes()


POETRY_BUMP = REPO / "fixtures" / "poetry" / "Textualize__rich__version-bump"


def test_a_poetry_project_needs_no_configuration(tmp_path: Path) -> None:
    """The key job on a Poetry project: `poetry-` and the digest, the same across rich's
    release commit; `.lockstrip-poetry-cache` caches Poetry's folder under that key."""
    keys = []
    for side in ("before", "after"):
        workspace = copy_project(POETRY_BUMP / side, tmp_path / side)
        done = job_script("script", workspace, {"LOCKSTRIP_SCOPE": "--only main"})
        assert done.returncode == 0, done.stderr
        keys.append(read_dotenv(workspace / "lockstrip.env")["LOCKSTRIP_CACHE_KEY"])
    hex = digest(POETRY_BUMP / "before", "--only", "main").removeprefix("sha256:")
    assert keys[0] == keys[1] == f"poetry-{hex}"
    job = load(TEMPLATE)[".lockstrip-poetry-cache"]
    assert job["extends"] == ".lockstrip-uv-cache"
    assert job["variables"]["POETRY_CACHE_DIR"] == "$CI_PROJECT_DIR/.cache/pypoetry"
    assert job["cache"]["paths"] == [".cache/pypoetry"]


def test_key_job_fails_on_a_bad_scope(tmp_path: Path) -> None:
    workspace = copy_project(SMALL, tmp_path / "checkout")
    done = job_script("script", workspace, {"LOCKSTRIP_SCOPE": "--group nope"})
    assert done.returncode == 2
    assert "nope" in done.stderr
    assert not (workspace / "lockstrip.env").exists()


# --- pipelines under gitlab-ci-local ---------------------------------------------------------


@dataclass
class Pipeline:
    """One run of gitlab-ci-local: each job's result and log, and the caches it left."""

    root: Path
    stdout: str
    results: dict[str, str]

    def log(self, job: str) -> str:
        safe = re.sub(r"[^\w-]+", "-", job).strip("-")
        candidates = [p for p in (self.root / ".gitlab-ci-local" / "output").iterdir()]
        found = [p for p in candidates if p.stem in (job, safe)]
        assert found, f"no log for {job!r} among {[p.name for p in candidates]}"
        return found[0].read_text()

    def caches(self) -> dict[str, set[str]]:
        """Each saved cache: its key, and the files under it."""
        folder = self.root / ".gitlab-ci-local" / "cache"
        if not folder.is_dir():
            return {}
        return {
            entry.name: {p.relative_to(entry).as_posix() for p in entry.rglob("*") if p.is_file()}
            for entry in folder.iterdir()
        }


#: The summary: ` PASS  job`, or ` WARN  job  pre_script` for a job allowed to fail.
_RESULT = re.compile(r"^ (PASS|FAIL|WARN) {2}(.+?)(?: {2,}\S.*)? *$", re.M)


@pytest.fixture(scope="module")
def lockstrip_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, built once: what LOCKSTRIP_SPEC points the key jobs at."""
    missing = provision.not_provisioned()
    cannot = missing and provision.unavailable()
    if cannot:
        pytest.skip(f"no Node.js for gitlab-ci-local on this machine: {cannot}")
    if missing:  # it can be installed here, so a skip would hide a pipeline nobody ran
        pytest.fail(f"not provisioned ({missing}): run python3 tests/gitlab_ci/provision.py")
    wheelhouse = os.environ.get(WHEELHOUSE)
    if not wheelhouse:
        pytest.skip(f"{WHEELHOUSE} is not set: installing lockstrip needs hatchling offline")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index"),
            *("--find-links", wheelhouse, "-w", str(out), str(REPO)),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("lockstrip-*.whl")
    return wheel


def run_pipeline(
    root: Path, wheel: Path, path: str | None = None, env: Mapping[str, str] = {}
) -> Pipeline:
    """gitlab-ci-local on the repository at `root`, every job in the shell executor."""
    home = root.parent / "gcl-home"
    home.mkdir(exist_ok=True)
    variables = {
        "LOCKSTRIP_SPEC": str(wheel),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": os.environ[WHEELHOUSE],
        # Half of a key job's time on 2 cores; the tests never import what they install.
        "PIP_NO_COMPILE": "1",
    }
    done = subprocess.run(
        [
            *provision.command(),
            *("--home", str(home)),
            *("--force-shell-executor", "--shell-isolation"),
            *(
                arg
                for name, value in variables.items()
                for arg in ("--variable", f"{name}={value}")
            ),
        ],
        env={
            **os.environ,
            "PATH": path or f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "FORCE_COLOR": "0",
            **env,
        },
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    results = {name: status for status, name in _RESULT.findall(done.stdout)}
    assert results, done.stdout + done.stderr
    return Pipeline(root, done.stdout + done.stderr, results)


def git_repository(root: Path, commits: list[Mapping[str, Path | str]]) -> Path:
    """A repository whose commits hold the given files: a path copies a project folder there,
    a string is a file's text."""
    root.mkdir()
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    for files in commits:
        for name, content in files.items():
            target = root / name
            if isinstance(content, Path):
                if name == ".":  # another project at the root: its two files replace the last
                    for old in ("uv.lock", "pyproject.toml"):
                        (root / old).unlink(missing_ok=True)
                else:
                    shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(content, target, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "commit"], check=True)
    return root


def with_template(pipeline: str) -> str:
    """A .gitlab-ci.yml that includes the template from the repository."""
    return f"include:\n  - local: ci/lockstrip.gitlab-ci.yml\n\n{pipeline}"


MAIN = f"""\
stages: [build, test, report]

lockstrip-key:
  extends: .lockstrip-key

worker-key:
  extends: .lockstrip-key
  variables:
    LOCKSTRIP_NAME: WORKER
    LOCKSTRIP_PROJECT: worker

build:
  stage: build
  script:
    - echo built > build.txt
  artifacts:
    paths: [build.txt]

# The cache and an earlier stage's artifact, in a job that changes folder.
test:
  stage: test
  extends: .lockstrip-uv-cache
  variables:
    LOCKSTRIP_PYTHON: "{PYTHON}"
  script:
    - test -f build.txt
    - mkdir -p src && cd src
    - mkdir -p "$UV_CACHE_DIR" && echo test > "$UV_CACHE_DIR/from-test"

# Its own needs: the key job's report does not reach it.
needs-build:
  stage: test
  extends: .lockstrip-uv-cache
  needs: [build]
  allow_failure: true
  variables:
    LOCKSTRIP_PYTHON: "{PYTHON}"
  script:
    - mkdir -p "$UV_CACHE_DIR" && echo needs > "$UV_CACHE_DIR/from-needs-build"

# Its own needs, with the key job in them.
needs-both:
  stage: test
  extends: .lockstrip-uv-cache
  needs: [build, lockstrip-key]
  variables:
    LOCKSTRIP_PYTHON: "{PYTHON}"
  script:
    - test -f build.txt

matrix:
  stage: test
  extends: .lockstrip-uv-cache
  parallel:
    matrix:
      - LOCKSTRIP_PYTHON: ["3.98", "3.99"]
  script:
    - mkdir -p "$UV_CACHE_DIR" && echo "$LOCKSTRIP_PYTHON" > "$UV_CACHE_DIR/from-matrix"

pull-only:
  stage: test
  extends: .lockstrip-uv-cache-pull
  variables:
    LOCKSTRIP_PYTHON: "3.97"
  script:
    - mkdir -p "$UV_CACHE_DIR" && echo pull > "$UV_CACHE_DIR/from-pull-only"

worker-test:
  stage: test
  extends: .lockstrip-uv-cache
  variables:
    LOCKSTRIP_NAME: WORKER
    LOCKSTRIP_PYTHON: "{PYTHON}"
  cache:
    key: ${{WORKER_CACHE_KEY}}-py${{LOCKSTRIP_PYTHON}}-${{LOCKSTRIP_ARCH}}
    fallback_keys:
      - ${{WORKER_FALLBACK_KEY}}-py${{LOCKSTRIP_PYTHON}}-${{LOCKSTRIP_ARCH}}
  script:
    - mkdir -p "$UV_CACHE_DIR" && echo worker > "$UV_CACHE_DIR/from-worker-test"

check-fresh:
  stage: test
  extends: .lockstrip-check

check-stale:
  stage: test
  extends: .lockstrip-check
  allow_failure: true
  variables:
    LOCKSTRIP_EXPORT: stale-deps

# A later stage with no uv at all; needs-build and check-stale are allowed to fail so
# that it runs.
report:
  stage: report
  script:
    - 'echo "key: $LOCKSTRIP_CACHE_KEY fallback: $LOCKSTRIP_FALLBACK_KEY"'
    - 'echo "worker: $WORKER_CACHE_KEY"'
"""


def export(project: Path, out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "lockstrip", "export", str(project), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def main_pipeline(lockstrip_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The commit before the last holds OTHER at the root, the last one SMALL: the fallback
    key is OTHER's. `deps` is SMALL's export, `stale-deps` OTHER's."""
    scratch = tmp_path_factory.mktemp("main")
    exports = scratch / "exports"
    root = git_repository(
        scratch / "repo",
        [
            {".": OTHER, "ci/lockstrip.gitlab-ci.yml": TEMPLATE.read_text()},
            {
                ".": SMALL,
                "worker": OTHER,
                "deps": export(SMALL, exports / "deps"),
                "stale-deps": export(OTHER, exports / "stale-deps"),
                ".gitlab-ci.yml": with_template(MAIN),
            },
        ],
    )
    return run_pipeline(root, lockstrip_wheel)


def test_jobs_keep_stage_order_and_earlier_artifacts(main_pipeline: Pipeline) -> None:
    """`test` would fail at `test -f build.txt` had it lost the build stage's artifact."""
    assert main_pipeline.results["lockstrip-key"] == "PASS", main_pipeline.stdout
    assert main_pipeline.results["build"] == "PASS"
    assert main_pipeline.results["test"] == "PASS", main_pipeline.log("test")
    assert main_pipeline.results["report"] == "PASS"


def test_the_cache_key_follows_the_lock(main_pipeline: Pipeline) -> None:
    caches = main_pipeline.caches()
    assert f"{key(SMALL)}-py{PYTHON}-{ARCH}" in caches
    log = main_pipeline.log("report")
    assert f"key: {key(SMALL)} " in log


def test_a_script_that_changes_folder_fills_the_cached_folder(main_pipeline: Pipeline) -> None:
    files = main_pipeline.caches()[f"{key(SMALL)}-py{PYTHON}-{ARCH}"]
    assert ".cache/uv/from-test" in files


def test_a_job_with_its_own_needs_fails_loudly_and_saves_nothing(main_pipeline: Pipeline) -> None:
    """`needs: [build]` replaces what the job gets from `.pre`: no key. It must not run on and
    save its cache under whatever constant the empty key expands to."""
    assert main_pipeline.results["needs-build"] == "WARN"  # failed, allowed to
    assert "LOCKSTRIP_CACHE_KEY is empty" in main_pipeline.log("needs-build")
    saved = set().union(*main_pipeline.caches().values())
    assert ".cache/uv/from-needs-build" not in saved
    assert all(name.startswith("uv-") for name in main_pipeline.caches())


def test_a_job_that_needs_the_key_job_gets_the_key(main_pipeline: Pipeline) -> None:
    assert main_pipeline.results["needs-both"] == "PASS", main_pipeline.log("needs-both")
    assert f"uv cache key {key(SMALL)}-py{PYTHON}-{ARCH}" in main_pipeline.log("needs-both")


def test_a_matrix_of_pythons_gives_one_key_each(main_pipeline: Pipeline) -> None:
    caches = main_pipeline.caches()
    for python in ("3.98", "3.99"):
        assert ".cache/uv/from-matrix" in caches[f"{key(SMALL)}-py{python}-{ARCH}"]


def test_a_pull_only_job_saves_no_cache(main_pipeline: Pipeline) -> None:
    assert main_pipeline.results["pull-only"] == "PASS", main_pipeline.log("pull-only")
    assert not [name for name in main_pipeline.caches() if "-py3.97-" in name]


def test_two_projects_have_two_keys(main_pipeline: Pipeline) -> None:
    assert main_pipeline.results["worker-key"] == "PASS"
    assert main_pipeline.results["worker-test"] == "PASS", main_pipeline.log("worker-test")
    worker = f"{key(OTHER)}-py{PYTHON}-{ARCH}"
    assert main_pipeline.caches()[worker] == {".cache/uv/from-worker-test"}
    assert key(OTHER) != key(SMALL)
    assert f"worker: {key(OTHER)}" in main_pipeline.log("report")


def test_the_fallback_key_is_the_previous_commits_key(main_pipeline: Pipeline) -> None:
    assert f"fallback: {key(OTHER)}" in main_pipeline.log("report")


def test_the_check_job_passes_on_a_fresh_export_and_fails_on_a_stale_one(
    main_pipeline: Pipeline,
) -> None:
    assert main_pipeline.results["check-fresh"] == "PASS", main_pipeline.log("check-fresh")
    assert main_pipeline.results["check-stale"] == "WARN"  # failed, allowed to
    assert "is stale" in main_pipeline.log("check-stale")


BROKEN = f"""\
stages: [build, test]

lockstrip-key:
  extends: .lockstrip-key

build:
  stage: build
  script:
    - echo no uv here

test:
  stage: test
  extends: .lockstrip-uv-cache
  variables:
    LOCKSTRIP_PYTHON: "{PYTHON}"
  script:
    - mkdir -p "$UV_CACHE_DIR" && echo test > "$UV_CACHE_DIR/from-test"
"""


def test_a_broken_lock_stops_the_uv_jobs_only(lockstrip_wheel: Path, tmp_path: Path) -> None:
    """The key job fails and is allowed to: jobs without uv run; jobs with uv stop in their
    check, and no cache is saved under a key that does not come from the lock."""
    root = git_repository(
        tmp_path / "repo",
        [
            {
                ".": SMALL,
                "uv.lock": "version = 1\n[[package]\n",
                "ci/lockstrip.gitlab-ci.yml": TEMPLATE.read_text(),
                ".gitlab-ci.yml": with_template(BROKEN),
            }
        ],
    )
    pipeline = run_pipeline(root, lockstrip_wheel)
    assert pipeline.results.get("lockstrip-key") == "WARN", pipeline.stdout
    assert pipeline.results["build"] == "PASS"
    assert pipeline.results["test"] == "FAIL"
    assert "LOCKSTRIP_CACHE_KEY is empty" in pipeline.log("test")
    assert pipeline.caches() == {}


def _externally_managed_python() -> Path | None:
    """A system python3 that refuses `pip install` (PEP 668), as Debian 12's does."""
    for candidate in (Path("/usr/bin/python3"),):
        if not candidate.exists():
            continue
        stdlib = subprocess.run(
            [str(candidate), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if (Path(stdlib) / "EXTERNALLY-MANAGED").exists():
            return candidate
    return None


def test_the_key_job_installs_beside_an_externally_managed_python(
    lockstrip_wheel: Path, tmp_path: Path
) -> None:
    python = _externally_managed_python()
    if python is None:
        pytest.skip("no system python3 here marks itself externally managed (PEP 668)")
    done = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
    )
    if done.stdout.strip() != str(sys.version_info[:2]):
        pytest.skip(f"{python} is not Python {PYTHON}, the wheelhouse's")
    root = git_repository(
        tmp_path / "repo",
        [
            {
                ".": SMALL,
                "ci/lockstrip.gitlab-ci.yml": TEMPLATE.read_text(),
                ".gitlab-ci.yml": with_template("lockstrip-key:\n  extends: .lockstrip-key\n"),
            }
        ],
    )
    # Only the system's folders: python3 is the externally managed one.
    pipeline = run_pipeline(root, lockstrip_wheel, path=f"{python.parent}:/usr/bin:/bin")
    assert pipeline.results["lockstrip-key"] == "PASS", pipeline.log("lockstrip-key")
    assert f"LOCKSTRIP_CACHE_KEY={key(SMALL)}" in pipeline.log("lockstrip-key")


# --- docs/ci.md ------------------------------------------------------------------------------


def _gitlab_file() -> dict[str, Any]:
    blocks = re.findall(r"```yaml\n# \.gitlab-ci\.yml\n(.*?)```", DOCS.read_text(), re.DOTALL)
    assert len(blocks) == 1
    data: dict[str, Any] = yaml.safe_load(blocks[0])
    return data


def integrity(path: Path) -> str:
    """GitLab's `include:integrity`: sha256 of the file, base64, with a `sha256-` prefix."""
    return "sha256-" + base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def test_docs_include_pins_the_release_and_its_integrity() -> None:
    (include,) = _gitlab_file()["include"]
    assert include["remote"].endswith(f"/v{__version__}/ci/lockstrip.gitlab-ci.yml")
    assert include["integrity"] == integrity(TEMPLATE)


def test_docs_gitlab_file_uses_only_the_templates_jobs_and_variables(tmp_path: Path) -> None:
    data = _gitlab_file()
    template = load(TEMPLATE)
    known = {name for job in template.values() for name in job.get("variables", {})}
    jobs = {name: job for name, job in data.items() if isinstance(job, dict) and "extends" in job}
    assert jobs
    for name, job in jobs.items():
        assert job["extends"] in template, name
        assert {v for v in job.get("variables", {}) if v.startswith("LOCKSTRIP_")} <= known, name
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(yaml.safe_dump(data))
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.gitlab-ci", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_docs_say_what_cache_key_files_hashes() -> None:
    """GitLab's `cache:key:files` hashes the files' content; `files_commits` their commits."""
    text = " ".join(DOCS.read_text().split())
    assert "keys on the commits that changed" not in text
    assert "`cache:key:files` hashes the content" in text
    assert "`cache:key:files_commits`" in text
