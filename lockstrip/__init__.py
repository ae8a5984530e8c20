"""lockstrip: cache-stable exports and third-party digests of uv projects.

The library: `lockstrip.project.read_project` reads a project, `lockstrip.export` and
`lockstrip.digest` render the results (docs/reference.md). The package is laid out by stage:
`formats/uv/model` reads and validates, `formats/uv/selection` decides what one install
takes, `formats/uv/rules` strips, `formats/uv/render` renders; `commands/` wires each command
and `cli.py` is the one error boundary.
"""

__version__ = "0.1.0"
