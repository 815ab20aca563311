"""Scenario driver over the service's use cases; the interface is DRIVER_CONTRACT.md, and only it may be used.

Every call runs one use case of ``service.instances`` (the functions the HTTP API calls) in its own
transaction (``Database.run``) at the driver's clock ``now``; reads come from the rows the service
writes (instances, tasks, deadlines, history).  ``advance_clock`` plays the deadline scheduler: it
fires each pending deadline due by then, in due order, through ``service.scheduler.fire``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access.permissions import Actor
from service.base.problems import Forbidden, Invalid, NotFound
from service.cases import instances
from service.cases.definitions import model_of
from service.scheduler import enforcer as scheduler
from service.store.models import Deadline, HistoryEvent, ProcessDefinition, ProcessInstance, Task

CLOCK_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
USERS = {
    "manager1": "manager",
    "manager2": "manager",
    "advocate1": "advocate",
    "advocate2": "advocate",
    "commissioner1": "commissioner",
    "admin1": "admin",
    "auditor1": "auditor",
}
MESSAGE_SENDER = Actor("manager1", "manager")
T = TypeVar("T")


class FormInvalid(Exception):
    """Data refused by the form; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(json.dumps(errors, sort_keys=True))
        self.errors = errors


def _actor(username: str) -> Actor:
    return Actor(username, USERS.get(username, "unknown"))


class Driver:
    """Drives process instances through the service (see DRIVER_CONTRACT.md)."""

    def __init__(self, database: Any) -> None:
        self.db = database
        self.now: datetime = CLOCK_START

    # -- the contract ---------------------------------------------------------------------

    def start(
        self, process: str, variables: dict, business_key: str | None = None, actor: str = "manager1"
    ) -> str:
        def run(session: Session) -> str:
            instance = instances.start_instance(
                session, _actor(actor), process, variables, business_key=business_key, now=self.now
            )
            return instance.id

        return self._use_case(run)

    def tasks(self, instance_id: str) -> list[dict]:
        return self._read(lambda s: [self._describe(s, t) for t in self._open(s, instance_id)])

    def task(self, instance_id: str, activity_id: str) -> dict:
        return self._read(lambda s: self._describe(s, self._open_task(s, instance_id, activity_id)))

    def complete(self, instance_id: str, activity_id: str, data: dict, actor: str) -> None:
        def run(session: Session) -> None:
            task = self._open_task(session, instance_id, activity_id)
            instances.complete_task(session, _actor(actor), task.id, data, now=self.now)

        self._use_case(run)

    def deadlines(self, instance_id: str) -> list[dict]:
        def read(session: Session) -> list[dict]:
            rows = session.scalars(
                select(Deadline)
                .where(Deadline.instance_id == instance_id, Deadline.status == "pending")
                .order_by(Deadline.due_at, Deadline.activity_id, Deadline.id)
            )
            return [
                {"activity_id": d.activity_id, "kind": d.kind, "milestone": d.milestone, "due_at": d.due_at}
                for d in rows
            ]

        return self._read(read)

    def advance_clock(self, to: datetime) -> None:
        """Fire every pending deadline due at or before ``to`` in (due_at, id) order, as the scheduler does."""

        def next_due(session: Session) -> tuple[int, datetime] | None:
            row = session.execute(
                select(Deadline.id, Deadline.due_at)
                .where(Deadline.status == "pending", Deadline.due_at.is_not(None), Deadline.due_at <= to)
                .order_by(Deadline.due_at, Deadline.id)
                .limit(1)
            ).first()
            return (row[0], row[1]) if row else None

        while (found := self._read(next_due)) is not None:
            deadline_id, due_at = found
            self.now = max(self.now, due_at)  # an overdue deadline fires at once; time never runs back
            if not self.db.run(scheduler.fire, deadline_id, self.now):
                raise AssertionError(f"deadline {deadline_id} due {due_at} did not fire at {self.now}")
        self.now = max(self.now, to)

    def send_message(self, name: str, business_key: str, payload: dict) -> list[str]:
        try:
            return self.db.run(
                instances.deliver_message, MESSAGE_SENDER, name, business_key, payload, now=self.now
            )
        except NotFound:
            return []

    def instance(self, instance_id: str) -> dict:
        def read(session: Session) -> dict:
            row = self._instance(session, instance_id)
            return {
                "id": row.id,
                "process": row.process_key,
                "business_key": row.business_key,
                "status": row.status,
                "end_state": row.end_state,
                "stage": row.stage,
                "variables": row.variables or {},
            }

        return self._read(read)

    def history_types(self, instance_id: str) -> list[str]:
        query = select(HistoryEvent.type).where(HistoryEvent.instance_id == instance_id)
        return self._read(lambda s: list(s.scalars(query.order_by(HistoryEvent.seq))))

    def instances(self, process: str) -> list[str]:
        """Ids in the order the instances were started (the id of each one's first history event)."""
        query = (
            select(ProcessInstance.id)
            .join(HistoryEvent, (HistoryEvent.instance_id == ProcessInstance.id) & (HistoryEvent.seq == 1))
            .where(ProcessInstance.process_key == process)
            .order_by(ProcessInstance.started_at, HistoryEvent.id)
        )
        return self._read(lambda s: list(s.scalars(query)))

    # -- machinery ------------------------------------------------------------------------

    def _use_case(self, run: Callable[[Session], T]) -> T:
        """One transaction; the service's problems become what the scenario tests expect."""
        try:
            return self.db.run(run)
        except Invalid as err:
            raise FormInvalid(err.errors or {"_": [err.detail]}) from err
        except (Forbidden, NotFound) as err:
            raise PermissionError(err.detail) from err

    def _read(self, query: Callable[[Session], T]) -> T:
        with self.db.sessions() as session:
            return query(session)

    @staticmethod
    def _instance(session: Session, instance_id: str) -> ProcessInstance:
        row = session.get(ProcessInstance, instance_id)
        assert row is not None, f"no instance {instance_id}"
        return row

    @staticmethod
    def _open(session: Session, instance_id: str) -> list[Task]:
        query = select(Task).where(Task.instance_id == instance_id, Task.status == "open")
        return list(session.scalars(query.order_by(Task.activity_id, Task.created_at, Task.id)))

    def _open_task(self, session: Session, instance_id: str, activity_id: str) -> Task:
        found = [t for t in self._open(session, instance_id) if t.activity_id == activity_id]
        assert len(found) == 1, f"expected one open {activity_id!r} in {instance_id}: {found}"
        return found[0]

    def _describe(self, session: Session, task: Task) -> dict:
        instance = self._instance(session, task.instance_id)
        model = model_of(session.get(ProcessDefinition, instance.definition_id))
        return {
            "id": task.id,
            "activity_id": task.activity_id,
            "name": task.name,
            "role": task.role,
            "assignee": task.assignee,
            "form": model.form(task.activity_id),
        }
