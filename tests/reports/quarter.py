"""A synthetic 2026Q1 for SLA ``north`` whose every figure is known (worked out by hand below).

Real referrals, through the engine (R1..R5), and bulk ones inserted as rows (B...):

| case | received (UTC)        | source        | type     | urgency  | path                                              |
|------|-----------------------|---------------|----------|----------|---------------------------------------------------|
| R1   | Mon 05 Jan 09:00      | self          | imha     | standard | allocated 11:00 (2 h), contact Tue 09:00 (24 h), closed |
| R2   | Fri 09 Jan 15:00      | family        | generic  | urgent   | allocated 16:00 (1 h); first contact due 19:00 fired -> E1; contact Mon 10:00 (9+10 = 19 h); open |
| R3   | Wed 04 Feb 12:00      | health        | imha     | standard | not eligible, signposted                          |
| R4   | Tue 31 Mar 22:30      | social_worker | imha     | standard | (23:30 BST, still Q1) eligibility pending         |
| R5   | Mon 02 Feb 09:00      | self          | imha     | standard | allocation due Tue 09:00 fired -> E2; allocated Tue 12:00 (27 h); contact Wed 08:30 (47.5 h) |
| B-closed x15 | see CLOSED    |               |          |          | allocation met (1 h), first contact per CLOSED    |
| B-cancel | Tue 13 Jan 09:00  | social_worker | care_act | standard | allocated (1 h), cancelled before first contact   |
| B-open   | Thu 01 Jan 00:00  | care_provider | generic  | standard | allocated (1 h -> 0 working h: bank holiday), first contact pending |
| B-noelig x3 |                | social_worker, health, care_provider | care_act | standard | not eligible |

E1 (R2): manager review done -> resolved.  E2 (R5): manager review deadline fired -> commissioner
(level 2) -> contract review -> continue.  Bulk escalations: 2 resolved, 1 in progress, 1 level 2
ending improved; one more for a referral of another SLA (excluded).
Excluded referrals: 31 Mar 23:30 UTC (1 April in London), 31 Dec 2025 23:59:59 UTC, SLA south,
no SLA (the default).
"""

from __future__ import annotations

from service.cases.end_reasons import END_REASONS
from service.cases.reports.vocabulary import COMPLAINT_OUTCOMES, EQUALITY
from tests.reports.conftest import Casework

ELIGIBLE_IMHA = {"advocacy_type": "imha", "mha_status": "detained"}
OUTCOMES_YES = {
    f"outcome_{m}": "yes" for m in ("informed", "involved", "negotiated", "personal_achieved", "empowered")
}

# The 15 bulk closed cases: (received, source, type, urgency, working hours to first contact, first contact met).
# Each Monday 09:00 start, so h clock hours on working days = h working hours; the first is a bank holiday.
CLOSED = [
    (
        "2026-01-01T10:00:00+00:00",
        "self",
        "care_act",
        "standard",
        24,
        True,
    ),  # Thu bank holiday -> Fri 10:00: 10 h
    ("2026-01-12T09:00:00+00:00", "self", "care_act", "urgent", 1, True),
    ("2026-01-19T09:00:00+00:00", "self", "care_act", "urgent", 2, True),
    ("2026-01-26T09:00:00+00:00", "family", "care_act", "standard", 3, True),
    ("2026-02-09T09:00:00+00:00", "family", "care_act", "standard", 4, True),
    ("2026-02-16T09:00:00+00:00", "family", "care_act", "urgent", 5, False),
    ("2026-02-23T09:00:00+00:00", "social_worker", "care_act", "urgent", 6, False),
    ("2026-03-02T09:00:00+00:00", "social_worker", "ipa_wales", "standard", 8, True),
    ("2026-03-09T09:00:00+00:00", "social_worker", "ipa_wales", "standard", 12, True),
    ("2026-03-16T09:00:00+00:00", "social_worker", "ipa_wales", "standard", 16, True),
    ("2026-03-23T09:00:00+00:00", "social_worker", "ipa_wales", "standard", 20, True),
    ("2026-01-05T09:00:00+00:00", "health", "ipa_wales", "standard", 30, True),
    ("2026-01-12T09:00:00+00:00", "health", "imca", "standard", 40, True),
    ("2026-01-19T09:00:00+00:00", "health", "imca", "standard", 60, False),
    ("2026-01-26T09:00:00+00:00", "health", "imca", "standard", 80, False),
]
# Outcome answers of the 15 bulk closed cases (R1, the 16th closed case, answered yes to all).
ANSWERS = {
    "informed": ["yes"] * 10 + ["partly"] * 4 + ["no"],
    "involved": ["yes"] * 15,
    "negotiated": ["yes"] * 7 + ["partly"] * 8,
    "personal_achieved": ["yes"] * 4 + ["partly"] * 5 + ["no"] * 6,
    "empowered": ["partly"] * 3 + ["no"] * 12,
}
VOICE_HEARD = [True] * 12 + [False] * 3
SHAREABLE = {0, 1}

