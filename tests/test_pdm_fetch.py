"""`lockstrip fetch` on PDM projects: the files come from pdm.lock (name and hash), their URLs
from the pages of the sources PDM looks on, or from the lock when it records them.

The projects are locked by the real PDM 2.29.4 (tests/poetry_oracle) against indexes served on
127.0.0.1, and what PDM plans to install (`pdm install --dry-run --frozen-lockfile`, offline)
is what the wheelhouse must hold; a fresh virtual environment then installs it from the
wheelhouse alone, with the network cut. The source rules (PyPI first or replaced,
include/exclude_packages, find_links, `${VAR}` in URLs) are checked on written locks.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

import pytest
from e2e.index import Index, serve, write_sdist, write_wheel
from poetry_oracle import clients
from poetry_oracle import provision as lockers

from lockstrip.environment.target import Target, running_target
from lockstrip.formats.pdm import FORMAT as PDM
from lockstrip.formats.pdm.fetch import fetch_project
from lockstrip.formats.pdm.fetch.sources import expand_url, read_sources, sources_for
from lockstrip.formats.request import Scope

HERE = f"cp{sys.version_info.major}{sys.version_info.minor}"
BETA_TAGS = (f"{HERE}-{HERE}-manylinux_2_17_x86_64", "cp312-cp312-win_amd64", "py3-none-any")
LINUX = Target(running_target().python_version, running_target().python_full_version, "linux")
PROD = Scope(no_dev=True)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, ...]]:
    folder = tmp_path_factory.mktemp("files")
    return {
        "alpha": (write_wheel(folder, "alpha", "1.0", ["beta>=1.0"]),),
        "beta": tuple(write_wheel(folder, "beta", "1.0", tag=tag) for tag in BETA_TAGS),
        "gamma": (
            write_wheel(folder, "gamma", "2.0"),
            write_sdist(folder, "gamma", "2.0", {"PKG-INFO": "Name: gamma\n"}),
        ),
        "delta": (write_wheel(folder, "delta", "1.0"),),
        "epsilon": (write_wheel(folder, "epsilon", "1.0", ["gamma>=2"]),),
    }


# --- projects locked by the real PDM ----------------------------------------------------------

PDM_MISSING = clients.unavailable(clients.PDM)


def pdm(project: Path, *args: str) -> str:
    """The pinned PDM on the host, isolated, reaching only 127.0.0.1 (every other request
    goes to a closed port through the proxy variables)."""
    with tempfile.TemporaryDirectory(prefix="pdm-") as scratch:
        env = clients._environment(Path(scratch), {})
        env.update({n: "http://127.0.0.1:9" for n in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")})
        env["NO_PROXY"] = "127.0.0.1,localhost"
        done = subprocess.run(
            [str(lockers.executable(clients.PDM)), *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, f"pdm {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def pdm_project(folder: Path, index: str, *, static_urls: bool = False) -> Path:
    """A PDM project (dependencies alpha and epsilon, dev group delta) locked by PDM against
    `index`, declared as the source named pypi (so PyPI itself is never asked)."""
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1.0.0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["alpha", "epsilon"]\n\n[dependency-groups]\ndev = ["delta"]\n\n'
        "[tool.pdm]\ndistribution = false\n\n"
        f'[[tool.pdm.source]]\nname = "pypi"\nurl = "{index}"\n'
    )
    pdm(folder, "lock", *(["--static-urls"] if static_urls else []))
    return folder


@pytest.fixture(scope="module")
def locked(
    files: dict[str, tuple[Path, ...]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Index]]:
    if PDM_MISSING:
        pytest.skip(PDM_MISSING)
    home = tmp_path_factory.mktemp("pdm-locked")
    (home / "index").mkdir()
    with serve(home / "index", upload_time="2024-01-01T00:00:00Z") as index:
        index.publish(*(f for fs in files.values() for f in fs))
        yield pdm_project(home / "app", index.url + "/"), index


def _planned(project: Path, *extra: str) -> set[tuple[str, str]]:
    result, planned = clients.pdm_install_plan(project, extra)
    assert result.ok, result.output
    return {(p.name, p.version) for p in planned}


def _held(dest: Path) -> set[tuple[str, str]]:
    """(name, version) of each file in the wheelhouse."""
    found = set()
    for path in dest.iterdir():
        stem = path.name.removesuffix(".tar.gz").removesuffix(".whl")
        name, version = stem.split("-")[:2]
        found.add((name.replace("_", "-"), version))
    return found


@pytest.mark.parametrize("scope", [None, PROD], ids=["every-group", "prod"])
def test_wheelhouse_is_what_pdm_installs(
    scope: Scope | None, locked: tuple[Path, Index], tmp_path: Path
) -> None:
    """The files are the ones PDM plans for the same scope; one page and one file per
    package; a rerun asks for nothing."""
    folder, index = locked
    before = index.requests
    out = io.StringIO()
    project = PDM.read(folder)
    result, plan = fetch_project(project, scope, LINUX, tmp_path / "w", stream=out)
    served = index.served_since(before)
    assert not result.failed and not plan.unavailable, out.getvalue()
    expected = _planned(folder, *(["--prod"] if scope else []))
    assert _held(tmp_path / "w") == expected
    names = sorted({n for n, _ in expected})
    pages = [f"GET /simple/{n}/" for n in names]
    assert sorted(p for p in served if p.startswith("GET /simple/")) == pages
    assert len(served) == result.requests == 2 * len(names)
    assert f"beta-1.0-{BETA_TAGS[0]}.whl" in {p.name for p in (tmp_path / "w").iterdir()}
    again = fetch_project(project, scope, LINUX, tmp_path / "w", stream=io.StringIO())[0]
    assert again.requests == 0 and again.count("present") == len(names)


def test_static_urls_need_no_page(
    files: dict[str, tuple[Path, ...]], tmp_path: Path, locked: tuple[Path, Index]
) -> None:
    """A lock written with `--static-urls` records each file's URL: only files are asked."""
    _, index = locked
    folder = pdm_project(tmp_path / "static", index.url + "/", static_urls=True)
    assert "url = " in (folder / "pdm.lock").read_text()
    before = index.requests
    result, plan = fetch_project(PDM.read(folder), PROD, LINUX, tmp_path / "w")
    served = index.served_since(before)
    assert not result.failed and not plan.unavailable
    assert served and all(p.startswith("GET /files/") for p in served)
    assert result.requests == len(served) == 4  # alpha, beta, gamma, epsilon; no page
    assert _held(tmp_path / "w") == _planned(folder, "--prod")


