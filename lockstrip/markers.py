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
from collections.abc import Mapping
from functools import lru_cache

__all__ = ["MarkerError", "conflict_item", "evaluate"]

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
    children = []
    node, at = _parse_and(tokens, at, marker)
    children.append(node)
    while at < len(tokens) and tokens[at] == ("word", "or"):
        node, at = _parse_and(tokens, at + 1, marker)
        children.append(node)
    return (children[0] if len(children) == 1 else ("or", children)), at


def _parse_and(tokens: list[tuple[str, str]], at: int, marker: str) -> tuple[Node, int]:
    children = []
    node, at = _parse_atom(tokens, at, marker)
    children.append(node)
    while at < len(tokens) and tokens[at] == ("word", "and"):
        node, at = _parse_atom(tokens, at + 1, marker)
        children.append(node)
    return (children[0] if len(children) == 1 else ("and", children)), at


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
    return ("cmp", lhs, " ".join(op.split()), rhs), at + 3


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!=", "===": "==="}


def _compare(variable: str, op: str, value: str, env: Environment) -> bool | None:
    if env is None or variable not in env:
        return None
    actual = env[variable]
    if op in ("in", "not in"):
        raise AssertionError("handled by the caller")
    if variable in _VERSION_VARIABLES and op != "===":
        from packaging.specifiers import InvalidSpecifier, Specifier

        try:
            return Specifier(f"{op}{value}").contains(actual, prereleases=True)
        except InvalidSpecifier:
            pass
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
    results = [_evaluate(child, env, active) for child in children]
    if kind == "and":
        return False if False in results else (None if None in results else True)
    return True if True in results else (None if None in results else False)


def evaluate(
    marker: str | None, env: Environment = None, active: frozenset[str] = frozenset()
) -> bool | None:
    """True, False, or None (unknown: depends on the environment, which `env=None` leaves open).

    `active` holds the activated extras and groups as uv encodes them (`conflict_item`).
    """
    if not marker:
        return True
    return _evaluate(_parse(marker), env, active)