EXPECTED = {
    "sla": "north",
    "quarter": "2026Q1",
    "from": "2026-01-01",
    "to": "2026-03-31",
    "referrals": {
        "total": 25,
        "by_source": {
            "self": 5,
            "family": 4,
            "social_worker": 8,
            "health": 6,
            "care_provider": 2,
            "other": 0,
        },
        "by_advocacy_type": {"care_act": 11, "ipa_wales": 5, "imca": 3, "imha": 4, "generic": 2},
        "by_urgency": {"urgent": 5, "standard": 20},
    },
    "eligibility": {"eligible": 20, "not_eligible": 4, "pending": 1},
    "response_times": {
        # 20 allocation times: 0, 0 (both on the 1 January bank holiday), sixteen of 1 h, 2, 27 -> median 1, p90 1 + 0.1 * 1
        "allocation": {
            "met": 19,
            "missed": 1,
            "pending": 0,
            "median_working_hours": 1.0,
            "p90_working_hours": 1.1,
        },
        # 18 first-contact times: 1 2 3 4 5 6 8 10 12 | 16 19 20 24 30 40 47.5 60 80
        # median (12 + 16) / 2 = 14; p90 at rank 15.3: 47.5 + 0.3 * 12.5 = 51.25 -> 51.3 (half up)
        "first_contact": {
            "met": 13,
            "missed": 5,
            "pending": 1,
            "median_working_hours": 14.0,
            "p90_working_hours": 51.3,
        },
    },
    "escalations": {
        "started": 6,
        "level_2": 2,
        "contract_review": 1,
        "by_outcome": {
            "resolved": 3,
            "remedy_accepted": 0,
            "improved": 1,
            "contract_continued": 1,
            "decommissioned": 0,
            "cancelled": 0,
            "in_progress": 1,
        },
    },
    "cases": {"open": 4, "closed": 16},
    # over 16 closed cases: 11/16 = 68.75 -> 68.8, 1/16 = 6.25 -> 6.3, 5/16 = 31.25 -> 31.3, 3/16 = 18.75 -> 18.8
    "outcomes": {
        "informed": {"yes": 68.8, "partly": 25.0, "no": 6.3},
        "involved": {"yes": 100.0, "partly": 0.0, "no": 0.0},
        "negotiated": {"yes": 50.0, "partly": 50.0, "no": 0.0},
        "personal_achieved": {"yes": 31.3, "partly": 31.3, "no": 37.5},
        "empowered": {"yes": 6.3, "partly": 18.8, "no": 75.0},
    },
    "voice_heard_rate": 81.3,  # 13 / 16
    "stories": [
        {"outcome_story": "B0 story", "advocacy_type": "care_act"},  # 1 Jan
        {"outcome_story": "R1 found their voice", "advocacy_type": "imha"},  # 5 Jan 09:00
        {"outcome_story": "B1 story", "advocacy_type": "care_act"},  # 12 Jan
    ],
}


def no_additions(total: int) -> dict:
    """The second edition's sections of a return none of whose referrals recorded them (``total`` referrals)."""
    return {
        "safeguarding": {"concerns": 0, "referred": 0, "decision_in_time": 0},
        "complaints": {
            "received": 0,
            "by_outcome": dict.fromkeys(COMPLAINT_OUTCOMES, 0),
            "acknowledged_in_time": 0,
            "responded_in_time": 0,
        },
        "equality": {
            field: {**dict.fromkeys(values, 0), "not_recorded": total} for field, values in EQUALITY.items()
        },
        "ended_early": dict.fromkeys(END_REASONS, 0),
        "welsh_medium": {"requested": 0, "provided": 0},
    }


NO_RIGHTS = {"yes": None, "partly": None, "no": None}  # no closed non-instructed case
EXPECTED["outcomes"]["rights_upheld"] = NO_RIGHTS
EXPECTED |= no_additions(25)
EXPECTED["stories"] = EXPECTED.pop("stories")  # last, as the return orders its sections

