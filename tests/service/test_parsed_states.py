"""Parsed states kept between steps (service/store/parsed.py) and the step's writes sent as one
statement on PostgreSQL (service/store/batch.py): faster steps that store exactly what they did."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import event, select, update

from service.access.permissions import Actor
from service.cases import instances
from service.store import parsed
from service.store.models import HistoryEvent, ProcessInstance, Task

MANAGER = Actor("manager1", "manager")
CALL_BACK = {"called_at": "2026-01-05T10:00:00+00:00", "documents_needed": True}


T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _start(s, now: datetime | None = None) -> str:
    return s.db.run(
        instances.start_instance,
        MANAGER,
        "example_callback",
        {"caller_ref": "p-1", "priority": "high"},
        business_key="p-1",
        now=now,
    ).id


def _documents(session, now: datetime | None = None) -> list[str]:
    return instances.deliver_message(session, MANAGER, "documents_received", "p-1", {"received": True}, now)


def _open_task(s, instance_id: str) -> str:
    return s.db.read(
        lambda session: session.scalars(
            select(Task.id).where(Task.instance_id == instance_id, Task.status == "open")
        ).one()
    )


def _what_take_gives(s, instance_id: str):
    """What the next step of the instance would start from (and put it back as it was)."""

    def look(session):
        instance, model = instances.load_instance(session, instance_id)
        found = parsed.take(session, instance, model)
        if isinstance(found, BpmnWorkflow):
            parsed.keep(session, instance, model, found)
        return found

    return s.db.run(look)


def _stored(s, instance_id: str) -> tuple[str, int, list[tuple]]:
    def read(session):
        instance = session.get(ProcessInstance, instance_id)
        events = session.execute(
            select(HistoryEvent.seq, HistoryEvent.type, HistoryEvent.hash)
            .where(HistoryEvent.instance_id == instance_id)
            .order_by(HistoryEvent.seq)
        ).all()
        return instance.state, instance.row_version, [tuple(e) for e in events]

    return s.db.read(read)


@pytest.fixture
def walk(deployed):
    parsed.clear()
    yield deployed
    parsed.clear()


def test_the_next_step_starts_from_the_workflow_the_last_one_left(walk):
    instance_id = _start(walk)
    kept = _what_take_gives(walk, instance_id)
    assert isinstance(kept, BpmnWorkflow)
    state, version, _ = _stored(walk, instance_id)
    from workflows.state import dump

    assert dump(kept) == state  # the very object the stored text was serialized from
    walk.db.run(instances.complete_task, MANAGER, _open_task(walk, instance_id), CALL_BACK)
    assert isinstance(_what_take_gives(walk, instance_id), BpmnWorkflow)
    assert _stored(walk, instance_id)[1] == version + 1


def test_a_row_another_writer_moved_is_parsed_from_its_text(walk):
    instance_id = _start(walk)
    walk.db.run(
        lambda session: session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .values(row_version=ProcessInstance.row_version + 1)
        )
    )
    found = _what_take_gives(walk, instance_id)
    assert isinstance(found, str) and found == _stored(walk, instance_id)[0]
    body = walk.db.run(instances.complete_task, MANAGER, _open_task(walk, instance_id), CALL_BACK)
    assert body.status == "waiting"  # for the documents


def test_a_kept_state_whose_text_differs_is_not_used(walk):
    instance_id = _start(walk)

    def same_version_other_text(session):  # what no writer does, and what the text check catches
        instance = session.get(ProcessInstance, instance_id)
        session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .values(state=instance.state + " ", row_version=instance.row_version)
            .execution_options(synchronize_session=False)
        )

    walk.db.run(same_version_other_text)
    assert isinstance(_what_take_gives(walk, instance_id), str)


def test_a_step_rolled_back_leaves_nothing_kept_and_nothing_stored(walk):
    instance_id = _start(walk)
    before = _stored(walk, instance_id)
    task = _open_task(walk, instance_id)

    class Boom(Exception):
        pass

    def complete_then_fail(session):
        instances.complete_task(session, MANAGER, task, CALL_BACK)
        raise Boom

    with pytest.raises(Boom):
        walk.db.run(complete_then_fail)
    assert _stored(walk, instance_id) == before
    assert isinstance(_what_take_gives(walk, instance_id), str)  # the workflow the step changed is gone
    walk.db.run(instances.complete_task, MANAGER, task, CALL_BACK)
    assert _stored(walk, instance_id)[1] == before[1] + 1


def test_two_steps_in_one_transaction_hand_the_workflow_on(walk):
    instance_id = _start(walk)

    task = _open_task(walk, instance_id)

    def two_steps(session):
        instances.complete_task(session, MANAGER, task, CALL_BACK)
        assert _documents(session) == [instance_id]
        return session.get(ProcessInstance, instance_id).status

    assert walk.db.run(two_steps) == "completed"
    assert _stored(walk, instance_id)[1] == 3  # start, and two steps
    assert isinstance(_what_take_gives(walk, instance_id), str)  # an ended case is not kept


def _walk_events(s, monkeypatch, size: str) -> list[tuple]:
    monkeypatch.setenv("ADVOCACY_FLOW_PARSED_CACHE", size)
    parsed.clear()
    instance_id = _start(s, T0)  # the clock fixed: the due times are the same in both walks
    s.db.run(instances.complete_task, MANAGER, _open_task(s, instance_id), CALL_BACK, T0)
    s.db.run(_documents, T0)

    def read(session):
        rows = session.execute(
            select(HistoryEvent.type, HistoryEvent.activity_id, HistoryEvent.data)
            .where(HistoryEvent.instance_id == instance_id)
            .order_by(HistoryEvent.seq)
        ).all()
        return [tuple(r) for r in rows], session.get(ProcessInstance, instance_id).variables

    return s.db.read(read)


def test_a_walk_records_the_same_with_and_without_kept_states(walk, monkeypatch):
    kept = _walk_events(walk, monkeypatch, "256")
    parsed_each_time = _walk_events(walk, monkeypatch, "0")
    assert len(kept[0]) >= 5
    assert kept == parsed_each_time  # every event's type, element and data, and the variables


def test_postgresql_gets_a_steps_writes_in_one_statement(walk, database_url):
    instance_id = _start(walk)
    task = _open_task(walk, instance_id)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper())

    event.listen(walk.db.engine, "before_cursor_execute", seen)
    try:
        walk.db.run(instances.complete_task, MANAGER, task, CALL_BACK)
    finally:
        event.remove(walk.db.engine, "before_cursor_execute", seen)
    writes = [s for s in statements if s != "SELECT" and s != "BEGIN"]
    if database_url.startswith("postgresql"):
        assert writes == ["WITH"]  # events, tasks, deadlines and the instance: one round trip
    else:
        assert writes == ["INSERT", "UPDATE", "UPDATE", "UPDATE"]  # one by one: no round trips to save
    _, version, events = _stored(walk, instance_id)
    assert version == 2 and [e[1] for e in events][-1] == "task_completed"

    def rows(session):
        return session.get(Task, task).status, session.get(ProcessInstance, instance_id).status

    assert walk.db.read(rows) == ("completed", "waiting")
