"""Mutation fuzzing of real projects: the inputs and the oracle.

Shared by tests/test_fuzz.py (a fast, seeded slice in the default suite) and bench/fuzz.py
(the long run). A case takes one real project (a seed: its uv.lock and pyproject files),
changes one thing in one file (a node of the parsed TOML replaced, retyped, deleted or
duplicated, or the text cut at a random offset or a `[[package]]` boundary), and runs the
mutated project through the library entry points every command uses. The oracle: each
entry point either succeeds or raises a `LockstripError` whose message starts with the path
of one of the project's files. Anything else is a crash.

Every case is a pure function of (seed folder, case number): `describe(case)` tells what was
mutated, so a crash found by the long run can be replayed and turned into a test.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from lockstrip.errors import LockstripError
from lockstrip.formats.uv.model.project import MemoryFiles, Project, read_files
from lockstrip.formats.uv.render.lock import render_lock, toml_key, toml_value

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "fixtures" / "corpus"
#: Where the in-memory projects claim to live: errors name files below it; nothing is
#: read or written there.
ROOT = Path("/fuzz/project")

#: Values a mutation puts in place of a node: every TOML type, empty and odd containers,
#: strings that are almost URLs, markers, versions, paths, hashes.
WEIRD: tuple[Any, ...] = (
    "",
    " ",
    "x",
    "0",
    "1.0",
    "-",
    "../outside",
    "/absolute",
    "C:\\windows",
    "http://[::1",
    "http://example.com:99999/a-1.0-py3-none-any.whl",
    "https://example.com/a-1.0-py3-none-any.whl",
    "https://user:pw@example.com/simple/",
    "file:///tmp/a-1.0.tar.gz",
    "git+https://example.com/r.git?rev=x#abc",
    "\x00",
    "é\u202e",
    "a" * 300,
    "python_version >= '3.8'",
    "python_version >",
    "extra == 'x'",
    "extra >= 'x'",
    "sys_platform == 'linux' and",
    "(",
    "'a' == 'b'",
    "python_version in '3.8 3.9'",
    "sha256:",
    "sha256:zz",
    "md5:00",
    "==1.0",
    ">=1,<",
    "dev",
    "all",
    0,
    -1,
    1,
    2,
    5,
    2**63 - 1,
    1.5,
    float("nan"),
    float("inf"),
    True,
    False,
    [],
    [""],
    [1],
    [[]],
    [{}],
    [True],
    {},
    {"name": "x"},
    {"name": 1},
    {"a": []},
    {"registry": "https://pypi.org/simple"},
    {"editable": "."},
    {"virtual": "../x"},
    dt.date(2024, 1, 1),
    dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone.utc),
)

#: How a structural mutation changes the node it picked.
OPERATIONS = (
    "delete",
    "weird",
    "weird",
    "retype",
    "duplicate",
    "elsewhere",
    "unknown-key",
    "wrap",
    "empty",
)


class Seed(NamedTuple):
    """One real project: its files' text and parsed documents, by relative POSIX path."""

    name: str
    texts: Mapping[str, str]
    docs: Mapping[str, Mapping[str, Any]]

    def project(self) -> Project:
        return read_files(MemoryFiles(self.texts, ROOT), ROOT)


class Mutation(NamedTuple):
    rel: str  # the file changed
    what: str  # what was done, for people
    texts: Mapping[str, str]  # every file of the mutated project


class Outcome(NamedTuple):
    status: str  # "ok", "rejected" (a LockstripError naming a file), "crash"
    entry: str  # the entry point that decided it
    detail: str  # the error line, or the crash's type, message and where it was raised
    key: str  # what identifies a crash class: entry, type, innermost lockstrip frame


def seed_folders(max_lock_bytes: int | None = None) -> list[Path]:
    """The fixture projects (each `before/` of a version-bump pair once), smallest first."""
    folders = []
    for lock in sorted(CORPUS.glob("**/uv.lock")):
        if lock.parent.name == "after":
            continue
        if max_lock_bytes is None or lock.stat().st_size <= max_lock_bytes:
            folders.append(lock.parent)
    return sorted(folders, key=lambda folder: (folder / "uv.lock").stat().st_size)


@cache
def load_seed(folder: Path) -> Seed:
    texts = {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for pattern in ("uv.lock", "**/pyproject.toml")
        for path in sorted(folder.glob(pattern))
    }
    docs = {rel: tomllib.loads(text) for rel, text in texts.items()}
    return Seed(folder.relative_to(CORPUS).as_posix(), texts, docs)


# --- mutations -----------------------------------------------------------------------------


def _pick_path(doc: Any, rng: random.Random) -> list[Any]:
    """A random walk from the root: a path of keys and indexes to some node."""
    path: list[Any] = []
    node = doc
    while isinstance(node, dict | list) and node and (not path or rng.random() < 0.8):
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        path.append(key)
        node = node[key]
    return path


