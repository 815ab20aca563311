"""The complaint process over HTTP: both ends walked, the investigator rule (422, nothing changed), the message start."""

from __future__ import annotations

import pytest

from service.base.config import ROOT
from tests.api.helpers import assert_problem

COMPLAINT = {"complainant_type": "representative", "complaint_about": "advocate"}
ACK = {
    "acknowledged_at": "2026-01-06T10:00:00+00:00",
    "acknowledgement_method": "email",
    "discussion_offered": True,
}
RESPONSE = {
    "complaint_outcome": "partly_upheld",
    "learning": "Explain delays.",
    "complainant_satisfied": True,
}


@pytest.fixture
def complaints(service):
    response = service.deploy([ROOT / "bpmn"])
    assert response.status_code == 201, response.get_json()
    return service


def task_of(s, instance_id: str, activity_id: str, user: str = "manager1") -> str:
    body = s.get(f"/process-instances/{instance_id}", user).get_json()
    [task] = [t for t in body["active_tasks"] if t["activity_id"] == activity_id]
    return task["id"]


def complete(s, instance_id: str, activity_id: str, data: dict, user: str = "manager1"):
    return s.post(f"/tasks/{task_of(s, instance_id, activity_id)}/complete", user, {"data": data})


def start(s, **changes) -> str:
    body = {"process": "complaint", "business_key": "CMP-API", "variables": {**COMPLAINT, **changes}}
    r = s.post("/process-instances", "manager1", body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def allocated_referral(s, advocate: str, business_key: str) -> str:
    variables = {
        "person_ref": "ADV-2026-0777",
        "referral_source": "self",
        "advocacy_type": "imha",
        "urgency": "standard",
    }
    r = s.post(
        "/process-instances",
        "manager1",
        {"process": "referral_casework", "business_key": business_key, "variables": variables},
    )
    assert r.status_code == 201, r.get_json()
    iid = r.get_json()["id"]
    r = complete(s, iid, "assess_eligibility", {"advocacy_type": "imha", "mha_status": "detained"})
    assert r.status_code == 200, r.get_json()
    r = complete(s, iid, "allocate_advocate", {"advocate": advocate, "instruction": "instructed"})
    assert r.status_code == 200, r.get_json()
    return iid


def test_a_complaint_walked_to_resolved(complaints):
    s = complaints
    iid = start(s)
    deadlines = s.get(f"/deadlines?instance={iid}", "manager1").get_json()["items"]
    assert [(d["kind"], d["milestone"]) for d in deadlines] == [("sla", "complaint_acknowledgement")]
    assert complete(s, iid, "acknowledge_complaint", ACK).status_code == 200
    r = complete(
        s, iid, "investigate_complaint", {"investigator": "manager2", "investigation_findings": "Checked."}
    )
    assert r.status_code == 200, r.get_json()
    assert complete(s, iid, "respond_to_complaint", RESPONSE).status_code == 200
    body = s.get(f"/process-instances/{iid}", "manager1").get_json()
    assert (body["status"], body["end_state"]) == ("completed", "resolved")


def test_a_complaint_walked_to_escalated_with_the_ombudsman(complaints):
    s = complaints
    iid = start(s, received_at="2026-01-05T09:00:00+00:00")
    complete(s, iid, "acknowledge_complaint", ACK)
    complete(
        s, iid, "investigate_complaint", {"investigator": "manager2", "investigation_findings": "Checked."}
    )
    assert (
        complete(s, iid, "respond_to_complaint", {**RESPONSE, "complainant_satisfied": False}).status_code
        == 200
    )
    inbox = s.get("/tasks?process=complaint", "commissioner1").get_json()["items"]
    [review] = [t for t in inbox if t["activity_id"] == "level_2_review"]
    assert review["role"] == "commissioner"
    r = s.post(
        f"/tasks/{review['id']}/complete",
        "commissioner1",
        {"data": {"level_2_outcome": "upheld", "ombudsman": "ico"}},
    )
    assert "ombudsman" in assert_problem(r, 422)["errors"]
    r = s.post(
        f"/tasks/{review['id']}/complete",
        "commissioner1",
        {"data": {"level_2_outcome": "upheld", "ombudsman": "pspow"}},
    )
    assert r.status_code == 200, r.get_json()
    body = s.get(f"/process-instances/{iid}", "commissioner1").get_json()
    assert (body["end_state"], body["variables"]["ombudsman"]) == ("escalated", "pspow")


def test_the_cases_advocate_investigating_is_refused_with_422_and_nothing_changes(complaints):
    s = complaints
    allocated_referral(s, "advocate1", "REF-API-9")
    iid = start(s, case_ref="REF-API-9")
    complete(s, iid, "acknowledge_complaint", ACK)
    before = s.get(f"/process-instances/{iid}/history", "manager1").get_json()["items"]
    r = complete(
        s, iid, "investigate_complaint", {"investigator": "advocate1", "investigation_findings": "Mine."}
    )
    problem = assert_problem(r, 422)
    assert "advocate of case REF-API-9" in problem["errors"]["investigator"][0]
    assert s.get(f"/process-instances/{iid}/history", "manager1").get_json()["items"] == before
    assert (
        s.get(f"/process-instances/{iid}", "manager1").get_json()["active_tasks"][0]["activity_id"]
        == "investigate_complaint"
    )


def test_the_message_complaint_received_starts_one_and_a_bad_payload_starts_none(complaints):
    s = complaints
    r = s.post(
        "/messages",
        "manager1",
        {"name": "complaint_received", "business_key": "CMP-M1", "payload": COMPLAINT},
    )
    assert r.status_code == 202, r.get_json()
    [iid] = r.get_json()["delivered_to"]
    body = s.get(f"/process-instances/{iid}", "manager1").get_json()
    assert (body["process"], body["business_key"]) == ("complaint", "CMP-M1")
    history = s.get(f"/process-instances/{iid}/history", "manager1").get_json()["items"]
    assert history[0]["data"]["message"] == "complaint_received"
    r = s.post(
        "/messages",
        "manager1",
        {"name": "complaint_received", "business_key": "CMP-M2", "payload": {"complaint_about": "x"}},
    )
    assert "complainant_type" in assert_problem(r, 422)["errors"]
    r = s.post(
        "/messages",
        "advocate1",
        {"name": "complaint_received", "business_key": "CMP-M3", "payload": COMPLAINT},
    )
    assert r.status_code in (403, 404)
    total = s.get("/process-instances?process=complaint", "manager1").get_json()["total"]
    assert total == 1
