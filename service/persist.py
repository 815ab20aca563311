"""Write one engine step to the database: state, history, task and deadline indexes, together.

Called inside the caller's transaction; nothing here commits.  The instance row
carries a version column, so a concurrent step on the same instance makes the
flush fail (StaleDataError) instead of silently overwriting.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from workflows.engine import EventDraft, Outcome
from workflows.history import chain
from workflows.model import ProcessModel

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
    if events:
        # One batched INSERT (Core, no ORM objects: nothing reads them back, their ids are not needed).
        session.execute(
            insert(HistoryEvent.__table__),
            [
                {
                    "instance_id": instance.id,
                    "seq": event["seq"],
                    "at": event["at"],
                    "type": event["type"],
                    "actor": event["actor"],
                    "activity_id": event["activity_id"],
                    "task_id": event["task_id"],
                    "data": json.dumps(event["data"], sort_keys=True, separators=(",", ":")),
                    "prev_hash": event["prev_hash"],
                    "hash": event["hash"],
                }
                for event in events
            ],
        )
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
    """Store ``outcome`` on ``instance``; returns the deadlines that are new or moved (to schedule).

    A new instance (``last_seq`` 0) is added here and inserted once, with its state, before the
    rows that refer to it.  The instance's open task rows and pending deadline rows as they stand
    after the step are kept in ``session.info`` (see ``written``), so the answer to the request can
    be built without reading back what was just written.
    """
    snap = outcome.snapshot
    new = instance.last_seq == 0  # a new instance has no task or deadline rows to look up
    append_events(session, instance, outcome.events, now)  # first: the instance is then written once
    instance.state = outcome.state_text
    instance.status = snap.status
    instance.stage = snap.stage
    instance.end_state = snap.end_state
    instance.variables = snap.variables
    instance.waiting_messages = {"names": snap.messages}
    if snap.status in ("completed", "cancelled") and instance.ended_at is None:
        instance.ended_at = now
    if new and instance not in session:
        session.add(instance)
        session.flush()  # one INSERT, with its state and last_seq, before the rows that refer to it

    changed, deadlines = _sync_deadlines(session, instance, model, outcome, now, new=new)
    tasks = _sync_tasks(session, instance, model, outcome, now, new=new)
    session.info.setdefault(_WRITTEN, {})[instance.id] = (tasks, deadlines)
    return changed


_WRITTEN = "persist.written"


def written(session: Session, instance_id: str) -> tuple[list[Task], list[Deadline]] | None:
    """The open task rows and pending deadline rows ``apply`` left for ``instance_id`` in this session.

    None if no step of that instance was stored in this session.  Rows whose status changed since
    (in memory: they are the session's own objects) are left out.
    """
    found = session.info.get(_WRITTEN, {}).get(instance_id)
    if found is None:
        return None
    tasks, deadlines = found
    return [t for t in tasks if t.status == "open"], [d for d in deadlines if d.status == "pending"]


def _sync_deadlines(
    session: Session,
    instance: ProcessInstance,
    model: ProcessModel,
    outcome: Outcome,
    now: datetime,
    *,
    new: bool = False,
) -> tuple[list[Deadline], list[Deadline]]:
    """(new or moved deadlines, every pending deadline of the instance after the step).

    Deadlines no longer waited for are closed with an UPDATE (fired if the step fired them,
    cancelled otherwise), skipped when the engine's state before the step shows none can be;
    only the rows of timers still waiting are read, to compare and answer with.
    """
    timers = outcome.snapshot.timers
    current = {t.task_id: t for t in timers}
    before = outcome.timers_before
    if not new and (before is None or before - current.keys()):
        fired = sorted(
            {e.task_id for e in outcome.events if e.type == "timer_fired"} - current.keys() - {None}
        )
        mine = (Deadline.instance_id == instance.id, Deadline.status == "pending")
        if fired:
            session.execute(
                update(Deadline)
                .where(*mine, Deadline.task_id.in_(fired))
                .values(status="fired", fired_at=now)
            )
        session.execute(
            update(Deadline)
            .where(*mine, Deadline.task_id.not_in(list(current)))
            .values(status="cancelled", fired_at=None)
        )
    known = (
        {}
        if new or not current
        else {  # pending ones, and any that was fired or cancelled and now waits again
            d.task_id: d
            for d in session.scalars(
                select(Deadline).where(
                    Deadline.instance_id == instance.id, Deadline.task_id.in_(list(current))
                )
            )
        }
    )
    changed = []
    rows = []
    for task_id, timer in current.items():
        deadline = known.get(task_id)
        if deadline is not None and deadline.status == "pending":
            rows.append(deadline)
            if deadline.due_at == timer.due_at:
                continue
        else:
            if deadline is None:
                deadline = Deadline(
                    instance_id=instance.id,
                    task_id=task_id,
                    activity_id=timer.activity_id,
                    created_at=now,
                )
                session.add(deadline)
            rows.append(deadline)
            deadline.status = "pending"
            deadline.fired_at = None
        deadline.kind = "sla" if timer.sla_milestone else "timer"
        deadline.milestone = timer.sla_milestone
        meta = model.timers.get(timer.activity_id)
        deadline.attached_to = meta.attached_to if meta else None
        deadline.due_at = timer.due_at
        deadline.lease_until = None
        changed.append(deadline)
    if changed:
        session.flush()  # the ids of new deadlines, for the scheduler
    return changed, rows


def _sync_tasks(
    session: Session,
    instance: ProcessInstance,
    model: ProcessModel,
    outcome: Outcome,
    now: datetime,
    *,
    new: bool = False,
) -> list[Task]:
    """Open, close and re-date the task rows; returns the instance's open task rows after the step.

    Tasks closed by the step are closed with an UPDATE (completed by whoever completed them,
    cancelled otherwise); only the rows of tasks open before and after the step are read.
    """
    snap = outcome.snapshot
    now_open = {t.task_id: t for t in snap.open_tasks}
    completed = {e.task_id: e.actor for e in outcome.events if e.type == "task_completed"}
    before = outcome.tasks_before
    kept: set[str] = set()
    mine = (Task.instance_id == instance.id, Task.status == "open")
    if not new:
        by_actor: dict[str | None, list[str]] = {}
        for task_id, actor in completed.items():
            if task_id is not None and task_id not in now_open:
                by_actor.setdefault(actor, []).append(task_id)
        for actor, ids in by_actor.items():
            session.execute(
                update(Task)
                .where(*mine, Task.id.in_(sorted(ids)))
                .values(status="completed", completed_at=now, completed_by=actor)
            )
        if before is None or before - now_open.keys() - completed.keys():
            session.execute(
                update(Task)
                .where(*mine, Task.id.not_in(list(now_open)))
                .values(status="cancelled", completed_at=now, completed_by=None)
            )
        kept = set(now_open) if before is None else set(now_open) & before
    open_rows = (
        {t.id: t for t in session.scalars(select(Task).where(*mine, Task.id.in_(sorted(kept))))}
        if kept
        else {}
    )
    due_by_activity: dict[str, datetime] = {}
    for timer in snap.timers:
        attached = model.timers.get(timer.activity_id)
        if attached and attached.attached_to and timer.due_at:
            key = attached.attached_to
            due_by_activity[key] = min(due_by_activity.get(key, timer.due_at), timer.due_at)
    rows = []
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
        rows.append(row)
    return rows
