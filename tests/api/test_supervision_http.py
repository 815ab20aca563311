"""advocate_supervision over HTTP (issue 15): one instance driven through 36 months."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.api.flow import Flow

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
