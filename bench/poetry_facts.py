"""Measure what Poetry and PDM accept on the real corpus: docs/poetry-facts.md's tables.

For each project under fixtures/poetry (and fixtures/pdm), copied alone into a temporary
folder (lock, pyproject and members' pyprojects: no README, no source), with each
provisioned release (tests/poetry_oracle/provision.py), offline:

* `check`: `poetry check --lock` on the original (exit code, and whether the lock itself
  was found fresh: Poetry 2 also fails on a missing readme file);
* `strip`: the same after masking the root version to 0.0.0 and removing the non-dependency
  metadata (VOLATILE_* below) and every `[tool.X]` other than poetry (pdm);
* `mask`: the same with each `type = "directory"` package's version in the lock (and its
  own pyproject's) masked to 0.0.0 as well;
* `plan`: `poetry install --no-root --no-directory --dry-run --all-extras --with <every
  group>` planned package lists, original against stripped+masked (equal or not);
* for PDM: `pdm lock --check` and `pdm install --dry-run --frozen-lockfile --no-self -G :all`.

Usage: `python bench/poetry_facts.py [--only NAME] [--json FILE]`; prints Markdown tables.
Runs under `nice`, one command at a time; about 10 s a project and release.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from poetry_oracle import clients  # noqa: E402

FIXTURES = ROOT / "fixtures"
MASK = "0.0.0"
#: Non-dependency metadata: removed from the stripped pyproject.
VOLATILE_PROJECT = (
    "description", "readme", "authors", "maintainers", "keywords", "classifiers", "license",
    "license-files", "urls", "scripts", "gui-scripts", "entry-points",
)  # fmt: skip
VOLATILE_POETRY = (
    "description", "readme", "authors", "maintainers", "keywords", "classifiers", "license",
    "homepage", "repository", "documentation", "urls", "scripts", "plugins", "packages",
    "include", "exclude", "build",
)  # fmt: skip
VOLATILE_PDM = ("scripts", "build", "version", "ide")


@dataclass
class Row:
    project: str
    tool: str
    lock_version: str
    generated_by: str
    style: str
    check: str = ""
    strip: str = ""
    strip_removed: str = ""
    mask: str = ""
    plan: str = ""
    planned: int = 0
    notes: list[str] = field(default_factory=list)


def lock_name(folder: Path) -> str:
    return "poetry.lock" if (folder / "poetry.lock").exists() else "pdm.lock"


def projects(kind: str) -> list[tuple[str, Path, Path]]:
    """(name, fixture folder, lock folder inside it) for each project of `kind`."""
    found = []
    for folder in sorted((FIXTURES / kind).iterdir()):
        if not folder.is_dir():
            continue
        base = folder / "after" if (folder / "after").is_dir() else folder
        source = (base / "SOURCE.txt").read_text()
        lock_dir = re.search(r"^lock_dir: (.+)$", source, re.M)
        sub = lock_dir[1].strip() if lock_dir else "."
        found.append((folder.name, base, base / sub))
    return found


def _first_error(result: clients.Result) -> str:
    output = re.sub(r"\S*/(?:original|stripped|removed)/", "", result.output)
    for line in output.splitlines():
        if line.startswith("Error") or line.startswith("[") or "Error:" in line:
            return line.strip()[:110]
    return (output.strip().splitlines() or [""])[-1][:110]


def _summary(result: clients.Result, fresh: bool | None = None) -> str:
    if result.ok:
        return "pass"
    if result.offline_failure:
        return "needs network"
    lock = "" if fresh is None else ("lock fresh; " if fresh else "lock STALE; ")
    return f"fail ({lock}{_first_error(result)})"


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit pyproject as data (tomlkit's document model refuses some real files' table
    order on deletion); layout does not matter to either tool's hash."""
    document = tomllib.loads(path.read_text())
    change(document)
    path.write_text(tomlkit.dumps(document))


