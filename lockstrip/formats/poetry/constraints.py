"""Poetry's version constraints (`^1.2`, `~1.2.3`, `>=1,<2 || ^3`) as PEP 440 specifier sets.

poetry.lock writes `python-versions` and every `[package.dependencies]` constraint in
Poetry's own syntax (poetry-core's `parse_constraint`): `,` or spaces join clauses, `||`
or `|` joins alternatives, `^` and `~` are ranges, `*` is any version. Each alternative
becomes one `SpecifierSet`; a version is allowed when any alternative contains it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet

__all__ = ["allows", "alternatives", "to_pep440"]

_CLAUSE = re.compile(r"\s*(?P<op>\^|~=|~|==|!=|<=|>=|<|>|=)?\s*(?P<version>[^\s,<>=~^]+)")


def _release(version: str) -> list[int]:
    head = re.match(r"v?(\d+(?:\.\d+)*)", version)
    return [int(part) for part in head.group(1).split(".")] if head else []


def _caret(version: str) -> str:
    """`^1.2.3` -> `>=1.2.3,<2.0.0`; `^0.2.3` -> `>=0.2.3,<0.3.0`; `^0.0.3` -> `<0.0.4`."""
    parts = _release(version) or [0]
    index = next((i for i, part in enumerate(parts) if part != 0), len(parts) - 1)
    upper = [*parts[:index], parts[index] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"


def _tilde(version: str) -> str:
    """`~1.2.3` -> `>=1.2.3,<1.3.0`; `~1` -> `>=1,<2`."""
    parts = _release(version) or [0]
    upper = [parts[0] + 1] if len(parts) == 1 else [parts[0], parts[1] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"


def _clause(op: str | None, version: str) -> str:
    if version in ("*", "x", "X"):
        return ""
    if op == "^":
        return _caret(version)
    if op == "~":
        return _tilde(version)
    if op in (None, "=", "=="):
        if version.endswith(".*") or version.endswith(".x"):
            return f"=={version[:-2]}.*"
        return f"=={version}"
    return f"{op}{version}"


@lru_cache(maxsize=4096)
def alternatives(constraint: str) -> tuple[SpecifierSet, ...]:
    """The constraint's alternatives; ValueError when it is not Poetry's syntax."""
    found = []
    for alternative in re.split(r"\|\|?", constraint):
        clauses = []
        for match in _CLAUSE.finditer(alternative.replace(",", " ")):
            text = _clause(match.group("op"), match.group("version"))
            if text:
                clauses.append(text)
        try:
            found.append(SpecifierSet(",".join(clauses)))
        except InvalidSpecifier:
            raise ValueError(f"not a version constraint: {constraint!r}") from None
    return tuple(found)


def to_pep440(constraint: str) -> str | None:
    """The constraint as one PEP 440 specifier, or None when it is a union of several
    (`>=3.8,<3.9 || >=3.10`), which PEP 440 cannot write."""
    found = alternatives(constraint)
    return str(found[0]) if len(found) == 1 else None


def allows(constraint: str, version: str) -> bool:
    """Whether `version` satisfies the constraint (pre-releases count, as Poetry's do
    where the lock names one)."""
    return any(spec.contains(version, prereleases=True) for spec in alternatives(constraint))
