"""Process instances: start, start-form validation, list filters and pages, read, cancel."""

from __future__ import annotations

import uuid

import pytest

from tests.api.helpers import (
    DEADLINE_KEYS,
    INSTANCE_KEYS,
    TASK_KEYS,
    assert_problem,
    deploy_xml,
    history,
    instance,
    linear,
    only_task,
    parse_time,
    start,
    start_ok,
    user_task,
)


def _ids(r) -> list[str]:
    assert r.status_code == 200, r.get_json()
    return [i["id"] for i in r.get_json()["items"]]


# -- start ---------------------------------------------------------------------------------------------


def test_start_returns_the_instance_per_contract(deployed):
    r = start(deployed, business_key="CB-1", priority="high")
    assert r.status_code == 201
    inst = r.get_json()
    assert set(inst) == INSTANCE_KEYS
    uuid.UUID(inst["id"])
    assert inst["process"] == "example_callback"
    assert inst["version"] == 1
    assert inst["business_key"] == "CB-1"
    assert inst["status"] == "running"
    assert inst["stage"] is None
    assert inst["ended_at"] is None and inst["end_state"] is None
    started = parse_time(inst["started_at"])
    assert inst["variables"]["caller_ref"] == "ABC-1" and inst["variables"]["priority"] == "high"
    assert inst["variables"]["target_hours"] == 4
    task = only_task(inst)
    assert set(task) == TASK_KEYS
    assert task["activity_id"] == "call_back" and task["role"] == "manager" and task["status"] == "open"
    assert task["instance_id"] == inst["id"] and task["process"] == "example_callback"
    assert task["assignee"] is None
    [deadline] = inst["deadlines"]
    assert set(deadline) == DEADLINE_KEYS
    assert deadline["activity_id"] == "call_back_overdue" and deadline["kind"] == "timer"
    assert deadline["status"] == "pending" and deadline["fired_at"] is None and deadline["milestone"] is None
    hours = (parse_time(deadline["due_at"]) - started).total_seconds() / 3600
    assert 3.99 < hours < 4.01
    assert parse_time(task["due_at"]) == parse_time(deadline["due_at"])
    assert instance(deployed, inst["id"]) == inst


def test_start_without_business_key(deployed):
    inst = start_ok(deployed, business_key=None)
    assert inst["business_key"] is None
    assert inst["variables"]["target_hours"] == 24


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"priority": "high"}, "caller_ref"),
        ({"caller_ref": "ABC-1", "priority": "urgent"}, "priority"),
        ({"caller_ref": 12345, "priority": "high"}, "caller_ref"),
        ({"caller_ref": "a name with spaces", "priority": "high"}, "caller_ref"),
        ({"caller_ref": "ABC-1", "priority": "high", "colour": "blue"}, "colour"),
    ],
)
def test_start_form_errors_per_field(deployed, variables, field):
    r = deployed.post(
        "/process-instances", "manager1", {"process": "example_callback", "variables": variables}
    )
    body = assert_problem(r, 422)
    assert field in body["errors"], body
    assert all(isinstance(m, str) and m for m in body["errors"][field])
    assert deployed.get("/process-instances", "manager1").get_json()["total"] == 0


def test_start_form_lists_every_bad_field(deployed):
    r = deployed.post(
        "/process-instances",
        "manager1",
        {"process": "example_callback", "variables": {"priority": 3, "extra": 1}},
    )
    body = assert_problem(r, 422)
    assert {"caller_ref", "priority", "extra"} <= set(body["errors"])


def test_start_unknown_process_is_404(deployed):
    assert_problem(deployed.post("/process-instances", "manager1", {"process": "nope", "variables": {}}), 404)
    assert_problem(start(deployed, version=7), 404)


@pytest.mark.parametrize("user", ["advocate1", "commissioner1", "auditor1", "admin1"])
def test_start_with_wrong_role_is_403(deployed, user):
    assert_problem(start(deployed, user=user), 403)
    assert deployed.get("/process-instances", "manager1").get_json()["total"] == 0


def test_start_body_not_json(deployed):
    r = deployed.client.post(
        "/api/v1/process-instances",
        data="{not json",
        headers=deployed.headers("manager1"),
        content_type="application/json",
    )
    body = assert_problem(r, r.status_code)
    assert 400 <= r.status_code < 500 and body["status"] == r.status_code


def test_start_body_json_array(deployed):
    r = deployed.post("/process-instances", "manager1", [{"process": "example_callback"}])
    assert 400 <= r.status_code < 500
    assert_problem(r, r.status_code)


