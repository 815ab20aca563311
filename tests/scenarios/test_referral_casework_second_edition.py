"""Scenario tests for the second edition's new paths of `referral_casework` (DOMAIN.md "Casework additions").

Referred back to the authority; equality and communication monitoring; a safeguarding concern at any
time (its decision deadline, its breach, the case going on); ending early; non-instructed outcomes;
Welsh-medium allocation.  Each path through the real engine, on SQLite and PostgreSQL; bad data is
refused with the field named and the stored state unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.access import auth
from service.access.permissions import Actor
from service.base.problems import Conflict, Forbidden, NotFound
from service.cases import casework_actions, casework_rules
from tests.scenarios.driver import Driver, FormInvalid

PROCESS = "referral_casework"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # Monday
MANAGER, ADVOCATE, WELSH_ADVOCATE = "manager1", "advocate1", "advocate2"
REF = "ADV-2026-0201"
REFERRAL = {
    "person_ref": REF,
    "referral_source": "social_worker",
    "advocacy_type": "care_act",
    "urgency": "standard",
}
ELIGIBLE = {
    "advocacy_type": "care_act",
    "difficulty_understanding": True,
    "difficulty_retaining": False,
    "difficulty_weighing": False,
    "difficulty_communicating": False,
    "appropriate_individual_available": False,
}
NOT_ELIGIBLE = {**ELIGIBLE, "difficulty_understanding": False}
ALLOCATION = {"advocate": ADVOCATE, "instruction": "instructed"}
FIRST_CONTACT = {"first_contact_at": "2026-01-05T15:00:00+00:00", "contact_method": "phone"}
WORK_DONE = {"work_date": "2026-01-08", "actions_taken": "Went to the review.", "more_work_needed": False}
OUTCOMES = {
    "outcome_informed": "yes",
    "outcome_involved": "yes",
    "outcome_negotiated": "partly",
    "outcome_personal_achieved": "partly",
    "outcome_empowered": "no",
    "outcome_story": "They were heard at the review.",
    "story_shareable": False,
}
DECISION = {
    "safeguarding_referred": True,
    "safeguarding_reference": "SG-2026-17",
    "safeguarding_advocate_role": "support_enquiry",
}
MONITORING = {
    "age_band": "75_84",
    "sex": "prefer_not_to_say",
    "ethnicity": "white",
    "disability": "yes",
    "primary_need": "dementia",
    "carer": "no",
    "preferred_language": "cy",
    "welsh_medium_requested": True,
    "communication_needs": ["large_print", "hearing_loop"],
}


def open_ids(driver: Driver, iid: str) -> list[str]:
    return sorted(t["activity_id"] for t in driver.tasks(iid))


def refused(call, *args) -> dict[str, list[str]]:
    with pytest.raises(FormInvalid) as caught:
        call(*args)
    return caught.value.errors


def state(driver: Driver, iid: str) -> tuple:
    return (
        driver.history_types(iid),
        driver.instance(iid)["variables"],
        open_ids(driver, iid),
        driver.deadlines(iid),
    )


def start(driver: Driver, **more: Any) -> str:
    return driver.start(PROCESS, {**REFERRAL, **more}, business_key=REF)


def to_open_case(driver: Driver, **more: Any) -> str:
    iid = start(driver, **more)
    driver.complete(iid, "assess_eligibility", ELIGIBLE, MANAGER)
    return iid


def to_work(driver: Driver, allocation: dict | None = None, **more: Any) -> str:
    iid = to_open_case(driver, **more)
    allocation = allocation or ALLOCATION
    driver.complete(iid, "allocate_advocate", allocation, MANAGER)
    driver.complete(iid, "first_contact", FIRST_CONTACT, allocation["advocate"])
    assert open_ids(driver, iid) == ["advocacy_work"]
    return iid


def as_actor(driver: Driver, username: str, role: str, use_case, *args):
    return driver.db.run(use_case, Actor(username, role), *args, driver.now)


@pytest.fixture
def welsh(driver: Driver) -> Driver:
    """advocate2 speaks Welsh; advocate1 English only."""
    driver.db.run(auth.set_languages, WELSH_ADVOCATE, ["en", "cy"])
    driver.db.run(auth.set_languages, ADVOCATE, ["en"])
    return driver


# -- referred back to the authority ---------------------------------------------------------------


def test_not_eligible_after_the_authority_instructed_goes_back_to_it(driver: Driver) -> None:
    iid = start(driver, authority_instructed=True)
    driver.complete(iid, "assess_eligibility", NOT_ELIGIBLE, MANAGER)
    assert open_ids(driver, iid) == ["refer_back_to_authority"], "never signposting"
    assert driver.task(iid, "refer_back_to_authority")["role"] == "manager"
    back = {"referred_back_on": "2026-01-06", "referred_back_to": "Adult social care, North team"}
    assert "referral_back_reason" in refused(driver.complete, iid, "refer_back_to_authority", back, MANAGER)
    driver.complete(
        iid,
        "refer_back_to_authority",
        {**back, "referral_back_reason": "No substantial difficulty."},
        MANAGER,
    )
    assert (driver.instance(iid)["status"], driver.instance(iid)["end_state"]) == (
        "completed",
        "referred_back",
    )


def test_not_instructed_by_the_authority_is_signposted(driver: Driver) -> None:
    iid = start(driver)
    assert driver.instance(iid)["variables"]["authority_instructed"] is False, "the start form's default"
    driver.complete(iid, "assess_eligibility", NOT_ELIGIBLE, MANAGER)
    assert open_ids(driver, iid) == ["signpost"]


def test_eligible_after_the_authority_instructed_is_an_open_case(driver: Driver) -> None:
    iid = start(driver, authority_instructed=True)
    driver.complete(iid, "assess_eligibility", ELIGIBLE, MANAGER)
    assert open_ids(driver, iid) == ["allocate_advocate"]


# -- the start form: monitoring, and the eligibility answers of the duty only ----------------------


def test_monitoring_is_recorded_and_every_field_is_optional(driver: Driver) -> None:
    iid = start(driver, **MONITORING, statutory_process="care_review", setting="community")
    variables = driver.instance(iid)["variables"]
    assert {k: variables[k] for k in MONITORING} == MONITORING
    other = driver.start(PROCESS, {**REFERRAL, "person_ref": "ADV-2026-0202"})
    assert not set(MONITORING) & set(driver.instance(other)["variables"])


@pytest.mark.parametrize(
    "field", ["age_band", "sex", "ethnicity", "disability", "primary_need", "carer", "preferred_language"]
)
def test_every_monitoring_field_takes_prefer_not_to_say(driver: Driver, field: str) -> None:
    iid = start(driver, **{field: "prefer_not_to_say"})
    assert driver.instance(iid)["variables"][field] == "prefer_not_to_say"


@pytest.mark.parametrize(
    ("more", "field"),
    [
        ({"age_band": "80"}, "age_band"),
        ({"sex": "f"}, "sex"),
        ({"ethnicity": "british"}, "ethnicity"),
        ({"communication_needs": ["braille"]}, "communication_needs.0"),
        ({"communication_needs": "bsl"}, "communication_needs"),
        ({"welsh_medium_requested": "yes"}, "welsh_medium_requested"),
        ({"authority_instructed": "true"}, "authority_instructed"),
        ({"mha_status": "detained"}, "mha_status"),  # an IMHA question on a Care Act referral
        ({"lacks_capacity": True}, "lacks_capacity"),
        ({"nhs_placement_likely": True}, "appropriate_individual_available"),  # only with an individual
        ({"advocacy_type": "imca", "anyone_appropriate_to_consult": False}, "lacks_capacity"),
        ({"advocacy_type": "imha", "other_advocacy_available": False}, "other_advocacy_available"),
        ({"statutory_process": "tribunal"}, "statutory_process"),
    ],
)
def test_start_form_refuses_bad_monitoring_and_other_duties_questions(
    driver: Driver, more: dict, field: str
) -> None:
    assert field in refused(driver.start, PROCESS, {**REFERRAL, **more})
    assert driver.instances(PROCESS) == []


def test_start_form_takes_the_eligibility_answers_of_its_duty(driver: Driver) -> None:
    answers = {"appropriate_individual_available": True, "nhs_placement_likely": True, "setting": "hospital"}
    iid = start(driver, **answers)
    assert {k: driver.instance(iid)["variables"][k] for k in answers} == answers
    imca = driver.start(
        PROCESS,
        {
            **REFERRAL,
            "person_ref": "ADV-2026-0203",
            "advocacy_type": "imca",
            "lacks_capacity": True,
            "imca_decision": "safeguarding",
        },
    )
    assert driver.instance(imca)["variables"]["imca_decision"] == "safeguarding"


# -- safeguarding at any time ------------------------------------------------------------------------


def test_a_concern_mid_case_opens_a_decision_with_a_deadline_and_the_case_goes_on(driver: Driver) -> None:
    iid = to_work(driver)
    driver.now = T0 + timedelta(days=4, hours=6)  # Friday 15:00: one working day is Monday 15:00
    assert driver.send_message("safeguarding_concern", REF, {}) == [iid]
    assert open_ids(driver, iid) == ["advocacy_work", "safeguarding_decision"]
    assert driver.task(iid, "safeguarding_decision")["role"] == "manager"
    [deadline] = [d for d in driver.deadlines(iid) if d["milestone"] == "safeguarding_decision"]
    assert (deadline["activity_id"], deadline["kind"]) == ("safeguarding_decision_sla", "sla")
    assert deadline["due_at"] == datetime(2026, 1, 12, 15, 0, tzinfo=UTC)
    driver.complete(
        iid, "advocacy_work", {**WORK_DONE, "more_work_needed": True}, ADVOCATE
    )  # the case goes on
    driver.complete(iid, "safeguarding_decision", DECISION, MANAGER)
    variables = driver.instance(iid)["variables"]
    assert {k: variables[k] for k in DECISION} == DECISION
    assert variables["more_work_needed"] is True, "the decision does not roll back the case's own variables"
    assert open_ids(driver, iid) == ["advocacy_work"] and driver.instance(iid)["status"] == "running"
    assert [d for d in driver.deadlines(iid) if d["milestone"] == "safeguarding_decision"] == []
    driver.advance_clock(T0 + timedelta(days=30))
    assert driver.instances("sla_escalation") == []


def test_a_late_decision_escalates_and_is_still_asked_for(driver: Driver) -> None:
    iid = to_work(driver)
    driver.send_message("safeguarding_concern", REF, {})
    driver.advance_clock(T0 + timedelta(days=2))
    [escalation] = driver.instances("sla_escalation")
    breach = driver.instance(escalation)["variables"]
    assert (breach["milestone"], breach["source_instance_id"]) == ("safeguarding_decision", iid)
    assert datetime.fromisoformat(breach["due_at"]) == T0 + timedelta(days=1)
    assert not set(DECISION) & set(breach), "the escalation carries no case content"
    assert open_ids(driver, iid) == ["advocacy_work", "safeguarding_decision"]
    driver.complete(
        iid,
        "safeguarding_decision",
        {**DECISION, "safeguarding_referred": False, "safeguarding_advocate_role": "none"},
        MANAGER,
    )
    assert driver.instance(iid)["variables"]["safeguarding_referred"] is False


def test_concerns_at_assessment_and_twice_in_one_case(driver: Driver) -> None:
    iid = start(driver)
    driver.send_message("safeguarding_concern", REF, {})
    assert open_ids(driver, iid) == ["assess_eligibility", "safeguarding_decision"]
    driver.complete(iid, "assess_eligibility", ELIGIBLE, MANAGER)
    driver.send_message("safeguarding_concern", REF, {})
    decisions = [t for t in driver.tasks(iid) if t["activity_id"] == "safeguarding_decision"]
    assert len(decisions) == 2 and "allocate_advocate" in open_ids(driver, iid)
    assert len([d for d in driver.deadlines(iid) if d["milestone"] == "safeguarding_decision"]) == 2


def test_a_referral_without_its_reference_is_refused(driver: Driver) -> None:
    iid = to_work(driver)
    driver.send_message("safeguarding_concern", REF, {})
    before = state(driver, iid)
    data = {"safeguarding_referred": True, "safeguarding_advocate_role": "support_enquiry"}
    assert "safeguarding_reference" in refused(driver.complete, iid, "safeguarding_decision", data, MANAGER)
    assert "safeguarding_advocate_role" in refused(
        driver.complete,
        iid,
        "safeguarding_decision",
        {**DECISION, "safeguarding_advocate_role": "lead"},
        MANAGER,
    )
    assert state(driver, iid) == before


def test_the_advocate_of_the_case_and_a_manager_may_raise_a_concern_others_not(driver: Driver) -> None:
    iid = to_work(driver)
    as_actor(driver, ADVOCATE, "advocate", casework_actions.raise_safeguarding_concern, iid)
    assert driver.instance(iid)["variables"]["safeguarding_raised_by"] == ADVOCATE
    as_actor(driver, MANAGER, "manager", casework_actions.raise_safeguarding_concern, iid)
    assert len([t for t in driver.tasks(iid) if t["activity_id"] == "safeguarding_decision"]) == 2
    before = state(driver, iid)
    with pytest.raises(NotFound):  # not their case: it does not exist for them
        as_actor(driver, "advocate2", "advocate", casework_actions.raise_safeguarding_concern, iid)
    with pytest.raises((Forbidden, NotFound)):
        as_actor(driver, "commissioner1", "commissioner", casework_actions.raise_safeguarding_concern, iid)
    with pytest.raises(Forbidden):
        as_actor(driver, "auditor1", "auditor", casework_actions.raise_safeguarding_concern, iid)
    assert state(driver, iid) == before


# -- ending early ------------------------------------------------------------------------------------


def test_a_manager_ends_an_open_case_early_with_a_reason(driver: Driver) -> None:
    iid = to_work(driver)
    as_actor(driver, MANAGER, "manager", casework_actions.request_early_end, iid)
    assert open_ids(driver, iid) == ["advocacy_work", "end_case_early"], (
        "the case goes on until the reason is in"
    )
    assert driver.task(iid, "end_case_early")["role"] == "manager"
    assert "end_reason" in refused(driver.complete, iid, "end_case_early", {"end_reason": "bored"}, MANAGER)
    assert "end_notes" in refused(driver.complete, iid, "end_case_early", {"end_reason": "other"}, MANAGER)
    driver.complete(iid, "end_case_early", {"end_reason": "moved_out_of_area"}, MANAGER)
    final = driver.instance(iid)
    assert (final["status"], final["end_state"]) == ("completed", "ended_early")
    assert final["variables"]["end_reason"] == "moved_out_of_area"
    assert open_ids(driver, iid) == [] and driver.deadlines(iid) == []
    assert "task_cancelled" in driver.history_types(iid)


def test_ending_early_during_allocation_cancels_its_deadline(driver: Driver) -> None:
    iid = to_open_case(driver)
    assert driver.send_message("end_case_early_requested", REF, {}) == [iid]
    driver.complete(iid, "end_case_early", {"end_reason": "duplicate"}, MANAGER)
    assert driver.instance(iid)["end_state"] == "ended_early" and driver.deadlines(iid) == []
    driver.advance_clock(T0 + timedelta(days=10))
    assert driver.instances("sla_escalation") == []


def test_no_early_end_while_a_safeguarding_decision_is_open(driver: Driver) -> None:
    iid = to_work(driver)
    driver.send_message("safeguarding_concern", REF, {})
    driver.send_message("end_case_early_requested", REF, {})
    before = state(driver, iid)
    assert "end_reason" in refused(
        driver.complete, iid, "end_case_early", {"end_reason": "person_died"}, MANAGER
    )
    assert state(driver, iid) == before
    driver.complete(iid, "safeguarding_decision", DECISION, MANAGER)
    driver.complete(iid, "end_case_early", {"end_reason": "person_died"}, MANAGER)
    assert driver.instance(iid)["end_state"] == "ended_early"


def test_only_a_manager_asks_and_only_for_an_open_case(driver: Driver) -> None:
    iid = start(driver)
    with pytest.raises(Conflict):  # not yet an open case
        as_actor(driver, MANAGER, "manager", casework_actions.request_early_end, iid)
    driver.complete(iid, "assess_eligibility", ELIGIBLE, MANAGER)
    driver.complete(iid, "allocate_advocate", ALLOCATION, MANAGER)
    with pytest.raises(Forbidden):
        as_actor(driver, ADVOCATE, "advocate", casework_actions.request_early_end, iid)
    assert "end_case_early" not in open_ids(driver, iid)


# -- outcomes of non-instructed advocacy -------------------------------------------------------------


def _to_outcomes(driver: Driver, instruction: str) -> str:
    iid = to_work(driver, {"advocate": ADVOCATE, "instruction": instruction})
    driver.complete(iid, "advocacy_work", WORK_DONE, ADVOCATE)
    return iid


def test_non_instructed_outcomes_record_rights_upheld_not_voice_heard(driver: Driver) -> None:
    iid = _to_outcomes(driver, "non_instructed")
    before = state(driver, iid)
    assert "rights_upheld" in refused(driver.complete, iid, "record_outcomes", OUTCOMES, ADVOCATE)
    errors = refused(
        driver.complete,
        iid,
        "record_outcomes",
        {**OUTCOMES, "rights_upheld": "yes", "voice_heard": True},
        ADVOCATE,
    )
    assert "voice_heard" in errors
    assert "rights_upheld" in refused(
        driver.complete, iid, "record_outcomes", {**OUTCOMES, "rights_upheld": "mostly"}, ADVOCATE
    )
    assert state(driver, iid) == before
    driver.complete(iid, "record_outcomes", {**OUTCOMES, "rights_upheld": "partly"}, ADVOCATE)
    driver.complete(iid, "closure_review", {"closure_decision": "approve"}, MANAGER)
    final = driver.instance(iid)
    assert final["end_state"] == "closed" and final["variables"]["rights_upheld"] == "partly"
    assert "voice_heard" not in final["variables"]


def test_instructed_outcomes_record_voice_heard_not_rights_upheld(driver: Driver) -> None:
    iid = _to_outcomes(driver, "instructed")
    assert "voice_heard" in refused(driver.complete, iid, "record_outcomes", OUTCOMES, ADVOCATE)
    assert "rights_upheld" in refused(
        driver.complete,
        iid,
        "record_outcomes",
        {**OUTCOMES, "voice_heard": True, "rights_upheld": "yes"},
        ADVOCATE,
    )
    driver.complete(iid, "record_outcomes", {**OUTCOMES, "voice_heard": True}, ADVOCATE)
    assert open_ids(driver, iid) == ["closure_review"]


# -- Welsh-medium allocation ---------------------------------------------------------------------------


def test_welsh_requested_allocated_to_a_welsh_speaker(welsh: Driver) -> None:
    iid = to_open_case(welsh, welsh_medium_requested=True, preferred_language="cy")
    welsh.complete(
        iid, "allocate_advocate", {"advocate": WELSH_ADVOCATE, "instruction": "instructed"}, MANAGER
    )
    assert welsh.instance(iid)["variables"]["welsh_medium_provided"] is True
    assert welsh.task(iid, "first_contact")["assignee"] == WELSH_ADVOCATE


def test_welsh_requested_english_only_advocate_without_a_reason_is_refused(welsh: Driver) -> None:
    iid = to_open_case(welsh, welsh_medium_requested=True)
    before = state(welsh, iid)
    assert "welsh_medium_reason" in refused(welsh.complete, iid, "allocate_advocate", ALLOCATION, MANAGER)
    unknown = {"advocate": "nobody", "instruction": "instructed"}
    assert "welsh_medium_reason" in refused(welsh.complete, iid, "allocate_advocate", unknown, MANAGER)
    assert "welsh_medium_reason" in refused(
        welsh.complete, iid, "allocate_advocate", {**ALLOCATION, "welsh_medium_reason": ""}, MANAGER
    )
    assert state(welsh, iid) == before
    reason = "No Welsh speaker free within the target; the person agreed."
    welsh.complete(iid, "allocate_advocate", {**ALLOCATION, "welsh_medium_reason": reason}, MANAGER)
    variables = welsh.instance(iid)["variables"]
    assert (variables["welsh_medium_provided"], variables["welsh_medium_reason"]) == (False, reason)


def test_welsh_not_requested_needs_no_reason_and_provision_is_still_recorded(welsh: Driver) -> None:
    iid = to_open_case(welsh)
    welsh.complete(iid, "allocate_advocate", ALLOCATION, MANAGER)
    assert welsh.instance(iid)["variables"]["welsh_medium_provided"] is False


def test_welsh_speakers_are_offered_first_when_asked_for(welsh: Driver) -> None:
    offered = welsh.db.run(casework_rules.advocate_choices, True)
    assert [c["const"] for c in offered][:1] == [WELSH_ADVOCATE] and "speaks Welsh" in offered[0]["title"]
    assert {ADVOCATE, WELSH_ADVOCATE} <= {c["const"] for c in offered}
    plain = welsh.db.run(casework_rules.advocate_choices, False)
    assert [c["const"] for c in plain] == sorted(c["const"] for c in plain)
