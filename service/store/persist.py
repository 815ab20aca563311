"""Write one engine step to the database: state, history, task and deadline indexes, together.

Called inside the caller's transaction; nothing here commits.  The instance row
carries a version column, so a concurrent step on the same instance fails
(StaleDataError) instead of silently overwriting.

Every step runs here, so the statements are built once (module constants with bound
parameters) and run as Core statements on the session's connection: the ORM's unit of work
and a statement built per call cost several times the database's own work.  The session's ORM
objects are then set to what was written, as loaded values, so the ORM has nothing to flush.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Column, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import UpdateBase

from service.base.config import reminder_share
from service.store.batch import Write, Writes, rows_insert
from service.store.models import Deadline, HistoryEvent, ProcessInstance, Task
from workflows.engine import EventDraft, Outcome
from workflows.history import chain
from workflows.model import ProcessModel


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def append_events(
    session: Session, instance: ProcessInstance, drafts: list[EventDraft], now: datetime
) -> list[dict]:
    """Chain and INSERT ``drafts`` after the instance's last event, and move its last seq and hash."""
    events = _insert_events(session, instance, drafts, now)
    if events:
        instance.last_seq = events[-1]["seq"]
        instance.last_hash = events[-1]["hash"]
    return events


def _insert_events(
    session: Session,
    instance: ProcessInstance,
    drafts: list[EventDraft],
    now: datetime,
    writes: Writes | None = None,
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
        (writes or Writes(session.connection(), combine=False)).add(
            _INSERT_EVENTS,
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
    return events


_INSERT_EVENTS = rows_insert(
    HistoryEvent.__table__,
    ("instance_id", "seq", "at", "type", "actor", "activity_id", "task_id", "data", "prev_hash", "hash"),
)


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
    # Held and sent with the instance's UPDATE (see batch.py); a new instance's run at once.
    writes = Writes(session.connection(), combine=not new)
    events = _insert_events(session, instance, outcome.events, now, writes)
    values: dict[str, Any] = {
        "state": outcome.state_text,
        "status": snap.status,
        "stage": snap.stage,
        "end_state": snap.end_state,
        "variables": snap.variables,
        "waiting_messages": {"names": snap.messages},
        "last_seq": events[-1]["seq"] if events else instance.last_seq,
        "last_hash": events[-1]["hash"] if events else instance.last_hash,
        "ended_at": instance.ended_at,
    }
    if snap.status in ("completed", "cancelled") and instance.ended_at is None:
        values["ended_at"] = now
    if new:
        _insert_instance(session, instance, values)  # before the rows that refer to it
    changed, deadlines = _sync_deadlines(session, instance, model, outcome, now, writes, new=new)
    tasks = _sync_tasks(session, instance, model, outcome, now, writes, new=new)
    if not new:
        _update_instance(writes, instance, values)  # with the writes held for it
    session.info.setdefault(_WRITTEN, {})[instance.id] = (tasks, deadlines)
    return changed


_INSTANCES = ProcessInstance.__table__
_INSERT_INSTANCE = insert(_INSTANCES)
_UPDATE_INSTANCE = Write(
    lambda p, _: (
        update(_INSTANCES)
        .where(_INSTANCES.c.id == bindparam(f"{p}_id"), _INSTANCES.c.row_version == bindparam(f"{p}_version"))
        .values(
            {
                name: bindparam(f"{p}v_{name}", type_=_INSTANCES.c[name].type)
                for name in (
                    "state",
                    "status",
                    "stage",
                    "end_state",
                    "variables",
                    "waiting_messages",
                    "last_seq",
                    "last_hash",
                    "ended_at",
                    "row_version",
                )
            }
        )
    )
)


def _insert_instance(session: Session, instance: ProcessInstance, values: dict[str, Any]) -> None:
    """One INSERT of the new instance with its first state; the object joins the session as loaded."""
    for name, value in values.items():
        setattr(instance, name, value)
    instance.row_version = 1
    row = {column.key: getattr(instance, column.key) for column in _INSTANCES.columns}
    session.connection().execute(_INSERT_INSTANCE, row)
    make_transient_to_detached(instance)
    session.add(instance)


def _update_instance(writes: Writes, instance: ProcessInstance, values: dict[str, Any]) -> None:
    """UPDATE the instance's row if nobody else moved its version since it was read."""
    version = instance.row_version
    values = {**values, "row_version": version + 1}
    rowcount = writes.send(
        _UPDATE_INSTANCE,
        {**{f"v_{name}": value for name, value in values.items()}, "_id": instance.id, "_version": version},
    )
    if rowcount != 1:
        raise StaleDataError(f"process instance {instance.id} was changed by another step")
    _loaded(instance, values)


def _loaded(obj: Any, values: dict[str, Any]) -> None:
    """Set ``values`` on an ORM object as what the database holds (no change left to flush)."""
    for name, value in values.items():
        set_committed_value(obj, name, value)


def _attach(session: Session, objects: Iterable[Any]) -> None:
    """Rows just INSERTed by Core: into the session as loaded objects (one per row, as a query would)."""
    for obj in objects:
        make_transient_to_detached(obj)
        session.add(obj)


def _own(session: Session, cls: type, instance_id: str, status: str) -> list[Any]:
    """The session's loaded ``cls`` objects of ``instance_id`` in ``status`` (an UPDATE may change them)."""
    return [
        obj
        for obj in session.identity_map.values()
        if isinstance(obj, cls) and obj.instance_id == instance_id and obj.status == status
    ]


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


_DEADLINES = Deadline.__table__


def _close(
    table: Table, key: Column, status: str, values: Callable[[str], dict[str, Any]], *, rest: bool = False
) -> Write:
    """UPDATE the instance's rows in ``status`` whose ``key`` is in ``ids`` (``rest``: not in ``keep``)."""

    def build(p: str, _rows: int) -> UpdateBase:
        match = (
            key.not_in(bindparam(f"{p}_keep", expanding=True))
            if rest
            else key.in_(bindparam(f"{p}_ids", expanding=True))
        )
        return (
            update(table)
            .where(table.c.instance_id == bindparam(f"{p}_instance"), table.c.status == status, match)
            .values(values(p))
        )

    return Write(build)


def _at(p: str, column: Column) -> BindParameter:
    """The moment the rows are closed (``_at``), typed as ``column``."""
    return bindparam(f"{p}_at", type_=column.type)


_FIRE_DEADLINES = _close(
    _DEADLINES,
    _DEADLINES.c.task_id,
    "pending",
    lambda p: {"status": "fired", "fired_at": _at(p, _DEADLINES.c.fired_at)},
)
_CANCEL_DEADLINES = _close(  # "the rest": run with the fired ones kept, so no row is written twice
    _DEADLINES,
    _DEADLINES.c.task_id,
    "pending",
    lambda p: {"status": "cancelled", "fired_at": None},
    rest=True,
)
_DEADLINES_OF_TIMERS = select(Deadline).where(
    Deadline.instance_id == bindparam("_instance"), Deadline.task_id.in_(bindparam("_ids", expanding=True))
)
_INSERT_DEADLINE = insert(_DEADLINES).returning(_DEADLINES.c.id)


def _sync_deadlines(
    session: Session,
    instance: ProcessInstance,
    model: ProcessModel,
    outcome: Outcome,
    now: datetime,
    writes: Writes,
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
        own = _own(session, Deadline, instance.id, "pending")
        if fired:
            writes.add(_FIRE_DEADLINES, {"_instance": instance.id, "_ids": fired, "_at": now})
        writes.add(_CANCEL_DEADLINES, {"_instance": instance.id, "_keep": sorted({*current, *fired})})
        for deadline in own:
            if deadline.task_id in fired:
                _loaded(deadline, {"status": "fired", "fired_at": now})
            elif deadline.task_id not in current:
                _loaded(deadline, {"status": "cancelled", "fired_at": None})
    known = (
        {}
        if new or not current
        else {  # pending ones, and any that was fired or cancelled and now waits again
            d.task_id: d
            for d in session.scalars(
                _DEADLINES_OF_TIMERS, {"_instance": instance.id, "_ids": sorted(current)}
            )
        }
    )
    _insert_fired_at_once(session, instance, model, outcome, now, current.keys(), before, new=new)
    changed = []
    rows = []
    started = _target_start(outcome.snapshot.variables)
    for task_id, timer in current.items():
        meta = model.timers.get(timer.activity_id)
        values = {
            "kind": "sla" if timer.sla_milestone else "timer",
            "milestone": timer.sla_milestone,
            "attached_to": meta.attached_to if meta else None,
            "due_at": timer.due_at,
            "lease_until": None,
            "status": "pending",
            "fired_at": None,
        }
        if timer.sla_milestone:
            values["remind_at"] = remind_at(started or now, timer.due_at)
        deadline = known.get(task_id)
        if deadline is None:  # a timer waiting for the first time: INSERTed now, for its id
            row = {"instance_id": instance.id, "task_id": task_id, "activity_id": timer.activity_id}
            row.update(values, created_at=now)
            deadline = Deadline(id=session.connection().execute(_INSERT_DEADLINE, row).scalar_one(), **row)
            _attach(session, [deadline])
        elif deadline.status == "pending" and deadline.due_at == timer.due_at:
            rows.append(deadline)
            continue
        else:  # moved, or waiting again after it fired or was cancelled: the ORM flushes the change
            for name, value in values.items():
                setattr(deadline, name, value)
        rows.append(deadline)
        changed.append(deadline)
    return changed, rows


def _target_start(variables: dict[str, Any] | None) -> datetime | None:
    """When an SLA target's time began: the referral's ``received_at`` (the targets count from it)."""
    received = (variables or {}).get("received_at")
    if not isinstance(received, str):
        return None
    try:
        moment = datetime.fromisoformat(received)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def remind_at(start: datetime, due: datetime | None) -> datetime | None:
    """The moment ``reminder_share()`` of the time from ``start`` to ``due`` has passed (None: no due)."""
    if due is None:
        return None
    if start >= due:
        return due
    return start + (due - start) * reminder_share()


def _insert_fired_at_once(
    session: Session,
    instance: ProcessInstance,
    model: ProcessModel,
    outcome: Outcome,
    now: datetime,
    current: Iterable[str],
    before: frozenset[str] | None,
    *,
    new: bool,
) -> None:
    """A row, ``fired`` at once, for each timer that began and fired inside this step.

    A timer whose moment had already passed when its step reached it (a back-dated referral)
    never waits, so it never had a pending row: it gets one now, with its due time and
    ``fired_at``, so the deadline lists, the reports and the heat map see it as any other.
    """
    drafts = [
        e for e in outcome.events if e.type == "timer_fired" and e.task_id and e.task_id not in set(current)
    ]
    if not drafts:
        return
    waited = set(before or ())
    candidates = {e.task_id: e for e in drafts if e.task_id not in waited}
    if not candidates:
        return
    if not new:  # rows may exist already (a timer that waited in an earlier step): leave those
        for existing in session.scalars(
            _DEADLINES_OF_TIMERS, {"_instance": instance.id, "_ids": sorted(candidates)}
        ):
            candidates.pop(existing.task_id, None)
    for task_id, event in candidates.items():
        meta = model.timers.get(event.activity_id or "")
        due = event.data.get("due_at")
        fired = event.data.get("fired_at")
        row = {
            "instance_id": instance.id,
            "task_id": task_id,
            "activity_id": event.activity_id or "",
            "kind": "sla" if meta and meta.sla_milestone else "timer",
            "milestone": meta.sla_milestone if meta else None,
            "attached_to": meta.attached_to if meta else None,
            "due_at": datetime.fromisoformat(due) if due else None,
            "status": "fired",
            "fired_at": datetime.fromisoformat(fired) if fired else now,
            "lease_until": None,
            "created_at": now,
        }
        session.connection().execute(_INSERT_DEADLINE, row)


_TASKS = Task.__table__


_COMPLETE_TASKS = _close(
    _TASKS,
    _TASKS.c.id,
    "open",
    lambda p: {
        "status": "completed",
        "completed_at": _at(p, _TASKS.c.completed_at),
        "completed_by": bindparam(f"{p}_by", type_=_TASKS.c.completed_by.type),
    },
)
_CANCEL_TASKS = _close(  # "the rest": run with the completed ones kept, so no row is written twice
    _TASKS,
    _TASKS.c.id,
    "open",
    lambda p: {"status": "cancelled", "completed_at": _at(p, _TASKS.c.completed_at), "completed_by": None},
    rest=True,
)
_OPEN_TASKS = select(Task).where(
    Task.instance_id == bindparam("_instance"),
    Task.status == "open",
    Task.id.in_(bindparam("_ids", expanding=True)),
)
_INSERT_TASKS = rows_insert(_TASKS, tuple(c.key for c in _TASKS.columns))


def _sync_tasks(
    session: Session,
    instance: ProcessInstance,
    model: ProcessModel,
    outcome: Outcome,
    now: datetime,
    writes: Writes,
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
    if not new:
        own = _own(session, Task, instance.id, "open")
        done = {task_id: actor for task_id, actor in completed.items() if task_id and task_id not in now_open}
        by_actor: dict[str | None, list[str]] = {}
        for task_id, actor in done.items():
            by_actor.setdefault(actor, []).append(task_id)
        for actor, ids in by_actor.items():
            writes.add(
                _COMPLETE_TASKS, {"_instance": instance.id, "_ids": sorted(ids), "_at": now, "_by": actor}
            )
        if before is None or before - now_open.keys() - completed.keys():
            writes.add(
                _CANCEL_TASKS, {"_instance": instance.id, "_keep": sorted({*now_open, *done}), "_at": now}
            )
        for task in own:
            if task.id in done:
                _loaded(task, {"status": "completed", "completed_at": now, "completed_by": done[task.id]})
            elif task.id not in now_open:
                _loaded(task, {"status": "cancelled", "completed_at": now, "completed_by": None})
        kept = set(now_open) if before is None else set(now_open) & before
    open_rows = (
        {t.id: t for t in session.scalars(_OPEN_TASKS, {"_instance": instance.id, "_ids": sorted(kept)})}
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
    created = []
    for task_id, task in now_open.items():
        due = due_by_activity.get(task.activity_id)
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
                due_at=due,
                completed_at=None,
                completed_by=None,
            )
            created.append(row)
        elif row.due_at != due:
            row.due_at = due  # the ORM flushes the change
        rows.append(row)
    if created:
        writes.add(_INSERT_TASKS, [{c.key: getattr(t, c.key) for c in _TASKS.columns} for t in created])
        _attach(session, created)
    return rows
