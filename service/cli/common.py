"""What every command needs: the database, migrated to the newest schema, with the default SLAs."""

from __future__ import annotations

from service.base.config import Settings
from service.store.uow import Database


def open_database(settings: Settings | None = None) -> Database:
    from service.cases import slas
    from service.store import migrate
    from service.store.db import make_engine, make_session_factory

    settings = settings or Settings.from_env()
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    database = Database(engine, make_session_factory(engine))
    database.run(slas.ensure_default)
    return database


def safe_url(settings: Settings) -> str:
    """The database URL without its credentials, for a start-up line."""
    url = settings.database_url
    return url.split("@")[-1] if "@" in url else url
