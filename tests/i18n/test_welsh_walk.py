"""Every role's main pages, read in Welsh on the demo's data, show none of the interface's English.

The demo (``service.demo``) is loaded once; each demo user reads in Welsh (their ``language`` is
``cy``).  Each role walks its pages: home, inbox, the case list, every case it may open, every task
form in its inbox, the start page and forms, the dashboard, supervision, notifications and the audit
pages.  The English it must not see: every named element of every diagram, every text of every form,
the milestone and vocabulary labels, the end reasons and event labels, and every phrase of the Welsh
catalogue, wherever a Welsh text exists for them.  What people typed (the data) may be English and is taken out of the page first.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from service import demo
from service.base.config import ROOT
from service.base.languages import gettext_in
from service.base.overlays import apply_form, diagram_names, form_overlay, form_texts, named_elements
from service.cases import definitions
from service.cases.end_reasons import LABELS as END_REASON_LABELS
from service.cases.reports import vocabulary
from service.store.db import make_engine, make_session_factory
from service.store.models import HistoryEvent, ProcessInstance, Sla, Task, User
from service.store.uow import Database
from service.web.record import EVENT_LABELS
from tests.web.conftest import Browser

CY = {"Accept-Language": "cy"}
CATALOGUE = ROOT / "service" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
MILESTONES = (
    "allocation",
    "first_contact",
    "escalation_response",
    "safeguarding_decision",
    "complaint_acknowledgement",
    "complaint_response",
)
# English the Welsh also uses: names, acronyms and the like
SAME_IN_WELSH = {"IMHA", "IMCA", "DBS", "SLA", "BSL", "OK"}


def _english_diagram_names() -> set[str]:
    found = set()
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        welsh = diagram_names(path.stem, "cy")
        for element_id, name in named_elements(path.read_bytes()).items():
            if welsh.get(element_id, name) != name:
                found.add(name)
    return found


def _english_form_texts() -> set[str]:
    found = set()
    for path in sorted((ROOT / "forms").glob("*/*.json")):
        if path.name.count(".") > 1:
            continue  # an overlay
        schema = json.loads(path.read_text("utf-8"))
        welsh = dict(form_texts(apply_form(schema, form_overlay(path.parent.name, path.stem, "cy")) or {}))
        for where, text in form_texts(schema):
            if text and welsh.get(where, text) != text:
                found.add(text)
    return found


def english_strings() -> set[str]:
    """The English a Welsh reader of these pages must not meet."""
    found = _english_diagram_names() | _english_form_texts()
    english, welsh = vocabulary.labels("en"), vocabulary.labels("cy")
    found |= {text for key, text in english.items() if welsh[key] != text}
    found |= {m.replace("_", " ").capitalize() for m in MILESTONES}
    for label in [*END_REASON_LABELS.values(), *EVENT_LABELS.values()]:
        if gettext_in("cy", label) != label:
            found.add(label)
    found |= _catalogue_english()
    found |= set(dmn_reasons())
    return {text for text in found if text not in SAME_IN_WELSH and len(text) > 2}


def dmn_reasons() -> list[str]:
    """Every ``eligibility_reason`` the decision table may write (its quoted outputs with a space)."""
    table = (ROOT / "bpmn" / "eligibility.dmn").read_text("utf-8")
    return sorted({text for text in re.findall(r'<text>"([^"<]*)"</text>', table) if " " in text})


def _catalogue_english() -> set[str]:
    """Every phrase of the Welsh catalogue (a space in it, no placeholder): shown untranslated, it is English."""
    with CATALOGUE.open("rb") as source:
        catalogue = read_po(source, locale="cy")
    found = set()
    for message in catalogue:
        english = message.id if isinstance(message.id, str) else (message.id or ("",))[0]
        welsh = message.string if isinstance(message.string, str) else (message.string or ("",))[0]
        if " " in english and "%(" not in english and "<" not in english and welsh and welsh != english:
            found.add(english)
    return found


def visible_text(page: str) -> str:
    """What a person reads: the text of the page and its readable attributes, without scripts."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL | re.IGNORECASE)
    page = re.sub(r'<form[^>]*id="language-switch".*?</form>', " ", page, flags=re.DOTALL)  # "English"
    # the auditor's view of an event and of the replayed variables exactly as stored (names and values
    # as the engine holds them): the record, not the interface
    page = re.sub(r'<pre[^>]*id="event-data".*?</pre>', " ", page, flags=re.DOTALL)
    page = re.sub(r'<dl[^>]*id="state-variables".*?</dl>', " ", page, flags=re.DOTALL)
    attributes = re.findall(r'\s(?:aria-label|title|placeholder|alt)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page) + " " + " ".join(attributes)
    return re.sub(r"\s+", " ", html.unescape(text))


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.fixture(scope="module")
def demo_site(app, sqlite_template, tmp_path_factory):
    """The app over a database holding the deployed processes and the demo; users read Welsh."""
    path = Path(tmp_path_factory.mktemp("welsh-walk")) / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    db = Database(engine, make_session_factory(engine))
    files, forms = definitions.read_directory([ROOT / "bpmn"], ROOT / "forms")
    db.run(definitions.deploy, files, forms, "admin1", strict_forms=False)
    list(demo.load(db))

    def prepare(session) -> tuple[list[str], set[str]]:
        for user in session.scalars(select(User)):
            user.language = "cy"
        data, names = set(), set()
        for variables, stage, status, waiting in session.execute(
            select(
                ProcessInstance.variables,
                ProcessInstance.stage,
                ProcessInstance.status,
                ProcessInstance.waiting_messages,
            )
        ):
            # the decision table's reason is the service's words, not typed: it must be in Welsh
            data.update(_strings({k: v for k, v in (variables or {}).items() if k != "eligibility_reason"}))
            names.update([*(variables or {}), stage or "", status, *(waiting or {}).get("names", [])])
        cancels = select(HistoryEvent.data).where(HistoryEvent.type == "instance_cancelled")
        data.update(json.loads(event or "{}").get("reason") or "" for event in session.scalars(cancels))
        for sla in session.scalars(select(Sla)):
            data.update((sla.provider, sla.commissioner))
        data.update(session.scalars(select(ProcessInstance.business_key)))
        typed = (d for d in data if d and len(d) > 3 and not re.fullmatch(r"[a-z0-9_]+", d))
        # coded values (care_act, service) are not text; a name shown as it is stored is English
        return sorted(typed, key=len, reverse=True), {n.replace("_", " ").capitalize() for n in names if n}

    typed, stored_names = db.run(prepare)
    previous = app.extensions.get("advocacy_flow.db")
    app.extensions["advocacy_flow.db"] = db
    yield app, db, typed, stored_names
    app.extensions["advocacy_flow.db"] = previous
    engine.dispose()


@pytest.fixture(scope="module")
def forbidden(demo_site) -> list[tuple[str, re.Pattern]]:
    """The English strings, and each variable, stage and status name as stored, humanised."""
    found = english_strings() | {name for name in demo_site[3] if len(name) > 3}
    return [(text, re.compile(rf"(?<![\w-]){re.escape(text)}(?![\w-])")) for text in sorted(found)]


def _links(page: str, pattern: str) -> list[str]:
    return sorted(set(re.findall(rf'href="({pattern})"', page)))


def walk(browser: Browser, role: str) -> dict[str, str]:
    """Path -> page, for the pages this role reaches from its menu."""
    pages: dict[str, str] = {}

    def get(path: str) -> str:
        if path not in pages:
            response = browser.get(path, headers=CY, follow_redirects=True)
            assert response.status_code == 200, (path, response.status_code)
            pages[path] = response.get_data(as_text=True)
        return pages[path]

    def menu(page: str) -> set[str]:
        return set(re.findall(r'<a href="(/[a-z]+)"', page.split("</nav>")[0]))

    offered = menu(get("/"))
    for path in sorted(offered | {"/inbox", "/cases", "/notifications"}):
        get(path)
    get("/cases?page=2")
    if "/start" in offered:
        for path in _links(get("/start"), r"/start/[a-z_]+"):
            get(path)
    listed = get("/cases") + get("/cases?page=2")
    for path in _links(listed, r"/cases/[0-9a-f-]{36}"):
        get(path)
    for path in _links(get("/inbox") + get("/"), r"/inbox/[0-9a-f-]{36}"):
        get(path)
    if role == "auditor":
        audit = get("/audit")
        for path in _links(audit + listed, r"/audit/[0-9a-f-]{36}")[:12]:
            page = get(path)
            for step in _links(page, r"/audit/[0-9a-f-]{36}/at\?seq=\d+")[:3]:
                get(html.unescape(step))
    return pages


# English words no Welsh sentence has: they find English the lists above do not know (an unmarked string)
ENGLISH_WORDS = (
    "the words 'the', 'and', 'of', …",
    re.compile(r"(?<![\w'-])(the|and|of|with|for|your|this|that|are|has|not|from)(?![\w'-])", re.I),
)


def english_left(pages: dict[str, str], typed: list[str], forbidden) -> dict[str, dict[str, str]]:
    """English text -> {path: the words around it} for each page that shows it."""
    found: dict[str, dict[str, str]] = {}
    for path, page in pages.items():
        text = visible_text(page)
        for value in typed:
            text = text.replace(value, " ")
        for english, pattern in [*forbidden, ENGLISH_WORDS]:
            if (english in text or english == ENGLISH_WORDS[0]) and (match := pattern.search(text)):
                around = text[max(0, match.start() - 50) : match.end() + 50]
                found.setdefault(english, {})[re.sub(r"[0-9a-f-]{36}", "<id>", path)] = around
    return found


@pytest.mark.parametrize(
    "user", ["manager1", "advocate1", "advocate2", "commissioner1", "auditor1", "admin1"]
)
def test_each_roles_pages_in_welsh_show_no_interface_english(demo_site, forbidden, user) -> None:
    app, _, typed, _ = demo_site
    browser = Browser(app)
    browser.login(user, demo.DEMO_PASSWORD)
    pages = walk(browser, dict(demo.DEMO_USERS)[user])
    assert len(pages) >= 5
    left = english_left(pages, typed, forbidden)
    report = {english: dict(sorted(where.items())[:2]) for english, where in sorted(left.items())}
    assert not left, json.dumps(report, indent=1, ensure_ascii=False)


def test_the_walk_would_see_english(demo_site, forbidden) -> None:
    """The check itself: the same pages in English show the English it looks for."""
    app, db, typed, _ = demo_site

    def english(session) -> None:
        session.scalars(select(User).where(User.username == "manager1")).one().language = "en"

    db.run(english)
    try:
        browser = Browser(app)
        browser.login("manager1", demo.DEMO_PASSWORD)
        (task_id,) = db.read(
            lambda s: s.scalars(
                select(Task.id).where(Task.activity_id == "safeguarding_decision", Task.status == "open")
            ).all()
        )
        page = browser.get(f"/inbox/{task_id}").get_data(as_text=True)
        left = english_left({"task": page}, typed, forbidden)
        assert "Safeguarding decision" in left and ENGLISH_WORDS[0] in left
    finally:

        def welsh(session) -> None:
            session.scalars(select(User).where(User.username == "manager1")).one().language = "cy"

        db.run(welsh)


def test_every_message_a_diagram_waits_for_has_words_in_welsh() -> None:
    from service.web.message_names import MESSAGES

    waited = set()
    for path in (ROOT / "bpmn").glob("*.bpmn"):
        waited |= set(re.findall(r'<bpmn:message id="[^"]+" name="([^"]+)"', path.read_text("utf-8")))
    assert waited and waited <= set(MESSAGES)
    for words in MESSAGES.values():
        assert gettext_in("cy", words) != words, words


def test_a_reassignment_is_confirmed_and_refused_in_welsh(demo_site) -> None:
    """Changes the demo (P-1020's first contact goes back to advocate1): after the walks."""
    app, db, _, _ = demo_site

    def first_contact(session) -> tuple[str, str]:
        return session.execute(
            select(Task.instance_id, Task.id)
            .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
            .where(ProcessInstance.business_key == "P-1020", Task.status == "open")
        ).one()

    case_id, task_id = db.read(first_contact)
    browser = Browser(app)
    browser.login("manager1", demo.DEMO_PASSWORD)
    path = f"/cases/{case_id}"
    wrong = browser.post(
        f"{path}/assign",
        {"task_id": task_id, "assignee": "manager2"},
        page=path,
        headers=CY,
        follow_redirects=True,
    )
    assert "Heb ei hailbennu: mae manager2 yn manager; mae'r dasg hon ar gyfer rôl advocate" in visible_text(
        wrong.get_data(as_text=True)
    )
    done = browser.post(
        f"{path}/assign",
        {"task_id": task_id, "assignee": "advocate1"},
        page=path,
        headers=CY,
        follow_redirects=True,
    )
    assert "Wedi'i hailbennu i advocate1." in visible_text(done.get_data(as_text=True))


def test_a_message_recorded_from_the_case_page_is_confirmed_in_welsh(demo_site) -> None:
    """Last in this file: it changes the demo (the certificate arrives)."""
    app, db, _, _ = demo_site

    def waiting(session) -> str:
        return session.scalars(
            select(ProcessInstance.id).where(
                ProcessInstance.business_key == "CAND-0104", ProcessInstance.status != "completed"
            )
        ).one()

    case_id = db.read(waiting)
    browser = Browser(app)
    browser.login("manager1", demo.DEMO_PASSWORD)
    page = browser.get(f"/cases/{case_id}", headers=CY).get_data(as_text=True)
    assert "Tystysgrif DBS wedi dod i law" in visible_text(page)
    done = browser.post(
        f"/cases/{case_id}/message",
        {"name": "dbs_certificate_received"},
        page=f"/cases/{case_id}",
        headers=CY,
        follow_redirects=True,
    )
    assert "Cofnodwyd: tystysgrif DBS wedi dod i law." in visible_text(done.get_data(as_text=True))


def test_every_reason_of_the_eligibility_table_has_welsh() -> None:
    from service.web.eligibility_reasons import WELSH

    reasons = dmn_reasons()
    assert len(reasons) >= 30
    assert sorted(WELSH) == reasons, "a reason of bpmn/eligibility.dmn without Welsh, or one it no longer has"
    assert all(WELSH[r] != r for r in reasons)
