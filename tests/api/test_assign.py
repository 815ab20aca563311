"""POST /tasks/{id}/assign: a manager reassigns an open task; SLA clocks keep running; the history records it."""

from __future__ import annotations

import pytest

from service.base.config import ROOT
from tests.api.helpers import assert_problem, history, only_task, start_ok


def test_a_manager_reassigns_a_task_and_its_deadline_stays(deployed):
    s = deployed
    inst = start_ok(s)
    task = only_task(inst)
    before = s.get(f"/deadlines?instance={inst['id']}", "manager1").get_json()["items"]
    r = s.post(f"/tasks/{task['id']}/assign", "manager1", {"assignee": "manager2"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["assignee"] == "manager2" and r.get_json()["due_at"] == task["due_at"]
    last = history(s, inst["id"])[-1]
    assert (last["type"], last["actor"], last["task_id"]) == ("task_claimed", "manager1", task["id"])
    assert last["data"] == {"assignee": "manager2", "reassigned_from": None}
    # and again, from manager2 to manager1: reassigned_from names who had it
    assert s.post(f"/tasks/{task['id']}/assign", "manager2", {"assignee": "manager1"}).status_code == 200
    assert history(s, inst["id"])[-1]["data"] == {"assignee": "manager1", "reassigned_from": "manager2"}
    assert s.get(f"/deadlines?instance={inst['id']}", "manager1").get_json()["items"] == before
    # the one it was taken from may no longer complete it
    r = s.post(f"/tasks/{task['id']}/complete", "manager2", {"data": {}})
    assert_problem(r, 403)


def test_assigning_to_whoever_holds_it_changes_nothing(deployed):
    s = deployed
    inst = start_ok(s)
    task = only_task(inst)
    s.post(f"/tasks/{task['id']}/assign", "manager1", {"assignee": "manager2"})
    n = len(history(s, inst["id"]))
    assert s.post(f"/tasks/{task['id']}/assign", "manager1", {"assignee": "manager2"}).status_code == 200
    assert len(history(s, inst["id"])) == n


@pytest.mark.parametrize(
    ("assignee", "why"),
    [
        ("advocate1", "is a advocate"),
        ("commissioner1", "commissioner"),
        ("ghost", "no active user"),
        ("admin1", "admin"),
    ],
)
def test_the_assignee_must_be_a_user_who_may_take_the_role(deployed, assignee, why):
    s = deployed
    inst = start_ok(s)
    task = only_task(inst)
    n = len(history(s, inst["id"]))
    problem = assert_problem(s.post(f"/tasks/{task['id']}/assign", "manager1", {"assignee": assignee}), 422)
    assert why in problem["errors"]["assignee"][0]
    assert len(history(s, inst["id"])) == n
    assert s.get(f"/tasks/{task['id']}", "manager1").get_json()["assignee"] is None


@pytest.mark.parametrize("body", [{}, {"assignee": ""}, {"assignee": 5}, {"assignee": "manager2", "x": 1}])
def test_a_bad_body_is_422(deployed, body):
    inst = start_ok(deployed)
    assert_problem(deployed.post(f"/tasks/{only_task(inst)['id']}/assign", "manager1", body), 422)


def test_unknown_closed_and_forbidden(deployed):
    s = deployed
    assert_problem(
        s.post("/tasks/00000000-0000-0000-0000-000000000000/assign", "manager1", {"assignee": "manager2"}),
        404,
    )
    assert_problem(s.post("/tasks/not-a-uuid/assign", "manager1", {"assignee": "manager2"}), 404)
    inst = start_ok(s)
    task = only_task(inst)
    for user in ("advocate1", "commissioner1", "auditor1", "admin1"):
        assert_problem(s.post(f"/tasks/{task['id']}/assign", user, {"assignee": "manager2"}), 403)
    s.post(f"/process-instances/{inst['id']}/cancel", "manager1", {"reason_code": "duplicate", "reason": "x"})
    assert_problem(s.post(f"/tasks/{task['id']}/assign", "manager1", {"assignee": "manager2"}), 409)


def test_an_advocates_first_contact_moves_to_another_advocate_and_the_sla_clock_runs_on(service):
    s = service
    assert s.deploy([ROOT / "bpmn"]).status_code == 201
    variables = {
        "person_ref": "ADV-2026-0500",
        "referral_source": "self",
        "advocacy_type": "imha",
        "urgency": "standard",
    }
    iid = s.post(
        "/process-instances", "manager1", {"process": "referral_casework", "variables": variables}
    ).get_json()["id"]

    def task(activity: str) -> dict:
        tasks = s.get(f"/process-instances/{iid}", "manager1").get_json()["active_tasks"]
        return next(t for t in tasks if t["activity_id"] == activity)

    s.post(
        f"/tasks/{task('assess_eligibility')['id']}/complete",
        "manager1",
        {"data": {"advocacy_type": "imha", "mha_status": "detained"}},
    )
    s.post(
        f"/tasks/{task('allocate_advocate')['id']}/complete",
        "manager1",
        {"data": {"advocate": "advocate1", "instruction": "instructed"}},
    )
    first = task("first_contact")
    assert first["assignee"] == "advocate1"
    sla = [
        d
        for d in s.get(f"/deadlines?instance={iid}", "manager1").get_json()["items"]
        if d["milestone"] == "first_contact"
    ]
    r = s.post(f"/tasks/{first['id']}/assign", "manager1", {"assignee": "advocate2"})
    assert r.status_code == 200, r.get_json()
    after = [
        d
        for d in s.get(f"/deadlines?instance={iid}", "manager1").get_json()["items"]
        if d["milestone"] == "first_contact"
    ]
    assert after == sla and after[0]["status"] == "pending"
    assert [t["id"] for t in s.get("/tasks?mine=true", "advocate2").get_json()["items"]] == [first["id"]]
    assert s.get("/tasks?mine=true", "advocate1").get_json()["items"] == []
    assert_problem(s.post(f"/tasks/{first['id']}/complete", "advocate1", {"data": {}}), 404)
    data = {"first_contact_at": "2026-01-05T15:00:00+00:00", "contact_method": "phone"}
    assert s.post(f"/tasks/{first['id']}/complete", "advocate2", {"data": data}).status_code == 200
