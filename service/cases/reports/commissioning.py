"""The commissioning report: each cycle's stage, current step and time in each stage."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access.permissions import Actor, require_role
from service.cases.reports import contract_reviews
from service.cases.reports.cohort import _var
from service.store.models import Deadline, HistoryEvent, ProcessInstance, Task
from workflows.calendar import service_timezone


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _contract_end(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def commissioning(
    session: Session,
    actor: Actor,
    *,
    now: datetime | None = None,
    include_ended: bool = False,
    months: int = 6,
) -> dict[str, Any]:
    """Each commissioning cycle: stage, current step, days in the stage, days in every stage so far."""
    require_role(actor, "commissioner", "auditor")
    now = now or datetime.now(UTC)
    query = select(
        ProcessInstance.id,
        ProcessInstance.status,
        ProcessInstance.stage,
        ProcessInstance.started_at,
        ProcessInstance.ended_at,
        _var("service_name").as_string(),
        _var("local_authority").as_string(),
        _var("contract_end").as_string(),
        _var("provider").as_string(),
    ).where(ProcessInstance.process_key == "commissioning_cycle")
    if not include_ended:
        query = query.where(ProcessInstance.status.in_(("running", "waiting", "error")))
    rows = session.execute(query.order_by(ProcessInstance.started_at, ProcessInstance.id)).all()
    ids = [r[0] for r in rows]
    steps: dict[str, tuple[str, str]] = {}
    for instance_id, activity_id, name in session.execute(
        select(Task.instance_id, Task.activity_id, Task.name)
        .where(Task.instance_id.in_(ids), Task.status == "open")
        .order_by(Task.created_at.desc(), Task.id)
    ):
        steps[instance_id] = (activity_id, name)
    for instance_id, activity_id in session.execute(
        select(Deadline.instance_id, Deadline.activity_id)
        .where(Deadline.instance_id.in_(ids), Deadline.status == "pending")
        .order_by(Deadline.due_at, Deadline.id)
    ):
        steps.setdefault(instance_id, (activity_id, activity_id))
    changes: dict[str, list[tuple[datetime, str | None]]] = {i: [] for i in ids}
    for instance_id, at, data in session.execute(
        select(HistoryEvent.instance_id, HistoryEvent.at, HistoryEvent.data)
        .where(HistoryEvent.instance_id.in_(ids), HistoryEvent.data.like('%"stage":%'))
        .order_by(HistoryEvent.instance_id, HistoryEvent.seq)
    ):
        parsed = json.loads(data)
        if "stage" in parsed:
            changes[instance_id].append((datetime.fromisoformat(at), parsed["stage"]))
    today = now.astimezone(service_timezone()).date()
    horizon = _add_months(today, months)
    items, ending = [], []
    reviews = contract_reviews.by_provider(session)
    for instance_id, status, stage, started_at, ended_at, service_name, authority, end_text, provider in rows:
        spans: dict[str, float] = {}
        history = changes[instance_id] or [(started_at, stage)]
        finish = ended_at or now
        for (at, value), after in zip(history, [*history[1:], (finish, None)], strict=True):
            if value:
                spans[value] = spans.get(value, 0.0) + (after[0] - at).total_seconds() / 86400
        entered = history[-1][0] if stage is not None else None  # the last change was into this stage
        step = steps.get(instance_id, (None, None))
        contract_end = _contract_end(end_text)
        item = {
            "id": instance_id,
            "service_name": service_name,
            "local_authority": authority,
            "status": status,
            "stage": stage,
            "step": step[0],
            "step_name": step[1],
            "days_in_stage": int((now - entered).total_seconds() // 86400) if stage and entered else None,
            "days_by_stage": {s: round(v, 1) for s, v in spans.items()},
            "contract_end": contract_end.isoformat() if contract_end else end_text,
            "started_at": started_at.isoformat(),
            "contract_reviews": reviews.get(provider, []) if provider else [],
        }
        items.append(item)
        if contract_end and today <= contract_end <= horizon and status != "completed":
            ending.append(
                {k: item[k] for k in ("id", "service_name", "local_authority", "contract_end")}
                | {"days_to_end": (contract_end - today).days}
            )
    ending.sort(key=lambda e: (e["contract_end"], e["id"]))
    return {"items": items, "total": len(items), f"contracts_ending_within_{months}_months": ending}
