"""Synthetic large locks for bench/bench.py: a real uv.lock with its packages multiplied.

No real project has a 200 MB uv.lock, but the speed specification asks that lockstrip
scale linearly up to one and stay within its ratios to uv. The largest real lock in the
corpus (mteb, 4.2 MB) is grown by text edits, so the copies keep its real shape: forked
versions, long markers, conflicts, wheels of every platform.

* Every third-party package (a registry, git or URL source) is copied `copies` times,
  renamed `NAME-xK`; edges between third-party packages are renamed the same way, so each
  copy is a closed graph like the original. Artifact URLs and hashes stay as they are.
* The root (and any other local package) is not copied. Each of its edges to a third-party
  package gains one edge to every copy of that package, so `uv export` and `lockstrip`
  both traverse the copies: without these edges uv would skip them as unreachable, and the
  comparison would measure parsing only. Its `[package.metadata]` (the requires-dist that
  `--locked` compares with pyproject.toml) is left as it is: both tools read the lock
  `--frozen` and the folder's pyproject.toml is the original one.
* Packages stay sorted by name, as uv writes them.
"""

from __future__ import annotations

import re

PACKAGE_HEADER = "\n[[package]]\n"
#: Sources of packages lockstrip treats as local (not copied, not renamed).
LOCAL_SOURCE = re.compile(r"^source = \{ (editable|virtual|directory|path) = ", re.MULTILINE)
NAME_LINE = re.compile(r'^name = "([^"]+)"$', re.MULTILINE)
#: A package name inside a block: the `name = "..."` line or a `{ name = "..." ...}` edge.
NAME_VALUE = re.compile(r'((?:^|\{ )name = ")([^"]+)(")', re.MULTILINE)
#: One edge of a dependency array, alone on its line: `    { name = "x", ... },`.
EDGE_LINE = re.compile(r'^(    \{ name = ")([^"]+)(".*\},?)$')


def suffix(copy: int) -> str:
    return f"-x{copy}"


def split_lock(text: str) -> tuple[str, list[str]]:
    """The part before the first `[[package]]`, and each package's block without its header."""
    head, _, rest = text.partition(PACKAGE_HEADER)
    return head, rest.split(PACKAGE_HEADER) if rest else []


def block_name(block: str) -> str:
    match = NAME_LINE.search(block)
    if match is None:
        raise ValueError(f"a [[package]] without a name: {block[:80]!r}")
    return match.group(1)


def is_local(block: str) -> bool:
    return LOCAL_SOURCE.search(block) is not None


def rename(block: str, names: frozenset[str], copy: int) -> str:
    """The block with every name in `names` (its own and its edges') renamed for `copy`."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in names:
            return match.group(0)
        return f"{match.group(1)}{name}{suffix(copy)}{match.group(3)}"

    return NAME_VALUE.sub(sub, block)


def add_edges(block: str, names: frozenset[str], copies: int) -> str:
    """A local package's block with each edge to a name in `names` repeated for every copy.

    Only the dependency arrays (before `[package.metadata]`) gain edges: the metadata is
    what `--locked` compares with pyproject.toml, which stays the original.
    """
    deps, marker, metadata = block.partition("\n[package.metadata]")
    lines = []
    for line in deps.split("\n"):
        lines.append(line)
        match = EDGE_LINE.match(line)
        if match is None or match.group(2) not in names:
            continue
        start, name, end = match.groups()
        tail = end.removesuffix(",")
        lines[-1] = f"{start}{name}{tail},"
        lines += [f"{start}{name}{suffix(copy)}{tail}," for copy in range(1, copies + 1)]
        lines[-1] = lines[-1].removesuffix(",") + ("," if end.endswith(",") else "")
    return "\n".join(lines) + marker + metadata


def multiply_lock(text: str, copies: int) -> str:
    """`text` (a uv.lock) with its third-party packages multiplied `copies` more times."""
    if copies < 0:
        raise ValueError(f"copies must be at least 0, not {copies}")
    if copies == 0:
        return text
    head, blocks = split_lock(text)
    if not blocks:
        raise ValueError("a lock without packages")
    third_party = frozenset(block_name(b) for b in blocks if not is_local(b))
    all_names = {block_name(b) for b in blocks}
    for copy in range(1, copies + 1):
        clashes = {name + suffix(copy) for name in third_party} & all_names
        if clashes:
            raise ValueError(f"renamed copies would clash with {sorted(clashes)}")
    out: list[tuple[str, str]] = []
    for block in blocks:
        name = block_name(block)
        if is_local(block):
            out.append((name, add_edges(block, third_party, copies)))
            continue
        out.append((name, block))
        out.extend(
            (name + suffix(copy), rename(block, third_party, copy)) for copy in range(1, copies + 1)
        )
    out.sort(key=lambda pair: pair[0])  # stable: the versions of one name keep their order
    # Each block ends with a newline; the header's own adds the blank line between packages.
    return PACKAGE_HEADER.join([head, *(b if b.endswith("\n") else b + "\n" for _, b in out)])


def copies_for(target_bytes: float, base_bytes: int) -> int:
    """How many copies bring a lock of `base_bytes` nearest to `target_bytes`."""
    return max(0, round(target_bytes / base_bytes) - 1)
