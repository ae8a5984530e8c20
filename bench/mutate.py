"""Planted bugs: how many small changes to the rules, the selection and the renderers the tests
catch.

Each mutant is one change to one module, made on its syntax tree: a comparison flipped
(`==`/`!=`, `<`/`>=`, `>`/`<=`, `in`/`not in`, `is`/`is not`), `and`/`or` swapped, an `if`
negated, `True`/`False` swapped, an integer off by one, an entry dropped from a dict literal
or from a module-level table, a return value replaced by an empty container. The mutant
replaces the module for one run of that module's test files (`TARGETS`); the run must fail
(killed) within the timeout. A mutant the tests pass is a survivor: a change of behaviour no
test notices, or an equivalent mutant (one that changes nothing a user can see).

The mutants of a module are numbered in the order of its syntax tree, so `MODULE:N` is the
same mutant on every machine for the same source; when a module has more than
`--max-mutants`, a sample is drawn with a fixed seed. The module is restored after each run,
also on Ctrl-C. Run it in a clone whose package is the one installed (`pip install -e .`).

Usage: `python bench/mutate.py [--modules rules/lock.py ...] [--max-mutants 30]
[--mutant rules/lock.py:17 ...] [--timeout 120] [--list]`. Exits 1 when a mutant survived.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import random
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lockstrip" / "formats" / "uv"

#: Each module and the tests that judge it (pytest arguments; `*.py` are files under tests/):
#: the ones that exercise it through the public functions and the CLI, fast enough (5-20 s
#: on two cores) to run once per mutant. The uv agreement tests of tests/test_selection.py
#: (566 cases, over a minute) are left to the suite.
_SELECTION = (
    "test_selection_options.py",
    "test_selection.py",
    "-k",  # applies to every file named: test_digest and test_rules are kept whole
    "test_digest or test_rules or test_selection_options or holds_only or forks "
    "or parse_flags or bad_names or conflicting or folded_exports_change or names_the_extras",
)
TARGETS: dict[str, tuple[str, ...]] = {
    "rules/lock.py": ("test_rules.py", "test_render_lock.py", "test_digest.py"),
    "rules/pyproject.py": ("test_rules.py", "test_render_pyproject.py", "test_digest.py"),
    "rules/scoped.py": ("test_rules.py", "test_digest.py", *_SELECTION),
    "rules/policy.py": ("test_rules.py", "test_key_identity.py"),
    "selection/select.py": ("test_digest.py", *_SELECTION),
    "selection/fold.py": ("test_digest.py", *_SELECTION),
    "selection/names.py": ("test_rules.py", *_SELECTION),
    "render/digest.py": ("test_digest.py",),
    "render/explain.py": ("test_explain.py",),
}

PYTEST = ["-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-n", "2"]
SEED = "lockstrip-mutation-1"

_FLIPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_SYMBOLS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.GtE: ">=",
    ast.Gt: ">",
    ast.LtE: "<=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
#: What an empty return value of each annotated return type is.
_EMPTY = {
    "list": "[]",
    "tuple": "()",
    "dict": "{}",
    "Mapping": "{}",
    "set": "set()",
    "frozenset": "frozenset()",
    "str": "''",
    "Sequence": "()",
    "Iterable": "()",
}


@dataclass(frozen=True)
class Mutant:
    module: str
    number: int  # the order of the node in ast.walk, then of the change at that node
    line: int
    description: str

    @property
    def name(self) -> str:
        return f"{self.module}:{self.number}"


Change = Callable[[ast.AST], None]


def _skipped(tree: ast.Module) -> set[int]:
    """Nodes no mutant touches: docstrings, `__all__` and `TYPE_CHECKING` imports."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        text = first.value if isinstance(first, ast.Expr) else None
        if isinstance(text, ast.Constant) and isinstance(text.value, str) and first is not None:
            skip |= {id(n) for n in ast.walk(first)}
        is_all = isinstance(node, (ast.Assign, ast.AnnAssign)) and "__all__" in ast.unparse(node)
        is_typing = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        if is_all or is_typing:
            skip |= {id(n) for n in ast.walk(node)}
    return skip


