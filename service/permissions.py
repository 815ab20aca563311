"""Who may see and do what (DOMAIN.md, "People and roles").

Every rule is a small function of the user and the row, so the API and the
tests ask the same question the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, false, or_, select, true
from sqlalchemy.sql import ColumnElement

from .models import ProcessInstance, Task
from .problems import Forbidden, NotFound

# Processes whose content a commissioner may see: they hold no person's case.
COMMISSIONER_PROCESSES = ("commissioning_cycle", "sla_escalation")


@dataclass(frozen=True)
class Actor:
    username: str
    role: str


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"the {actor.role} role may not do this")


def instance_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL condition for the instances ``actor`` may know exist."""
    if actor.role in ("manager", "auditor", "admin"):
        return true()
    if actor.role == "commissioner":
        return ProcessInstance.process_key.in_(COMMISSIONER_PROCESSES)
    if actor.role == "advocate":
        return exists(
            select(Task.id).where(Task.instance_id == ProcessInstance.id, Task.assignee == actor.username)
        )
    return false()


def can_see_instance(actor: Actor, instance: ProcessInstance, assignees: set[str]) -> bool:
    if actor.role in ("manager", "auditor", "admin"):
        return True
    if actor.role == "commissioner":
        return instance.process_key in COMMISSIONER_PROCESSES
    if actor.role == "advocate":
        return actor.username in assignees
    return False


def can_see_content(actor: Actor) -> bool:
    """Variables and history: not for the admin, who runs the system but holds no casework."""
    return actor.role != "admin"


def task_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL condition for the tasks ``actor`` may see in an inbox."""
    if actor.role in ("manager", "auditor"):
        return true()
    if actor.role == "advocate":
        return Task.assignee == actor.username
    if actor.role == "commissioner":
        return Task.role == "commissioner"
    return false()


def can_see_task(actor: Actor, task: Task) -> bool:
    if actor.role in ("manager", "auditor"):
        return True
    if actor.role == "advocate":
        return task.assignee == actor.username
    if actor.role == "commissioner":
        return task.role == "commissioner"
    return False


def check_can_work(actor: Actor, task: Task) -> None:
    """Claim or complete: a candidate of the task's role, and its assignee once it has one."""
    if not can_see_task(actor, task):
        raise NotFound(f"no task {task.id}")
    if actor.role != task.role:
        raise Forbidden(f"this task is for the {task.role} role")
    if task.assignee and task.assignee != actor.username:
        raise Forbidden(f"this task is assigned to {task.assignee}")


def mine_filter(actor: Actor) -> ColumnElement[bool]:
    return or_(Task.assignee == actor.username)
