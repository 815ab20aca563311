"""Write requests answer from the rows their step wrote (issue 9): the same body as a fresh read,
the task and deadline indexes still match the engine after every kind of step, and few statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from service.access.permissions import Actor
from service.cases import instances
from service.scheduler import enforcer as scheduler
from service.store.models import Deadline, HistoryEvent, ProcessInstance, Task

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
ZOO = (Path(__file__).parent / "timer_zoo.bpmn").read_text()
MANAGER = Actor("manager1", "manager")
CALL_BACK = {"called_at": "2026-01-05T10:00:00+00:00", "documents_needed": False}


@pytest.fixture
def zoo(deployed):
    r = deployed.client.post(
        "/api/v1/process-definitions",
        data=ZOO,
        headers={**deployed.headers("admin1"), "Content-Type": "application/xml"},
    )
    assert r.status_code == 201, r.get_json()
    return deployed


def _same_as_a_fresh_read(s, answer) -> dict:
    body = answer.get_json()
    assert answer.status_code in (200, 201), body
    again = s.get(f"/process-instances/{body['id']}", "manager1")
    assert again.status_code == 200
    assert body == again.get_json()
    return body


def _indexes_match_the_engine(s, instance_id: str) -> None:
    """Open task rows and pending deadline rows are exactly what the stored engine state holds."""

    def read(session):
        instance, model = instances.load_instance(session, instance_id)
        snap = instances.runner(session, model).read(instance.state, status=instance.status)
        tasks = session.scalars(select(Task.id).where(Task.instance_id == instance_id, Task.status == "open"))
        pending = session.scalars(
            select(Deadline).where(Deadline.instance_id == instance_id, Deadline.status == "pending")
        ).all()
        return snap, set(tasks), {d.task_id: d.due_at for d in pending}

    snap, tasks, pending = s.db.read(read)
    if snap.status in ("completed", "cancelled"):
        assert tasks == set() and pending == {}
        return
    assert tasks == {t.task_id for t in snap.open_tasks}
    assert pending == {t.task_id: t.due_at for t in snap.timers}


def test_start_and_complete_answer_what_a_read_answers(zoo):
    body = _same_as_a_fresh_read(zoo, zoo.post("/process-instances", "manager1", {"process": "timer_zoo"}))
    assert len(body["deadlines"]) == 2 and len(body["active_tasks"]) == 1
    _indexes_match_the_engine(zoo, body["id"])
    task = body["active_tasks"][0]["id"]
    body = _same_as_a_fresh_read(zoo, zoo.post(f"/tasks/{task}/complete", "manager1", {"data": {}}))
    assert [d["activity_id"] for d in body["deadlines"]] == ["silence"] and body["active_tasks"] == []
    _indexes_match_the_engine(zoo, body["id"])

    r = zoo.post(
        "/process-instances",
        "manager1",
        {"process": "example_callback", "variables": {"caller_ref": "c-1", "priority": "high"}},
    )
    body = _same_as_a_fresh_read(zoo, r)
    task = body["active_tasks"][0]["id"]
    body = _same_as_a_fresh_read(zoo, zoo.post(f"/tasks/{task}/complete", "manager1", {"data": CALL_BACK}))
    assert body["status"] == "completed" and body["deadlines"] == [] and body["active_tasks"] == []
    _indexes_match_the_engine(zoo, body["id"])


def test_indexes_follow_every_kind_of_step(zoo):
    """Cycle ticks, interrupting timers, completions, messages and cancels update the rows in place."""
    start = lambda key: zoo.db.run(  # noqa: E731
        lambda session: (
            instances.start_instance(session, MANAGER, "timer_zoo", {}, business_key=key, now=T0).id
        )
    )

    def pending(instance_id):
        return zoo.db.read(
            lambda session: {
                d.activity_id: d
                for d in session.scalars(
                    select(Deadline).where(Deadline.instance_id == instance_id, Deadline.status == "pending")
                )
            }
        )

    def open_task(instance_id):
        return zoo.db.read(
            lambda session: session.scalars(
                select(Task).where(Task.instance_id == instance_id, Task.status == "open")
            ).first()
        )

    ticking = start("tick")
    _indexes_match_the_engine(zoo, ticking)
    assert zoo.db.run(scheduler.fire, pending(ticking)["reminder"].id, T0 + timedelta(hours=1)) is True
    _indexes_match_the_engine(zoo, ticking)  # the cycle waits again on the same row
    assert zoo.db.run(scheduler.fire, pending(ticking)["reminder"].id, T0 + timedelta(hours=2)) is True
    _indexes_match_the_engine(zoo, ticking)
    assert zoo.db.run(scheduler.fire, pending(ticking)["give_up"].id, T0 + timedelta(hours=3)) is True
    _indexes_match_the_engine(zoo, ticking)
    rows = zoo.db.read(lambda session: session.scalars(select(Task).where(Task.instance_id == ticking)).all())
    assert [(t.status, t.completed_by) for t in rows] == [("cancelled", None)]

    waiting = start("msg")
    task = open_task(waiting)
    zoo.db.run(lambda session: instances.complete_task(session, MANAGER, task.id, {}, now=T0))
    _indexes_match_the_engine(zoo, waiting)
    done = zoo.db.read(lambda session: session.get(Task, task.id))
    assert (done.status, done.completed_by, done.completed_at) == ("completed", "manager1", T0)
    zoo.db.run(
        lambda session: instances.deliver_message(
            session, MANAGER, "reply", "msg", {}, now=T0 + timedelta(hours=1)
        )
    )
    _indexes_match_the_engine(zoo, waiting)
    statuses = zoo.db.read(
        lambda session: {
            d.activity_id: d.status
            for d in session.scalars(select(Deadline).where(Deadline.instance_id == waiting))
        }
    )
    assert statuses == {"reminder": "cancelled", "give_up": "cancelled", "silence": "cancelled"}

    cancelled = start("cancel")
    r = zoo.post(
        f"/process-instances/{cancelled}/cancel", "manager1", {"reason_code": "duplicate", "reason": "test"}
    )
    assert r.status_code == 200, r.get_json()
    _indexes_match_the_engine(zoo, cancelled)
    assert zoo.db.read(lambda session: session.get(ProcessInstance, cancelled).status) == "cancelled"


def test_a_write_request_is_a_handful_of_statements(deployed):
    """Start: definition, then one INSERT per table; complete: one SELECT, then writes only."""
    engine = deployed.db.engine
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        kind = statement.split()[0].upper()
        # the token check on its own is not the step's (on PostgreSQL a completion's one SELECT holds
        # it); BEGIN (SQLite) is no round trip of its own on PostgreSQL
        caller_only = ("api_tokens" in statement or " users" in statement) and "tasks" not in statement
        if kind != "BEGIN" and not caller_only:
            seen.append(kind)

    def start():
        r = deployed.post(
            "/process-instances",
            "manager1",
            {"process": "example_callback", "variables": {"caller_ref": "c-1", "priority": "high"}},
        )
        assert r.status_code == 201, r.get_json()
        return r.get_json()["active_tasks"][0]["id"]

    start()  # the first step of a process reads its parsed model once
    event.listen(engine, "before_cursor_execute", count)
    try:
        task = start()
        started, seen[:] = list(seen), []
        r = deployed.post(f"/tasks/{task}/complete", "manager1", {"data": CALL_BACK})
        assert r.status_code == 200, r.get_json()
        completed = list(seen)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert started.count("SELECT") == 1 and len(started) <= 5, started
    assert completed.count("SELECT") == 1 and len(completed) <= 5, completed


def test_a_step_on_a_moved_row_version_writes_nothing_and_the_retry_wins(deployed):
    """The instance UPDATE is guarded by the version the step read: a row moved meanwhile is not overwritten."""
    s = deployed
    r = s.post(
        "/process-instances",
        "manager1",
        {"process": "example_callback", "variables": {"caller_ref": "v-1", "priority": "high"}},
    )
    instance_id, task_id = r.get_json()["id"], r.get_json()["active_tasks"][0]["id"]

    def stored(session):
        row = session.get(ProcessInstance, instance_id)
        events = session.scalar(select(func.count()).where(HistoryEvent.instance_id == instance_id))
        return row.row_version, row.state, row.status, events

    before = s.db.read(stored)

    def complete_as_if_read_earlier(session):
        _, instance, _ = instances.load_task(session, task_id)
        set_committed_value(instance, "row_version", instance.row_version - 1)  # another step moved it since
        return instances.complete_task(session, MANAGER, task_id, CALL_BACK)

    with s.db.sessions() as session, pytest.raises(StaleDataError):
        complete_as_if_read_earlier(session)
    assert s.db.read(stored) == before  # nothing of the step stored

    attempts = []

    def flaky(session):  # loses the race once, as a concurrent request would make it
        attempts.append(1)
        if len(attempts) == 1:
            return complete_as_if_read_earlier(session)
        return instances.complete_task(session, MANAGER, task_id, CALL_BACK)

    done = s.db.run(flaky)
    assert len(attempts) == 2 and done.status == "completed"
    version, _, status, events = s.db.read(stored)
    assert (version, status) == (before[0] + 1, "completed") and events > before[3]
