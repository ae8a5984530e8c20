"""A savings report, whatever the lock format: per commit of the project's history, whether
the download layer of the lock tool's documented Dockerfile and of lockstrip's would
rebuild, and what a rebuild downloads; a summary read in seconds, a line per commit, JSON
and an SVG chart of rebuilds and bytes over the history (docs/savings.md)."""

from __future__ import annotations

from html import escape
from typing import Any, NamedTuple

from lockstrip.io.history import Commit

__all__ = ["CommitReport", "Download", "Report", "render_svg", "render_text"]


class Download(NamedTuple):
    """What one rebuild of the download layer fetches."""

    files: int
    bytes: int
    unsized: int  # files whose size the lock does not record (counted, not summed)


class CommitReport(NamedTuple):
    commit: Commit
    uv_rebuilds: bool
    lockstrip_rebuilds: bool
    download: Download | None  # None where the project could not be read
    reasons: tuple[str, ...]  # why lockstrip's layer rebuilds, in dependency terms
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit.sha,
            "date": self.commit.date,
            "subject": self.commit.subject,
            "uv_pattern_rebuilds": self.uv_rebuilds,
            "lockstrip_rebuilds": self.lockstrip_rebuilds,
            "download": self.download._asdict() if self.download else None,
            "reasons": list(self.reasons),
            "error": self.error,
        }


class Report(NamedTuple):
    project: str
    scope: tuple[str, ...]
    target: str
    commits: tuple[CommitReport, ...]
    notes: tuple[str, ...]  # a shallow clone, commits that could not be read

    def totals(self) -> dict[str, int]:
        def total(pattern: str, field: str) -> int:
            return sum(
                getattr(c.download, field)
                for c in self.commits
                if c.download is not None and getattr(c, pattern)
            )

        return {
            "commits": len(self.commits),
            "uv_pattern_rebuilds": sum(c.uv_rebuilds for c in self.commits),
            "lockstrip_rebuilds": sum(c.lockstrip_rebuilds for c in self.commits),
            "uv_pattern_bytes": total("uv_rebuilds", "bytes"),
            "lockstrip_bytes": total("lockstrip_rebuilds", "bytes"),
            "uv_pattern_requests": total("uv_rebuilds", "files"),
            "lockstrip_requests": total("lockstrip_rebuilds", "files"),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "scope": list(self.scope),
            "target": self.target,
            "totals": self.totals(),
            "notes": list(self.notes),
            "commits": [c.as_json() for c in self.commits],
        }


_REASONS_SHOWN = 4


