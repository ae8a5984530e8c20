"""Both TOML readers give uv's verdict on the same bytes (lockstrip.io.tomlread).

uv 0.13.8 reads TOML 1.1; the stdlib tomllib reads TOML 1.0. A reader that refused what uv
accepts would make a digest an error on a machine without toml-rs, and a key on another:
each case below is a pyproject.toml (or uv.lock) that uv itself is asked about, and
lockstrip must accept it exactly when uv does, with toml-rs and with its fallback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import FIXTURES, run_uv, tomllib

from lockstrip.errors import InputError
from lockstrip.formats.uv.model.project import read_project
from lockstrip.io import tomlread

SMALL = FIXTURES / "astral-sh__uv-docker-example"

#: Values appended to pyproject.toml under [tool.x]: TOML 1.1's additions first (uv accepts
#: them, tomllib does not), then what neither version allows, then TOML 1.0 corners.
PYPROJECT_CASES = {
    "multi-line inline table": "t = {\n  a = 1,\n  b = 2\n}\n",
    "trailing comma in an inline table": "t = { a = 1, b = 2, }\n",
    "comment in an inline table": "t = {\n a = 1, # why\n}\n",
    "escape \\e": 's = "a\\eb"\n',
    "escape \\xHH": 's = "a\\x41b"\n',
    "time without seconds": "t = 07:32\n",
    "datetime without seconds": "t = 1979-05-27T07:32Z\n",
    "duplicate key": "a = 1\na = 2\n",
    "unknown escape": 's = "a\\qb"\n',
    "leading zero": "n = 01\n",
    "control character": 's = "a\x01b"\n',
    "DEL character": 's = "a\x7fb"\n',
    "surrogate escape": 's = "\\ud800"\n',
    "bare carriage return": "s = 1\r t = 2\n",
    "inline table extended": "t = { a = 1 }\n[tool.x.t]\nb = 2\n",
    "non-ASCII bare key": "\u00e4 = 1\n",
    "empty quoted key": '"" = 1\n',
    "trailing comma in an array": "a = [1, 2,]\n",
    "nan": "n = nan\n",
    "integer past 64 bits": "n = 99999999999999999999\n",
    "local date": "d = 1979-05-27\n",
}

#: Edits of uv.lock's text: (old, new), the first occurrence.
LOCK_CASES = {
    "trailing comma in a lock edge": (
        '{ name = "fastapi", extra = ["standard"] }',
        '{ name = "fastapi", extra = ["standard"], }',
    ),
    "multi-line lock edge": (
        '{ name = "fastapi", extra = ["standard"] }',
        '{\n    name = "fastapi",\n    extra = ["standard"]\n}',
    ),
    "unterminated lock edge": (
        '{ name = "fastapi", extra = ["standard"] }',
        '{ name = "fastapi", extra = ["standard"]',
    ),
}


def make_case(name: str, folder: Path) -> Path:
    shutil.copytree(SMALL, folder)
    if name in PYPROJECT_CASES:
        path = folder / "pyproject.toml"
        text = path.read_text() + "\n[tool.x]\n" + PYPROJECT_CASES[name]
    else:
        path = folder / "uv.lock"
        old, new = LOCK_CASES[name]
        text = path.read_text()
        assert old in text
        text = text.replace(old, new, 1)
    path.write_bytes(text.encode())
    return folder


def lockstrip_accepts(folder: Path) -> bool:
    try:
        read_project(folder)
    except InputError as error:
        assert "invalid TOML" in str(error), error
        return False
    return True


@pytest.fixture(scope="module")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


@pytest.mark.parametrize("name", [*PYPROJECT_CASES, *LOCK_CASES])
def test_each_reader_gives_uvs_verdict(
    name: str, tmp_path: Path, uv_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case(name, tmp_path / "project")
    uv = run_uv(["export", "--frozen", "--no-header", "--quiet"], folder, uv_cache)
    uv_accepts = uv.returncode == 0
    assert uv_accepts or "parse" in uv.stderr, uv.stderr  # refused for its TOML, not else
    verdicts = {tomlread.BACKEND: lockstrip_accepts(folder)}
    monkeypatch.setattr(tomlread, "_fast", None)
    verdicts["tomli"] = lockstrip_accepts(folder)
    assert verdicts == dict.fromkeys(verdicts, uv_accepts)


def test_the_cases_tell_toml_1_1_from_1_0() -> None:
    """At least one case is TOML 1.1 that tomllib refuses: a TOML 1.0 fallback fails above."""
    refused = []
    for name, value in PYPROJECT_CASES.items():
        try:
            tomllib.loads(value)
        except tomllib.TOMLDecodeError:
            refused.append(name)
    assert "multi-line inline table" in refused and "escape \\e" in refused


def test_the_error_names_the_file_and_line_with_either_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_case("duplicate key", tmp_path / "project")
    messages = []
    for fast in (tomlread._fast, None):
        monkeypatch.setattr(tomlread, "_fast", fast)
        with pytest.raises(InputError) as error:
            read_project(folder)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith(f"{folder / 'pyproject.toml'}:")
