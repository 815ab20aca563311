"""``advocacy-flow migrate``: move running instances to another version of their diagram (as POST /migrations)."""

from __future__ import annotations

import json
import sys

import click

from service.access.permissions import Actor
from service.base.config import Settings
from service.base.problems import Problem
from service.cases import migrations
from service.cli.common import open_database


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise click.BadParameter(f"{pair!r} is not OLD=NEW", param_hint="--map")
        if old.strip() in mapping:
            raise click.BadParameter(f"{old.strip()!r} is mapped twice", param_hint="--map")
        mapping[old.strip()] = new.strip()
    return mapping


@click.command("migrate")
@click.option("--process", required=True, help="The process key.")
@click.option("--to-version", "to_version", required=True, type=int, help="The version to move to.")
@click.option(
    "--map", "pairs", multiple=True, metavar="OLD=NEW", help="Old activity id onto new (repeatable)."
)
@click.option(
    "--instance", "instance_ids", multiple=True, help="One instance (repeatable; default: every running one)."
)
@click.option("--dry-run", is_flag=True, help="Check every instance, move none.")
def migrate(
    process: str, to_version: int, pairs: tuple[str, ...], instance_ids: tuple[str, ...], dry_run: bool
) -> None:
    """Move running instances to --to-version; prints one line per instance (JSON); exit 1 if any was refused."""
    mapping = _mapping(pairs)
    database = open_database(Settings.from_env())
    try:
        items = migrations.migrate(
            database,
            Actor("cli", "admin"),
            process,
            to_version,
            mapping,
            list(instance_ids) or None,
            dry_run,
        )
    except Problem as err:
        click.echo(err.detail, err=True)
        for field, messages in (err.errors or {}).items():
            for message in messages:
                click.echo(f"  {field}: {message}", err=True)
        sys.exit(1)
    for item in items:
        click.echo(json.dumps(item, sort_keys=True))
    refused = [i for i in items if not i["ok"]]
    verb = "would move" if dry_run else "moved"
    click.echo(f"{len(items) - len(refused)} {verb}, {len(refused)} refused", err=True)
    if refused:
        sys.exit(1)