def test_a_hash_mismatch_fails_and_leaves_no_file(
    locked: tuple[Path, Index], tmp_path: Path
) -> None:
    folder, _ = locked
    copy = tmp_path / "app"
    copy.mkdir()
    (copy / "pyproject.toml").write_text((folder / "pyproject.toml").read_text())
    lock = (folder / "pdm.lock").read_text()
    digest = re.search(r'file = "alpha-1.0-py3-none-any.whl", hash = "sha256:(\w+)"', lock)
    assert digest is not None
    (copy / "pdm.lock").write_text(lock.replace(digest.group(1), "0" * 64))
    out = io.StringIO()
    result, _ = fetch_project(PDM.read(copy), PROD, LINUX, tmp_path / "w", stream=out)
    assert result.failed and "alpha 1.0" in out.getvalue()
    assert "alpha-1.0-py3-none-any.whl" not in {p.name for p in (tmp_path / "w").iterdir()}


def test_the_wheelhouse_installs_offline(locked: tuple[Path, Index], tmp_path: Path) -> None:
    """`lockstrip fetch --no-dev`, then `pip install --no-index` of the project's
    dependencies into a fresh venv with every proxy at a closed port."""
    folder, _ = locked
    run = lockstrip("fetch", folder, "--no-dev", "--dest", tmp_path / "wheels")
    assert run.returncode == 0, run.stderr
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    cut = {
        k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("PIP_")
    }
    cut.update({p: "http://127.0.0.1:9" for p in ("http_proxy", "https_proxy", "HTTP_PROXY")})
    install = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")),
            *("install", "-q", "--no-index", "--find-links", str(tmp_path / "wheels")),
            *("alpha==1.0", "epsilon==1.0"),
        ],
        env=cut,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert install.returncode == 0, install.stderr
    code = "import alpha, beta, gamma, epsilon; print(beta.__version__)"
    shown = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True
    )
    assert shown.stdout.strip() == "1.0", shown.stderr


