"""SLA records and the due moments they set (DOMAIN.md, "SLAs")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.store import stored_returns
from service.store.models import Sla
from workflows import clock
from workflows.calendar import add_duration

DEFAULT_SLA = {
    "key": "default",
    "provider": "Advocacy service (default)",
    "commissioner": "Local authority (default)",
    "targets": {
        "allocation": "P1D",
        "first_contact": "P2D",
        "escalation_response": "P1D",
        "safeguarding_decision": "P1D",
        # complaints (DOMAIN.md Process 5): acknowledge within 3 working days, respond within 20
        "complaint_acknowledgement": "P3D",
        "complaint_response": "P20D",
    },
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
    # A milestone added after the SLA was agreed (e.g. safeguarding_decision) takes the service default.
    target = target or sla.targets.get(milestone) or DEFAULT_SLA["targets"].get(milestone)
    if not target:
        raise ValueError(f"SLA '{sla.key}' has no target for '{milestone}'")
    return add_duration(start, target, sla.calendar)


def sla_due_function(session: Session):
    """``sla_due(milestone)`` for diagrams: due moment for this instance's SLA, urgency and start."""

    def sla_due(context: dict[str, Any], milestone: str, start: str | None = None) -> str:
        """``start`` (optional): the moment the milestone counts from, e.g. when a concern was raised."""
        sla = find(session, context.get("sla_key"))
        start = start or context.get("received_at") or context.get("breached_at") or clock.now()
        return due(sla, milestone, start, context.get("urgency")).isoformat()

    return sla_due


MILESTONE_NAME = r"^[a-z][a-z0-9_]{0,63}$"


def validate_record(data: dict[str, Any]) -> dict[str, list[str]]:
    """Per-field problems with an SLA record's targets (durations must fit its calendar)."""
    errors: dict[str, list[str]] = {}
    calendar = data.get("calendar", "working_days")
    for field in ("targets", "urgent"):
        for milestone, target in (data.get(field) or {}).items():
            try:
                add_duration("2026-01-05T09:00:00+00:00", target, calendar)
            except (ValueError, TypeError) as err:
                errors.setdefault(f"{field}.{milestone}", []).append(str(err))
    for milestone in data.get("urgent") or {}:
        if milestone not in (data.get("targets") or {}):
            errors.setdefault(f"urgent.{milestone}", []).append(
                "an urgent override needs a target of that name"
            )
    return errors


def list_slas(session: Session) -> list[Sla]:
    return list(session.scalars(select(Sla).order_by(Sla.key)))


def get_sla(session: Session, key: str) -> Sla:
    from service.base.problems import NotFound

    sla = session.get(Sla, key)
    if sla is None:
        raise NotFound(f"no SLA '{key}'")
    return sla


def save_sla(session: Session, key: str, data: dict[str, Any], *, create: bool) -> Sla:
    from service.base.problems import Conflict, Invalid

    errors = validate_record(data)
    if errors:
        raise Invalid("the SLA targets are not valid", errors=errors)
    now = datetime.now(UTC)
    sla = session.get(Sla, key)
    if create and sla is not None:
        raise Conflict(f"SLA '{key}' already exists")
    if sla is None:
        sla = Sla(key=key, created_at=now, is_default=False)
        session.add(sla)
    sla.provider = data["provider"]
    sla.commissioner = data["commissioner"]
    sla.targets = dict(data["targets"])
    sla.urgent = dict(data.get("urgent") or {})
    sla.calendar = data.get("calendar", "working_days")
    sla.breach_threshold = data.get("breach_threshold", 0)
    sla.updated_at = now
    session.flush()
    stored_returns.mark_sla(session, key)  # every stored return of this SLA, in this transaction
    return sla
