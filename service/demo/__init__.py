"""Demo data, loaded through the use cases the API calls: users, SLAs, and instances at every step.

``advocacy-flow demo`` (after ``advocacy-flow deploy``) creates one user per role, two negotiated
SLAs besides the default, a commissioning cycle in each stage, referrals at each step of
``referral_casework`` (some overdue, some escalated), and candidates at each check of
``recruitment_vetting``.  Person and candidate references are pseudonymous.  A story that took
months is replayed at the moments it happened: the loader keeps its own clock, and fires each
deadline due on the way at its due moment, as the scheduler would have.  Referrals received
days ago whose targets have passed are left for the scheduler, which escalates them when it runs.

Running it again changes nothing: if the demo users exist, it says so and stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access import auth
from service.access.permissions import Actor
from service.base.quarter import Quarter
from service.cases import instances, slas
from service.cases.definitions import latest_definition
from service.scheduler import enforcer as scheduler
from service.store.models import Deadline, ProcessInstance, Task, User
from service.store.uow import Database

DEMO_PASSWORD = "demo-password"
DEMO_USERS = [
    ("admin1", "admin"),
    ("commissioner1", "commissioner"),
    ("manager1", "manager"),
    ("manager2", "manager"),
    ("advocate1", "advocate"),
    ("advocate2", "advocate"),
    ("auditor1", "auditor"),
]
ROLES = dict(DEMO_USERS)
PROCESSES = ("referral_casework", "sla_escalation", "recruitment_vetting", "commissioning_cycle")

SLAS = {
    "north-borough-2026": {
        "provider": "Advocacy North CIC",
        "commissioner": "North Borough Council",
        "targets": {"allocation": "P1D", "first_contact": "P2D", "escalation_response": "P1D"},
        "urgent": {"first_contact": "PT4H"},
        "calendar": "working_days",
        "breach_threshold": 3,
    },
    "west-vale-imha-2026": {
        "provider": "Vale Voices",
        "commissioner": "West Vale Health Board",
        "targets": {"allocation": "PT12H", "first_contact": "P3D", "escalation_response": "P1D"},
        "urgent": {"allocation": "PT2H", "first_contact": "PT6H"},
        "calendar": "clock",
        "breach_threshold": 5,
    },
}


def _day(moment: datetime, days: int = 0) -> str:
    return (moment + timedelta(days=days)).date().isoformat()


def _months_later(start: date, months: int) -> date:
    month = start.month - 1 + months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1, day=1)


class _Loader:
    """Runs each use case in its own transaction at the loader's clock ``now``."""

    def __init__(self, database: Database, now: datetime) -> None:
        self.db = database
        self.now = now

    def at(self, moment: datetime) -> _Loader:
        self.now = moment
        return self

    def later(self, **delta: float) -> _Loader:
        self.now += timedelta(**delta)
        return self

    def start(self, process: str, variables: dict[str, Any], actor: str, key: str | None = None) -> str:
        def run(session: Session) -> str:
            return instances.start_instance(
                session, Actor(actor, ROLES[actor]), process, variables, business_key=key, now=self.now
            ).id

        return self.db.run(run)

    def complete(self, instance_id: str, activity_id: str, data: dict[str, Any], actor: str) -> None:
        def run(session: Session) -> None:
            task = session.scalars(
                select(Task).where(
                    Task.instance_id == instance_id, Task.activity_id == activity_id, Task.status == "open"
                )
            ).one()
            instances.complete_task(session, Actor(actor, ROLES[actor]), task.id, data, now=self.now)

        self.db.run(run)
        self.later(hours=2)

    def message(self, name: str, key: str, payload: dict[str, Any]) -> None:
        self.db.run(instances.deliver_message, Actor("manager1", "manager"), name, key, payload, now=self.now)

    def fire_due(self, instance_ids: list[str], until: datetime) -> None:
        """Fire the deadlines of these instances due by ``until``, each at its due moment (the scheduler's job)."""
        while True:
            with self.db.sessions() as session:
                found = session.execute(
                    select(Deadline.id, Deadline.due_at)
                    .where(
                        Deadline.instance_id.in_(instance_ids),
                        Deadline.status == "pending",
                        Deadline.due_at <= until,
                    )
                    .order_by(Deadline.due_at, Deadline.id)
                    .limit(1)
                ).first()
            if found is None:
                break
            self.now = max(self.now, found.due_at)
            self.db.run(scheduler.fire, found.id, self.now)


