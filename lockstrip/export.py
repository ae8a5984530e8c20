"""Stable library path (docs/reference.md): the export is built in
`lockstrip.formats.uv.render.export`."""

from lockstrip.formats.uv.render.export import Mode, build_export
from lockstrip.io.export_folder import Export, write_export

__all__ = ["Export", "Mode", "build_export", "write_export"]