def _tables(tree: ast.Module) -> set[int]:
    """Literal sequences in module-level assignments: the rule tables."""
    found: set[int] = set()
    for statement in tree.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            for node in ast.walk(statement.value):
                if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                    found.add(id(node))
            for node in ast.walk(statement.value):  # `Literal[...]` and other annotations
                if isinstance(node, ast.Subscript):
                    found -= {id(n) for n in ast.walk(node.slice)}
    return found


def _returns(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.Return]:
    """The return statements of `function` itself, not of functions nested in it."""
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Return):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _changes(node: ast.AST, tables: set[int]) -> Iterator[tuple[str, Change]]:
    """Every mutant of one node, described, as a function that applies it to a copy."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            flipped = _FLIPS[type(op)]

            def flip(n: ast.AST, i: int = i, flipped: type[ast.cmpop] = flipped) -> None:
                assert isinstance(n, ast.Compare)
                n.ops[i] = flipped()

            yield f"`{_SYMBOLS[type(op)]}` -> `{_SYMBOLS[flipped]}`", flip
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And

        def swap(n: ast.AST, other: type[ast.boolop] = other) -> None:
            assert isinstance(n, ast.BoolOp)
            n.op = other()

        words = ("and", "or") if other is ast.Or else ("or", "and")
        yield f"`{words[0]}` -> `{words[1]}`", swap
    elif isinstance(node, (ast.If, ast.IfExp, ast.While)):

        def negate(n: ast.AST) -> None:
            assert isinstance(n, (ast.If, ast.IfExp, ast.While))
            n.test = ast.UnaryOp(op=ast.Not(), operand=n.test)

        yield f"negate `{ast.unparse(node.test)[:60]}`", negate
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):

        def invert(n: ast.AST) -> None:
            assert isinstance(n, ast.Constant)
            n.value = not n.value

        yield f"`{node.value}` -> `{not node.value}`", invert
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        value: int = node.value
        for delta in (1, -1):
            if value + delta < 0:
                continue

            def shift(n: ast.AST, shifted: int = value + delta) -> None:
                assert isinstance(n, ast.Constant)
                n.value = shifted

            yield f"`{value}` -> `{value + delta}`", shift
    elif isinstance(node, ast.Dict) and len(node.keys) > 1:
        for i, key in enumerate(node.keys):
            if key is None:
                continue

            def drop_entry(n: ast.AST, i: int = i) -> None:
                assert isinstance(n, ast.Dict)
                del n.keys[i], n.values[i]

            yield f"drop entry `{ast.unparse(key)[:60]}`", drop_entry
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)) and id(node) in tables:
        if len(node.elts) > 1:
            for i, element in enumerate(node.elts):

                def drop_row(n: ast.AST, i: int = i) -> None:
                    assert isinstance(n, (ast.Tuple, ast.List, ast.Set))
                    del n.elts[i]

                yield f"drop row `{ast.unparse(element)[:60]}`", drop_row
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
        annotation = ast.unparse(node.returns).split("[", 1)[0].rsplit(".", 1)[-1]
        empty = _EMPTY.get(annotation)
        if empty is None:
            return
        for i, ret in enumerate(_returns(node)):
            if ret.value is None or ast.unparse(ret.value) == empty:
                continue

            def empty_return(n: ast.AST, i: int = i, empty: str = empty) -> None:
                assert isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                target = list(_returns(n))[i]
                target.value = ast.parse(empty, mode="eval").body

            yield f"`{node.name}` returns `{empty}` (line {ret.lineno})", empty_return


def mutants(module: str) -> list[tuple[Mutant, Callable[[], str]]]:
    """Every mutant of `module` (a path under lockstrip/formats/uv) and its source."""
    source = (PACKAGE / module).read_text(encoding="utf-8")
    tree = ast.parse(source)
    skip, tables = _skipped(tree), _tables(tree)
    found: list[tuple[Mutant, Callable[[], str]]] = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        for description, change in _changes(node, tables):
            mutant = Mutant(module, len(found), getattr(node, "lineno", 0), description)

            def render(index: int = index, change: Change = change) -> str:
                copied = copy.deepcopy(tree)
                change(list(ast.walk(copied))[index])
                return ast.unparse(ast.fix_missing_locations(copied)) + "\n"

            found.append((mutant, render))
    return found


def run_tests(module: str, timeout: float, override: list[str] | None = None) -> str:
    chosen = override or TARGETS[module]
    tests = [str(ROOT / "tests" / a) if a.endswith(".py") else a for a in chosen]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("LOCKSTRIP_SLOW", None)
    env.pop("LOCKSTRIP_E2E", None)
    command = [sys.executable, "-m", "pytest", *PYTEST, *tests]
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "survived" if done.returncode == 0 else "killed"


def run_mutant(
    path: Path, text: str, module: str, timeout: float, override: list[str] | None
) -> str:
    original, stat = path.read_bytes(), path.stat()
    try:
        path.write_text(text, encoding="utf-8")
        return run_tests(module, timeout, override)
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="+", choices=sorted(TARGETS), default=sorted(TARGETS))
    parser.add_argument("--max-mutants", type=int, default=30, help="per module (a fixed sample)")
    parser.add_argument("--mutant", action="append", default=[], help="MODULE:N, repeatable")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    parser.add_argument(
        "--tests", type=shlex.split, help="pytest arguments instead of the module's, quoted"
    )
    parser.add_argument("--list", action="store_true", help="print the mutants, run nothing")
    args = parser.parse_args(argv)
    chosen = {name.rsplit(":", 1)[0] for name in args.mutant} or set(args.modules)
    survivors: list[str] = []
    rows: list[str] = []
    for module in sorted(chosen):
        every = mutants(module)
        if args.mutant:
            picked = [m for m in every if m[0].name in args.mutant]
        elif len(every) > args.max_mutants:
            rng = random.Random(f"{SEED}:{module}")
            picked = sorted(rng.sample(every, args.max_mutants), key=lambda m: m[0].number)
        else:
            picked = every
        if args.list:
            for mutant, _ in picked:
                print(f"{mutant.name}  line {mutant.line}: {mutant.description}")
            continue
        path = PACKAGE / module
        if run_tests(module, args.timeout, args.tests) != "survived":
            print(f"{module}: its tests fail without a mutant; skipped", file=sys.stderr)
            continue
        counts = {"killed": 0, "survived": 0, "timeout": 0}
        start = time.monotonic()
        for mutant, render in picked:
            outcome = run_mutant(path, render(), module, args.timeout, args.tests)
            counts[outcome] += 1
            line = f"{mutant.line}: {mutant.description}"
            print(f"  {mutant.name} {outcome}: line {line}", flush=True)
            if outcome == "survived":
                survivors.append(
                    f"lockstrip/formats/uv/{module}:{mutant.line}: {mutant.description}"
                    f"  [{mutant.name}]"
                )
        caught = counts["killed"] + counts["timeout"]
        score = f"{100 * caught / len(picked):.0f}%" if picked else "-"
        rows.append(
            f"| {module} | {len(picked)} of {len(every)} | {counts['killed']} "
            f"| {counts['survived']} | {counts['timeout']} | {score} "
            f"| {time.monotonic() - start:.0f} s |"
        )
        print(rows[-1], flush=True)
    if rows:
        print("| module | mutants run | killed | survived | timeout | score | time |")
        print("|---|---|---|---|---|---|---|")
        print("\n".join(rows))
    for line in survivors:
        print(line)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
