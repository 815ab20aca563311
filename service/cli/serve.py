"""``advocacy-flow serve | scheduler``: the web workers (gunicorn) and the deadline scheduler."""

from __future__ import annotations

import signal
import threading

import click

from service.base.config import Settings
from service.cli.common import open_database, safe_url


@click.command()
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
    database = open_database(settings)

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
        f"Advocacy Flow on http://{host}:{port}/api/v1 ({workers} worker(s), database {safe_url(settings)})"
    )
    Service().run()


def _start_scheduler(database) -> None:
    from service.scheduler.enforcer import DeadlineScheduler

    DeadlineScheduler(database).start()


@click.command()
def scheduler() -> None:
    """Run the deadline scheduler alone (beside web workers started with --no-scheduler)."""
    from service.scheduler.enforcer import DeadlineScheduler

    settings = Settings.from_env()
    enforcer = DeadlineScheduler(open_database(settings))
    enforcer.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo("deadline scheduler running")
    stop.wait()
    enforcer.shutdown()
