"""The workspace root's package: a command line over the member's function."""

import click
from app_core import greeting


@click.command()
def main() -> None:
    click.echo(greeting())
