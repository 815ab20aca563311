"""``advocacy-flow demo``: demo users, SLAs and instances."""

from __future__ import annotations

import click

from service.base.config import Settings
from service.cli.common import open_database


@click.command()
def demo() -> None:
    """Load demo users, SLAs and instances; print the logins."""
    from service.demo import load

    settings = Settings.from_env()
    for line in load(open_database(settings)):
        click.echo(line)
