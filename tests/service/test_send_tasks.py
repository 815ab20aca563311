"""BPMN send tasks: accepted at deploy only when they name a notification template of the service; run,
they notify the template's recipients in the step's own transaction, record ``notification_sent`` in
the history chain, and e-mail after the commit with nothing of the case, on both databases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.access.permissions import Actor
from service.base.problems import Invalid
from service.cases import definitions, instances, record, verification
from service.cases.notification_templates import TEMPLATES
from service.store.models import HistoryEvent, Notification, ProcessDefinition, Task, User
from tests.service.test_reminders_mail import _emails, smtp  # noqa: F401 (the fixture)

DIAGRAM = (Path(__file__).parent / "send_task.bpmn").read_text()
PERSON = "Jane Example-Secret"
GOOD = '<camunda:property name="notification_template" value="case_update_manager" />'
MANAGERS = ["manager1", "manager2"]


def _deploy(service, xml: str):
    return service.client.post(
        "/api/v1/process-definitions",
        data=xml,
        headers={**service.headers("admin1"), "Content-Type": "application/xml"},
    )


def _definitions(service) -> int:
    return service.db.read(lambda s: s.scalar(select(func.count()).select_from(ProcessDefinition)))


def _with_first(properties: str) -> str:
    """The test diagram with the first send task's properties replaced by ``properties``."""
    assert GOOD in DIAGRAM
    return DIAGRAM.replace(GOOD, properties, 1)


HOSTILE = {
    "no template": "",
    "empty": '<camunda:property name="notification_template" value="" />',
    "blank": '<camunda:property name="notification_template" value="   " />',
    "no value": '<camunda:property name="notification_template" />',
    "unknown": '<camunda:property name="notification_template" value="case_update_everyone" />',
    "padded": '<camunda:property name="notification_template" value=" case_update_manager " />',
    "upper case": '<camunda:property name="notification_template" value="CASE_UPDATE_MANAGER" />',
    "two templates": GOOD + '<camunda:property name="notification_template" value="commissioner_alert" />',
    "the same twice": GOOD + GOOD,
    "sql": '<camunda:property name="notification_template" value="case_update_manager\'; DROP TABLE users;--" />',
    "path": '<camunda:property name="notification_template" value="../../etc/passwd" />',
    "expression": '<camunda:property name="notification_template" value="${__import__(\'os\')}" />',
    "markup": '<camunda:property name="notification_template" value="&lt;script&gt;alert(1)&lt;/script&gt;" />',
    "new line": '<camunda:property name="notification_template" value="case_update_manager&#10;x" />',
    "long": f'<camunda:property name="notification_template" value="{"a" * 5000}" />',
    "a Python attribute": '<camunda:property name="notification_template" value="__class__" />',
    "a dict method": '<camunda:property name="notification_template" value="items" />',
}


def test_a_send_task_naming_a_template_deploys(service):
    r = _deploy(service, DIAGRAM)
    assert r.status_code == 201, r.get_json()
    model = service.db.read(
        lambda s: definitions.model_of(definitions.latest_definition(s, "send_task_demo"))
    )
    assert model.send_tasks == {
        "tell_managers": "case_update_manager",
        "tell_advocate": "case_update_advocate",
        "alert_commissioners": "commissioner_alert",
    }
    assert set(model.send_tasks.values()) <= set(TEMPLATES)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_send_task_without_a_known_template_is_refused_naming_it(service, case):
    before = _definitions(service)
    properties = HOSTILE[case]
    xml = (
        _with_first(properties)
        if properties
        else _with_first("").replace(
            "<bpmn:extensionElements><camunda:properties>\n        \n      </camunda:properties></bpmn:extensionElements>",
            "",
            1,
        )
    )
    r = _deploy(service, xml)
    assert r.status_code == 422, (case, r.get_json())
    body = r.get_json()
    assert r.mimetype == "application/problem+json"
    assert list(body["errors"]) == ["tell_managers"], body["errors"]
    [message] = body["errors"]["tell_managers"]
    assert "notification template" in message and "tell_managers" in message
    assert "DROP TABLE" not in message or "'" in message  # shown quoted, as text
    assert len(message) < 400
    assert _definitions(service) == before  # nothing stored
    # The use case refuses it the same way.
    with pytest.raises(Invalid) as refused:
        service.db.run(definitions.deploy, [("send_task.bpmn", xml)], {}, "admin1")
    assert list(refused.value.errors) == ["tell_managers"]
    assert _definitions(service) == before


def test_a_send_task_sending_a_bpmn_message_is_refused(service):
    xml = DIAGRAM.replace(
        '<bpmn:sendTask id="tell_managers" name="Tell the managers">',
        '<bpmn:sendTask id="tell_managers" name="Tell the managers" messageRef="m">',
    ).replace("<bpmn:process ", '<bpmn:message id="m" name="m" />\n  <bpmn:process ', 1)
    r = _deploy(service, xml)
    assert r.status_code == 422
    assert "not a BPMN message" in r.get_json()["errors"]["tell_managers"][0]


