"""Small helpers shared by the API tests (imported as ``tests.api.helpers``)."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from datetime import datetime
from typing import Any

from service.scheduler import enforcer as scheduler

PROBLEM_KEYS = {"type", "title", "status", "detail"}
GENESIS = "0" * 64
CALL_DATA = {"called_at": "2026-01-05T09:00:00+00:00", "call_notes": "rang back", "documents_needed": False}
INSTANCE_KEYS = {
    "id",
    "process",
    "version",
    "business_key",
    "status",
    "stage",
    "variables",
    "active_tasks",
    "deadlines",
    "started_at",
    "ended_at",
    "end_state",
}
TASK_KEYS = {
    "id",
    "instance_id",
    "process",
    "activity_id",
    "name",
    "role",
    "assignee",
    "status",
    "created_at",
    "due_at",
}
DEADLINE_KEYS = {"id", "instance_id", "activity_id", "kind", "milestone", "due_at", "status", "fired_at"}
EVENT_KEYS = {"seq", "at", "type", "actor", "activity_id", "task_id", "data", "prev_hash", "hash"}


def assert_problem(response, status: int) -> dict[str, Any]:
    """An RFC 9457 problem response with ``status``; returns its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:800])
    assert response.mimetype == "application/problem+json", response.mimetype
    body = json.loads(response.get_data(as_text=True))
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, f"{text} has no offset"
    return moment


def start(
    s,
    user: str = "manager1",
    business_key: str | None = "B1",
    priority: str = "normal",
    caller_ref: str = "ABC-1",
    **extra: Any,
):
    body: dict[str, Any] = {
        "process": "example_callback",
        "variables": {"caller_ref": caller_ref, "priority": priority},
    }
    if business_key is not None:
        body["business_key"] = business_key
    body.update(extra)
    return s.post("/process-instances", user, body)


def start_ok(s, **kw) -> dict[str, Any]:
    r = start(s, **kw)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def only_task(instance: dict[str, Any]) -> dict[str, Any]:
    tasks = instance["active_tasks"]
    assert len(tasks) == 1, tasks
    return tasks[0]


def history(s, instance_id: str, user: str = "manager1") -> list[dict[str, Any]]:
    r = s.get(f"/process-instances/{instance_id}/history", user)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


def instance(s, instance_id: str, user: str = "manager1") -> dict[str, Any]:
    r = s.get(f"/process-instances/{instance_id}", user)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def fire(s, deadline_id: int, now: datetime) -> bool:
    return s.db.run(scheduler.fire, deadline_id, now)


def event_hash(event: dict[str, Any]) -> str:
    """API.md's recipe, written out independently of workflows/history.py."""
    fields = {
        k: event[k] for k in ("seq", "at", "type", "actor", "activity_id", "task_id", "data", "prev_hash")
    }
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")
    ).hexdigest()


def assert_chain(events: list[dict[str, Any]]) -> None:
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    previous = GENESIS
    for e in events:
        assert e["prev_hash"] == previous, e["seq"]
        assert e["hash"] == event_hash(e), e["seq"]
        previous = e["hash"]


# -- inline diagrams -------------------------------------------------------------------------------

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="{key}_defs" targetNamespace="https://advocacy-flow.example/test">
"""
_FLOW_NODES = (
    "startEvent",
    "endEvent",
    "userTask",
    "scriptTask",
    "businessRuleTask",
    "exclusiveGateway",
    "parallelGateway",
    "intermediateCatchEvent",
    "boundaryEvent",
    "manualTask",
    "task",
)
_NODE = re.compile(r"<bpmn:(" + "|".join(_FLOW_NODES) + r")\b[^>]*?\sid=\"([^\"]+)\"")


def diagram(
    key: str,
    body: str,
    *,
    lane: str | None = "Manager",
    lane_extra: str = "",
    head: str = "",
    name: str = "Test process",
) -> str:
    """A BPMN document with one process ``key``; every flow node of ``body`` goes in one lane named ``lane``."""
    lane_xml = ""
    if lane is not None:
        refs = "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for _, node in _NODE.findall(body))
        lane_xml = (
            f'<bpmn:laneSet id="{key}_lanes"><bpmn:lane id="{key}_lane" name="{lane}">'
            f"{lane_extra}{refs}</bpmn:lane></bpmn:laneSet>"
        )
    return (
        _HEAD.format(key=key)
        + head
        + f'<bpmn:process id="{key}" name="{name}" isExecutable="true">{lane_xml}{body}</bpmn:process>'
        + "</bpmn:definitions>\n"
    )


def linear(key: str, *nodes: str, **kw) -> str:
    """Start event, then ``nodes`` (XML of elements whose first id= is used), then an end event, in a line."""
    ids = ["start"] + [_NODE.search(n).group(2) for n in nodes] + ["done"]
    body = (
        '<bpmn:startEvent id="start" name="Start" />'
        + "".join(nodes)
        + '<bpmn:endEvent id="done" name="Done" />'
    )
    body += "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}" />'
        for i, (a, b) in enumerate(itertools.pairwise(ids))
    )
    return diagram(key, body, **kw)


def user_task(task_id: str = "enter", name: str = "Enter the numbers") -> str:
    return f'<bpmn:userTask id="{task_id}" name="{name}" />'


def script_task(task_id: str, script: str, name: str = "Compute") -> str:
    return (
        f'<bpmn:scriptTask id="{task_id}" name="{name}" scriptFormat="python">'
        f"<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>"
    )


def deploy_xml(s, xml: str | bytes, user: str = "admin1", content_type: str = "application/xml"):
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return s.client.post(
        "/api/v1/process-definitions", data=data, headers=s.headers(user), content_type=content_type
    )
