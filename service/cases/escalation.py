"""The rule of an SLA breach: what a missed milestone records, and what its escalation is told.

A breach is a ``deadline_breached`` event in the case's history; its ``sla_escalation`` instance is told the
SLA, the milestone, how many escalations that SLA has had this quarter (this one included) and the SLA's
breach threshold, from which the diagram decides who is asked (DOMAIN.md, "SLAs"). The instance itself is
started by ``instances`` (the one place instances start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.base.quarter import Quarter
from service.cases import slas
from service.store import persist
from service.store.models import ProcessInstance
from workflows.engine import EventDraft


@dataclass(frozen=True)
class Breach:
    data: dict[str, Any]  # sla_key, milestone, due_at, breached_at: the deadline_breached event's data
    breaches_this_quarter: int
    breach_threshold: int

    def escalation_variables(self, source_instance_id: str) -> dict[str, Any]:
        return {
            **self.data,
            "source_instance_id": source_instance_id,
            "breaches_this_quarter": self.breaches_this_quarter,
            "breach_threshold": self.breach_threshold,
        }


def breaches_this_quarter(session: Session, sla_key: str, now: datetime) -> int:
    """Escalations of ``sla_key`` started since the start of ``now``'s quarter."""
    earlier = session.scalars(
        select(ProcessInstance.variables).where(
            ProcessInstance.process_key == "sla_escalation",
            ProcessInstance.started_at >= Quarter.of(now).start,
        )
    )
    return sum(1 for v in earlier if (v or {}).get("sla_key") == sla_key)


def record_breach(
    session: Session, instance: ProcessInstance, milestone: str, due_at: datetime | None, now: datetime
) -> Breach:
    """Record the missed milestone in the case's history; the breach its escalation is started for."""
    sla = slas.find(session, (instance.variables or {}).get("sla_key"))
    data = {
        "sla_key": sla.key,
        "milestone": milestone,
        "due_at": due_at.isoformat() if due_at else None,
        "breached_at": now.isoformat(),
    }
    count = 1 + breaches_this_quarter(session, sla.key, now)
    persist.append_events(session, instance, [EventDraft("deadline_breached", data=data)], now)
    return Breach(data, count, sla.breach_threshold)


def record_started(
    session: Session, instance: ProcessInstance, breach: Breach, escalation_id: str, now: datetime
) -> None:
    """The case's history names the escalation started for its breach."""
    persist.append_events(
        session,
        instance,
        [EventDraft("escalation_started", data={**breach.data, "escalation_instance_id": escalation_id})],
        now,
    )