def _get(doc: Any, path: Sequence[Any]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _replace(doc: Any, path: Sequence[Any], change: Callable[[Any, Any], None]) -> Any:
    """A copy of `doc` where the containers along `path` are copied (the rest is shared)
    and `change(parent_copy, last_key)` edits the node's parent."""
    top = dict(doc) if isinstance(doc, dict) else list(doc)
    node = top
    for key in path[:-1]:
        child = node[key]
        node[key] = dict(child) if isinstance(child, dict) else list(child)
        node = node[key]
    change(node, path[-1])
    return top


def _retype(value: Any, rng: random.Random) -> Any:
    """The same content in another TOML type."""
    if isinstance(value, bool):
        return rng.choice([int(value), str(value).lower(), [value]])
    if isinstance(value, int | float):
        return rng.choice([str(value), bool(value), [value], float(value) + 0.5])
    if isinstance(value, str):
        return rng.choice([[value], {"value": value}, len(value), value.encode().hex()])
    if isinstance(value, list):
        return rng.choice([{str(i): v for i, v in enumerate(value)}, value[:1] or "", len(value)])
    if isinstance(value, dict):
        return rng.choice([[value], list(value), list(value.values())[:1] or 0, str(value)[:40]])
    return str(value)


def _describe_path(rel: str, path: Sequence[Any]) -> str:
    return rel + ":" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)


def mutate_doc(doc: Mapping[str, Any], rng: random.Random) -> tuple[Any, str]:
    """One structural change to a parsed TOML document, and its description."""
    path = _pick_path(doc, rng)
    if not path:  # the root: drop one top-level key
        if not doc:
            return {"version": 1}, "an empty file gets `version = 1`"
        key = rng.choice(list(doc))
        return {k: v for k, v in doc.items() if k != key}, f"top-level {key} deleted"
    node = _get(doc, path)
    operation = rng.choice(OPERATIONS)
    if operation == "delete":

        def change(parent: Any, key: Any) -> None:
            del parent[key]

        what = "deleted"
    elif operation == "duplicate" and isinstance(_get(doc, path[:-1]), list):

        def change(parent: Any, key: Any) -> None:
            parent.insert(key, parent[key])

        what = "duplicated"
    elif operation == "elsewhere":
        other = _get(doc, _pick_path(doc, rng))

        def change(parent: Any, key: Any) -> None:
            parent[key] = other

        what = f"replaced by another node ({type(other).__name__})"
    elif operation == "unknown-key" and isinstance(node, dict):
        name, value = (
            rng.choice(["zz-unknown", "name", "marker", "url", "source"]),
            rng.choice(WEIRD),
        )

        def change(parent: Any, key: Any) -> None:
            parent[key] = {**parent[key], name: value}

        what = f"key {name} = {value!r} added"
    elif operation == "wrap":
        wrapped: Any = [node] if rng.random() < 0.5 else {"x": node}

        def change(parent: Any, key: Any) -> None:
            parent[key] = wrapped

        what = "wrapped in " + type(wrapped).__name__
    elif operation == "empty" and isinstance(node, dict | list):
        emptied: Any = type(node)()

        def change(parent: Any, key: Any) -> None:
            parent[key] = emptied

        what = "emptied"
    elif operation == "retype":
        retyped = _retype(node, rng)

        def change(parent: Any, key: Any) -> None:
            parent[key] = retyped

        what = f"retyped to {retyped!r:.60}"
    else:
        weird = rng.choice(WEIRD)

        def change(parent: Any, key: Any) -> None:
            parent[key] = weird

        what = f"replaced by {weird!r:.60}"
    return _replace(doc, path, change), f"{what} at {_describe_path('', path)[1:]}"


def write_toml(doc: Mapping[str, Any], rel: str) -> str:
    """TOML text for a (mutated) document: uv's layout for a lock when it can take it,
    else one top-level key a line with inline values (valid TOML for any document)."""
    if rel == "uv.lock":
        try:
            return render_lock(doc)
        except (TypeError, AttributeError):
            pass
    return "".join(f"{toml_key(key)} = {toml_value(value)}\n" for key, value in doc.items())


def mutate_text(text: str, rng: random.Random) -> tuple[str, str]:
    """One change to a file's text: a cut, a line deleted or repeated."""
    choice = rng.random()
    if choice < 0.35 and "\n[[package]]\n" in text:
        starts = [i for i in range(len(text)) if text.startswith("\n[[package]]\n", i)]
        at = rng.choice(starts) + 1
        return text[:at], f"cut at the [[package]] block at offset {at}"
    lines = text.split("\n")
    if choice < 0.6:
        at = rng.randrange(len(text) + 1)
        return text[:at], f"cut at offset {at}"
    index = rng.randrange(len(lines))
    if choice < 0.8:
        return "\n".join(lines[:index] + lines[index + 1 :]), f"line {index + 1} deleted"
    return "\n".join(lines[: index + 1] + lines[index:]), f"line {index + 1} repeated"


def mutate(seed: Seed, rng: random.Random) -> Mutation:
    """One mutation of one of the seed's files."""
    members = [rel for rel in seed.texts if rel not in ("uv.lock", "pyproject.toml")]
    choice = rng.random()
    if choice < 0.65:
        rel = "uv.lock"
    elif choice < 0.9 or not members:
        rel = "pyproject.toml"
    else:
        rel = rng.choice(members)
    if rng.random() < 0.12:
        text, what = mutate_text(seed.texts[rel], rng)
    else:
        doc, what = mutate_doc(seed.docs[rel], rng)
        text = write_toml(doc, rel)
    return Mutation(rel, f"{seed.name}/{rel}: {what}", {**seed.texts, rel: text})


