"""Lock a generated project with real uv and ask uv whether the exports read the same.

`check_seed` writes the project, runs `uv lock` against the universe (a project uv refuses
to lock is discarded), writes the frozen and the locked export with lockstrip's library,
and compares, in every scope the project defines:

* `uv export --frozen` (third-party requirements with hashes) and
  `uv sync --frozen --dry-run` (the install plan) on the original and on each export: same
  exit code, same output once the project folder's path is masked;
* `uv lock --check` on the locked export, wherever it passes on the original;
* a version bump of the root and of a member, re-locked by uv: the same export bytes and
  the same digest.

Every difference is a `Disagreement` with what a fix needs: the seed, the command, both
outputs. The module runs uv as a subprocess only; it never reaches past 127.0.0.1 (a dead
proxy catches any attempt).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from helpers import uv_executable

from lockstrip.errors import InputError
from lockstrip.formats.request import SKIPS, Scope
from lockstrip.formats.uv.model.project import Project, read_project
from lockstrip.formats.uv.render.digest import compute_digest
from lockstrip.formats.uv.render.export import Mode, build_export
from lockstrip.io.export_folder import write_export
from oracle.generate import Generated, LocalPackage, generate
from oracle.universe import Universe

__all__ = ["Disagreement", "Outcome", "check_seed", "classify", "scope_of", "scopes"]

MODES: tuple[Mode, ...] = ("frozen", "locked")
#: `uv export` as tests/test_uv_oracle.py runs it: third-party requirements only.
EXPORT = ("export", "--frozen", "--offline", "--no-emit-workspace", "--no-emit-local")
EXPORT_TAIL = ("--no-header", "--no-annotate")
SYNC = ("sync", "--frozen", "--offline", "--dry-run")


def _python() -> str:
    """The base interpreter itself: uv skips interpreter discovery (a tenth of a second)."""
    for name in (f"python{sys.version_info[0]}.{sys.version_info[1]}", "python3"):
        path = Path(sys.base_prefix) / "bin" / name
        if path.exists():
            return str(path)
    return "python3"


def uv_env(cache: Path, config_home: Path) -> dict[str, str]:
    """uv reads the project's own settings (no UV_NO_CONFIG: it would ignore [tool.uv] index,
    exclude-newer and the like) but no user or system configuration, and reaches only
    127.0.0.1."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("UV_") and "proxy" not in k.lower()
    }
    dead = "http://127.0.0.1:9"
    env.update(
        UV_CACHE_DIR=str(cache),
        UV_PYTHON=_python(),
        UV_PYTHON_DOWNLOADS="never",
        UV_PYTHON_INSTALL_DIR=str(cache / "pythons"),  # no managed interpreter: none here
        XDG_CONFIG_HOME=str(config_home),
        HTTP_PROXY=dead,
        HTTPS_PROXY=dead,
        ALL_PROXY=dead,
        NO_PROXY="127.0.0.1,localhost",
        NO_COLOR="1",
    )
    return env


@dataclass(frozen=True)
class Disagreement:
    seed: int
    kind: str  # "export", "sync", "lock-check", "bump", "read"
    mode: str
    args: tuple[str, ...]
    original: tuple[int, str]
    exported: tuple[int, str]

    @property
    def command(self) -> str:
        return " ".join(("uv", *self.args))

    def entry(self, features: Iterable[str]) -> str:
        """A findings-file entry: what a fix needs to reproduce it."""
        where = f"{self.kind}, {self.mode} export"
        return (
            f"### seed {self.seed}: {classify(self, features)} ({where})\n\n"
            f"* features: {', '.join(sorted(features))}\n"
            f"* command: `{self.command}`\n"
            f"* original (exit {self.original[0]}):\n```\n{self.original[1].strip()[:1200]}\n```\n"
            f"* export (exit {self.exported[0]}):\n```\n{self.exported[1].strip()[:1200]}\n```\n"
            f"* repro: `python bench/oracle_sweep.py --seeds {self.seed} --workers 1 --keep DIR`\n"
        )


#: Disagreement classes by the message uv gives on the export side (first match wins).
_CLASSES = (
    ("empty-extra", re.compile(r"Extra `[^`]+` is not defined")),
    ("group-not-defined", re.compile(r"(?i)group `[^`]+`.* is not (defined|present)")),
    ("path-package-missing", re.compile(r"Distribution not found|does not appear to be a Python")),
    ("no-package-crash", re.compile(r"^crash: KeyError\('package'\)")),
    ("lockstrip-rejects", re.compile(r"^lockstrip: ")),
    ("lockstrip-crashes", re.compile(r"^crash: ")),
)


