"""History: gap-free seq, the event shape, the hash chain (verified as API.md says), instance errors."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from tests.api.helpers import (
    CALL_DATA,
    EVENT_KEYS,
    assert_problem,
    deploy_xml,
    history,
    instance,
    linear,
    only_task,
    parse_time,
    script_task,
    start_ok,
    user_task,
)

EVENT_TYPES = {
    "instance_started",
    "task_ready",
    "task_claimed",
    "task_completed",
    "task_cancelled",
    "timer_fired",
    "deadline_breached",
    "message_received",
    "escalation_started",
    "instance_completed",
    "instance_cancelled",
    "instance_error",
    "record_read",
}


def verify(events: list[dict]) -> int | None:
    """API.md's few lines, written here from the contract alone: the seq of the first broken link, or None."""
    previous = "0" * 64
    for expected, event in enumerate(events, start=1):
        fields = {
            k: event[k] for k in ("seq", "at", "type", "actor", "activity_id", "task_id", "data", "prev_hash")
        }
        digest = hashlib.sha256(
            json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")
        ).hexdigest()
        if event["seq"] != expected or event["prev_hash"] != previous or event["hash"] != digest:
            return expected
        previous = event["hash"]
    return None


def _full_walk(s) -> tuple[dict, list[dict]]:
    inst = start_ok(s, business_key="H1")
    task = only_task(inst)
    assert s.post(f"/tasks/{task['id']}/claim", "manager1").status_code == 200
    r = s.post(f"/tasks/{task['id']}/complete", "manager1", {"data": {**CALL_DATA, "documents_needed": True}})
    assert r.status_code == 200
    r = s.post(
        "/messages",
        "manager2",
        {
            "name": "documents_received",
            "business_key": "H1",
            "payload": {"pages": 2, "note": "caf\u00e9 \u2713"},
        },
    )
    assert r.status_code == 202
    return inst, history(s, inst["id"])


def test_history_shape_and_order(deployed):
    s = deployed
    inst, events = _full_walk(s)
    task = only_task(inst)
    assert [e["type"] for e in events] == [
        "instance_started",
        "task_ready",
        "task_claimed",
        "task_completed",
        "message_received",
        "instance_completed",
    ]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    for e in events:
        assert set(e) == EVENT_KEYS
        assert e["type"] in EVENT_TYPES
        assert isinstance(e["data"], dict)
        assert len(e["hash"]) == 64 and int(e["hash"], 16) >= 0
    times = [parse_time(e["at"]) for e in events]
    assert times == sorted(times)
    started, ready, claimed, completed, received, done = events
    assert started["actor"] == "manager1" and started["activity_id"] is None and started["task_id"] is None
    assert started["data"]["business_key"] == "H1"
    assert {"caller_ref": "ABC-1", "priority": "normal"}.items() <= started["data"]["variables"].items()
    assert started["prev_hash"] == "0" * 64
    assert (ready["activity_id"], ready["task_id"]) == ("call_back", task["id"])
    assert ready["data"]["role"] == "manager"
    assert (claimed["actor"], claimed["task_id"]) == ("manager1", task["id"])
    assert completed["data"]["data"]["documents_needed"] is True
    assert received["actor"] == "manager2" and received["data"]["payload"]["note"] == "caf\u00e9 \u2713"
    assert done["data"]["end_state"] == "resolved"
    assert s.get(f"/process-instances/{inst['id']}/history", "auditor1").get_json()["items"][:6] == events


