"""The command line, ``advocacy-flow``: one module per command group.

``serve.py`` (serve, scheduler), ``deploy.py``, ``users.py``, ``demo.py``, ``audit.py`` (audit verify |
export | cleanup), ``report.py`` (report quarterly | commissioning), ``migrate.py`` (moves instances between versions); ``common.py`` opens the database
every command works on. An entry point: it may import any part of ``service``; nothing imports it.
"""

from __future__ import annotations

import click

from service.cli.audit import audit
from service.cli.demo import demo
from service.cli.deploy import deploy
from service.cli.migrate import migrate
from service.cli.report import report
from service.cli.serve import scheduler, serve
from service.cli.users import users


@click.group()
def main() -> None:
    """Advocacy Flow: BPMN workflows for independent advocacy."""


for command in (serve, scheduler, deploy, users, demo, audit, report, migrate):
    main.add_command(command)
