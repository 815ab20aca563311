"""``advocacy-flow deploy``: BPMN/DMN files and their forms into the database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from service.base.config import ROOT, Settings
from service.cli.common import open_database


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--forms",
    "forms_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Default: forms/ beside bpmn/.",
)
def deploy(paths: tuple[Path, ...], forms_dir: Path | None) -> None:
    """Deploy BPMN/DMN files (default: bpmn/) with their forms."""
    from service.base.problems import Problem
    from service.cases import definitions

    chosen = list(paths) or [ROOT / "bpmn"]
    forms_dir = forms_dir or (ROOT / "forms")
    files, forms = definitions.read_directory(chosen, forms_dir)
    database = open_database(Settings.from_env())

    try:
        deployed = database.run(definitions.deploy, files, forms, "cli", strict_forms=False)
    except Problem as err:
        click.echo(f"deploy refused: {err.detail}", err=True)
        for where, messages in (err.errors or {}).items():
            for message in messages:
                click.echo(f"  {where}: {message}", err=True)
        sys.exit(1)
    for item in deployed:
        d = item.definition
        click.echo(
            f"{d.key} version {d.version} {'deployed' if item.created else 'unchanged'} ({d.checksum[:12]})"
        )
