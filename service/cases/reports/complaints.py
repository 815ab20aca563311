"""Complaints in the quarterly return: which SLA's return a complaint belongs to, and its figures.

THE RULE (``complaint_sla_key``; ``sla_key_expression`` is the same rule in SQL): a complaint
belongs to the return of the SLA of the referral whose business key its ``case_ref`` names (a
referral without ``sla_key``: the default SLA), and to the quarter of the complaint's own
``received_at``.  A complaint without ``case_ref``, or naming no referral, belongs to the default
SLA's return.  The complaint's own ``sla_key`` (the targets its timers use) does not move it.
Several referrals sharing the business key: the earliest started decides.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, String, Table, Text, func, literal, select
from sqlalchemy.orm import Session, aliased

from service.cases.reports import milestones
from service.cases.reports.cohort import _temporary, _text
from service.cases.reports.vocabulary import COMPLAINT_MILESTONES, COMPLAINT_OUTCOMES
from service.store.models import ProcessInstance, Sla

FALLBACK_DEFAULT = "default"  # the service default SLA's key when no row says otherwise


def default_sla_key(session: Session) -> str:
    key = session.scalars(select(Sla.key).where(Sla.is_default.is_(True)).order_by(Sla.key)).first()
    return key or FALLBACK_DEFAULT


def _referral_sla(case_ref):
    """The sla_key ('' as none) of the earliest referral whose business key is ``case_ref`` (scalar)."""
    referral = aliased(ProcessInstance)
    return (
        select(func.nullif(referral.variables["sla_key"].as_string(), ""))
        .where(referral.process_key == "referral_casework", referral.business_key == case_ref)
        .order_by(referral.started_at, referral.id)
        .limit(1)
        .scalar_subquery()
    )


def complaint_sla_key(session: Session, variables: dict[str, Any]) -> str:
    """The key of the SLA whose quarterly return counts the complaint with these variables."""
    case_ref = (variables or {}).get("case_ref")
    if isinstance(case_ref, str) and case_ref:
        key = session.execute(select(_referral_sla(literal(case_ref)))).scalar()
        if isinstance(key, str) and key:
            return key
    return default_sla_key(session)


def sla_key_expression(session: Session, complaint) -> Any:
    """``complaint_sla_key`` as an SQL expression over a ``ProcessInstance`` alias of the complaint."""
    case_ref = func.nullif(complaint.variables["case_ref"].as_string(), "")
    return func.coalesce(_referral_sla(case_ref), literal(default_sla_key(session)))


def cohort(session: Session, sla: Sla, lo: str, hi: str) -> Table:
    """The complaints of ``sla``'s return received in [lo, hi): id, status, received_at, outcome."""
    complaint = aliased(ProcessInstance)
    received = complaint.variables["received_at"].as_string()
    query = select(
        complaint.id, complaint.status, received, complaint.variables["complaint_outcome"].as_string()
    ).where(
        complaint.process_key == "complaint",
        _text(session, received) >= lo,
        _text(session, received) < hi,
        sla_key_expression(session, complaint) == sla.key,
    )
    return _temporary(
        session,
        query,
        Column("id", String(36)),
        Column("status", String(16)),
        Column("received_at", Text),
        Column("outcome", Text),
    )


def figures(session: Session, sla: Sla, lo: str, hi: str) -> dict[str, Any]:
    """``{"received", "by_outcome", "acknowledged_in_time", "responded_in_time"}`` of the quarter."""
    c = cohort(session, sla, lo, hi)
    m = milestones.cases(session, c, COMPLAINT_MILESTONES)
    try:
        by_outcome = dict.fromkeys(COMPLAINT_OUTCOMES, 0)
        received = 0
        query = select(c.c.status, c.c.outcome, func.count()).group_by(c.c.status, c.c.outcome)
        for status, outcome, n in session.execute(query):
            if not outcome:
                outcome = "cancelled" if status == "cancelled" else "in_progress"
            by_outcome[outcome] = by_outcome.get(outcome, 0) + n
            received += n
        met = milestones.counts(session, m, COMPLAINT_MILESTONES)
    finally:
        m.drop(session.connection())
        c.drop(session.connection())
    return {
        "received": received,
        "by_outcome": by_outcome,
        "acknowledged_in_time": met["complaint_acknowledgement"]["met"],
        "responded_in_time": met["complaint_response"]["met"],
    }
