"""The seam between the commands and a lock format.

A format is one subpackage of `lockstrip.formats` (uv's is `formats/uv/`) that reads its lock
and the project's files into its own model, and answers every command through `LockFormat`.
The commands see only this class, the records it returns (`io.export_folder.Export`,
`Digest`, `formats.explanation.Explanation`) and `LockedProject`; `lockstrip.formats.detect`
picks the format a folder holds. Adding Poetry's or PDM's lock is a new subpackage with a
`FORMAT` and one line in the registry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar

from lockstrip.errors import InputError

if TYPE_CHECKING:
    from lockstrip.environment.target import Target
    from lockstrip.formats.explanation import Explanation
    from lockstrip.formats.request import Scope, Skip
    from lockstrip.formats.savings import Report
    from lockstrip.io.export_folder import Export, Mode
    from lockstrip.io.project_files import ProjectFiles

__all__ = ["Digest", "FormatError", "LockFormat", "LockedProject"]


class FormatError(InputError):
    """A lock (or a project file beside it) that its format cannot read: names the file."""


class LockedProject(Protocol):
    """What the commands read of a format's project model."""

    @property
    def root(self) -> Path: ...

    @property
    def requires_python(self) -> tuple[str | None, Path]:
        """The Python versions the lock allows, and the file that says so (for messages)."""
        ...


class Digest(NamedTuple):
    """A digest of the third-party set, and what it covers."""

    value: str  # "sha256:<64 hex>"
    packages: int  # third-party packages
    local_packages: int
    artifacts: int
    lock_version: int
    lock_revision: int

    def as_json(self) -> dict[str, Any]:
        return {
            "digest": self.value,
            "packages": self.packages,
            "local_packages": self.local_packages,
            "artifacts": self.artifacts,
            "lock": {"version": self.lock_version, "revision": self.lock_revision},
        }


P = TypeVar("P", bound=LockedProject)


class LockFormat(ABC, Generic[P]):
    """One lock format: how to read a project that uses it, and what each command gets."""

    #: the format's name, and the lock file whose presence says a folder uses it
    name: str
    lock_file: str

    def holds(self, folder: Path) -> bool:
        """Whether `folder` holds this format's lock."""
        return (folder / self.lock_file).is_file()

    @abstractmethod
    def read_files(self, files: ProjectFiles, root: Path) -> P:
        """Read and validate the project whose files `files` gives (a folder, files in
        memory, a git revision); `root` is where it lives, for messages and exports."""

    def read(self, folder: Path) -> P:
        """Read and validate the project (or export) in `folder`."""
        from lockstrip.io.project_files import FolderFiles

        if not folder.is_dir():
            raise FormatError(folder, "not a folder" if folder.exists() else "no such folder")
        return self.read_files(FolderFiles(folder), folder)

    def read_texts(self, texts: Mapping[str, str], root: Path) -> P:
        """Read a project from files held in memory (relative path -> text), e.g. an export
        just built, as if they were at `root`."""
        from lockstrip.io.project_files import MemoryFiles

        return self.read_files(MemoryFiles(texts, root), root)

    def read_revision(self, folder: Path, rev: str) -> P:
        """Read the project in `folder` as it was at git revision `rev`."""
        from lockstrip.io.git import revision_files

        return self.read_files(revision_files(folder, rev), folder)

    @abstractmethod
    def export(
        self,
        project: P,
        mode: Mode = "frozen",
        scope: Scope | None = None,
        target: Target | None = None,
        *,
        requirements: bool = False,
        skip: Skip | None = None,
    ) -> Export:
        """The export's files for one install (or the whole project)."""

    @abstractmethod
    def digest(
        self, project: P, scope: Scope | None = None, target: Target | None = None
    ) -> Digest:
        """The digest of the third-party set, or of what one install takes from it."""

    @abstractmethod
    def explain(self, old: P, new: P) -> Explanation:
        """What changed from `old` to `new`, in dependency terms."""

    @abstractmethod
    def dockerfile(
        self,
        folder: Path,
        *,
        lockstrip_spec: str | None = None,
        secrets: Sequence[str] = (),
        packages: Sequence[str] = (),
    ) -> str:
        """The Dockerfile for the project in `folder` (read here, after the options)."""

    @abstractmethod
    def fetch(
        self,
        project: P,
        scope: Scope | None,
        target: Target,
        dest: Path,
        *,
        jobs: int,
        retries: int,
        quiet: bool,
    ) -> bool:
        """Fill the wheelhouse `dest` with what one install on `target` downloads; whether
        it holds everything (failures and what cannot be fetched are reported)."""

    #: The module that reads one commit for `lockstrip savings` (its `state` and `reasons`,
    #: formats/replay.py); None when the format has none.
    savings_module: str | None = None

    def download_scope(self) -> Scope:
        """The scope of the generated Dockerfile's download step: what `savings` counts."""
        from lockstrip.formats.request import Scope

        return Scope(no_dev=True)

    def savings(
        self,
        folder: Path,
        *,
        since: str | None,
        max_count: int | None,
        scope: Scope | None,
        python_version: str | None,
        python_platform: str | None,
        jobs: int | None = None,
    ) -> Report:
        """What lockstrip's download layer saves over the project's git history, against
        the lock tool's documented Dockerfile (`lockstrip savings`)."""
        if self.savings_module is None:
            raise FormatError(folder, f"`lockstrip savings` does not read {self.name} projects yet")
        from lockstrip.formats.replay import Replay, replay

        return replay(
            Replay(self.savings_module, self.lock_file),
            folder,
            scope or self.download_scope(),
            since=since,
            max_count=max_count,
            python_version=python_version,
            python_platform=python_platform,
            jobs=jobs,
        )
