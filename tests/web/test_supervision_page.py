"""The supervision calendar page: managers and commissioners, the same entries as GET /reports/supervision."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from service.cases import instances as use_cases
from tests.conftest import ROOT

START = {
    "advocate": "advocate1",
    "appointed_on": "2026-01-05",
    "qualification_status": "held",
    "update_service_subscribed": False,
    "dbs_issue_date": "2025-12-15",
}
ROW = re.compile(r'<tr data-advocate="([^"]+)" data-check="([^"]+)" data-status="([^"]+)">')


@pytest.fixture
def records(service, monkeypatch):
    monkeypatch.setattr(use_cases, "utcnow", lambda: datetime(2026, 1, 25, 9, 0, tzinfo=UTC))
    assert service.deploy([ROOT / "bpmn" / "advocate_supervision.bpmn"]).status_code == 201
    ids = []
    for advocate in ("advocate1", "advocate2"):
        body = {"process": "advocate_supervision", "variables": {**START, "advocate": advocate}}
        r = service.post("/process-instances", "manager1", body)
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["id"])
    return service, ids


@pytest.mark.parametrize("user", ["manager1", "commissioner1"])
def test_the_page_lists_each_advocates_checks_as_the_api_does(web, records, user):
    service, ids = records
    browser = web(user)
    page = browser.get("/supervision")
    assert page.status_code == 200, browser.last[:500]
    assert 'href="/supervision" aria-current="page"' in browser.last  # in the navigation
    api = service.get("/reports/supervision", user).get_json()
    expected = [(i["advocate"], c["check"], c["status"]) for i in api["items"] for c in i["checks"]]
    assert ROW.findall(browser.last) == expected
    assert ("advocate1", "supervision", "due") in expected  # 5 February is within 14 days
    assert '<th scope="col">Advocate</th>' in browser.last and "<caption>" in browser.last
    links = [i in browser.last for i in ids]
    assert links == ([True, True] if user == "manager1" else [False, False]), (
        "no case link for a commissioner"
    )


def test_the_status_filter_and_a_bad_choice(web, records):
    browser = web("manager1")
    assert browser.get("/supervision?status=overdue").status_code == 200
    assert ROW.findall(browser.last) == [] and "No supervision record with a check overdue" in browser.last
    assert browser.get("/supervision?status=late").status_code == 422
    assert 'role="alert"' in browser.last and 'aria-describedby="status-error"' in browser.last


@pytest.mark.parametrize("user", ["advocate1", "auditor1"])
def test_other_roles_may_not_see_the_calendar(web, records, user):
    browser = web(user)
    assert browser.get("/supervision").status_code == 403
    assert 'href="/supervision"' not in browser.get("/").get_data(as_text=True)
