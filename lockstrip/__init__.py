"""lockstrip: cache-stable exports and third-party digests of uv projects.

The library in four steps, one module each: `lockstrip.project.read_project` reads a
project, `lockstrip.volatile` decides what is volatile, `lockstrip.export` and
`lockstrip.digest` render the results.
"""

__version__ = "0.1.0"
