"""Inside a transaction, ``direct`` hands a one-row read or write to the driver's cursor through
SQLAlchemy's ``Connection._cursor_execute``: the engine's statement events must still see it, a
driver error must come out as SQLAlchemy's (and a lost connection be invalidated, which is what
``Database`` retries on), and outside a transaction it must run as ``exec_driver_sql`` does."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, exc, text

from service.access import auth
from service.store import direct, persist
from tests.service.test_direct_writes import _event_row, _tables
from tests.service.test_parsed_states import _start


def _params(token: str) -> dict:
    return {"token_hash": auth._token_hash(token)}


class _Seen:
    """Every statement the engine's cursor events see: (event, statement, parameters, context)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.events: list[tuple] = []

    def __enter__(self) -> _Seen:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc_info) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, _conn, _cursor, statement, parameters, context, _many) -> None:  # type: ignore[no-untyped-def]
        self.events.append(("before", statement, parameters, context))

    def _after(self, _conn, _cursor, statement, parameters, context, _many) -> None:  # type: ignore[no-untyped-def]
        self.events.append(("after", statement, parameters, context))


def test_a_read_in_a_transaction_goes_to_the_cursor_and_is_seen(deployed):
    token = deployed.tokens["manager1"]
    with deployed.db.engine.connect() as connection, connection.begin():
        by_sqlalchemy = tuple(connection.execute(auth.TOKEN_CHECK, _params(token)).one())
        with _Seen(deployed.db.engine) as seen:
            row = direct.first(connection, auth.TOKEN_CHECK, _params(token))
    assert row == by_sqlalchemy
    assert [e[0] for e in seen.events] == ["before", "after"]
    (_, sql, parameters, context), after = seen.events
    assert after[1:3] == (sql, parameters)
    assert sql.startswith("SELECT") and auth._token_hash(token) in tuple(
        parameters.values() if isinstance(parameters, dict) else parameters
    )
    assert context is None  # the cursor's path: no execution context was built


def test_a_read_outside_a_transaction_runs_as_sqlalchemy_runs_it(deployed):
    token = deployed.tokens["manager1"]
    with deployed.db.read_only.connect() as connection:
        assert connection.get_transaction() is None
        with _Seen(deployed.db.engine) as seen:
            row = direct.first(connection, auth.TOKEN_CHECK, _params(token))
        assert row[3] == "manager1"
    assert [e[0] for e in seen.events] == ["before", "after"]
    assert seen.events[0][3] is not None  # exec_driver_sql's execution context


def test_a_read_on_an_invalidated_connection_is_refused_as_sqlalchemy_refuses_it(deployed):
    token = deployed.tokens["manager1"]
    refused = []
    for run in (
        lambda c: c.exec_driver_sql("SELECT 1"),
        lambda c: direct.first(c, auth.TOKEN_CHECK, _params(token)),
    ):
        with deployed.db.engine.connect() as connection:
            connection.begin()
            connection.exec_driver_sql("SELECT 1")
            connection.invalidate()  # as after a lost connection, inside the transaction
            with pytest.raises(exc.PendingRollbackError) as raised:
                run(connection)
            refused.append(str(raised.value).split(" (Background")[0])
            connection.rollback()
            assert direct.first(connection, auth.TOKEN_CHECK, _params(token))[3] == "manager1"
    assert refused[1] == refused[0]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_write_in_a_transaction_goes_to_the_cursor_and_is_seen(deployed, database_url):
    instance_id = _start(deployed)
    row = _event_row(instance_id, 90)
    with (
        deployed.db.engine.connect() as connection,
        connection.begin() as transaction,
        _Seen(deployed.db.engine) as seen,
    ):
        assert direct.execute(connection, persist._INSERT_EVENTS.statement, row) == 1
        stored = connection.execute(
            text("SELECT hash FROM history_events WHERE instance_id = :i AND seq = 90"),
            {"i": instance_id},
        ).scalar_one()
        transaction.rollback()
    assert stored == row["hash"]
    writes = [e for e in seen.events if e[1].startswith("INSERT")]
    assert [e[0] for e in writes] == ["before", "after"] and writes[0][3] is None
    assert row["hash"] in writes[0][2]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_driver_error_comes_out_as_sqlalchemys_and_writes_nothing(deployed, database_url):
    instance_id = _start(deployed)
    row = _event_row(instance_id, 90)
    with deployed.db.engine.connect() as connection:
        before = _tables(connection)
        connection.rollback()
        with connection.begin():
            direct.execute(connection, persist._INSERT_EVENTS.statement, row)
            with pytest.raises(exc.IntegrityError) as raised:
                direct.execute(connection, persist._INSERT_EVENTS.statement, row)  # the same seq again
            connection.rollback()
        assert type(raised.value.orig).__module__ == "sqlite3"  # the driver's own error, wrapped
        assert raised.value.statement.startswith("INSERT INTO history_events")
        assert _tables(connection) == before


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_lost_connection_is_invalidated_as_sqlalchemy_invalidates_it(deployed, database_url):
    """``Database`` retries a step whose connection was lost (uow.py): it must be told so."""
    token = deployed.tokens["manager1"]
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with deployed.db.engine.connect() as connection:
            connection.begin()
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            with pytest.raises(exc.OperationalError) as raised:
                direct.first(connection, auth.TOKEN_CHECK, _params(token))
            assert raised.value.connection_invalidated
            assert connection.invalidated
    finally:
        admin.dispose()
    with deployed.db.engine.connect() as connection:  # the pool gives a good connection again
        assert direct.first(connection, auth.TOKEN_CHECK, _params(token))[3] == "manager1"
