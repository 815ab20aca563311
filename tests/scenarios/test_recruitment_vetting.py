"""Scenario tests for `recruitment_vetting` (bpmn/recruitment_vetting.bpmn): every path.

Written against the Driver contract (DRIVER_CONTRACT.md) only.  The invariant
that matters most: a candidate on the adults' barred list never reaches
induction, whatever else is submitted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

PROCESS = "recruitment_vetting"
MANAGER = "manager1"
KEY = "CAND-0042"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CHECKS = ("obtain_references", "check_right_to_work", "verify_identity", "check_qualification")
BARRED_LIST = "enhanced_adults_barred_list"
NOTES = "Supervision notes and case file audits."

SCORES = ("score_independence", "score_confidentiality", "score_person_centred_practice")
TOPICS = ["induction_advocacy_role", "induction_code_of_practice", "induction_safeguarding"]
TOPICS += ["induction_confidentiality", "induction_record_keeping"]

DATA = {
    "values_based_interview": {"interview_date": "2026-01-05", "interview_decision": "offer"}
    | dict.fromkeys(SCORES, 4)
    | {"score_instructed_non_instructed": 3},
    "conditional_offer": {"offer_made_on": "2026-01-05", "proposed_start_date": "2026-03-02"}
    | {"offer_conditions_explained": True},
    "submit_dbs_application": {"dbs_level": BARRED_LIST, "dbs_application_submitted_on": "2026-01-05"},
    "chase_dbs_certificate": {"dbs_chase_outcome": "still_waiting", "dbs_chase_note": "Chased."},
    "verify_dbs_certificate": {"dbs_level": BARRED_LIST, "dbs_certificate_number": "001234567890"}
    | {"dbs_issue_date": "2026-01-15", "dbs_disclosure": False, "barred": False}
    | {"update_service_subscribed": True},
    "obtain_references": {"reference_1_relationship": "most_recent_employer"}
    | {"reference_1_satisfactory": True, "reference_2_relationship": "volunteering"}
    | {"reference_2_satisfactory": True},
    "check_right_to_work": {"right_to_work_check_method": "home_office_online_check"}
    | {"right_to_work_checked_on": "2026-01-06", "right_to_work_confirmed": True},
    "verify_identity": {"identity_documents": ["passport", "utility_bill"]}
    | {"identity_checked_on": "2026-01-06", "identity_verified": True},
    "check_qualification": {"qualification_status": "held"},
    "disclosure_risk_assessment": {"disclosure_risk_summary": "A 2009 caution, unrelated to adults at risk."}
    | {"disclosure_decision": "proceed"},
    "induction": dict.fromkeys(TOPICS, True)
    | {"induction_completed_on": "2026-03-13", "advocate": "advocate1"},
    "probation_review": {"probation_decision": "pass", "probation_review_notes": NOTES}
    | {"probation_ended_for_harm": False},
    "extended_probation_review": {"probation_decision": "pass", "probation_review_notes": NOTES}
    | {"probation_ended_for_harm": False},
    "refer_to_dbs_after_withdrawal": {"dbs_referral_made": True, "dbs_referral_date": "2026-01-20"},
    "refer_to_dbs_after_probation": {"dbs_referral_made": True, "dbs_referral_date": "2026-07-10"},
}


# -- helpers -----------------------------------------------------------------------------------


def open_ids(driver, iid: str) -> list[str]:
    return sorted(t["activity_id"] for t in driver.tasks(iid))


def step(driver, iid: str, task: str, **changes) -> None:
    assert driver.task(iid, task)["role"] == "manager"
    driver.complete(iid, task, {**DATA[task], **changes}, MANAGER)


def refused(driver, iid: str, task: str, drop: str | None = None, **changes) -> set[str]:
    """Completing `task` with these changes must be refused (FormInvalid); returns the fields at fault."""
    data = {k: v for k, v in {**DATA[task], **changes}.items() if k != drop}
    with pytest.raises(Exception) as caught:
        driver.complete(iid, task, data, MANAGER)
    assert type(caught.value).__name__ == "FormInvalid", repr(caught.value)
    assert task in open_ids(driver, iid)  # nothing changed
    return {re.split(r"[./\[]", name)[0] for name in caught.value.errors}  # "field.0", "field/0"...


def start(driver, key: str = KEY) -> str:
    variables = {"vacancy_ref": "VAC-2026-014", "candidate_ref": key, "role_title": "Independent Advocate"}
    iid = driver.start(PROCESS, variables, business_key=key, actor=MANAGER)
    assert open_ids(driver, iid) == ["values_based_interview"]
    return iid


def to_checks(driver, key: str = KEY) -> str:
    iid = start(driver, key)
    step(driver, iid, "values_based_interview")
    step(driver, iid, "conditional_offer")
    assert open_ids(driver, iid) == sorted([*CHECKS, "submit_dbs_application"])
    return iid


def certificate_arrives(driver, iid: str, key: str = KEY, **certificate) -> None:
    """DBS application, the certificate message, then the manager verifies what it shows."""
    step(driver, iid, "submit_dbs_application")
    assert driver.send_message("dbs_certificate_received", key, {"dbs_issue_date": "2026-01-15"}) == [iid]
    step(driver, iid, "verify_dbs_certificate", **certificate)


def other_checks(driver, iid: str, **changes: dict) -> None:
    for task in CHECKS:
        step(driver, iid, task, **changes.get(task, {}))


def to_induction(driver, **certificate) -> str:
    iid = to_checks(driver)
    certificate_arrives(driver, iid, **certificate)
    other_checks(driver, iid)
    if certificate.get("dbs_disclosure"):
        step(driver, iid, "disclosure_risk_assessment")
    assert open_ids(driver, iid) == ["induction"]
    return iid


def to_probation_review(driver) -> str:
    iid = to_induction(driver)
    step(driver, iid, "induction")
    assert driver.instance(iid)["status"] == "waiting"
    [timer] = driver.deadlines(iid)
    assert timer["activity_id"] == "probation_timer"
    assert timer["due_at"] == T0 + timedelta(days=181)  # six calendar months from 5 January
    driver.advance_clock(timer["due_at"] - timedelta(days=1))
    assert driver.tasks(iid) == [] and driver.instance(iid)["status"] == "waiting"
    driver.advance_clock(timer["due_at"] + timedelta(minutes=1))
    assert open_ids(driver, iid) == ["probation_review"]
    return iid


def ended(driver, iid: str, end_state: str) -> list[str]:
    instance = driver.instance(iid)
    assert (instance["status"], instance["end_state"]) == ("completed", end_state)
    assert driver.tasks(iid) == [] and driver.deadlines(iid) == []
    history = driver.history_types(iid)
    assert history[0] == "instance_started" and history[-1] == "instance_completed"
    assert "task_ready" in history and "task_completed" in history
    return history


def chase_due(driver, iid: str) -> datetime:
    [due] = [d["due_at"] for d in driver.deadlines(iid) if d["activity_id"] == "dbs_chase_timer"]
    return due


# -- interview and offer -------------------------------------------------------------------------


def test_rejected_at_interview_is_not_appointed(driver):
    iid = start(driver)
    step(driver, iid, "values_based_interview", interview_decision="reject")
    history = ended(driver, iid, "not_appointed")
    assert history == ["instance_started", "task_ready", "task_completed", "instance_completed"]


def test_start_form_wants_references_not_names(driver):
    variables = {"vacancy_ref": "VAC-2026-014", "candidate_ref": "Jane Smith", "role_title": "Advocate"}
    with pytest.raises(Exception) as caught:
        driver.start(PROCESS, variables, business_key="x", actor=MANAGER)
    assert type(caught.value).__name__ == "FormInvalid" and "candidate_ref" in caught.value.errors
    assert driver.instances(PROCESS) == []


def test_conditional_offer_starts_every_check_in_parallel(driver):
    iid = to_checks(driver)
    assert {t["role"] for t in driver.tasks(iid)} == {"manager"}
    step(driver, iid, "obtain_references")
    assert "obtain_references" not in open_ids(driver, iid)
    assert driver.instance(iid)["status"] == "running"


@pytest.mark.parametrize(
    "task,changes,field",
    [
        ("values_based_interview", {"score_independence": 6}, "score_independence"),
        ("values_based_interview", {"interview_decision": "maybe"}, "interview_decision"),
        ("conditional_offer", {"offer_conditions_explained": False}, "offer_conditions_explained"),
        ("submit_dbs_application", {"dbs_level": "enhanced_plus"}, "dbs_level"),
        ("check_qualification", {"qualification_status": "working_towards"}, "qualification_target_date"),
        ("verify_identity", {"identity_documents": []}, "identity_documents"),
        ("obtain_references", {"barred": False}, "barred"),  # no form can clear the barred flag
        ("check_right_to_work", {"barred": False}, "barred"),
    ],
)
def test_forms_refuse_bad_data(driver, task, changes, field):
    iid = start(driver)
    for before in ("values_based_interview", "conditional_offer"):
        if task not in open_ids(driver, iid):
            step(driver, iid, before)
    assert field in refused(driver, iid, task, **changes)


# -- the DBS branch: message, chase timer, boundary message ----------------------------------------


def test_certificate_before_the_deadline_never_raises_a_chase(driver):
    iid = to_checks(driver)
    step(driver, iid, "submit_dbs_application")
    assert chase_due(driver, iid) == T0 + timedelta(days=14)
    driver.advance_clock(T0 + timedelta(days=10))
    assert driver.send_message("dbs_certificate_received", KEY, {"dbs_issue_date": "2026-01-14"}) == [iid]
    assert driver.instance(iid)["variables"]["dbs_issue_date"] == "2026-01-14"  # payload merged
    assert "verify_dbs_certificate" in open_ids(driver, iid) and driver.deadlines(iid) == []
    driver.advance_clock(T0 + timedelta(days=60))
    assert "chase_dbs_certificate" not in open_ids(driver, iid)
    assert "message_received" in driver.history_types(iid)
    assert "timer_fired" not in driver.history_types(iid)


def test_no_certificate_in_14_days_raises_a_chase_every_14_days(driver):
    iid = to_checks(driver)
    step(driver, iid, "submit_dbs_application")
    driver.advance_clock(T0 + timedelta(days=14, minutes=1))
    assert "chase_dbs_certificate" in open_ids(driver, iid)
    step(driver, iid, "chase_dbs_certificate", dbs_chase_outcome="still_waiting")
    assert chase_due(driver, iid) == T0 + timedelta(days=28, minutes=1)
    driver.advance_clock(chase_due(driver, iid))
    step(driver, iid, "chase_dbs_certificate", dbs_chase_outcome="still_waiting")
    assert driver.send_message("dbs_certificate_received", KEY, {}) == [iid]
    assert "verify_dbs_certificate" in open_ids(driver, iid)
    assert driver.history_types(iid).count("timer_fired") == 2


def test_certificate_arriving_while_chasing_closes_the_chase(driver):
    iid = to_checks(driver)
    step(driver, iid, "submit_dbs_application")
    driver.advance_clock(T0 + timedelta(days=15))
    assert "chase_dbs_certificate" in open_ids(driver, iid)
    assert driver.send_message("dbs_certificate_received", KEY, {}) == [iid]
    assert "verify_dbs_certificate" in open_ids(driver, iid)
    assert "chase_dbs_certificate" not in open_ids(driver, iid)
    assert "task_cancelled" in driver.history_types(iid)


def test_manager_who_has_seen_the_certificate_goes_straight_to_verification(driver):
    iid = to_checks(driver)
    step(driver, iid, "submit_dbs_application")
    driver.advance_clock(T0 + timedelta(days=15))
    step(driver, iid, "chase_dbs_certificate", dbs_chase_outcome="certificate_seen")
    assert "verify_dbs_certificate" in open_ids(driver, iid) and driver.deadlines(iid) == []
    assert driver.send_message("dbs_certificate_received", KEY, {}) == []  # nothing waits any more


@pytest.mark.parametrize(
    "field,value",
    [
        ("dbs_level", "enhanced_barred"),
        ("dbs_level", "Enhanced"),
        ("dbs_certificate_number", "12345"),
        ("dbs_certificate_number", "00123456789X"),
        ("dbs_issue_date", "15/01/2026"),
        ("barred", "no"),
        ("barred", None),
    ],
)
def test_dbs_verification_refuses_malformed_certificates(driver, field, value):
    iid = to_checks(driver)
    step(driver, iid, "submit_dbs_application")
    driver.send_message("dbs_certificate_received", KEY, {})
    assert field in refused(driver, iid, "verify_dbs_certificate", **{field: value})
    assert "barred" in refused(driver, iid, "verify_dbs_certificate", drop="barred")


# -- barred: never induction -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "certificate,checks",
    [
        ({"barred": True}, {}),
        ({"barred": True, "dbs_disclosure": True}, {}),
        ({"barred": True}, {"obtain_references": {"reference_1_satisfactory": False}}),
        (
            {"barred": True, "dbs_disclosure": True},
            {"check_qualification": {"qualification_status": "not_met"}},
        ),
    ],
)
def test_barred_always_ends_withdrawn_barred_whatever_else_is_true(driver, certificate, checks):
    iid = to_checks(driver)
    certificate_arrives(driver, iid, **certificate)
    other_checks(driver, iid, **checks)
    with pytest.raises(AssertionError):  # no risk assessment is open to say "proceed" in
        driver.task(iid, "disclosure_risk_assessment")
    history = ended(driver, iid, "withdrawn_barred")
    assert "message_received" in history


def test_barred_cannot_be_overwritten_by_the_message_or_any_other_form(driver):
    key = "CAND-0099"
    iid = to_checks(driver, key)
    step(driver, iid, "submit_dbs_application")
    # the message claims "not barred"; the certificate the manager reads says otherwise
    driver.send_message("dbs_certificate_received", key, {"barred": False, "dbs_disclosure": False})
    step(driver, iid, "verify_dbs_certificate", barred=True)
    for task in CHECKS:
        assert "barred" in refused(driver, iid, task, barred=False)
    other_checks(driver, iid)
    assert driver.instance(iid)["variables"]["barred"] is True
    ended(driver, iid, "withdrawn_barred")


def test_induction_is_reachable_only_through_the_barred_list_guard():
    """Structure: without the guard's 'not barred' flow, induction cannot be reached at all."""
    bpmn = Path(__file__).resolve().parents[2] / "bpmn" / f"{PROCESS}.bpmn"
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    flows = etree.parse(str(bpmn)).getroot().findall(".//bpmn:sequenceFlow", ns)
    [guard] = [f for f in flows if f.get("targetRef") == "induction"]
    assert guard.get("sourceRef") == "induction_guard_gateway"
    condition = guard.find("bpmn:conditionExpression", ns).text
    assert "barred == False" in condition and BARRED_LIST in condition
    edges = {(f.get("sourceRef"), f.get("targetRef")) for f in flows if f is not guard}
    reached, frontier = set(), ["candidate_shortlisted"]
    while frontier:
        node = frontier.pop()
        reached.add(node)
        frontier += [t for s, t in edges if s == node and t not in reached]
    assert "induction" not in reached and "barred_gateway" in reached


