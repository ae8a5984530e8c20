"""Read TOML files, fast where possible, with errors that name the file and the line.

uv.lock files reach 4 MB and more, and the digest runs in pre-commit hooks, so the reader
is measured: the Rust reader `toml_rs` parses the 4 MB mteb lock in ~12 ms, stdlib
`tomllib` in ~240 ms (BENCHMARKS.md). `tomllib` (or `tomli` on Python 3.10) stays the
fallback and the reference: when the fast reader rejects a file, `tomllib` parses it again
so that the error message is the standard one, with a line and a column.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from lockstrip.errors import InputError
from lockstrip.files import read_bytes

__all__ = ["BACKEND", "load_toml", "parse_toml", "read_text"]

_fast: Callable[[str], dict[str, Any]] | None
try:
    import toml_rs

    _fast = toml_rs.loads
    BACKEND = "toml_rs"
except ImportError:  # pragma: no cover - depends on the platform's wheels
    _fast = None
    BACKEND = "tomllib" if sys.version_info >= (3, 11) else "tomli"

_LINE = re.compile(r"line (\d+)")


def _reference() -> ModuleType:
    """tomllib (tomli before 3.11), imported only when needed: it costs 3 ms."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # pragma: no cover - Python 3.10 only

    module: ModuleType = tomli  # pragma: no cover
    return module  # pragma: no cover


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, turning OS and decoding errors into `InputError`.

    Only a regular file of bounded size is read (`lockstrip.files.read_bytes`): a named
    pipe, a device or a directory is refused without blocking.
    """
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(path, f"not UTF-8 text (byte {error.start})", line=line) from None


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """Parse TOML text read from `path`; a syntax error names the file and the line."""
    if _fast is not None:
        try:
            return _fast(text)
        except Exception:  # any error: the reference parser reports it below
            pass
    reference = _reference()
    try:
        parsed: dict[str, Any] = reference.loads(text)
    except reference.TOMLDecodeError as error:
        match = _LINE.search(str(error))
        line = int(match.group(1)) if match else None
        raise InputError(path, f"invalid TOML: {error}", line=line) from None
    return parsed


def load_toml(path: Path) -> dict[str, Any]:
    """Read and parse one TOML file."""
    return parse_toml(read_text(path), path)