def _bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def render_text(report: Report, *, verbose: bool = True) -> str:
    """The summary table, then (verbose) a line per commit with its reasons."""
    t = report.totals()
    lines = [
        f"lockstrip savings: {_count(t['commits'], 'commit')} that touched the lock or a "
        f"pyproject.toml, for `{' '.join(report.scope)}` on {report.target}",
        "",
        f"  {'':24}{'uv pattern':>14}{'lockstrip':>14}{'avoided':>14}",
    ]
    for label, key, shown in (
        ("download-layer rebuilds", "rebuilds", str),
        ("bytes downloaded", "bytes", _bytes),
        ("requests to the index", "requests", str),
    ):
        today, ours = t[f"uv_pattern_{key}"], t[f"lockstrip_{key}"]
        cells = [shown(v) if shown is _bytes else f"{v:,}" for v in (today, ours, today - ours)]
        lines.append(f"  {label:24}{cells[0]:>14}{cells[1]:>14}{cells[2]:>14}")
    lines.append("")
    lines += [f"note: {note}" for note in report.notes]
    if verbose and report.commits:
        lines.append("commits (U: uv's pattern rebuilds, L: lockstrip's rebuilds):")
        lines += [line for commit in report.commits for line in _commit_lines(commit)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _commit_lines(commit: CommitReport) -> list[str]:
    marks = ("U" if commit.uv_rebuilds else "-") + ("L" if commit.lockstrip_rebuilds else "-")
    size = (
        f" {_bytes(commit.download.bytes)}" if commit.download and commit.lockstrip_rebuilds else ""
    )
    head = f"  {marks} {commit.commit.sha[:10]} {commit.commit.date[:10]} {commit.commit.subject}"
    lines = [head[:100] + size]
    if commit.error:
        return [*lines, f"       cannot read: {commit.error}"]
    if commit.uv_rebuilds and not commit.lockstrip_rebuilds:
        return [*lines, "       only volatile fields changed: lockstrip's layer stays cached"]
    shown = list(commit.reasons[:_REASONS_SHOWN])
    if len(commit.reasons) > _REASONS_SHOWN:
        shown.append(f"… {len(commit.reasons) - _REASONS_SHOWN} more (lockstrip diff --git)")
    return [*lines, *(f"       {reason}" for reason in shown)]


def render_svg(report: Report) -> str:
    """Cumulative rebuilds of both layers (lines) and the bytes each commit's rebuild
    downloads (bars: grey where only uv's pattern rebuilds, green where lockstrip's does)."""
    width, height, left, right, top, bottom = 760, 380, 64, 80, 64, 48
    inner_w, inner_h = width - left - right, height - top - bottom
    commits = report.commits
    n = max(len(commits), 1)
    step = inner_w / n
    uv_total = lockstrip_total = 0
    uv_points, lockstrip_points, bars = [], [], []
    largest = max((c.download.bytes for c in commits if c.download), default=0) or 1
    rebuilds = max(sum(c.uv_rebuilds for c in commits), 1)
    for i, commit in enumerate(commits):
        uv_total += commit.uv_rebuilds
        lockstrip_total += commit.lockstrip_rebuilds
        x = left + step * (i + 0.5)
        uv_points.append(f"{x:.1f},{top + inner_h * (1 - uv_total / rebuilds):.1f}")
        lockstrip_points.append(f"{x:.1f},{top + inner_h * (1 - lockstrip_total / rebuilds):.1f}")
        if commit.download and commit.uv_rebuilds:
            h = inner_h * 0.45 * commit.download.bytes / largest
            colour = "#2e9d4f" if commit.lockstrip_rebuilds else "#c9c9c9"
            bars.append(
                f'<rect x="{x - step * 0.4:.1f}" y="{top + inner_h - h:.1f}" '
                f'width="{max(step * 0.8, 0.5):.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(commit.commit.sha[:10])} {escape(_bytes(commit.download.bytes))}"
                f"</title></rect>"
            )
    t = report.totals()
    title = (
        f"{t['commits']} commits: the download layer rebuilt {t['uv_pattern_rebuilds']} times with "
        f"uv's pattern, {t['lockstrip_rebuilds']} with lockstrip"
    )
    subtitle = (
        f"{_bytes(t['uv_pattern_bytes'] - t['lockstrip_bytes'])} and "
        f"{t['uv_pattern_requests'] - t['lockstrip_requests']:,} requests not downloaded"
    )
    tick = top + inner_h * 0.55  # the tallest bar's top
    first = commits[0].commit.date[:10] if commits else ""
    last = commits[-1].commit.date[:10] if commits else ""
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="{left}" y="22" font-size="14">{escape(title)}</text>',
            f'<text x="{left}" y="42" fill="#555">{escape(subtitle)}</text>',
            f'<line x1="{left}" y1="{top + inner_h}" x2="{left + inner_w}" '
            f'y2="{top + inner_h}" stroke="#888"/>',
            *bars,
            f'<polyline points="{" ".join(uv_points)}" fill="none" stroke="#d1495b" '
            'stroke-width="2"/>',
            f'<polyline points="{" ".join(lockstrip_points)}" fill="none" stroke="#2e9d4f" '
            'stroke-width="2"/>',
            f'<text x="{left}" y="{height - 18}">{escape(first)}</text>',
            f'<text x="{left + inner_w}" y="{height - 18}" text-anchor="end">{escape(last)}</text>',
            f'<text x="{left - 8}" y="{top + 4}" text-anchor="end">{rebuilds}</text>',
            f'<text x="{left - 8}" y="{top + inner_h}" text-anchor="end">0</text>',
            f'<line x1="{left + inner_w}" y1="{tick:.1f}" x2="{left + inner_w + 6}" '
            f'y2="{tick:.1f}" stroke="#888"/>',
            f'<text x="{left + inner_w + 8}" y="{tick + 4:.1f}">{_bytes(largest)}</text>',
            f'<text x="{left + 8}" y="{top + 14}" fill="#d1495b">rebuilds, uv pattern '
            f"({t['uv_pattern_rebuilds']})</text>",
            f'<text x="{left + 8}" y="{top + 30}" fill="#2e9d4f">rebuilds, lockstrip '
            f"({t['lockstrip_rebuilds']})</text>",
            f'<text x="{left + 8}" y="{top + 46}" fill="#777">bars: bytes a rebuild downloads '
            "(grey: avoided)</text>",
            "</svg>",
            "",
        ]
    )
