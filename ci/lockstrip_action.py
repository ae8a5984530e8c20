"""The steps of the GitHub Action (action.yml): install lockstrip, then print a cache key or
check a committed export.

They run as `shell: python` steps, with the runner's own `python` and the standard library
only, so they behave the same on Linux, macOS and Windows runners: no shell parses the
inputs (macOS ships bash 3.2, Windows has no `bin/` in a virtual environment), and a YAML
block scalar (`scope: >`, `target: |`) is split whole by shlex, newlines included.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

#: A bare release such as `0.1.0` or `v0.2.0rc1` (PEP 440, with git tags' leading `v`).
_VERSION = re.compile(r"v?(\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?)")
_MODES = ("digest", "check")
#: The file in a virtual environment that says which requirement it was made for: the
#: environment is reused only when it exists, so a failed install is never mistaken for one.
MARKER = "lockstrip-action-requirement.txt"


class ActionError(Exception):
    """Bad input to the action: the message names the input, and the step exits 2."""


def requirement(spec: str, action_path: str) -> str:
    """What pip installs. An empty spec is the action's own checkout, so the ref in `uses:`
    pins lockstrip too; a bare version means that release (pip reads `0.1.0` as a file)."""
    spec = spec.strip()
    if not spec:
        return action_path
    version = _VERSION.fullmatch(spec)
    if version:
        return f"lockstrip=={version.group(1)}"
    return spec


def venv_dir(temp: Path, requirement: str) -> Path:
    """One virtual environment per requirement: a second use of the action in the same job
    with another `lockstrip-spec` installs that one instead of reusing the first."""
    return temp / "lockstrip-action" / hashlib.sha256(requirement.encode()).hexdigest()[:16]


def venv_python(venv: Path, windows: bool = os.name == "nt") -> Path:
    """The interpreter of a virtual environment made by `python -m venv`: Windows puts it in
    Scripts/ with an .exe suffix, every other system in bin/."""
    return venv / "Scripts" / "python.exe" if windows else venv / "bin" / "python"


def split_options(name: str, value: str) -> list[str]:
    """An input holding command-line options, as the shell would split it, on any runner."""
    try:
        return shlex.split(value)
    except ValueError as error:
        raise ActionError(f"{name}: {error}: {value!r}") from None


def python_tag(
    options: Sequence[str],
    version: tuple[int, int] = (sys.version_info.major, sys.version_info.minor),
    implementation: str = sys.implementation.name,
    abiflags: str = getattr(sys, "abiflags", ""),
) -> str:
    """The Python that the install targets, for the cache key: `--python-version` when the
    options give one (the digest is for that version), else the runner's `python`. Jobs of a
    Python matrix install different wheels and must not share a key."""
    for index, option in enumerate(options):
        if option == "--python-version" and index + 1 < len(options):
            return f"py{options[index + 1]}"
        if option.startswith("--python-version="):
            return f"py{option.partition('=')[2]}"
    name = "py" if implementation == "cpython" else implementation
    # A free-threaded build (3.13t) installs its own wheels (cp313t).
    threading = "t" if "t" in abiflags else ""
    return f"{name}{version[0]}.{version[1]}{threading}"


#: Each lock file and the tool whose name starts the default cache key.
_LOCK_TOOLS = (("poetry.lock", "poetry"), ("pdm.lock", "pdm"))


def lock_tool(project: Path) -> str:
    """The default start of the key: the tool of the project's lock (uv when not Poetry's
    or PDM's), so one cache never holds two tools' folders."""
    return next((tool for lock, tool in _LOCK_TOOLS if (project / lock).is_file()), "uv")


def key_prefix(prefix: str, env: Mapping[str, str], tag: str) -> str:
    """The cache key without the digest: actions/cache's `restore-keys` falls back on the
    newest cache of the same runner and Python when the dependency set changed."""
    system = env.get("RUNNER_OS") or platform.system()
    arch = env.get("RUNNER_ARCH") or platform.machine()
    return f"{prefix}-{system}-{arch}-{tag}-"


def command_value(text: str) -> str:
    """The escaping of a workflow command's message (`::error::...`), which ends at a line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _append(path: str, lines: Sequence[str]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.writelines(f"{line}\n" for line in lines)


