"""Git repositories made from the history fixtures: one commit per `NNN-<sha>/` folder of a
series (fixtures/histories, or ../shared/histories unpacked), with the real commit's date
and subject, so that `lockstrip savings` reads real histories the way it reads a clone."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["build_repository"]


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def build_repository(series: Path, dest: Path, *, repeat: int = 1) -> Path:
    """A repository at `dest` whose history replays `series`, `repeat` times over (a longer
    history for a benchmark, with every step a real commit's change)."""
    rows = {}
    with (series / "commits.tsv").open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rows[row["NNN"]] = row
    folders = sorted(p for p in series.iterdir() if p.is_dir())
    dest.mkdir(parents=True)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "config", "user.email", "history@example.invalid")
    _git(dest, "config", "user.name", "history")
    for round_ in range(repeat):
        for folder in folders:
            row = rows[folder.name.split("-", 1)[0]]
            for entry in dest.iterdir():
                if entry.name != ".git":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            shutil.copytree(folder, dest, dirs_exist_ok=True)
            # The copies keep the fixtures' mtimes, and two versions of a file may share size
            # and mtime: git's index would take the new one for unchanged. Hash them all.
            _git(dest, "read-tree", "--empty")
            _git(dest, "add", "-A")
            env = {**os.environ, "GIT_COMMITTER_DATE": row["commit_date"]}
            env["GIT_AUTHOR_DATE"] = row["commit_date"]
            subject = row["subject"] if round_ == 0 else f"{row['subject']} (replay {round_})"
            _git(dest, "commit", "-q", "--allow-empty", "-m", subject, env=env)
    return dest
