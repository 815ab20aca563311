"""advocate_supervision over HTTP (issue 15): one instance driven through 36 months."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.flow import Flow
from tests.api.helpers import assert_problem

MANAGER = "manager1"
START = {
    "advocate": "advocate1",
    "appointed_on": "2026-01-05",
    "qualification_status": "working_towards",
    "update_service_subscribed": False,
    "dbs_issue_date": "2025-12-15",
}
SUPERVISION = {
    "supervision_date": "2026-02-05",
    "files_audited": 3,
    "audit_findings": "Records up to date.",
    "advocate_continues": True,
}
EXTRA = {
    "appraisal": {"appraisal_date": "2027-01-05", "appraisal_rating": "meets", "development_plan": "IMHA."},
    "qualification_check": {"qualification_achieved": True, "qualification_evidence": "Certificate seen."},
    "dbs_recheck": {"dbs_level": "enhanced_adults_barred_list", "dbs_certificate_number": "001234567890"}
    | {"dbs_issue_date": "2029-01-05", "dbs_disclosure": False, "barred": False},
    "update_service_check": {"update_service_checked_on": "2027-01-05", "update_service_status": "no_change"}
    | {"barred": False},
}


def month_due(n: int) -> datetime:
    year, month = divmod(n, 12)
    return datetime(2026 + year, 1 + month, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def flow(service, monkeypatch) -> Flow:
    return Flow(service, monkeypatch, "advocate_supervision")


@pytest.mark.parametrize("subscribed", [False, True])
def test_thirty_six_months_of_supervision_in_one_instance(flow, subscribed):
    iid = flow.start("advocate_supervision", {**START, "update_service_subscribed": subscribed}, MANAGER)[
        "id"
    ]
    seen: dict[str, list[int]] = {}
    for n in range(1, 37):
        [deadline] = flow.deadlines(iid)
        assert deadline["activity_id"] == "supervision_due_timer"
        assert datetime.fromisoformat(deadline["due_at"]) == month_due(n)
        flow.advance(month_due(n).replace(hour=8, minute=59), iid)
        assert flow.open_ids(iid) == []
        flow.advance(month_due(n), iid)
        assert flow.open_ids(iid) == ["supervision"]
        if n == 1:
            bad = {**SUPERVISION, "files_audited": -1}
            assert "files_audited" in flow.refused(iid, "supervision", bad, MANAGER)
        flow.complete(iid, "supervision", SUPERVISION, MANAGER)
        while open_now := flow.open_ids(iid):
            [extra] = open_now
            seen.setdefault(extra, []).append(n)
            flow.complete(iid, extra, EXTRA[extra], MANAGER)
        state = flow.instance(iid)
        assert state["status"] == "waiting" and state["variables"]["month"] == n
    assert seen["appraisal"] == [12, 24, 36]
    assert seen["qualification_check"] == [12]
    if subscribed:
        assert seen["update_service_check"] == [12, 24, 36] and "dbs_recheck" not in seen
    else:
        assert seen["dbs_recheck"] == [36] and "update_service_check" not in seen
    assert [i["id"] for i in flow.instances_of("advocate_supervision")] == [iid]
    variables = flow.instance(iid)["variables"]
    assert variables["qualification_achieved"] is True
    assert variables["next_supervision_due"].startswith("2029-02-05")
    assert variables["next_appraisal_due"].startswith("2030-01-05")


def test_barred_at_the_recheck_removes_the_advocate_from_practice(flow):
    iid = flow.start("advocate_supervision", {**START, "qualification_status": "held"}, MANAGER)["id"]
    for n in range(1, 37):
        flow.advance(month_due(n), iid)
        flow.complete(iid, "supervision", SUPERVISION, MANAGER)
        for extra in flow.open_ids(iid):
            if extra != "dbs_recheck":
                flow.complete(iid, extra, EXTRA[extra], MANAGER)
    assert flow.open_ids(iid) == ["dbs_recheck"]
    flow.complete(iid, "dbs_recheck", {**EXTRA["dbs_recheck"], "barred": True}, MANAGER)
    flow.ended(iid, "removed_from_practice")


# -- the supervision calendar: GET /reports/supervision ------------------------------------------------


def _calendar(flow: Flow, user: str, query: str = "") -> dict:
    r = flow.s.get(f"/reports/supervision{query}", user)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_calendar_lists_each_advocate_with_what_is_due_or_overdue(flow):
    first = flow.start("advocate_supervision", START, MANAGER)["id"]
    second = flow.start(
        "advocate_supervision", {**START, "advocate": "advocate2", "update_service_subscribed": True}, MANAGER
    )["id"]
    flow.now = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    [a, b] = sorted(_calendar(flow, MANAGER)["items"], key=lambda i: i["advocate"])
    assert (a["advocate"], a["instance_id"], b["instance_id"]) == ("advocate1", first, second)
    assert [(c["check"], c["due_at"][:10], c["status"]) for c in a["checks"]] == [
        ("supervision", "2026-02-05", "scheduled"),
        ("appraisal", "2027-01-05", "scheduled"),
        ("qualification_check", "2027-01-05", "scheduled"),
        ("dbs_recheck", "2029-01-05", "scheduled"),
    ]
    assert (
        b["checks"][-1]["check"] == "update_service_check" and b["checks"][-1]["due_at"][:10] == "2027-01-05"
    )
    flow.now = datetime(2026, 1, 25, 9, 0, tzinfo=UTC)  # within 14 days of the first supervision
    assert {i["advocate"]: i["due"] for i in _calendar(flow, MANAGER)["items"]} == {
        "advocate1": True,
        "advocate2": True,
    }
    # month 12 opens: supervision, appraisal and the checks of the year are pending; a week later overdue
    for n in range(1, 12):
        flow.advance(month_due(n))
        for iid in (first, second):
            flow.complete(iid, "supervision", SUPERVISION, MANAGER)
    flow.advance(month_due(12))
    flow.complete(first, "supervision", SUPERVISION, MANAGER)
    flow.now = month_due(12) + timedelta(days=8)
    items = {i["advocate"]: i for i in _calendar(flow, MANAGER)["items"]}
    pending = {c["check"]: c["status"] for c in items["advocate1"]["checks"] if c["pending"]}
    assert pending == {"appraisal": "overdue", "qualification_check": "overdue"}
    assert [c["status"] for c in items["advocate2"]["checks"] if c["pending"]] == ["overdue"] * 4
    overdue = _calendar(flow, MANAGER, "?status=overdue")["items"]
    assert len(overdue) == 2 and items["advocate1"]["overdue"] is True
    flow.complete(first, "appraisal", EXTRA["appraisal"], MANAGER)
    flow.complete(first, "qualification_check", EXTRA["qualification_check"], MANAGER)
    again = {i["advocate"]: i for i in _calendar(flow, MANAGER)["items"]}["advocate1"]
    assert again["overdue"] is False and "qualification_check" not in [c["check"] for c in again["checks"]]
    assert [c["due_at"][:10] for c in again["checks"]] == ["2027-02-05", "2028-01-05", "2029-01-05"]


def test_the_commissioner_sees_advocates_and_dates_only(flow):
    iid = flow.start("advocate_supervision", START, MANAGER)["id"]
    flow.advance(month_due(1))
    body = _calendar(flow, "commissioner1")
    [item] = body["items"]
    assert set(item) == {"advocate", "appointed_on", "month", "checks", "overdue", "due"}
    assert iid not in json.dumps(body) and "audit_findings" not in json.dumps(body)
    assert set(item["checks"][0]) == {"check", "due_at", "status", "pending"}


@pytest.mark.parametrize("user", ["advocate1", "auditor1", "admin1"])
def test_the_calendar_is_for_managers_and_commissioners(flow, user):
    assert_problem(flow.s.get("/reports/supervision", user), 403)


@pytest.mark.parametrize("query", ["?status=late", "?grace_days=-1", "?soon_days=x"])
def test_the_calendar_refuses_a_bad_query_naming_the_field(flow, query):
    body = assert_problem(flow.s.get(f"/reports/supervision{query}", MANAGER), 422)
    assert query[1:].split("=")[0] in json.dumps(body)