def strip_pyproject(document: dict[str, Any], tool: str, *, constants: bool = True) -> None:
    """Mask the version and remove non-dependency metadata, keeping `[tool.<tool>]`.

    `constants`: `[tool.poetry]` description and authors become "" and [] instead of going:
    Poetry 1.8 refuses a package-mode `[tool.poetry]` without them (measured).
    """
    project = document.get("project")
    if project is not None:
        if "version" in project:
            project["version"] = MASK
        for key in VOLATILE_PROJECT:
            project.pop(key, None)
    if "tool" in document:
        own = document["tool"].get(tool)
        document["tool"] = {} if own is None else {tool: own}
        if own is not None and tool == "poetry":
            if "version" in own:
                own["version"] = MASK
            for key in VOLATILE_POETRY:
                own.pop(key, None)
            # Poetry 1.8 reads [tool.poetry] alone, whatever [project] says.
            if constants and "name" in own and own.get("package-mode", True):
                own["description"] = ""
                own["authors"] = []
        if own is not None and tool == "pdm":
            for key in VOLATILE_PDM:
                own.pop(key, None)


_PACKAGE = re.compile(r"(?ms)^\[\[package\]\]\n.*?(?=^\[\[package\]\]|^\[metadata\]|\Z)")


def mask_directory_packages(lock: Path) -> list[str]:
    """Set the version of each `type = "directory"` package in poetry.lock to MASK."""
    names: list[str] = []

    def mask(match: re.Match[str]) -> str:
        block = match[0]
        if not re.search(r'(?m)^type = "directory"$', block):
            return block
        names.append(re.search(r'(?m)^name = "([^"]+)"', block)[1])  # type: ignore[index]
        return re.sub(r'(?m)^version = "[^"]*"$', f'version = "{MASK}"', block, count=1)

    lock.write_text(_PACKAGE.sub(mask, lock.read_text()))
    return names


def directory_pyprojects(project_dir: Path, lock: Path) -> list[Path]:
    data = tomllib.loads(lock.read_text())
    paths = []
    for package in data.get("package", []):
        source = package.get("source", {})
        if source.get("type") == "directory":
            pyproject = project_dir / source["url"] / "pyproject.toml"
            if pyproject.exists():
                paths.append(pyproject)
    return paths


def declared_files(project_dir: Path, pyproject: dict[str, Any]) -> list[Path]:
    """The readme and license files pyproject names that are not in the folder."""
    names: list[str] = []
    for table in (pyproject.get("project", {}), pyproject.get("tool", {}).get("poetry", {})):
        readme = table.get("readme")
        if isinstance(readme, str):
            names.append(readme)
        elif isinstance(readme, list):
            names.extend(item for item in readme if isinstance(item, str))
        elif isinstance(readme, dict) and isinstance(readme.get("file"), str):
            names.append(readme["file"])
        license_ = table.get("license")
        if isinstance(license_, dict) and isinstance(license_.get("file"), str):
            names.append(license_["file"])
    return [project_dir / name for name in names if not (project_dir / name).exists()]


def poetry_groups(pyproject: dict[str, Any]) -> list[str]:
    poetry = pyproject.get("tool", {}).get("poetry", {})
    groups = set(poetry.get("group", {}))
    groups.update(pyproject.get("dependency-groups", {}))
    if "dev-dependencies" in poetry:
        groups.add("dev")
    return sorted(groups)


def style_of(pyproject: dict[str, Any]) -> str:
    has_project = "project" in pyproject
    poetry = pyproject.get("tool", {}).get("poetry", {})
    if has_project and ("dependencies" in poetry or "group" in poetry):
        return "[project]+[tool.poetry]"
    if has_project:
        return "[project]"
    return "[tool.poetry]"


def _planned(plan: list[clients.Planned]) -> set[tuple[str, str]]:
    return {(item.name, item.version) for item in plan if not item.skipped}


