"""The language of a request: the user's, the session's switch, Accept-Language, English; `<html lang>`."""

from __future__ import annotations

import re

import pytest

from service.web.language import compile_catalogues
from tests.api.helpers import assert_problem

CY = {"Accept-Language": "cy"}


def test_catalogues_compile(tmp_path) -> None:
    po = tmp_path / "cy" / "LC_MESSAGES"
    po.mkdir(parents=True)
    (po / "messages.po").write_text('msgid ""\nmsgstr ""\n\nmsgid "Yes"\nmsgstr "Ie"\n', encoding="utf-8")
    assert compile_catalogues(tmp_path) == [po / "messages.mo"]
    assert compile_catalogues(tmp_path) == []  # up to date: not written again


def test_problem_details_follow_accept_language(service) -> None:
    body = assert_problem(service.client.get("/api/v1/tasks", headers=CY), 401)
    assert body["title"] == "Heb ei awdurdodi"
    assert body["detail"] == "anfonwch 'Authorization: Bearer <tocyn>'"
    assert body["type"].endswith("/unauthorized")  # the type URI never changes with the language
    english = assert_problem(service.client.get("/api/v1/tasks", headers={"Accept-Language": "en"}), 401)
    assert english["title"] == "Unauthorized"
    default = assert_problem(service.client.get("/api/v1/tasks"), 401)
    assert default["title"] == "Unauthorized"
    regional = assert_problem(service.client.get("/api/v1/tasks", headers={"Accept-Language": "cy-GB"}), 401)
    assert regional["title"] == "Heb ei awdurdodi"


def test_a_detail_with_values_is_translated_and_keeps_them(service) -> None:
    response = service.client.get("/api/v1/tasks/no-such-task", headers={**service.headers("manager1"), **CY})
    body = assert_problem(response, 404)
    assert body["title"] == "Heb ei ganfod"
    assert body["detail"] == "nid oes tasg no-such-task"