def _group_class(message: str, features: Iterable[str]) -> str:
    """A lost `dev` group of legacy dev-dependencies, or a group with nothing in the lock."""
    named = re.search(r"(?i)group `([^`]+)`", message)
    if named and named.group(1) == "dev" and "dev-dependencies" in features:
        return "dev-dependencies"
    return "empty-group"


def classify(found: Disagreement, features: Iterable[str] = ()) -> str:
    """The class of a disagreement: what in the export makes uv read it differently."""
    if found.kind == "bump":
        return "version-bump-changes-export"
    if found.kind == "lock-check":
        return "lock-check-fails"
    for name, pattern in _CLASSES:
        if pattern.search(found.exported[1]):
            if name == "group-not-defined":
                return _group_class(found.exported[1], features)
            return name
    python = "incompatible with the project's Python requirement"
    if python in found.original[1] + found.exported[1]:
        return "include-group" if "include-group" in features else "group-requires-python"
    if found.original[0] == found.exported[0]:
        return f"{found.kind}-output-differs"
    return f"{found.kind}-exit-differs"


@dataclass
class Outcome:
    seed: int
    features: frozenset[str]
    locked: bool = False
    lock_error: str = ""
    comparisons: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)

    def classes(self) -> set[str]:
        return {classify(found, self.features) for found in self.disagreements}


def scopes(gen: Generated) -> list[tuple[str, ...]]:
    """Every scope the project defines, as uv arguments."""
    found: list[tuple[str, ...]] = [()]
    found += [("--extra", extra) for extra in gen.extras()]
    if gen.extras() and not gen.has_conflicts():
        found.append(("--all-extras",))
    found += [("--group", group) for group in gen.groups()]
    if gen.groups():
        found.append(("--all-groups",))
    found.append(("--no-dev",))
    members = gen.members()
    found += [("--package", member.name) for member in members]
    if members:
        found.append(("--all-packages",))
    return found


#: Settings that choose the interpreter: uv follows them only where it looks for one itself
#: (an explicit UV_PYTHON path is used whatever they say).
INTERPRETER_SETTINGS = ("python-preference", "python-downloads")


