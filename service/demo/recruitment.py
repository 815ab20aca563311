"""Demo candidates: one at each check of recruitment_vetting."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from service.demo.loader import Loader, day

BARRED_LIST = "enhanced_adults_barred_list"
TOPICS = ["advocacy_role", "code_of_practice", "safeguarding", "confidentiality", "record_keeping"]


def _candidate_data(moment: datetime) -> dict[str, dict[str, Any]]:
    return {
        "values_based_interview": {
            "interview_date": day(moment),
            "interview_decision": "offer",
            "score_independence": 4,
            "score_confidentiality": 5,
            "score_person_centred_practice": 4,
            "score_instructed_non_instructed": 3,
        },
        "conditional_offer": {
            "offer_made_on": day(moment, 2),
            "proposed_start_date": day(moment, 45),
            "offer_conditions_explained": True,
        },
        "submit_dbs_application": {"dbs_level": BARRED_LIST, "dbs_application_submitted_on": day(moment, 3)},
        "verify_dbs_certificate": {
            "dbs_level": BARRED_LIST,
            "dbs_certificate_number": "001234567890",
            "dbs_issue_date": day(moment, 12),
            "dbs_disclosure": False,
            "barred": False,
            "update_service_subscribed": True,
        },
        "obtain_references": {
            "reference_1_relationship": "most_recent_employer",
            "reference_1_satisfactory": True,
            "reference_2_relationship": "volunteering",
            "reference_2_satisfactory": True,
        },
        "check_right_to_work": {
            "right_to_work_check_method": "home_office_online_check",
            "right_to_work_checked_on": day(moment, 4),
            "right_to_work_confirmed": True,
        },
        "verify_identity": {
            "identity_documents": ["passport", "utility_bill"],
            "identity_checked_on": day(moment, 4),
            "identity_verified": True,
        },
        "check_qualification": {"qualification_status": "held"},
        "disclosure_risk_assessment": {
            "disclosure_risk_summary": "A caution from 2009, unrelated to adults at risk.",
            "disclosure_decision": "proceed",
        },
        "induction": {f"induction_{t}": True for t in TOPICS}
        | {"induction_completed_on": day(moment, 50), "advocate": "advocate2"},
    }


CHECKS = ["obtain_references", "check_right_to_work", "verify_identity", "check_qualification"]


def _candidate(load: Loader, now: datetime, ref: str, days_ago: int, until: str, **certificate) -> str:
    begun = now - timedelta(days=days_ago)
    data = _candidate_data(begun)
    start = {"vacancy_ref": "VAC-2026-014", "candidate_ref": ref, "role_title": "Independent Advocate"}
    iid = load.at(begun).start("recruitment_vetting", start, "manager1", ref)
    for task in ("values_based_interview", "conditional_offer"):
        if until == task:
            return iid
        load.later(days=1).complete(iid, task, data[task], "manager1")
    if until == "checks":
        load.later(days=1).complete(iid, "obtain_references", data["obtain_references"], "manager2")
        return iid
    load.later(days=1).complete(iid, "submit_dbs_application", data["submit_dbs_application"], "manager1")
    if until == "dbs_chase":
        load.fire_due([iid], now)  # no certificate in 14 days: the chase task opens
        return iid
    load.later(days=9).message(
        "dbs_certificate_received", ref, {"dbs_issue_date": data["verify_dbs_certificate"]["dbs_issue_date"]}
    )
    load.later(hours=4).complete(
        iid, "verify_dbs_certificate", {**data["verify_dbs_certificate"], **certificate}, "manager1"
    )
    for task in CHECKS:
        load.complete(iid, task, data[task], "manager2")
    if until == "disclosure_risk_assessment" or certificate.get("barred"):
        return iid
    if certificate.get("dbs_disclosure"):
        load.later(days=1).complete(
            iid, "disclosure_risk_assessment", data["disclosure_risk_assessment"], "manager1"
        )
    if until == "induction":
        return iid
    load.later(days=30).complete(iid, "induction", data["induction"], "manager1")
    load.fire_due([iid], now)  # six months on: the probation review opens
    return iid


def candidates(load: Loader, now: datetime) -> dict[str, list[str]]:
    return {
        "values_based_interview": [_candidate(load, now, "CAND-0101", 1, "values_based_interview")],
        "conditional_offer": [_candidate(load, now, "CAND-0102", 3, "conditional_offer")],
        "checks": [_candidate(load, now, "CAND-0103", 6, "checks")],
        "dbs_chase": [_candidate(load, now, "CAND-0104", 25, "dbs_chase")],
        "disclosure_risk_assessment": [
            _candidate(load, now, "CAND-0105", 20, "disclosure_risk_assessment", dbs_disclosure=True)
        ],
        "induction": [_candidate(load, now, "CAND-0106", 30, "induction")],
        "probation_review": [_candidate(load, now, "CAND-0107", 250, "probation_review")],
        "withdrawn_barred": [_candidate(load, now, "CAND-0108", 40, "barred", barred=True)],
    }