# -- disclosure and the other checks -------------------------------------------------------------------


def test_disclosure_risk_assessed_and_proceeding_reaches_induction(driver):
    iid = to_checks(driver)
    certificate_arrives(driver, iid, dbs_disclosure=True)
    other_checks(driver, iid)
    assert open_ids(driver, iid) == ["disclosure_risk_assessment"]
    assert "disclosure_risk_summary" in refused(
        driver, iid, "disclosure_risk_assessment", drop="disclosure_risk_summary"
    )
    step(driver, iid, "disclosure_risk_assessment")
    assert open_ids(driver, iid) == ["induction"]


def test_disclosure_risk_assessed_and_withdrawn_and_it_cannot_clear_the_barred_flag(driver):
    iid = to_checks(driver)
    certificate_arrives(driver, iid, dbs_disclosure=True)
    other_checks(driver, iid)
    assert "barred" in refused(driver, iid, "disclosure_risk_assessment", barred=False)
    step(driver, iid, "disclosure_risk_assessment", disclosure_decision="withdraw")
    assert open_ids(driver, iid) == ["refer_to_dbs_after_withdrawal"]
    step(driver, iid, "refer_to_dbs_after_withdrawal")
    ended(driver, iid, "withdrawn_disclosure")


@pytest.mark.parametrize(
    "task,failure",
    [
        ("obtain_references", {"reference_1_satisfactory": False}),
        ("obtain_references", {"reference_2_satisfactory": False}),
        ("check_right_to_work", {"right_to_work_confirmed": False}),
        ("verify_identity", {"identity_verified": False}),
        ("check_qualification", {"qualification_status": "not_met"}),
    ],
)
def test_a_failed_check_withdraws_the_offer(driver, task, failure):
    iid = to_checks(driver)
    certificate_arrives(driver, iid, dbs_disclosure=True)
    other_checks(driver, iid, **{task: failure})
    assert "disclosure_risk_assessment" not in open_ids(driver, iid)
    ended(driver, iid, "withdrawn_checks_failed")


