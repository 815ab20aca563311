"""Write one engine step to the database: state, history, task and deadline indexes, together.

Called inside the caller's transaction; nothing here commits.  The instance row
carries a version column, so a concurrent step on the same instance makes the
flush fail (StaleDataError) instead of silently overwriting.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine import EventDraft, Outcome
from workflows.history import chain
from workflows.model import ProcessModel
from workflows.state import PendingTimer

from .models import Deadline, HistoryEvent, ProcessInstance, Task


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def append_events(
    session: Session, instance: ProcessInstance, drafts: list[EventDraft], now: datetime
) -> list[dict]:
    events = chain(
        (
            {
                "at": iso(now),
                "type": d.type,
                "actor": d.actor,
                "activity_id": d.activity_id,
                "task_id": d.task_id,
                "data": d.data,
            }
            for d in drafts
        ),
        last_seq=instance.last_seq,
        last_hash=instance.last_hash,
    )
    for event in events:
        session.add(
            HistoryEvent(
                instance_id=instance.id,
                seq=event["seq"],
                at=event["at"],
                type=event["type"],
                actor=event["actor"],
                activity_id=event["activity_id"],
                task_id=event["task_id"],
                data=json.dumps(event["data"], sort_keys=True, separators=(",", ":")),
                prev_hash=event["prev_hash"],
                hash=event["hash"],
            )
        )
    if events:
        instance.last_seq = events[-1]["seq"]
        instance.last_hash = events[-1]["hash"]
    return events


def apply(
    session: Session,
    instance: ProcessInstance,
    model: ProcessModel,
    outcome: Outcome,
    now: datetime,
) -> list[Deadline]:
    """Store ``outcome`` on ``instance``; returns the deadlines that are new or moved (to schedule)."""
    snap = outcome.snapshot
    instance.state = json.dumps(outcome.state, separators=(",", ":"))
    instance.status = snap.status
    instance.stage = snap.stage
    instance.end_state = snap.end_state
    instance.variables = snap.variables
    instance.waiting_messages = {"names": snap.messages}
    if snap.status in ("completed", "cancelled") and instance.ended_at is None:
        instance.ended_at = now
    new = instance.last_seq == 0  # a new instance has no task or deadline rows to look up
    append_events(session, instance, outcome.events, now)

    fired = {e.task_id for e in outcome.events if e.type == "timer_fired"}
    changed = _sync_deadlines(session, instance, model, snap.timers, fired, now, new=new)
    _sync_tasks(session, instance, model, outcome, now, new=new)
    return changed


def _sync_deadlines(
    session: Session,
    instance: ProcessInstance,
    model: ProcessModel,
    timers: list[PendingTimer],
    fired: set[str | None],
    now: datetime,
    *,
    new: bool = False,
) -> list[Deadline]:
    pending = (
        {}
        if new
        else {
            d.task_id: d
            for d in session.scalars(
                select(Deadline).where(Deadline.instance_id == instance.id, Deadline.status == "pending")
            )
        }
    )
    changed = []
    current = {t.task_id: t for t in timers}
    for task_id, deadline in pending.items():
        if task_id in current:
            continue
        deadline.status = "fired" if task_id in fired else "cancelled"
        deadline.fired_at = now if task_id in fired else None
    for task_id, timer in current.items():
        deadline = pending.get(task_id)
        if deadline is None:
            deadline = (
                None
                if new
                else session.scalars(  # a timer that was fired or cancelled and now waits again
                    select(Deadline).where(Deadline.instance_id == instance.id, Deadline.task_id == task_id)
                ).first()
            )
            if deadline is None:
                deadline = Deadline(
                    instance_id=instance.id,
                    task_id=task_id,
                    activity_id=timer.activity_id,
                    created_at=now,
                )
                session.add(deadline)
            deadline.status = "pending"
            deadline.fired_at = None
        elif deadline.due_at == timer.due_at:
            continue
        deadline.kind = "sla" if timer.sla_milestone else "timer"
        deadline.milestone = timer.sla_milestone
        meta = model.timers.get(timer.activity_id)
        deadline.attached_to = meta.attached_to if meta else None
        deadline.due_at = timer.due_at
        deadline.lease_until = None
        changed.append(deadline)
    session.flush()
    return changed


def _sync_tasks(
    session: Session,
    instance: ProcessInstance,
    model: ProcessModel,
    outcome: Outcome,
    now: datetime,
    *,
    new: bool = False,
) -> None:
    snap = outcome.snapshot
    open_rows = (
        {}
        if new
        else {
            t.id: t
            for t in session.scalars(
                select(Task).where(Task.instance_id == instance.id, Task.status == "open")
            )
        }
    )
    now_open = {t.task_id: t for t in snap.open_tasks}
    completed = {e.task_id: e.actor for e in outcome.events if e.type == "task_completed"}
    for task_id, row in open_rows.items():
        if task_id in now_open:
            continue
        row.status = "completed" if task_id in completed else "cancelled"
        row.completed_at = now
        row.completed_by = completed.get(task_id)
    due_by_activity: dict[str, datetime] = {}
    for timer in snap.timers:
        attached = model.timers.get(timer.activity_id)
        if attached and attached.attached_to and timer.due_at:
            key = attached.attached_to
            due_by_activity[key] = min(due_by_activity.get(key, timer.due_at), timer.due_at)
    for task_id, task in now_open.items():
        row = open_rows.get(task_id)
        if row is None:
            row = Task(
                id=task_id,
                instance_id=instance.id,
                process_key=instance.process_key,
                activity_id=task.activity_id,
                name=task.name,
                role=task.role,
                assignee=task.assignee,
                status="open",
                created_at=now,
            )
            session.add(row)
        row.due_at = due_by_activity.get(task.activity_id)
