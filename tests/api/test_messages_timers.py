"""Messages to waiting instances; timers fired by the scheduler; the deadlines index."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.helpers import (
    CALL_DATA,
    DEADLINE_KEYS,
    assert_chain,
    assert_problem,
    fire,
    history,
    instance,
    only_task,
    parse_time,
    start_ok,
)

MESSAGE = "documents_received"


def _waiting(s, business_key="M1") -> dict:
    inst = start_ok(s, business_key=business_key)
    r = s.post(
        f"/tasks/{only_task(inst)['id']}/complete",
        "manager1",
        {"data": {**CALL_DATA, "documents_needed": True}},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "waiting", r.get_json()
    return r.get_json()


def _send(s, user="manager1", name=MESSAGE, business_key="M1", payload=None):
    return s.post("/messages", user, {"name": name, "business_key": business_key, "payload": payload or {}})


# -- messages ------------------------------------------------------------------------------------------


def test_message_delivered(deployed):
    s = deployed
    inst = _waiting(s)
    r = _send(s, payload={"documents": "3 pages"})
    assert r.status_code == 202, r.get_json()
    assert r.get_json() == {"delivered_to": [inst["id"]]}
    after = instance(s, inst["id"])
    assert after["status"] == "completed" and after["end_state"] == "resolved"
    assert after["variables"]["documents"] == "3 pages"
    events = history(s, inst["id"])
    received = [e for e in events if e["type"] == "message_received"]
    assert len(received) == 1
    assert received[0]["activity_id"] == "wait_documents" and received[0]["actor"] == "manager1"
    assert received[0]["data"]["name"] == MESSAGE and received[0]["data"]["payload"] == {
        "documents": "3 pages"
    }
    assert events[-1]["type"] == "instance_completed"
    assert_chain(events)
    assert_problem(_send(s), 404)


def test_message_to_every_waiting_instance_with_the_key(deployed):
    s = deployed
    first, second = _waiting(s, "SAME"), _waiting(s, "SAME")
    r = _send(s, business_key="SAME")
    assert r.status_code == 202
    assert sorted(r.get_json()["delivered_to"]) == sorted([first["id"], second["id"]])


def test_message_no_waiting_instance_is_404(deployed):
    s = deployed
    inst = start_ok(s, business_key="M1")  # still at call_back, not waiting for documents
    body = assert_problem(_send(s), 404)
    assert "M1" in body["detail"]
    assert instance(s, inst["id"])["status"] == "running"


def test_message_wrong_business_key_or_name_is_404(deployed):
    s = deployed
    inst = _waiting(s)
    n = len(history(s, inst["id"]))
    assert_problem(_send(s, business_key="M2"), 404)
    assert_problem(_send(s, name="something_else"), 404)
    assert instance(s, inst["id"])["status"] == "waiting"
    assert len(history(s, inst["id"])) == n


def test_message_not_to_cancelled_instance(deployed):
    s = deployed
    inst = _waiting(s)
    assert (
        s.post(
            f"/process-instances/{inst['id']}/cancel", "manager1", {"reason_code": "duplicate", "reason": "x"}
        ).status_code
        == 200
    )
    assert_problem(_send(s), 404)


def test_message_forbidden_roles(deployed):
    inst = _waiting(deployed)
    assert_problem(_send(deployed, user="auditor1"), 403)  # read-only role
    # roles that may not even know the case exists are told nothing waits (API.md: 404)
    assert_problem(_send(deployed, user="advocate1"), 404)
    assert_problem(_send(deployed, user="commissioner1"), 404)
    assert instance(deployed, inst["id"])["status"] == "waiting"
    assert not any(e["type"] == "message_received" for e in history(deployed, inst["id"]))


@pytest.mark.parametrize(
    "body",
    [
        {"business_key": "M1"},
        {"name": MESSAGE},
        {"name": "", "business_key": "M1"},
        {"name": MESSAGE, "business_key": "M1", "payload": [1]},
        {"name": MESSAGE, "business_key": "M1", "extra": True},
    ],
)
def test_message_malformed_is_422(deployed, body):
    _waiting(deployed)
    assert_problem(deployed.post("/messages", "manager1", body), 422)


# -- timers --------------------------------------------------------------------------------------------


def test_timer_fires_only_when_due(deployed):
    s = deployed
    inst = start_ok(s, priority="high")
    call_back = only_task(inst)
    [deadline] = inst["deadlines"]
    due = parse_time(deadline["due_at"])
    n = len(history(s, inst["id"]))

    assert fire(s, deadline["id"], due - timedelta(minutes=1)) is False
    assert instance(s, inst["id"]) == inst
    assert len(history(s, inst["id"])) == n

    moment = due + timedelta(minutes=1)
    assert fire(s, deadline["id"], moment) is True
    after = instance(s, inst["id"])
    assert after["status"] == "running"
    # non-interrupting: the call-back stays open beside the manager's chase
    by_activity = {t["activity_id"]: t for t in after["active_tasks"]}
    assert set(by_activity) == {"call_back", "chase_call_back"}
    assert by_activity["call_back"]["id"] == call_back["id"]
    review = by_activity["chase_call_back"]
    assert review["role"] == "manager"
    assert after["deadlines"] == []
    task = s.get(f"/tasks/{call_back['id']}", "manager1").get_json()
    assert task["status"] != "cancelled"

    events = history(s, inst["id"])
    new = events[n:]
    assert [e["type"] for e in new] == ["timer_fired", "task_ready"]
    assert new[0]["activity_id"] == "call_back_overdue"
    assert parse_time(new[0]["data"]["due_at"]) == due
    assert parse_time(new[0]["data"]["fired_at"]) == moment
    assert new[1]["activity_id"] == "chase_call_back"
    assert_chain(events)

    [row] = s.get(f"/deadlines?instance={inst['id']}", "manager1").get_json()["items"]
    assert row["status"] == "fired" and parse_time(row["fired_at"]) == moment
    assert fire(s, deadline["id"], moment + timedelta(hours=1)) is False
    assert len(history(s, inst["id"])) == len(events)

    chased = s.post(
        f"/tasks/{review['id']}/complete",
        "manager1",
        {"data": {"overdue_reason": "short staffed", "chase_action": "reassigned"}},
    )
    assert chased.status_code == 200, chased.get_json()
    assert chased.get_json()["status"] == "running"
    assert [t["activity_id"] for t in chased.get_json()["active_tasks"]] == ["call_back"]
    done = s.post(f"/tasks/{call_back['id']}/complete", "manager1", {"data": CALL_DATA})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed" and done.get_json()["end_state"] == "resolved"


def test_call_back_made_after_the_target_while_the_chase_is_open(deployed):
    s = deployed
    inst = start_ok(s, priority="high")
    [deadline] = inst["deadlines"]
    assert fire(s, deadline["id"], parse_time(deadline["due_at"]) + timedelta(seconds=1))
    tasks = {t["activity_id"]: t["id"] for t in instance(s, inst["id"])["active_tasks"]}
    done = s.post(f"/tasks/{tasks['call_back']}/complete", "manager1", {"data": CALL_DATA})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "running"
    assert [t["activity_id"] for t in done.get_json()["active_tasks"]] == ["chase_call_back"]
    chased = s.post(
        f"/tasks/{tasks['chase_call_back']}/complete",
        "manager1",
        {"data": {"overdue_reason": "rang late", "chase_action": "calling_now"}},
    )
    assert chased.status_code == 200, chased.get_json()
    assert chased.get_json()["status"] == "completed" and chased.get_json()["end_state"] == "overdue_chased"


def test_completed_in_time_cancels_the_deadline(deployed):
    s = deployed
    inst = start_ok(s)
    [deadline] = inst["deadlines"]
    assert (
        s.post(f"/tasks/{only_task(inst)['id']}/complete", "manager1", {"data": CALL_DATA}).status_code == 200
    )
    [row] = s.get(f"/deadlines?instance={inst['id']}", "manager1").get_json()["items"]
    assert row["id"] == deadline["id"] and row["status"] == "cancelled" and row["fired_at"] is None
    late = parse_time(deadline["due_at"]) + timedelta(hours=1)
    assert fire(s, deadline["id"], late) is False
    assert instance(s, inst["id"])["end_state"] == "resolved"
    assert not any(e["type"] == "timer_fired" for e in history(s, inst["id"]))


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"overdue_reason": "x", "chase_action": "reassigned"}, ["overdue_reason"]),
        ({"overdue_reason": "phone off", "chase_action": "gave_up"}, ["chase_action"]),
        ({"overdue_reason": "phone off"}, ["chase_action"]),
        (
            {"miss_reason": "phone off", "overdue_reason": "phone off", "chase_action": "reassigned"},
            ["miss_reason"],
        ),
    ],
)
def test_chase_form_is_enforced_and_changes_nothing(deployed, data, fields):
    s = deployed
    inst = start_ok(s, priority="high")
    [deadline] = inst["deadlines"]
    assert fire(s, deadline["id"], parse_time(deadline["due_at"]) + timedelta(seconds=1))
    before = instance(s, inst["id"])
    review = next(t for t in before["active_tasks"] if t["activity_id"] == "chase_call_back")
    body = assert_problem(s.post(f"/tasks/{review['id']}/complete", "manager1", {"data": data}), 422)
    assert sorted(body["errors"]) == fields
    assert instance(s, inst["id"]) == before


# -- the deadlines index -------------------------------------------------------------------------------


def test_deadlines_list_and_filters(deployed):
    s = deployed
    pending = start_ok(s, business_key="D1")
    fired = start_ok(s, business_key="D2", priority="high")
    cancelled = start_ok(s, business_key="D3")
    [fd] = fired["deadlines"]
    assert fire(s, fd["id"], parse_time(fd["due_at"]) + timedelta(seconds=5))
    assert (
        s.post(
            f"/process-instances/{cancelled['id']}/cancel",
            "manager1",
            {"reason_code": "duplicate", "reason": "x"},
        ).status_code
        == 200
    )

    r = s.get("/deadlines", "manager1")
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 3 and all(set(d) == DEADLINE_KEYS for d in body["items"])
    by_instance = {d["instance_id"]: d["status"] for d in body["items"]}
    assert by_instance == {pending["id"]: "pending", fired["id"]: "fired", cancelled["id"]: "cancelled"}
    for status, inst in (("pending", pending), ("fired", fired), ("cancelled", cancelled)):
        items = s.get(f"/deadlines?status={status}", "auditor1").get_json()["items"]
        assert [d["instance_id"] for d in items] == [inst["id"]], status
    items = s.get(f"/deadlines?instance={pending['id']}", "manager1").get_json()["items"]
    assert [(d["activity_id"], d["kind"]) for d in items] == [("call_back_overdue", "timer")]
    assert s.get(f"/deadlines?instance={pending['id']}&status=fired", "manager1").get_json()["total"] == 0
    assert s.get("/deadlines?limit=1", "manager1").get_json()["total"] == 3
    assert len(s.get("/deadlines?limit=1", "manager1").get_json()["items"]) == 1


@pytest.mark.parametrize("query", ["status=late", "instance=abc", "limit=501", "offset=-2"])
def test_deadlines_bad_query_is_422(deployed, query):
    assert_problem(deployed.get(f"/deadlines?{query}", "manager1"), 422)


def test_deadlines_scoped_by_role(deployed):
    start_ok(deployed)
    assert deployed.get("/deadlines", "advocate1").get_json() == {"items": [], "total": 0}
    assert deployed.get("/deadlines", "commissioner1").get_json() == {"items": [], "total": 0}
