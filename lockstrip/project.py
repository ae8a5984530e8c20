"""Stable library path (docs/reference.md): reading a project lives in
`lockstrip.formats.uv.model.project`."""

from lockstrip.formats.uv.model.project import MemoryFiles, Project, read_files, read_project

__all__ = ["MemoryFiles", "Project", "read_files", "read_project"]
