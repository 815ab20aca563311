"""A timer whose moment has passed when its step reaches it still gets its deadline row, fired at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.cases import instances
from service.store.models import Deadline
from tests.service.test_enforcers_postgres import AT

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _deploy(service) -> None:
    r = service.client.post(
        "/api/v1/process-definitions",
        data=AT,
        headers={**service.headers("admin1"), "Content-Type": "application/xml"},
    )
    assert r.status_code == 201, r.get_json()


def _start(service, due: datetime) -> str:
    return service.db.run(
        lambda session: (
            instances.start_instance(session, None, "wait_until", {"due": due.isoformat()}, now=NOW).id
        )
    )


def test_a_timer_already_past_gets_a_fired_deadline_row(service):
    _deploy(service)
    due = NOW - timedelta(days=3)  # a back-dated referral: its moment passed before the case began
    instance_id = _start(service, due)
    body = service.get(f"/process-instances/{instance_id}", "manager1").get_json()
    assert body["status"] == "completed"
    listed = service.get(f"/deadlines?instance={instance_id}", "manager1").get_json()
    assert listed["total"] == 1
    (row,) = listed["items"]
    assert row["status"] == "fired"
    assert row["activity_id"] == "wait"
    assert row["kind"] == "timer"
    assert datetime.fromisoformat(row["due_at"]) == due
    assert datetime.fromisoformat(row["fired_at"]) == NOW
    fired = service.get(f"/deadlines?instance={instance_id}&status=fired", "manager1").get_json()
    assert fired["total"] == 1
    assert (
        service.get(f"/deadlines?instance={instance_id}&status=pending", "manager1").get_json()["total"] == 0
    )
    history = service.get(f"/process-instances/{instance_id}/history", "manager1").get_json()["items"]
    assert [e["type"] for e in history].count("timer_fired") == 1


def test_a_future_timer_still_waits_with_one_pending_row(service):
    _deploy(service)
    instance_id = _start(service, NOW + timedelta(days=1))
    rows = service.db.read(
        lambda session: session.scalars(select(Deadline).where(Deadline.instance_id == instance_id)).all()
    )
    assert [(d.status, d.fired_at) for d in rows] == [("pending", None)]
