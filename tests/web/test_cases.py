"""Cases: the list by role, one case with its diagram and history, cancelling, starting a process."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from service.store.models import HistoryEvent, ProcessInstance
from tests.web.test_tasks import ELIGIBLE, REFERRAL, start_referral


def _diagram_data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="diagram-data">(.*?)</script>', page, re.S)
    assert found, "no diagram data on the page"
    return json.loads(found.group(1))


def _count(service, model, *where) -> int:
    return service.db.read(lambda s: s.scalar(select(func.count()).select_from(model).where(*where)))


def test_the_case_page_shows_the_path_the_api_shows(all_deployed, web):
    referral = start_referral(all_deployed)
    manager = web("manager1")
    manager.post(f"/inbox/{referral['active_tasks'][0]['id']}", ELIGIBLE)
    page = manager.get(f"/cases/{referral['id']}").get_data(as_text=True)
    shown = _diagram_data(page)
    api = all_deployed.get(f"/process-instances/{referral['id']}/diagram", "manager1").get_json()
    assert shown == api
    assert set(shown["active"]) == {"allocate_advocate", "allocation_sla"}
    assert "/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in page
    assert "<li>Allocate advocate</li>" in page  # the path also as text
    assert "ADV-2026-0042" in page  # the recorded details, for a role that may see them
    assert "<dt>Person reference</dt><dd>ADV-2026-0042</dd>" in page  # by the form's question
    assert "Care Act advocacy (England)</dd>" in page and ">care_act<" not in page  # a choice by its title
    assert "Task completed</strong>: Assess eligibility" in page  # the timeline
    assert "Allocation (SLA target)" in page  # the pending deadline


def test_what_each_role_sees_of_a_case(all_deployed, web):
    referral = start_referral(all_deployed)
    admin = web("admin1").get(f"/cases/{referral['id']}").get_data(as_text=True)
    assert "sees that this instance exists, not its content" in admin
    assert "ADV-2026-0042" not in admin and "diagram-data" not in admin
    for user in ("advocate1", "commissioner1"):
        browser = web(user)
        assert browser.get(f"/cases/{referral['id']}").status_code == 404, user
        assert "ADV-2026-0042" not in browser.last
        assert referral["id"] not in browser.get("/cases").get_data(as_text=True)
    assert referral["id"] in web("manager1").get("/cases").get_data(as_text=True)


def test_an_auditor_s_look_at_a_case_is_recorded(all_deployed, web):
    referral = start_referral(all_deployed)
    reads = (HistoryEvent.instance_id == referral["id"], HistoryEvent.type == "record_read")
    assert _count(all_deployed, HistoryEvent, *reads) == 0
    auditor = web("auditor1")
    assert auditor.get(f"/cases/{referral['id']}").status_code == 200
    assert _count(all_deployed, HistoryEvent, *reads) == 1
    assert "Record read by an auditor" in auditor.last
    web("manager1").get(f"/cases/{referral['id']}")
    assert _count(all_deployed, HistoryEvent, *reads) == 1  # a manager's reads are not audit events


def test_the_case_list_filters_and_refuses_nothing_strange(all_deployed, web):
    referral = start_referral(all_deployed, "REF-LIST")
    manager = web("manager1")
    assert "REF-LIST" in manager.get("/cases?process=referral_casework").get_data(as_text=True)
    assert "REF-LIST" not in manager.get("/cases?status=completed").get_data(as_text=True)
    for query in ("status=bogus", "page=x", "process=", "page=0"):
        assert manager.get(f"/cases?{query}").status_code == 200, query
    assert referral["id"]


def test_a_manager_cancels_a_case_with_a_reason(all_deployed, web):
    referral = start_referral(all_deployed)
    manager = web("manager1")
    path = f"/cases/{referral['id']}"
    form = manager.get(path).get_data(as_text=True)
    assert 'name="reason_code"' in form and 'value="person_died"' in form and "Why the case ends" in form
    refused = manager.post(f"{path}/cancel", {"reason_code": "duplicate", "reason": "  "}, page=path)
    assert refused.status_code == 303
    assert "give a reason" in manager.get(path).get_data(as_text=True)
    # DOMAIN.md second edition: no reason code (or one not on the list), no cancel
    for code in ({}, {"reason_code": "bored"}):
        refused = manager.post(f"{path}/cancel", {**code, "reason": "a real reason"}, page=path)
        assert refused.status_code == 303 and "give a reason" in manager.get(path).get_data(as_text=True)
    assert (
        all_deployed.get(path.replace("/cases", "/process-instances"), "manager1").get_json()["status"]
        == "running"
    )
    done = manager.post(
        f"{path}/cancel",
        {"reason_code": "duplicate", "reason": "referral withdrawn by the person"},
        page=path,
    )
    assert done.status_code == 303
    page = manager.get(path).get_data(as_text=True)
    assert "The case is cancelled." in page and "referral withdrawn by the person" in page
    assert 'name="reason_code"' not in page
    body = all_deployed.get(path.replace("/cases", "/process-instances"), "manager1").get_json()
    assert body["variables"]["end_reason"] == "duplicate"
    assert "Cancel case" not in page
    assert (
        web("advocate1")
        .post(f"{path}/cancel", {"reason_code": "duplicate", "reason": "x"}, page="/inbox")
        .status_code
        == 404
    )


def test_the_start_page_lists_what_the_role_may_start(all_deployed, web):
    manager = web("manager1").get("/start").get_data(as_text=True)
    assert "/start/referral_casework" in manager and "/start/recruitment_vetting" in manager
    assert "/start/commissioning_cycle" not in manager
    commissioner = web("commissioner1").get("/start").get_data(as_text=True)
    assert "/start/commissioning_cycle" in commissioner and "/start/referral_casework" not in commissioner
    assert web("advocate1").get("/start").status_code == 200
    assert web("advocate1").get("/start/referral_casework").status_code == 404
    assert web("manager1").get("/start/no_such_process").status_code == 404


def test_starting_a_referral_from_its_form(all_deployed, web):
    manager = web("manager1")
    before = _count(all_deployed, ProcessInstance)
    fields = [(k, v) for k, v in REFERRAL.items()] + [
        ("business_key", "WEB-7"),
        ("received_at", "2026-11-02T09:30"),
    ]
    response = manager.post("/start/referral_casework", fields)
    assert response.status_code == 303
    instance_id = response.headers["Location"].rsplit("/", 1)[1]
    made = all_deployed.get(f"/process-instances/{instance_id}", "manager1").get_json()
    assert made["business_key"] == "WEB-7" and made["variables"]["person_ref"] == "ADV-2026-0042"
    assert made["variables"]["received_at"] == "2026-11-02T09:30:00+00:00"  # London time, in UTC (GMT)
    assert _count(all_deployed, ProcessInstance) == before + 1


def test_a_start_form_with_errors_starts_nothing(all_deployed, web):
    manager = web("manager1")
    before = _count(all_deployed, ProcessInstance)
    cases = [
        [],
        [
            ("person_ref", "Jane Smith"),
            ("referral_source", "self"),
            ("advocacy_type", "imca"),
            ("urgency", "urgent"),
        ],
        [*REFERRAL.items(), ("received_at", "yesterday")],
        [*REFERRAL.items(), ("business_key", "B\x00K")],
    ]
    for fields in cases:
        response = manager.post("/start/referral_casework", fields)
        assert response.status_code == 422, fields
        assert "There is a problem" in manager.last
    response = manager.post("/start/referral_casework", [*REFERRAL.items(), ("sla_key", "no-such-sla")])
    assert (
        response.status_code == 422 and "no SLA &#39;no-such-sla&#39;" in manager.last
    )  # the service's check
    assert _count(all_deployed, ProcessInstance) == before


def test_a_manager_adds_a_candidate_and_a_commissioner_a_new_cycle(all_deployed, web):
    manager = web("manager1")
    candidate = [
        ("vacancy_ref", "VAC-2026-014"),
        ("candidate_ref", "CAND-0007"),
        ("role_title", "Independent Advocate"),
    ]
    response = manager.post("/start/recruitment_vetting", [*candidate, ("business_key", "CAND-0007")])
    assert response.status_code == 303, manager.last[:2000]
    made = all_deployed.get(response.headers["Location"].replace("/cases", "/process-instances"), "manager1")
    assert [t["activity_id"] for t in made.get_json()["active_tasks"]] == ["values_based_interview"]

    commissioner = web("commissioner1")
    cycle = [
        ("service_name", "Advocacy, North Borough"),
        ("local_authority", "North Borough Council"),
        ("cycle_start", "2026-01-05"),
    ]
    response = commissioner.post("/start/commissioning_cycle", cycle)
    assert response.status_code == 303, commissioner.last[:2000]
    made = all_deployed.get(
        response.headers["Location"].replace("/cases", "/process-instances"), "commissioner1"
    )
    assert made.get_json()["stage"] == "analyse"
    assert made.get_json()["variables"]["cycle_start"] == "2026-01-05"
    assert web("manager1").get(response.headers["Location"]).status_code == 404  # the provider may not see it


def test_a_manager_records_that_an_awaited_message_arrived(deployed, web):
    from tests.api.helpers import CALL_DATA
    from tests.audit.support import start_callback

    walk = start_callback(deployed, "CB-MSG")
    walk.complete("call_back", {**CALL_DATA, "documents_needed": True})
    path = f"/cases/{walk.id}"
    manager = web("manager1")
    page = manager.get(path).get_data(as_text=True)
    assert "Record: Documents received" in page
    before = _count(deployed, HistoryEvent, HistoryEvent.instance_id == walk.id)
    wrong = manager.post(f"{path}/message", {"name": "something_else"}, page=path)
    assert wrong.status_code == 422 and "not waiting for that message" in manager.last
    assert _count(deployed, HistoryEvent, HistoryEvent.instance_id == walk.id) == before
    assert manager.post(f"{path}/message", {"name": "documents_received"}, csrf=False).status_code == 403
    done = manager.post(f"{path}/message", {"name": "documents_received"}, page=path)
    assert done.status_code == 303
    page = manager.get(path).get_data(as_text=True)
    assert "Recorded: documents received." in page and "Record: Documents received" not in page
    history = deployed.get(f"/process-instances/{walk.id}/history", "manager1").get_json()["items"]
    assert [e["actor"] for e in history if e["type"] == "message_received"] == ["manager1"]
    again = manager.post(f"{path}/message", {"name": "documents_received"}, page=f"/cases/{walk.id}")
    assert again.status_code == 422  # no longer awaited


def test_an_auditor_sees_the_awaited_message_but_may_not_record_it(deployed, web):
    from tests.api.helpers import CALL_DATA
    from tests.audit.support import start_callback

    walk = start_callback(deployed, "CB-MSG2")
    walk.complete("call_back", {**CALL_DATA, "documents_needed": True})
    auditor = web("auditor1")
    assert "Record: Documents received" not in auditor.get(f"/cases/{walk.id}").get_data(as_text=True)
    before = _count(deployed, HistoryEvent, HistoryEvent.type == "message_received")
    refused = auditor.post(f"/cases/{walk.id}/message", {"name": "documents_received"}, page="/audit")
    assert refused.status_code == 403
    assert _count(deployed, HistoryEvent, HistoryEvent.type == "message_received") == before
    assert (
        web("advocate1")
        .post(f"/cases/{walk.id}/message", {"name": "documents_received"}, page="/inbox")
        .status_code
        == 404
    )