FEW = "<5"
EXPECTED_COMMISSIONER = {
    **EXPECTED,
    "referrals": {
        "total": 25,
        "by_source": {
            "self": 5,
            "family": FEW,
            "social_worker": 8,
            "health": 6,
            "care_provider": FEW,
            "other": 0,
        },
        "by_advocacy_type": {"care_act": 11, "ipa_wales": 5, "imca": FEW, "imha": FEW, "generic": FEW},
        "by_urgency": {"urgent": 5, "standard": 20},
    },
    "eligibility": {"eligible": 20, "not_eligible": FEW, "pending": FEW},
    "response_times": {
        "allocation": {
            "met": 19,
            "missed": FEW,
            "pending": 0,
            "median_working_hours": 1.0,
            "p90_working_hours": 1.1,
        },
        "first_contact": {
            "met": 13,
            "missed": 5,
            "pending": FEW,
            "median_working_hours": 14.0,
            "p90_working_hours": 51.3,
        },
    },
    "escalations": {
        "started": 6,
        "level_2": FEW,
        "contract_review": FEW,
        "by_outcome": {
            "resolved": FEW,
            "remedy_accepted": 0,
            "improved": FEW,
            "contract_continued": FEW,
            "decommissioned": 0,
            "cancelled": 0,
            "in_progress": FEW,
        },
    },
    "cases": {"open": FEW, "closed": 16},
    # R1's type, imha, closed once this quarter (fewer than 5): its story does not name it
    "stories": [
        {**story, "advocacy_type": None} if story["advocacy_type"] == "imha" else story
        for story in EXPECTED["stories"]
    ],
}


def _bulk_vars(source: str, kind: str, urgency: str, sla: str = "north", **more) -> dict:
    return {
        "person_ref": "B-0001",
        "referral_source": source,
        "advocacy_type": kind,
        "urgency": urgency,
        "sla_key": sla,
        **more,
    }


def build_real(cw: Casework) -> dict[str, str]:
    """R1..R5 and the excluded real referrals, through the engine."""
    r1 = cw.start("2026-01-05T09:00:00+00:00", "self", "imha")
    cw.complete(r1, "assess_eligibility", ELIGIBLE_IMHA, "2026-01-05T10:00:00+00:00")
    cw.complete(
        r1,
        "allocate_advocate",
        {"advocate": "advocate1", "instruction": "instructed"},
        "2026-01-05T11:00:00+00:00",
    )
    cw.complete(
        r1,
        "first_contact",
        {"first_contact_at": "2026-01-06T09:00:00+00:00", "contact_method": "phone"},
        "2026-01-06T09:05:00+00:00",
        user="advocate1",
    )
    cw.complete(
        r1,
        "advocacy_work",
        {"work_date": "2026-01-07", "actions_taken": "met", "more_work_needed": False},
        "2026-01-07T10:00:00+00:00",
        user="advocate1",
    )
    cw.complete(
        r1,
        "record_outcomes",
        {
            **OUTCOMES_YES,
            "voice_heard": True,
            "outcome_story": "R1 found their voice",
            "story_shareable": True,
        },
        "2026-01-07T11:00:00+00:00",
        user="advocate1",
    )
    cw.complete(r1, "closure_review", {"closure_decision": "approve"}, "2026-01-07T12:00:00+00:00")

    r2 = cw.start("2026-01-09T15:00:00+00:00", "family", "generic", urgency="urgent")
    cw.complete(
        r2,
        "assess_eligibility",
        {"advocacy_type": "generic", "meets_service_criteria": True},
        "2026-01-09T15:30:00+00:00",
    )
    cw.complete(
        r2,
        "allocate_advocate",
        {"advocate": "advocate1", "instruction": "instructed"},
        "2026-01-09T16:00:00+00:00",
    )
    cw.fire(r2, "first_contact_sla", "2026-01-09T19:00:01+00:00")
    cw.complete(
        r2,
        "first_contact",
        {"first_contact_at": "2026-01-12T10:00:00+00:00", "contact_method": "in_person"},
        "2026-01-12T10:30:00+00:00",
        user="advocate1",
    )
    e1 = cw.escalation(r2, "first_contact")
    cw.complete(
        e1,
        "manager_review",
        {"cause": "illness", "remedial_action": "cover rota"},
        "2026-01-12T11:00:00+00:00",
    )

    r3 = cw.start("2026-02-04T12:00:00+00:00", "health", "imha")
    cw.complete(
        r3,
        "assess_eligibility",
        {"advocacy_type": "imha", "mha_status": "short_term_section"},
        "2026-02-04T13:00:00+00:00",
    )
    cw.complete(r3, "signpost", {"signposted_to": "advice_service"}, "2026-02-04T14:00:00+00:00")

    r4 = cw.start("2026-03-31T22:30:00+00:00", "social_worker", "imha")

    r5 = cw.start("2026-02-02T09:00:00+00:00", "self", "imha")
    cw.complete(r5, "assess_eligibility", ELIGIBLE_IMHA, "2026-02-02T10:00:00+00:00")
    cw.fire(r5, "allocation_sla", "2026-02-03T09:00:01+00:00")
    cw.complete(
        r5,
        "allocate_advocate",
        {"advocate": "advocate1", "instruction": "instructed"},
        "2026-02-03T12:00:00+00:00",
    )
    cw.complete(
        r5,
        "first_contact",
        {"first_contact_at": "2026-02-04T08:30:00+00:00", "contact_method": "video"},
        "2026-02-04T08:30:00+00:00",
        user="advocate1",
    )
    e2 = cw.escalation(r5, "allocation")
    cw.fire(e2, "manager_review_deadline", "2026-02-04T09:00:02+00:00")
    cw.complete(
        e2,
        "commissioner_review",
        {"commissioner_decision": "contract_review"},
        "2026-02-05T10:00:00+00:00",
        user="commissioner1",
    )
    cw.complete(
        e2,
        "contract_review",
        {"contract_review_outcome": "continue"},
        "2026-02-06T10:00:00+00:00",
        user="commissioner1",
    )
    cw.complete(  # the manager's task stayed open past the deadline: the late explanation ends it
        e2,
        "manager_review",
        {"cause": "Referral surge after a ward closure.", "remedial_action": "Duty advocate rota."},
        "2026-02-06T11:00:00+00:00",
    )

    cw.start("2026-03-31T23:30:00+00:00", "self", "imha")  # 1 April in London: Q2
    cw.start("2025-12-31T23:59:59+00:00", "self", "imha")  # Q4 2025
    default = cw.start("2026-02-10T09:00:00+00:00", "other", "imha", sla=None)  # the default SLA
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5, "e1": e1, "e2": e2, "default": default}


