"""Alembic environment: the URL comes from the caller (service.migrate) or the settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import service.store.audit_models  # noqa: F401  (their tables are part of the schema)
from service.base.config import Settings
from service.store.models import Base

config = context.config
url = config.attributes.get("url") or Settings.from_env().database_url
connection = config.attributes.get("connection")


def run() -> None:
    if connection is not None:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
