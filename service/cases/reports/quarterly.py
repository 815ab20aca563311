"""Commissioner reporting: the quarterly monitoring return and the commissioning cycles.

Every figure is an SQL aggregate (COUNT / SUM(CASE ...) / GROUP BY over the JSON
variables, the task and deadline indexes) run on the database; Python only adds
up a handful of grouped rows.  The one exception is working time to a milestone:
the database returns one pair of moments per case and Python turns each into
working hours (weekends and England-and-Wales bank holidays excluded, in the
service time zone) for the median and 90th percentile.

Definitions (see also docs in the API blueprint):

* a referral belongs to the return when its ``received_at`` (UTC ISO text) falls in
  the quarter's local days, and its ``sla_key`` is the SLA (or it has none and the
  SLA is the service default);
* milestone ``met``: no deadline of that milestone fired and the task it is attached
  to was completed at or before its due moment; ``missed``: a deadline fired (or the
  task was completed after the due moment); ``pending``: the deadline is still
  pending.  A milestone withdrawn unreached (case cancelled) is in none of the three;
* escalations: the ``sla_escalation`` instances started for the quarter's referrals;
  ``level_2``: those that reached the commissioner's review, ``contract_review``:
  those that reached a contract review; ``by_outcome``: their end state;
* cases: ``open`` still running (or waiting, or in error), ``closed`` ended at ``closed``;
* outcome percentages (one decimal): the five measures over all closed cases;
  ``outcomes.rights_upheld`` over closed non-instructed cases (``instruction`` ``non_instructed``);
  ``voice_heard_rate`` over closed instructed cases (``instruction`` ``instructed``) only;
* ``safeguarding`` (each concern, not each case; see ``safeguarding.py``), ``complaints`` (the
  complaints of this SLA and quarter by ``complaints.complaint_sla_key``'s rule), ``equality``,
  ``ended_early`` and ``welsh_medium`` (``monitoring.py``);
* ``response_times``: the referral's own milestones (allocation, first contact); the safeguarding
  decision and the complaint milestones are counted in their own sections.

For a commissioner every count from 1 to 4 becomes ``"<5"``, a percentage, median or
percentile over fewer than 5 cases becomes ``None``, and a story's ``advocacy_type`` is ``None``
unless 5 or more cases of that type closed in the quarter (``suppression.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import TIMESTAMP, Table, Text, and_, case, cast, distinct, func, select
from sqlalchemy.orm import Session, aliased

from service.access.permissions import Actor, require_role
from service.base.csvtext import csv_text
from service.base.problems import Invalid
from service.base.quarter import Quarter
from service.cases.reports import complaints, milestones, monitoring, safeguarding, stored
from service.cases.reports.cohort import _count, _text, cohort
from service.cases.reports.statistics import _one_decimal, _seconds, percent, percentile_cont, working_hours
from service.cases.reports.suppression import suppress
from service.cases.reports.vocabulary import (
    ADVOCACY_TYPES,
    ANSWERS,
    CSV_HEADERS,
    ESCALATION_OUTCOMES,
    MEASURES,
    MILESTONES,
    SOURCES,
    URGENCIES,
)
from service.store.models import ProcessInstance, Sla, Task

# -- the quarter -------------------------------------------------------------------------------


def quarter_bounds(quarter: str) -> tuple[date, date, str, str]:
    """``2026Q1`` -> first and last local day, and the UTC ISO text bounds [lo, hi) of received_at."""
    try:
        q = Quarter.parse(quarter)
    except ValueError as err:
        raise Invalid("bad quarter", errors={"quarter": [str(err)]}) from None
    return q.first_day, q.last_day, q.start.isoformat(), q.end.isoformat()


# -- the quarterly return ----------------------------------------------------------------------


def _referral_figures(session: Session, c: Table) -> dict[str, Any]:
    """One scan of the cohort, grouped by source and advocacy type, every other count a SUM(CASE)."""
    closed = c.c.end_state == "closed"
    figures: dict[str, Any] = {
        "urgent": _count(c.c.urgency == "urgent"),
        "standard": _count(c.c.urgency == "standard"),
        "eligible": _count(c.c.eligible.is_(True)),
        "not_eligible": _count(c.c.eligible.is_(False)),
        "pending": _count(c.c.eligible.is_(None)),
        "open": _count(c.c.status.in_(("running", "waiting", "error"))),
        "closed": _count(closed),
    }
    for measure in MEASURES:
        for answer in ANSWERS:
            figures[f"{measure}.{answer}"] = _count(and_(closed, c.c[f"outcome_{measure}"] == answer))
    query = select(c.c.referral_source, c.c.advocacy_type, func.count(), *figures.values()).group_by(
        c.c.referral_source, c.c.advocacy_type
    )
    out: dict[str, Any] = dict.fromkeys(figures, 0)
    out |= {"total": 0, "by_source": dict.fromkeys(SOURCES, 0), "by_type": dict.fromkeys(ADVOCACY_TYPES, 0)}
    out["closed_by_type"] = dict.fromkeys(ADVOCACY_TYPES, 0)
    for source, kind, n, *values in session.execute(query):
        out["total"] += n
        out["by_source"][source or "unknown"] = out["by_source"].get(source or "unknown", 0) + n
        out["by_type"][kind or "unknown"] = out["by_type"].get(kind or "unknown", 0) + n
        for name, value in zip(figures, values, strict=True):
            out[name] += int(value or 0)
        closed_here = int(dict(zip(figures, values, strict=True))["closed"] or 0)
        by_kind = out["closed_by_type"]
        by_kind[kind or "unknown"] = by_kind.get(kind or "unknown", 0) + closed_here
    return out


def _milestone_hours(session: Session, c: Table, m: Table) -> dict[str, list[float]]:
    """Working hours from received_at to each milestone reached, one number per case.

    First contact counts to the ``first_contact_at`` the advocate recorded; any other
    milestone to the completion of the task its timer is attached to.
    """
    postgres = session.bind.dialect.name == "postgresql"

    def epoch(moment, as_text: bool = True):  # PostgreSQL reads the moments itself (exact numeric)
        return func.extract("epoch", cast(moment, TIMESTAMP(timezone=True)) if as_text else moment)

    def read(*moments):
        return [epoch(x, isinstance(x.type, Text)) for x in moments] if postgres else list(moments)

    contact = select(*read(c.c.received_at, c.c.first_contact_at)).where(c.c.first_contact_at.is_not(None))
    rows = [("first_contact", a, b) for a, b in session.execute(contact)]
    rows += session.execute(
        select(m.c.milestone, *read(m.c.received_at, m.c.done)).where(
            m.c.done.is_not(None), m.c.milestone != "first_contact"
        )
    ).all()
    pairs: dict[str, list[tuple[float, float]]] = {"first_contact": []}
    for milestone, start, end in rows:
        a, b = _seconds(start), _seconds(end)
        if a is not None and b is not None:
            pairs.setdefault(milestone, []).append((a, b))
    return {name: working_hours(p) for name, p in pairs.items()}


def _escalations(session: Session, c: Table) -> dict[str, Any]:
    escalation, task = aliased(ProcessInstance), aliased(Task)
    reached = {"level_2": "commissioner_review", "contract_review": "contract_review"}
    query = (
        select(
            escalation.status,
            escalation.end_state,
            func.count(distinct(escalation.id)),
            *(func.count(distinct(case((task.activity_id == a, escalation.id)))) for a in reached.values()),
        )
        .join(c, c.c.id == escalation.variables["source_instance_id"].as_string())
        .outerjoin(task, and_(task.instance_id == escalation.id, task.activity_id.in_(reached.values())))
        .where(escalation.process_key == "sla_escalation")
        .group_by(escalation.status, escalation.end_state)
    )
    out: dict[str, Any] = dict.fromkeys(("started", *reached), 0)
    out["by_outcome"] = dict.fromkeys(ESCALATION_OUTCOMES, 0)
    for status, end_state, started, level_2, review in session.execute(query):
        outcome = "in_progress" if status in ("running", "waiting", "error") else end_state or status
        outcome = "cancelled" if status == "cancelled" else outcome
        out["started"] += started
        out["level_2"] += level_2
        out["contract_review"] += review
        out["by_outcome"][outcome] = out["by_outcome"].get(outcome, 0) + started
    return out


def _stories(session: Session, c: Table, limit: int) -> list[dict[str, Any]]:
    query = (
        select(c.c.outcome_story, c.c.advocacy_type)
        .where(c.c.outcome_story.is_not(None), c.c.story_shareable.is_(True))
        .order_by(_text(session, c.c.received_at), c.c.id)
        .limit(limit)
    )
    return [{"outcome_story": s, "advocacy_type": t} for s, t in session.execute(query)]


def quarterly(
    session: Session, actor: Actor, sla_key: str, quarter: str, *, stories: int = 50
) -> dict[str, Any]:
    """The quarterly monitoring return (API.md), suppressed for a commissioner.

    Served from the stored return (``stored``) when nothing it reads changed since it was computed,
    else computed now and stored; ``as_of`` says when it was computed (``stale``: see ``stored``)."""
    require_role(actor, "commissioner", "manager", "auditor")
    quarter_bounds(quarter)
    sla = session.get(Sla, sla_key) if sla_key else None
    if sla is None:
        raise Invalid("unknown SLA", errors={"sla": [f"no SLA '{sla_key}'"]})
    kept = stored.read(session, sla, quarter, compute_for_storage)
    report = stored.with_stories(kept.report, stories)
    body = suppress(report, kept.sizes) if actor.role == "commissioner" else report
    body["as_of"] = kept.as_of.isoformat()
    if kept.stale:
        body["stale"] = True
    return body


def compute_for_storage(session: Session, sla: Sla, quarter: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The return as it is stored: every story the API may ask for (a read takes its first N)."""
    return compute_return(session, sla, quarter, stories=stored.MAX_STORIES)


