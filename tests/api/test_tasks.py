"""User tasks: the inbox and its filters, a task with its form, claim, complete."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from service.base.config import ROOT
from service.cases import instances as use_cases
from tests.api.helpers import (
    CALL_DATA,
    INSTANCE_KEYS,
    TASK_KEYS,
    assert_problem,
    deploy_xml,
    history,
    instance,
    linear,
    only_task,
    parse_time,
    start_ok,
    user_task,
)

CALL_FORM = json.loads((ROOT / "forms" / "example_callback" / "call_back.json").read_text("utf-8"))
ALLOCATED = linear(
    "allocated",
    user_task("allocate", "Allocate an advocate"),
    '<bpmn:userTask id="work" name="Do the work" camunda:candidateGroups="advocate" '
    'camunda:assignee="${advocate}" />',
)


def _task_ids(r) -> list[str]:
    assert r.status_code == 200, r.get_json()
    return [t["id"] for t in r.get_json()["items"]]


def _allocated(s, advocate="advocate1") -> tuple[dict, dict]:
    """An instance whose open task is assigned to ``advocate``."""
    assert deploy_xml(s, ALLOCATED).status_code == 201
    r = s.post(
        "/process-instances", "manager1", {"process": "allocated", "business_key": "AL", "variables": {}}
    )
    assert r.status_code == 201, r.get_json()
    allocate = only_task(r.get_json())
    done = s.post(f"/tasks/{allocate['id']}/complete", "manager1", {"data": {"advocate": advocate}})
    assert done.status_code == 200, done.get_json()
    return done.get_json(), only_task(done.get_json())


# -- the inbox -----------------------------------------------------------------------------------------


def test_list_fields_and_filters(deployed):
    s = deployed
    a = start_ok(s, business_key="T1")
    b = start_ok(s, business_key="T2", priority="high")
    ta, tb = only_task(a), only_task(b)
    r = s.get("/tasks", "manager1")
    body = r.get_json()
    assert body["total"] == 2
    assert [t["id"] for t in body["items"]] == [tb["id"], ta["id"]], "sooner due first"
    assert all(set(t) == TASK_KEYS for t in body["items"])
    assert _task_ids(s.get(f"/tasks?instance={a['id']}", "manager1")) == [ta["id"]]
    assert set(_task_ids(s.get("/tasks?process=example_callback", "manager1"))) == {ta["id"], tb["id"]}
    assert _task_ids(s.get("/tasks?process=other", "manager1")) == []
    assert set(_task_ids(s.get("/tasks?role=manager", "auditor1"))) == {ta["id"], tb["id"]}
    assert _task_ids(s.get("/tasks?role=advocate", "manager1")) == []
    assert _task_ids(s.get("/tasks?mine=true", "manager1")) == []
    assert s.post(f"/tasks/{ta['id']}/claim", "manager1").status_code == 200
    assert _task_ids(s.get("/tasks?mine=true", "manager1")) == [ta["id"]]
    assert _task_ids(s.get("/tasks?mine=true", "manager2")) == []
    page = s.get("/tasks?limit=1&offset=1", "manager1").get_json()
    assert page["total"] == 2 and [t["id"] for t in page["items"]] == [ta["id"]]


@pytest.mark.parametrize(
    "query", ["role=auditor", "role=x", "instance=not-a-uuid", "limit=501", "mine=perhaps"]
)
def test_list_bad_query_is_422(deployed, query):
    assert_problem(deployed.get(f"/tasks?{query}", "manager1"), 422)


def test_inbox_scoped_by_role(deployed):
    start_ok(deployed)
    for user in ("advocate1", "commissioner1", "admin1"):
        assert deployed.get("/tasks", user).get_json() == {"items": [], "total": 0}, user


def test_overdue_filter(deployed, monkeypatch):
    s = deployed
    task = only_task(start_ok(s, priority="high"))
    due = parse_time(task["due_at"])
    assert timedelta(hours=3, minutes=59) < due - parse_time(task["created_at"]) <= timedelta(hours=4)
    assert _task_ids(s.get("/tasks?overdue=true", "manager1")) == []
    monkeypatch.setattr(use_cases, "utcnow", lambda: due + timedelta(minutes=1))
    assert _task_ids(s.get("/tasks?overdue=true", "manager1")) == [task["id"]]
    monkeypatch.setattr(use_cases, "utcnow", lambda: due - timedelta(minutes=1))
    assert _task_ids(s.get("/tasks?overdue=true", "manager1")) == []


# -- one task ------------------------------------------------------------------------------------------


def test_get_task_with_form(deployed):
    inst = start_ok(deployed)
    task = only_task(inst)
    r = deployed.get(f"/tasks/{task['id']}", "manager1")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == TASK_KEYS | {"form"}
    assert body["form"] == CALL_FORM
    assert {k: body[k] for k in TASK_KEYS} == task
    assert deployed.get(f"/tasks/{task['id']}", "auditor1").status_code == 200


def test_task_without_form_gets_a_permissive_schema(service):
    assert deploy_xml(service, linear("plain", user_task())).status_code == 201
    inst = service.post("/process-instances", "manager1", {"process": "plain", "variables": {}}).get_json()
    form = service.get(f"/tasks/{only_task(inst)['id']}", "manager1").get_json()["form"]
    assert form.get("type") == "object"


@pytest.mark.parametrize("task_id", [str(uuid.uuid4()), "nope", "123"])
def test_unknown_task_is_404(deployed, task_id):
    assert_problem(deployed.get(f"/tasks/{task_id}", "manager1"), 404)
    assert_problem(deployed.post(f"/tasks/{task_id}/claim", "manager1"), 404)
    assert_problem(deployed.post(f"/tasks/{task_id}/complete", "manager1", {"data": CALL_DATA}), 404)


# -- claim ---------------------------------------------------------------------------------------------


def test_claim(deployed):
    s = deployed
    inst = start_ok(s)
    task = only_task(inst)
    r = s.post(f"/tasks/{task['id']}/claim", "manager1")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["assignee"] == "manager1" and r.get_json()["id"] == task["id"]
    assert set(r.get_json()) == TASK_KEYS
    last = history(s, inst["id"])[-1]
    assert (last["type"], last["actor"], last["task_id"], last["activity_id"]) == (
        "task_claimed",
        "manager1",
        task["id"],
        "call_back",
    )
    n = len(history(s, inst["id"]))
    assert s.post(f"/tasks/{task['id']}/claim", "manager1").status_code == 200
    assert len(history(s, inst["id"])) == n, "claiming one's own task again records nothing"
    assert_problem(s.post(f"/tasks/{task['id']}/claim", "manager2"), 403)
    assert_problem(s.post(f"/tasks/{task['id']}/complete", "manager2", {"data": CALL_DATA}), 403)
    assert s.get(f"/tasks/{task['id']}", "manager2").get_json()["assignee"] == "manager1"


def test_claim_wrong_role(deployed):
    task = only_task(start_ok(deployed))
    assert_problem(deployed.post(f"/tasks/{task['id']}/claim", "auditor1"), 403)
    assert_problem(deployed.post(f"/tasks/{task['id']}/claim", "advocate1"), 404)
    assert_problem(deployed.post(f"/tasks/{task['id']}/claim", "commissioner1"), 404)
    admin = deployed.post(f"/tasks/{task['id']}/claim", "admin1")
    assert admin.status_code in (403, 404)  # the admin holds no casework: forbidden, or not even shown
    assert_problem(admin, admin.status_code)
    assert deployed.get(f"/tasks/{task['id']}", "manager1").get_json()["assignee"] is None


def test_claim_closed_task_is_409(deployed):
    task = only_task(start_ok(deployed))
    assert deployed.post(f"/tasks/{task['id']}/complete", "manager1", {"data": CALL_DATA}).status_code == 200
    assert_problem(deployed.post(f"/tasks/{task['id']}/claim", "manager1"), 409)


def test_assigned_task_belongs_to_its_advocate(deployed):
    s = deployed
    inst, work = _allocated(s)
    assert work["assignee"] == "advocate1" and work["role"] == "advocate"
    assert _task_ids(s.get("/tasks", "advocate1")) == [work["id"]]
    assert _task_ids(s.get("/tasks?mine=true", "advocate1")) == [work["id"]]
    assert s.get("/tasks", "advocate2").get_json()["total"] == 0
    assert_problem(s.get(f"/tasks/{work['id']}", "advocate2"), 404)
    assert_problem(s.post(f"/tasks/{work['id']}/complete", "advocate2", {"data": {}}), 404)
    assert s.get(f"/process-instances/{inst['id']}", "advocate1").status_code == 200
    assert_problem(s.get(f"/process-instances/{inst['id']}", "advocate2"), 404)
    done = s.post(f"/tasks/{work['id']}/complete", "advocate1", {"data": {"note": "met"}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed" and done.get_json()["end_state"] == "done"


# -- complete ------------------------------------------------------------------------------------------


def test_complete_returns_the_instance(deployed):
    s = deployed
    inst = start_ok(s)
    task = only_task(inst)
    r = s.post(f"/tasks/{task['id']}/complete", "manager1", {"data": CALL_DATA})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert set(body) == INSTANCE_KEYS
    assert body["id"] == inst["id"] and body["status"] == "completed" and body["end_state"] == "resolved"
    assert body["active_tasks"] == [] and body["deadlines"] == []
    assert body["variables"]["called_at"] == CALL_DATA["called_at"]
    assert body["variables"]["documents_needed"] is False
    parse_time(body["ended_at"])
    completed = [e for e in history(s, inst["id"]) if e["type"] == "task_completed"]
    assert len(completed) == 1
    assert completed[0]["actor"] == "manager1" and completed[0]["task_id"] == task["id"]
    assert completed[0]["data"]["data"] == CALL_DATA
    assert history(s, inst["id"])[-1]["type"] == "instance_completed"
    dl = s.get(f"/deadlines?instance={inst['id']}", "manager1").get_json()["items"]
    assert [d["status"] for d in dl] == ["cancelled"]
    assert s.get(f"/tasks/{task['id']}", "manager1").get_json()["status"] == "completed"


def test_complete_to_waiting(deployed):
    task = only_task(start_ok(deployed))
    r = deployed.post(
        f"/tasks/{task['id']}/complete", "manager1", {"data": {**CALL_DATA, "documents_needed": True}}
    )
    assert r.status_code == 200
    assert r.get_json()["status"] == "waiting" and r.get_json()["active_tasks"] == []


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"documents_needed": False}, {"called_at"}),
        ({"called_at": "yesterday", "documents_needed": False}, {"called_at"}),
        ({"called_at": "2026-01-05T09:00:00+00:00", "documents_needed": "no"}, {"documents_needed"}),
        ({**CALL_DATA, "call_notes": "x" * 2001}, {"call_notes"}),
        ({**CALL_DATA, "surprise": 1}, {"surprise"}),
        ({}, {"called_at", "documents_needed"}),
    ],
)
def test_complete_invalid_data_changes_nothing(deployed, data, fields):
    s = deployed
    inst = start_ok(s)
    task = only_task(inst)
    before_history, before = history(s, inst["id"]), instance(s, inst["id"])
    body = assert_problem(s.post(f"/tasks/{task['id']}/complete", "manager1", {"data": data}), 422)
    assert set(body["errors"]) == fields, body["errors"]
    assert history(s, inst["id"]) == before_history
    assert instance(s, inst["id"]) == before
    assert s.get(f"/tasks/{task['id']}", "manager1").get_json()["status"] == "open"


@pytest.mark.parametrize("body", [{}, {"data": []}, {"data": "x"}, {"data": {}, "more": 1}])
def test_complete_malformed_body_is_422(deployed, body):
    task = only_task(start_ok(deployed))
    assert_problem(deployed.post(f"/tasks/{task['id']}/complete", "manager1", body), 422)


def test_complete_twice_is_409(deployed):
    s = deployed
    inst = start_ok(s)
    task = only_task(inst)
    assert s.post(f"/tasks/{task['id']}/complete", "manager1", {"data": CALL_DATA}).status_code == 200
    n = len(history(s, inst["id"]))
    assert_problem(s.post(f"/tasks/{task['id']}/complete", "manager1", {"data": CALL_DATA}), 409)
    assert_problem(s.post(f"/tasks/{task['id']}/complete", "manager2", {"data": CALL_DATA}), 409)
    assert len(history(s, inst["id"])) == n


def test_auditor_cannot_complete(deployed):
    inst = start_ok(deployed)
    task = only_task(inst)
    assert_problem(deployed.post(f"/tasks/{task['id']}/complete", "auditor1", {"data": CALL_DATA}), 403)
    assert instance(deployed, inst["id"])["status"] == "running"
