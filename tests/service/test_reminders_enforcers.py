"""Two enforcers on one PostgreSQL database send each reminder exactly once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service.cases import verification
from service.scheduler.enforcer import DeadlineScheduler
from service.store.db import make_engine, make_session_factory
from service.store.models import Deadline, HistoryEvent, Notification
from service.store.uow import Database
from tests.service.reminders_support import deploy, start

COUNT = 12
pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]


def test_two_enforcers_send_each_reminder_once(service, database_url):
    deploy(service)
    now = datetime.now(UTC)
    # received three hours ago, due in half an hour: each reminder is already due
    ids = [start(service, now - timedelta(hours=3), now + timedelta(minutes=30)) for _ in range(COUNT)]
    engines = [make_engine(database_url) for _ in range(2)]
    enforcers = [DeadlineScheduler(Database(e, make_session_factory(e))) for e in engines]
    try:
        for enforcer in enforcers:
            enforcer.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            left = service.db.read(
                lambda session: session.scalar(
                    select(func.count()).select_from(Deadline).where(Deadline.reminded_at.is_(None))
                )
            )
            if left == 0:
                break
            time.sleep(0.2)
        time.sleep(2.5)  # a sync round of each enforcer passes: nothing is sent again
    finally:
        for enforcer in enforcers:
            enforcer.shutdown()
        for engine in engines:
            engine.dispose()

    def counts(session):
        notes = session.execute(
            select(Notification.instance_id, Notification.recipient, func.count()).group_by(
                Notification.instance_id, Notification.recipient
            )
        ).all()
        events = session.scalar(
            select(func.count()).select_from(HistoryEvent).where(HistoryEvent.type == "notification_sent")
        )
        return notes, events

    notes, events = service.db.read(counts)
    assert {(i, r) for i, r, _ in notes} == {(i, r) for i in ids for r in ("manager1", "manager2")}
    assert all(n == 1 for _, _, n in notes)
    assert events == COUNT * 2
    _, _, broken = service.db.read(verification.verify_chains)
    assert broken == []  # every chain still whole
