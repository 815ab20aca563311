"""recruitment_vetting over HTTP (issue 15): the DBS levels, the barred list, Refer to the DBS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.flow import Flow

MANAGER = "manager1"
KEY = "CAND-0042"
CHECKS = ("obtain_references", "check_right_to_work", "verify_identity", "check_qualification")
BARRED_LIST = "enhanced_adults_barred_list"
NOTES = "Supervision notes and case file audits."
TOPICS = ["induction_advocacy_role", "induction_code_of_practice", "induction_safeguarding"]
TOPICS += ["induction_confidentiality", "induction_record_keeping"]
SCORES = ("score_independence", "score_confidentiality", "score_person_centred_practice")
DATA = {
    "values_based_interview": {"interview_date": "2026-01-05", "interview_decision": "offer"}
    | dict.fromkeys(SCORES, 4)
    | {"score_instructed_non_instructed": 3},
    "conditional_offer": {"offer_made_on": "2026-01-05", "proposed_start_date": "2026-03-02"}
    | {"offer_conditions_explained": True},
    "submit_dbs_application": {"dbs_level": BARRED_LIST, "dbs_application_submitted_on": "2026-01-05"},
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


@pytest.fixture
def flow(service, monkeypatch) -> Flow:
    return Flow(service, monkeypatch, "recruitment_vetting", "advocate_supervision")


def step(flow: Flow, iid: str, task: str, **changes) -> dict:
    return flow.complete(iid, task, {**DATA[task], **changes}, MANAGER)


def to_checks(flow: Flow) -> str:
    variables = {"vacancy_ref": "VAC-2026-014", "candidate_ref": KEY, "role_title": "Independent Advocate"}
    iid = flow.start("recruitment_vetting", variables, MANAGER, business_key=KEY)["id"]
    step(flow, iid, "values_based_interview")
    step(flow, iid, "conditional_offer")
    assert flow.open_ids(iid) == sorted([*CHECKS, "submit_dbs_application"])
    return iid


def certificate(flow: Flow, iid: str, **shown) -> None:
    step(flow, iid, "submit_dbs_application")
    r = flow.s.post(
        "/messages",
        MANAGER,
        {
            "name": "dbs_certificate_received",
            "business_key": KEY,
            "payload": {"dbs_issue_date": "2026-01-15"},
        },
    )
    assert r.status_code == 202 and r.get_json()["delivered_to"] == [iid], r.get_json()
    step(flow, iid, "verify_dbs_certificate", **shown)


def other_checks(flow: Flow, iid: str) -> None:
    for task in CHECKS:
        step(flow, iid, task)


def to_probation_review(flow: Flow) -> str:
    iid = to_checks(flow)
    certificate(flow, iid)
    other_checks(flow, iid)
    step(flow, iid, "induction")
    [timer] = flow.deadlines(iid)
    assert timer["activity_id"] == "probation_timer"
    flow.advance(flow.now + timedelta(days=200), iid)
    assert flow.open_ids(iid) == ["probation_review"]
    return iid


@pytest.mark.parametrize(
    "shown",
    [
        {"dbs_level": "enhanced"},
        {"dbs_level": "enhanced", "dbs_disclosure": True},
        {"dbs_level": "standard", "barred": False},
        {"dbs_level": "basic"},
    ],
)
def test_a_certificate_without_the_barred_list_never_reaches_induction_and_can_reapply(flow, shown):
    iid = to_checks(flow)
    certificate(flow, iid, **shown)
    other_checks(flow, iid)
    for _ in range(2):
        open_now = flow.open_ids(iid)
        assert "induction" not in open_now and "disclosure_risk_assessment" not in open_now
        assert open_now == ["submit_dbs_application"], "the path back to apply again"
        certificate(flow, iid, **shown)
    certificate(flow, iid)  # re-applied at the level the post needs
    assert flow.open_ids(iid) == ["induction"]
    assert flow.instance(iid)["variables"]["dbs_level"] == BARRED_LIST


def test_a_regulated_post_refuses_an_application_that_says_otherwise(flow):
    iid = to_checks(flow)
    errors = flow.refused(
        iid,
        "submit_dbs_application",
        {**DATA["submit_dbs_application"], "regulated_activity": False},
        MANAGER,
    )
    assert "regulated_activity" in errors


@pytest.mark.parametrize("disclosure", [False, True])
def test_barred_ends_withdrawn(flow, disclosure):
    iid = to_checks(flow)
    certificate(flow, iid, barred=True, dbs_disclosure=disclosure)
    for task in CHECKS:
        assert "barred" in flow.refused(iid, task, {**DATA[task], "barred": False}, MANAGER)
    other_checks(flow, iid)
    state = flow.ended(iid, "withdrawn_barred")
    assert state["variables"]["barred"] is True


@pytest.mark.parametrize("bad", [False, None, "yes"])
def test_refer_to_the_dbs_is_never_skipped_after_a_withdrawal_on_disclosure(flow, bad):
    iid = to_checks(flow)
    certificate(flow, iid, dbs_disclosure=True)
    other_checks(flow, iid)
    step(flow, iid, "disclosure_risk_assessment", disclosure_decision="withdraw")
    assert flow.open_ids(iid) == ["refer_to_dbs_after_withdrawal"]
    task = "refer_to_dbs_after_withdrawal"
    assert "dbs_referral_made" in flow.refused(iid, task, {**DATA[task], "dbs_referral_made": bad}, MANAGER)
    without = {k: v for k, v in DATA[task].items() if k != "dbs_referral_made"}
    assert "dbs_referral_made" in flow.refused(iid, task, without, MANAGER)
    step(flow, iid, task)
    assert flow.ended(iid, "withdrawn_disclosure")["variables"]["dbs_referral_made"] is True


@pytest.mark.parametrize("extended", [False, True])
def test_refer_to_the_dbs_is_never_skipped_after_a_probation_ended_for_harm(flow, extended):
    iid = to_probation_review(flow)
    review = "probation_review"
    if extended:
        step(flow, iid, review, probation_decision="extend", probation_extension_reason="Concerns raised.")
        flow.advance(flow.now + timedelta(days=200), iid)
        review = "extended_probation_review"
    unset = {k: v for k, v in DATA[review].items() if k != "probation_ended_for_harm"}
    assert "probation_ended_for_harm" in flow.refused(iid, review, unset, MANAGER)
    step(flow, iid, review, probation_decision="fail", probation_ended_for_harm=True)
    assert flow.open_ids(iid) == ["refer_to_dbs_after_probation"]
    task = "refer_to_dbs_after_probation"
    assert "dbs_referral_made" in flow.refused(iid, task, {**DATA[task], "dbs_referral_made": False}, MANAGER)
    step(flow, iid, task)
    flow.ended(iid, "not_appointed_probation")
    assert flow.instances_of("advocate_supervision") == []


def test_appointed_starts_the_advocates_supervision(flow):
    iid = to_probation_review(flow)
    step(flow, iid, "probation_review")
    flow.ended(iid, "appointed")
    [supervision] = flow.instances_of("advocate_supervision")
    assert supervision["status"] == "waiting" and supervision["business_key"] == KEY
    assert flow.instance(supervision["id"])["variables"]["advocate"] == "advocate1"
