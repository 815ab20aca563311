"""Scenario tests for `advocate_supervision` (bpmn/advocate_supervision.bpmn), Process 6: every path.

Monthly 1:1 supervision with a case-file audit, the yearly appraisal, the 12-month qualification
check for an advocate working towards the qualification, and the DBS re-check every 3 years (or a
yearly Update Service status check).  One instance runs for years: three years of months are driven
here in a single instance.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.scenarios.driver import Driver, FormInvalid

PROCESS = "advocate_supervision"
MANAGER = "manager1"
START = {
    "advocate": "advocate1",
    "appointed_on": "2026-01-05",
    "qualification_status": "held",
    "update_service_subscribed": False,
    "dbs_issue_date": "2025-12-15",
}
SUPERVISION = {
    "supervision_date": "2026-02-05",
    "files_audited": 3,
    "audit_findings": "Records up to date.",
    "advocate_continues": True,
}
APPRAISAL = {"appraisal_date": "2027-01-05", "appraisal_rating": "meets", "development_plan": "IMHA module."}
DBS = {
    "dbs_level": "enhanced_adults_barred_list",
    "dbs_certificate_number": "001234567890",
    "dbs_issue_date": "2029-01-05",
    "dbs_disclosure": False,
    "barred": False,
}
UPDATE = {"update_service_checked_on": "2027-01-05", "update_service_status": "no_change", "barred": False}


def open_ids(driver: Driver, iid: str) -> list[str]:
    return sorted(t["activity_id"] for t in driver.tasks(iid))


def month_due(n: int) -> datetime:
    year, month = divmod(n, 12)
    return datetime(2026 + year, 1 + month, 5, 9, 0, tzinfo=UTC)


def next_month(driver: Driver, iid: str, n: int) -> list[str]:
    """Wait for month n's supervision: not a minute early, then open at its date."""
    [deadline] = driver.deadlines(iid)
    assert (deadline["activity_id"], deadline["due_at"]) == ("supervision_due_timer", month_due(n))
    driver.advance_clock(month_due(n).replace(hour=8, minute=59))
    assert driver.tasks(iid) == []
    driver.advance_clock(month_due(n))
    assert driver.instance(iid)["variables"]["month"] == n
    return open_ids(driver, iid)


def start(driver: Driver, **changes) -> str:
    iid = driver.start(PROCESS, {**START, **changes}, business_key="ADV-SUP-1", actor=MANAGER)
    assert driver.instance(iid)["status"] == "waiting" and driver.tasks(iid) == []
    return iid


@pytest.mark.parametrize("subscribed", [False, True])
def test_three_years_of_months_in_one_instance(driver: Driver, subscribed: bool) -> None:
    iid = start(driver, update_service_subscribed=subscribed)
    seen: dict[str, list[int]] = {}
    for n in range(1, 37):
        assert next_month(driver, iid, n) == ["supervision"]
        task = driver.task(iid, "supervision")
        assert task["role"] == "manager"
        driver.complete(iid, "supervision", SUPERVISION, MANAGER)
        for extra in open_ids(driver, iid):
            seen.setdefault(extra, []).append(n)
            data = {"appraisal": APPRAISAL, "dbs_recheck": DBS, "update_service_check": UPDATE}[extra]
            driver.complete(iid, extra, data, MANAGER)
            if extra == "appraisal" and open_ids(driver, iid):
                [after] = open_ids(driver, iid)
                seen.setdefault(after, []).append(n)
                driver.complete(
                    iid, after, {"dbs_recheck": DBS, "update_service_check": UPDATE}[after], MANAGER
                )
        assert driver.instance(iid)["status"] == "waiting"
    assert seen["appraisal"] == [12, 24, 36]
    if subscribed:
        assert seen["update_service_check"] == [12, 24, 36] and "dbs_recheck" not in seen
    else:
        assert seen["dbs_recheck"] == [36] and "update_service_check" not in seen
    assert "qualification_check" not in seen, "the advocate held the qualification"
    assert driver.instances(PROCESS) == [iid], "one instance for the three years"
    variables = driver.instance(iid)["variables"]
    assert variables["next_supervision_due"].startswith("2029-02-05")
    assert variables["next_appraisal_due"].startswith("2030-01-05")


