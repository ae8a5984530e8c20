"""Read TOML files as uv reads them, fast where possible, with errors that name the file
and the line.

Which TOML is accepted must not depend on the machine: a file that one runner accepts and
another refuses would give a cache key on one and an error on the other. uv 0.13 reads
TOML 1.1 (multi-line inline tables, trailing commas in them, `\\e` and `\\xHH` escapes,
times without seconds), so both readers here read TOML 1.1, and tests/test_toml_readers.py
checks that they give uv's verdict on the same bytes. The stdlib `tomllib` reads only
TOML 1.0, so it is not one of them.

uv.lock files reach 4 MB and more, and the digest runs in pre-commit hooks, so the reader
is measured: the Rust reader `toml_rs` parses the 4 MB mteb lock in ~12 ms, `tomli` in
~170 ms as a compiled wheel (BENCHMARKS.md). `tomli` (2.4 or newer: TOML 1.1) is the
fallback where `toml_rs` has no wheel, and the reference: when the fast reader rejects a
file, `tomli` parses it again so that the error message is the same whichever reader runs,
with a line and a column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from lockstrip.errors import InputError
from lockstrip.io.files import read_bytes

__all__ = ["BACKEND", "TOML_VERSION", "load_toml", "parse_toml", "read_text"]

#: The TOML version uv reads, and so lockstrip's readers.
TOML_VERSION: Final = "1.1.0"

_fast: Callable[[str], dict[str, Any]] | None
try:
    import toml_rs

    def _toml_rs(text: str) -> dict[str, Any]:
        parsed: dict[str, Any] = toml_rs.loads(text, toml_version=TOML_VERSION)
        return parsed

    _fast = _toml_rs
    BACKEND = "toml_rs"
except ImportError:  # pragma: no cover - depends on the platform's wheels
    _fast = None
    BACKEND = "tomli"

_LINE = re.compile(r"line (\d+)")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, turning OS and decoding errors into `InputError`.

    Only a regular file of bounded size is read (`lockstrip.io.files.read_bytes`): a named
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
    import tomli  # here: a fast parse never needs it (3 ms of imports)

    try:
        parsed: dict[str, Any] = tomli.loads(text)
    except tomli.TOMLDecodeError as error:
        match = _LINE.search(str(error))
        line = int(match.group(1)) if match else None
        raise InputError(path, f"invalid TOML: {error}", line=line) from None
    return parsed


def load_toml(path: Path) -> dict[str, Any]:
    """Read and parse one TOML file."""
    return parse_toml(read_text(path), path)
