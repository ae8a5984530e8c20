"""A one-file PEP 517 backend that needs nothing installed, written into every generated
local package and every sdist of the universe, so that uv can build them offline.

It reads `[project]` from pyproject.toml: dependencies, optional dependencies (as
`extra == "..."` markers), requires-python, and a dynamic version from a VERSION file.
"""

from __future__ import annotations

__all__ = ["BACKEND", "BUILD_SYSTEM"]

#: The `[build-system]` table of a package that carries backend.py beside its pyproject.
BUILD_SYSTEM = {"requires": [], "build-backend": "backend", "backend-path": ["."]}

BACKEND = '''\
"""PEP 517 backend with no requirements: pure wheels from pyproject.toml's [project]."""
import base64, hashlib, io, tarfile, tomllib, zipfile
from pathlib import Path


def _project():
    project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
    if "version" in project.get("dynamic", ()):
        project["version"] = Path("VERSION").read_text().strip()
    return project


def _with_extra(requirement, extra):
    spec, _, marker = requirement.partition(";")
    if marker.strip():
        return f'{spec.strip()}; ({marker.strip()}) and extra == "{extra}"'
    return f'{spec.strip()}; extra == "{extra}"'


def _metadata(project):
    text = f"Metadata-Version: 2.1\\nName: {project['name']}\\nVersion: {project['version']}\\n"
    if "requires-python" in project:
        text += f"Requires-Python: {project['requires-python']}\\n"
    text += "".join(f"Requires-Dist: {r}\\n" for r in project.get("dependencies", []))
    for extra, requires in project.get("optional-dependencies", {}).items():
        text += f"Provides-Extra: {extra}\\n"
        text += "".join(f"Requires-Dist: {_with_extra(r, extra)}\\n" for r in requires)
    return text


def _dist_info(project):
    return f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_sdist = get_requires_for_build_wheel


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    folder = Path(metadata_directory) / _dist_info(project)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "METADATA").write_text(_metadata(project))
    return folder.name


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    module = project["name"].replace("-", "_")
    info = _dist_info(project)
    files = {
        f"{module}/__init__.py": f"VERSION = {project['version']!r}\\n".encode(),
        f"{info}/METADATA": _metadata(project).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\n"
        b"Tag: py3-none-any\\n",
    }
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\\n"
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\\n").encode()
    filename = f"{module}-{project['version']}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / filename, "w") as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), data)
    return filename


build_editable = build_wheel


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    base = f"{project['name'].replace('-', '_')}-{project['version']}"
    names = ["pyproject.toml", "backend.py"] + (["VERSION"] if Path("VERSION").exists() else [])
    with tarfile.open(Path(sdist_directory) / f"{base}.tar.gz", "w:gz") as archive:
        for name in names:
            data = Path(name).read_bytes()
            info = tarfile.TarInfo(f"{base}/{name}")
            info.size, info.mtime = len(data), 1577836800
            archive.addfile(info, io.BytesIO(data))
        data = _metadata(project).encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size, info.mtime = len(data), 1577836800
        archive.addfile(info, io.BytesIO(data))
    return f"{base}.tar.gz"
'''