def walk_to_month(driver: Driver, iid: str, last: int) -> None:
    for n in range(1, last):
        next_month(driver, iid, n)
        driver.complete(iid, "supervision", SUPERVISION, MANAGER)
    next_month(driver, iid, last)


@pytest.mark.parametrize("achieved", [True, False])
def test_working_towards_gets_the_qualification_check_at_twelve_months(
    driver: Driver, achieved: bool
) -> None:
    iid = start(driver, qualification_status="working_towards")
    walk_to_month(driver, iid, 12)
    driver.complete(iid, "supervision", SUPERVISION, MANAGER)
    driver.complete(iid, "appraisal", APPRAISAL, MANAGER)
    assert open_ids(driver, iid) == ["qualification_check"]
    if not achieved:
        with pytest.raises(FormInvalid) as caught:
            driver.complete(iid, "qualification_check", {"qualification_achieved": False}, MANAGER)
        assert "qualification_action" in caught.value.errors
    data = {"qualification_achieved": achieved}
    if not achieved:
        data["qualification_action"] = "Three-month extension agreed."
    driver.complete(iid, "qualification_check", data, MANAGER)
    assert driver.instance(iid)["status"] == "waiting"
    assert driver.instance(iid)["variables"]["qualification_achieved"] is achieved


def test_an_advocate_who_leaves_ends_the_record(driver: Driver) -> None:
    iid = start(driver)
    walk_to_month(driver, iid, 2)
    driver.complete(iid, "supervision", {**SUPERVISION, "advocate_continues": False}, MANAGER)
    state = driver.instance(iid)
    assert (state["status"], state["end_state"]) == ("completed", "left_service")
    assert driver.deadlines(iid) == []


@pytest.mark.parametrize(
    ("subscribed", "check", "data"), [(True, "update_service_check", UPDATE), (False, "dbs_recheck", DBS)]
)
def test_barred_at_a_recheck_removes_the_advocate_from_practice(driver, subscribed, check, data) -> None:
    iid = start(driver, update_service_subscribed=subscribed)
    last = 12 if subscribed else 36
    for n in range(1, last):
        next_month(driver, iid, n)
        driver.complete(iid, "supervision", SUPERVISION, MANAGER)
        for extra in open_ids(driver, iid):
            driver.complete(iid, extra, {"appraisal": APPRAISAL}[extra], MANAGER)
    next_month(driver, iid, last)
    driver.complete(iid, "supervision", SUPERVISION, MANAGER)
    driver.complete(iid, "appraisal", APPRAISAL, MANAGER)
    assert open_ids(driver, iid) == [check]
    with pytest.raises(FormInvalid):
        driver.complete(iid, check, {k: v for k, v in data.items() if k != "barred"}, MANAGER)
    driver.complete(iid, check, {**data, "barred": True}, MANAGER)
    state = driver.instance(iid)
    assert (state["status"], state["end_state"]) == ("completed", "removed_from_practice")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"files_audited": -1}, "files_audited"),
        ({"advocate_continues": "yes"}, "advocate_continues"),
        ({"audit_findings": ""}, "audit_findings"),
        ({"person_ref": "ADV-1"}, "person_ref"),
    ],
)
def test_the_supervision_form_refuses_bad_data_and_changes_nothing(driver: Driver, changes, field) -> None:
    iid = start(driver)
    next_month(driver, iid, 1)
    before = driver.history_types(iid)
    with pytest.raises(FormInvalid) as caught:
        driver.complete(iid, "supervision", {**SUPERVISION, **changes}, MANAGER)
    assert field in caught.value.errors
    assert driver.history_types(iid) == before and open_ids(driver, iid) == ["supervision"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"advocate": "Jane Smith"}, "advocate"), ({"qualification_status": "not_met"}, "qualification_status")],
)
def test_the_start_form_refuses_bad_data(driver: Driver, changes, field) -> None:
    with pytest.raises(FormInvalid) as caught:
        driver.start(PROCESS, {**START, **changes}, actor=MANAGER)
    assert field in caught.value.errors
    assert driver.instances(PROCESS) == []
