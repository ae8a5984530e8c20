"""Stable library path (docs/reference.md): the digest is computed in
`lockstrip.formats.uv.render.digest`."""

from lockstrip.formats.uv.render.digest import Digest, compute_digest

__all__ = ["Digest", "compute_digest"]
