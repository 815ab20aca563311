"""The command line: ``advocacy-flow serve | scheduler | deploy | users create | demo``."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from service.base.config import ROOT, Settings


def _database(settings: Settings):
    from service.cases import slas
    from service.store import migrate
    from service.store.db import make_engine, make_session_factory
    from service.store.uow import Database

    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    database = Database(engine, make_session_factory(engine))
    database.run(slas.ensure_default)
    return database


@click.group()
def main() -> None:
    """Advocacy Flow: BPMN workflows for independent advocacy."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--no-scheduler", is_flag=True, help="Web workers only; run 'advocacy-flow scheduler' elsewhere."
)
def serve(host: str, port: int, workers: int, no_scheduler: bool) -> None:
    """Serve the API with gunicorn (the deadline scheduler runs once, in the master process)."""
    from gunicorn.app.base import BaseApplication

    settings = Settings.from_env()
    database = _database(settings)

    # One worker: the scheduler runs inside it, so new deadlines are scheduled the moment they are
    # committed. Several workers: it runs once, in the gunicorn master, and picks up new deadlines
    # with its sync job.
    in_worker = not no_scheduler and workers == 1
    in_master = not no_scheduler and workers > 1

    class Service(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 60)
            self.cfg.set("accesslog", "-")
            if in_master:
                self.cfg.set("when_ready", lambda _server: _start_scheduler(database))

        def load(self):
            from service.http.app import create_app

            app = create_app(settings, start_scheduler=in_worker)
            app.config["SCHEDULER_IN_MASTER"] = in_master
            return app

    click.echo(
        f"Advocacy Flow on http://{host}:{port}/api/v1 ({workers} worker(s), database {_safe(settings)})"
    )
    Service().run()


def _start_scheduler(database) -> None:
    from service.scheduler.enforcer import DeadlineScheduler

    DeadlineScheduler(database).start()


def _safe(settings: Settings) -> str:
    url = settings.database_url
    return url.split("@")[-1] if "@" in url else url


@main.command()
def scheduler() -> None:
    """Run the deadline scheduler alone (beside web workers started with --no-scheduler)."""
    from service.scheduler.enforcer import DeadlineScheduler

    settings = Settings.from_env()
    enforcer = DeadlineScheduler(_database(settings))
    enforcer.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo("deadline scheduler running")
    stop.wait()
    enforcer.shutdown()


@main.command()
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
    database = _database(Settings.from_env())

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


@main.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "commissioner", "manager", "advocate", "auditor"])
)
@click.option("--password", default=None, help="Generated and printed when not given.")
def users_create(name: str, role: str, password: str | None) -> None:
    """Create a user and print a token for it."""
    from service.access import auth
    from service.base.problems import Problem

    settings = Settings.from_env()
    database = _database(settings)

    def run(session):
        user, used = auth.create_user(session, name, role, password)
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


@main.command()
def demo() -> None:
    """Load demo users, SLAs and instances; print the logins."""
    from service.demo import load

    settings = Settings.from_env()
    for line in load(_database(settings)):
        click.echo(line)


from service.cli.audit import audit  # noqa: E402

main.add_command(audit)

from service.cli.report import report  # noqa: E402

main.add_command(report)
