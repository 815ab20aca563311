"""On SQLite a step's writes go to the driver as SQL compiled once per shape (service/store/direct.py):
each must store exactly what SQLAlchemy's own execute of the same statement stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text

from service.cases import instances
from service.store import direct, persist
from tests.service.test_parsed_states import CALL_BACK, MANAGER, _open_task, _start

AT = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
TABLES = ("process_instances", "tasks", "deadlines", "history_events")


def _event_row(instance_id: str, seq: int, **extra) -> dict:
    return {
        "instance_id": instance_id,
        "seq": seq,
        "at": AT.isoformat(),
        "type": "task_completed",
        "actor": "manager1",
        "activity_id": "call_back",
        "task_id": None,
        "data": '{"a":1}',
        "prev_hash": "p" * 64,
        "hash": "h" * 64,
        **extra,
    }


def _cases(instance_id: str, task_id: str, timer_id: str) -> dict[str, tuple]:
    """Every kind of write a step sends, with lists empty and not, NULLs, date-times and JSON."""
    new_task = {c.key: None for c in persist._TASKS.columns} | {
        "id": "00000000-0000-4000-8000-000000000001",
        "instance_id": instance_id,
        "process_key": "example_callback",
        "activity_id": "call_back",
        "name": "Call back",
        "role": "manager",
        "status": "open",
        "created_at": AT,
        "due_at": AT,
    }
    instance_values = {
        "v_state": "{}",
        "v_status": "completed",
        "v_stage": "closed",
        "v_end_state": None,
        "v_variables": {"nested": {"list": [1, "two", None]}, "name": "Ffion"},
        "v_waiting_messages": {"names": []},
        "v_last_seq": 9,
        "v_last_hash": "x" * 64,
        "v_row_version": 2,
        "_id": instance_id,
        "_version": 1,
    }
    return {
        "complete tasks": (
            persist._COMPLETE_TASKS,
            {"_instance": instance_id, "_ids": [task_id], "_at": AT, "_by": "manager1"},
        ),
        "complete no task": (
            persist._COMPLETE_TASKS,
            {"_instance": instance_id, "_ids": [], "_at": AT, "_by": None},
        ),
        "cancel the rest of none kept": (
            persist._CANCEL_TASKS,
            {"_instance": instance_id, "_keep": [], "_at": AT},
        ),
        "cancel the rest of two kept": (
            persist._CANCEL_TASKS,
            {"_instance": instance_id, "_keep": [task_id, "other"], "_at": AT},
        ),
        "fire deadlines": (
            persist._FIRE_DEADLINES,
            {"_instance": instance_id, "_ids": [timer_id], "_at": AT},
        ),
        "cancel deadlines": (persist._CANCEL_DEADLINES, {"_instance": instance_id, "_keep": []}),
        "keep the deadline": (persist._CANCEL_DEADLINES, {"_instance": instance_id, "_keep": [timer_id]}),
        "instance, still running": (persist._UPDATE_INSTANCE, instance_values | {"v_ended_at": None}),
        "instance, ended": (persist._UPDATE_INSTANCE, instance_values | {"v_ended_at": AT}),
        "instance, wrong version": (
            persist._UPDATE_INSTANCE,
            instance_values | {"v_ended_at": AT, "_version": 7},
        ),
        "one event": (persist._INSERT_EVENTS, [_event_row(instance_id, 90)]),
        "three events": (
            persist._INSERT_EVENTS,
            [_event_row(instance_id, 90 + n, task_id=f"t{n}") for n in range(3)],
        ),
        "a new task": (persist._INSERT_TASKS, [new_task]),
    }


def _tables(connection) -> dict[str, list[tuple]]:
    return {t: connection.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1, 2").all() for t in TABLES}


def _run_and_undo(engine, connection, run) -> tuple[tuple | None, int, dict[str, list[tuple]]]:
    """(the write the driver was sent, with its values; the rows it changed; the tables after it),
    in a transaction rolled back after."""
    sent: list[tuple] = []

    def seen(_c, _cur, statement, parameters, *_rest) -> None:  # type: ignore[no-untyped-def]
        if not statement.startswith(("BEGIN", "SELECT")):  # the write, not the look after it
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with connection.begin() as transaction:
            count = run()
            tables = _tables(connection)
            transaction.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return (sent[0] if sent else None), count, tables


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_write_stores_what_sqlalchemy_stores(deployed, database_url):
    instance_id = _start(deployed)
    task_id = _open_task(deployed, instance_id)
    engine = deployed.db.engine
    with engine.connect() as connection:
        timer_id = connection.execute(
            text("SELECT task_id FROM deadlines WHERE instance_id = :i"), {"i": instance_id}
        ).scalar_one()
        before = _tables(connection)
        connection.rollback()
        for name, (write, params) in _cases(instance_id, task_id, timer_id).items():
            by_sqlalchemy = _run_and_undo(
                engine, connection, lambda w=write, p=params: connection.execute(w.statement, p).rowcount
            )
            by_direct = _run_and_undo(
                engine, connection, lambda w=write, p=params: direct.execute(connection, w.statement, p)
            )
            assert by_direct[1:] == by_sqlalchemy[1:], name  # the same rows changed, the same tables after
            assert _tables(connection) == before, name  # rolled back: the next case starts alike
            connection.rollback()
            row = params if isinstance(params, dict) else params[0]
            if all(v for v in row.values() if isinstance(v, list)):
                assert by_direct[0] == by_sqlalchemy[0], name  # the same text and values
            else:  # an empty list is rendered as SQLite's own "()" (see direct.py)
                assert "IN ()" in by_direct[0][0], name


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_step_changes_what_the_write_changed(deployed, database_url):
    """The cases above change rows (else the comparison would prove little): each one's count."""
    instance_id = _start(deployed)
    task_id = _open_task(deployed, instance_id)
    with deployed.db.engine.connect() as connection:
        timer_id = connection.execute(
            text("SELECT task_id FROM deadlines WHERE instance_id = :i"), {"i": instance_id}
        ).scalar_one()
        connection.rollback()
        counts = {}
        for name, (write, params) in _cases(instance_id, task_id, timer_id).items():
            with connection.begin() as transaction:
                counts[name] = direct.execute(connection, write.statement, params)
                transaction.rollback()
    assert counts == {
        "complete tasks": 1,
        "complete no task": 0,
        "cancel the rest of none kept": 1,
        "cancel the rest of two kept": 0,
        "fire deadlines": 1,
        "cancel deadlines": 1,
        "keep the deadline": 0,
        "instance, still running": 1,
        "instance, ended": 1,
        "instance, wrong version": 0,
        "one event": 1,
        "three events": 3,
        "a new task": 1,
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_missing_parameter_is_refused_and_writes_nothing(deployed, database_url):
    instance_id = _start(deployed)
    rows = [_event_row(instance_id, 90), _event_row(instance_id, 91)]
    del rows[1]["hash"]
    with deployed.db.engine.connect() as connection:
        before = _tables(connection)
        connection.rollback()
        with pytest.raises(KeyError, match="hash"), connection.begin():
            direct.execute(connection, persist._INSERT_EVENTS.statement, rows)
        assert _tables(connection) == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_real_step_on_sqlite_sends_its_writes_direct(deployed, database_url):
    """The completion cancels the instance's one deadline ("the rest", none kept): only ``direct``
    renders that as SQLite's empty list; SQLAlchemy would send its empty-set subquery."""
    instance_id = _start(deployed)
    task_id = _open_task(deployed, instance_id)
    sent: list[str] = []

    def seen(_c, _cur, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(deployed.db.engine, "before_cursor_execute", seen)
    try:
        deployed.db.run(instances.complete_task, MANAGER, task_id, dict(CALL_BACK))
    finally:
        event.remove(deployed.db.engine, "before_cursor_execute", seen)
    cancelled = [s for s in sent if s.startswith("UPDATE deadlines")]
    assert cancelled and all("NOT IN ()" in s for s in cancelled), sent
