"""Render a Dockerfile that uses lockstrip's export for a project: `lockstrip dockerfile`.

A new user should start from a Dockerfile that works for the project at hand, so the text is
derived from the project: a workspace or a single project, the Python of its lowest allowed
minor version, its name, and the build backends its local packages need. It is a pure
function of the `Project` and of this release (no clock, no paths of this machine), so the
same project always prints the same text. Every line is explained in examples/README.md;
tests/e2e builds this output with a real BuildKit and checks what stays cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lockstrip.formats.uv.model.project import Project

if TYPE_CHECKING:
    pass
from lockstrip.formats.uv.render.dockerfile_inputs import (
    IndexSecret,
    LockstripSource,
    build_requirements,
    fold_flag,
    lockstrip_python,
    parse_lockstrip_spec,
    python_minor,
    script_names,
    skip_local_flag,
)
from lockstrip.formats.uv.render.dockerfile_services import render_services, services
from lockstrip.formats.uv.render.dockerfile_stages import (
    _header,
    download_stage,
    export_stage,
    project_stage,
    uv_stage,
)

__all__ = ["render_dockerfile"]


def render_dockerfile(
    project: Project,
    *,
    lockstrip: LockstripSource | None = None,
    secrets: Sequence[IndexSecret] = (),
    packages: Sequence[str] = (),
) -> str:
    """The Dockerfile text for `project`, ready to build from the project folder.

    `lockstrip` is what the export stage installs (default: this release from the index);
    `secrets` are the indexes whose credentials the two `uv sync` steps read from BuildKit
    secret mounts (`index_secrets`). With `packages` (workspace members), the Dockerfile has
    one shared download stage and one final stage per member (`render_services`)."""
    if packages:
        chosen = services(project, packages)
        return render_services(project, chosen, lockstrip=lockstrip, secrets=secrets)
    minor = python_minor(project)
    requires = build_requirements(project)
    parts = [
        _header(project.root_name, secrets),
        export_stage(
            lockstrip_python(minor),
            minor,
            lockstrip or parse_lockstrip_spec(None),
            fold_flag(project),
        ),
        uv_stage(),
        download_stage(minor, skip_local_flag(project), requires, secrets),
        project_stage(
            bool(requires),
            outside=sorted(path for _, path in project.outside),
            scripts=script_names(project),
            secrets=secrets,
        ),
    ]
    return "\n".join(parts)
