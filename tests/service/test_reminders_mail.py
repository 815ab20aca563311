"""With ADVOCACY_FLOW_SMTP_URL set, a real local SMTP server gets the reminder before the breach, once."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from service.base import mail
from service.scheduler.enforcer import DeadlineScheduler
from service.store.models import User
from tests.service.reminders_support import PERSON, deadline_of, deploy, start


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[float, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (time.time(), list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace"))
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("ADVOCACY_FLOW_SMTP_URL", f"smtp://127.0.0.1:{port}")
    yield inbox
    controller.stop()


def _emails(service) -> None:
    def set_emails(session):
        for user in session.scalars(select(User)):
            user.email = f"{user.username}@example.org"

    service.db.run(set_emails)


def test_the_reminder_mail_arrives_before_the_breach_once_without_personal_data(service, smtp):
    deploy(service)
    _emails(service)
    now = datetime.now(UTC)
    due = now + timedelta(seconds=4)  # reminded at 3 s, breached at 4 s
    instance_id = start(service, now, due, advocate="advocate1")
    enforcer = DeadlineScheduler(service.db)
    enforcer.start()
    try:
        limit = time.monotonic() + 15
        while time.monotonic() < limit and deadline_of(service, instance_id).status == "pending":
            time.sleep(0.1)
        time.sleep(2.5)  # a sync round later: nothing more is sent
    finally:
        enforcer.shutdown()
    fired = deadline_of(service, instance_id)
    assert fired.status == "fired"
    recipients = sorted(r for _, rcpts, _ in smtp.messages for r in rcpts)
    assert recipients == ["advocate1@example.org", "manager1@example.org", "manager2@example.org"]
    for at, _, content in smtp.messages:
        assert at < due.timestamp(), "the reminder came after the breach"
        assert PERSON not in content and "received_at" not in content
        assert "Allocate an advocate" in content
        assert "/inbox/" in content


def test_a_mail_server_that_is_down_loses_no_notification(service, monkeypatch, caplog):
    deploy(service)
    _emails(service)
    monkeypatch.setenv("ADVOCACY_FLOW_SMTP_URL", f"smtp://127.0.0.1:{_free_port()}")  # nobody listens
    from service.cases import notifications

    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    instance_id = start(service, t0, t0 + timedelta(hours=4), now=t0)
    deadline = deadline_of(service, instance_id)
    sent = service.db.run(lambda s: len(notifications.remind(s, deadline.id, t0 + timedelta(hours=3))))
    assert sent == 2
    assert service.get("/notifications", "manager1").get_json()["total"] == 1
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "could not be sent" in logged
    assert "example.org" not in logged and PERSON not in logged


def test_smtp_urls_are_checked():
    assert mail.parse_smtp_url("smtp://mail.local:2525") == ("mail.local", 2525)
    assert mail.parse_smtp_url("smtp://mail.local") == ("mail.local", 25)
    for bad in ("http://mail.local:25", "smtp://", "mail.local:25"):
        with pytest.raises(ValueError):
            mail.parse_smtp_url(bad)


def test_post_users_accepts_an_email_and_refuses_a_bad_one(service):
    ok = service.post(
        "/users", "admin1", {"username": "mailme", "role": "advocate", "email": "m@example.org"}
    )
    assert ok.status_code == 201, ok.get_json()
    bad = service.post(
        "/users", "admin1", {"username": "mailme2", "role": "advocate", "email": "not-an-address"}
    )
    assert bad.status_code == 422 and "email" in bad.get_json()["errors"]
    stored = service.db.read(lambda s: s.scalars(select(User).where(User.username == "mailme")).one().email)
    assert stored == "m@example.org"
