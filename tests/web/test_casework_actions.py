"""The case page's referral actions (Raise a safeguarding concern, End the case early) and Welsh-first allocation."""

from __future__ import annotations

import re

from service.access import auth
from tests.web.test_tasks import ELIGIBLE, REFERRAL


def _tasks(service, iid: str) -> list[str]:
    return sorted(
        t["activity_id"]
        for t in service.get(f"/process-instances/{iid}", "manager1").get_json()["active_tasks"]
    )


def _open_case(service, web, **more) -> tuple[str, object]:
    r = service.post(
        "/process-instances",
        "manager1",
        {"process": "referral_casework", "variables": {**REFERRAL, **more}, "business_key": "REF-9"},
    )
    assert r.status_code == 201, r.get_json()
    iid = r.get_json()["id"]
    manager = web("manager1")
    manager.post(f"/inbox/{r.get_json()['active_tasks'][0]['id']}", ELIGIBLE)
    return iid, manager


def _task_id(service, iid: str, activity: str) -> str:
    tasks = service.get(f"/process-instances/{iid}", "manager1").get_json()["active_tasks"]
    return next(t["id"] for t in tasks if t["activity_id"] == activity)


def test_manager_and_the_cases_advocate_raise_a_concern_and_the_case_goes_on(all_deployed, web) -> None:
    iid, manager = _open_case(all_deployed, web)
    page = manager.get(f"/cases/{iid}").get_data(as_text=True)
    assert f"/cases/{iid}/safeguarding-concern" in page and f"/cases/{iid}/end-early" in page
    assert "Record: safeguarding concern" not in page, "offered as the action, not as a message"
    r = manager.post(f"/cases/{iid}/safeguarding-concern", {}, page=f"/cases/{iid}")
    assert r.status_code == 303
    assert _tasks(all_deployed, iid) == ["allocate_advocate", "safeguarding_decision"]
    manager.post(
        f"/inbox/{_task_id(all_deployed, iid, 'allocate_advocate')}",
        {"advocate": "advocate1", "instruction": "instructed"},
    )
    advocate = web("advocate1")
    page = advocate.get(f"/cases/{iid}").get_data(as_text=True)
    assert f"/cases/{iid}/safeguarding-concern" in page and f"/cases/{iid}/end-early" not in page
    advocate.post(f"/cases/{iid}/safeguarding-concern", {}, page=f"/cases/{iid}")
    assert _tasks(all_deployed, iid).count("safeguarding_decision") == 2
    other = web("advocate2")
    assert other.get(f"/cases/{iid}").status_code == 404
    assert advocate.post(f"/cases/{iid}/end-early", {}, page=f"/cases/{iid}").status_code == 403
    assert "end_case_early" not in _tasks(all_deployed, iid)


def test_manager_asks_to_end_the_case_early(all_deployed, web) -> None:
    iid, manager = _open_case(all_deployed, web)
    assert manager.post(f"/cases/{iid}/end-early", {}, page=f"/cases/{iid}").status_code == 303
    assert "end_case_early" in _tasks(all_deployed, iid)
    task = _task_id(all_deployed, iid, "end_case_early")
    assert manager.post(f"/inbox/{task}", {"end_reason": "duplicate"}).status_code == 303
    case = all_deployed.get(f"/process-instances/{iid}", "manager1").get_json()
    assert (case["status"], case["end_state"]) == ("completed", "ended_early")
    assert f"/cases/{iid}/safeguarding-concern" not in manager.get(f"/cases/{iid}").get_data(as_text=True)


def test_the_allocation_form_lists_welsh_speakers_first_when_asked_for(all_deployed, web) -> None:
    all_deployed.db.run(auth.set_languages, "advocate2", ["en", "cy"])
    iid, manager = _open_case(all_deployed, web, welsh_medium_requested=True)
    page = manager.get(f"/inbox/{_task_id(all_deployed, iid, 'allocate_advocate')}").get_data(as_text=True)
    assert "advocate2 (speaks Welsh)" in page
    assert page.index('value="advocate2"') < page.index('value="advocate1"')
    r = manager.post(
        f"/inbox/{_task_id(all_deployed, iid, 'allocate_advocate')}",
        {"advocate": "advocate1", "instruction": "instructed"},
    )
    assert r.status_code == 422 and "Welsh" in manager.last
    assert "allocate_advocate" in _tasks(all_deployed, iid)


def test_the_referral_form_asks_monitoring_each_with_prefer_not_to_say(all_deployed, web) -> None:
    manager = web("manager1")
    page = manager.get("/start/referral_casework").get_data(as_text=True)
    for field in (
        "age_band",
        "sex",
        "ethnicity",
        "disability",
        "primary_need",
        "carer",
        "preferred_language",
    ):
        assert f'name="{field}"' in page, field
    assert page.count('value="prefer_not_to_say"') >= 8  # the seven monitoring fields and communication needs
    assert re.search(r'<input[^>]*name="communication_needs"', page), "the needs as check boxes"
    assert re.search(r'<input[^>]*type="checkbox"[^>]*>', page)
    data = [
        ("person_ref", "ADV-2026-0501"),
        ("referral_source", "self"),
        ("advocacy_type", "care_act"),
        ("urgency", "standard"),
        ("sex", "prefer_not_to_say"),
        ("communication_needs", "easy_read"),
        ("communication_needs", "bsl"),
    ]
    r = manager.post("/start/referral_casework", data)
    assert r.status_code == 303, manager.last[:2000]
    items = all_deployed.get("/process-instances?process=referral_casework", "manager1").get_json()["items"]
    variables = all_deployed.get(f"/process-instances/{items[0]['id']}", "manager1").get_json()["variables"]
    assert variables["sex"] == "prefer_not_to_say" and sorted(variables["communication_needs"]) == [
        "bsl",
        "easy_read",
    ]
