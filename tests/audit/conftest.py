"""Audit tests run on SQLite and PostgreSQL; the retention tables are emptied between PostgreSQL tests."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text


@pytest.fixture(autouse=True)
def _empty_retention_tables(database_url):
    if database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        with engine.begin() as conn:  # TRUNCATE fires no row triggers
            conn.execute(text("TRUNCATE retention_log, retention_unlock RESTART IDENTITY"))
        engine.dispose()
