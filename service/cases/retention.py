"""How long a finished case's record is kept, and its removal with a hash-chained retention log.

``ADVOCACY_FLOW_RETENTION_DAYS`` (default six years) after an instance ends, ``cleanup`` removes it with its
tasks, deadlines and history, and records what it removed in the chained ``retention_log``.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.access.permissions import Actor
from service.cases.history_json import canonical, loads, utcnow
from service.cases.queries import visible_instance
from service.cases.reports import touches
from service.store import persist
from service.store.audit_models import RetentionLog, RetentionUnlock
from service.store.models import Deadline, HistoryEvent, ProcessInstance, Task
from workflows.history import GENESIS

RETENTION_ENV = "ADVOCACY_FLOW_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 2190  # six years
FINISHED = ("completed", "cancelled")


def retention_days() -> int:
    value = os.environ.get(RETENTION_ENV, "").strip()
    return int(value) if value else DEFAULT_RETENTION_DAYS


def removal_at(instance: ProcessInstance, days: int | None = None) -> datetime | None:
    if instance.status not in FINISHED or instance.ended_at is None:
        return None
    return instance.ended_at + timedelta(days=retention_days() if days is None else days)


def retention(session: Session, actor: Actor, instance_id: str) -> dict[str, Any]:
    instance = visible_instance(session, actor, instance_id)
    return {
        "instance_id": instance.id,
        "status": instance.status,
        "ended_at": instance.ended_at,
        "retention_days": retention_days(),
        "removal_at": removal_at(instance),
    }


def log_hash(entry: dict[str, Any]) -> str:
    fields = {name: entry[name] for name in ("seq", "at", "data", "prev_hash")}
    return hashlib.sha256(canonical(fields).encode("utf-8")).hexdigest()


def retention_log(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(RetentionLog).order_by(RetentionLog.seq))
    return [
        {"seq": r.seq, "at": r.at, "data": loads(r.data), "prev_hash": r.prev_hash, "hash": r.hash}
        for r in rows
    ]


def cleanup(session: Session, now: datetime | None = None, days: int | None = None) -> dict[str, Any] | None:
    """Remove finished instances past their removal time, with their tasks, deadlines and history.

    Records what was removed in the chained retention log; returns that entry (None if nothing was due).
    """
    now = now or utcnow()
    days = retention_days() if days is None else days
    cutoff = now - timedelta(days=days)
    due = session.scalars(
        select(ProcessInstance)
        .where(
            ProcessInstance.status.in_(FINISHED),
            ProcessInstance.ended_at.is_not(None),
            ProcessInstance.ended_at <= cutoff,
        )
        .order_by(ProcessInstance.ended_at, ProcessInstance.id)
        .with_for_update()
    ).all()
    if not due:
        return None
    ids = [i.id for i in due]
    touches.mark_instances(session, due)  # before the rows go: the returns they counted in go dirty
    removed = [
        {
            "id": i.id,
            "process": i.process_key,
            "version": i.version,
            "business_key": i.business_key,
            "status": i.status,
            "started_at": persist.iso(i.started_at),
            "ended_at": persist.iso(i.ended_at),
            "events": i.last_seq,
            "last_hash": i.last_hash,
        }
        for i in due
    ]
    session.add(RetentionUnlock(id=1, at=persist.iso(now)))
    session.flush()
    events = session.execute(delete(HistoryEvent).where(HistoryEvent.instance_id.in_(ids))).rowcount
    session.execute(delete(Task).where(Task.instance_id.in_(ids)))
    session.execute(delete(Deadline).where(Deadline.instance_id.in_(ids)))
    session.execute(delete(ProcessInstance).where(ProcessInstance.id.in_(ids)))
    session.execute(delete(RetentionUnlock))
    data = {
        "count": len(ids),
        "instance_ids": ids,
        "events_removed": events,
        "retention_days": days,
        "cutoff": persist.iso(cutoff),
        "range": {
            "started_from": min(r["started_at"] for r in removed),
            "ended_until": max(r["ended_at"] for r in removed),
        },
        "instances": removed,
    }
    last = session.scalars(select(RetentionLog).order_by(RetentionLog.seq.desc()).limit(1)).first()
    entry = {
        "seq": (last.seq if last else 0) + 1,
        "at": persist.iso(now),
        "data": data,
        "prev_hash": last.hash if last else GENESIS,
    }
    entry["hash"] = log_hash(entry)
    session.add(RetentionLog(**{**entry, "data": canonical(data)}))
    session.flush()
    return entry
