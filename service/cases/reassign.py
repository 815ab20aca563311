"""A manager reassigns an open task (DOMAIN.md, second edition, "Continuity"): ``POST /tasks/{id}/assign``.

The task keeps its due time and the SLA clocks keep running (no deadline is touched); the history records a
``task_claimed`` event by the manager with ``data.assignee`` and ``data.reassigned_from``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access.permissions import Actor, can_see_task, require_role
from service.base.problems import Conflict, Invalid, NotFound
from service.cases.instances import load_task
from service.cases.reports import touches
from service.store import persist
from service.store.models import Task, User
from workflows.engine import EventDraft


def assign_task(
    session: Session, actor: Actor, task_id: str, assignee: str, now: datetime | None = None
) -> Task:
    require_role(actor, "manager")
    now = now or datetime.now(UTC)
    task, instance, _ = load_task(session, task_id)
    if not can_see_task(actor, task):
        raise NotFound(f"no task {task_id}")
    if task.status != "open":
        raise Conflict(f"task {task_id} is {task.status}, not open")
    user = session.scalars(select(User).where(User.username == assignee)).first()
    if user is None or not user.active:
        raise Invalid("no such user", errors={"assignee": [f"no active user '{assignee}'"]})
    if user.role != task.role:
        raise Invalid(
            "the user may not take this task",
            errors={"assignee": [f"{assignee} is a {user.role}; this task is for the {task.role} role"]},
        )
    if task.assignee == assignee:
        return task
    previous = task.assignee
    task.assignee = assignee
    touches.mark_instance(session, instance.process_key, instance.variables)  # no figure moves; to be safe
    event = EventDraft(
        "task_claimed",
        activity_id=task.activity_id,
        task_id=task.id,
        actor=actor.username,
        data={"assignee": assignee, "reassigned_from": previous},
    )
    persist.append_events(session, instance, [event], now)
    session.flush()
    return task


def candidates(session: Session, roles: set[str]) -> dict[str, list[str]]:
    """Active usernames by role, for the roles given (who a task of that role may go to)."""
    rows = session.execute(
        select(User.role, User.username).where(User.role.in_(sorted(roles)), User.active.is_(True))
    )
    found: dict[str, list[str]] = {role: [] for role in roles}
    for role, username in rows:
        found[role].append(username)
    return {role: sorted(names) for role, names in found.items()}
