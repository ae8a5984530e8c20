"""What the user asks one install to take: uv's selection options (`Scope`) and the local
packages an install leaves out (`Skip`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from lockstrip.environment.target import Target

from lockstrip.io.export_folder import Mode

__all__ = ["SKIPS", "Mode", "Scope", "Skip", "target_args"]


class Scope(NamedTuple):
    """uv's selection options, with uv's names and meaning."""

    groups: tuple[str, ...] = ()  # --group
    only_groups: tuple[str, ...] = ()  # --only-group (implies no project dependencies)
    no_groups: tuple[str, ...] = ()  # --no-group
    no_dev: bool = False  # --no-dev
    no_default_groups: bool = False  # --no-default-groups
    all_groups: bool = False  # --all-groups
    extras: tuple[str, ...] = ()  # --extra
    all_extras: bool = False  # --all-extras
    packages: tuple[str, ...] = ()  # --package
    all_packages: bool = False  # --all-packages

    def describe(self) -> dict[str, Any]:
        """The options that differ from the defaults, for JSON output and the digest."""
        return {k: v for k, v in self._asdict().items() if v not in ((), False)}

    def to_args(self) -> list[str]:
        """The command-line options that give this scope, in a fixed order."""
        args = []
        for field, value in self._asdict().items():
            flag = "--" + _FLAGS.get(field, field).replace("_", "-")
            if value is True:
                args.append(flag)
            elif isinstance(value, tuple):
                for item in value:
                    args += [flag, item]
        return args


#: Scope fields whose option name is not the field name, singular.
_FLAGS = {
    "groups": "group",
    "only_groups": "only-group",
    "no_groups": "no-group",
    "extras": "extra",
    "packages": "package",
}


def target_args(target: Target | None) -> list[str]:
    """The command-line options that give this target."""
    if target is None:
        return []
    return ["--python-version", target.python_version, "--python-platform", target.platform]


#: `uv sync --no-install-workspace` (every workspace member, the root project too) and
#: `--no-install-local` (every local package, path dependencies too).
Skip = Literal["workspace", "local"]


SKIPS: tuple[Skip, ...] = ("workspace", "local")
