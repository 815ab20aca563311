"""commissioning_cycle over HTTP (issue 15): every procurement route walked; findings carried on."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.flow import Flow

WHO = "commissioner1"
START = {"service_name": "Advocacy, North Borough", "local_authority": "North Borough Council"}
START |= {"cycle_start": "2026-01-05"}
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
    | {"advocate_qualification_required": True, "welsh_medium_provision": True},
    "choose_service_model": {"service_model": "hub_and_spoke", "funding_model": "block_plus_spot"}
    | {"indicative_annual_budget": 450000},
    "business_case_approval": {"business_case_decision": "approved"},
    "publish_tender": {"tender_reference": "NB-ADV-2026-01", "tender_published_on": "2026-02-02"}
    | {"tender_closing_date": "2026-03-02"},
    "dialogue_rounds": {
        "dialogue_rounds_held": 2,
        "bidders_in_dialogue": 3,
        "dialogue_summary": "Hub model.",
    },
    "invite_final_tenders": {"tender_reference": "NB-ADV-CD-1", "tender_closing_date": "2026-03-16"},
    "mini_competition": {"providers_invited": 4, "competition_summary": "Listed providers, one week."},
    "grant_agreement": {"grant_recipient": "Voice Together", "grant_conditions": "Peer advocacy outcomes."},
    "justify_direct_award": {"direct_award_justification": "Sole specialist provider."}
    | {"senior_lead_approved": True},
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
    "decide_next_cycle": {
        "review_decision": "recommission",
        "review_rationale": "Quarterly returns and feedback from people who use the service.",
    },
}
ROUTE_STEPS = {
    "open_tender": ["publish_tender", "tender_closes"],
    "competitive_dialogue": ["dialogue_rounds", "invite_final_tenders", "final_tenders_close"],
    "approved_list": ["mini_competition"],
    "grant": ["grant_agreement"],
    "direct_award": ["justify_direct_award"],
}


@pytest.fixture
def flow(service, monkeypatch) -> Flow:
    return Flow(service, monkeypatch, "commissioning_cycle", reader=WHO)


def walk_to(flow: Flow, iid: str, task: str, route: str = "open_tender") -> None:
    """Complete each open task with its data (firing the one timer while waiting) until ``task`` is open."""
    for _ in range(60):
        open_now = flow.open_ids(iid, WHO)
        if task in open_now:
            return
        if open_now:
            [current] = open_now
            data = DATA.get(current, {})
            if current == "choose_procurement_route":
                data = {"procurement_route": route, "route_rationale": "The market and the law."}
            flow.complete(iid, current, data, WHO)
        else:
            [deadline] = flow.deadlines(iid)
            flow.advance(datetime.fromisoformat(deadline["due_at"]), iid)
    raise AssertionError(f"{task} never opened")


@pytest.mark.parametrize("route", sorted(ROUTE_STEPS))
def test_every_procurement_route_is_walked_to_the_evaluation_and_award(flow, route):
    iid = flow.start("commissioning_cycle", START, WHO, business_key="north-borough-2026")["id"]
    walk_to(flow, iid, "choose_procurement_route")
    flow.complete(
        iid, "choose_procurement_route", {"procurement_route": route, "route_rationale": "Why."}, WHO
    )
    for element in ROUTE_STEPS[route]:
        if element.endswith(("_close", "_closes")):
            [deadline] = flow.deadlines(iid)
            assert deadline["activity_id"] == element and flow.open_ids(iid, WHO) == []
            flow.advance(datetime.fromisoformat(deadline["due_at"]), iid)
        else:
            assert flow.open_ids(iid, WHO) == [element]
            flow.complete(iid, element, DATA[element], WHO)
    assert flow.open_ids(iid, WHO) == ["evaluate_bids"]
    variables = flow.instance(iid, WHO)["variables"]
    assert variables["procurement_route"] == route
    others = {e for r, steps in ROUTE_STEPS.items() if r != route for e in steps} - set(ROUTE_STEPS[route])
    assert not others & set(variables)
    without = {k: v for k, v in DATA["evaluate_bids"].items() if k != "independence_confirmed"}
    assert "independence_confirmed" in flow.refused(iid, "evaluate_bids", without, WHO)
    flow.complete(iid, "evaluate_bids", DATA["evaluate_bids"], WHO)
    assert flow.open_ids(iid, WHO) == ["award_contract"]


def test_a_provider_not_confirmed_independent_is_not_awarded(flow):
    iid = flow.start("commissioning_cycle", START, WHO)["id"]
    walk_to(flow, iid, "evaluate_bids")
    flow.complete(iid, "evaluate_bids", {**DATA["evaluate_bids"], "independence_confirmed": False}, WHO)
    assert flow.open_ids(iid, WHO) == ["choose_procurement_route"]


def test_review_findings_are_carried_into_the_next_cycle(flow):
    iid = flow.start("commissioning_cycle", START, WHO, business_key="north-borough-2026")["id"]
    walk_to(flow, iid, "review_effectiveness")
    assert "spend" in flow.refused(
        iid, "review_effectiveness", {**DATA["review_effectiveness"], "spend": -1}, WHO
    )
    flow.complete(iid, "review_effectiveness", DATA["review_effectiveness"], WHO)
    flow.complete(iid, "decide_next_cycle", DATA["decide_next_cycle"], WHO)
    state = flow.ended(iid, "recommissioned", WHO)
    assert (state["variables"]["activity_hours"], state["variables"]["spend"]) == (5200.5, 448000)
    following = [i for i in flow.instances_of("commissioning_cycle", WHO) if i["id"] != iid]
    assert len(following) == 1
    carried = flow.instance(following[0]["id"], WHO)
    assert carried["variables"]["previous_review_findings"] == DATA["review_effectiveness"]["review_findings"]
    assert carried["stage"] == "analyse" and flow.open_ids(carried["id"], WHO) == ["needs_assessment"]