def test_working_towards_the_qualification_within_a_year_is_enough(driver):
    iid = to_checks(driver)
    certificate_arrives(driver, iid)
    plan = {"qualification_status": "working_towards", "qualification_target_date": "2027-01-31"}
    other_checks(driver, iid, check_qualification=plan)
    assert open_ids(driver, iid) == ["induction"]


# -- induction and probation ------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", TOPICS)
def test_induction_needs_every_topic_covered(driver, topic):
    iid = to_induction(driver)
    assert topic in refused(driver, iid, "induction", **{topic: False})
    assert topic in refused(driver, iid, "induction", drop=topic)


@pytest.mark.parametrize("decision,end_state", [("pass", "appointed"), ("fail", "not_appointed_probation")])
def test_probation_decided_after_six_months(driver, decision, end_state):
    iid = to_probation_review(driver)
    step(driver, iid, "probation_review", probation_decision=decision)  # a fail not for harm: no referral
    history = ended(driver, iid, end_state)
    assert {"message_received", "timer_fired"} <= set(history)


@pytest.mark.parametrize("outcome,end_state", [("pass", "appointed"), ("fail", "not_appointed_probation")])
def test_probation_extended_once_then_decided(driver, outcome, end_state):
    iid = to_probation_review(driver)
    assert "probation_extension_reason" in refused(
        driver, iid, "probation_review", probation_decision="extend"
    )
    step(
        driver, iid, "probation_review", probation_decision="extend", probation_extension_reason="Late notes."
    )
    [timer] = driver.deadlines(iid)
    assert timer["activity_id"] == "probation_extension_timer"
    driver.advance_clock(timer["due_at"] - timedelta(days=1))
    assert driver.tasks(iid) == []
    driver.advance_clock(timer["due_at"] + timedelta(minutes=1))
    assert "probation_decision" in refused(
        driver, iid, "extended_probation_review", probation_decision="extend"
    )
    step(driver, iid, "extended_probation_review", probation_decision=outcome)
    ended(driver, iid, end_state)


