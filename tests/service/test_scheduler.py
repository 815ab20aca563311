"""The deadline scheduler fires timers at their due moment, once, and survives a restart."""

from __future__ import annotations

import time

from sqlalchemy import select

from service.cases import instances
from service.scheduler import enforcer as scheduler
from service.scheduler.enforcer import DeadlineScheduler
from service.store.models import Deadline, ProcessInstance

WAIT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">
  <bpmn:process id="short_wait" name="Short wait" isExecutable="true">
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="Wait a moment"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1S"</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="done" name="Done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="done"/>
  </bpmn:process>
</bpmn:definitions>"""


def _deploy(service) -> None:
    r = service.client.post(
        "/api/v1/process-definitions",
        data=WAIT,
        headers={**service.headers("admin1"), "Content-Type": "application/xml"},
    )
    assert r.status_code == 201, r.get_json()


def _start(service) -> str:
    return service.db.run(lambda s: instances.start_instance(s, None, "short_wait", {}).id)


def _wait_for(predicate, seconds: float = 6.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _deadline(service, instance_id: str) -> Deadline:
    return service.db.read(
        lambda s: s.scalars(select(Deadline).where(Deadline.instance_id == instance_id)).one()
    )


def _status(service, instance_id: str) -> str:
    return service.db.read(lambda s: s.get(ProcessInstance, instance_id).status)


def test_a_deadline_fires_within_a_second_of_its_due_time(service):
    _deploy(service)
    enforcer = DeadlineScheduler(service.db)
    enforcer.start()
    try:
        instance_id = _start(service)
        assert _status(service, instance_id) == "waiting"
        assert _wait_for(lambda: _status(service, instance_id) == "completed")
    finally:
        enforcer.shutdown()
    deadline = _deadline(service, instance_id)
    assert deadline.status == "fired"
    assert 0 <= (deadline.fired_at - deadline.due_at).total_seconds() < 1.0
    history = service.get(f"/process-instances/{instance_id}/history", "manager1").get_json()["items"]
    assert [e["type"] for e in history] == ["instance_started", "timer_fired", "instance_completed"]


def test_overdue_deadlines_fire_at_once_after_a_restart_and_only_once(service):
    _deploy(service)
    ids = [_start(service) for _ in range(3)]  # no scheduler running: these go overdue
    time.sleep(1.2)
    enforcer = DeadlineScheduler(service.db)
    enforcer.start()
    try:
        assert _wait_for(lambda: all(_status(service, i) == "completed" for i in ids), 5)
    finally:
        enforcer.shutdown()
    for instance_id in ids:
        history = service.get(f"/process-instances/{instance_id}/history", "manager1").get_json()["items"]
        assert [e["type"] for e in history].count("timer_fired") == 1
        # firing the same deadline again does nothing
        deadline = _deadline(service, instance_id)
        assert service.db.run(scheduler.fire, deadline.id) is False
