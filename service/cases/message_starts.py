"""A message that starts an instance: a start event with ``start_message`` (e.g. ``complaint_received``).

``POST /messages`` first delivers to waiting instances; when none waits and a deployed process starts on
that message name, a new instance of its latest version starts with the payload as its start variables
and the message's business key.  Who may send it: a manager, an admin, or the start event's role.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.access.permissions import Actor
from service.base.problems import Forbidden
from service.cases.definitions import list_latest, model_of
from workflows.model import ProcessModel


def process_started_by(session: Session, name: str) -> ProcessModel | None:
    """The latest model of the process whose start event listens for message ``name``, if any."""
    definitions, _ = list_latest(session, 500, 0)
    for definition in definitions:
        model = model_of(definition)
        if model.start_message == name:
            return model
    return None


def start_by_message(
    session: Session,
    actor: Actor | None,
    name: str,
    business_key: str,
    payload: dict[str, Any],
    now: datetime,
    start: Callable[..., Any],
) -> list[str]:
    """Start the process listening for ``name`` with ``start`` (``instances.start_instance``).

    [] when no process listens; otherwise the new instance's id.
    """
    model = process_started_by(session, name)
    if model is None:
        return []
    starter: Actor | None = actor
    if actor is not None:
        allowed = {"manager", "admin", model.start_role or "manager"}
        if actor.role not in allowed:
            raise Forbidden(f"the {actor.role} role may not send '{name}' to start '{model.key}'")
        if actor.role != (model.start_role or "manager"):
            starter = None  # an admin's message: the service starts the instance on their behalf
    instance = start(
        session, starter, model.key, dict(payload), business_key=business_key, now=now, message=name
    )
    return [instance.id]
