"""Who may see and do what (DOMAIN.md, "People and roles").

Two layers ask the same questions the same way:

* ``ROUTES``: for every endpoint of the API, which roles may call it at all.
  ``service.security`` enforces it before any view runs (401 without a valid
  token, 403 for a role that may not call the endpoint), so a read-only role
  is refused every write whatever the body says.
* row rules (``instance_filter``, ``can_see_task``...): which instances and
  tasks a caller may know exist.  A row the caller may not see answers 404,
  exactly as if it did not exist.

| role | instances it may see | content (variables, history) |
|---|---|---|
| admin | all, to cancel them | none: variables ``{}``, history 403 |
| commissioner | ``commissioning_cycle``, ``sla_escalation`` and ``complaint`` only | of those |
| manager | every process but the commissioner's own ``commissioning_cycle`` | all |
| advocate | those where a task is (or was) assigned to them | of those |
| auditor | all | all, read-only |
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import exists, false, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from service.base.problems import Forbidden, NotFound
from service.store.models import ProcessInstance, Task

ROLES = ("admin", "commissioner", "manager", "advocate", "auditor")
# Processes whose content a commissioner may see: they hold no person's case.
# A complaint holds no names (described in general terms); its level 2 is the commissioner's.
COMMISSIONER_PROCESSES = ("commissioning_cycle", "sla_escalation", "complaint")
# The commissioner's own processes that the provider's managers may not see (they bid for the contract).
COMMISSIONER_ONLY_PROCESSES = ("commissioning_cycle",)
# Roles that see every instance's content (the admin sees rows, not content).
_SEE_ALL = ("auditor", "admin")


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    # the language the user chose for pages, forms and problem details ("cy", "en"; None: the browser's)
    language: str | None = field(default=None, compare=False)


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"the {actor.role} role may not do this")


# -- endpoints -----------------------------------------------------------------------------

PUBLIC = frozenset({"anyone"})
ANY_ROLE = frozenset(ROLES)
_CASEWORK = frozenset({"commissioner", "manager", "advocate"})  # roles that start, claim, complete, message
_READERS = frozenset({"commissioner", "manager", "advocate", "auditor"})  # roles that read case content

# (method, path below /api/v1 with each path parameter as '*') -> the roles that may call it.
ROUTES: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/health"): PUBLIC,
    ("POST", "/auth/token"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("POST", "/auth/revoke"): ANY_ROLE,
    ("GET", "/users"): frozenset({"admin"}),
    ("POST", "/users"): frozenset({"admin"}),
    ("PATCH", "/users/*"): frozenset({"admin"}),
    ("POST", "/users/*/deactivate"): frozenset({"admin"}),
    ("GET", "/process-definitions"): ANY_ROLE,
    ("POST", "/process-definitions"): frozenset({"admin"}),
    ("GET", "/process-definitions/*"): ANY_ROLE,
    ("GET", "/process-definitions/*/xml"): ANY_ROLE,
    ("GET", "/process-definitions/*/heatmap"): frozenset({"manager", "commissioner", "auditor"}),
    ("POST", "/process-instances"): _CASEWORK,  # and then only the role of the start event's lane
    ("GET", "/process-instances"): ANY_ROLE,
    ("GET", "/process-instances/*"): ANY_ROLE,
    # manager and admin; the others are answered by the view: 404 for a case they may not know exists
    ("POST", "/process-instances/*/cancel"): frozenset({"manager", "admin", "commissioner", "advocate"}),
    ("GET", "/process-instances/*/history"): _READERS,
    ("GET", "/process-instances/*/replay"): _READERS,
    ("GET", "/process-instances/*/diagram"): _READERS,
    ("GET", "/process-instances/*/export"): _READERS,
    ("GET", "/process-instances/*/retention"): ANY_ROLE,  # dates only, no content
    ("GET", "/tasks"): ANY_ROLE,
    ("GET", "/tasks/*"): ANY_ROLE,
    # a candidate of the task's role (its assignee once it has one); the admin sees no task: 404
    ("POST", "/tasks/*/claim"): _CASEWORK | {"admin"},
    ("POST", "/tasks/*/complete"): _CASEWORK | {"admin"},
    ("POST", "/tasks/*/assign"): frozenset({"manager"}),  # reassignment (DOMAIN.md second edition)
    ("GET", "/deadlines"): ANY_ROLE,
    ("GET", "/notifications"): ANY_ROLE,  # the caller's own only
    ("POST", "/notifications/*/read"): ANY_ROLE,  # another person's: 404
    ("POST", "/messages"): _CASEWORK,  # and then only a role of the receiving process
    ("GET", "/slas"): ANY_ROLE,
    ("POST", "/slas"): frozenset({"commissioner"}),
    ("GET", "/slas/*"): ANY_ROLE,
    ("PUT", "/slas/*"): frozenset({"commissioner"}),
    ("POST", "/migrations"): frozenset({"admin"}),
    ("GET", "/reports/quarterly"): frozenset({"commissioner", "manager", "auditor"}),
    ("GET", "/reports/commissioning"): frozenset({"commissioner", "auditor"}),
    ("GET", "/reports/supervision"): frozenset({"manager", "commissioner"}),  # workforce dates only
}
API_PREFIX = "/api/v1"
_PARAMETER = re.compile(r"<[^>]+>")


def route_key(method: str, rule: str) -> tuple[str, str]:
    """('GET', '/api/v1/tasks/<string:task_id>') -> ('GET', '/tasks/*')."""
    path = _PARAMETER.sub("*", rule)
    if path.startswith(API_PREFIX):
        path = path[len(API_PREFIX) :] or "/"
    return ("GET" if method == "HEAD" else method), path


def route_roles(method: str, rule: str) -> frozenset[str] | None:
    """The roles that may call an endpoint of the API (``PUBLIC`` for anyone), None when it has no row.

    Only rules under ``/api/v1`` have rows: the web pages check their own session login.
    """
    if not rule.startswith(API_PREFIX + "/"):
        return None
    return ROUTES.get(route_key(method, rule))


def check_route(actor: Actor, method: str, rule: str) -> None:
    roles = route_roles(method, rule)
    if roles is not None and roles is not PUBLIC and actor.role not in roles:
        raise Forbidden(f"the {actor.role} role may not {method} {route_key(method, rule)[1]}")


# -- rows ----------------------------------------------------------------------------------


def instance_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL condition for the instances ``actor`` may know exist."""
    if actor.role in _SEE_ALL:
        return true()
    if actor.role == "manager":
        return ProcessInstance.process_key.not_in(COMMISSIONER_ONLY_PROCESSES)
    if actor.role == "commissioner":
        return ProcessInstance.process_key.in_(COMMISSIONER_PROCESSES)
    if actor.role == "advocate":
        return exists(
            select(Task.id).where(Task.instance_id == ProcessInstance.id, Task.assignee == actor.username)
        )
    return false()


