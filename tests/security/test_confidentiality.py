"""Confidentiality by case: who may know a record exists, and who may read its content.

Small stand-ins for the real processes (same keys, so the same rules apply):
a referral whose manager allocates an advocate, a commissioning cycle run by
a commissioner, and an SLA escalation with a manager and a commissioner step.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import deploy_xml, linear, user_task
from tests.security.sec_helpers import problem

REFERRAL = linear(
    "referral_casework",
    user_task("allocate_advocate", "Allocate advocate"),
    '<bpmn:userTask id="advocacy_work" name="Advocacy work" camunda:candidateGroups="advocate" '
    'camunda:assignee="${advocate}" />',
    user_task("closure_review", "Closure review"),
)
COMMISSIONING = linear("commissioning_cycle", user_task("needs", "Needs assessment"), lane="Commissioner")
ESCALATION = linear(
    "sla_escalation",
    user_task("manager_review", "Manager review"),
    '<bpmn:userTask id="commissioner_notified" name="Commissioner notified" '
    'camunda:candidateGroups="commissioner" />',
)
SECRET = {"person_ref": "P-777", "story": "a private account of the case"}


@pytest.fixture
def world(service):
    s = service
    for xml in (REFERRAL, COMMISSIONING, ESCALATION):
        assert deploy_xml(s, xml).status_code == 201
    r = s.post(
        "/process-instances",
        "manager1",
        {"process": "referral_casework", "business_key": "R1", "variables": SECRET},
    )
    assert r.status_code == 201, r.get_json()
    referral = r.get_json()
    allocate = referral["active_tasks"][0]
    done = s.post(f"/tasks/{allocate['id']}/complete", "manager1", {"data": {"advocate": "advocate1"}})
    assert done.status_code == 200, done.get_json()
    referral = done.get_json()
    work = referral["active_tasks"][0]
    assert work["assignee"] == "advocate1" and work["activity_id"] == "advocacy_work"
    r = s.post(
        "/process-instances",
        "commissioner1",
        {"process": "commissioning_cycle", "business_key": "C1", "variables": {"service_name": "Advocacy"}},
    )
    assert r.status_code == 201, r.get_json()
    cycle = r.get_json()
    r = s.post(
        "/process-instances",
        "manager1",
        {"process": "sla_escalation", "business_key": "E1", "variables": {"milestone": "first_contact"}},
    )
    assert r.status_code == 201, r.get_json()
    return s, referral, work, cycle, r.get_json()


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return sorted(item["id"] for item in response.get_json()["items"])


def _record_paths(s, instance_id: str) -> list[str]:
    served = {rule.rule for rule in s.app.url_map.iter_rules()}
    paths = [f"/process-instances/{instance_id}", f"/process-instances/{instance_id}/history"]
    for tail, query in (("replay", "?seq=1"), ("diagram", ""), ("retention", "")):
        if f"/api/v1/process-instances/<string:instance_id>/{tail}" in served:
            paths.append(f"/process-instances/{instance_id}/{tail}{query}")
    return paths


def test_advocate_sees_only_their_own_case(world):
    s, referral, work, _, _ = world
    mine = s.get(f"/process-instances/{referral['id']}", "advocate1").get_json()
    assert mine["variables"]["person_ref"] == "P-777" and mine["variables"]["advocate"] == "advocate1"
    assert [t["id"] for t in mine["active_tasks"]] == [work["id"]]
    assert s.get(f"/process-instances/{referral['id']}/history", "advocate1").status_code == 200
    assert _ids(s.get("/process-instances", "advocate1")) == [referral["id"]]
    assert _ids(s.get("/tasks", "advocate1")) == [work["id"]]
    for path in [*_record_paths(s, referral["id"]), f"/tasks/{work['id']}"]:
        body = problem(s.get(path, "advocate2"), 404)
        assert "P-777" not in str(body)
    problem(s.post(f"/tasks/{work['id']}/claim", "advocate2"), 404)
    problem(s.post(f"/tasks/{work['id']}/complete", "advocate2", {"data": {}}), 404)
    assert _ids(s.get("/process-instances", "advocate2")) == []
    assert _ids(s.get("/tasks", "advocate2")) == []
    assert s.get(f"/deadlines?instance={referral['id']}", "advocate2").get_json()["total"] == 0
    done = s.post(f"/tasks/{work['id']}/complete", "advocate1", {"data": {"notes": "met the person"}})
    assert done.status_code == 200 and done.get_json()["active_tasks"] == []  # closure review: a manager's
    again = s.get(f"/process-instances/{referral['id']}", "advocate1")
    assert again.status_code == 200 and again.get_json()["variables"]["notes"] == "met the person"


def test_commissioner_never_sees_a_referral(world):
    s, referral, work, cycle, escalation = world
    for path in [*_record_paths(s, referral["id"]), f"/tasks/{work['id']}"]:
        body = problem(s.get(path, "commissioner1"), 404)
        assert "P-777" not in str(body)
    assert _ids(s.get("/process-instances?process=referral_casework", "commissioner1")) == []
    assert _ids(s.get("/process-instances", "commissioner1")) == sorted([cycle["id"], escalation["id"]])
    assert s.get(f"/deadlines?instance={referral['id']}", "commissioner1").get_json()["total"] == 0
    problem(s.post(f"/tasks/{work['id']}/complete", "commissioner1", {"data": {}}), 404)
    # the commissioner's own processes: content and history, and only the commissioner's tasks
    seen = s.get(f"/process-instances/{escalation['id']}", "commissioner1").get_json()
    assert seen["variables"] == {"milestone": "first_contact"}
    assert seen["active_tasks"] == []  # the manager's review is not theirs
    assert s.get(f"/process-instances/{cycle['id']}/history", "commissioner1").status_code == 200
    assert [t["activity_id"] for t in s.get("/tasks", "commissioner1").get_json()["items"]] == ["needs"]


def test_manager_sees_casework_but_not_the_commissioning_cycle(world):
    s, referral, _work, cycle, escalation = world
    assert (
        s.get(f"/process-instances/{referral['id']}", "manager2").get_json()["variables"]["story"]
        == SECRET["story"]
    )
    assert _ids(s.get("/process-instances", "manager1")) == sorted([referral["id"], escalation["id"]])
    for path in _record_paths(s, cycle["id"]):
        problem(s.get(path, "manager1"), 404)
    needs = s.get("/tasks", "commissioner1").get_json()["items"][0]
    problem(s.get(f"/tasks/{needs['id']}", "manager1"), 404)
    assert needs["id"] not in _ids(s.get("/tasks", "manager1"))


def test_auditor_reads_everything_and_changes_nothing(world):
    s, referral, work, cycle, escalation = world
    assert _ids(s.get("/process-instances", "auditor1")) == sorted(
        [referral["id"], cycle["id"], escalation["id"]]
    )
    assert (
        s.get(f"/process-instances/{referral['id']}", "auditor1").get_json()["variables"]["person_ref"]
        == "P-777"
    )
    events = s.get(f"/process-instances/{referral['id']}/history", "auditor1").get_json()["items"]
    assert [e["type"] for e in events][:2] == ["instance_started", "task_ready"]
    assert s.get(f"/tasks/{work['id']}", "auditor1").status_code == 200
    before = s.get(f"/process-instances/{referral['id']}", "manager1").get_json()
    for method, path, body in [
        ("POST", "/process-instances", {"process": "referral_casework", "variables": {}}),
        ("POST", f"/tasks/{work['id']}/claim", None),
        ("POST", f"/tasks/{work['id']}/complete", {"data": {}}),
        ("POST", f"/process-instances/{referral['id']}/cancel", {"reason_code": "duplicate", "reason": "x"}),
        ("POST", "/messages", {"name": "m", "business_key": "R1", "payload": {}}),
        ("POST", "/users", {"username": "x1", "role": "admin", "password": "long-password"}),
        ("POST", "/users/manager1/deactivate", None),
        ("POST", "/slas", {"key": "k", "provider": "p", "commissioner": "c", "targets": {"a": "P1D"}}),
    ]:
        problem(s.client.open(f"/api/v1{path}", method=method, json=body, headers=s.headers("auditor1")), 403)
    problem(deploy_xml(s, REFERRAL, user="auditor1"), 403)
    after = s.get(f"/process-instances/{referral['id']}", "manager1").get_json()
    assert after == before


def test_admin_runs_the_system_without_casework_content(world):
    s, referral, work, _, _ = world
    seen = s.get(f"/process-instances/{referral['id']}", "admin1").get_json()
    assert seen["variables"] == {} and seen["active_tasks"] == []
    assert seen["status"] == "running"
    problem(s.get(f"/process-instances/{referral['id']}/history", "admin1"), 403)
    problem(s.get(f"/tasks/{work['id']}", "admin1"), 404)
    assert s.get("/tasks", "admin1").get_json() == {"items": [], "total": 0}
    problem(s.post(f"/tasks/{work['id']}/complete", "admin1", {"data": {}}), 404)
    cancelled = s.post(
        f"/process-instances/{referral['id']}/cancel",
        "admin1",
        {"reason_code": "duplicate", "reason": "duplicate"},
    )
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled" and cancelled.get_json()["variables"] == {}
    users = s.get("/users", "admin1").get_json()
    assert users["total"] == 7
    fields = {"username", "role", "active", "created_at", "locked_until", "language", "languages"}
    assert all(set(u) == fields for u in users["items"])
    assert "argon2" not in s.get("/users", "admin1").get_data(as_text=True)


def test_cancel_checks_who_may_know_the_case_whoever_calls_it(world):
    """The use case itself refuses a case its caller may not know of (no view can skip the check)."""
    from service.base.problems import NotFound
    from service.cases import instances

    s, _, _, cycle, _ = world
    before = s.get(f"/process-instances/{cycle['id']}", "commissioner1").get_json()

    def cancel(session):
        instances.cancel_instance(
            session, s.actor("manager1"), cycle["id"], "not mine to cancel", reason_code="other"
        )

    with pytest.raises(NotFound, match=cycle["id"]):
        s.db.run(cancel)  # a manager may cancel, but may not know of a commissioning cycle
    assert s.get(f"/process-instances/{cycle['id']}", "commissioner1").get_json() == before