def build_bulk(cw: Casework) -> None:
    from datetime import timedelta

    from tests.reports.conftest import t

    for i, (received, source, kind, urgency, hours, met) in enumerate(CLOSED):
        start = t(received)
        contact = start + timedelta(hours=hours)
        answers = {f"outcome_{m}": ANSWERS[m][i] for m in ANSWERS}
        story = f"B{i} story" if i in SHAREABLE else f"B{i} private story"
        variables = _bulk_vars(
            source,
            kind,
            urgency,
            eligible=True,
            advocate="advocate1",
            instruction="instructed",
            first_contact_at=contact.isoformat(),
            voice_heard=VOICE_HEARD[i],
            outcome_story=story,
            story_shareable=i in SHAREABLE,
            closure_decision="approve",
            **answers,
        )
        cw.insert_referral(
            received,
            variables,
            status="completed",
            end_state="closed",
            milestones={
                "allocation": ("cancelled", (start + timedelta(hours=1)).isoformat()),
                "first_contact": ("cancelled" if met else "fired", contact.isoformat()),
            },
        )
    cw.insert_referral(
        "2026-01-13T09:00:00+00:00",
        _bulk_vars("social_worker", "care_act", "standard", eligible=True),
        status="cancelled",
        milestones={
            "allocation": ("cancelled", "2026-01-13T10:00:00+00:00"),
            "first_contact": ("cancelled", None),
        },
    )
    opened = cw.insert_referral(
        "2026-01-01T00:00:00+00:00",
        _bulk_vars("care_provider", "generic", "standard", eligible=True),
        milestones={
            "allocation": ("cancelled", "2026-01-01T01:00:00+00:00"),
            "first_contact": ("pending", None),
        },
    )
    for source in ("social_worker", "health", "care_provider"):
        cw.insert_referral(
            "2026-03-03T09:00:00+00:00",
            _bulk_vars(source, "care_act", "standard", eligible=False),
            status="completed",
            end_state="not_eligible",
        )
    cw.insert_escalation(opened, status="completed", end_state="resolved", reached=())
    cw.insert_escalation(opened, status="completed", end_state="resolved", reached=())
    cw.insert_escalation(opened, status="running", end_state=None, reached=())
    cw.insert_escalation(opened, status="completed", end_state="improved", reached=("commissioner_review",))
    # Excluded: other SLAs.
    south = cw.insert_referral(
        "2026-02-02T09:00:00+00:00", _bulk_vars("self", "imha", "standard", sla="south")
    )
    cw.insert_escalation(south, status="completed", end_state="resolved", reached=())
    cw.insert_referral("2026-02-03T09:00:00+00:00", _bulk_vars("family", "imca", "urgent", sla="default"))


def build(cw: Casework) -> dict[str, str]:
    ids = build_real(cw)
    build_bulk(cw)
    return ids