def can_see_instance(actor: Actor, instance: ProcessInstance, assignees: set[str | None]) -> bool:
    """The row rule of ``instance_filter``, for one loaded instance (``assignees``: of its tasks)."""
    if actor.role in _SEE_ALL:
        return True
    if actor.role == "manager":
        return instance.process_key not in COMMISSIONER_ONLY_PROCESSES
    if actor.role == "commissioner":
        return instance.process_key in COMMISSIONER_PROCESSES
    if actor.role == "advocate":
        return actor.username in assignees
    return False


def may_know(session: Session, actor: Actor, instance: ProcessInstance) -> bool:
    """``can_see_instance``, reading the instance's assignees only when the rule needs them."""
    assignees: set[str | None] = set()
    if actor.role == "advocate":
        assignees = set(session.scalars(select(Task.assignee).where(Task.instance_id == instance.id)))
    return can_see_instance(actor, instance, assignees)


def can_see_content(actor: Actor) -> bool:
    """Variables and history: not for the admin, who runs the system but holds no casework."""
    return actor.role in _READERS


def task_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL condition for the tasks ``actor`` may see in an inbox."""
    if actor.role == "auditor":
        return true()
    if actor.role == "manager":
        return Task.process_key.not_in(COMMISSIONER_ONLY_PROCESSES)
    if actor.role == "advocate":
        return Task.assignee == actor.username
    if actor.role == "commissioner":
        return (Task.role == "commissioner") & Task.process_key.in_(COMMISSIONER_PROCESSES)
    return false()


def can_see_task(actor: Actor, task: Task) -> bool:
    if actor.role == "auditor":
        return True
    if actor.role == "manager":
        return task.process_key not in COMMISSIONER_ONLY_PROCESSES
    if actor.role == "advocate":
        return task.assignee == actor.username
    if actor.role == "commissioner":
        return task.role == "commissioner" and task.process_key in COMMISSIONER_PROCESSES
    return False


def check_can_work(actor: Actor, task: Task) -> None:
    """Claim or complete: a candidate of the task's role, and its assignee once it has one."""
    if not can_see_task(actor, task):
        raise NotFound(f"no task {task.id}")
    if actor.role not in _CASEWORK or actor.role != task.role:
        raise Forbidden(f"this task is for the {task.role} role")
    if task.assignee and task.assignee != actor.username:
        raise Forbidden(f"this task is assigned to {task.assignee}")


def mine_filter(actor: Actor) -> ColumnElement[bool]:
    return Task.assignee == actor.username
