"""The pages merged late (supervision calendar, notifications, the case page's referral actions) in Welsh,
and the reminder e-mail in its recipient's language."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from service.base.languages import gettext_in
from service.cases import end_reasons, notifications
from service.store.models import User
from tests.service.reminders_support import deadline_of, deploy, start
from tests.service.test_reminders_mail import smtp  # noqa: F401
from tests.web.test_casework_actions import _open_case
from tests.web.test_notices import T0, _remind
from tests.web.test_supervision_page import records  # noqa: F401

CY = {"Accept-Language": "cy"}


def _check(page: str, welsh: tuple[str, ...], english: tuple[str, ...]) -> None:
    page = html.unescape(re.sub(r"<script.*?</script>", "", page, flags=re.DOTALL))  # the text a person reads
    for text in welsh:
        assert text in page, text
    for text in english:
        assert text not in page, text


def test_the_supervision_calendar_in_welsh(web, records) -> None:  # noqa: F811
    browser = web("manager1")
    page = browser.get("/supervision", headers=CY).get_data(as_text=True)
    _check(
        page,
        (
            "Calendr goruchwyliaeth",
            "Pob eiriolwr",
            "Goruchwyliaeth 1:1 ac archwiliad o ffeiliau achos",
            "Arfarniad blynyddol",
            "Eiriolwr",
            "Gwiriad",
            "Hidlo'r calendr",
            "Cofnodion goruchwyliaeth ar waith",
        ),
        (
            "Supervision calendar",
            "Every advocate",
            "1:1 supervision and case-file audit",
            "Yearly appraisal",
            ">Advocate<",
            ">Check<",
            ">Scheduled<",
            "Filter the calendar",
            "With a check",
        ),
    )
    wrong = browser.get("/supervision?status=late", headers=CY)
    assert wrong.status_code == 422
    _check(
        wrong.get_data(as_text=True),
        ("Dewiswch yn hwyr, erbyn neu wedi'i drefnu", "Mae problem"),
        ("Choose overdue, due or scheduled", "There is a problem"),
    )


def test_the_notifications_page_and_badge_in_welsh(service, web) -> None:
    _remind(service)
    browser = web("advocate1")
    page = browser.get("/notifications", headers=CY).get_data(as_text=True)
    _check(
        page,
        (
            "Hysbysiadau",
            "1 hysbysiad.",
            "Nodyn atgoffa: mae targed yn agos",
            "Agor y dasg",
            "Marcio wedi'i ddarllen",
            'aria-label="1 heb eu darllen"',
        ),
        (
            ">Notifications<",
            "1 notification.",
            "Reminder: a target is near",
            "Open the task",
            "Mark read",
            "1 unread",
            ">Sent<",
            ">What<",
        ),
    )
    empty = web("advocate2").get("/notifications", headers=CY).get_data(as_text=True)
    _check(empty, ("Dim byd eto.",), ("Nothing yet.",))


def test_the_case_pages_referral_actions_and_end_reasons_in_welsh(all_deployed, web) -> None:
    iid, manager = _open_case(all_deployed, web)
    page = manager.get(f"/cases/{iid}", headers=CY).get_data(as_text=True)
    _check(
        page,
        (
            "Codi pryder diogelu",
            "Dod â'r achos i ben yn gynnar",
            "Deddf Gofal 2014 a.42",
            "Gwrthododd yr unigolyn eiriolaeth",
            "Atgyfeiriad dyblyg",
        ),
        (
            "Raise a safeguarding concern",
            "End the case early",
            "The person declined advocacy",
            "A duplicate referral",
            "<h2>Safeguarding</h2>",
        ),
    )
    manager.post(f"/cases/{iid}/safeguarding-concern", {}, page=f"/cases/{iid}", headers=CY)
    after = manager.get(f"/cases/{iid}", headers=CY).get_data(as_text=True)
    _check(after, ("Codwyd pryder diogelu",), ("Safeguarding concern raised",))
    manager.post(f"/cases/{iid}/end-early", {}, page=f"/cases/{iid}", headers=CY)
    after = manager.get(f"/cases/{iid}", headers=CY).get_data(as_text=True)
    _check(after, ("ar agor yn eich mewnflwch",), ("is open in your inbox",))


def test_every_end_reason_and_message_has_welsh() -> None:
    for label in end_reasons.LABELS.values():
        assert gettext_in("cy", label) != label, label
    assert gettext_in(None, notifications.REMINDER_SUBJECT, task="X") == "Reminder: X"
    assert gettext_in("fr", notifications.REMINDER_SUBJECT, task="X") == "Reminder: X"
    assert gettext_in("cy", notifications.REMINDER_SUBJECT, task="X") == "Nodyn atgoffa: X"


def test_the_reminder_mail_is_in_each_recipients_language(service, smtp) -> None:  # noqa: F811
    deploy(service)

    def people(session):
        for user in session.scalars(select(User)):
            user.email = f"{user.username}@example.org"
            user.language = "cy" if user.username == "manager1" else None

    service.db.run(people)
    instance_id = start(service, T0, T0 + timedelta(hours=4), now=T0, advocate="advocate1")
    service.db.run(notifications.remind, deadline_of(service, instance_id).id, T0 + timedelta(hours=3))
    sent = {rcpts[0]: content for _, rcpts, content in smtp.messages}
    assert sorted(sent) == ["advocate1@example.org", "manager1@example.org", "manager2@example.org"]
    assert "Subject: Nodyn atgoffa: " in sent["manager1@example.org"]
    assert "Agorwch hyn yn Advocacy Flow" in sent["manager1@example.org"]
    for english in ("advocate1@example.org", "manager2@example.org"):
        assert "Subject: Reminder: " in sent[english] and "Open it in Advocacy Flow" in sent[english]
        assert "Nodyn atgoffa" not in sent[english]


def test_the_replay_scripts_texts_come_from_the_page_in_its_language(deployed, web) -> None:
    import json

    from tests.api.helpers import CALL_DATA
    from tests.audit.support import start_callback

    walk = start_callback(deployed, "CY")
    walk.complete("call_back", {**CALL_DATA, "documents_needed": True})
    found = re.compile(r'<script type="application/json" id="replay-texts">(.*?)</script>', re.S)
    auditor = web("auditor1")
    welsh = json.loads(
        found.search(auditor.get(f"/audit/{walk.id}", headers=CY).get_data(as_text=True)).group(1)
    )
    assert welsh["event_of"] == "Digwyddiad {n} o {last}" and welsh["verified"] == "Gwiriwyd y gadwyn"
    assert welsh["retention"] == "Mae'r log cadw wedi torri ar ddigwyddiad {seq}: {reason}."
    assert json.loads(found.search(auditor.get(f"/audit/{walk.id}").get_data(as_text=True)).group(1)) == {}
    script = (Path(__file__).resolve().parents[2] / "service/web/static/replay.js").read_text(
        encoding="utf-8"
    )
    for key, text in welsh.items():  # every text passed is one the script shows, with its English default
        assert f't("{key}", "' in script, key
        assert "{" not in text or re.search(r"\{(n|last|seq|reason)\}", text), text