# --- sources, on written locks ------------------------------------------------------------------


class Pkg(NamedTuple):
    name: str
    files: tuple[Path, ...]


def write_lock(
    folder: Path, packages: Sequence[Pkg], sources: str = "", urls: Mapping[str, str] = {}
) -> Path:
    """A PDM project locking `packages` (version 1.0 or 2.0, as their files say) with the
    `[[tool.pdm.source]]` text `sources`; `urls` gives some files a recorded URL."""
    folder.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(f'"{p.name}"' for p in packages)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "app"\nversion = "1.0"\ndependencies = [{deps}]\n\n{sources}'
    )
    lock = '[metadata]\ngroups = ["default"]\nstrategy = ["inherit_metadata"]\n'
    lock += f'lock_version = "4.5.0"\ncontent_hash = "sha256:{"0" * 64}"\n'
    for pkg in packages:
        version = pkg.files[0].name.split("-")[1]
        entries = ""
        for f in pkg.files:
            url = f'url = "{urls[f.name]}", ' if f.name in urls else ""
            entries += f'    {{{url}file = "{f.name}", hash = "sha256:{_sha(f)}"}},\n'
        lock += (
            f'\n[[package]]\nname = "{pkg.name}"\nversion = "{version}"\n'
            f'requires_python = ">=3.8"\ngroups = ["default"]\nfiles = [\n{entries}]\n'
        )
    (folder / "pdm.lock").write_text(lock)
    return folder


def source(name: str, url: str, extra: str = "") -> str:
    return f'[[tool.pdm.source]]\nname = "{name}"\nurl = "{url}"\n{extra}\n'


def _serve_all(
    stack: ExitStack, tmp_path: Path, spread: Mapping[str, Sequence[Path]]
) -> dict[str, Index]:
    found = {}
    for name, served in spread.items():
        (tmp_path / f"index-{name}").mkdir()
        found[name] = stack.enter_context(serve(tmp_path / f"index-{name}"))
        found[name].publish(*served)
    return found


def test_pypi_first_then_sources_a_later_page_only_when_needed(
    files: dict[str, tuple[Path, ...]], tmp_path: Path
) -> None:
    """PyPI (here `PDM_PYPI_URL`) comes first; a package whose file it lacks is looked for
    on the next source; include_packages keeps a package to its source, exclude_packages
    keeps it off one."""
    with ExitStack() as stack:
        idx = _serve_all(
            stack,
            tmp_path,
            {
                "pypi": [*files["alpha"], *files["beta"]],
                "private": [*files["gamma"], *files["alpha"], *files["delta"]],
                "special": [*files["delta"], *files["epsilon"], *files["alpha"]],
            },
        )
        sources = source("private", idx["private"].url, 'exclude_packages = ["delta"]')
        sources += source("special", idx["special"].url, 'include_packages = ["eps*"]')
        folder = write_lock(
            tmp_path / "app",
            [Pkg(n, files[n]) for n in ("alpha", "beta", "gamma", "delta", "epsilon")],
            sources,
        )
        project = PDM.read(folder)
        env = {"PDM_PYPI_URL": idx["pypi"].url, "NETRC": os.devnull}
        assert [s.name for s in read_sources(project, env)] == ["pypi", "private", "special"]
        result, plan = fetch_project(project, None, LINUX, tmp_path / "w", environ=env)
        served = {n: sorted(i.served_since(0)) for n, i in idx.items()}
    assert not result.failed and not plan.unavailable
    assert served["pypi"] == sorted(
        [
            "GET /simple/alpha/",
            "GET /files/alpha-1.0-py3-none-any.whl",
            "GET /simple/beta/",
            f"GET /files/beta-1.0-{BETA_TAGS[0]}.whl",
            "GET /simple/gamma/",  # 404: gamma is on private, asked next
            "GET /simple/delta/",  # 404: private excludes delta, so special is next
        ]
    )
    assert served["private"] == sorted(
        ["GET /simple/gamma/", "GET /files/gamma-2.0-py3-none-any.whl"]
    )
    # epsilon only on special (include_packages), delta on special as PyPI lacks it
    assert served["special"] == sorted(
        [
            "GET /simple/epsilon/",
            "GET /files/epsilon-1.0-py3-none-any.whl",
            "GET /simple/delta/",
            "GET /files/delta-1.0-py3-none-any.whl",
        ]
    )
    assert result.requests == 12  # 6 pages (2 of them 404s) + 6 files


