"""SLA records over HTTP, and second-scale SLAs whose breaches start escalations on time."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import select

from service.base.config import ROOT
from service.scheduler.enforcer import DeadlineScheduler
from service.store.models import ProcessInstance

FAST = {
    "key": "fast",
    "provider": "Speedy Advocacy CIC",
    "commissioner": "Anytown Council",
    "targets": {"allocation": "PT1S", "first_contact": "PT2S", "escalation_response": "PT1H"},
    "urgent": {"first_contact": "PT1S"},
    "calendar": "clock",
    "breach_threshold": 3,
}


def test_default_sla_exists_and_everyone_reads_it(service):
    for user in ("manager1", "advocate1", "auditor1", "commissioner1", "admin1"):
        r = service.get("/slas", user)
        assert r.status_code == 200
        assert [s["key"] for s in r.get_json()["items"]] == ["default"]
    default = service.get("/slas/default", "manager1").get_json()
    assert default["calendar"] == "working_days"
    assert default["targets"]["first_contact"] == "P2D"
    assert default["is_default"] is True


def test_commissioner_creates_and_updates_an_sla(service):
    r = service.post("/slas", "commissioner1", FAST)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["targets"] == FAST["targets"]
    assert service.post("/slas", "commissioner1", FAST).status_code == 409
    body = {k: v for k, v in FAST.items() if k != "key"} | {"breach_threshold": 7}
    r = service.client.put("/api/v1/slas/fast", json=body, headers=service.headers("commissioner1"))
    assert r.status_code == 200
    assert service.get("/slas/fast", "advocate1").get_json()["breach_threshold"] == 7


def test_only_commissioners_write_slas(service):
    for user in ("manager1", "advocate1", "auditor1", "admin1"):
        assert service.post("/slas", user, FAST).status_code == 403
    r = service.client.put(
        "/api/v1/slas/default",
        json={k: v for k, v in FAST.items() if k != "key"},
        headers=service.headers("manager1"),
    )
    assert r.status_code == 403
    assert service.get("/slas/default", "manager1").get_json()["targets"]["first_contact"] == "P2D"


def test_bad_sla_records_are_refused_with_field_errors(service):
    cases = [
        ({**FAST, "targets": {"first_contact": "two days"}}, "targets.first_contact"),
        ({**FAST, "calendar": "lunar"}, "calendar"),
        ({**FAST, "breach_threshold": -1}, "breach_threshold"),
        ({**FAST, "urgent": {"allocation_typo": "PT1H"}}, "urgent.allocation_typo"),
        ({**FAST, "calendar": "working_days", "targets": {"first_contact": "P1M"}}, "targets.first_contact"),
        ({**FAST, "surprise": 1}, "surprise"),
        ({k: v for k, v in FAST.items() if k != "provider"}, "provider"),
    ]
    for body, field in cases:
        r = service.post("/slas", "commissioner1", body)
        assert r.status_code == 422, (body, r.get_json())
        assert r.mimetype == "application/problem+json"
        assert any(key.startswith(field) for key in r.get_json()["errors"]), (field, r.get_json())
    assert [s["key"] for s in service.get("/slas", "manager1").get_json()["items"]] == ["default"]
    assert service.get("/slas/nope", "manager1").status_code == 404


def test_unknown_sla_key_on_a_referral_is_refused(service):
    assert service.deploy([ROOT / "bpmn"]).status_code == 201
    r = service.post(
        "/process-instances",
        "manager1",
        {
            "process": "referral_casework",
            "variables": {
                "person_ref": "P-1001",
                "referral_source": "self",
                "advocacy_type": "care_act",
                "urgency": "standard",
                "sla_key": "no-such-sla",
            },
        },
    )
    assert r.status_code == 422
    assert "sla_key" in r.get_json()["errors"]


def _escalations(service) -> list[ProcessInstance]:
    return service.db.read(
        lambda s: s.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.process_key == "sla_escalation")
            .order_by(ProcessInstance.started_at)
        ).all()
    )


def test_second_scale_sla_breaches_start_escalations_on_time(service):
    """Allocation (1 s) is missed during assessment; first contact (4 s) is missed while the
    advocate's task is open, and the scheduler fires it on time."""
    assert service.deploy([ROOT / "bpmn"]).status_code == 201
    fast = {**FAST, "targets": {**FAST["targets"], "first_contact": "PT4S"}}
    assert service.post("/slas", "commissioner1", fast).status_code == 201
    enforcer = DeadlineScheduler(service.db)
    enforcer.start()
    try:
        variables = {
            "person_ref": "P-1001",
            "referral_source": "self",
            "advocacy_type": "care_act",
            "urgency": "standard",
            "sla_key": "fast",
        }
        r = service.post(
            "/process-instances", "manager1", {"process": "referral_casework", "variables": variables}
        )
        assert r.status_code == 201, r.get_json()
        case_id = r.get_json()["id"]
        (task,) = r.get_json()["active_tasks"]
        eligible = {
            "advocacy_type": "care_act",
            "difficulty_understanding": True,
            "difficulty_retaining": False,
            "difficulty_weighing": False,
            "difficulty_communicating": False,
            "appropriate_individual_available": False,
        }
        time.sleep(1.2)  # past the allocation target
        r = service.post(f"/tasks/{task['id']}/complete", "manager1", {"data": eligible})
        assert r.status_code == 200, r.get_json()
        (task,) = r.get_json()["active_tasks"]
        r = service.post(
            f"/tasks/{task['id']}/complete",
            "manager1",
            {"data": {"advocate": "advocate1", "instruction": "instructed"}},
        )
        assert r.status_code == 200, r.get_json()
        end = time.monotonic() + 10
        while time.monotonic() < end and len(_escalations(service)) < 2:
            time.sleep(0.1)
    finally:
        enforcer.shutdown()
    allocation, first_contact = _escalations(service)
    assert (allocation.variables["milestone"], first_contact.variables["milestone"]) == (
        "allocation",
        "first_contact",
    )
    for escalation in (allocation, first_contact):
        assert escalation.variables["source_instance_id"] == case_id
        assert escalation.variables["sla_key"] == "fast"
        assert "person_ref" not in escalation.variables  # no case content reaches the escalation
    assert first_contact.variables["breaches_this_quarter"] == 2
    history = service.get(f"/process-instances/{case_id}/history", "manager1").get_json()["items"]
    types = [e["type"] for e in history]
    assert types.count("deadline_breached") == 2
    assert types.count("escalation_started") == 2
    fired = [e for e in history if e["type"] == "timer_fired" and e["activity_id"] == "first_contact_sla"]
    assert len(fired) == 1
    late = datetime.fromisoformat(fired[0]["data"]["fired_at"]) - datetime.fromisoformat(
        fired[0]["data"]["due_at"]
    )
    assert 0 <= late.total_seconds() < 1.0
    case = service.get(f"/process-instances/{case_id}", "manager1").get_json()
    assert case["status"] == "running"  # the breaches do not stop the case
    assert [t["activity_id"] for t in case["active_tasks"]] == ["first_contact"]