def measure_poetry(name: str, base: Path, lock_dir: Path, locker: str) -> Row:
    lock_text = (lock_dir / "poetry.lock").read_text()
    header = lock_text.splitlines()[0]
    generated = re.search(r"Poetry ([^ ]+)", header)
    version = re.search(r'(?m)^lock-version = "([^"]+)"', lock_text)
    pyproject = tomllib.loads((lock_dir / "pyproject.toml").read_text())
    row = Row(
        name,
        locker,
        version[1] if version else "?",
        generated[1] if generated else "?",
        style_of(pyproject),
    )
    groups = poetry_groups(pyproject)
    plan_args = [
        "--no-directory",
        "--all-extras",
        *(["--with", ",".join(groups)] if groups else []),
    ]
    with tempfile.TemporaryDirectory(prefix="poetry-facts-") as scratch:
        original = Path(scratch, "original")
        shutil.copytree(base, original)
        work = original / lock_dir.relative_to(base)
        result = clients.poetry_check_lock(work, locker)
        row.check = _summary(result, clients.lock_is_fresh(result))
        before, plan_before = clients.poetry_install_plan(work, plan_args, locker)
        if not before.ok and not before.offline_failure:
            # The files pyproject names (readme, license file), as empty placeholders: the
            # plan to compare against is the one the real checkout gives.
            placed = declared_files(work, pyproject)
            for path in placed:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
            row.notes.append(f"bare original plan {_summary(before)}")
            if placed:
                before, plan_before = clients.poetry_install_plan(work, plan_args, locker)
                names = ", ".join(str(path.relative_to(work)) for path in placed)
                row.notes.append(f"with placeholders for {names}: {_summary(before)}")
        if not before.ok:
            row.plan = f"original plan {_summary(before)}"

        removed = Path(scratch, "removed")
        shutil.copytree(base, removed)
        work = removed / lock_dir.relative_to(base)
        _edit(work / "pyproject.toml", lambda doc: strip_pyproject(doc, "poetry", constants=False))
        result = clients.poetry_check_lock(work, locker)
        row.strip_removed = _summary(result, clients.lock_is_fresh(result))

        stripped = Path(scratch, "stripped")
        shutil.copytree(base, stripped)
        work = stripped / lock_dir.relative_to(base)
        _edit(work / "pyproject.toml", lambda doc: strip_pyproject(doc, "poetry"))
        result = clients.poetry_check_lock(work, locker)
        row.strip = _summary(result, clients.lock_is_fresh(result))

        masked = mask_directory_packages(work / "poetry.lock")
        if masked:
            result = clients.poetry_check_lock(work, locker)
            lock_only = _summary(result, clients.lock_is_fresh(result))
            for member in directory_pyprojects(work, work / "poetry.lock"):
                _edit(member, lambda doc: strip_pyproject(doc, "poetry"))
            result = clients.poetry_check_lock(work, locker)
            both = _summary(result, clients.lock_is_fresh(result))
            row.mask = f"{len(masked)} masked: lock only {lock_only}; lock+members {both}"
        else:
            row.mask = "no directory packages"
        after, plan_after = clients.poetry_install_plan(work, plan_args, locker)
        if before.ok and after.ok:
            same = _planned(plan_before) == _planned(plan_after)
            row.plan = "same" if same else "DIFFERENT"
            row.planned = len(_planned(plan_before))
        elif before.ok:
            row.plan = f"stripped plan {_summary(after)}"
    return row


