"""Users' languages over HTTP (POST and PATCH /users): what Welsh-medium allocation reads."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT


def patch(service, user: str, username: str, body):
    return service.client.patch(f"/api/v1/users/{username}", json=body, headers=service.headers(user))


def test_admin_creates_an_advocate_with_languages_and_changes_them(service) -> None:
    body = {"username": "cerys", "role": "advocate", "password": "a-long-password", "languages": ["cy", "en"]}
    created = service.post("/users", "admin1", body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["languages"] == ["cy", "en"]
    changed = patch(service, "admin1", "cerys", {"languages": ["en"]})
    assert changed.status_code == 200 and changed.get_json()["languages"] == ["en"]
    listed = service.get("/users?role=advocate", "admin1").get_json()["items"]
    assert {u["username"]: u["languages"] for u in listed}["cerys"] == ["en"]


@pytest.mark.parametrize(
    "languages",
    [["Welsh"], ["cy", "cy"], "cy", [1], ["c"], ["en"] * 11, None],
)
def test_bad_languages_are_refused_naming_the_field(service, languages) -> None:
    r = patch(service, "admin1", "advocate1", {"languages": languages})
    assert r.status_code == 422 and "languages" in str(r.get_json().get("errors")), r.get_json()
    body = {"username": "dai", "role": "advocate", "password": "a-long-password", "languages": languages}
    assert service.post("/users", "admin1", body).status_code == 422
    users = {u["username"]: u for u in service.get("/users", "admin1").get_json()["items"]}
    assert "dai" not in users and users["advocate1"]["languages"] is None


def test_patch_needs_languages_and_a_known_user_and_the_admin(service) -> None:
    assert patch(service, "admin1", "advocate1", {}).status_code == 422
    assert patch(service, "admin1", "advocate1", {"role": "admin"}).status_code == 422
    assert patch(service, "admin1", "nobody", {"languages": ["cy"]}).status_code == 404
    assert patch(service, "manager1", "advocate1", {"languages": ["cy"]}).status_code == 403


def test_welsh_requested_and_an_english_only_advocate_without_a_reason_is_a_422_over_http(service) -> None:
    assert (
        service.deploy(
            [ROOT / "bpmn" / "referral_casework.bpmn", ROOT / "bpmn" / "eligibility.dmn"]
        ).status_code
        == 201
    )
    assert patch(service, "admin1", "advocate1", {"languages": ["en"]}).status_code == 200
    assert patch(service, "admin1", "advocate2", {"languages": ["cy", "en"]}).status_code == 200
    referral = {
        "person_ref": "ADV-2026-0401",
        "referral_source": "self",
        "advocacy_type": "ipa_wales",
        "urgency": "standard",
        "welsh_medium_requested": True,
        "preferred_language": "cy",
    }
    started = service.post(
        "/process-instances", "manager1", {"process": "referral_casework", "variables": referral}
    )
    assert started.status_code == 201, started.get_json()
    iid = started.get_json()["id"]
    answers = {
        "advocacy_type": "ipa_wales",
        "difficulty_understanding": True,
        "difficulty_retaining": False,
        "difficulty_weighing": False,
        "difficulty_communicating": False,
        "appropriate_individual_available": False,
        "other_advocacy_available": False,
    }
    task = started.get_json()["active_tasks"][0]["id"]
    assert service.post(f"/tasks/{task}/complete", "manager1", {"data": answers}).status_code == 200
    before = service.get(f"/process-instances/{iid}", "manager1").get_json()
    allocation = next(t["id"] for t in before["active_tasks"] if t["activity_id"] == "allocate_advocate")
    refused = service.post(
        f"/tasks/{allocation}/complete",
        "manager1",
        {"data": {"advocate": "advocate1", "instruction": "instructed"}},
    )
    assert refused.status_code == 422 and "welsh_medium_reason" in refused.get_json()["errors"]
    after = service.get(f"/process-instances/{iid}", "manager1").get_json()
    assert after == before, "state unchanged"
    history = service.get(f"/process-instances/{iid}/history", "manager1").get_json()
    assert not any(
        e.get("activity_id") == "allocate_advocate" and e["type"] == "task_completed"
        for e in history["items"]
    )
    done = service.post(
        f"/tasks/{allocation}/complete",
        "manager1",
        {"data": {"advocate": "advocate2", "instruction": "instructed"}},
    )
    assert done.status_code == 200
    variables = service.get(f"/process-instances/{iid}", "manager1").get_json()["variables"]
    assert variables["welsh_medium_provided"] is True
