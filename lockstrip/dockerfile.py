"""Stable library path: the Dockerfile is rendered in `lockstrip.formats.uv.render.dockerfile`."""

from lockstrip.formats.uv.render.dockerfile import render_dockerfile
from lockstrip.formats.uv.render.dockerfile_inputs import UV_VERSION

__all__ = ["UV_VERSION", "render_dockerfile"]