def _child_env(env: Mapping[str, str]) -> dict[str, str]:
    # lockstrip prints arrows and names in UTF-8 whatever the runner's code page (Windows).
    return {**env, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"}


def _echo(data: bytes, stream: str = "stdout") -> None:
    """Pass a child's bytes through unchanged: the runner reads UTF-8 on every system."""
    target = sys.stdout if stream == "stdout" else sys.stderr
    target.flush()
    target.buffer.write(data)
    target.buffer.flush()


def install(env: Mapping[str, str]) -> int:
    """Step `install`: lockstrip in a virtual environment of its own; output `python`."""
    wanted = requirement(env.get("INPUT_LOCKSTRIP_SPEC", ""), env["GITHUB_ACTION_PATH"])
    venv = venv_dir(Path(env["RUNNER_TEMP"]), wanted)
    python = venv_python(venv)
    marker = venv / MARKER
    if python.exists() and marker.is_file() and marker.read_text(encoding="utf-8") == wanted:
        print(f"lockstrip: reusing {venv} ({wanted})")
    else:
        print(f"lockstrip: installing {wanted} into {venv}")
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        done = subprocess.run([*pip, wanted], env=_child_env(env))
        if done.returncode:
            raise ActionError(f"lockstrip-spec: pip could not install {wanted!r}")
        marker.write_text(wanted, encoding="utf-8")
    _append(env["GITHUB_OUTPUT"], [f"python={python}"])
    return 0


def run(env: Mapping[str, str]) -> int:
    """Step `run`: `lockstrip digest` (mode: digest) or `lockstrip check` (mode: check)."""
    mode = env.get("INPUT_MODE", "").strip() or "digest"
    if mode not in _MODES:
        raise ActionError(f"mode: {mode!r} is not one of {', '.join(_MODES)}")
    scope = split_options("scope", env.get("INPUT_SCOPE", ""))
    target = split_options("target", env.get("INPUT_TARGET", ""))
    project = env.get("INPUT_PROJECT", "").strip() or "."
    lockstrip = [env["LOCKSTRIP_PYTHON"], "-m", "lockstrip"]
    if mode == "check":
        if scope or target:
            raise ActionError(
                "scope and target are inputs of mode: digest; mode: check compares the "
                "export folder with what `lockstrip export` would write now"
            )
        export = env.get("INPUT_EXPORT", "").strip() or "lockstrip-export"
        return _check([*lockstrip, "check", project, "--out", export], env)
    name = env.get("INPUT_NAME", "").strip() or "LOCKSTRIP_DIGEST"
    command = [*lockstrip, "digest", project, *scope, *target, "--format", "env", "--name", name]
    done = subprocess.run(command, stdout=subprocess.PIPE, env=_child_env(env))
    if done.returncode:
        return done.returncode
    line = done.stdout.decode("utf-8").strip()
    digest = line.partition("=")[2]
    key_start = env.get("INPUT_KEY_PREFIX", "").strip() or lock_tool(Path(project))
    prefix = key_prefix(key_start, env, python_tag([*scope, *target]))
    key = prefix + digest.partition(":")[2]
    _append(env["GITHUB_OUTPUT"], [f"digest={digest}", f"cache-key={key}", f"restore-key={prefix}"])
    _append(env["GITHUB_ENV"], [line])
    print(f"lockstrip digest: {digest} (cache key {key})")
    return 0


def _check(command: list[str], env: Mapping[str, str]) -> int:
    done = subprocess.run(command, capture_output=True, env=_child_env(env))
    _echo(done.stdout)
    _echo(done.stderr, "stderr")
    if done.returncode:
        # The explanation, also as an annotation on the run's summary page.
        said = (done.stdout or done.stderr).decode("utf-8").strip()
        print(f"::error title=lockstrip check::{command_value(said)}", flush=True)
    return done.returncode


def main(step: str) -> int:
    """Run one step of the action with the runner's environment; bad input exits 2."""
    try:
        return install(os.environ) if step == "install" else run(os.environ)
    except ActionError as error:
        print(f"::error title=lockstrip::{command_value(str(error))}", flush=True)
        print(f"lockstrip action: {error}", file=sys.stderr)
        return 2
