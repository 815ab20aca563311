"""Scenario tests for `referral_casework` (bpmn/referral_casework.bpmn): every path.

Written against the Driver contract (DRIVER_CONTRACT.md) only.  Invariants: a
not-eligible referral always ends `not_eligible` after Signpost; a case is
closed only after a manager approves closure; a missed response target starts
an escalation and never stops the case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.scenarios.driver import Driver, FormInvalid

PROCESS = "referral_casework"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday
MANAGER, ADVOCATE = "manager1", "advocate1"

REFERRAL = {
    "person_ref": "ADV-2026-0001",
    "referral_source": "social_worker",
    "advocacy_type": "care_act",
    "urgency": "standard",
}
CARE_ACT = {
    "difficulty_understanding": True,
    "difficulty_retaining": False,
    "difficulty_weighing": False,
    "difficulty_communicating": False,
    "appropriate_individual_available": False,
}
ALLOCATION = {"advocate": ADVOCATE, "instruction": "instructed"}
FIRST_CONTACT = {"first_contact_at": "2026-01-05T15:00:00+00:00", "contact_method": "phone"}
WORK_DONE = {
    "work_date": "2026-01-08",
    "issues_raised": "Wants a say in the move to supported living.",
    "actions_taken": "Attended the care review and put the person's wishes.",
    "meetings_attended": 1,
    "more_work_needed": False,
}
MORE_WORK = {**WORK_DONE, "more_work_needed": True}
OUTCOMES = {
    "outcome_informed": "yes",
    "outcome_involved": "yes",
    "outcome_negotiated": "partly",
    "outcome_personal_achieved": "partly",
    "outcome_empowered": "no",
    "voice_heard": True,
    "outcome_story": "They chose the new home themselves.",
    "story_shareable": True,
}
APPROVE = {"closure_decision": "approve"}
RETURN = {"closure_decision": "return", "return_reason": "The outcome story needs the person's own words."}
ESCALATION_KEYS = {
    "sla_key",
    "source_instance_id",
    "milestone",
    "due_at",
    "breached_at",
    "breaches_this_quarter",
    "breach_threshold",
}


def open_ids(driver: Driver, iid: str) -> list[str]:
    return sorted(t["activity_id"] for t in driver.tasks(iid))


def refused(call: Callable[..., Any], *args: Any) -> dict[str, list[str]]:
    with pytest.raises(FormInvalid) as caught:
        call(*args)
    return caught.value.errors


def in_order(history: list[str], expected: list[str]) -> bool:
    """``expected`` occurs in ``history`` as a subsequence."""
    remaining = iter(history)
    return all(kind in remaining for kind in expected)


def start(driver: Driver, **overrides: Any) -> str:
    return driver.start(PROCESS, {**REFERRAL, **overrides}, business_key=overrides.get("person_ref"))


def to_allocation(driver: Driver, **overrides: Any) -> str:
    iid = start(driver, **overrides)
    answers = {"advocacy_type": overrides.get("advocacy_type", "care_act"), **CARE_ACT}
    driver.complete(iid, "assess_eligibility", answers, MANAGER)
    assert open_ids(driver, iid) == ["allocate_advocate"]
    return iid


def to_work(driver: Driver, **overrides: Any) -> str:
    iid = to_allocation(driver, **overrides)
    driver.complete(iid, "allocate_advocate", ALLOCATION, MANAGER)
    driver.complete(iid, "first_contact", FIRST_CONTACT, ADVOCATE)
    assert open_ids(driver, iid) == ["advocacy_work"]
    return iid


def close(driver: Driver, iid: str) -> None:
    driver.complete(iid, "advocacy_work", WORK_DONE, ADVOCATE)
    driver.complete(iid, "record_outcomes", OUTCOMES, ADVOCATE)
    assert driver.instance(iid)["status"] == "running", "a case is not closed before closure review"
    driver.complete(iid, "closure_review", APPROVE, MANAGER)
    assert driver.instance(iid)["status"] == "completed"
    assert driver.instance(iid)["end_state"] == "closed"


# -- eligibility: every rule of the table is driven in test_referral_casework_eligibility.py --------

NO_DIFF = dict.fromkeys(CARE_ACT, False)


def test_the_manager_may_correct_the_kind_of_advocacy_when_assessing(driver: Driver) -> None:
    iid = start(driver, advocacy_type="care_act")
    driver.complete(iid, "assess_eligibility", {"advocacy_type": "imha", "mha_status": "detained"}, MANAGER)
    assert driver.instance(iid)["variables"]["advocacy_type"] == "imha"
    assert open_ids(driver, iid) == ["allocate_advocate"]


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        (
            {"advocacy_type": "care_act", **NO_DIFF, "appropriate_individual_available": True},
            "appropriate_individual_not_wanted",
        ),
        (
            {"advocacy_type": "ipa_wales", "difficulty_understanding": True},
            "appropriate_individual_available",
        ),
        ({"advocacy_type": "imca"}, "lacks_capacity"),
        ({"advocacy_type": "imca", "lacks_capacity": True}, "imca_decision"),
        (
            {"advocacy_type": "imca", "lacks_capacity": True, "imca_decision": "care_review"},
            "anyone_appropriate_to_consult",
        ),
        ({"advocacy_type": "imha"}, "mha_status"),
        ({"advocacy_type": "generic"}, "meets_service_criteria"),
        ({"advocacy_type": "citizen", "meets_service_criteria": True}, "advocacy_type"),
        ({**CARE_ACT}, "advocacy_type"),
        ({"advocacy_type": "imha", "mha_status": True}, "mha_status"),
        ({"advocacy_type": "imha", "mha_status": "detained", "eligible": True}, "eligible"),
    ],
)
def test_assessment_asks_every_question_of_the_duty(driver: Driver, answers: dict, field: str) -> None:
    iid = start(driver)
    before = driver.history_types(iid)
    assert field in refused(driver.complete, iid, "assess_eligibility", answers, MANAGER)
    assert open_ids(driver, iid) == ["assess_eligibility"] and driver.history_types(iid) == before


def test_signpost_somewhere_else_needs_details(driver: Driver) -> None:
    iid = start(driver, advocacy_type="imha")
    answers = {"advocacy_type": "imha", "mha_status": "none"}
    driver.complete(iid, "assess_eligibility", answers, MANAGER)
    other = {"signposted_to": "other"}
    assert "signpost_details" in refused(driver.complete, iid, "signpost", other, MANAGER)
    assert "signposted_to" in refused(driver.complete, iid, "signpost", {"signposted_to": "nowhere"}, MANAGER)
    driver.complete(iid, "signpost", {**other, "signpost_details": "Carers' centre"}, MANAGER)
    assert driver.instance(iid)["end_state"] == "not_eligible"
    assert driver.instance(iid)["variables"]["signpost_details"] == "Carers' centre"


# -- the main path, its roles and deadlines -----------------------------------------------


def test_referral_to_closure_in_time(driver: Driver) -> None:
    iid = start(driver)
    assert driver.task(iid, "assess_eligibility")["role"] == "manager"
    driver.complete(iid, "assess_eligibility", {"advocacy_type": "care_act", **CARE_ACT}, MANAGER)
    [allocation] = driver.deadlines(iid)
    assert (allocation["activity_id"], allocation["kind"]) == ("allocation_sla", "sla")
    assert allocation["due_at"] == T0 + timedelta(days=1)
    driver.complete(iid, "allocate_advocate", {**ALLOCATION, "advocate": "advocate2"}, MANAGER)
    first = driver.task(iid, "first_contact")
    assert (first["role"], first["assignee"]) == ("advocate", "advocate2")
    [deadline] = driver.deadlines(iid)
    assert (deadline["activity_id"], deadline["kind"]) == ("first_contact_sla", "sla")
    assert deadline["due_at"] == T0 + timedelta(days=2)
    driver.complete(iid, "first_contact", FIRST_CONTACT, "advocate2")
    assert driver.deadlines(iid) == []
    for activity, data in (("advocacy_work", WORK_DONE), ("record_outcomes", OUTCOMES)):
        assert driver.task(iid, activity)["assignee"] == "advocate2"
        driver.complete(iid, activity, data, "advocate2")
    assert driver.task(iid, "closure_review")["role"] == "manager"
    driver.complete(iid, "closure_review", APPROVE, MANAGER)
    state = driver.instance(iid)
    assert (state["status"], state["end_state"]) == ("completed", "closed")
    assert state["variables"]["voice_heard"] is True and state["variables"]["instruction"] == "instructed"
    assert driver.history_types(iid) == ["instance_started"] + ["task_ready", "task_completed"] * 6 + [
        "instance_completed"
    ]
    driver.advance_clock(T0 + timedelta(days=30))
    assert driver.instances("sla_escalation") == []


def test_received_at_defaults_to_now_and_targets_count_from_it(driver: Driver) -> None:
    iid = to_allocation(driver)
    assert datetime.fromisoformat(driver.instance(iid)["variables"]["received_at"]) == T0
    other = to_allocation(driver, person_ref="ADV-2026-0002", received_at="2026-01-05T08:00:00+00:00")
    assert driver.deadlines(other)[0]["due_at"] == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)


def test_urgent_referral_has_a_four_hour_first_contact_target(driver: Driver) -> None:
    iid = to_allocation(driver, urgency="urgent")
    driver.complete(iid, "allocate_advocate", ALLOCATION, MANAGER)
    assert [d["due_at"] for d in driver.deadlines(iid)] == [T0 + timedelta(hours=4)]


@pytest.mark.parametrize("rounds", [1, 2, 5])
def test_advocacy_work_repeats_while_more_work_is_needed(driver: Driver, rounds: int) -> None:
    iid = to_work(driver)
    for round_number in range(1, rounds):
        driver.complete(iid, "advocacy_work", {**MORE_WORK, "meetings_attended": round_number}, ADVOCATE)
        assert open_ids(driver, iid) == ["advocacy_work"]
        assert driver.task(iid, "advocacy_work")["assignee"] == ADVOCATE
    close(driver, iid)
    assert driver.history_types(iid).count("task_completed") == 5 + rounds
    assert driver.instance(iid)["variables"]["more_work_needed"] is False


def test_closure_returned_then_approved(driver: Driver) -> None:
    iid = to_work(driver)
    driver.complete(iid, "advocacy_work", WORK_DONE, ADVOCATE)
    driver.complete(iid, "record_outcomes", OUTCOMES, ADVOCATE)
    assert "return_reason" in refused(
        driver.complete, iid, "closure_review", {"closure_decision": "return"}, MANAGER
    )
    driver.complete(iid, "closure_review", RETURN, MANAGER)
    assert open_ids(driver, iid) == ["advocacy_work"] and driver.instance(iid)["status"] == "running"
    assert driver.task(iid, "advocacy_work")["assignee"] == ADVOCATE
    assert driver.instance(iid)["variables"]["return_reason"] == RETURN["return_reason"]
    driver.complete(iid, "advocacy_work", MORE_WORK, ADVOCATE)
    driver.complete(iid, "advocacy_work", WORK_DONE, ADVOCATE)
    driver.complete(iid, "record_outcomes", OUTCOMES, ADVOCATE)
    driver.complete(iid, "closure_review", RETURN, MANAGER)
    close(driver, iid)
    assert driver.history_types(iid).count("task_completed") == 13


# -- response-time targets: breached or met, the case goes on -----------------------------


def test_allocation_target_met_no_escalation(driver: Driver) -> None:
    iid = to_allocation(driver)
    driver.advance_clock(T0 + timedelta(hours=23))
    driver.complete(iid, "allocate_advocate", ALLOCATION, MANAGER)
    driver.advance_clock(T0 + timedelta(days=1, hours=1))
    assert [d["activity_id"] for d in driver.deadlines(iid)] == ["first_contact_sla"]
    assert "timer_fired" not in driver.history_types(iid) and driver.instances("sla_escalation") == []


def test_missed_allocation_target_escalates_and_allocation_goes_on(driver: Driver) -> None:
    iid = to_allocation(driver)
    driver.advance_clock(T0 + timedelta(days=1, hours=2))
    assert open_ids(driver, iid) == ["allocate_advocate"] and driver.instance(iid)["status"] == "running"
    assert in_order(driver.history_types(iid), ["timer_fired", "deadline_breached", "escalation_started"])
    [escalation] = driver.instances("sla_escalation")
    variables = driver.instance(escalation)["variables"]
    assert set(variables) >= ESCALATION_KEYS
    assert (variables["milestone"], variables["source_instance_id"]) == ("allocation", iid)
    assert datetime.fromisoformat(variables["due_at"]) == T0 + timedelta(days=1)
    driver.complete(iid, "allocate_advocate", ALLOCATION, MANAGER)
    driver.complete(iid, "first_contact", FIRST_CONTACT, ADVOCATE)
    close(driver, iid)
    assert driver.history_types(iid).count("escalation_started") == 1


def test_first_contact_in_time_no_escalation(driver: Driver) -> None:
    iid = to_allocation(driver)
    driver.complete(iid, "allocate_advocate", ALLOCATION, MANAGER)
    driver.advance_clock(T0 + timedelta(days=1, hours=23))
    driver.complete(iid, "first_contact", FIRST_CONTACT, ADVOCATE)
    driver.advance_clock(T0 + timedelta(days=10))
    assert driver.deadlines(iid) == [] and driver.instances("sla_escalation") == []
    close(driver, iid)


def test_missed_first_contact_escalates_and_never_stops_the_case(driver: Driver) -> None:
    iid = to_allocation(driver)
    driver.complete(iid, "allocate_advocate", ALLOCATION, MANAGER)
    driver.advance_clock(T0 + timedelta(days=3))
    assert open_ids(driver, iid) == ["first_contact"] and driver.instance(iid)["status"] == "running"
    assert driver.deadlines(iid) == []
    [escalation] = driver.instances("sla_escalation")
    variables = driver.instance(escalation)["variables"]
    assert (variables["milestone"], variables["source_instance_id"]) == ("first_contact", iid)
    assert datetime.fromisoformat(variables["due_at"]) == T0 + timedelta(days=2)
    case_content = set(REFERRAL) | set(CARE_ACT) | set(ALLOCATION) | {"eligible", "eligibility_reason"}
    assert not case_content & set(variables), "an escalation never carries the person's case content"
    driver.complete(iid, "first_contact", FIRST_CONTACT, ADVOCATE)
    close(driver, iid)
    assert in_order(
        driver.history_types(iid),
        ["timer_fired", "deadline_breached", "escalation_started", "task_completed", "instance_completed"],
    )


def test_late_allocation_makes_first_contact_overdue_at_once(driver: Driver) -> None:
    iid = to_allocation(driver)
    driver.advance_clock(T0 + timedelta(days=3))
    driver.complete(iid, "allocate_advocate", ALLOCATION, MANAGER)
    milestones = [driver.instance(e)["variables"]["milestone"] for e in driver.instances("sla_escalation")]
    assert milestones == ["allocation", "first_contact"]
    assert open_ids(driver, iid) == ["first_contact"]
    driver.complete(iid, "first_contact", FIRST_CONTACT, ADVOCATE)
    close(driver, iid)


# -- forms refuse bad data and change nothing ---------------------------------------------

BAD_START = [
    ({**REFERRAL, "person_ref": "John Smith"}, "person_ref"),
    ({**REFERRAL, "person_ref": "Smith"}, "person_ref"),
    ({k: v for k, v in REFERRAL.items() if k != "urgency"}, "urgency"),
    ({**REFERRAL, "referral_source": "police"}, "referral_source"),
    ({**REFERRAL, "received_at": "next Tuesday"}, "received_at"),
    ({**REFERRAL, "received_at": "2026-01-05T09:00:00"}, "received_at"),
    ({**REFERRAL, "date_of_birth": "1950-01-01"}, "date_of_birth"),
    ({**REFERRAL, "sla_key": 7}, "sla_key"),
]


@pytest.mark.parametrize(("variables", "field"), BAD_START)
def test_start_form_refuses_bad_referrals(driver: Driver, variables: dict, field: str) -> None:
    assert field in refused(driver.start, PROCESS, variables)
    assert driver.instances(PROCESS) == []


BAD_DATA = [
    ("allocate_advocate", {"instruction": "instructed"}, "advocate"),
    ("allocate_advocate", {**ALLOCATION, "advocate": "Advocate One"}, "advocate"),
    ("allocate_advocate", {**ALLOCATION, "instruction": "best_interests"}, "instruction"),
    ("first_contact", {**FIRST_CONTACT, "first_contact_at": "2026-01-05"}, "first_contact_at"),
    ("first_contact", {**FIRST_CONTACT, "contact_method": "pigeon"}, "contact_method"),
    ("advocacy_work", {**WORK_DONE, "more_work_needed": "no"}, "more_work_needed"),
    ("advocacy_work", {**WORK_DONE, "meetings_attended": -1}, "meetings_attended"),
    ("advocacy_work", {**WORK_DONE, "work_date": "08/01/2026"}, "work_date"),
    ("record_outcomes", {**OUTCOMES, "outcome_empowered": "maybe"}, "outcome_empowered"),
    ("record_outcomes", {k: v for k, v in OUTCOMES.items() if k != "story_shareable"}, "story_shareable"),
    ("record_outcomes", {**OUTCOMES, "person_name": "Jo"}, "person_name"),
    ("closure_review", {"closure_decision": "close"}, "closure_decision"),
]
BEFORE = {
    "allocate_advocate": [],
    "first_contact": ["allocate_advocate"],
    "advocacy_work": ["allocate_advocate", "first_contact"],
    "record_outcomes": ["allocate_advocate", "first_contact", "advocacy_work"],
    "closure_review": ["allocate_advocate", "first_contact", "advocacy_work", "record_outcomes"],
}
DATA = {
    "allocate_advocate": ALLOCATION,
    "first_contact": FIRST_CONTACT,
    "advocacy_work": WORK_DONE,
    "record_outcomes": OUTCOMES,
}


@pytest.mark.parametrize(("activity", "data", "field"), BAD_DATA)
def test_task_forms_refuse_bad_data(driver: Driver, activity: str, data: dict, field: str) -> None:
    iid = to_allocation(driver)
    for step in BEFORE[activity]:
        driver.complete(iid, step, DATA[step], MANAGER if step == "allocate_advocate" else ADVOCATE)
    before = (driver.history_types(iid), driver.instance(iid)["variables"])
    actor = MANAGER if driver.task(iid, activity)["role"] == "manager" else ADVOCATE
    assert field in refused(driver.complete, iid, activity, data, actor)
    assert (driver.history_types(iid), driver.instance(iid)["variables"]) == before
    assert open_ids(driver, iid) == [activity]
