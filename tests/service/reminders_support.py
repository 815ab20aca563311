"""A small process with an SLA target on a user task, for the reminder tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from service.cases import instances
from service.store.models import Deadline, Task

REMIND = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="remind_definitions" targetNamespace="https://advocacy-flow.example/tests">
  <bpmn:process id="remind_me" name="A task with a target" isExecutable="true">
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="allocate" name="Allocate an advocate" camunda:candidateGroups="advocate" camunda:assignee="${advocate}">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="allocate_sla" name="Target missed" attachedToRef="allocate" cancelActivity="false">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="sla_milestone" value="allocation" />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">due</bpmn:timeDate>
      </bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:endEvent id="noted" name="Breach noted"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="done" name="Done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="allocate" />
    <bpmn:sequenceFlow id="f2" sourceRef="allocate" targetRef="done" />
    <bpmn:sequenceFlow id="f3" sourceRef="allocate_sla" targetRef="noted" />
  </bpmn:process>
</bpmn:definitions>"""

PERSON = "Jane Example-Secret"


def deploy(service) -> None:
    r = service.client.post(
        "/api/v1/process-definitions",
        data=REMIND,
        headers={**service.headers("admin1"), "Content-Type": "application/xml"},
    )
    assert r.status_code == 201, r.get_json()


def start(
    service, received: datetime, due: datetime, now: datetime | None = None, advocate: str | None = None
) -> str:
    variables = {"received_at": received.isoformat(), "due": due.isoformat(), "person_ref": PERSON}
    if advocate:
        variables["advocate"] = advocate
    return service.db.run(
        lambda session: instances.start_instance(session, None, "remind_me", variables, now=now).id
    )


def deadline_of(service, instance_id: str) -> Deadline:
    return service.db.read(
        lambda session: session.scalars(
            select(Deadline).where(Deadline.instance_id == instance_id, Deadline.kind == "sla")
        ).one()
    )


def task_of(service, instance_id: str) -> Task:
    return service.db.read(
        lambda session: session.scalars(select(Task).where(Task.instance_id == instance_id)).one()
    )
