"""The background refresh of dirty stored returns (the scheduler runs it every ADVOCACY_FLOW_REPORT_REFRESH s).

Each return is recomputed in its own transaction, so a long one holds nothing up; with several schedulers
on PostgreSQL, an advisory lock lets one of them take a return and the others pass it by.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.cases.reports import stored
from service.cases.reports.quarterly import compute_for_storage
from service.store import stored_returns
from service.store.models import Sla


def dirty_returns(connection, limit: int = 100) -> list[tuple[str, str]]:
    """(sla_key, quarter) of the stored returns to recompute, longest dirty first."""
    return stored_returns.dirty(connection, limit)


def refresh_one(session: Session, sla_key: str, quarter: str) -> bool:
    """Recompute one stored return if it is still dirty; True if a copy was computed."""
    sla = session.get(Sla, sla_key)
    if sla is None:  # the SLA is gone: so are its returns
        stored_returns.forget_sla(session, sla_key)
        return False
    if not stored.claim_refresh(session, sla_key, quarter):
        return False  # another scheduler is on it
    return stored.refresh(session, sla, quarter, compute_for_storage) is not None