def test_start_unknown_top_level_field(deployed):
    body = dict(
        process="example_callback", variables={"caller_ref": "ABC-1", "priority": "high"}, colour="red"
    )
    problem = assert_problem(deployed.post("/process-instances", "manager1", body), 422)
    assert "colour" in problem["errors"]


@pytest.mark.parametrize(
    "body",
    [
        {"variables": {}},
        {"process": "example_callback", "variables": []},
        {"process": "example_callback", "version": "one", "variables": {}},
        {"process": "example_callback", "business_key": 5, "variables": {}},
    ],
)
def test_start_malformed_fields_are_422(deployed, body):
    assert_problem(deployed.post("/process-instances", "manager1", body), 422)


# -- list ----------------------------------------------------------------------------------------------


def _staged(s):
    stage = (
        '<bpmn:extensionElements><camunda:properties><camunda:property name="stage" value="analyse" />'
        "</camunda:properties></bpmn:extensionElements>"
    )
    assert deploy_xml(s, linear("staged", user_task(), lane_extra=stage)).status_code == 201
    r = s.post("/process-instances", "manager1", {"process": "staged", "business_key": "S1", "variables": {}})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["stage"] == "analyse"
    return r.get_json()


def test_list_filters(deployed):
    s = deployed
    a = start_ok(s, business_key="K1")
    b = start_ok(s, business_key="K2")
    c = start_ok(s, business_key="K2")
    assert (
        s.post(
            f"/process-instances/{c['id']}/cancel",
            "manager1",
            {"reason_code": "duplicate", "reason": "duplicate"},
        ).status_code
        == 200
    )
    staged = _staged(s)

    assert set(_ids(s.get("/process-instances", "manager1"))) == {a["id"], b["id"], c["id"], staged["id"]}
    assert set(_ids(s.get("/process-instances?process=example_callback", "manager1"))) == {
        a["id"],
        b["id"],
        c["id"],
    }
    assert set(_ids(s.get("/process-instances?business_key=K2", "manager1"))) == {b["id"], c["id"]}
    assert _ids(s.get("/process-instances?status=cancelled", "manager1")) == [c["id"]]
    assert set(_ids(s.get("/process-instances?status=running&business_key=K2", "manager1"))) == {b["id"]}
    assert _ids(s.get("/process-instances?stage=analyse", "auditor1")) == [staged["id"]]
    assert _ids(s.get("/process-instances?process=nope", "manager1")) == []
    item = s.get("/process-instances?business_key=K1", "manager1").get_json()["items"][0]
    assert item["process"] == "example_callback" and item["status"] == "running" and item["version"] == 1


def test_list_pagination(deployed):
    s = deployed
    ids = {start_ok(s, business_key=f"P{i}")["id"] for i in range(3)}
    first = s.get("/process-instances?limit=2", "manager1").get_json()
    assert first["total"] == 3 and len(first["items"]) == 2
    rest = s.get("/process-instances?limit=2&offset=2", "manager1").get_json()
    assert rest["total"] == 3 and len(rest["items"]) == 1
    assert {i["id"] for i in first["items"] + rest["items"]} == ids
    assert s.get("/process-instances?offset=5", "manager1").get_json() == {"items": [], "total": 3}
    assert len(s.get("/process-instances?limit=500", "manager1").get_json()["items"]) == 3


@pytest.mark.parametrize("query", ["limit=501", "limit=0", "offset=-1", "limit=abc", "status=sleeping"])
def test_list_bad_query_is_422(deployed, query):
    assert_problem(deployed.get(f"/process-instances?{query}", "manager1"), 422)


def test_list_is_scoped_by_role(deployed):
    start_ok(deployed)
    assert deployed.get("/process-instances", "advocate1").get_json() == {"items": [], "total": 0}
    assert deployed.get("/process-instances", "commissioner1").get_json() == {"items": [], "total": 0}
    assert deployed.get("/process-instances", "auditor1").get_json()["total"] == 1


# -- read ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "/history", "/cancel"])
@pytest.mark.parametrize("instance_id", [str(uuid.uuid4()), "not-a-uuid", "1", "' OR 1=1 --"])
def test_unknown_or_malformed_instance_is_404(deployed, path, instance_id):
    if path == "/cancel":
        r = deployed.post(
            f"/process-instances/{instance_id}/cancel",
            "manager1",
            {"reason_code": "duplicate", "reason": "x"},
        )
    else:
        r = deployed.get(f"/process-instances/{instance_id}{path}", "manager1")
    assert_problem(r, 404)


