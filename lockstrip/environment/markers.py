"""Evaluate the PEP 508 markers of uv.lock edges, with three-valued logic.

Why not `packaging.markers`: uv writes conflict markers such as
`extra == 'extra-7-nemo-rl-vllm' and extra != 'group-11-pydantic-ai-dev'`, which test a *set*
of activated extras and groups, where packaging compares `extra` with one string; and a
scope without a target (the universal digest) must ask "could this edge apply anywhere?",
which needs an answer of True, False or unknown (Kleene logic), where packaging only knows
True and False. Version comparisons still go through `packaging.specifiers`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache

__all__ = [
    "MarkerError",
    "Points",
    "check_marker",
    "comparisons",
    "conflict_item",
    "evaluate",
    "residual",
]

#: An environment: marker variable -> value; None means "any environment" (unknown values).
Environment = Mapping[str, str] | None

_VERSION_VARIABLES = frozenset({"python_version", "python_full_version", "implementation_version"})
_ALIASES = {
    "os.name": "os_name",
    "sys.platform": "sys_platform",
    "platform.version": "platform_version",
    "platform.machine": "platform_machine",
    "platform.python_implementation": "platform_python_implementation",
    "python_implementation": "platform_python_implementation",
}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'[^']*'|"[^"]*")
      | (?P<op>===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)
      | (?P<paren>[()])
      | (?P<word>and\b|or\b)
      | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)


class MarkerError(ValueError):
    """A marker lockstrip cannot read."""


# The parsed form: ("and" | "or", [children]) or ("cmp", lhs, op, rhs); lhs/rhs are
# ("var", name) or ("str", value).
Node = tuple[str, list["Node"]] | tuple[str, tuple[str, str], str, tuple[str, str]]


def conflict_item(kind: str, package: str, name: str) -> str:
    """How uv encodes an activated extra or group inside markers: `extra-7-nemo-rl-vllm`."""
    return f"{kind}-{len(package)}-{package}-{name}"


def _tokens(marker: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(marker.rstrip()):
        match = _TOKEN.match(marker, position)
        if match is None or match.end() == position:
            raise MarkerError(f"cannot read marker at {marker[position:]!r}: {marker!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


@lru_cache(maxsize=8192)
def _parse(marker: str) -> Node:
    tokens = _tokens(marker)
    node, rest = _parse_or(tokens, 0, marker)
    if rest != len(tokens):
        raise MarkerError(f"unexpected {tokens[rest][1]!r} in marker {marker!r}")
    return node


def _parse_or(tokens: list[tuple[str, str]], at: int, marker: str) -> tuple[Node, int]:
    return _parse_chain("or", tokens, at, marker)


def _parse_and(tokens: list[tuple[str, str]], at: int, marker: str) -> tuple[Node, int]:
    return _parse_chain("and", tokens, at, marker)


def _parse_chain(
    word: str, tokens: list[tuple[str, str]], at: int, marker: str
) -> tuple[Node, int]:
    """Operands joined by `word`: `or` joins `and` chains, which join atoms."""
    operand = _parse_and if word == "or" else _parse_atom
    node, at = operand(tokens, at, marker)
    children = [node]
    while at < len(tokens) and tokens[at] == ("word", word):
        node, at = operand(tokens, at + 1, marker)
        children.append(node)
    return (children[0] if len(children) == 1 else (word, children)), at


def _value(token: tuple[str, str], marker: str) -> tuple[str, str]:
    kind, text = token
    if kind == "string":
        return ("str", text[1:-1])
    if kind == "name":
        return ("var", _ALIASES.get(text, text))
    raise MarkerError(f"expected a variable or a string, found {text!r} in {marker!r}")


def _parse_atom(tokens: list[tuple[str, str]], at: int, marker: str) -> tuple[Node, int]:
    if at >= len(tokens):
        raise MarkerError(f"marker ends early: {marker!r}")
    if tokens[at] == ("paren", "("):
        node, at = _parse_or(tokens, at + 1, marker)
        if at >= len(tokens) or tokens[at] != ("paren", ")"):
            raise MarkerError(f"missing ')' in marker {marker!r}")
        return node, at + 1
    if at + 2 >= len(tokens):
        raise MarkerError(f"incomplete comparison in marker {marker!r}")
    lhs = _value(tokens[at], marker)
    kind, op = tokens[at + 1]
    if kind != "op":
        raise MarkerError(f"expected an operator, found {op!r} in {marker!r}")
    rhs = _value(tokens[at + 2], marker)
    op = " ".join(op.split())
    # Checked here, not when evaluating: whether a marker is readable must not depend on
    # the environment (evaluation stops at the first part that decides).
    if op not in ("in", "not in"):
        if {lhs[0], rhs[0]} != {"var", "str"}:
            raise MarkerError(f"cannot compare {lhs[1]!r} with {rhs[1]!r} in {marker!r}")
        if ("var", "extra") in (lhs, rhs) and op not in ("==", "!="):
            raise MarkerError(f"cannot compare extra with {op} in {marker!r}")
    return ("cmp", lhs, op, rhs), at + 3


def check_marker(marker: str) -> None:
    """Raise `MarkerError` unless `marker` can be read (the lock's model checks each once)."""
    if marker:
        _parse(marker)


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!=", "===": "==="}


def _compare(variable: str, op: str, value: str, env: Environment) -> bool | None:
    if env is None or variable not in env:
        return None
    actual = env[variable]
    if op in ("in", "not in"):
        raise AssertionError("handled by the caller")
    if variable in _VERSION_VARIABLES and op != "===":
        result = _version_compare(op, value, actual)
        if result is not None:
            return result
    return {
        "==": actual == value,
        "===": actual == value,
        "!=": actual != value,
        "<": actual < value,
        "<=": actual <= value,
        ">": actual > value,
        ">=": actual >= value,
        "~=": actual == value,
    }[op]


@lru_cache(maxsize=65536)
def _version_compare(op: str, value: str, actual: str) -> bool | None:
    """`actual op value` as PEP 440 versions; None when `value` is no version for `op`."""
    from packaging.specifiers import InvalidSpecifier, Specifier

    try:
        return Specifier(f"{op}{value}").contains(actual, prereleases=True)
    except InvalidSpecifier:
        return None


def _evaluate(node: Node, env: Environment, active: frozenset[str]) -> bool | None:
    if node[0] == "cmp":
        _, lhs, op, rhs = node  # type: ignore[misc]
        if op in ("in", "not in"):
            left = lhs[1] if lhs[0] == "str" else (env or {}).get(lhs[1])
            right = rhs[1] if rhs[0] == "str" else (env or {}).get(rhs[1])
            if left is None or right is None:
                return None
            return (left in right) == (op == "in")
        if lhs[0] == "str" and rhs[0] == "var":
            lhs, rhs, op = rhs, lhs, _FLIP.get(op, op)
        if lhs[0] != "var" or rhs[0] != "str":
            raise MarkerError(f"cannot compare {lhs[1]!r} with {rhs[1]!r}")
        if lhs[1] == "extra":  # extras and uv's encoded conflict items: set membership
            if op not in ("==", "!="):
                raise MarkerError(f"cannot compare extra with {op}")
            return (rhs[1] in active) == (op == "==")
        return _compare(lhs[1], op, rhs[1], env)
    kind, children = node  # type: ignore[misc]
    # Kleene logic: one False decides an `and`, one True an `or`; else unknown wins.
    decisive = kind != "and"
    unknown = False
    for child in children:
        result = _evaluate(child, env, active)
        if result is decisive:
            return decisive
        unknown |= result is None
    return None if unknown else not decisive


def evaluate(
    marker: str | None, env: Environment = None, active: frozenset[str] = frozenset()
) -> bool | None:
    """True, False, or None (unknown: depends on the environment, which `env=None` leaves open).

    `active` holds the activated extras and groups as uv encodes them (`conflict_item`).
    """
    if not marker:
        return True
    return _evaluate(_parse(marker), env, active)


def comparisons(marker: str) -> Iterator[tuple[str, str, str]]:
    """The comparisons of a marker, each as (variable, operator, literal).

    A literal on the left is moved right (`'3.8' < python_version` is `python_version >
    '3.8'`); `in` and `not in` keep their operator whichever side the variable is on. A
    comparison of two variables or two literals is left out.
    """
    stack = [_parse(marker)]
    while stack:
        node = stack.pop()
        if node[0] != "cmp":
            stack.extend(node[1])  # type: ignore[arg-type]
            continue
        _, lhs, op, rhs = node  # type: ignore[misc]
        if lhs[0] == "str" and rhs[0] == "var":
            lhs, rhs, op = rhs, lhs, op if op in ("in", "not in") else _FLIP.get(op, op)
        if lhs[0] == "var" and rhs[0] == "str":
            yield lhs[1], op, rhs[1]


class Points:
    """Several environments evaluated at once: a marker's mask has bit i set when the
    marker can hold (is not False) in environment i.

    Kleene logic makes this exact with bit operations: an `and` is False where one of its
    parts is, an `or` where all are. So each comparison is evaluated once per environment,
    and a marker costs a few integer operations however many environments there are.
    """

    def __init__(self, environments: Sequence[Mapping[str, str]]) -> None:
        self.environments = tuple(environments)
        self.full = (1 << len(self.environments)) - 1
        self._atoms: dict[Node, int] = {}

    def mask(self, marker: str | None, active: frozenset[str] = frozenset()) -> int:
        """Where `marker` can hold; `active` as for `evaluate`."""
        return self._mask(_parse(marker), active) if marker else self.full

    def _mask(self, node: Node, active: frozenset[str]) -> int:
        if node[0] == "cmp":
            _, lhs, _, rhs = node  # type: ignore[misc]
            if "extra" in (
                lhs[1] if lhs[0] == "var" else None,
                rhs[1] if rhs[0] == "var" else None,
            ):
                return self.full if _evaluate(node, None, active) is not False else 0
            mask = self._atoms.get(node)
            if mask is None:
                mask = 0
                for bit, environment in enumerate(self.environments):
                    if _evaluate(node, environment, active) is not False:
                        mask |= 1 << bit
                self._atoms[node] = mask
            return mask
        kind, children = node  # type: ignore[misc]
        if kind == "and":
            mask = self.full
            for child in children:
                mask &= self._mask(child, active)
                if not mask:
                    break
            return mask
        mask = 0
        for child in children:
            mask |= self._mask(child, active)
        return mask


def residual(marker: str | None, active: frozenset[str]) -> bool | str:
    """The marker with uv's conflict items decided by `active`: True, False, or the rest
    of it as text (what `uv export` writes on a requirement)."""
    if not marker:
        return True
    node = _decide_extras(_parse(marker), active)
    return node if isinstance(node, bool) else _render(node, inside="")


def _decide_extras(node: Node, active: frozenset[str]) -> bool | Node:
    """`node` with every `extra` comparison replaced by its value for `active`, simplified."""
    if node[0] == "cmp":
        _, lhs, op, rhs = node  # type: ignore[misc]
        if ("var", "extra") not in (lhs, rhs):
            return node
        item = rhs[1] if lhs == ("var", "extra") else lhs[1]
        return (item in active) == (op == "==")
    kind, children = node  # type: ignore[misc]
    decided = [_decide_extras(child, active) for child in children]
    absorbing = kind == "or"  # True decides an `or`, False an `and`
    if absorbing in decided:
        return absorbing
    rest = [child for child in decided if not isinstance(child, bool)]
    if not rest:
        return not absorbing
    return rest[0] if len(rest) == 1 else (kind, rest)


def _render(node: Node, inside: str) -> str:
    """Marker text in uv's style: single quotes, `and` inside `or` without parentheses."""
    if node[0] == "cmp":
        _, lhs, op, rhs = node  # type: ignore[misc]
        return f"{_operand(lhs)} {op} {_operand(rhs)}"
    kind, children = node  # type: ignore[misc]
    text = f" {kind} ".join(_render(child, kind) for child in children)
    return f"({text})" if kind == "or" and inside == "and" else text


def _operand(value: tuple[str, str]) -> str:
    kind, text = value
    if kind == "var":
        return text
    return f'"{text}"' if "'" in text else f"'{text}'"


# --- markers as sets of clauses --------------------------------------------------------------

#: A marker in disjunctive normal form: a set of clauses, each a set of markers that must
#: all hold. `{frozenset()}` is "always"; the empty set is "never".
Dnf = frozenset[frozenset[str]]
ALWAYS: Dnf = frozenset({frozenset()})


def absorb(dnf: frozenset[frozenset[str]]) -> Dnf:
    """Drop clauses implied by a smaller one (`a or (a and b)` is `a`)."""
    return frozenset(c for c in dnf if not any(other < c for other in dnf))


def render_dnf(dnf: Dnf) -> str | None:
    """The marker text of `dnf` (None for "always"), its terms sorted: equal sets of clauses
    give equal text, whatever order the paths were walked in."""
    if frozenset() in dnf or not dnf:
        return None
    clauses = sorted(
        " and ".join(sorted(f"({m})" if " or " in m else m for m in clause)) for clause in dnf
    )
    if len(clauses) == 1:
        return clauses[0]
    return " or ".join(f"({c})" if " and " in c else c for c in clauses)