def compute_return(
    session: Session, sla: Sla, quarter: str, *, stories: int = 50
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole return, unsuppressed, and what suppression needs beside it (JSON-able both).

    ``sizes`` (all suppression needs, beside the report): per milestone, how many cases its median
    and 90th percentile are over; ``closed``, ``instructed_closed`` and ``non_instructed_closed``
    (the cases the outcome percentages, ``voice_heard_rate`` and ``rights_upheld`` are over); and
    ``closed_by_advocacy_type`` (a story keeps its ``advocacy_type`` for a commissioner only when 5
    or more cases of that type closed in the quarter)."""
    first, last, lo, hi = quarter_bounds(quarter)
    c = cohort(session, sla, lo, hi)
    m = milestones.cases(session, c, MILESTONES)
    try:
        r = _referral_figures(session, c)
        counts = milestones.counts(session, m, MILESTONES)
        hours = _milestone_hours(session, c, m)
        escalations = _escalations(session, c)
        shared = _stories(session, c, stories)
        concerns = safeguarding.figures(session, c)
        more = monitoring.figures(session, c)
    finally:
        m.drop(session.connection())
        c.drop(session.connection())
    complained = complaints.figures(session, sla, lo, hi)
    closed, instructed, non_instructed = r["closed"], more["instructed_closed"], more["non_instructed_closed"]
    report = {
        "sla": sla.key,
        "quarter": quarter,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "referrals": {
            "total": r["total"],
            "by_source": r["by_source"],
            "by_advocacy_type": r["by_type"],
            "by_urgency": {u: r[u] for u in URGENCIES},
        },
        "eligibility": {k: r[k] for k in ("eligible", "not_eligible", "pending")},
        "response_times": {
            m: {
                **figures,
                "median_working_hours": _one_decimal(percentile_cont(hours.get(m, []), "0.5")),
                "p90_working_hours": _one_decimal(percentile_cont(hours.get(m, []), "0.9")),
            }
            for m, figures in counts.items()
        },
        "escalations": escalations,
        "cases": {"open": r["open"], "closed": closed},
        "outcomes": {
            **{m: {a: percent(r[f"{m}.{a}"], closed) for a in ANSWERS} for m in MEASURES},
            "rights_upheld": {a: percent(more["rights"][a], non_instructed) for a in ANSWERS},
        },
        "voice_heard_rate": percent(more["voice_heard"], instructed),
        "safeguarding": concerns,
        "complaints": complained,
        "equality": more["equality"],
        "ended_early": more["ended_early"],
        "welsh_medium": more["welsh_medium"],
        "stories": shared,
    }
    sizes = {
        **{m: len(hours.get(m, [])) for m in counts},
        "closed": closed,
        "instructed_closed": instructed,
        "non_instructed_closed": non_instructed,
        "closed_by_advocacy_type": r["closed_by_type"],
    }
    return report, sizes


def to_csv(report: dict[str, Any], language: str = "en") -> str:
    """One ``figure,value`` row per figure, the figure a dotted path (``referrals.by_source.self``).

    The header is in ``language`` (``ffigur,gwerth`` in Welsh); the figures' keys never change."""
    rows: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)
        else:
            rows.append((prefix, str(value).lower() if isinstance(value, bool) else value))

    walk("", report)
    return csv_text(list(CSV_HEADERS.get(language, CSV_HEADERS["en"])), rows, lineterminator="\n")