def test_instance_hidden_from_advocate_and_commissioner(deployed):
    inst = start_ok(deployed)
    assert_problem(deployed.get(f"/process-instances/{inst['id']}", "advocate1"), 404)
    assert_problem(deployed.get(f"/process-instances/{inst['id']}", "commissioner1"), 404)
    assert_problem(deployed.get(f"/process-instances/{inst['id']}/history", "advocate1"), 404)


def test_admin_sees_no_case_content(deployed):
    inst = start_ok(deployed)
    r = deployed.get(f"/process-instances/{inst['id']}", "admin1")
    assert r.status_code == 200 and r.get_json()["variables"] == {}
    assert_problem(deployed.get(f"/process-instances/{inst['id']}/history", "admin1"), 403)


# -- cancel --------------------------------------------------------------------------------------------


def test_cancel_by_manager(deployed):
    s = deployed
    inst = start_ok(s)
    task = only_task(inst)
    r = s.post(
        f"/process-instances/{inst['id']}/cancel",
        "manager2",
        {"reason_code": "duplicate", "reason": "caller withdrew"},
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "cancelled" and body["active_tasks"] == [] and body["deadlines"] == []
    parse_time(body["ended_at"])
    events = history(s, inst["id"])
    assert [e["type"] for e in events[-2:]] == ["task_cancelled", "instance_cancelled"]
    assert events[-2]["task_id"] == task["id"] and events[-2]["activity_id"] == "call_back"
    assert events[-1]["data"]["reason"] == "caller withdrew" and events[-1]["actor"] == "manager2"
    assert events[-1]["data"]["reason_code"] == "duplicate" and body["variables"]["end_reason"] == "duplicate"
    assert s.get(f"/tasks?instance={inst['id']}", "manager1").get_json()["total"] == 0
    got = s.get(f"/tasks/{task['id']}", "manager1")
    assert got.status_code == 200 and got.get_json()["status"] == "cancelled"
    dl = s.get(f"/deadlines?instance={inst['id']}", "manager1").get_json()["items"]
    assert [(d["activity_id"], d["status"]) for d in dl] == [("call_back_overdue", "cancelled")]
    assert_problem(s.post(f"/tasks/{task['id']}/complete", "manager1", {"data": {}}), 409)


def test_cancel_twice_is_409(deployed):
    inst = start_ok(deployed)
    path = f"/process-instances/{inst['id']}/cancel"
    assert deployed.post(path, "admin1", {"reason_code": "duplicate", "reason": "first"}).status_code == 200
    n = len(history(deployed, inst["id"]))
    assert_problem(deployed.post(path, "manager1", {"reason_code": "duplicate", "reason": "again"}), 409)
    assert len(history(deployed, inst["id"])) == n


def test_cancel_not_allowed(deployed):
    inst = start_ok(deployed)
    path = f"/process-instances/{inst['id']}/cancel"
    assert_problem(deployed.post(path, "auditor1", {"reason_code": "duplicate", "reason": "x"}), 403)
    # an advocate with no task on the case may not even know it exists (API.md): 404
    assert_problem(deployed.post(path, "advocate1", {"reason_code": "duplicate", "reason": "x"}), 404)
    assert_problem(deployed.post(path, "commissioner1", {"reason_code": "duplicate", "reason": "x"}), 404)
    assert instance(deployed, inst["id"])["status"] == "running"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason_code": "duplicate", "reason": ""},
        {"reason_code": "duplicate", "reason": 5},
        {"reason_code": "duplicate", "reason": "x", "extra": 1},
        {"reason": "no reason code"},  # DOMAIN.md second edition: a reason code is required
        {"reason_code": "bored", "reason": "not on the list"},
        {"reason_code": "", "reason": "empty"},
        {"reason_code": None, "reason": "null"},
        {"reason_code": ["duplicate"], "reason": "a list"},
    ],
)
def test_cancel_needs_a_reason_and_a_reason_code(deployed, body):
    inst = start_ok(deployed)
    n = len(history(deployed, inst["id"]))
    problem = assert_problem(deployed.post(f"/process-instances/{inst['id']}/cancel", "manager1", body), 422)
    if "reason" in body and body.get("reason") and "extra" not in body and body["reason"] != 5:
        assert "reason_code" in problem["errors"]
    assert instance(deployed, inst["id"])["status"] == "running"
    assert len(history(deployed, inst["id"])) == n
