"""Stable library path (docs/reference.md): the export is built in
`lockstrip.formats.uv.render.export`."""

from lockstrip.formats.uv.render.export import Export, Mode, build_export, write_export

__all__ = ["Export", "Mode", "build_export", "write_export"]
