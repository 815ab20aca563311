"""Contract reviews opened by SLA escalations, by the provider of the escalated SLA.

DOMAIN.md (second edition): a contract review shows on the commissioning cycle of that SLA's
provider.  Only the breach and the review's decision are shown, never case content.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.store.models import HistoryEvent, ProcessInstance, Sla, Task


def by_provider(session: Session) -> dict[str, list[dict[str, Any]]]:
    """``{provider: [{"instance_id", "sla_key", "milestone", "status", "opened_at", "outcome"}]}``."""
    providers = dict(session.execute(select(Sla.key, Sla.provider)).all())
    opened: dict[str, Any] = {}
    for instance_id, created_at in session.execute(
        select(Task.instance_id, Task.created_at)
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .where(ProcessInstance.process_key == "sla_escalation", Task.activity_id == "contract_review")
        .order_by(Task.created_at)
    ):
        opened.setdefault(instance_id, created_at)
    if not opened:
        return {}
    outcomes: dict[str, str] = {}
    for instance_id, data in session.execute(
        select(HistoryEvent.instance_id, HistoryEvent.data)
        .where(
            HistoryEvent.instance_id.in_(list(opened)),
            HistoryEvent.type == "task_completed",
            HistoryEvent.activity_id == "contract_review",
        )
        .order_by(HistoryEvent.instance_id, HistoryEvent.seq)
    ):
        outcome = (json.loads(data or "{}").get("data") or {}).get("contract_review_outcome")
        if outcome:
            outcomes[instance_id] = outcome  # the latest review's decision
    found: dict[str, list[dict[str, Any]]] = {}
    for row in session.execute(
        select(ProcessInstance.id, ProcessInstance.status, ProcessInstance.variables).where(
            ProcessInstance.id.in_(list(opened))
        )
    ):
        variables = row.variables or {}
        provider = providers.get(variables.get("sla_key"))
        if provider is None:
            continue
        found.setdefault(provider, []).append(
            {
                "instance_id": row.id,
                "sla_key": variables.get("sla_key"),
                "milestone": variables.get("milestone"),
                "status": row.status,
                "opened_at": opened[row.id].isoformat(),
                "outcome": outcomes.get(row.id),
            }
        )
    for reviews in found.values():
        reviews.sort(key=lambda r: (r["opened_at"], r["instance_id"]))
    return found
