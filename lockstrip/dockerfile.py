"""Stable library path: the Dockerfile is rendered in `lockstrip.formats.uv.render.dockerfile`."""

from lockstrip.formats.uv.render.dockerfile import UV_VERSION, render_dockerfile

__all__ = ["UV_VERSION", "render_dockerfile"]
