"""Database engine and sessions: one session per request or job, explicit transactions."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below starts transactions
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection) -> None:  # type: ignore[no-untyped-def]
            if connection.get_execution_options().get(READ_ONLY):
                return  # no BEGIN: each statement reads its own consistent snapshot, and locks nothing
            # Take the write lock up front: a read-then-write transaction in WAL mode would
            # otherwise fail with "database is locked" when another writer got in between.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping (a SELECT 1 round trip on every checkout): a connection found dead is dropped
    # with the whole pool by SQLAlchemy, and Database retries what it was doing (see uow.py).
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


READ_ONLY = "advocacy_flow_read_only"


def read_only(engine: Engine) -> Engine:
    """The same engine and pool for statements that write nothing and need no transaction.

    SQLite: no ``BEGIN IMMEDIATE``, so a read neither takes nor waits for the write lock.
    PostgreSQL: autocommit, so a read costs no BEGIN and COMMIT round trips.
    Anything but a SELECT is refused: with no transaction around it, it would be committed at once.
    """
    options: dict = {READ_ONLY: True}
    if engine.dialect.name != "sqlite":  # SQLite's connections already run without the driver's BEGIN
        options["isolation_level"] = "AUTOCOMMIT"
    reader = engine.execution_options(**options)
    # On the derived engine only: the listener sees its connections' statements, not every write's.
    event.listen(reader, "before_cursor_execute", _reads_only)
    return reader


def _reads_only(_connection, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
    if statement.lstrip()[:6].upper() != "SELECT":
        raise PermissionError(f"a read-only connection may only SELECT, not: {statement[:60]}")