def test_hash_chain_verifies_and_catches_tampering(deployed):
    _, events = _full_walk(deployed)
    assert verify(events) is None
    for e in events[1:]:
        assert e["prev_hash"] == events[e["seq"] - 2]["hash"]

    changed = copy.deepcopy(events)
    changed[3]["data"]["data"]["called_at"] = "2026-01-06T09:00:00+00:00"
    assert verify(changed) == 4
    dropped = events[:2] + events[3:]
    assert verify(dropped) == 3
    rehashed = copy.deepcopy(events)
    rehashed[2]["actor"] = "manager2"
    fields = {
        k: rehashed[2][k]
        for k in ("seq", "at", "type", "actor", "activity_id", "task_id", "data", "prev_hash")
    }
    rehashed[2]["hash"] = hashlib.sha256(
        json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert verify(rehashed) == 4, "re-hashing one event breaks the next link"


def test_history_has_no_gaps_after_cancel(deployed):
    s = deployed
    inst = start_ok(s)
    assert (
        s.post(
            f"/process-instances/{inst['id']}/cancel",
            "manager1",
            {"reason_code": "duplicate", "reason": "done"},
        ).status_code
        == 200
    )
    events = history(s, inst["id"])
    assert [e["type"] for e in events] == [
        "instance_started",
        "task_ready",
        "task_cancelled",
        "instance_cancelled",
    ]
    assert verify(events) is None


def test_auditor_history_read_is_logged(deployed):
    s = deployed
    inst = start_ok(s)
    before = history(s, inst["id"], user="manager1")
    seen = history(s, inst["id"], user="auditor1")
    assert seen[: len(before)] == before
    [read] = seen[len(before) :]
    assert read["type"] == "record_read" and read["actor"] == "auditor1"
    after = history(s, inst["id"], user="manager1")
    assert len(after) == len(before) + 1, "a manager's read is not logged"
    assert verify(after) is None


def test_auditor_instance_read_is_logged(deployed):
    s = deployed
    inst = start_ok(s)
    before = len(history(s, inst["id"], user="manager1"))
    assert s.get(f"/process-instances/{inst['id']}", "auditor1").status_code == 200
    events = history(s, inst["id"], user="manager1")
    reads = [e for e in events[before:] if e["type"] == "record_read"]
    assert reads and reads[0]["actor"] == "auditor1"
    assert verify(events) is None


# -- instance errors -----------------------------------------------------------------------------------


def _error_process(s, key: str, script: str) -> dict:
    xml = linear(
        key,
        user_task("enter", "Enter the numbers"),
        script_task("divide", script),
        user_task("after", "Look at the result"),
    )
    r = deploy_xml(s, xml)
    assert r.status_code == 201, r.get_json()
    r = s.post(
        "/process-instances", "manager1", {"process": key, "business_key": "E1", "variables": {"a": 1}}
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


@pytest.mark.parametrize(
    ("script", "data", "error"),
    [
        ("ratio = total / divisor", {"total": 10, "divisor": 0}, "division by zero"),
        ("ratio = total / not_defined_anywhere", {"total": 10, "divisor": 2}, "not_defined_anywhere"),
    ],
)
def test_failing_script_puts_instance_in_error(service, script, data, error):
    s = service
    inst = _error_process(s, "failing", script)
    enter = only_task(inst)
    r = s.post(f"/tasks/{enter['id']}/complete", "manager1", {"data": data})
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["status"] == "error"
    assert body["active_tasks"] == [] and body["end_state"] is None
    assert body["variables"]["total"] == 10 and body["variables"]["divisor"] == data["divisor"]
    assert body["variables"]["a"] == 1
    assert "ratio" not in body["variables"]

    events = history(s, inst["id"])
    assert verify(events) is None
    last = events[-1]
    assert last["type"] == "instance_error"
    assert last["activity_id"] == "divide" and last["data"]["element"] == "divide"
    assert error.lower() in json.dumps(last["data"]).lower()
    assert [e["type"] for e in events[:-1]] == ["instance_started", "task_ready", "task_completed"]
    assert events[2]["data"]["data"] == data

    again = instance(s, inst["id"])
    assert again["status"] == "error" and again["variables"] == body["variables"]
    assert [i["id"] for i in s.get("/process-instances?status=error", "manager1").get_json()["items"]] == [
        inst["id"]
    ]
    assert_problem(s.post(f"/tasks/{enter['id']}/complete", "manager1", {"data": data}), 409)
    assert s.get("/tasks", "manager1").get_json()["total"] == 0


def test_error_on_start_is_not_a_500(service):
    xml = linear("fails_at_start", script_task("boom", "x = 1 / 0"), user_task())
    assert deploy_xml(service, xml).status_code == 201
    r = service.post(
        "/process-instances", "manager1", {"process": "fails_at_start", "variables": {"keep": "me"}}
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert body["status"] == "error" and body["active_tasks"] == []
    assert body["variables"] == {"keep": "me"}
    events = history(service, body["id"])
    assert [e["type"] for e in events] == ["instance_started", "instance_error"]
    assert events[-1]["activity_id"] == "boom" and "division by zero" in events[-1]["data"]["message"]
    assert verify(events) is None


def test_errored_instance_can_be_cancelled(service):
    inst = _error_process(service, "failing_then_cancelled", "ratio = total / divisor")
    enter = only_task(inst)
    r = service.post(f"/tasks/{enter['id']}/complete", "manager1", {"data": {"total": 1, "divisor": 0}})
    assert r.get_json()["status"] == "error"
    r = service.post(
        f"/process-instances/{inst['id']}/cancel",
        "manager1",
        {"reason_code": "duplicate", "reason": "bad diagram"},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    events = history(service, inst["id"])
    assert [e["type"] for e in events[-2:]] == ["instance_error", "instance_cancelled"]
    assert verify(events) is None
