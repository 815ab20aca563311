"""``advocacy-flow users create``: a user and a first token."""

from __future__ import annotations

import sys

import click

from service.base.config import Settings
from service.cli.common import open_database


@click.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "commissioner", "manager", "advocate", "auditor"])
)
@click.option("--password", default=None, help="Generated and printed when not given.")
@click.option("--languages", default=None, help='Language codes the user works in, e.g. "en,cy".')
def users_create(name: str, role: str, password: str | None, languages: str | None) -> None:
    """Create a user and print a token for it."""
    from service.access import auth
    from service.base.problems import Problem

    settings = Settings.from_env()
    database = open_database(settings)

    def run(session):
        codes = [c.strip() for c in languages.split(",") if c.strip()] if languages is not None else None
        user, used = auth.create_user(session, name, role, password, languages=codes)
        token, expires = auth.issue_token(session, user, settings.token_ttl_hours)
        return used, token, expires

    try:
        used, token, expires = database.run(run)
    except Problem as err:
        click.echo(f"refused: {err.detail}", err=True)
        sys.exit(1)
    click.echo(f"user {name} ({role}) created")
    if password is None:
        click.echo(f"password: {used}")
    click.echo(f"token: {token}")
    click.echo(f"expires: {expires.isoformat()}")
