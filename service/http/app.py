"""The Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from service.base.config import Settings
from service.http.api import (
    audit,
    definitions,
    health,
    instances,
    messages,
    migrations,
    notifications,
    reports,
    slas,
    tasks,
    users,
)
from service.http.errors import ProblemApi, register_error_handlers
from service.http.security import init_security
from service.store.db import make_engine, make_session_factory
from service.store.uow import Database
from service.web import init_web

WEB = Path(__file__).resolve().parent.parent / "web"  # the pages' templates and static files


def create_app(settings: Settings | None = None, *, start_scheduler: bool | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=str(WEB / "static"), template_folder=str(WEB / "templates"))
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="Advocacy Flow",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # the engine logs every task state change at INFO
    engine = make_engine(settings.database_url)
    database = Database(engine, make_session_factory(engine))
    app.extensions["advocacy_flow.db"] = database

    api = ProblemApi(
        app,
        spec_kwargs={
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    app.extensions["advocacy_flow.api"] = api
    for module in (
        health,
        definitions,
        instances,
        tasks,
        messages,
        audit,
        slas,
        users,
        reports,
        notifications,
        migrations,
    ):
        api.register_blueprint(module.blp)
    register_error_handlers(app)
    init_security(app)
    init_web(app)

    if start_scheduler if start_scheduler is not None else settings.scheduler:
        from service.scheduler.enforcer import DeadlineScheduler

        scheduler = DeadlineScheduler(database)
        scheduler.start()
        app.extensions["advocacy_flow.scheduler"] = scheduler
    return app
