"""The inbox and a task's page: the form from its JSON Schema, inline errors, claim, complete."""

from __future__ import annotations

import re

import markupsafe
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from service.store.models import HistoryEvent, ProcessInstance

REFERRAL = {
    "person_ref": "ADV-2026-0042",
    "referral_source": "social_worker",
    "advocacy_type": "care_act",
    "urgency": "standard",
}
ELIGIBLE = [
    ("advocacy_type", "care_act"),
    ("difficulty_understanding", "true"),
    ("difficulty_retaining", "true"),
    ("difficulty_weighing", "false"),
    ("difficulty_communicating", "true"),
    ("appropriate_individual_available", "false"),
]


def start_referral(service, business_key: str = "REF-1") -> dict:
    response = service.post(
        "/process-instances",
        "manager1",
        {"process": "referral_casework", "variables": REFERRAL, "business_key": business_key},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _state(service, instance_id: str) -> tuple:
    def read(session):
        instance = session.get(ProcessInstance, instance_id)
        events = session.scalars(
            select(HistoryEvent.type).where(HistoryEvent.instance_id == instance_id)
        ).all()
        return instance.row_version, instance.last_seq, instance.state, dict(instance.variables), len(events)

    return service.db.read(read)


def _rows(page: str) -> list[str]:
    return re.findall(r'<a href="/inbox/([0-9a-f-]{36})">', page)


def test_the_inbox_lists_my_role_s_unclaimed_tasks_soonest_due_first(all_deployed, web):
    first, second = start_referral(all_deployed, "REF-1"), start_referral(all_deployed, "REF-2")
    tasks = [first["active_tasks"][0]["id"], second["active_tasks"][0]["id"]]
    manager = web("manager1")
    assert manager.get("/inbox?view=unclaimed").status_code == 200
    assert _rows(manager.last) == tasks
    assert "2 tasks." in manager.last and "Assess eligibility" in manager.last
    assert "Referral to closure" in manager.last  # the process by its name
    assert f'<a href="/cases/{first["id"]}">REF-1</a>' in manager.last  # the case, by its reference
    manager.get("/inbox?view=mine")  # none assigned yet
    assert _rows(manager.last) == [] and "0 tasks." in manager.last
    manager.get("/inbox")  # issue 18: nothing assigned, so the first screen shows the role's queue
    assert _rows(manager.last) == tasks and 'value="unclaimed" checked' in manager.last
    manager.get("/inbox?view=unclaimed&process=recruitment_vetting")
    assert _rows(manager.last) == []
    manager.get("/inbox?view=unclaimed&overdue=1")
    assert _rows(manager.last) == []
    assert web("advocate1").get("/inbox?view=all").status_code == 200
    assert _rows(web("advocate1").get("/inbox?view=all").get_data(as_text=True)) == []
    assert _rows(web("commissioner1").get("/inbox?view=all").get_data(as_text=True)) == []


def test_overdue_tasks_are_marked_and_filtered(all_deployed, web):
    from datetime import UTC, datetime, timedelta

    from service.store.models import Task

    referral = start_referral(all_deployed)
    task_id = referral["active_tasks"][0]["id"]

    def overdue(session):
        session.get(Task, task_id).due_at = datetime.now(UTC) - timedelta(hours=2)

    all_deployed.db.run(overdue)
    manager = web("manager1")
    page = manager.get("/inbox?view=unclaimed&overdue=1").get_data(as_text=True)
    assert _rows(page) == [task_id]
    assert '<tr class="overdue">' in page and "Overdue</strong>" in page


def test_bad_inbox_parameters_fall_back_to_defaults(all_deployed, web):
    start_referral(all_deployed)
    manager = web("manager1")
    for query in ("view=everything", "page=abc", "page=-3", "page=99999999999", "process=nope", "overdue=2"):
        assert manager.get(f"/inbox?{query}").status_code == 200, query
    for query in ("process=%00", "view=mine%00", "x%00=1"):
        response = manager.get(f"/inbox?{query}")
        assert response.status_code == 422, query
        assert response.mimetype == "text/html" and "NUL character" in manager.last


def test_a_task_page_renders_its_form_from_the_json_schema(all_deployed, web):
    referral = start_referral(all_deployed)
    task_id = referral["active_tasks"][0]["id"]
    page = web("manager1").get(f"/inbox/{task_id}").get_data(as_text=True)
    form = all_deployed.get(f"/tasks/{task_id}", "manager1").get_json()["form"]
    for name, spec in form["properties"].items():
        assert f'id="field-{name}"' in page, name
        assert str(markupsafe.escape(spec["title"])) in page
    # the case's own value comes pre-filled, to confirm
    assert re.search(r'value="care_act" checked', page)
    assert 'type="radio"' in page and "novalidate" in page
    assert "Claim this task" in page


def test_claim_then_complete_moves_the_case_on(all_deployed, web, service):
    referral = start_referral(all_deployed)
    task_id = referral["active_tasks"][0]["id"]
    manager = web("manager1")
    claimed = manager.post(f"/inbox/{task_id}/claim", page=f"/inbox/{task_id}")
    assert claimed.status_code == 303
    assert all_deployed.get(f"/tasks/{task_id}", "manager1").get_json()["assignee"] == "manager1"
    assert _rows(manager.get("/inbox").get_data(as_text=True)) == [task_id]

    done = manager.post(f"/inbox/{task_id}", ELIGIBLE)
    assert done.status_code == 303
    assert done.headers["Location"] == f"/cases/{referral['id']}"
    after = all_deployed.get(f"/process-instances/{referral['id']}", "manager1").get_json()
    assert [t["activity_id"] for t in after["active_tasks"]] == ["allocate_advocate"]
    assert after["variables"]["difficulty_weighing"] is False  # "false" read back as a boolean
    assert after["variables"]["eligible"] is True
    history = all_deployed.get(f"/process-instances/{referral['id']}/history", "manager1").get_json()["items"]
    completed = [e for e in history if e["type"] == "task_completed"]
    assert completed[-1]["actor"] == "manager1"
    assert "Done: the task is complete." in manager.get(done.headers["Location"]).get_data(as_text=True)


def test_an_invalid_form_comes_back_with_inline_errors_and_changes_nothing(all_deployed, web):
    referral = start_referral(all_deployed)
    task_id = referral["active_tasks"][0]["id"]
    before = _state(all_deployed, referral["id"])
    manager = web("manager1")
    response = manager.post(
        f"/inbox/{task_id}", [("advocacy_type", "care_act"), ("difficulty_understanding", "maybe")]
    )
    assert response.status_code == 422
    page = manager.last
    assert "There is a problem" in page and 'id="error-summary"' in page
    assert 'href="#field-difficulty_understanding"' in page and "Choose Yes or No" in page
    assert 'id="error-difficulty_retaining"' in page and "Choose an answer" in page
    assert (
        'aria-invalid="true"' in page
        and 'aria-describedby="hint-difficulty_retaining error-difficulty_retaining"' in page
    )
    assert re.search(r'value="care_act" checked', page)  # what was entered is kept
    assert _state(all_deployed, referral["id"]) == before


def test_unreadable_and_hostile_values_are_refused_and_change_nothing(all_deployed, web):
    referral = start_referral(all_deployed)
    task_id = referral["active_tasks"][0]["id"]
    manager = web("manager1")
    manager.post(f"/inbox/{task_id}", ELIGIBLE)
    allocate = all_deployed.get(f"/process-instances/{referral['id']}", "manager1").get_json()[
        "active_tasks"
    ][0]
    before = _state(all_deployed, referral["id"])
    cases = [
        [("advocate", "advocate1"), ("instruction", "instructed"), ("allocation_notes", "a\x00b")],
        [("advocate", "Advocate One!"), ("instruction", "instructed")],
        [("advocate", "advocate1"), ("instruction", "shouted")],
        [("advocate", "x" * 70), ("instruction", "instructed")],
    ]
    for fields in cases:
        response = manager.post(f"/inbox/{allocate['id']}", fields)
        assert response.status_code == 422, fields
        assert "There is a problem" in manager.last
    assert _state(all_deployed, referral["id"]) == before


def test_a_task_of_another_role_is_shown_without_its_form(all_deployed, web):
    referral = start_referral(all_deployed)
    task_id = referral["active_tasks"][0]["id"]
    auditor = web("auditor1")
    page = auditor.get(f"/inbox/{task_id}").get_data(as_text=True)
    assert "you can read it but not complete it" in page and "Complete task" not in page
    before = _state(all_deployed, referral["id"])
    refused = auditor.post(f"/inbox/{task_id}", ELIGIBLE, page=f"/inbox/{task_id}")
    assert refused.status_code == 403
    assert _state(all_deployed, referral["id"]) == before


def test_a_task_someone_may_not_know_is_a_404_page_without_content(all_deployed, web):
    referral = start_referral(all_deployed)
    task_id = referral["active_tasks"][0]["id"]
    for user in ("advocate1", "commissioner1", "admin1"):
        browser = web(user)
        response = browser.get(f"/inbox/{task_id}")
        assert response.status_code == 404, user
        assert "ADV-2026-0042" not in browser.last and "Assess eligibility" not in browser.last
    assert web("manager1").get("/inbox/not-a-task").status_code == 404


def test_a_task_claimed_by_someone_else_cannot_be_completed(all_deployed, web):
    referral = start_referral(all_deployed)
    task_id = referral["active_tasks"][0]["id"]
    web("manager2").post(f"/inbox/{task_id}/claim", page=f"/inbox/{task_id}")
    manager = web("manager1")
    page = manager.get(f"/inbox/{task_id}").get_data(as_text=True)
    assert "assigned to manager2" in page and "Complete task" not in page
    before = _state(all_deployed, referral["id"])
    response = manager.post(f"/inbox/{task_id}", ELIGIBLE, page="/inbox")
    assert response.status_code == 403 and "assigned to manager2" in manager.last
    assert _state(all_deployed, referral["id"]) == before


def test_completing_a_task_twice_says_it_is_done_already(all_deployed, web):
    referral = start_referral(all_deployed)
    task_id = referral["active_tasks"][0]["id"]
    manager = web("manager1")
    token = manager.token(f"/inbox/{task_id}")
    first = manager.client.post(f"/inbox/{task_id}", data=MultiDict([*ELIGIBLE, ("csrf_token", token)]))
    assert first.status_code == 303
    before = _state(all_deployed, referral["id"])
    again = manager.client.post(f"/inbox/{task_id}", data=MultiDict([*ELIGIBLE, ("csrf_token", token)]))
    assert again.status_code == 303 and again.headers["Location"] == "/inbox"
    assert "is completed, not open" in manager.get("/inbox").get_data(as_text=True)
    assert _state(all_deployed, referral["id"]) == before


def test_completing_needs_the_csrf_token(all_deployed, web):
    referral = start_referral(all_deployed)
    task_id = referral["active_tasks"][0]["id"]
    manager = web("manager1")
    before = _state(all_deployed, referral["id"])
    assert manager.post(f"/inbox/{task_id}", ELIGIBLE, csrf=False).status_code == 403
    assert _state(all_deployed, referral["id"]) == before


def test_the_inbox_pages_through_many_tasks(all_deployed, web):
    made = [start_referral(all_deployed, f"REF-{n:02}")["active_tasks"][0]["id"] for n in range(27)]
    manager = web("manager1")
    first = _rows(manager.get("/inbox?view=unclaimed").get_data(as_text=True))
    assert first == made[:25] and "Page 1 of 2" in manager.last
    assert 'href="/inbox?page=2&amp;view=unclaimed&amp;process=&amp;overdue="' in manager.last
    second = _rows(manager.get("/inbox?view=unclaimed&page=2").get_data(as_text=True))
    assert second == made[25:] and "Page 2 of 2" in manager.last and "Previous page" in manager.last
