"""``advocacy-flow audit verify | export | cleanup``: the record, straight from the database."""

from __future__ import annotations

import json
import sys

import click

from service.base.config import Settings
from service.cases import export as exports
from service.cases import retention, verification
from service.cli.common import open_database


def _db():
    return open_database(Settings.from_env())


@click.group()
def audit() -> None:
    """Verify, export and clean up the hash-chained history."""


@audit.command("verify")
@click.option("--instance", "instance_id", default=None, help="One instance (default: every chain).")
def verify(instance_id: str | None) -> None:
    """Check every hash chain from the rows; exit 1 naming the instance and seq of the first broken link."""

    instances, events, broken = _db().read(verification.verify_chains, instance_id)
    if instance_id is not None and not instances and not broken:
        click.echo(f"no history for instance {instance_id}", err=True)
        sys.exit(1)
    for link in broken:
        click.echo(f"BROKEN {link}")
    if broken:
        first = broken[0]
        click.echo(f"{len(broken)} broken chain(s); first: {first.where} seq {first.seq}", err=True)
        sys.exit(1)
    click.echo(f"OK: {instances} instance(s), {events} event(s), every chain intact")


@audit.command("export")
@click.option("--instance", "instance_id", required=True)
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
def export(instance_id: str, fmt: str) -> None:
    """Print one instance's full history with its hashes (verify it offline: docs/AUDIT.md)."""
    from service.base.problems import Problem

    try:
        record = _db().read(exports.export, instance_id)
    except Problem as err:
        click.echo(err.detail, err=True)
        sys.exit(1)
    if fmt == "csv":
        click.echo(exports.to_csv(record["items"]), nl=False)
    else:
        click.echo(json.dumps(record, indent=2, sort_keys=True, ensure_ascii=True))


@audit.command("cleanup")
@click.option(
    "--older-than-days",
    "days",
    type=click.IntRange(0),
    default=None,
    help="Retention in days after an instance ended (default: ADVOCACY_FLOW_RETENTION_DAYS, or 2190).",
)
def cleanup(days: int | None) -> None:
    """Remove finished instances past their removal time; record what was removed in the retention log."""

    entry = _db().run(retention.cleanup, None, days)
    if entry is None:
        click.echo("nothing to remove")
        return
    data = entry["data"]
    click.echo(
        f"removed {data['count']} instance(s), {data['events_removed']} event(s), "
        f"ended up to {data['range']['ended_until']}; retention log seq {entry['seq']} {entry['hash']}"
    )
    for instance_id in data["instance_ids"]:
        click.echo(f"  {instance_id}")
