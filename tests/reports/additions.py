"""A synthetic 2026Q1 for the second edition's sections of the return (SLA ``north``), every figure known.

Real instances, through the use cases:

| case | received (UTC)   | what                                                                          |
|------|------------------|-------------------------------------------------------------------------------|
| S1   | Mon 05 Jan 09:00 | business key REF-NORTH-1; equality A; Welsh-medium requested, allocated to a Welsh speaker; four safeguarding concerns: referred in time, referred late (timer fired), not referred in time, still open |
| S2   | Tue 13 Jan 09:00 | equality B; non-instructed; rights upheld "partly"; closed; shareable story    |
| S3   | Wed 14 Jan 09:00 | ended early by the manager's step: person_declined                             |
| S4   | Thu 15 Jan 09:00 | cancelled with reason_code duplicate                                          |
| C1   | complaint 02 Feb | case_ref REF-SOUTH-1 (a south referral): south's return, not north's          |
| C2   | complaint 09 Feb | case_ref REF-NORTH-1: acknowledged in time, response timer fired, upheld      |

Bulk rows: 6 closed non-instructed imca cases (rights yes x3, partly, no x2; each with voice_heard
true, which must not count), 5 closed instructed care_act cases (voice heard x4; equality C), one
closed instructed generic case (voice not heard, communication needs []), 5 ended early
(moved_out_of_area; one with needs [prefer_not_to_say, bsl]), one cancel with person_died, one
cancel without a reason (not counted); 3 safeguarding concerns as rows on a care_act case (2 referred
in time, 1 not referred and late) and one on a south referral (not counted); 4 complaints naming
REF-NORTH-1, and complaints of the default SLA's return (no case_ref, an unknown case_ref, a referral
without sla_key, a complaint whose own sla_key is north but names no case) and one of Q2 (excluded).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from service.access import auth
from service.access.permissions import Actor
from service.cases import casework_actions, instances, slas
from service.store.models import Deadline, HistoryEvent, ProcessDefinition, ProcessInstance, Task
from tests.reports.conftest import Casework, t
from tests.reports.quarter import ELIGIBLE_IMHA

MANAGER = Actor("manager1", "manager")
YES5 = {
    f"outcome_{m}": "yes" for m in ("informed", "involved", "negotiated", "personal_achieved", "empowered")
}
EQUALITY_A = {
    "age_band": "25_34",
    "sex": "female",
    "ethnicity": "white",
    "disability": "yes",
    "primary_need": "mental_health",
    "carer": "no",
    "preferred_language": "cy",
    "welsh_medium_requested": True,
    "communication_needs": ["bsl", "easy_read"],
}
EQUALITY_B = {
    "age_band": "85_plus",
    "sex": "male",
    "ethnicity": "prefer_not_to_say",
    "preferred_language": "en",
    "communication_needs": ["none"],
}


def _c(ethnicity: str) -> dict[str, Any]:
    return {
        "age_band": "45_54",
        "sex": "female",
        "ethnicity": ethnicity,
        "disability": "no",
        "primary_need": "dementia",
        "carer": "yes",
        "preferred_language": "other",
        "communication_needs": ["interpreter"],
    }


EQUALITY_C = [_c("asian"), _c("asian"), _c("black"), _c("black"), _c("black")]


def _z(values: tuple[str, ...], **counts: int) -> dict[str, int]:
    return {**dict.fromkeys(values, 0), **counts}


AGE = (
    "under_18",
    "18_24",
    "25_34",
    "35_44",
    "45_54",
    "55_64",
    "65_74",
    "75_84",
    "85_plus",
    "prefer_not_to_say",
)
NEEDS = ("learning_disability", "mental_health", "dementia", "physical_disability", "sensory", "autism")
NEEDS = (*NEEDS, "acquired_brain_injury", "other", "prefer_not_to_say")
COMMUNICATION = (
    "bsl",
    "interpreter",
    "easy_read",
    "large_print",
    "hearing_loop",
    "none",
    "prefer_not_to_say",
)
REASONS = (
    "person_declined",
    "person_died",
    "moved_out_of_area",
    "no_longer_eligible",
    "referred_elsewhere",
    "duplicate",
    "other",
)
TOTAL = 23  # north referrals of the quarter: S1-S4 and 19 bulk

EXPECTED = {
    "safeguarding": {"concerns": 7, "referred": 4, "decision_in_time": 4},
    "complaints": {
        "received": 5,
        "by_outcome": {
            "upheld": 1,
            "partly_upheld": 0,
            "not_upheld": 2,
            "withdrawn": 1,
            "in_progress": 1,
            "cancelled": 0,
        },
        "acknowledged_in_time": 4,
        "responded_in_time": 2,
    },
    "equality": {
        "age_band": _z(AGE, **{"25_34": 1, "85_plus": 1, "45_54": 5}, not_recorded=16),
        "sex": _z(("female", "male", "other", "prefer_not_to_say"), female=6, male=1, not_recorded=16),
        "ethnicity": _z(
            ("asian", "black", "mixed", "white", "other", "prefer_not_to_say"),
            white=1,
            prefer_not_to_say=1,
            asian=2,
            black=3,
            not_recorded=16,
        ),
        "disability": _z(("yes", "no", "prefer_not_to_say"), yes=1, no=5, not_recorded=17),
        "primary_need": _z(NEEDS, mental_health=1, dementia=5, not_recorded=17),
        "carer": _z(("yes", "no", "prefer_not_to_say"), no=1, yes=5, not_recorded=17),
        "preferred_language": _z(
            ("en", "cy", "other", "prefer_not_to_say"), cy=1, en=1, other=5, not_recorded=16
        ),
        "communication_needs": _z(
            COMMUNICATION, bsl=2, easy_read=1, none=1, interpreter=5, prefer_not_to_say=1, not_recorded=15
        ),
    },
    "ended_early": _z(REASONS, person_declined=1, duplicate=1, moved_out_of_area=5, person_died=1),
    "welsh_medium": {"requested": 5, "provided": 3},
    # 7 closed non-instructed: yes 3, partly 2 (S2 and one row), no 2
    "rights_upheld": {"yes": 42.9, "partly": 28.6, "no": 28.6},
    "voice_heard_rate": 66.7,  # 4 of the 6 closed instructed cases (the non-instructed' voice_heard left out)
    "stories": [
        {"outcome_story": "S2 story", "advocacy_type": "imca"},  # 13 Jan
        {"outcome_story": "C0 story", "advocacy_type": "care_act"},  # 19 Jan
        {"outcome_story": "G story", "advocacy_type": "generic"},  # 20 Jan
    ],
}
FEW = "<5"
EXPECTED_COMMISSIONER = {
    "safeguarding": {"concerns": 7, "referred": FEW, "decision_in_time": FEW},
    "complaints": {
        "received": 5,
        "by_outcome": {
            "upheld": FEW,
            "partly_upheld": 0,
            "not_upheld": FEW,
            "withdrawn": FEW,
            "in_progress": FEW,
            "cancelled": 0,
        },
        "acknowledged_in_time": FEW,
        "responded_in_time": FEW,
    },
    "equality": {
        field: {k: FEW if 0 < v < 5 else v for k, v in values.items()}
        for field, values in EXPECTED["equality"].items()
    },
    "ended_early": _z(REASONS, person_declined=FEW, duplicate=FEW, moved_out_of_area=5, person_died=FEW),
    "welsh_medium": {"requested": 5, "provided": FEW},
    "rights_upheld": EXPECTED["rights_upheld"],  # over 7
    "voice_heard_rate": 66.7,  # over 6
    "stories": [
        {"outcome_story": "S2 story", "advocacy_type": "imca"},  # 7 imca closed
        {"outcome_story": "C0 story", "advocacy_type": "care_act"},  # exactly 5 care_act closed: kept
        {"outcome_story": "G story", "advocacy_type": None},  # one generic closed
    ],
}
DEFAULT_COMPLAINTS = (
    4  # the default SLA's return: no case_ref, unknown ref, referral without sla_key, own sla_key
)


def _bulk(kind: str, **more) -> dict[str, Any]:
    return {
        "person_ref": "B-0002",
        "referral_source": "self",
        "advocacy_type": kind,
        "urgency": "standard",
        "sla_key": "north",
        "eligible": True,
        **more,
    }


def _definition(session, key: str) -> ProcessDefinition:
    return session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)).first()


def set_business_key(cw: Casework, instance_id: str, key: str) -> None:
    def run(session):
        session.get(ProcessInstance, instance_id).business_key = key

    cw.db.run(run)


def insert_concern(
    cw: Casework, instance_id: str, seq: int, raised: str, decided: str | None, referred: bool, fired: bool
) -> None:
    """One safeguarding concern as the rows the service writes: task, SLA deadline, completion event."""

    def run(session):
        start = t(raised)
        task_id = str(uuid.uuid4())
        session.add(
            Task(
                id=task_id,
                instance_id=instance_id,
                process_key="referral_casework",
                activity_id="safeguarding_decision",
                name="Safeguarding decision",
                role="manager",
                status="completed" if decided else "open",
                created_at=start,
                completed_at=t(decided) if decided else None,
            )
        )
        session.add(
            Deadline(
                instance_id=instance_id,
                task_id=str(uuid.uuid4()),
                activity_id="safeguarding_decision_sla",
                attached_to="safeguarding_decision",
                kind="sla",
                milestone="safeguarding_decision",
                due_at=start + timedelta(days=1),
                status="fired" if fired else ("cancelled" if decided else "pending"),
                fired_at=start + timedelta(days=1) if fired else None,
                created_at=start,
            )
        )
        if decided:
            data = {"data": {"safeguarding_referred": referred, "safeguarding_advocate_role": "none"}}
            session.add(
                HistoryEvent(
                    instance_id=instance_id,
                    seq=seq,
                    at=t(decided).isoformat(timespec="microseconds"),
                    type="task_completed",
                    actor="manager1",
                    activity_id="safeguarding_decision",
                    task_id=task_id,
                    data=json.dumps(data, sort_keys=True, separators=(",", ":")),
                    prev_hash="0" * 64,
                    hash=f"{seq:064d}",
                )
            )

    cw.db.run(run)


def insert_complaint(
    cw: Casework,
    received: str,
    variables: dict[str, Any],
    *,
    status: str = "completed",
    acknowledged: bool | None = True,
    responded: bool | None = True,
) -> str:
    """A complaint as rows; ``acknowledged`` / ``responded``: in time (True), late (False), not yet (None)."""

    def run(session):
        definition = _definition(session, "complaint")
        start = t(received)
        instance = ProcessInstance(
            id=str(uuid.uuid4()),
            definition_id=definition.id,
            process_key="complaint",
            version=definition.version,
            status=status,
            end_state="resolved" if status == "completed" else None,
            variables={
                "complainant_type": "person",
                "complaint_about": "service",
                **variables,
                "received_at": start.isoformat(),
            },
            waiting_messages={},
            state="{}",
            last_seq=0,
            started_at=start,
        )
        session.add(instance)
        session.flush()
        sla = slas.find(session, variables.get("sla_key"))
        for milestone, activity, met in (
            ("complaint_acknowledgement", "acknowledge_complaint", acknowledged),
            ("complaint_response", "respond_to_complaint", responded),
        ):
            due = slas.due(sla, milestone, start, None)
            done = None if met is None else (due - timedelta(hours=1) if met else due + timedelta(hours=1))
            session.add(
                Deadline(
                    instance_id=instance.id,
                    task_id=str(uuid.uuid4()),
                    activity_id=f"{milestone}_sla",
                    attached_to=activity,
                    kind="sla",
                    milestone=milestone,
                    due_at=due,
                    status="pending" if met is None else ("cancelled" if met else "fired"),
                    fired_at=due if met is False else None,
                    created_at=start,
                )
            )
            session.add(
                Task(
                    id=str(uuid.uuid4()),
                    instance_id=instance.id,
                    process_key="complaint",
                    activity_id=activity,
                    name=activity,
                    role="manager",
                    status="open" if done is None else "completed",
                    created_at=start,
                    completed_at=done,
                )
            )
        return instance.id

    return cw.db.run(run)


# -- real instances ------------------------------------------------------------------------------


def _start(cw: Casework, received: str, kind: str, more: dict[str, Any], sla: str = "north") -> str:
    variables = {
        "person_ref": f"P-{uuid.uuid4().hex[:8]}1",
        "referral_source": "self",
        "advocacy_type": kind,
        "urgency": "standard",
        "received_at": received,
        "sla_key": sla,
        **more,
    }
    return cw.db.run(
        lambda s: instances.start_instance(s, MANAGER, "referral_casework", variables, now=t(received)).id
    )


def _raise(cw: Casework, instance_id: str, at: str) -> None:
    cw.db.run(lambda s: casework_actions.raise_safeguarding_concern(s, MANAGER, instance_id, now=t(at)))


def _allocated(cw: Casework, received: str, kind: str, instruction: str, more: dict[str, Any]) -> str:
    day = received[:10]
    eligibility = ELIGIBLE_IMHA if kind == "imha" else {"advocacy_type": "imca", "lacks_capacity": True}
    if kind == "imca":
        eligibility |= {"imca_decision": "serious_medical_treatment", "anyone_appropriate_to_consult": False}
    case = _start(cw, received, kind, more)
    cw.complete(case, "assess_eligibility", eligibility, f"{day}T10:00:00+00:00")
    cw.complete(
        case,
        "allocate_advocate",
        {"advocate": "advocate1", "instruction": instruction},
        f"{day}T11:00:00+00:00",
    )
    return case


def build_real(cw: Casework) -> dict[str, str]:
    cw.db.run(auth.set_languages, "advocate1", ["en", "cy"])
    s1 = _allocated(cw, "2026-01-05T09:00:00+00:00", "imha", "instructed", EQUALITY_A)
    set_business_key(cw, s1, "REF-NORTH-1")
    decision = {"safeguarding_advocate_role": "none"}
    referred = {**decision, "safeguarding_referred": True, "safeguarding_reference": "LA-1"}
    _raise(cw, s1, "2026-01-06T09:00:00+00:00")
    cw.complete(s1, "safeguarding_decision", referred, "2026-01-06T15:00:00+00:00")  # in time
    _raise(cw, s1, "2026-01-07T09:00:00+00:00")
    cw.fire(s1, "safeguarding_decision_sla", "2026-01-08T09:00:01+00:00")
    cw.complete(s1, "safeguarding_decision", referred, "2026-01-08T12:00:00+00:00")  # late
    _raise(cw, s1, "2026-01-09T09:00:00+00:00")
    cw.complete(
        s1, "safeguarding_decision", {**decision, "safeguarding_referred": False}, "2026-01-09T10:00:00+00:00"
    )
    _raise(cw, s1, "2026-01-12T09:00:00+00:00")  # still open

    s2 = _allocated(cw, "2026-01-13T09:00:00+00:00", "imca", "non_instructed", EQUALITY_B)
    cw.complete(
        s2,
        "first_contact",
        {"first_contact_at": "2026-01-13T14:00:00+00:00", "contact_method": "in_person"},
        "2026-01-13T14:05:00+00:00",
        user="advocate1",
    )
    cw.complete(
        s2,
        "advocacy_work",
        {"work_date": "2026-01-14", "actions_taken": "met", "more_work_needed": False},
        "2026-01-14T10:00:00+00:00",
        user="advocate1",
    )
    cw.complete(
        s2,
        "record_outcomes",
        {**YES5, "rights_upheld": "partly", "outcome_story": "S2 story", "story_shareable": True},
        "2026-01-14T11:00:00+00:00",
        user="advocate1",
    )
    cw.complete(s2, "closure_review", {"closure_decision": "approve"}, "2026-01-14T12:00:00+00:00")

    s3 = _allocated(cw, "2026-01-14T09:00:00+00:00", "imha", "instructed", {})
    cw.db.run(
        lambda s: casework_actions.request_early_end(s, MANAGER, s3, now=t("2026-01-15T09:00:00+00:00"))
    )
    cw.complete(s3, "end_case_early", {"end_reason": "person_declined"}, "2026-01-15T10:00:00+00:00")

    s4 = _start(cw, "2026-01-15T09:00:00+00:00", "imha", {})
    cw.db.run(
        lambda s: instances.cancel_instance(
            s, MANAGER, s4, "sent twice", now=t("2026-01-15T10:00:00+00:00"), reason_code="duplicate"
        )
    )

    def complaint(received: str, case_ref: str) -> str:
        variables = {
            "complainant_type": "representative",
            "complaint_about": "delay",
            "received_at": received,
            "case_ref": case_ref,
        }
        return cw.db.run(
            lambda s: instances.start_instance(s, MANAGER, "complaint", variables, now=t(received)).id
        )

    c1 = complaint("2026-02-02T09:00:00+00:00", "REF-SOUTH-1")
    c2 = complaint("2026-02-09T09:00:00+00:00", "REF-NORTH-1")
    cw.complete(
        c2,
        "acknowledge_complaint",
        {
            "acknowledged_at": "2026-02-10T09:00:00+00:00",
            "acknowledgement_method": "letter",
            "discussion_offered": True,
        },
        "2026-02-10T09:00:00+00:00",
    )
    cw.complete(
        c2,
        "investigate_complaint",
        {"investigator": "manager1", "investigation_findings": "The first contact was late."},
        "2026-02-20T09:00:00+00:00",
    )
    cw.fire(c2, "complaint_response_sla", "2026-03-09T09:00:01+00:00")
    cw.complete(
        c2,
        "respond_to_complaint",
        {"complaint_outcome": "upheld", "learning": "Cover rota.", "complainant_satisfied": True},
        "2026-03-10T09:00:00+00:00",
    )
    return {"s1": s1, "s2": s2, "s3": s3, "s4": s4, "c1": c1, "c2": c2}


# -- bulk rows -----------------------------------------------------------------------------------


def build_bulk(cw: Casework) -> None:
    closed = {"status": "completed", "end_state": "closed"}
    rights = ["yes", "yes", "yes", "partly", "no", "no"]
    welsh = [(True, True), (True, True), (True, False), (True, False), (False, True), (None, None)]
    for i, answer in enumerate(rights):
        requested, provided = welsh[i]
        more: dict[str, Any] = {"instruction": "non_instructed", "rights_upheld": answer, "voice_heard": True}
        if requested is not None:
            more |= {"welsh_medium_requested": requested, "welsh_medium_provided": provided}
        cw.insert_referral(f"2026-02-{2 + i:02d}T09:00:00+00:00", _bulk("imca", **more), **closed)
    for i, equality in enumerate(EQUALITY_C):
        story = {"outcome_story": "C0 story", "story_shareable": True} if i == 0 else {}
        variables = _bulk("care_act", instruction="instructed", voice_heard=i < 4, **equality, **story)
        cw.insert_referral(f"2026-01-{19 + i:02d}T08:00:00+00:00", variables, **closed)
    cw.insert_referral(
        "2026-01-20T09:00:00+00:00",
        _bulk(
            "generic",
            instruction="instructed",
            voice_heard=False,
            communication_needs=[],
            outcome_story="G story",
            story_shareable=True,
        ),
        **closed,
    )
    for i in range(5):
        needs = {"communication_needs": ["prefer_not_to_say", "bsl"]} if i == 0 else {}
        cw.insert_referral(
            f"2026-03-{2 + i:02d}T09:00:00+00:00",
            _bulk("care_act", end_reason="moved_out_of_area", **needs),
            status="completed",
            end_state="ended_early",
        )
    cw.insert_referral(
        "2026-03-10T09:00:00+00:00", _bulk("imha", end_reason="person_died"), status="cancelled"
    )
    cw.insert_referral("2026-03-11T09:00:00+00:00", _bulk("imha"), status="cancelled")  # no reason recorded

    # Safeguarding rows on a care_act case of north (received 19 Jan, the first of EQUALITY_C's) ...
    with_concerns = cw.db.read(
        lambda s: s.scalars(
            select(ProcessInstance.id).where(
                ProcessInstance.process_key == "referral_casework",
                ProcessInstance.variables["outcome_story"].as_string() == "C0 story",
            )
        ).one()
    )
    insert_concern(
        cw, with_concerns, 1, "2026-01-20T09:00:00+00:00", "2026-01-20T10:00:00+00:00", True, False
    )
    insert_concern(
        cw, with_concerns, 2, "2026-01-21T09:00:00+00:00", "2026-01-21T10:00:00+00:00", True, False
    )
    insert_concern(
        cw, with_concerns, 3, "2026-01-22T09:00:00+00:00", "2026-01-23T12:00:00+00:00", False, True
    )
    # ... and one on a south referral, which is not north's.
    south = cw.insert_referral("2026-02-02T09:00:00+00:00", _bulk("imha", sla_key="south"))
    set_business_key(cw, south, "REF-SOUTH-1")
    insert_concern(cw, south, 1, "2026-02-03T09:00:00+00:00", "2026-02-03T10:00:00+00:00", True, False)
    # A referral of the default SLA (no sla_key) with a business key.
    default = cw.insert_referral(
        "2026-02-03T09:00:00+00:00", {k: v for k, v in _bulk("imha").items() if k != "sla_key"}
    )
    set_business_key(cw, default, "REF-DEFAULT-1")

    north = {"case_ref": "REF-NORTH-1"}
    insert_complaint(cw, "2026-02-16T09:00:00+00:00", {**north, "complaint_outcome": "not_upheld"})
    insert_complaint(
        cw, "2026-02-17T09:00:00+00:00", {**north, "complaint_outcome": "not_upheld"}, responded=False
    )
    insert_complaint(
        cw, "2026-02-18T09:00:00+00:00", {**north, "complaint_outcome": "withdrawn"}, acknowledged=False
    )
    insert_complaint(cw, "2026-02-19T09:00:00+00:00", north, status="running", responded=None)
    insert_complaint(cw, "2026-04-01T09:00:00+00:00", {**north, "complaint_outcome": "upheld"})  # Q2
    insert_complaint(cw, "2026-02-20T09:00:00+00:00", {"complaint_outcome": "upheld"})  # no case_ref: default
    insert_complaint(
        cw, "2026-02-20T09:00:00+00:00", {"case_ref": "NO-SUCH-CASE", "complaint_outcome": "withdrawn"}
    )  # default
    insert_complaint(
        cw, "2026-02-20T09:00:00+00:00", {"case_ref": "REF-DEFAULT-1", "complaint_outcome": "withdrawn"}
    )  # default
    insert_complaint(
        cw, "2026-02-20T09:00:00+00:00", {"sla_key": "north", "complaint_outcome": "withdrawn"}
    )  # its own sla_key: still default


def build(cw: Casework) -> dict[str, str]:
    ids = build_real(cw)
    build_bulk(cw)
    return ids
