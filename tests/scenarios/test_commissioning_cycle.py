"""Scenario tests for `commissioning_cycle` (bpmn/commissioning_cycle.bpmn): every path.

Written against the Driver contract (DRIVER_CONTRACT.md) only.  Every step goes
through `step()` or `fire()`, which check the invariant: while the cycle runs,
its `stage` is one of analyse|plan|deliver|review, and the right one for the
task or timer it waits on.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.store.models import HistoryEvent

PROCESS = "commissioning_cycle"
WHO = "commissioner1"
START = {"service_name": "Advocacy, North Borough", "local_authority": "North Borough Council"}
START |= {"cycle_start": "2026-01-05"}
RATIONALE = "Quarterly returns and feedback from people who use the service."
STAGE_OF = dict.fromkeys(["needs_assessment", "coproduction", "market_analysis"], "analyse")
STAGE_OF |= {"equality_impact_assessment": "analyse", "business_case_approval": "plan"}
STAGE_OF |= dict.fromkeys(["gap_analysis", "strategy_and_outcomes", "choose_service_model"], "plan")
STAGE_OF |= dict.fromkeys(["choose_procurement_route", "publish_tender", "evaluate_bids"], "deliver")
STAGE_OF |= dict.fromkeys(
    ["award_contract", "negotiate_sla", "mobilisation", "quarterly_monitoring"], "deliver"
)
STAGE_OF |= {"agree_improvement_plan": "deliver", "tender_closes": "deliver", "quarter_timer": "deliver"}
STAGE_OF |= dict.fromkeys(
    ["dialogue_rounds", "invite_final_tenders", "final_tenders_close", "mini_competition", "grant_agreement"],
    "deliver",
)
STAGE_OF |= {"justify_direct_award": "deliver"}
STAGE_OF |= dict.fromkeys(["review_effectiveness", "decide_next_cycle", "decide_next_cycle_final"], "review")

DATA = {
    "needs_assessment": {"demand_estimate": 1200, "needs_evidence": "JSNA 2025, provider returns."}
    | {"priority_groups": ["older_people", "learning_difficulties", "carers"]},
    "coproduction": {"coproduction_methods": ["workshops", "experts_by_experience_panel"]}
    | {"people_involved": 42, "coproduction_findings": "People want the same advocate throughout."},
    "market_analysis": {"providers_in_market": 4, "market_capacity": "limited", "market_findings": "Two."},
    "equality_impact_assessment": {"eia_completed_on": "2026-01-20", "eia_adverse_impact_found": False}
    | {"eia_summary": "No adverse impact; positive for carers."},
    "gap_analysis": {"gap_summary": "No specialist advocacy for people with sensory impairments."},
    "strategy_and_outcomes": {"strategy_summary": "One provider, outreach to under-served groups."}
    | {"agreed_outcomes": ["People feel listened to", "People know their rights"]}
    | {"senior_lead": "Head of Commissioning", "quality_standard": "qpm"}
    | {"advocate_qualification_required": True, "welsh_medium_provision": False},
    "choose_service_model": {"service_model": "hub_and_spoke", "funding_model": "block_plus_spot"}
    | {"indicative_annual_budget": 450000},
    "business_case_approval": {"business_case_decision": "approved"},
    "choose_procurement_route": {"procurement_route": "open_tender", "route_rationale": "Open market."},
    "publish_tender": {"tender_reference": "NB-ADV-2026-01", "tender_published_on": "2026-02-02"}
    | {"tender_closing_date": "2026-03-02"},
    "evaluate_bids": {"bids_received": 3, "compliant_bids": 2, "evaluation_summary": "Bidder A."}
    | {"independence_confirmed": True},
    "award_contract": {"provider": "Advocacy North", "contract_start": "2026-04-01"}
    | {"contract_end": "2029-03-31", "contract_term_months": 36},
    "negotiate_sla": {"sla_key": "north-borough-2026", "provider": "Advocacy North", "breach_threshold": 3}
    | {"target_allocation": "P1D", "target_first_contact": "P2D", "target_escalation_response": "P1D"}
    | {"urgent_target_first_contact": "PT4H", "calendar": "working_days"},
    "mobilisation": {"mobilisation_complete": True, "service_go_live": "2026-04-01"},
    "quarterly_monitoring": {"monitoring_quarter": "2026Q2", "performance_rating": "good"}
    | {"sla_breaches_in_quarter": 0, "monitoring_notes": "On target.", "review_due": True},
    "review_effectiveness": {"effectiveness_rating": "effective", "outcomes_summary": "Most outcomes met."}
    | {"activity_hours": 5200.5, "spend": 448000, "baseline": "2025 returns: 4,100 hours."}
    | {"review_findings": "Waits fell; outreach to carers still thin."},
    "dialogue_rounds": {
        "dialogue_rounds_held": 2,
        "bidders_in_dialogue": 3,
        "dialogue_summary": "Hub model.",
    },
    "invite_final_tenders": {"tender_reference": "NB-ADV-CD-1", "tender_closing_date": "2026-03-16"},
    "mini_competition": {"providers_invited": 4, "competition_summary": "Listed providers, one week."},
    "grant_agreement": {"grant_recipient": "Voice Together", "grant_conditions": "Peer advocacy outcomes."},
    "justify_direct_award": {
        "direct_award_justification": "Sole specialist provider.",
        "senior_lead_approved": True,
    },
    "agree_improvement_plan": {"improvement_actions": ["Cut allocation times by June"]}
    | {"improvement_plan_agreed_on": "2027-02-01"},
}


# -- helpers -----------------------------------------------------------------------------------------


def open_ids(driver, iid: str) -> list[str]:
    return sorted(t["activity_id"] for t in driver.tasks(iid))


def stage_ok(driver, iid: str, expected: str | None = None) -> None:
    """The invariant: while the cycle runs, its stage is one of the four (and the one expected)."""
    instance = driver.instance(iid)
    if instance["status"] in ("running", "waiting"):
        assert instance["stage"] in ("analyse", "plan", "deliver", "review"), instance
        assert expected in (None, instance["stage"]), (expected, instance)
    else:
        assert instance["status"] == "completed", instance


def step(driver, iid: str, task: str, **changes) -> None:
    assert driver.task(iid, task)["role"] == "commissioner"
    stage_ok(driver, iid, STAGE_OF[task])
    driver.complete(iid, task, {**DATA.get(task, {}), **changes}, WHO)
    stage_ok(driver, iid)


def refused(driver, iid: str, task: str, **changes) -> set[str]:
    """Completing `task` with these changes must be refused (FormInvalid); returns the fields at fault."""
    with pytest.raises(Exception) as caught:
        driver.complete(iid, task, {**DATA.get(task, {}), **changes}, WHO)
    assert type(caught.value).__name__ == "FormInvalid", repr(caught.value)
    assert task in open_ids(driver, iid)  # nothing changed
    return {re.split(r"[./\[]", name)[0] for name in caught.value.errors}  # "field.0", "field/0"...


def fire(driver, iid: str) -> None:
    """The cycle waits on one timer: it does not fire a minute early, and fires at its due time."""
    [deadline] = driver.deadlines(iid)
    due, timer = deadline["due_at"], deadline["activity_id"]
    driver.advance_clock(due - timedelta(minutes=1))
    assert driver.tasks(iid) == [] and driver.instance(iid)["status"] == "waiting"
    stage_ok(driver, iid, STAGE_OF[timer])
    driver.advance_clock(due + timedelta(minutes=1))
    stage_ok(driver, iid)


def walk_to(driver, iid: str, task: str) -> str:
    """Complete each task with its default data (firing timers while waiting) until `task` is open."""
    while task not in open_ids(driver, iid):
        if driver.tasks(iid):
            [current] = open_ids(driver, iid)
            step(driver, iid, current)
        else:
            fire(driver, iid)
    return iid


def to(driver, task: str) -> str:
    iid = driver.start(PROCESS, START, business_key="north-borough-2026", actor=WHO)
    stage_ok(driver, iid, "analyse")
    return walk_to(driver, iid, task)


def decide(driver, iid: str, decision: str, task: str = "decide_next_cycle") -> None:
    step(driver, iid, "review_effectiveness")
    assert open_ids(driver, iid) == [task]
    step(driver, iid, task, review_decision=decision, review_rationale=RATIONALE)


def monitor(driver, iid: str, review_due: bool) -> None:
    fire(driver, iid)
    step(driver, iid, "quarterly_monitoring", review_due=review_due)


# -- forms -----------------------------------------------------------------------------------------------


def test_start_form_needs_service_authority_and_date(driver):
    for bad in (
        {**START, "cycle_start": "next April"},
        {k: v for k, v in START.items() if k != "local_authority"},
    ):
        with pytest.raises(Exception) as caught:
            driver.start(PROCESS, bad, actor=WHO)
        assert type(caught.value).__name__ == "FormInvalid"
        assert set(caught.value.errors) & {"cycle_start", "local_authority"}
    assert driver.instances(PROCESS) == []


@pytest.mark.parametrize(
    "task,changes,field",
    [
        ("needs_assessment", {"priority_groups": []}, "priority_groups"),
        ("needs_assessment", {"priority_groups": ["older_people", "older_people"]}, "priority_groups"),
        ("needs_assessment", {"priority_groups": ["young_people"]}, "priority_groups"),
        ("needs_assessment", {"priority_groups": "carers"}, "priority_groups"),
        ("equality_impact_assessment", {"eia_adverse_impact_found": True}, "eia_mitigations"),
        ("business_case_approval", {"business_case_decision": "rework"}, "business_case_comments"),
        ("choose_service_model", {"service_model": "outsourced"}, "service_model"),
        ("choose_service_model", {"funding_model": "payment_by_results"}, "funding_model"),
        ("choose_procurement_route", {"procurement_route": "negotiated"}, "procurement_route"),
        ("publish_tender", {"tender_closing_date": "2 March"}, "tender_closing_date"),
        ("negotiate_sla", {"target_first_contact": "2 days"}, "target_first_contact"),
        ("negotiate_sla", {"target_allocation": "P"}, "target_allocation"),
        ("negotiate_sla", {"target_escalation_response": "PT"}, "target_escalation_response"),
        ("negotiate_sla", {"calendar": "business_days"}, "calendar"),
        ("negotiate_sla", {"sla_key": "North Borough"}, "sla_key"),
        ("negotiate_sla", {"breach_threshold": -1}, "breach_threshold"),
        ("quarterly_monitoring", {"monitoring_quarter": "Q2 2026"}, "monitoring_quarter"),
    ],
)
def test_forms_refuse_bad_data(driver, task, changes, field):
    iid = to(driver, task)
    assert field in refused(driver, iid, task, **changes)


# -- analyse and plan ------------------------------------------------------------------------------------


def test_analyse_opens_the_cycle_then_plan_follows(driver):
    iid = to(driver, "gap_analysis")
    variables = driver.instance(iid)["variables"]
    assert variables["improvement_cycles"] == 0 and variables["next_cycle_requested"] is False
    assert variables["priority_groups"] == ["older_people", "learning_difficulties", "carers"]


def test_adverse_equality_impact_with_mitigations_moves_on(driver):
    iid = to(driver, "equality_impact_assessment")
    step(driver, iid, "equality_impact_assessment", eia_adverse_impact_found=True, eia_mitigations="BSL.")
    assert open_ids(driver, iid) == ["gap_analysis"]


def test_business_case_rework_loops_back_to_the_strategy(driver):
    iid = to(driver, "business_case_approval")
    rework = {"business_case_decision": "rework", "business_case_comments": "Cost the spot element."}
    step(driver, iid, "business_case_approval", **rework)
    assert open_ids(driver, iid) == ["strategy_and_outcomes"]
    step(driver, iid, "strategy_and_outcomes")
    step(driver, iid, "choose_service_model", funding_model="block")
    step(driver, iid, "business_case_approval")
    assert open_ids(driver, iid) == ["choose_procurement_route"]
    assert driver.instance(iid)["variables"]["funding_model"] == "block"


# -- deliver: procurement, award, SLA, monitoring ------------------------------------------------------------


def test_tender_closes_at_noon_on_the_closing_date(driver):
    iid = to(driver, "publish_tender")
    step(driver, iid, "publish_tender")
    [deadline] = driver.deadlines(iid)
    assert deadline["activity_id"] == "tender_closes"
    assert deadline["due_at"] == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    fire(driver, iid)
    assert open_ids(driver, iid) == ["evaluate_bids"]
    assert "timer_fired" in driver.history_types(iid)


def test_no_compliant_bid_starts_the_procurement_again(driver):
    iid = to(driver, "evaluate_bids")
    step(driver, iid, "evaluate_bids", compliant_bids=0)
    assert open_ids(driver, iid) == ["choose_procurement_route"]
    step(driver, iid, "choose_procurement_route", procurement_route="approved_list")
    step(driver, iid, "mini_competition")
    walk_to(driver, iid, "award_contract")
    assert driver.instance(iid)["variables"]["procurement_route"] == "approved_list"


def test_short_contract_without_justification_is_refused(driver):
    iid = to(driver, "award_contract")
    short = {"contract_end": "2027-03-31", "contract_term_months": 12}
    assert "short_contract_justification" in refused(driver, iid, "award_contract", **short)
    thin = {**short, "short_contract_justification": "pilot"}
    assert "short_contract_justification" in refused(driver, iid, "award_contract", **thin)
    step(
        driver,
        iid,
        "award_contract",
        **short,
        short_contract_justification="A one-year pilot, then regional.",
    )
    assert open_ids(driver, iid) == ["negotiate_sla"]


@pytest.mark.parametrize(
    "dates",
    [
        {"contract_end": "2027-03-31"},  # a one-year contract claimed as 36 months: no justification dodged
        {"contract_start": "2029-04-01", "contract_end": "2026-03-31"},  # ends before it starts
    ],
)
def test_contract_dates_that_do_not_match_the_term_are_sent_back(driver, dates):
    iid = to(driver, "award_contract")
    step(driver, iid, "award_contract", **dates)
    assert open_ids(driver, iid) == ["award_contract"]
    step(driver, iid, "award_contract")
    assert open_ids(driver, iid) == ["negotiate_sla"]


def test_sla_terms_are_captured_for_the_service(driver):
    iid = to(driver, "mobilisation")
    step(driver, iid, "mobilisation")
    variables = driver.instance(iid)["variables"]
    assert {k: variables[k] for k in DATA["negotiate_sla"]} == DATA["negotiate_sla"]
    assert variables["contract_end"] == "2029-03-31"
    assert [d["activity_id"] for d in driver.deadlines(iid)] == ["quarter_timer"]


def test_sla_negotiation_creates_the_sla_casework_uses(driver):
    from service.cases import slas

    to(driver, "mobilisation")
    sla = driver.db.read(slas.get_sla, "north-borough-2026")
    assert sla.provider == "Advocacy North"
    assert sla.commissioner == START["local_authority"]
    assert sla.targets == {"allocation": "P1D", "first_contact": "P2D", "escalation_response": "P1D"}
    assert sla.urgent == {"first_contact": "PT4H"}
    assert (sla.calendar, sla.breach_threshold) == ("working_days", 3)
    referral = driver.start(
        "referral_casework",
        {
            "person_ref": "P-2001",
            "referral_source": "self",
            "advocacy_type": "care_act",
            "urgency": "standard",
            "sla_key": "north-borough-2026",
        },
    )
    assert driver.instance(referral)["status"] == "running"


def test_quarterly_monitoring_repeats_until_the_review_is_due(driver):
    iid = to(driver, "mobilisation")
    step(driver, iid, "mobilisation")
    monitor(driver, iid, review_due=False)
    assert driver.tasks(iid) == [] and driver.instance(iid)["status"] == "waiting"
    monitor(driver, iid, review_due=False)
    monitor(driver, iid, review_due=True)
    stage_ok(driver, iid, "review")
    assert driver.history_types(iid).count("timer_fired") == 4  # the tender and three quarters


def test_monitoring_is_bounded_a_review_is_due_after_twelve_quarters(driver):
    iid = to(driver, "mobilisation")
    step(driver, iid, "mobilisation")
    for _ in range(11):
        monitor(driver, iid, review_due=False)
        stage_ok(driver, iid, "deliver")
    monitor(driver, iid, review_due=False)
    assert open_ids(driver, iid) == ["review_effectiveness"]


# -- review ------------------------------------------------------------------------------------------


def test_recommission_ends_the_instance_and_requests_a_new_cycle(driver):
    iid = to(driver, "review_effectiveness")
    decide(driver, iid, "recommission")
    instance = driver.instance(iid)
    assert (instance["status"], instance["end_state"]) == ("completed", "recommissioned")
    assert instance["variables"]["next_cycle_requested"] is True
    assert driver.tasks(iid) == [] and driver.deadlines(iid) == []
    assert driver.history_types(iid)[-1] == "instance_completed"
    # the cycle continues in a new, linked instance that starts again at Analyse
    [old, new] = driver.instances(PROCESS)
    assert old == iid
    fresh = driver.instance(new)
    assert (fresh["status"], fresh["stage"]) == ("running", "analyse")
    assert fresh["variables"]["service_name"] == START["service_name"]
    assert fresh["variables"]["local_authority"] == START["local_authority"]
    assert open_ids(driver, new) == ["needs_assessment"]
    started = driver.db.read(
        lambda s: s.scalars(
            select(HistoryEvent).where(HistoryEvent.instance_id == new, HistoryEvent.seq == 1)
        ).one()
    )
    assert json.loads(started.data)["continues"] == iid


def test_decommission_ends_the_service(driver):
    iid = to(driver, "review_effectiveness")
    decide(driver, iid, "decommission")
    instance = driver.instance(iid)
    assert (instance["status"], instance["end_state"]) == ("completed", "decommissioned")
    assert instance["variables"]["next_cycle_requested"] is False


def test_improve_returns_to_delivery_with_an_improvement_plan(driver):
    iid = to(driver, "review_effectiveness")
    decide(driver, iid, "improve")
    stage_ok(driver, iid, "deliver")
    assert open_ids(driver, iid) == ["agree_improvement_plan"]
    step(driver, iid, "agree_improvement_plan")
    assert [d["activity_id"] for d in driver.deadlines(iid)] == ["quarter_timer"]
    monitor(driver, iid, review_due=True)
    decide(driver, iid, "recommission")
    assert driver.instance(iid)["end_state"] == "recommissioned"
    assert driver.instance(iid)["variables"]["improvement_cycles"] == 1


@pytest.mark.parametrize(
    "final,end_state", [("recommission", "recommissioned"), ("decommission", "decommissioned")]
)
def test_improvement_is_bounded_to_two_cycles(driver, final, end_state):
    iid = to(driver, "review_effectiveness")
    for _ in range(2):
        decide(driver, iid, "improve")
        step(driver, iid, "agree_improvement_plan")
        monitor(driver, iid, review_due=True)
    step(driver, iid, "review_effectiveness")
    assert open_ids(driver, iid) == ["decide_next_cycle_final"]
    again = {"review_decision": "improve", "review_rationale": RATIONALE}
    assert "review_decision" in refused(driver, iid, "decide_next_cycle_final", **again)
    step(driver, iid, "decide_next_cycle_final", review_decision=final, review_rationale=RATIONALE)
    instance = driver.instance(iid)
    assert (instance["status"], instance["end_state"]) == ("completed", end_state)
    history = driver.history_types(iid)
    assert history[0] == "instance_started" and history[-1] == "instance_completed"
    assert {"task_ready", "task_completed", "timer_fired"} <= set(history)


# -- a path per procurement route (DOMAIN.md second edition) ------------------------------------------

ROUTE_STEPS = {
    "open_tender": ["publish_tender", "tender_closes"],
    "competitive_dialogue": ["dialogue_rounds", "invite_final_tenders", "final_tenders_close"],
    "approved_list": ["mini_competition"],
    "grant": ["grant_agreement"],
    "direct_award": ["justify_direct_award"],
}


@pytest.mark.parametrize("route", sorted(ROUTE_STEPS))
def test_each_procurement_route_has_its_own_steps_then_the_evaluation(driver, route):
    iid = to(driver, "choose_procurement_route")
    step(driver, iid, "choose_procurement_route", procurement_route=route)
    for element in ROUTE_STEPS[route]:
        if element.endswith("_close") or element.endswith("_closes"):
            assert driver.deadlines(iid)[0]["activity_id"] == element
            fire(driver, iid)
        else:
            assert open_ids(driver, iid) == [element]
            step(driver, iid, element)
    assert open_ids(driver, iid) == ["evaluate_bids"]
    others = {e for r, steps in ROUTE_STEPS.items() if r != route for e in steps} - set(ROUTE_STEPS[route])
    assert not others & set(driver.instance(iid)["variables"]), "no other route's step ran"
    step(driver, iid, "evaluate_bids")
    assert open_ids(driver, iid) == ["award_contract"]


def test_a_direct_award_the_senior_lead_did_not_approve_goes_back_to_the_route(driver):
    iid = to(driver, "choose_procurement_route")
    step(driver, iid, "choose_procurement_route", procurement_route="direct_award")
    step(driver, iid, "justify_direct_award", senior_lead_approved=False)
    assert open_ids(driver, iid) == ["choose_procurement_route"]


@pytest.mark.parametrize("independent", [False])
def test_a_provider_not_confirmed_independent_is_not_awarded(driver, independent):
    iid = to(driver, "evaluate_bids")
    step(driver, iid, "evaluate_bids", independence_confirmed=independent)
    assert open_ids(driver, iid) == ["choose_procurement_route"]


def test_evaluation_must_record_independence(driver):
    iid = to(driver, "evaluate_bids")
    data = {k: v for k, v in DATA["evaluate_bids"].items() if k != "independence_confirmed"}
    with pytest.raises(Exception) as caught:
        driver.complete(iid, "evaluate_bids", data, WHO)
    assert "independence_confirmed" in caught.value.errors
    assert "independence_confirmed" in refused(driver, iid, "evaluate_bids", independence_confirmed="yes")


@pytest.mark.parametrize(
    ("task", "changes", "field"),
    [
        ("strategy_and_outcomes", {"quality_standard": "iso9001"}, "quality_standard"),
        ("strategy_and_outcomes", {"senior_lead": ""}, "senior_lead"),
        (
            "strategy_and_outcomes",
            {"advocate_qualification_required": "yes"},
            "advocate_qualification_required",
        ),
        ("strategy_and_outcomes", {"welsh_medium_provision": 1}, "welsh_medium_provision"),
    ],
)
def test_the_plan_names_a_senior_lead_and_the_specification(driver, task, changes, field):
    iid = to(driver, task)
    assert field in refused(driver, iid, task, **changes)


def test_review_records_activity_and_finance_and_findings_reach_the_next_cycle(driver):
    iid = to(driver, "review_effectiveness")
    assert "spend" in refused(driver, iid, "review_effectiveness", spend=-1)
    assert "review_findings" in refused(driver, iid, "review_effectiveness", review_findings="")
    decide(driver, iid, "recommission")
    variables = driver.instance(iid)["variables"]
    assert (variables["activity_hours"], variables["spend"]) == (5200.5, 448000)
    assert variables["baseline"].startswith("2025")
    [_, following] = driver.instances(PROCESS)
    carried = driver.instance(following)["variables"]
    assert carried["previous_review_findings"] == DATA["review_effectiveness"]["review_findings"]


def test_a_contract_review_shows_on_the_cycle_of_the_slas_provider(driver):
    from service.access.permissions import Actor
    from service.cases.reports.commissioning import commissioning

    iid = to(driver, "mobilisation")  # SLA negotiation has recorded north-borough-2026 for Advocacy North
    breach = {"sla_key": "north-borough-2026", "source_instance_id": "case-1", "milestone": "allocation"}
    breach |= {"due_at": "2026-05-01T09:00:00+00:00", "breached_at": "2026-05-01T09:00:00+00:00"}
    escalation = driver.start("sla_escalation", {**breach, "breaches_this_quarter": 4, "breach_threshold": 3})
    unrelated = driver.start(
        "sla_escalation", {**breach, "sla_key": "default", "breaches_this_quarter": 9, "breach_threshold": 3}
    )
    report = driver.db.read(commissioning, Actor("commissioner1", "commissioner"), now=driver.now)
    [cycle] = [c for c in report["items"] if c["id"] == iid]
    [review] = cycle["contract_reviews"]
    assert (review["instance_id"], review["sla_key"], review["outcome"]) == (
        escalation,
        "north-borough-2026",
        None,
    )
    assert set(review) == {"instance_id", "sla_key", "milestone", "status", "opened_at", "outcome"}
    driver.complete(escalation, "contract_review", {"contract_review_outcome": "continue"}, WHO)
    report = driver.db.read(commissioning, Actor("commissioner1", "commissioner"), now=driver.now)
    [cycle] = [c for c in report["items"] if c["id"] == iid]
    assert [r["outcome"] for r in cycle["contract_reviews"]] == ["continue"]
    assert unrelated not in [r["instance_id"] for r in cycle["contract_reviews"]]