# -- second edition: the four DBS levels, regulated activity, the duty to refer, supervision ------------


@pytest.mark.parametrize("level", ["basic", "standard", "enhanced"])
def test_a_lower_dbs_level_on_a_regulated_post_goes_back_to_the_application(driver, level):
    iid = to_checks(driver)
    certificate_arrives(driver, iid, dbs_level=level)
    assert open_ids(driver, iid) == sorted([*CHECKS, "submit_dbs_application"]), "apply again"
    other_checks(driver, iid)
    assert "induction" not in open_ids(driver, iid)
    certificate_arrives(driver, iid)  # re-applied at the right level
    assert open_ids(driver, iid) == ["induction"]


@pytest.mark.parametrize(
    "certificate",
    [
        {"dbs_level": "enhanced"},
        {"dbs_level": "enhanced", "dbs_disclosure": True},
        {"dbs_level": "basic", "barred": False},
        {"dbs_level": "standard", "update_service_subscribed": False},
    ],
)
def test_no_induction_without_the_barred_list_check_for_regulated_activity(driver, certificate):
    """The invariant, attacked: whatever else is true, a lower level never reaches induction."""
    iid = to_checks(driver)
    certificate_arrives(driver, iid, **certificate)
    other_checks(driver, iid)
    for _ in range(3):  # keep sending the wrong level: it keeps coming back
        assert "induction" not in open_ids(driver, iid) and "disclosure_risk_assessment" not in open_ids(
            driver, iid
        )
        assert "submit_dbs_application" in open_ids(driver, iid)
        certificate_arrives(driver, iid, **certificate)
    assert driver.instance(iid)["status"] == "running"
    assert "regulated_activity" in refused(driver, iid, "submit_dbs_application", regulated_activity=False)