def test_source_rules(tmp_path: Path, files: dict[str, tuple[Path, ...]]) -> None:
    """A source named pypi replaces PyPI; `${VAR}` in the user info is quoted, elsewhere as
    it is; PDM_IGNORE_STORED_INDEX leaves PyPI out; find_links is one page."""
    pkgs = [Pkg("alpha", files["alpha"])]
    folder = write_lock(
        tmp_path / "a",
        pkgs,
        source("pypi", "https://${U}:${P}@mirror.test/${PATH}/simple")
        + source("flat", "https://flat.test/wheels.html", 'type = "find_links"'),
    )
    env = {"U": "me", "P": "p@ss/w", "PATH": "pypi"}
    found = read_sources(PDM.read(folder), env)
    assert [(s.name, s.url, s.kind) for s in found] == [
        ("pypi", "https://me:p%40ss%2Fw@mirror.test/pypi/simple", "index"),
        ("flat", "https://flat.test/wheels.html", "find_links"),
    ]
    assert expand_url("https://host/${MISSING}x", {}) == "https://host/x"
    other = write_lock(tmp_path / "b", pkgs, source("private", "https://private.test/simple"))
    assert [s.name for s in read_sources(PDM.read(other), {})] == ["pypi", "private"]
    ignored = read_sources(PDM.read(other), {"PDM_IGNORE_STORED_INDEX": "1"})
    assert [s.name for s in ignored] == ["private"]
    # a source that includes a package is its only one; exclude removes only its own source;
    # a source serves the packages it neither includes nor excludes (PDM's filtered_sources)
    more = write_lock(
        tmp_path / "c",
        pkgs,
        source("a", "https://a.test/", 'include_packages = ["foo-*"]')
        + source("b", "https://b.test/", 'exclude_packages = ["Oth_er", "foo-bar"]'),
    )
    listed = read_sources(PDM.read(more), {})
    assert [s.name for s in sources_for("Foo.Bar", listed)] == ["a"]
    assert [s.name for s in sources_for("oth.er", listed)] == ["pypi", "a"]
    assert [s.name for s in sources_for("foo", listed)] == ["pypi", "a", "b"]


def test_recorded_urls_credentials_and_bad_sources(
    files: dict[str, tuple[Path, ...]], tmp_path: Path
) -> None:
    """A file whose entry records its URL is fetched from there, with no page; credentials
    in the URL's `${VAR}` reach the index and never the output; a bad source is exit 2."""
    secret = "s3cr3t-pw"
    with ExitStack() as stack:
        (tmp_path / "idx").mkdir()
        index = stack.enter_context(serve(tmp_path / "idx", auth=("me", secret)))
        index.publish(*files["delta"], *files["gamma"])
        url = index.url.replace("http://", "http://${USER_}:${PASS_}@")
        gamma = files["gamma"][0].name
        folder = write_lock(
            tmp_path / "app",
            [Pkg("delta", files["delta"]), Pkg("gamma", files["gamma"])],
            source("pypi", url),
            urls={gamma: f"{index.url.removesuffix('/simple')}/files/{gamma}"},
        )
        refused = lockstrip("fetch", folder, "--dest", tmp_path / "w1")
        env = {"USER_": "me", "PASS_": secret}
        allowed = lockstrip("fetch", folder, "--dest", tmp_path / "w2", env=env)
        served = sorted(index.served_since(0))
    assert refused.returncode == 1 and "PDM_PYPI_USERNAME" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
    assert {p.name for p in (tmp_path / "w2").iterdir()} == {files["delta"][0].name, gamma}
    assert "GET /simple/gamma/" not in served
    assert secret not in allowed.stderr + allowed.stdout + refused.stderr + refused.stdout
    bad = write_lock(tmp_path / "bad", [], source("x", "https://x.test/", 'type = "flat"'))
    run = lockstrip("fetch", bad, "--dest", tmp_path / "w3")
    assert run.returncode == 2 and "tool.pdm.source[0].type" in run.stderr


def lockstrip(
    *args: str | Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    base["NETRC"] = os.devnull
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "lockstrip", *map(str, args)],
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )
