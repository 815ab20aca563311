"""Demo commissioning cycles: one in each stage, with the data a commissioner would have entered."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from service.base.quarter import Quarter
from service.demo.loader import Loader, day, months_later


def _cycle_data(moment: datetime) -> dict[str, dict[str, Any]]:
    """The commissioner's answers, dated from ``moment`` (the cycle's start)."""
    contract_start = months_later(moment.date(), 5)
    contract_end = months_later(contract_start, 36) - timedelta(days=1)
    return {
        "needs_assessment": {
            "demand_estimate": 1200,
            "needs_evidence": "Joint strategic needs assessment 2025 and provider returns.",
            "priority_groups": ["older_people", "learning_difficulties", "carers", "asylum_seekers"],
        },
        "coproduction": {
            "coproduction_methods": ["workshops", "experts_by_experience_panel"],
            "people_involved": 42,
            "coproduction_findings": "People want the same advocate throughout, and to be met at home.",
        },
        "market_analysis": {
            "providers_in_market": 4,
            "market_capacity": "limited",
            "market_findings": "Two providers could deliver statutory advocacy at this scale.",
        },
        "equality_impact_assessment": {
            "eia_completed_on": day(moment, 20),
            "eia_adverse_impact_found": False,
            "eia_summary": "No adverse impact; positive for carers and for people with sensory impairments.",
        },
        "gap_analysis": {"gap_summary": "No specialist advocacy for people with sensory impairments."},
        "strategy_and_outcomes": {
            "strategy_summary": "One provider, with outreach to under-served groups.",
            "agreed_outcomes": ["People feel listened to", "People know their rights"],
            "senior_lead": "Head of Adult Commissioning",
            "quality_standard": "qpm",
            "advocate_qualification_required": True,
        },
        "choose_service_model": {
            "service_model": "hub_and_spoke",
            "funding_model": "block_plus_spot",
            "indicative_annual_budget": 450000,
        },
        "business_case_approval": {"business_case_decision": "approved"},
        "choose_procurement_route": {"procurement_route": "open_tender", "route_rationale": "Open market."},
        "publish_tender": {
            "tender_reference": f"NB-ADV-{moment.year}-01",
            "tender_published_on": day(moment, 60),
            "tender_closing_date": day(moment, 90),
        },
        "evaluate_bids": {
            "bids_received": 3,
            "compliant_bids": 2,
            "evaluation_summary": "Advocacy North scored highest on quality and social value.",
            "independence_confirmed": True,
        },
        "award_contract": {
            "provider": "Advocacy North CIC",
            "contract_start": contract_start.isoformat(),
            "contract_end": contract_end.isoformat(),
            "contract_term_months": 36,
        },
        "negotiate_sla": {
            "sla_key": "north-borough-2026",
            "provider": "Advocacy North CIC",
            "breach_threshold": 3,
            "target_allocation": "P1D",
            "target_first_contact": "P2D",
            "target_escalation_response": "P1D",
            "urgent_target_first_contact": "PT4H",
            "calendar": "working_days",
        },
        "mobilisation": {"mobilisation_complete": True, "service_go_live": contract_start.isoformat()},
        "review_effectiveness": {
            "effectiveness_rating": "effective",
            "outcomes_summary": "Most agreed outcomes met; allocation times slipped in winter.",
            "activity_hours": 5200,
            "spend": 448000,
            "baseline": "2025 provider returns: 4,100 hours.",
            "review_findings": "Allocation times slipped in winter; outreach to carers still thin.",
        },
    }


ANALYSE = ["needs_assessment", "coproduction", "market_analysis", "equality_impact_assessment"]
PLAN = ["gap_analysis", "strategy_and_outcomes", "choose_service_model", "business_case_approval"]
PROCURE = ["choose_procurement_route", "publish_tender"]
AWARD = ["evaluate_bids", "award_contract", "negotiate_sla", "mobilisation"]


def cycle(load: Loader, now: datetime, name: str, authority: str, months_ago: int, stage: str) -> str:
    begun = now - timedelta(days=30 * months_ago)
    data = _cycle_data(begun)
    start = {"service_name": name, "local_authority": authority, "cycle_start": begun.date().isoformat()}
    key = f"cycle-{authority.lower().replace(' ', '-')}"
    iid = load.at(begun).start("commissioning_cycle", start, "commissioner1", key)
    for task in {"analyse": [], "plan": ANALYSE}.get(stage, ANALYSE + PLAN + PROCURE):
        load.later(days=6).complete(iid, task, data[task], "commissioner1")
    if stage in ("analyse", "plan"):
        return iid
    load.fire_due([iid], now)  # the tender closes
    for task in AWARD[:2] if stage == "deliver" else AWARD:
        load.later(days=7).complete(iid, task, data[task], "commissioner1")
    if stage == "deliver":
        return iid  # the contract is awarded; the SLA is being negotiated
    for quarter in range(1, 4):
        load.fire_due([iid], min(now, load.now + timedelta(days=93)))  # the quarter ends
        review_due = quarter == 3
        monitoring = {
            "monitoring_quarter": str(Quarter.of(load.now)),
            "performance_rating": "good" if quarter != 2 else "requires_improvement",
            "sla_breaches_in_quarter": [0, 4, 1][quarter - 1],
            "monitoring_notes": "Returns on time." if quarter != 2 else "Winter pressures on allocation.",
            "review_due": review_due,
        }
        load.later(days=10).complete(iid, "quarterly_monitoring", monitoring, "commissioner1")
    return iid  # review: the effectiveness review is open
