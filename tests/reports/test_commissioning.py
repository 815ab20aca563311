"""GET /reports/commissioning: each cycle's stage, step, days in stage, and contracts ending soon."""

from __future__ import annotations

from service.access.permissions import Actor
from service.cases import instances
from service.cases.reports import commissioning as commissioning_report
from tests.reports.conftest import t

NOW = "2026-06-01T12:00:00+00:00"


def test_cycles_stages_and_contracts_ending(casework):
    cw = casework
    ending = cw.insert_cycle(
        stage="deliver",
        status="running",
        variables={
            "service_name": "Care Act advocacy",
            "local_authority": "North County",
            "contract_end": "2026-10-31",
        },
        changes=[
            ("2026-01-01T12:00:00+00:00", "analyse"),
            ("2026-01-11T12:00:00+00:00", "plan"),
            ("2026-02-10T00:00:00+00:00", "deliver"),
        ],
        open_task=("quarterly_monitoring", "Quarterly monitoring"),
    )
    later = cw.insert_cycle(
        stage="plan",
        status="running",
        variables={"service_name": "IMHA", "local_authority": "South Borough", "contract_end": "2027-03-31"},
        changes=[("2026-05-01T12:00:00+00:00", "analyse"), ("2026-05-21T12:00:00+00:00", "plan")],
        open_task=("gap_analysis", "Gap analysis"),
    )
    cw.insert_cycle(
        stage=None,
        status="completed",
        variables={"service_name": "Old", "local_authority": "X", "contract_end": "2026-07-01"},
        changes=[("2025-01-01T12:00:00+00:00", "analyse")],
    )

    body = cw.db.read(commissioning_report.commissioning, Actor("commissioner1", "commissioner"), now=t(NOW))
    assert body["total"] == 2
    first, second = body["items"]
    assert {
        k: first[k]
        for k in ("id", "service_name", "local_authority", "stage", "step", "days_in_stage", "contract_end")
    } == {
        "id": ending,
        "service_name": "Care Act advocacy",
        "local_authority": "North County",
        "stage": "deliver",
        "step": "quarterly_monitoring",
        "days_in_stage": 111,
        "contract_end": "2026-10-31",
    }
    assert first["days_by_stage"] == {"analyse": 10.0, "plan": 29.5, "deliver": 111.5}
    assert (second["id"], second["stage"], second["step"], second["days_in_stage"]) == (
        later,
        "plan",
        "gap_analysis",
        11,
    )
    assert second["days_by_stage"] == {"analyse": 20.0, "plan": 11.0}
    assert body["contracts_ending_within_6_months"] == [
        {
            "id": ending,
            "service_name": "Care Act advocacy",
            "local_authority": "North County",
            "contract_end": "2026-10-31",
            "days_to_end": 152,
        }
    ]
    everything = cw.db.read(
        commissioning_report.commissioning, Actor("auditor1", "auditor"), now=t(NOW), include_ended=True
    )
    assert everything["total"] == 3


def test_a_real_cycle_and_who_may_ask(casework):
    s = casework.s

    def start(session):
        variables = {"service_name": "Advocacy hub", "local_authority": "East", "cycle_start": "2026-01-05"}
        actor = Actor("commissioner1", "commissioner")
        return instances.start_instance(
            session, actor, "commissioning_cycle", variables, now=t("2026-01-05T09:00:00+00:00")
        ).id

    cycle = casework.db.run(start)
    r = s.get("/reports/commissioning", "commissioner1")
    assert r.status_code == 200
    [item] = r.get_json()["items"]
    live = s.get(f"/process-instances/{cycle}", "commissioner1").get_json()
    assert (item["id"], item["stage"], item["service_name"]) == (cycle, live["stage"], "Advocacy hub")
    assert item["stage"] == "analyse"
    assert item["step"] in {task["activity_id"] for task in live["active_tasks"]}
    assert item["days_in_stage"] >= 0 and "analyse" in item["days_by_stage"]
    assert s.get("/reports/commissioning", "auditor1").status_code == 200
    for user in ("manager1", "advocate1", "admin1"):
        assert s.get("/reports/commissioning", user).status_code == 403
