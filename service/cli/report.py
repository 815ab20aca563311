"""``advocacy-flow report quarterly | commissioning``: the commissioner reports, straight from the database."""

from __future__ import annotations

import json
import sys

import click

from service.base.config import Settings
from service.cli.common import open_database


def _db():
    return open_database(Settings.from_env())


@click.group()
def report() -> None:
    """Commissioner reports: the quarterly monitoring return, the commissioning cycles."""


@report.command("quarterly")
@click.option("--sla", "sla_key", required=True, help="The SLA key, e.g. default.")
@click.option("--quarter", required=True, help="e.g. 2026Q1 (1 January to 31 March, Europe/London).")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="json", show_default=True
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file instead of printing (needed for xlsx).",
)
@click.option(
    "--language",
    type=click.Choice(["en", "cy"]),
    default="en",
    show_default=True,
    help="The language of the CSV header and of the spreadsheet's titles and labels.",
)
@click.option(
    "--as-role",
    "role",
    type=click.Choice(["commissioner", "manager", "auditor"]),
    default="manager",
    show_default=True,
    help="commissioner: counts under 5 shown as <5 and rates over fewer than 5 cases as null.",
)
@click.option("--stories", type=click.IntRange(0, 500), default=50, show_default=True)
def quarterly(
    sla_key: str, quarter: str, fmt: str, output: str | None, language: str, role: str, stories: int
) -> None:
    """Print the quarterly monitoring return of one SLA (the same figures as GET /reports/quarterly),
    or write it to ``--output`` (a spreadsheet with ``--format xlsx``)."""
    from service.access.permissions import Actor
    from service.base.problems import Problem
    from service.cases.reports import quarterly as reports
    from service.cases.reports import workbook

    if fmt == "xlsx" and not output:
        click.echo("refused: --format xlsx needs --output FILE", err=True)
        sys.exit(2)

    try:
        body = _db().read(reports.quarterly, Actor("cli", role), sla_key, quarter, stories=stories)
    except Problem as err:
        click.echo(f"refused: {err.detail}", err=True)
        for field, messages in (err.errors or {}).items():
            for message in messages:
                click.echo(f"  {field}: {message}", err=True)
        sys.exit(2 if err.status == 422 else 1)
    if fmt == "xlsx":
        data: bytes | str = workbook.workbook(body, language)
    elif fmt == "csv":
        data = reports.to_csv(body, language)
    else:
        data = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    if output:
        with open(output, "wb") as out:
            out.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(data, nl=False)


@report.command("commissioning")
@click.option("--include-ended", is_flag=True, help="Ended cycles too.")
def commissioning(include_ended: bool) -> None:
    """Print each commissioning cycle: stage, step, days in stage, contracts ending within 6 months."""
    from service.access.permissions import Actor
    from service.cases.reports import commissioning as commissioning_report

    body = _db().read(
        commissioning_report.commissioning, Actor("cli", "auditor"), include_ended=include_ended
    )
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))
