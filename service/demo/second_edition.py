"""Demo referrals on the second edition's paths (DOMAIN.md "Casework additions"), through the use cases.

Welsh-medium (allocated to the Welsh-speaking advocate2, under the Welsh SLA), safeguarding raised
mid-case from the case page (one decided, one left open), referred back to the authority, ended early
by the manager's step and by a cancel with a reason code, a task reassigned, and non-instructed
advocacy closed with ``rights_upheld``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from service.demo.casework import ELIGIBLE_CARE_ACT, FIRST_CONTACT, referral
from service.demo.loader import Loader

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
WELSH_SLA = "cwm-vale-2026"


def second_edition(load: Loader, now: datetime, add: Callable[[str, str], None], at_work: str) -> None:
    """``at_work``: a referral at advocacy work whose advocate (advocate2) raises a concern now."""
    day = timedelta(days=1)
    # a Welsh-medium referral in Wales, allocated to the Welsh-speaking advocate2
    welsh = referral(
        load,
        "P-1016",
        now - 45 * day,
        "allocate_advocate",
        advocacy_type="ipa_wales",
        sla_key=WELSH_SLA,
        **WELSH_MONITORING,
    )
    load.complete(
        welsh, "allocate_advocate", {"advocate": "advocate2", "instruction": "instructed"}, "manager1"
    )
    load.complete(
        welsh, "first_contact", {**FIRST_CONTACT, "first_contact_at": load.now.isoformat()}, "advocate2"
    )
    add("welsh_medium", welsh)

    # safeguarding, raised from the case page: one concern decided (referred to the local
    # authority), one awaiting the decision
    decided = referral(load, "P-1017", now - 10 * day, "advocacy_work", sla_key="west-vale-imha-2026")
    load.at(now - 8 * day).raise_concern(decided, "advocate1")
    decision = {
        "safeguarding_referred": True,
        "safeguarding_reference": "SG-2026-0041",
        "safeguarding_advocate_role": "support_enquiry",
    }
    load.later(hours=3).complete(decided, "safeguarding_decision", decision, "manager1")
    add("safeguarding", decided)
    load.at(now - timedelta(hours=2)).raise_concern(at_work, "advocate2")  # the decision is open

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

    # ended early: the person declined after first contact (the manager's End the case early step)
    early = referral(load, "P-1019", now - 15 * day, "advocacy_work")
    load.request_early_end(early, "manager1")
    load.complete(early, "end_case_early", {"end_reason": "person_declined"}, "manager1")
    add("ended_early", early)

    # cancelled with a reason code: the person moved away before first contact
    moved = referral(load, "P-1021", now - 7 * day, "first_contact")
    load.later(hours=5).cancel(
        moved, "Moved to a care home in another county.", "moved_out_of_area", "manager2"
    )
    add("cancelled", moved)

    # continuity: advocate1 is on leave, so a manager gives the first contact to advocate2
    handed_over = referral(load, "P-1020", now - timedelta(hours=10), "first_contact")
    load.later(hours=1).assign(handed_over, "first_contact", "advocate2", "manager1")
    add("reassigned", handed_over)

    # non-instructed advocacy (the person cannot instruct): closed with rights_upheld
    add("non_instructed", referral(load, "P-1022", now - 60 * day, "closed", instruction="non_instructed"))