# -- users and SLAs ---------------------------------------------------------------------------


def _users(session: Session) -> list[str]:
    created = []
    for username, role in DEMO_USERS:
        if session.scalars(select(User).where(User.username == username)).first() is None:
            auth.create_user(session, username, role, DEMO_PASSWORD)
            created.append(username)
    return created


def _slas(session: Session) -> list[str]:
    slas.ensure_default(session)
    created = []
    for key, data in SLAS.items():
        if session.get(slas.Sla, key) is None:
            slas.save_sla(session, key, data, create=True)
            created.append(key)
    return created


# -- commissioning cycles: one in each stage ------------------------------------------------------


def _cycle_data(moment: datetime) -> dict[str, dict[str, Any]]:
    """The commissioner's answers, dated from ``moment`` (the cycle's start)."""
    contract_start = _months_later(moment.date(), 5)
    contract_end = _months_later(contract_start, 36) - timedelta(days=1)
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
            "eia_completed_on": _day(moment, 20),
            "eia_adverse_impact_found": False,
            "eia_summary": "No adverse impact; positive for carers and for people with sensory impairments.",
        },
        "gap_analysis": {"gap_summary": "No specialist advocacy for people with sensory impairments."},
        "strategy_and_outcomes": {
            "strategy_summary": "One provider, with outreach to under-served groups.",
            "agreed_outcomes": ["People feel listened to", "People know their rights"],
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
            "tender_published_on": _day(moment, 60),
            "tender_closing_date": _day(moment, 90),
        },
        "evaluate_bids": {
            "bids_received": 3,
            "compliant_bids": 2,
            "evaluation_summary": "Advocacy North scored highest on quality and social value.",
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
        },
    }


ANALYSE = ["needs_assessment", "coproduction", "market_analysis", "equality_impact_assessment"]
PLAN = ["gap_analysis", "strategy_and_outcomes", "choose_service_model", "business_case_approval"]
PROCURE = ["choose_procurement_route", "publish_tender"]
AWARD = ["evaluate_bids", "award_contract", "negotiate_sla", "mobilisation"]


def _cycle(load: _Loader, now: datetime, name: str, authority: str, months_ago: int, stage: str) -> str:
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


# -- referrals: one or more at each step -------------------------------------------------------------

ELIGIBLE_CARE_ACT = {
    "advocacy_type": "care_act",
    "difficulty_understanding": True,
    "difficulty_retaining": False,
    "difficulty_weighing": True,
    "difficulty_communicating": False,
    "appropriate_individual_available": False,
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
    load: _Loader, ref: str, received: datetime, until: str, *, advocate: str = "advocate1", **start: Any
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
            load.complete(iid, step, ELIGIBLE_CARE_ACT, "manager1")
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


def _referrals(load: _Loader, now: datetime) -> dict[str, list[str]]:
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
            iid, "assess_eligibility", {"advocacy_type": "imha", "qualifying_patient": False}, "manager1"
        )
        if signposted:
            signpost = {"signposted_to": "other", "signpost_details": "Local carers' centre advocacy."}
            load.complete(iid, "signpost", signpost, "manager2")
        add("signpost" if not signposted else "not_eligible", iid)

    # missed targets, already escalated: allocation late (manager explained in time), first contact
    # late (the manager did not explain in time, so the commissioner has it)
    late_allocation = _referral(load, "P-1012", now - 9 * day, "allocate_advocate")
    load.fire_due([late_allocation], now - 3 * day)  # one working day after it was received
    escalation = _escalation_of(load, late_allocation)
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
    load.fire_due([_escalation_of(load, late_contact)], now)
    add("escalated", late_contact)

    # overdue, not yet escalated: the scheduler escalates these when it runs
    add("overdue", _referral(load, "P-1014", now - 4 * day, "allocate_advocate"))
    add("overdue", _referral(load, "P-1015", now - 5 * day, "first_contact"))
    return made


