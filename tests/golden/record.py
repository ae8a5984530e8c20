"""Record (or recompute) the sha256 of every output lockstrip writes or prints for every
fixture and a set of flag combinations: the byte-for-byte record `tests/test_golden.py` holds
the code to.

    python tests/golden/record.py          # rewrite tests/golden/outputs.json
    python tests/golden/record.py --check  # compare, print the cases that differ

Recorded from the code as it stood before the package was laid out by stage; a change
here is a change in what users get, and needs its own reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "fixtures" / "corpus"
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).resolve().parent / "outputs.json"

TARGET = ["--python-version", "3.12", "--python-platform", "x86_64-manylinux_2_28"]


def _runner() -> Callable[[Sequence[str]], int]:
    from lockstrip.cli import run

    return run


def projects() -> list[Path]:
    """Every fixture project folder (both sides of a version-bump pair), then the examples."""
    found: list[Path] = []
    for case in sorted(CORPUS.iterdir()):
        if (case / "before").is_dir():
            found += [case / "before", case / "after"]
        elif (case / "uv.lock").is_file():
            found.append(case)
    found += sorted(p for p in EXAMPLES.iterdir() if (p / "uv.lock").is_file())
    return found


def _lock(folder: Path) -> dict[str, object]:
    with (folder / "uv.lock").open("rb") as stream:
        data: dict[str, object] = tomllib.load(stream)
    return data


def _member(folder: Path) -> str | None:
    """One workspace member that is not the root: the first by name."""
    lock = _lock(folder)
    manifest = lock.get("manifest", {})
    members = sorted(manifest.get("members", [])) if isinstance(manifest, dict) else []
    with (folder / "pyproject.toml").open("rb") as stream:
        root = tomllib.load(stream).get("project", {}).get("name", "")
    others = [m for m in members if m.replace("_", "-").lower() != root.replace("_", "-").lower()]
    return others[0] if others else None


def _has_path_dependency(folder: Path) -> bool:
    """A local package that is not a workspace member: the export needs --no-install-local."""
    lock = _lock(folder)
    packages = lock.get("package", [])
    assert isinstance(packages, list)
    return any(
        isinstance(p.get("source"), dict) and ({"directory", "path"} & set(p["source"]))
        for p in packages
    )


def flag_sets(folder: Path) -> dict[str, list[str]]:
    skip = "--no-install-local" if _has_path_dependency(folder) else "--no-install-workspace"
    sets = {
        "plain": [],
        "locked": ["--mode", "locked"],
        "no-dev": ["--no-dev"],
        "no-dev-target": ["--no-dev", *TARGET],
        "no-dev-skip": ["--no-dev", skip],
        "requirements": ["--requirements"],
    }
    member = _member(folder)
    if member is not None:
        sets["package"] = ["--package", member]
    return sets


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def _call(run: Callable[[Sequence[str]], int], argv: list[str], scratch: str) -> dict[str, str]:
    with _captured() as (out, err):
        try:
            code = run(argv)
        except SystemExit as stop:  # argparse's usage errors
            code = int(stop.code or 0)
    clean = {k: v.getvalue().replace(scratch, "<SCRATCH>") for k, v in (("out", out), ("err", err))}
    return {"code": str(code), "stdout": _sha(clean["out"].encode()), "stderr": clean["err"]}


def _rel(folder: Path) -> str:
    return folder.relative_to(REPO).as_posix()


def record(only: Collection[Path] | None = None) -> dict[str, dict[str, object]]:
    """Every output of every project (or of the projects in `only`, and the diffs of the
    version-bump pairs among them)."""
    run = _runner()
    os.chdir(REPO)
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for number, folder in enumerate(projects()):
            if only is not None and folder not in only:
                continue
            name = _rel(folder)
            for label, flags in flag_sets(folder).items():
                target = Path(scratch) / f"{number}-{label}"
                exported = _call(run, ["export", name, "--out", str(target), *flags], scratch)
                if target.is_dir():
                    exported["files"] = {  # type: ignore[assignment]
                        p.relative_to(target).as_posix(): _sha(p.read_bytes())
                        for p in sorted(target.rglob("*"))
                        if p.is_file()
                    }
                results[f"export {name} {label}"] = dict(exported)
                digest_flags = [f for f in flags if f != "--requirements"]
                if digest_flags[:1] == ["--mode"] or any(
                    f.startswith("--no-install") for f in flags
                ):
                    continue  # export-only options
                for form in ("text", "json"):
                    key = f"digest {name} {label} {form}"
                    results[key] = dict(
                        _call(run, ["digest", name, "--format", form, *digest_flags], scratch)
                    )
            results[f"dockerfile {name}"] = dict(_call(run, ["dockerfile", name], scratch))
        for case in sorted(CORPUS.iterdir()):
            if (case / "before").is_dir() and (only is None or case / "before" in only):
                for json_flag in ((), ("--json",)):
                    argv = ["diff", _rel(case / "before"), _rel(case / "after"), *json_flag]
                    results[" ".join(argv)] = dict(_call(run, argv, scratch))
    return results


def main(argv: Sequence[str]) -> int:
    results = record()
    if "--check" in argv:
        golden = json.loads(GOLDEN.read_text())
        differ = sorted(
            k for k in golden.keys() | results.keys() if golden.get(k) != results.get(k)
        )
        for key in differ[:10]:
            print(key)
        print(f"{len(differ)} of {len(golden)} outputs differ")
        return 1 if differ else 0
    GOLDEN.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print(f"{len(results)} outputs recorded in {GOLDEN.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