def test_every_bad_send_task_is_named_at_once(service):
    xml = DIAGRAM.replace('value="case_update_advocate"', 'value="nobody"').replace(
        'value="commissioner_alert"', 'value=""'
    )
    r = _deploy(service, xml)
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) == {"tell_advocate", "alert_commissioners"}


def _run(service, *, data: dict | None = None) -> tuple[str, str]:
    """Start the demo for advocate1 and complete its task over HTTP; (instance id, task id)."""
    assert _deploy(service, DIAGRAM).status_code == 201
    instance_id = service.db.run(
        lambda s: (
            instances.start_instance(
                s, None, "send_task_demo", {"advocate": "advocate1", "person_ref": PERSON}
            ).id
        )
    )
    task_id = service.db.read(
        lambda s: s.scalars(select(Task.id).where(Task.instance_id == instance_id)).one()
    )
    r = service.post(
        f"/tasks/{task_id}/complete", "advocate1", {"data": {"note": f"{PERSON} is now in hospital"}}
    )
    assert r.status_code == 200, r.get_json()
    return instance_id, task_id


def test_a_send_task_notifies_records_and_replays(service):
    instance_id, _ = _run(service)

    def read(session):
        rows = session.scalars(
            select(Notification).where(Notification.instance_id == instance_id).order_by(Notification.id)
        ).all()
        events = session.scalars(
            select(HistoryEvent).where(HistoryEvent.instance_id == instance_id).order_by(HistoryEvent.seq)
        ).all()
        return [(n.recipient, n.kind, n.template, n.task_id) for n in rows], [
            (e.type, e.activity_id, json.loads(e.data) if isinstance(e.data, str) else e.data) for e in events
        ]

    rows, events = service.db.read(read)
    assert rows == [
        *((m, "send_task", "case_update_manager", None) for m in MANAGERS),
        ("advocate1", "send_task", "case_update_advocate", None),
        ("commissioner1", "send_task", "commissioner_alert", None),
    ]
    types = [t for t, _, _ in events]
    assert types == [
        "instance_started",
        "task_ready",
        "task_completed",
        "instance_completed",
        *["notification_sent"] * 4,
    ]
    sent = [(a, d) for t, a, d in events if t == "notification_sent"]
    assert sent == [
        (
            "tell_managers",
            {
                "kind": "send_task",
                "recipient": "manager1",
                "recipient_role": "manager",
                "template": "case_update_manager",
            },
        ),
        (
            "tell_managers",
            {
                "kind": "send_task",
                "recipient": "manager2",
                "recipient_role": "manager",
                "template": "case_update_manager",
            },
        ),
        (
            "tell_advocate",
            {
                "kind": "send_task",
                "recipient": "advocate1",
                "recipient_role": "advocate",
                "template": "case_update_advocate",
            },
        ),
        (
            "alert_commissioners",
            {
                "kind": "send_task",
                "recipient": "commissioner1",
                "recipient_role": "commissioner",
                "template": "commissioner_alert",
            },
        ),
    ]
    assert events[2][2]["completed"] == [
        "record_update",
        "tell_managers",
        "tell_advocate",
        "alert_commissioners",
        "done",
    ]
    # The chain holds, and the replay of the whole history is the instance as stored.
    checked, _, broken = service.db.read(verification.verify_chains, instance_id)
    assert broken == [] and checked >= 1
    auditor = Actor("auditor1", "auditor")
    replayed = service.db.run(record.replay_at, auditor, instance_id)
    stored = service.get(f"/process-instances/{instance_id}", "auditor1").get_json()
    assert replayed["status"] == stored["status"] == "completed"
    assert replayed["end_state"] == stored["end_state"] == "done"
    assert replayed["variables"] == stored["variables"]
    assert replayed["completed_activities"] == [
        "start",
        "record_update",
        "tell_managers",
        "tell_advocate",
        "alert_commissioners",
        "done",
    ]
    diagram = service.get(f"/process-instances/{instance_id}/diagram", "auditor1").get_json()
    assert {"tell_managers", "tell_advocate", "alert_commissioners"} <= set(diagram["completed"])
    assert {"f2", "f3", "f4", "f5"} <= set(diagram["taken_flows"])
    # Each recipient reads their own.
    for user, template in (("manager2", "case_update_manager"), ("commissioner1", "commissioner_alert")):
        [item] = service.get("/notifications", user).get_json()["items"]
        assert (item["kind"], item["template"], item["instance_id"]) == ("send_task", template, instance_id)
    assert service.get("/notifications", "advocate2").get_json()["items"] == []