class _Runner:
    def __init__(self, work: Path, gen: Generated | None = None) -> None:
        self.lock_env = uv_env(work / "uv-cache", work / "config")
        (work / "config").mkdir(parents=True, exist_ok=True)
        self.env = self.lock_env
        if gen is not None and any(key in gen.root.uv for key in INTERPRETER_SETTINGS):
            # The comparisons let the project choose, so that an export that lost the
            # choice shows; `uv lock` keeps the path, so a project that refuses every
            # interpreter here (only-managed) is still locked and compared.
            self.env = {k: v for k, v in self.lock_env.items() if k != "UV_PYTHON"}

    def uv(self, args: Iterable[str], cwd: Path) -> tuple[int, str]:
        argv = [uv_executable(), *args]
        locking = argv[1:2] == ["lock"] and "--check" not in argv
        result = subprocess.run(
            argv,
            cwd=cwd,
            env=self.lock_env if locking else self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return result.returncode, result.stdout + result.stderr


_TIMING = re.compile(r"\bin \d+(\.\d+)?(ms|s|µs)\b")
#: Where uv says a requires-python comes from: "(from workspace member `app`'s `tool.uv...`)"
#: in a workspace, "(from `tool.uv...`)" where a scoped export kept the root alone. The same
#: requirement refuses the same interpreter; only the wording names the workspace.
_MEMBER_OF = re.compile(r"\(from workspace member `[^`]+`'s `")


def _masked(project: Path, code_text: tuple[int, str]) -> tuple[int, str]:
    """The output with the folder's own path and timings masked, the machine's lines left out."""
    code, text = code_text
    text = text.replace(project.as_uri(), "<project-uri>").replace(str(project), "<project>")
    text = _TIMING.sub("in <time>", text)  # "Checked in 0.01ms", "Audited 3 packages in 2ms"
    text = _MEMBER_OF.sub("(from `", text)
    noise = re.compile(r"(Using |Would create |warning: |Resolved \d+ packages? in )")
    lines = [line for line in text.splitlines() if not noise.match(line)]
    return code, "\n".join(lines)


def write_project(gen: Generated, universe: Universe, folder: Path) -> Path:
    for rel, text in gen.files().items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(universe.fill(text))
    return folder


def _commands(gen: Generated) -> list[tuple[str, tuple[str, ...]]]:
    commands: list[tuple[str, tuple[str, ...]]] = []
    for scope in scopes(gen):
        commands.append(("export", (*EXPORT, *scope, *EXPORT_TAIL)))
        commands.append(("sync", (*SYNC, *scope)))
    commands.append(("sync", (*SYNC, "--no-install-local")))
    return commands


def _bump(version: str) -> str:
    head, _, last = version.rpartition(".")
    return f"{head}.{int(last) + 1}"


def _bump_package(project: Path, package: LocalPackage) -> None:
    folder = project / package.path
    new = _bump(package.version)
    if package.dynamic:
        (folder / "VERSION").write_text(f"{new}\n")
        return
    path = folder / "pyproject.toml"
    text = path.read_text()
    path.write_text(text.replace(f'version = "{package.version}"', f'version = "{new}"', 1))


def _keys(project: Path) -> tuple[dict[str, str], dict[str, str], str]:
    read = read_project(project)
    return (
        dict(build_export(read, "frozen").files),
        dict(build_export(read, "locked").files),
        compute_digest(read).value,
    )


def check_seed(
    seed: int, universe: Universe, work: Path, *, bump: bool = True, scoped: bool = True
) -> Outcome:
    """Generate, lock and compare one project in `work` (a fresh folder).

    `scoped` adds lockstrip's scoped exports (`lockstrip export --no-dev`, `--extra X`...):
    in each scope, uv must read the scoped export as the original in that scope."""
    gen = generate(seed)
    outcome = Outcome(seed, frozenset(gen.features))
    runner = _Runner(work, gen)
    project = write_project(gen, universe, work / "project")
    code, text = runner.uv(["lock"], project)
    if code != 0:
        outcome.lock_error = text
        return outcome
    outcome.locked = True

    exports: dict[str, Path] = {}
    for mode in MODES:
        try:
            read = read_project(project)
            out = work / f"export-{mode}"
            write_export(build_export(read, mode), out, read.root)
            exports[mode] = out
        except Exception as error:  # uv locked it: lockstrip must export it
            code = 2 if isinstance(error, InputError) else 1
            text = f"lockstrip: {error}" if code == 2 else f"crash: {error!r}"
            command = ("lockstrip", "export", "--mode", mode)
            outcome.disagreements.append(
                Disagreement(seed, "read", mode, command, (0, ""), (code, text))
            )
    originals: dict[tuple[str, ...], tuple[int, str]] = {}
    for kind, args in _commands(gen):
        original = originals[args] = _masked(project, runner.uv(args, project))
        for name, out in exports.items():
            exported = _masked(out, runner.uv(args, out))
            outcome.comparisons += 1
            if exported != original:
                outcome.disagreements.append(
                    Disagreement(seed, kind, name, args, original, exported)
                )
    if "locked" in exports:
        check = ("lock", "--check", "--offline")
        original = _masked(project, runner.uv(check, project))
        outcome.comparisons += 1
        if original[0] == 0:
            exported = _masked(exports["locked"], runner.uv(check, exports["locked"]))
            if exported[0] != 0:
                outcome.disagreements.append(
                    Disagreement(seed, "lock-check", "locked", check, original, exported)
                )
    if scoped and exports:
        _check_scoped(gen, project, work, runner, outcome, originals)
    if bump and exports:
        _check_bumps(gen, project, work, runner, outcome)
    return outcome


def scope_of(args: tuple[str, ...]) -> Scope:
    """lockstrip's Scope for one of `scopes()`'s argument lists."""
    if not args:
        return Scope()
    flag, value = args[0], args[1:]
    return {
        "--extra": lambda: Scope(extras=value),
        "--all-extras": lambda: Scope(all_extras=True),
        "--group": lambda: Scope(groups=value),
        "--all-groups": lambda: Scope(all_groups=True),
        "--no-dev": lambda: Scope(no_dev=True),
        "--package": lambda: Scope(packages=value),
        "--all-packages": lambda: Scope(all_packages=True),
    }[flag]()


def _check_scoped(
    gen: Generated,
    project: Path,
    work: Path,
    runner: _Runner,
    outcome: Outcome,
    originals: dict[tuple[str, ...], tuple[int, str]],
) -> None:
    for index, scope in enumerate(scopes(gen)):
        command = ("lockstrip", "export", *scope_of(scope).to_args())
        export_args = (*EXPORT, *scope, *EXPORT_TAIL)
        original = originals[export_args]
        try:
            read = read_project(project)
            out = work / f"scoped-{index}"
            write_export(build_export(read, "frozen", scope_of(scope)), out, read.root)
        except InputError as error:
            outcome.comparisons += 1
            if original[0] == 0:  # uv reads this scope: lockstrip must export it
                found = (2, f"lockstrip: {error}")
                outcome.disagreements.append(
                    Disagreement(outcome.seed, "read", "scoped", command, original, found)
                )
            continue
        except Exception as error:
            outcome.comparisons += 1
            found = (1, f"crash: {error!r}")
            outcome.disagreements.append(
                Disagreement(outcome.seed, "read", "scoped", command, original, found)
            )
            continue
        for kind, args in (("export", export_args), ("sync", (*SYNC, *scope))):
            exported = _masked(out, runner.uv(args, out))
            outcome.comparisons += 1
            if exported != originals[args]:
                outcome.disagreements.append(
                    Disagreement(outcome.seed, kind, "scoped", args, originals[args], exported)
                )
        _check_folded(read, scope, project, work / f"folded-{index}", runner, outcome)


def _check_folded(
    read: Project,
    scope: tuple[str, ...],
    project: Path,
    out: Path,
    runner: _Runner,
    outcome: Outcome,
) -> None:
    """The export a Dockerfile's download step reads: the scope with `--no-install-workspace`
    or `--no-install-local`, which folds the local packages into the root (scope.Fold).
    uv's third-party view and that install's plan must be the original's."""
    for skip in SKIPS:
        command = ("lockstrip", "export", *scope_of(scope).to_args(), f"--no-install-{skip}")
        shutil.rmtree(out, ignore_errors=True)
        try:
            write_export(build_export(read, "frozen", scope_of(scope), skip=skip), out, read.root)
        except Exception as error:  # the unfolded export of this scope was written
            outcome.comparisons += 1
            found = (1, f"crash: {error!r}")
            outcome.disagreements.append(
                Disagreement(outcome.seed, "read", "folded", command, (0, ""), found)
            )
            continue
        install = (*SYNC, f"--no-install-{skip}", *scope)
        for kind, args in (("export", (*EXPORT, *scope, *EXPORT_TAIL)), ("sync", install)):
            original = _masked(project, runner.uv(args, project))
            exported = _masked(out, runner.uv(args, out))
            outcome.comparisons += 1
            if exported != original:
                outcome.disagreements.append(
                    Disagreement(outcome.seed, kind, "folded", args, original, exported)
                )


def _check_bumps(
    gen: Generated, project: Path, work: Path, runner: _Runner, outcome: Outcome
) -> None:
    before = _keys(project)
    for package in gen.bumpable():
        bumped = work / f"bump-{package.name}"
        shutil.copytree(project, bumped, ignore=shutil.ignore_patterns(".venv"))
        _bump_package(bumped, package)
        if runner.uv(["lock"], bumped)[0] != 0:
            continue
        after = _keys(bumped)
        outcome.comparisons += 1
        if after != before:
            names = ("frozen", "locked", "digest")
            what = [n for n, b, a in zip(names, before, after, strict=True) if b != a]
            args = ("lock", f"# after a version bump of {package.name}")
            outcome.disagreements.append(
                Disagreement(
                    outcome.seed, "bump", "+".join(what), args, _changed(before), _changed(after)
                )
            )


def _changed(keys: tuple[dict[str, str], dict[str, str], str]) -> tuple[int, str]:
    """The keys in short: the digest and each export file's length (the diff is in a rerun)."""
    frozen, locked, digest = keys
    sizes = {
        f"{mode}:{rel}": len(text)
        for mode, files in (("frozen", frozen), ("locked", locked))
        for rel, text in files.items()
    }
    return 0, f"digest {digest}\n" + "\n".join(f"{k} {v}" for k, v in sorted(sizes.items()))
