"""Demo referrals: one or more at each step of referral_casework, some overdue, some escalated."""

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
STEPS = ["assess_eligibility", "allocate_advocate", "first_contact", "advocacy_work", "record_outcomes"]
STEPS += ["closure_review", "closed"]


def _referral(
    load: Loader, ref: str, received: datetime, until: str, *, advocate: str = "advocate1", **start: Any
) -> str:
    """A referral received at ``received``, worked promptly up to the step ``until``."""
    variables = {
        "person_ref": ref,
        "referral_source": "social_worker",
        "advocacy_type": "care_act",
        "urgency": "standard",
        "received_at": received.isoformat(),
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
            allocation = {"advocate": advocate, "instruction": "instructed"}
            load.complete(iid, step, allocation, "manager2")
        elif step == "first_contact":
            load.complete(iid, step, {**FIRST_CONTACT, "first_contact_at": load.now.isoformat()}, advocate)
        elif step == "advocacy_work":
            load.complete(iid, step, {**WORK, "work_date": load.now.date().isoformat()}, advocate)
        elif step == "record_outcomes":
            load.complete(iid, step, OUTCOMES, advocate)
        elif step == "closure_review":
            load.complete(iid, step, {"closure_decision": "approve"}, "manager1")
    return iid


def referrals(load: Loader, now: datetime) -> dict[str, list[str]]:
    day = timedelta(days=1)
    made: dict[str, list[str]] = {}

    def add(step: str, iid: str) -> None:
        made.setdefault(step, []).append(iid)

    # in time, one at each step
    add("assess_eligibility", _referral(load, "P-1001", now - timedelta(hours=2), "assess_eligibility"))
    urgent = _referral(load, "P-1002", now - timedelta(hours=1), "assess_eligibility", urgency="urgent")
    add("assess_eligibility", urgent)
    add("allocate_advocate", _referral(load, "P-1003", now - timedelta(hours=5), "allocate_advocate"))
    add("first_contact", _referral(load, "P-1004", now - timedelta(hours=8), "first_contact"))
    add("advocacy_work", _referral(load, "P-1005", now - 12 * day, "advocacy_work", advocate="advocate2"))
    add("record_outcomes", _referral(load, "P-1006", now - 30 * day, "record_outcomes"))
    add("closure_review", _referral(load, "P-1007", now - 45 * day, "closure_review", advocate="advocate2"))
    add("closed", _referral(load, "P-1008", now - 90 * day, "closed"))
    imha = _referral(
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
    late_allocation = _referral(load, "P-1012", now - 9 * day, "allocate_advocate")
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
    late_contact = _referral(load, "P-1013", now - 8 * day, "first_contact", advocate="advocate2")
    load.fire_due([late_contact], now - day)  # two working days after it was received
    load.fire_due([escalation_of(load, late_contact)], now)
    add("escalated", late_contact)

    second_edition(load, now, add)

    # overdue, not yet escalated: the scheduler escalates these when it runs
    add("overdue", _referral(load, "P-1014", now - 4 * day, "allocate_advocate"))
    add("overdue", _referral(load, "P-1015", now - 5 * day, "first_contact"))
    return made


WELSH_MONITORING = {
    "age_band": "65_74",
    "sex": "female",
    "ethnicity": "white",
    "disability": "yes",
    "primary_need": "physical_disability",
    "carer": "prefer_not_to_say",
    "preferred_language": "cy",
    "welsh_medium_requested": True,
    "communication_needs": ["large_print"],
}


def second_edition(load: Loader, now: datetime, add) -> None:
    """The second edition's paths: Welsh-medium, safeguarding, referred back, ended early."""
    day = timedelta(days=1)
    # a Welsh-medium referral in Wales, allocated to the Welsh-speaking advocate2
    welsh = _referral(
        load, "P-1016", now - 6 * day, "allocate_advocate", advocacy_type="ipa_wales", **WELSH_MONITORING
    )
    load.complete(
        welsh, "allocate_advocate", {"advocate": "advocate2", "instruction": "instructed"}, "manager1"
    )
    load.complete(
        welsh, "first_contact", {**FIRST_CONTACT, "first_contact_at": load.now.isoformat()}, "advocate2"
    )
    add("welsh_medium", welsh)

    # safeguarding: one concern decided (referred to the local authority), one awaiting the decision
    decided = _referral(load, "P-1017", now - 10 * day, "advocacy_work", sla_key="west-vale-imha-2026")
    load.at(now - 8 * day).message("safeguarding_concern", "P-1017", {"safeguarding_raised_by": "advocate1"})
    referral = {
        "safeguarding_referred": True,
        "safeguarding_reference": "SG-2026-0041",
        "safeguarding_advocate_role": "support_enquiry",
    }
    load.later(hours=3).complete(decided, "safeguarding_decision", referral, "manager1")
    add("safeguarding", decided)
    # P-1005 (at advocacy work): its advocate raised a concern two hours ago; the decision is open
    load.at(now - timedelta(hours=2)).message(
        "safeguarding_concern", "P-1005", {"safeguarding_raised_by": "advocate2"}
    )

    # instructed by the authority but not eligible: referred back, never signposted
    back = load.at(now - 4 * day).start(
        "referral_casework",
        {
            "person_ref": "P-1018",
            "referral_source": "social_worker",
            "advocacy_type": "care_act",
            "urgency": "standard",
            "authority_instructed": True,
        },
        "manager1",
        "P-1018",
    )
    no_difficulty = {**ELIGIBLE_CARE_ACT, "difficulty_understanding": False, "difficulty_weighing": False}
    load.later(hours=2).complete(back, "assess_eligibility", no_difficulty, "manager1")
    returned = {
        "referred_back_on": (now - 3 * day).date().isoformat(),
        "referred_back_to": "Adult social care, duty team",
        "referral_back_reason": "No substantial difficulty in any of the four areas (Care Act 2014 s.67(4)).",
    }
    load.complete(back, "refer_back_to_authority", returned, "manager2")
    add("referred_back", back)

    # ended early: the person declined after first contact
    early = _referral(load, "P-1019", now - 15 * day, "advocacy_work")
    load.message("end_case_early_requested", "P-1019", {})
    load.complete(early, "end_case_early", {"end_reason": "person_declined"}, "manager1")
    add("ended_early", early)


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
