"""Several enforcer processes on one PostgreSQL database fire each deadline exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service.base.config import ROOT
from service.cases import instances
from service.scheduler import enforcer as scheduler
from service.store.models import Deadline, HistoryEvent, ProcessInstance

COUNT = 300
ENFORCERS = 3
AT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="x">
  <bpmn:process id="wait_until" name="Wait until a moment" isExecutable="true">
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="Until the moment"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:timerEventDefinition>
      <bpmn:timeDate xsi:type="bpmn:tFormalExpression">due</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="done" name="Done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="done"/>
  </bpmn:process>
</bpmn:definitions>"""

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]


def _deploy_and_start(service, due: datetime, count: int) -> list[str]:
    r = service.client.post(
        "/api/v1/process-definitions",
        data=AT,
        headers={**service.headers("admin1"), "Content-Type": "application/xml"},
    )
    assert r.status_code == 201, r.get_json()

    def start_all(session):
        return [
            instances.start_instance(session, None, "wait_until", {"due": due.isoformat()}).id
            for _ in range(count)
        ]

    return service.db.run(start_all)


def _enforcers(url: str, n: int, lease_seconds: float = 60) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "ADVOCACY_FLOW_DATABASE_URL": url,
        "ADVOCACY_FLOW_DEADLINE_LEASE_SECONDS": str(lease_seconds),
    }
    return [
        subprocess.Popen(
            [sys.executable, "-m", "service.cli", "scheduler"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(n)
    ]


def _stop(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def _completed(service, ids: list[str]) -> int:
    return service.db.read(
        lambda s: s.scalar(
            select(func.count()).where(ProcessInstance.id.in_(ids), ProcessInstance.status == "completed")
        )
    )


def test_hundreds_of_deadlines_fire_exactly_once_across_enforcers(service, database_url):
    due = datetime.now(UTC) + timedelta(
        seconds=30
    )  # after all are started (a few seconds) and enforcers are up
    ids = _deploy_and_start(service, due, COUNT)
    pending = service.db.read(
        lambda s: s.scalar(
            select(func.count()).where(Deadline.instance_id.in_(ids), Deadline.status == "pending")
        )
    )
    assert pending == COUNT
    processes = _enforcers(database_url, ENFORCERS)
    try:
        end = time.monotonic() + 90
        while time.monotonic() < end and _completed(service, ids) < COUNT:
            time.sleep(0.5)
    finally:
        _stop(processes)
    assert _completed(service, ids) == COUNT
    fired = service.db.read(
        lambda s: s.execute(
            select(HistoryEvent.instance_id, func.count())
            .where(HistoryEvent.type == "timer_fired", HistoryEvent.instance_id.in_(ids))
            .group_by(HistoryEvent.instance_id)
        ).all()
    )
    assert len(fired) == COUNT
    assert {count for _, count in fired} == {1}
    statuses = service.db.read(
        lambda s: s.execute(
            select(Deadline.status, func.count())
            .where(Deadline.instance_id.in_(ids))
            .group_by(Deadline.status)
        ).all()
    )
    assert dict(statuses) == {"fired": COUNT}
    late = service.db.read(
        lambda s: s.scalar(
            select(func.max(Deadline.fired_at - Deadline.due_at)).where(Deadline.instance_id.in_(ids))
        )
    )
    assert late < timedelta(seconds=30)  # all fired, none early (fire refuses early) and none lost


def test_a_crashed_claimers_lease_expires_and_another_enforcer_fires(service, database_url):
    due = datetime.now(UTC) + timedelta(seconds=2)
    (instance_id,) = _deploy_and_start(service, due, 1)
    deadline_id = service.db.read(
        lambda s: s.scalar(select(Deadline.id).where(Deadline.instance_id == instance_id))
    )
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.1)
    # claimed for 3 seconds ... and the claimer "dies" here
    lease = service.db.run(scheduler.claim, deadline_id, None, timedelta(seconds=3))
    assert lease is not None
    assert service.db.run(scheduler.claim, deadline_id) is None  # held: nobody else may take it
    processes = _enforcers(database_url, 1, lease_seconds=3)
    try:
        end = time.monotonic() + 30
        while time.monotonic() < end and _completed(service, [instance_id]) < 1:
            time.sleep(0.25)
    finally:
        _stop(processes)
    assert _completed(service, [instance_id]) == 1
    assert (
        service.db.run(scheduler.fire, deadline_id, None, lease) is False
    )  # the dead claimer's lease is void