def test_the_mail_goes_after_the_commit_in_each_language_without_case_content(service, smtp):  # noqa: F811
    _emails(service)

    def welsh(session):
        session.scalars(select(User).where(User.username == "manager2")).one().language = "cy"

    service.db.run(welsh)
    # A step that is rolled back sends nothing and leaves nothing.
    assert _deploy(service, DIAGRAM).status_code == 201
    instance_id = service.db.run(
        lambda s: (
            instances.start_instance(
                s, None, "send_task_demo", {"advocate": "advocate1", "person_ref": PERSON}
            ).id
        )
    )
    task_id = service.db.read(
        lambda s: s.scalars(select(Task.id).where(Task.instance_id == instance_id)).one()
    )

    def complete_then_fail(session):
        instances.complete_task(session, Actor("advocate1", "advocate"), task_id, {"note": PERSON})
        raise RuntimeError("the request failed after the step")

    with pytest.raises(RuntimeError):
        service.db.run(complete_then_fail)
    assert smtp.messages == []
    assert service.db.read(lambda s: s.scalar(select(func.count()).select_from(Notification))) == 0

    r = service.post(
        f"/tasks/{task_id}/complete", "advocate1", {"data": {"note": f"{PERSON} is now in hospital"}}
    )
    assert r.status_code == 200, r.get_json()
    by_recipient = {rcpts[0]: content for _, rcpts, content in smtp.messages}
    assert sorted(by_recipient) == [
        "advocate1@example.org",
        "commissioner1@example.org",
        "manager1@example.org",
        "manager2@example.org",
    ]
    assert "Subject: Case update: Tell the managers" in by_recipient["manager1@example.org"]
    assert "Subject: Diweddariad achos: Tell the managers" in by_recipient["manager2@example.org"]
    assert "Subject: Update on a case you work on: Tell the advocate" in by_recipient["advocate1@example.org"]
    assert (
        "Subject: Alert for commissioners: Alert the commissioners"
        in by_recipient["commissioner1@example.org"]
    )
    for content in by_recipient.values():
        assert PERSON not in content and "hospital" not in content and "person_ref" not in content
        assert instance_id not in content  # only a link to the notifications
        assert re.search(r"https?://\S+/notifications", content)


def test_the_test_diagram_opens_in_a_modeler(tmp_path, monkeypatch):
    """Drawn as every diagram in bpmn/ must be: each element a shape, each flow an edge touching its ends."""
    from tests.scenarios import test_layout_every_diagram as layout

    (tmp_path / "bpmn").mkdir()
    (tmp_path / "bpmn" / "send_task.bpmn").write_text(DIAGRAM)
    monkeypatch.setattr(layout, "REPO", tmp_path)
    layout.test_every_element_is_drawn_named_and_laid_out("send_task")


CALLER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="caller_definitions" targetNamespace="https://advocacy-flow.example/tests">
  <bpmn:process id="send_task_caller" name="Calls the alert" isExecutable="true">
    <bpmn:startEvent id="begin" name="Begin"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:callActivity id="call_alert" name="The alert" calledElement="send_only">
      <bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2</bpmn:outgoing></bpmn:callActivity>
    <bpmn:endEvent id="finished" name="Finished"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="g1" sourceRef="begin" targetRef="call_alert" />
    <bpmn:sequenceFlow id="g2" sourceRef="call_alert" targetRef="finished" />
  </bpmn:process>
  <bpmn:process id="send_only" name="Only an alert" isExecutable="true">
    <bpmn:startEvent id="alert_begin" name="Begin"><bpmn:outgoing>h1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sendTask id="called_alert" name="Alert from the called process">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="notification_template" value="commissioner_alert" />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>h1</bpmn:incoming><bpmn:outgoing>h2</bpmn:outgoing></bpmn:sendTask>
    <bpmn:endEvent id="alert_end" name="Sent"><bpmn:incoming>h2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="h1" sourceRef="alert_begin" targetRef="called_alert" />
    <bpmn:sequenceFlow id="h2" sourceRef="called_alert" targetRef="alert_end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_called_process_sends_as_part_of_its_caller(service):
    service.db.run(definitions.deploy, [("send_task_caller.bpmn", CALLER)], {}, "admin1")
    instance_id = service.db.run(lambda s: instances.start_instance(s, None, "send_task_caller", {}).id)
    sent = service.db.read(
        lambda s: s.execute(
            select(Notification.recipient, Notification.template).where(
                Notification.instance_id == instance_id
            )
        ).all()
    )
    assert [tuple(row) for row in sent] == [("commissioner1", "commissioner_alert")]
    status = service.get(f"/process-instances/{instance_id}", "auditor1").get_json()["status"]
    assert status == "completed"
