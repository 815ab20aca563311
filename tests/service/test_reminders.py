"""Reminders at ADVOCACY_FLOW_REMINDER_AT of an SLA target's time: once, to the right people, no content."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.cases import instances, notifications
from service.store.models import Notification
from tests.service.reminders_support import PERSON, deadline_of, deploy, start, task_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = T0 + timedelta(hours=4)


def _remind(service, instance_id: str, at: datetime) -> list[str]:
    deadline = deadline_of(service, instance_id)
    return service.db.run(
        lambda session: [n.recipient for n in notifications.remind(session, deadline.id, at)]
    )


def _history(service, instance_id: str) -> list[dict]:
    return service.get(f"/process-instances/{instance_id}/history", "manager1").get_json()["items"]


def test_the_reminder_is_due_at_the_share_of_the_target_from_received_at(service):
    deploy(service)
    instance_id = start(service, T0, DUE, now=T0 + timedelta(minutes=5))
    deadline = deadline_of(service, instance_id)
    assert deadline.remind_at == T0 + timedelta(hours=3)  # 75% of four hours from received_at
    assert deadline.reminded_at is None


def test_the_share_comes_from_the_environment(service, monkeypatch):
    monkeypatch.setenv("ADVOCACY_FLOW_REMINDER_AT", "0.5")
    deploy(service)
    instance_id = start(service, T0, DUE, now=T0)
    assert deadline_of(service, instance_id).remind_at == T0 + timedelta(hours=2)


def test_an_unclaimed_task_reminds_the_managers_once(service):
    deploy(service)
    instance_id = start(service, T0, DUE, now=T0)
    assert _remind(service, instance_id, T0 + timedelta(hours=2, minutes=59)) == []  # not yet
    assert sorted(_remind(service, instance_id, T0 + timedelta(hours=3))) == ["manager1", "manager2"]
    assert _remind(service, instance_id, T0 + timedelta(hours=3, minutes=1)) == []  # once only
    sent = [e for e in _history(service, instance_id) if e["type"] == "notification_sent"]
    assert [e["data"] for e in sent] == [
        {"kind": "reminder", "recipient": "manager1", "recipient_role": "manager"},
        {"kind": "reminder", "recipient": "manager2", "recipient_role": "manager"},
    ]
    assert all(e["activity_id"] == "allocate" for e in sent)
    assert PERSON not in json.dumps(sent)
    # replay folds a reminder as an event that changes nothing of the case
    for event in sent:
        before, at = (
            service.get(f"/process-instances/{instance_id}/replay?seq={n}", "auditor1").get_json()
            for n in (event["seq"] - 1, event["seq"])
        )
        assert (at["seq"], at["type"]) == (event["seq"], "notification_sent")
        assert (at["status"], at["active_tasks"], at["variables"]) == (
            before["status"],
            before["active_tasks"],
            before["variables"],
        )


def test_an_assigned_task_reminds_its_assignee_and_the_managers(service):
    deploy(service)
    instance_id = start(service, T0, DUE, now=T0, advocate="advocate1")
    task = task_of(service, instance_id)
    assert task.assignee == "advocate1"
    assert sorted(_remind(service, instance_id, T0 + timedelta(hours=3))) == [
        "advocate1",
        "manager1",
        "manager2",
    ]
    mine = service.get("/notifications", "advocate1").get_json()
    assert mine["total"] == 1 and mine["unread"] == 1
    (item,) = mine["items"]
    assert set(item) == {
        "id",
        "kind",
        "instance_id",
        "task_id",
        "template",
        "due_at",
        "created_at",
        "read_at",
    }
    assert item["kind"] == "reminder"
    assert item["instance_id"] == instance_id and item["task_id"] == task.id
    assert datetime.fromisoformat(item["due_at"]) == DUE
    assert item["read_at"] is None
    assert service.get("/notifications", "advocate2").get_json() == {"items": [], "total": 0, "unread": 0}


def test_no_reminder_once_the_task_is_completed(service):
    deploy(service)
    instance_id = start(service, T0, DUE, now=T0, advocate="advocate1")
    task = task_of(service, instance_id)
    service.db.run(
        lambda session: instances.complete_task(
            session, service.actor("advocate1"), task.id, {}, T0 + timedelta(hours=1)
        )
    )
    assert _remind(service, instance_id, T0 + timedelta(hours=3)) == []
    assert not [e for e in _history(service, instance_id) if e["type"] == "notification_sent"]


def test_a_notification_is_read_only_by_its_recipient(service):
    deploy(service)
    instance_id = start(service, T0, DUE, now=T0)
    _remind(service, instance_id, T0 + timedelta(hours=3))
    (item,) = service.get("/notifications", "manager1").get_json()["items"]
    other = service.post(f"/notifications/{item['id']}/read", "manager2")
    assert other.status_code == 404
    assert other.headers["Content-Type"].startswith("application/problem+json")
    assert service.post(f"/notifications/{item['id']}/read", "advocate1").status_code == 404
    for huge in (2**31, 6424862936717205504):  # beyond PostgreSQL's integer: not found, never a 500
        assert service.post(f"/notifications/{huge}/read", "manager1").status_code == 404
    assert service.post("/notifications/999999/read", "manager1").status_code == 404
    done = service.post(f"/notifications/{item['id']}/read", "manager1")
    assert done.status_code == 200 and done.get_json()["read_at"] is not None
    again = service.post(f"/notifications/{item['id']}/read", "manager1").get_json()
    assert again["read_at"] == done.get_json()["read_at"]  # read once, kept
    assert service.get("/notifications?unread=true", "manager1").get_json()["total"] == 0
    assert service.get("/notifications?unread=false", "manager1").get_json()["total"] == 1
    # manager2's own stays unread
    assert service.get("/notifications", "manager2").get_json()["unread"] == 1


def test_notifications_need_a_token_and_valid_paging(service):
    assert service.client.get("/api/v1/notifications").status_code == 401
    assert service.client.post("/api/v1/notifications/1/read").status_code == 401
    bad = service.get("/notifications?limit=0", "manager1")
    assert bad.status_code == 422 and "limit" in bad.get_json()["errors"]
    assert service.get("/notifications?offset=-1", "manager1").status_code == 422
    assert service.get("/notifications?unread=perhaps", "manager1").status_code == 422


def test_rows_are_the_callers_only(service):
    deploy(service)
    for hours in (0, 1):
        instance_id = start(service, T0 + timedelta(hours=hours), DUE + timedelta(hours=hours), now=T0)
        _remind(service, instance_id, DUE + timedelta(hours=hours) - timedelta(minutes=30))
    rows = service.db.read(lambda session: session.scalars(select(Notification)).all())
    assert len(rows) == 4
    page = service.get("/notifications?limit=1", "manager1").get_json()
    assert page["total"] == 2 and len(page["items"]) == 1
