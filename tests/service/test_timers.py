"""Every kind of BPMN timer becomes a deadline row and fires through the scheduler's path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from service.access.permissions import Actor
from service.cases import instances
from service.scheduler import enforcer as scheduler
from service.store.models import Deadline, ProcessInstance, Task

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
ZOO = (Path(__file__).parent / "timer_zoo.bpmn").read_text()
MANAGER = Actor("manager1", "manager")


@pytest.fixture
def zoo(service):
    r = service.client.post(
        "/api/v1/process-definitions",
        data=ZOO,
        headers={**service.headers("admin1"), "Content-Type": "application/xml"},
    )
    assert r.status_code == 201, r.get_json()
    return service


def _start(s) -> str:
    return s.db.run(lambda session: instances.start_instance(session, MANAGER, "timer_zoo", {}, now=T0).id)


def _deadlines(s, instance_id: str, status: str = "pending") -> dict[str, Deadline]:
    rows = s.db.read(
        lambda session: session.scalars(
            select(Deadline).where(Deadline.instance_id == instance_id, Deadline.status == status)
        ).all()
    )
    return {d.activity_id: d for d in rows}


def _fire(s, deadline: Deadline, at: datetime) -> bool:
    return s.db.run(scheduler.fire, deadline.id, at)


def _history(s, instance_id: str) -> list[str]:
    items = s.get(f"/process-instances/{instance_id}/history", "manager1").get_json()["items"]
    return [e["type"] for e in items]


def _instance(s, instance_id: str) -> ProcessInstance:
    return s.db.read(lambda session: session.get(ProcessInstance, instance_id))


def _open_task(s, instance_id: str) -> Task | None:
    return s.db.read(
        lambda session: session.scalars(
            select(Task).where(Task.instance_id == instance_id, Task.status == "open")
        ).first()
    )


def test_boundary_timers_are_deadlines_and_the_task_carries_the_earliest(zoo):
    instance_id = _start(zoo)
    pending = _deadlines(zoo, instance_id)
    assert pending["reminder"].due_at == T0 + timedelta(hours=1)
    assert pending["give_up"].due_at == T0 + timedelta(hours=3)
    assert {d.kind for d in pending.values()} == {"timer"}
    assert _open_task(zoo, instance_id).due_at == T0 + timedelta(hours=1)
    listed = zoo.get(f"/deadlines?instance={instance_id}&status=pending", "manager1").get_json()
    assert listed["total"] == 2


def test_a_deadline_does_not_fire_before_it_is_due(zoo):
    instance_id = _start(zoo)
    reminder = _deadlines(zoo, instance_id)["reminder"]
    assert _fire(zoo, reminder, T0 + timedelta(minutes=59)) is False
    assert _history(zoo, instance_id) == ["instance_started", "task_ready"]


def test_a_cycle_ticks_on_the_same_deadline_then_ends_and_the_task_stays_open(zoo):
    instance_id = _start(zoo)
    reminder = _deadlines(zoo, instance_id)["reminder"]
    assert _fire(zoo, reminder, T0 + timedelta(hours=1)) is True
    again = _deadlines(zoo, instance_id)["reminder"]
    assert again.id == reminder.id
    assert again.due_at == T0 + timedelta(hours=2)
    assert _fire(zoo, again, T0 + timedelta(hours=2)) is True
    assert "reminder" not in _deadlines(zoo, instance_id)
    assert _open_task(zoo, instance_id).activity_id == "work"
    assert _history(zoo, instance_id).count("timer_fired") == 2
    assert _instance(zoo, instance_id).status == "running"


def test_an_interrupting_timer_cancels_the_task_and_the_other_timers(zoo):
    instance_id = _start(zoo)
    give_up = _deadlines(zoo, instance_id)["give_up"]
    assert _fire(zoo, give_up, T0 + timedelta(hours=3)) is True
    instance = _instance(zoo, instance_id)
    assert (instance.status, instance.end_state) == ("completed", "gave_up")
    assert _deadlines(zoo, instance_id) == {}
    assert set(_deadlines(zoo, instance_id, "cancelled")) == {"reminder"}
    assert _deadlines(zoo, instance_id, "fired")["give_up"].fired_at == T0 + timedelta(hours=3)
    assert _history(zoo, instance_id)[-3:] == ["timer_fired", "task_cancelled", "instance_completed"]


def _complete_work(s, instance_id: str, at: datetime) -> None:
    task = _open_task(s, instance_id)
    s.db.run(lambda session: instances.complete_task(session, MANAGER, task.id, {}, now=at))


def test_completing_in_time_cancels_the_deadlines_and_an_event_gateway_waits(zoo):
    instance_id = _start(zoo)
    _complete_work(zoo, instance_id, T0 + timedelta(minutes=30))
    assert set(_deadlines(zoo, instance_id, "cancelled")) == {"reminder", "give_up"}
    silence = _deadlines(zoo, instance_id)["silence"]
    assert silence.due_at == T0 + timedelta(days=1, minutes=30)  # one working day after completion
    assert _instance(zoo, instance_id).status == "waiting"
    r = zoo.post("/messages", "manager1", {"name": "reply", "business_key": "nobody", "payload": {}})
    assert r.status_code == 404


def test_event_gateway_timer_path(zoo):
    instance_id = _start(zoo)
    _complete_work(zoo, instance_id, T0)
    silence = _deadlines(zoo, instance_id)["silence"]
    assert _fire(zoo, silence, silence.due_at) is True
    instance = _instance(zoo, instance_id)
    assert (instance.status, instance.end_state) == ("completed", "no_reply")


def test_event_gateway_message_path_cancels_the_timer(zoo):
    instance_id = zoo.db.run(
        lambda session: (
            instances.start_instance(session, MANAGER, "timer_zoo", {}, business_key="K1", now=T0).id
        )
    )
    _complete_work(zoo, instance_id, T0)
    delivered = zoo.db.run(
        lambda session: instances.deliver_message(
            session, MANAGER, "reply", "K1", {"answer": "yes"}, now=T0 + timedelta(hours=1)
        )
    )
    assert delivered == [instance_id]
    instance = _instance(zoo, instance_id)
    assert (instance.status, instance.end_state) == ("completed", "replied")
    assert instance.variables["answer"] == "yes"
    assert set(_deadlines(zoo, instance_id, "cancelled")) == {"reminder", "give_up", "silence"}


def test_overdue_filter(zoo):
    instance_id = _start(zoo)  # its first deadline is T0 + 1h, long past by the wall clock
    overdue = zoo.get("/tasks?overdue=true", "manager1").get_json()["items"]
    assert [t["instance_id"] for t in overdue] == [instance_id]
    assert overdue[0]["due_at"].startswith("2026-01-05T10:00:00")
    fresh = zoo.db.run(lambda session: instances.start_instance(session, MANAGER, "timer_zoo", {}).id)
    overdue_ids = {t["instance_id"] for t in zoo.get("/tasks?overdue=true", "manager1").get_json()["items"]}
    assert fresh not in overdue_ids
