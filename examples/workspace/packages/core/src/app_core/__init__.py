"""The workspace member's package."""

import attrs


@attrs.frozen
class Greeting:
    text: str


def greeting() -> str:
    return Greeting("hello from the workspace").text
