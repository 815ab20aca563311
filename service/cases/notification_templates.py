"""The notification templates a BPMN send task may name, and who each one goes to.

A diagram's ``<bpmn:sendTask>`` names one of these in ``<camunda:property name="notification_template"
value="case_update_manager"/>`` (bpmn/README.md); any other name, or none, is refused at deploy (422).
When the send task runs, each recipient gets a notification (kind ``send_task``, ``template`` the name)
and, with ``ADVOCACY_FLOW_SMTP_URL``, an e-mail in their own language whose subject is the template's
text around the send task's name from the diagram: never anything of the case itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access.permissions import COMMISSIONER_ONLY_PROCESSES
from service.base.languages import N_
from service.store.models import ProcessInstance, Task, User


@dataclass(frozen=True)
class Template:
    name: str
    subject: str  # a catalogue message (N_) with %(task)s: the send task's name
    recipients: Callable[[Session, ProcessInstance], list[User]]


def _active(session: Session, *where) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True), *where).order_by(User.username)))


def case_managers(session: Session, instance: ProcessInstance) -> list[User]:
    """The managers, who oversee every case (none for the commissioner's own processes they may not see)."""
    if instance.process_key in COMMISSIONER_ONLY_PROCESSES:
        return []
    return _active(session, User.role == "manager")


def case_advocates(session: Session, instance: ProcessInstance) -> list[User]:
    """The advocates who hold (or held) a task of this case."""
    assignees = select(Task.assignee).where(Task.instance_id == instance.id, Task.assignee.is_not(None))
    return _active(session, User.role == "advocate", User.username.in_(assignees))


def commissioners(session: Session, instance: ProcessInstance) -> list[User]:
    return _active(session, User.role == "commissioner")


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("case_update_manager", N_("Case update: %(task)s"), case_managers),
        Template("case_update_advocate", N_("Update on a case you work on: %(task)s"), case_advocates),
        Template("commissioner_alert", N_("Alert for commissioners: %(task)s"), commissioners),
    )
}