def _escalation_of(load: _Loader, referral_id: str) -> str:
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


# -- recruitment: a candidate at each check --------------------------------------------------------

BARRED_LIST = "enhanced_adults_barred_list"
TOPICS = ["advocacy_role", "code_of_practice", "safeguarding", "confidentiality", "record_keeping"]


def _candidate_data(moment: datetime) -> dict[str, dict[str, Any]]:
    return {
        "values_based_interview": {
            "interview_date": _day(moment),
            "interview_decision": "offer",
            "score_independence": 4,
            "score_confidentiality": 5,
            "score_person_centred_practice": 4,
            "score_instructed_non_instructed": 3,
        },
        "conditional_offer": {
            "offer_made_on": _day(moment, 2),
            "proposed_start_date": _day(moment, 45),
            "offer_conditions_explained": True,
        },
        "submit_dbs_application": {"dbs_level": BARRED_LIST, "dbs_application_submitted_on": _day(moment, 3)},
        "verify_dbs_certificate": {
            "dbs_level": BARRED_LIST,
            "dbs_certificate_number": "001234567890",
            "dbs_issue_date": _day(moment, 12),
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
            "right_to_work_checked_on": _day(moment, 4),
            "right_to_work_confirmed": True,
        },
        "verify_identity": {
            "identity_documents": ["passport", "utility_bill"],
            "identity_checked_on": _day(moment, 4),
            "identity_verified": True,
        },
        "check_qualification": {"qualification_status": "held"},
        "disclosure_risk_assessment": {
            "disclosure_risk_summary": "A caution from 2009, unrelated to adults at risk.",
            "disclosure_decision": "proceed",
        },
        "induction": {f"induction_{t}": True for t in TOPICS} | {"induction_completed_on": _day(moment, 50)},
    }


CHECKS = ["obtain_references", "check_right_to_work", "verify_identity", "check_qualification"]


def _candidate(load: _Loader, now: datetime, ref: str, days_ago: int, until: str, **certificate) -> str:
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


def _candidates(load: _Loader, now: datetime) -> dict[str, list[str]]:
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


# -- the command ----------------------------------------------------------------------------------


def _instances(database: Database, now: datetime) -> dict[str, dict[str, list[str]]]:
    load = _Loader(database, now)
    cycles = {
        stage: [_cycle(load, now, name, authority, months, stage)]
        for stage, name, authority, months in (
            ("analyse", "Advocacy, East Riding", "East Riding Council", 0),
            ("plan", "Advocacy, South Vale", "South Vale Council", 2),
            ("deliver", "Advocacy, West Vale", "West Vale Health Board", 4),
            ("review", "Advocacy, North Borough", "North Borough Council", 16),
        )
    }
    return {
        "commissioning_cycle": cycles,
        "referral_casework": _referrals(load, now),
        "recruitment_vetting": _candidates(load, now),
    }


def load(database: Database, now: datetime | None = None) -> Iterator[str]:
    """Load the demo; yields the lines to print."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    logins = [f"  {username:<14} {role}" for username, role in DEMO_USERS]
    with database.sessions() as session:
        existing = session.scalars(select(User.username).where(User.username.in_(ROLES))).all()
        missing = [p for p in PROCESSES if latest_definition(session, p) is None]
    if existing:
        yield f"demo already loaded (demo users exist: {', '.join(sorted(existing))}): nothing changed."
        yield f"demo logins, password '{DEMO_PASSWORD}':"
        yield from logins
        return
    if missing:
        yield f"deploy the processes first ('advocacy-flow deploy'); missing: {', '.join(missing)}"
        return
    database.run(_users)
    new_slas = database.run(_slas)
    yield f"demo users created, password '{DEMO_PASSWORD}':"
    yield from logins
    yield f"SLAs added: {', '.join(new_slas) or 'none'}"
    made = _instances(database, now)
    for process, by_step in made.items():
        steps = ", ".join(f"{step} {len(ids)}" for step, ids in by_step.items())
        yield f"{process}: {sum(len(ids) for ids in by_step.values())} instances ({steps})"
