"""The demo loader: the use cases driven on the demo's own clock, each deadline fired at its due moment."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access.permissions import Actor
from service.cases import casework_actions, instances, reassign
from service.demo.people import ROLES
from service.scheduler import enforcer as scheduler
from service.store.models import Deadline, Task
from service.store.uow import Database


def day(moment: datetime, days: int = 0) -> str:
    return (moment + timedelta(days=days)).date().isoformat()


def months_later(start: date, months: int) -> date:
    month = start.month - 1 + months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1, day=1)


class Loader:
    """Runs each use case in its own transaction at the loader's clock ``now``."""

    def __init__(self, database: Database, now: datetime) -> None:
        self.db = database
        self.now = now

    def at(self, moment: datetime) -> Loader:
        self.now = moment
        return self

    def later(self, **delta: float) -> Loader:
        self.now += timedelta(**delta)
        return self

    def start(self, process: str, variables: dict[str, Any], actor: str, key: str | None = None) -> str:
        def run(session: Session) -> str:
            return instances.start_instance(
                session, Actor(actor, ROLES[actor]), process, variables, business_key=key, now=self.now
            ).id

        return self.db.run(run)

    def complete(self, instance_id: str, activity_id: str, data: dict[str, Any], actor: str) -> None:
        def run(session: Session) -> None:
            task = session.scalars(
                select(Task).where(
                    Task.instance_id == instance_id, Task.activity_id == activity_id, Task.status == "open"
                )
            ).one()
            instances.complete_task(session, Actor(actor, ROLES[actor]), task.id, data, now=self.now)

        self.db.run(run)
        self.later(hours=2)

    def message(self, name: str, key: str, payload: dict[str, Any]) -> None:
        self.db.run(instances.deliver_message, Actor("manager1", "manager"), name, key, payload, now=self.now)

    def task_of(self, instance_id: str, activity_id: str) -> str:
        with self.db.sessions() as session:
            return session.scalars(
                select(Task.id).where(
                    Task.instance_id == instance_id, Task.activity_id == activity_id, Task.status == "open"
                )
            ).one()

    def assign(self, instance_id: str, activity_id: str, assignee: str, manager: str) -> None:
        """A manager reassigns the open task (``POST /tasks/{id}/assign``)."""
        task_id = self.task_of(instance_id, activity_id)
        self.db.run(reassign.assign_task, Actor(manager, "manager"), task_id, assignee, self.now)

    def cancel(self, instance_id: str, reason: str, reason_code: str, manager: str) -> None:
        """A manager cancels the case with a reason code (``POST /instances/{id}/cancel``)."""
        actor = Actor(manager, "manager")
        self.db.run(instances.cancel_instance, actor, instance_id, reason, self.now, reason_code=reason_code)

    def raise_concern(self, instance_id: str, actor: str) -> None:
        """The case page's *Raise a safeguarding concern* action."""
        who = Actor(actor, ROLES[actor])
        self.db.run(casework_actions.raise_safeguarding_concern, who, instance_id, self.now)

    def request_early_end(self, instance_id: str, manager: str) -> None:
        """The case page's *End the case early* action: the manager's step opens."""
        self.db.run(casework_actions.request_early_end, Actor(manager, "manager"), instance_id, self.now)

    def fire_due(self, instance_ids: list[str], until: datetime) -> None:
        """Fire the deadlines of these instances due by ``until``, each at its due moment (the scheduler's job)."""
        while True:
            with self.db.sessions() as session:
                found = session.execute(
                    select(Deadline.id, Deadline.due_at)
                    .where(
                        Deadline.instance_id.in_(instance_ids),
                        Deadline.status == "pending",
                        Deadline.due_at <= until,
                    )
                    .order_by(Deadline.due_at, Deadline.id)
                    .limit(1)
                ).first()
            if found is None:
                break
            self.now = max(self.now, found.due_at)
            self.db.run(scheduler.fire, found.id, self.now)
