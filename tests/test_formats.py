"""The seam for a second lock format: a format is a `LockFormat` and a line in the registry,
and every command reaches the lock only through it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from conftest import SMALL

import lockstrip.formats
from lockstrip.cli import run
from lockstrip.environment.target import Target
from lockstrip.formats import detect, registered
from lockstrip.formats.explanation import Explanation
from lockstrip.formats.interface import Digest, LockFormat
from lockstrip.formats.pdm import PdmFormat
from lockstrip.formats.poetry import PoetryFormat
from lockstrip.formats.request import Scope, Skip
from lockstrip.formats.uv import UvFormat
from lockstrip.io.export_folder import Export, Mode
from lockstrip.io.project_files import ProjectFiles


class ToyProject(NamedTuple):
    root: Path
    requires_python: tuple[str | None, Path]


class ToyFormat(LockFormat[ToyProject]):
    """A lock format of one file, `toy.lock`, whose digest is its text."""

    name = "toy"
    lock_file = "toy.lock"

    def read_files(self, files: ProjectFiles, root: Path) -> ToyProject:
        return ToyProject(root, (">=3.10", files.where(self.lock_file)))

    def export(
        self,
        project: ToyProject,
        mode: Mode = "frozen",
        scope: Scope | None = None,
        target: Target | None = None,
        *,
        requirements: bool = False,
        skip: Skip | None = None,
    ) -> Export:
        return Export({"toy.lock": (project.root / self.lock_file).read_text()}, ())

    def digest(
        self, project: ToyProject, scope: Scope | None = None, target: Target | None = None
    ) -> Digest:
        text = (project.root / self.lock_file).read_text().strip()
        return Digest(f"toy:{text}", 1, 0, 1, 1, 1)

    def explain(self, old: ToyProject, new: ToyProject) -> Explanation:
        raise NotImplementedError

    def dockerfile(
        self,
        folder: Path,
        *,
        lockstrip_spec: str | None = None,
        secrets: Sequence[str] = (),
        packages: Sequence[str] = (),
    ) -> str:
        return "FROM scratch\n"

    def fetch(self, project: ToyProject, scope: Any, target: Any, dest: Path, **_: Any) -> bool:
        return True


FORMAT = ToyFormat()


def test_uv_is_registered_and_the_default() -> None:
    assert [type(f) for f in registered()] == [UvFormat, PoetryFormat, PdmFormat]
    assert detect(SMALL).name == "uv"
    assert detect(Path("/nonexistent")).name == "uv"  # its reader says what is missing


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(
        lockstrip.formats,
        "_REGISTERED",
        (("lockstrip.formats.uv", "uv.lock"), (__name__, "toy.lock")),
    )
    (tmp_path / "toy.lock").write_text("42\n")
    return tmp_path


def test_a_registered_format_is_detected_by_its_lock(toy: Path) -> None:
    assert detect(toy).name == "toy"
    assert detect(SMALL).name == "uv"


def test_the_commands_reach_the_lock_through_the_format(
    toy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["digest", str(toy)]) == 0
    assert capsys.readouterr().out == "toy:42\n"
    assert run(["dockerfile", str(toy)]) == 0
    assert capsys.readouterr().out == "FROM scratch\n"
    assert run(["export", str(toy), "--out", str(toy / "out"), "-q"]) == 0
    assert (toy / "out" / "toy.lock").read_text() == "42\n"
