"""SLA records and the due moments they set (DOMAIN.md, "SLAs")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import clock
from workflows.calendar import add_duration

from .models import Sla

DEFAULT_SLA = {
    "key": "default",
    "provider": "Advocacy service (default)",
    "commissioner": "Local authority (default)",
    "targets": {"allocation": "P1D", "first_contact": "P2D", "escalation_response": "P1D"},
    "urgent": {"first_contact": "PT4H"},
    "calendar": "working_days",
    "breach_threshold": 5,
}


def ensure_default(session: Session) -> Sla:
    default = session.scalars(select(Sla).where(Sla.is_default.is_(True))).first()
    if default is None:
        now = datetime.now(UTC)
        default = Sla(**DEFAULT_SLA, is_default=True, created_at=now, updated_at=now)
        session.add(default)
        session.flush()
    return default


def find(session: Session, key: str | None) -> Sla:
    sla = session.get(Sla, key) if key else None
    return sla if sla is not None else ensure_default(session)


def due(sla: Sla, milestone: str, start: datetime | str, urgency: str | None) -> datetime:
    """When ``milestone`` is due for a case started at ``start`` under ``sla``."""
    target = None
    if urgency == "urgent":
        target = (sla.urgent or {}).get(milestone)
    target = target or sla.targets.get(milestone)
    if not target:
        raise ValueError(f"SLA '{sla.key}' has no target for '{milestone}'")
    return add_duration(start, target, sla.calendar)


def sla_due_function(session: Session):
    """``sla_due(milestone)`` for diagrams: due moment for this instance's SLA, urgency and start."""

    def sla_due(context: dict[str, Any], milestone: str) -> str:
        sla = find(session, context.get("sla_key"))
        start = context.get("received_at") or context.get("breached_at") or clock.now()
        return due(sla, milestone, start, context.get("urgency")).isoformat()

    return sla_due