def measure_pdm(name: str, base: Path, lock_dir: Path) -> Row:
    lock_text = (lock_dir / "pdm.lock").read_text()
    version = re.search(r'(?m)^lock_version = "([^"]+)"', lock_text)
    strategy = re.search(r"(?m)^strategy = (.+)$", lock_text)
    pyproject = tomllib.loads((lock_dir / "pyproject.toml").read_text())
    groups = "[dependency-groups]" if "dependency-groups" in pyproject else ""
    if "dev-dependencies" in pyproject.get("tool", {}).get("pdm", {}):
        groups = (groups + " [tool.pdm.dev-dependencies]").strip()
    row = Row(
        name,
        clients.PDM,
        version[1] if version else "?",
        strategy[1] if strategy else "(none)",
        groups or "no groups",
    )
    with tempfile.TemporaryDirectory(prefix="pdm-facts-") as scratch:
        original = Path(scratch, "original")
        shutil.copytree(base, original)
        work = original / lock_dir.relative_to(base)
        row.check = _summary(clients.pdm_lock_check(work))
        locked_groups = tomllib.loads(lock_text).get("metadata", {}).get("groups", [])
        # The groups the lock holds (`-G :all` also names extras a lock may leave out).
        group_args = [arg for group in locked_groups for arg in ("-G", group)]
        before, plan_before = clients.pdm_install_plan(work, group_args)
        stripped = Path(scratch, "stripped")
        shutil.copytree(base, stripped)
        work = stripped / lock_dir.relative_to(base)
        _edit(work / "pyproject.toml", lambda doc: strip_pyproject(doc, "pdm"))
        row.strip = _summary(clients.pdm_lock_check(work))
        after, plan_after = clients.pdm_install_plan(work, group_args)
        if before.ok and after.ok:
            row.plan = "same" if _planned(plan_before) == _planned(plan_after) else "DIFFERENT"
            row.planned = len(_planned(plan_before))
        else:
            row.plan = f"original {_summary(before)}; stripped {_summary(after)}"
    return row


def pdm_table(rows: list[Row]) -> str:
    lines = [
        "| project | lock_version | strategy | groups in | `pdm lock --check` (original) "
        "| (stripped) | plan, locked groups (n) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [
            row.project, row.lock_version, row.generated_by, row.style, row.check, row.strip,
            f"{row.plan} ({row.planned})",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def table(rows: list[Row]) -> str:
    lines = [
        "| project | release | lock | by | style | check (original) | check (stripped, "
        "fields removed) | check (stripped, empty description/authors) "
        "| directory packages masked | plan (n) | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [
            row.project, row.tool, row.lock_version, row.generated_by, row.style, row.check,
            row.strip_removed, row.strip, row.mask or "-", f"{row.plan} ({row.planned})",
            "; ".join(row.notes) or "-",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="a substring of the project folders to measure")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--tool", choices=["poetry", "pdm", "both"], default="both")
    args = parser.parse_args()
    if hasattr(os, "nice"):
        os.nice(5)
    rows: list[Row] = []
    started = time.monotonic()
    if args.tool in ("poetry", "both"):
        for name, base, lock_dir in projects("poetry"):
            if args.only and args.only not in name:
                continue
            for locker in clients.POETRIES:
                if clients.unavailable(locker):
                    print(f"skip {locker}: {clients.unavailable(locker)}", file=sys.stderr)
                    continue
                rows.append(measure_poetry(name, base, lock_dir, locker))
                _save(args.json, rows)
                print(f"{name} {locker}: {rows[-1].check} / {rows[-1].plan}", file=sys.stderr)
    if args.tool in ("pdm", "both") and not clients.unavailable(clients.PDM):
        for name, base, lock_dir in projects("pdm"):
            if args.only and args.only not in name:
                continue
            rows.append(measure_pdm(name, base, lock_dir))
            _save(args.json, rows)
            print(f"{name} pdm: {rows[-1].check} / {rows[-1].plan}", file=sys.stderr)
    poetry_rows = [row for row in rows if row.tool != clients.PDM]
    pdm_rows = [row for row in rows if row.tool == clients.PDM]
    if poetry_rows:
        print(table(poetry_rows))
    if pdm_rows:
        print(("\n" if poetry_rows else "") + pdm_table(pdm_rows))
    print(f"\n{len(rows)} rows in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


def _save(path: Path | None, rows: list[Row]) -> None:
    if path is not None:
        path.write_text(json.dumps([asdict(row) for row in rows], indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