def test_user_language_set_and_refused(service) -> None:
    created = service.post("/users", "admin1", {"username": "gwen", "role": "advocate", "language": "cy"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["language"] == "cy"
    for bad in ("fr", "CY", "", 1, ["cy"]):
        response = service.post(
            "/users", "admin1", {"username": "x" + str(len(str(bad))), "role": "advocate", "language": bad}
        )
        assert_problem(response, 422)
        assert "language" in response.get_json()["errors"]
    patch = service.client.patch(
        "/api/v1/users/manager1", json={"language": "cy"}, headers=service.headers("admin1")
    )
    assert patch.status_code == 200 and patch.get_json()["language"] == "cy"
    # the user's language wins over Accept-Language
    body = assert_problem(
        service.client.get(
            "/api/v1/tasks/nope", headers={**service.headers("manager1"), "Accept-Language": "en"}
        ),
        404,
    )
    assert body["title"] == "Heb ei ganfod"
    for bad in ({"language": "de"}, {"language": "cy", "role": "admin"}, {}):
        response = service.client.patch("/api/v1/users/manager1", json=bad, headers=service.headers("admin1"))
        assert_problem(response, 422)
    assert_problem(
        service.client.patch(
            "/api/v1/users/nobody", json={"language": "en"}, headers=service.headers("admin1")
        ),
        404,
    )
    assert_problem(
        service.client.patch(
            "/api/v1/users/manager1", json={"language": "en"}, headers=service.headers("manager1")
        ),
        403,
    )
    back = service.client.patch(
        "/api/v1/users/manager1", json={"language": None}, headers=service.headers("admin1")
    )
    assert back.status_code == 200 and back.get_json()["language"] is None


def _lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def test_pages_follow_accept_language_and_the_switch(web) -> None:
    browser = web()
    page = browser.get("/login", headers=CY)
    assert _lang(browser.last) == "cy" and page.status_code == 200
    browser.get("/login")
    assert _lang(browser.last) == "en-GB"
    switched = browser.post("/language", {"language": "cy", "next": "/login?next=/cases"}, page="/login")
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/login?next=/cases")
    browser.get("/login")
    assert _lang(browser.last) == "cy"
    browser.login("manager1")  # the choice made before logging in is kept
    browser.get("/inbox?view=unclaimed")
    assert _lang(browser.last) == "cy"
    assert 'name="next" value="/inbox?view=unclaimed"' in browser.last


def test_switch_is_remembered_for_the_user(web, service) -> None:
    browser = web("advocate1")
    back = browser.post("/language", {"language": "cy", "next": "/cases?page=1"}, page="/inbox")
    assert back.status_code == 303 and back.headers["Location"].endswith("/cases?page=1")
    body = assert_problem(service.client.get("/api/v1/tasks/nope", headers=service.headers("advocate1")), 404)
    assert body["title"] == "Heb ei ganfod"  # the API answers the same user in Welsh now
    other = web("advocate1")  # a new session of the same user
    other.get("/inbox", headers={"Accept-Language": "en"})
    assert _lang(other.last) == "cy"


@pytest.mark.parametrize(
    "form",
    [
        {"language": "fr", "next": "/inbox"},
        {"language": "", "next": "/inbox"},
    ],
)
def test_switch_refuses_an_unknown_language(web, form) -> None:
    browser = web("manager1")
    response = browser.post("/language", form, page="/inbox")
    assert response.status_code == 422
    browser.get("/inbox")
    assert _lang(browser.last) == "en-GB"


def test_switch_needs_csrf_and_stays_on_the_site(web) -> None:
    browser = web("manager1")
    browser.get("/inbox")
    assert browser.post("/language", {"language": "cy", "next": "/inbox"}, csrf=False).status_code == 403
    away = browser.post("/language", {"language": "cy", "next": "//evil.example/x"}, page="/inbox")
    assert away.status_code == 303 and "evil" not in away.headers["Location"]


def test_dates_and_numbers_in_welsh(web) -> None:
    from datetime import UTC, datetime

    from service.web.filters import number, when

    app = web().client.application
    moment = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
    with app.test_request_context(headers=CY):
        assert when(moment) == "Iau 26 Tach 2026, 14:30"
        assert number(12345) == "12,345"
    with app.test_request_context():
        assert when(moment) == "Thu 26 Nov 2026, 14:30"


def test_pages_in_welsh_keep_no_english_chrome(web) -> None:
    browser = web("manager1")
    browser.get("/inbox", headers=CY)
    for welsh in ("Mewnflwch", "Achosion", "Allgofnodi", "Neidio i'r prif gynnwys", "English"):
        assert welsh in browser.last, welsh
    for english in (">Inbox<", ">Log out<", "Skip to main content", "Show tasks"):
        assert english not in browser.last, english


def test_quarterly_vocabulary_and_csv_headers_in_both_languages() -> None:
    from service.cases.reports import vocabulary
    from service.cases.reports.quarterly import to_csv

    every = (
        vocabulary.SOURCES
        + vocabulary.ADVOCACY_TYPES
        + vocabulary.URGENCIES
        + vocabulary.MILESTONES
        + vocabulary.MEASURES
        + vocabulary.ANSWERS
        + vocabulary.ESCALATION_OUTCOMES
        + vocabulary.STAGES
    )
    english, welsh = vocabulary.labels("en"), vocabulary.labels("cy")
    assert all(key in english and key in welsh for key in every), "a name without a label"
    assert welsh["social_worker"] == "Gweithiwr cymdeithasol" and english["social_worker"] == "Social worker"
    assert vocabulary.label("unknown_thing", "cy") == "Unknown thing"
    report = {"referrals": {"total": 3, "by_source": {"self": 3}}}
    assert to_csv(report).splitlines()[0] == "figure,value"
    welsh_csv = to_csv(report, "cy").splitlines()
    assert welsh_csv[0] == "ffigur,gwerth" and welsh_csv[1] == "referrals.total,3"  # keys never change


def test_a_task_form_in_welsh_keeps_its_names_and_values(deployed) -> None:
    from tests.api.helpers import start

    s = deployed
    started = start(s)
    assert started.status_code == 201, started.get_json()
    task_id = started.get_json()["active_tasks"][0]["id"]
    english = s.client.get(f"/api/v1/tasks/{task_id}", headers=s.headers("manager1")).get_json()
    welsh = s.client.get(f"/api/v1/tasks/{task_id}", headers={**s.headers("manager1"), **CY}).get_json()
    assert welsh["name"] == "Ffonio'r unigolyn yn ôl" and english["name"] == "Call the person back"
    assert welsh["form"]["title"] == "Ffonio'r unigolyn yn ôl"
    assert set(welsh["form"]["properties"]) == set(english["form"]["properties"])  # field names unchanged
    assert welsh["form"]["required"] == english["form"]["required"]
    assert welsh["form"]["properties"]["documents_needed"]["title"] == "Angen dogfennau?"
    listed = s.client.get("/api/v1/tasks", headers={**s.headers("manager1"), **CY}).get_json()
    assert "Ffonio'r unigolyn yn ôl" in {t["name"] for t in listed["items"]}
    # a bad answer is refused in Welsh, naming the field as it is
    bad = s.client.post(
        f"/api/v1/tasks/{task_id}/complete",
        json={"data": {"called_at": "2026-01-05T09:00:00+00:00"}},
        headers={**s.headers("manager1"), **CY},
    )
    body = assert_problem(bad, 422)
    assert body["title"] == "Methodd y dilysu"
    assert body["detail"] == "nid yw data'r ffurflen yn ddilys"
    assert body["errors"]["documents_needed"] == ["mae angen llenwi'r maes hwn"]
    assert body["type"].endswith("/validation-failed")