def test_a_post_that_is_not_regulated_activity_takes_a_lower_level(driver):
    variables = {"vacancy_ref": "VAC-2026-015", "candidate_ref": KEY, "role_title": "Office administrator"}
    iid = driver.start(PROCESS, {**variables, "regulated_activity": False}, business_key=KEY, actor=MANAGER)
    assert driver.instance(iid)["variables"]["regulated_activity"] is False
    step(driver, iid, "values_based_interview")
    step(driver, iid, "conditional_offer")
    certificate_arrives(driver, iid, dbs_level="basic")
    other_checks(driver, iid)
    assert open_ids(driver, iid) == ["induction"]


def test_regulated_activity_defaults_to_true(driver):
    iid = start(driver)
    assert driver.instance(iid)["variables"]["regulated_activity"] is True


@pytest.mark.parametrize("bad", [False, None, "yes"])
def test_the_duty_to_refer_after_a_withdrawal_cannot_be_skipped(driver, bad):
    iid = to_checks(driver)
    certificate_arrives(driver, iid, dbs_disclosure=True)
    other_checks(driver, iid)
    step(driver, iid, "disclosure_risk_assessment", disclosure_decision="withdraw")
    assert "dbs_referral_made" in refused(driver, iid, "refer_to_dbs_after_withdrawal", dbs_referral_made=bad)
    assert "dbs_referral_made" in refused(
        driver, iid, "refer_to_dbs_after_withdrawal", drop="dbs_referral_made"
    )
    assert driver.instance(iid)["status"] == "running"
    step(driver, iid, "refer_to_dbs_after_withdrawal")
    ended(driver, iid, "withdrawn_disclosure")
    assert driver.instance(iid)["variables"]["dbs_referral_made"] is True


