"""The read side: lists and views answered from the indexes, without loading the engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from service.access.permissions import (
    Actor,
    can_see_content,
    can_see_task,
    instance_filter,
    may_know,
    task_filter,
)
from service.base.problems import Forbidden, NotFound
from service.cases.instances import load_task, visible_instance
from service.store import persist
from service.store.models import Deadline, HistoryEvent, ProcessInstance, Task


def _page(session: Session, query, limit: int, offset: int) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return list(session.scalars(query.limit(limit).offset(offset))), total


def instance_view(session: Session, actor: Actor, instance_id: str) -> dict[str, Any]:
    instance = visible_instance(session, actor, instance_id)
    tasks = session.scalars(
        select(Task)
        .where(Task.instance_id == instance.id, Task.status == "open")
        .order_by(Task.created_at, Task.id)
    ).all()
    deadlines = session.scalars(
        select(Deadline)
        .where(Deadline.instance_id == instance.id, Deadline.status == "pending")
        .order_by(Deadline.due_at, Deadline.id)
    ).all()
    return _view(actor, instance, tasks, deadlines)


def step_view(session: Session, actor: Actor, instance: ProcessInstance) -> dict[str, Any]:
    """``instance_view`` of an instance a step of this session just stored (start, complete).

    Built from the rows ``persist.apply`` wrote and holds, in the order the queries of
    ``instance_view`` give, instead of reading them back; the same answer, fewer round trips.
    """
    written = persist.written(session, instance.id)
    if written is None:
        return instance_view(session, actor, instance.id)
    if not may_know(session, actor, instance):
        raise NotFound(f"no process instance {instance.id}")
    tasks, deadlines = written
    tasks = sorted(tasks, key=lambda t: (t.created_at, t.id))
    # ORDER BY due_at, id: PostgreSQL puts NULL last, SQLite first
    nulls_first = session.get_bind().dialect.name == "sqlite"
    deadlines = sorted(
        deadlines,
        key=lambda d: ((d.due_at is None) != nulls_first, d.due_at or _EPOCH, d.id),
    )
    return _view(actor, instance, tasks, deadlines)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _view(actor: Actor, instance: ProcessInstance, tasks, deadlines) -> dict[str, Any]:
    return {
        "id": instance.id,
        "process_key": instance.process_key,
        "version": instance.version,
        "business_key": instance.business_key,
        "status": instance.status,
        "stage": instance.stage,
        "variables": instance.variables if can_see_content(actor) else {},
        "active_tasks": [t for t in tasks if can_see_task(actor, t)],
        "deadlines": deadlines,
        "started_at": instance.started_at,
        "ended_at": instance.ended_at,
        "end_state": instance.end_state,
    }


def list_instances(
    session: Session, actor: Actor, filters: dict[str, Any]
) -> tuple[list[ProcessInstance], int]:
    query = select(ProcessInstance).where(instance_filter(actor))
    for name, column in (
        ("process", ProcessInstance.process_key),
        ("status", ProcessInstance.status),
        ("business_key", ProcessInstance.business_key),
        ("stage", ProcessInstance.stage),
    ):
        if filters.get(name) is not None:
            query = query.where(column == filters[name])
    query = query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id)
    return _page(session, query, filters["limit"], filters["offset"])


def history(session: Session, actor: Actor, instance_id: str) -> list[dict[str, Any]]:
    instance = visible_instance(session, actor, instance_id)
    if not can_see_content(actor):
        raise Forbidden("the admin role holds no casework content")
    return events_of(session, instance.id)


EVENT_COLUMNS = ("seq", "at", "type", "actor", "activity_id", "task_id", "data", "prev_hash", "hash")


def events_of(session: Session, instance_id: str, up_to: int | None = None) -> list[dict[str, Any]]:
    """One instance's events in ``seq`` order (up to ``up_to``), as the API returns them.

    Plain rows, not ORM objects: a long history is read often (history, replay, diagram).
    """
    query = select(*(getattr(HistoryEvent, c) for c in EVENT_COLUMNS)).where(
        HistoryEvent.instance_id == instance_id
    )
    if up_to is not None:
        query = query.where(HistoryEvent.seq <= up_to)
    events = []
    for row in session.execute(query.order_by(HistoryEvent.seq)):
        event = dict(zip(EVENT_COLUMNS, row, strict=True))
        event["data"] = json.loads(event["data"])
        events.append(event)
    return events


def list_tasks(
    session: Session, actor: Actor, filters: dict[str, Any], now: datetime
) -> tuple[list[Task], int]:
    query = select(Task).where(Task.status == "open", task_filter(actor))
    if filters.get("mine"):
        query = query.where(Task.assignee == actor.username)
    if filters.get("unassigned"):  # the web inbox's "unclaimed" list
        query = query.where(Task.assignee.is_(None))
    if filters.get("role"):
        query = query.where(Task.role == filters["role"])
    if filters.get("process"):
        query = query.where(Task.process_key == filters["process"])
    if filters.get("instance"):
        query = query.where(Task.instance_id == str(filters["instance"]))
    if filters.get("overdue"):
        query = query.where(and_(Task.due_at.is_not(None), Task.due_at < now))
    query = query.order_by(Task.due_at.asc().nulls_last(), Task.created_at, Task.id)  # ix_tasks_open_inbox
    return _page(session, query, filters["limit"], filters["offset"])


def task_view(session: Session, actor: Actor, task_id: str) -> dict[str, Any]:
    task, _, model = load_task(session, task_id)
    if not can_see_task(actor, task):
        raise NotFound(f"no task {task_id}")
    return {
        **{
            c: getattr(task, c)
            for c in (
                "id",
                "instance_id",
                "process_key",
                "activity_id",
                "name",
                "role",
                "assignee",
                "status",
                "created_at",
                "due_at",
            )
        },
        "form": model.form(task.activity_id),
    }


def list_deadlines(session: Session, actor: Actor, filters: dict[str, Any]) -> tuple[list[Deadline], int]:
    query = (
        select(Deadline)
        .join(ProcessInstance, ProcessInstance.id == Deadline.instance_id)
        .where(instance_filter(actor))
    )
    if filters.get("instance"):
        query = query.where(Deadline.instance_id == str(filters["instance"]))
    if filters.get("status"):
        query = query.where(Deadline.status == filters["status"])
    query = query.order_by(Deadline.due_at, Deadline.id)
    return _page(session, query, filters["limit"], filters["offset"])


def business_keys(session: Session, instance_ids: set[str]) -> dict[str, str | None]:
    """Instance id -> its business key (the case reference shown beside a task)."""
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key).where(ProcessInstance.id.in_(instance_ids))
    )
    return dict(rows.all())


def last_case_event(session: Session, actor: Actor, instance_id: str) -> int | None:
    """The seq of the instance's last event other than an auditor's read (where an auditor's page opens)."""
    instance = visible_instance(session, actor, instance_id)
    return session.scalar(
        select(func.max(HistoryEvent.seq)).where(
            HistoryEvent.instance_id == instance.id, HistoryEvent.type != "record_read"
        )
    )