#: `edit`'s value that deletes the node.
DELETE = object()


def edit(seed: Seed, rel: str, path: Sequence[Any], value: Any) -> Mapping[str, str]:
    """The seed's files with one node of `rel` replaced by `value` (or deleted): how a
    crash the fuzzer found is written down as a regression case."""

    def change(parent: Any, key: Any) -> None:
        if value is DELETE:
            del parent[key]
        else:
            parent[key] = value

    return {**seed.texts, rel: write_toml(_replace(seed.docs[rel], path, change), rel)}


def case_rng(seed: Seed, number: int) -> random.Random:
    return random.Random(f"{seed.name}#{number}")


# --- the oracle ----------------------------------------------------------------------------


def _crash_key(entry: str, error: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "lockstrip" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].name}" if frames else "?"
    return f"{entry}: {type(error).__name__} in {where}"


def _entry_points(
    original: Project | None, project: Project
) -> list[tuple[str, Callable[[], Any]]]:
    """The library calls the commands make, in the order they make them."""
    from lockstrip.environment.target import parse_target
    from lockstrip.formats.explanation import render_json, render_text
    from lockstrip.formats.request import Scope
    from lockstrip.formats.uv.fetch import find_credentials, plan_fetch
    from lockstrip.formats.uv.render.digest import compute_digest
    from lockstrip.formats.uv.render.dockerfile import render_dockerfile
    from lockstrip.formats.uv.render.explain import explain
    from lockstrip.formats.uv.render.export import build_export

    target = parse_target("3.12", "linux")
    assert target is not None
    scope = Scope(no_dev=True)
    every = Scope(all_groups=True, all_extras=True)

    def reread(mode: str) -> Project:
        export = build_export(project, "locked" if mode == "locked" else "frozen")
        return read_files(MemoryFiles(export.files, ROOT), ROOT)

    def diff() -> None:
        assert original is not None
        for old, new in ((original, project), (project, original)):
            explanation = explain(old, new)
            render_text(explanation, colour=False, export_changed=True)
            render_json(explanation, {})

    calls: list[tuple[str, Callable[[], Any]]] = [
        ("digest", lambda: compute_digest(project)),
        ("export frozen", lambda: reread("frozen")),
        ("export locked", lambda: reread("locked")),
        ("export --requirements", lambda: build_export(project, requirements=True)),
        ("digest --no-dev", lambda: compute_digest(project, scope)),
        ("digest --all-groups --all-extras", lambda: compute_digest(project, every)),
        ("digest target", lambda: compute_digest(project, None, target)),
        (
            "export scoped target --requirements",
            lambda: build_export(project, "frozen", scope, target, requirements=True),
        ),
        (
            "export --no-dev --no-install-local",
            lambda: build_export(project, "frozen", scope, skip="local"),
        ),
        (
            "export --all-groups --all-extras --no-install-workspace",
            lambda: build_export(project, "frozen", every, skip="workspace"),
        ),
        ("dockerfile", lambda: render_dockerfile(project)),
        ("fetch plan", lambda: plan_fetch(project, scope, target)),
        ("fetch credentials", lambda: find_credentials(project, {})),
    ]
    if original is not None:
        calls.append(("diff", diff))
    return calls


def named_file(error: LockstripError) -> bool:
    """Whether the error names one of the project's files (its message starts with it)."""
    return error.path == ROOT or ROOT in error.path.parents


#: Entry points every case runs, whatever its share of the others.
CORE = frozenset({"digest", "export frozen", "diff"})


def run_case(
    texts: Mapping[str, str], original: Project | None, share: tuple[int, int] = (0, 1)
) -> Outcome:
    """The mutated project through every entry point; the first rejection or crash decides.

    `share` (k, n) runs, besides the CORE ones, the entry points whose position is k modulo
    n: the long run spreads them over its cases. `original` (the seed project) adds the
    explanations between it and the mutated one."""
    try:
        project = read_files(MemoryFiles(texts, ROOT), ROOT)
    except LockstripError as error:
        return _rejected("read", error, texts)
    except Exception as error:
        return Outcome("crash", "read", _line(error), _crash_key("read", error))
    part, parts = share
    for position, (entry, call) in enumerate(_entry_points(original, project)):
        if entry not in CORE and position % parts != part:
            continue
        try:
            call()
        except LockstripError as error:
            return _rejected(entry, error, texts)
        except Exception as error:
            return Outcome("crash", entry, _line(error), _crash_key(entry, error))
    return Outcome("ok", "", "", "")


def _rejected(entry: str, error: LockstripError, texts: Mapping[str, str]) -> Outcome:
    if named_file(error):
        return Outcome("rejected", entry, str(error), "")
    key = f"{entry}: {type(error).__name__} not naming a file"
    return Outcome("crash", entry, str(error), key)


def _line(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]
