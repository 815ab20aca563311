"""Demo referrals: one or more at each step of referral_casework, some overdue, some escalated.

The second edition's paths are in ``second_edition``; equality monitoring is filled here on a few."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from service.demo.loader import Loader
from service.store.models import ProcessInstance

ELIGIBLE_CARE_ACT = {
    "advocacy_type": "care_act",
    "difficulty_understanding": True,
    "difficulty_retaining": False,
    "difficulty_weighing": True,
    "difficulty_communicating": False,
    "appropriate_individual_available": False,
}
ASSESSMENTS = {  # an eligible answer for each kind a demo referral is typed with
    "care_act": ELIGIBLE_CARE_ACT,
    "imha": {"advocacy_type": "imha", "mha_status": "detained", "setting": "hospital"},
    "ipa_wales": {
        **ELIGIBLE_CARE_ACT,
        "advocacy_type": "ipa_wales",
        "other_advocacy_available": False,
        "statutory_process": "care_planning",
    },
}
FIRST_CONTACT = {"contact_method": "in_person"}
WORK = {
    "issues_raised": "Wants a say in the move to supported living.",
    "actions_taken": "Attended the care review and put the person's wishes.",
    "meetings_attended": 1,
    "more_work_needed": False,
}
OUTCOMES = {
    "outcome_informed": "yes",
    "outcome_involved": "yes",
    "outcome_negotiated": "partly",
    "outcome_personal_achieved": "partly",
    "outcome_empowered": "yes",
    "voice_heard": True,
    "outcome_story": "They chose the new home themselves and asked for the same advocate next time.",
    "story_shareable": True,
}
# Non-instructed advocacy (the person cannot instruct): rights upheld, not voice heard, is recorded
NON_INSTRUCTED_OUTCOMES = {k: v for k, v in OUTCOMES.items() if k != "voice_heard"} | {
    "rights_upheld": "partly",
    "outcome_story": "The advocate asked for a best-interests meeting; the move was delayed until it was held.",
}
# Equality monitoring at referral (every field optional, each with prefer_not_to_say): on a few
# referrals, some answers declined; the other referrals leave it blank.
MONITORING: dict[str, dict[str, Any]] = {
    "P-1001": {
        "age_band": "45_54",
        "sex": "male",
        "ethnicity": "prefer_not_to_say",
        "disability": "yes",
        "primary_need": "mental_health",
        "carer": "no",
        "preferred_language": "en",
        "communication_needs": ["none"],
    },
    "P-1006": {"age_band": "85_plus", "sex": "female", "primary_need": "dementia"},
    "P-1008": {
        "age_band": "prefer_not_to_say",
        "sex": "prefer_not_to_say",
        "ethnicity": "prefer_not_to_say",
        "disability": "prefer_not_to_say",
        "carer": "prefer_not_to_say",
    },
    "P-1022": {
        "age_band": "75_84",
        "primary_need": "learning_disability",
        "communication_needs": ["easy_read"],
    },
}
STEPS = ["assess_eligibility", "allocate_advocate", "first_contact", "advocacy_work", "record_outcomes"]
STEPS += ["closure_review", "closed"]


def referral(
    load: Loader,
    ref: str,
    received: datetime,
    until: str,
    *,
    advocate: str = "advocate1",
    instruction: str = "instructed",
    **start: Any,
) -> str:
    """A referral received at ``received``, worked promptly up to the step ``until``."""
    variables = {
        "person_ref": ref,
        "referral_source": "social_worker",
        "advocacy_type": "care_act",
        "urgency": "standard",
        "received_at": received.isoformat(),
        **MONITORING.get(ref, {}),
        **start,
    }
    iid = load.at(received + timedelta(minutes=20)).start("referral_casework", variables, "manager1", ref)
    for step in STEPS[: STEPS.index(until)]:
        load.later(hours=3)
        if step == "assess_eligibility":
            load.complete(
                iid, step, ASSESSMENTS.get(variables["advocacy_type"], ELIGIBLE_CARE_ACT), "manager1"
            )
        elif step == "allocate_advocate":
            allocation = {"advocate": advocate, "instruction": instruction}
            load.complete(iid, step, allocation, "manager2")
        elif step == "first_contact":
            load.complete(iid, step, {**FIRST_CONTACT, "first_contact_at": load.now.isoformat()}, advocate)
        elif step == "advocacy_work":
            load.complete(iid, step, {**WORK, "work_date": load.now.date().isoformat()}, advocate)
        elif step == "record_outcomes":
            outcomes = OUTCOMES if instruction == "instructed" else NON_INSTRUCTED_OUTCOMES
            load.complete(iid, step, outcomes, advocate)
        elif step == "closure_review":
            load.complete(iid, step, {"closure_decision": "approve"}, "manager1")
    return iid


def referrals(load: Loader, now: datetime) -> dict[str, list[str]]:
    day = timedelta(days=1)
    made: dict[str, list[str]] = {}

    def add(step: str, iid: str) -> None:
        made.setdefault(step, []).append(iid)

    # in time, one at each step
    add("assess_eligibility", referral(load, "P-1001", now - timedelta(hours=2), "assess_eligibility"))
    urgent = referral(load, "P-1002", now - timedelta(hours=1), "assess_eligibility", urgency="urgent")
    add("assess_eligibility", urgent)
    add("allocate_advocate", referral(load, "P-1003", now - timedelta(hours=5), "allocate_advocate"))
    add("first_contact", referral(load, "P-1004", now - timedelta(hours=8), "first_contact"))
    add("advocacy_work", referral(load, "P-1005", now - 12 * day, "advocacy_work", advocate="advocate2"))
    add("record_outcomes", referral(load, "P-1006", now - 30 * day, "record_outcomes"))
    add("closure_review", referral(load, "P-1007", now - 45 * day, "closure_review", advocate="advocate2"))
    add("closed", referral(load, "P-1008", now - 90 * day, "closed"))
    imha = referral(
        load,
        "P-1009",
        now - 40 * day,
        "closed",
        advocate="advocate2",
        advocacy_type="imha",
        referral_source="health",
        sla_key="west-vale-imha-2026",
    )
    add("closed", imha)

    # not eligible: one waiting to be signposted, one signposted
    for ref, signposted in (("P-1010", False), ("P-1011", True)):
        iid = load.at(now - 3 * day).start(
            "referral_casework",
            {"person_ref": ref, "referral_source": "self", "advocacy_type": "imha", "urgency": "standard"},
            "manager1",
            ref,
        )
        load.later(hours=2).complete(
            iid, "assess_eligibility", {"advocacy_type": "imha", "mha_status": "none"}, "manager1"
        )
        if signposted:
            signpost = {"signposted_to": "other", "signpost_details": "Local carers' centre advocacy."}
            load.complete(iid, "signpost", signpost, "manager2")
        add("signpost" if not signposted else "not_eligible", iid)

    # missed targets, already escalated: allocation late (manager explained in time), first contact
    # late (the manager did not explain in time, so the commissioner has it)
    late_allocation = referral(load, "P-1012", now - 9 * day, "allocate_advocate")
    load.fire_due([late_allocation], now - 3 * day)  # one working day after it was received
    escalation = escalation_of(load, late_allocation)
    remedy = {"cause": "Two advocates off sick in the same week.", "remedial_action": "Bank cover agreed."}
    load.later(hours=3).complete(escalation, "manager_review", remedy, "manager1")
    load.later(hours=1).complete(
        late_allocation,
        "allocate_advocate",
        {"advocate": "advocate1", "instruction": "instructed"},
        "manager1",
    )
    contact = {**FIRST_CONTACT, "first_contact_at": load.later(hours=2).now.isoformat()}
    load.complete(late_allocation, "first_contact", contact, "advocate1")
    add("escalated", late_allocation)
    late_contact = referral(load, "P-1013", now - 8 * day, "first_contact", advocate="advocate2")
    load.fire_due([late_contact], now - day)  # two working days after it was received
    load.fire_due([escalation_of(load, late_contact)], now)
    add("escalated", late_contact)

    # overdue, not yet escalated: the scheduler escalates these when it runs
    add("overdue", referral(load, "P-1014", now - 4 * day, "allocate_advocate"))
    add("overdue", referral(load, "P-1015", now - 5 * day, "first_contact"))
    return made


def escalation_of(load: Loader, referral_id: str) -> str:
    with load.db.sessions() as session:
        return session.scalars(
            select(ProcessInstance.id)
            .where(
                ProcessInstance.process_key == "sla_escalation",
                ProcessInstance.business_key.like(f"escalation:{referral_id}:%"),
            )
            .order_by(ProcessInstance.started_at.desc())
            .limit(1)
        ).one()