@pytest.mark.parametrize("extended", [False, True])
def test_a_probation_ended_for_harm_passes_refer_to_the_dbs(driver, extended):
    iid = to_probation_review(driver)
    review = "probation_review"
    if extended:
        step(driver, iid, review, probation_decision="extend", probation_extension_reason="Concerns raised.")
        driver.advance_clock(driver.deadlines(iid)[0]["due_at"])
        review = "extended_probation_review"
    assert "probation_ended_for_harm" in refused(driver, iid, review, drop="probation_ended_for_harm")
    step(driver, iid, review, probation_decision="fail", probation_ended_for_harm=True)
    assert open_ids(driver, iid) == ["refer_to_dbs_after_probation"]
    assert "dbs_referral_made" in refused(
        driver, iid, "refer_to_dbs_after_probation", dbs_referral_made=False
    )
    step(driver, iid, "refer_to_dbs_after_probation")
    ended(driver, iid, "not_appointed_probation")
    assert driver.instances("advocate_supervision") == []


def test_every_path_to_a_withdrawal_after_assessment_or_a_harm_ending_passes_the_referral():
    """Structure: the end events the duty applies to are reached only through Refer to the DBS."""
    bpmn = Path(__file__).resolve().parents[2] / "bpmn" / f"{PROCESS}.bpmn"
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    flows = etree.parse(str(bpmn)).getroot().findall(".//bpmn:sequenceFlow", ns)
    into = {}
    for f in flows:
        into.setdefault(f.get("targetRef"), set()).add(f.get("sourceRef"))
    assert into["withdrawn_disclosure"] == {"refer_to_dbs_after_withdrawal"}
    assert into["refer_to_dbs_after_withdrawal"] == {"disclosure_decision_gateway"}
    assert into["refer_to_dbs_after_probation"] == {"probation_harm_gateway"}
    [harm_default] = [
        f
        for f in flows
        if f.get("sourceRef") == "probation_harm_gateway" and f.find("bpmn:conditionExpression", ns) is None
    ]
    assert harm_default.get("targetRef") == "refer_to_dbs_after_probation", "not recorded: refer"


def test_an_appointed_advocate_starts_their_supervision(driver):
    iid = to_probation_review(driver)
    step(driver, iid, "probation_review", probation_decision="pass")
    ended(driver, iid, "appointed")
    [supervision] = driver.instances("advocate_supervision")
    state = driver.instance(supervision)
    assert state["business_key"] == KEY and state["status"] == "waiting"
    assert state["variables"]["advocate"] == "advocate1"
    assert state["variables"]["qualification_status"] == "held"
    assert state["variables"]["update_service_subscribed"] is True
    assert driver.history_types(supervision)[0] == "instance_started"
