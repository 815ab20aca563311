"""Casework for the report tests: real referrals through the use cases, bulk ones as rows.

``Casework`` drives real instances through ``service.instances`` (start and complete
at chosen moments, fire SLA deadlines with ``scheduler.fire``), and inserts bulk
referrals directly as the rows the service would have written: the instance with its
variables, its SLA deadlines and its task index rows.  ``quarter.py`` builds the
synthetic quarter whose figures the tests know.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from service.access.permissions import Actor
from service.cases import definitions, instances, slas
from service.cases.reports import touches
from service.scheduler import enforcer as scheduler
from service.store.models import Deadline, HistoryEvent, ProcessDefinition, ProcessInstance, Sla, Task

ROLES = {"manager1": "manager", "advocate1": "advocate", "commissioner1": "commissioner"}
_COMPILE = definitions.compile_deployment


@functools.cache
def _compiled(files: tuple[tuple[str, bytes], ...], forms: str, templates: tuple[str, ...] = ()):
    return _COMPILE(list(files), json.loads(forms), strict_forms=False, templates=templates)


def _compile_once(files, forms, *, strict_forms, templates=()):
    return _compiled(tuple(files), json.dumps(forms, sort_keys=True), tuple(sorted(templates)))


@pytest.fixture(scope="session")
def deployment():
    from service.base.config import ROOT

    return definitions.read_directory([ROOT / "bpmn"], ROOT / "forms")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class Casework:
    def __init__(self, service) -> None:
        self.s = service
        self.db = service.db

    # -- real instances --------------------------------------------------------------------

    def start(
        self, received: str, source: str, kind: str, urgency: str = "standard", sla: str | None = "north"
    ):
        variables = {
            "person_ref": f"P-{uuid.uuid4().hex[:8]}1",
            "referral_source": source,
            "advocacy_type": kind,
            "urgency": urgency,
            "received_at": received,
        }
        if sla:
            variables["sla_key"] = sla

        def run(session):
            actor = Actor("manager1", "manager")
            return instances.start_instance(
                session, actor, "referral_casework", variables, now=t(received)
            ).id

        return self.db.run(run)

    def complete(
        self, instance_id: str, activity_id: str, data: dict[str, Any], at: str, user: str = "manager1"
    ):
        def run(session):
            [task] = session.scalars(
                select(Task).where(
                    Task.instance_id == instance_id, Task.activity_id == activity_id, Task.status == "open"
                )
            ).all()
            instances.complete_task(session, Actor(user, ROLES[user]), task.id, data, now=t(at))

        self.db.run(run)

    def fire(self, instance_id: str, activity_id: str, at: str) -> None:
        def run(session):
            deadline = session.scalars(
                select(Deadline).where(
                    Deadline.instance_id == instance_id,
                    Deadline.activity_id == activity_id,
                    Deadline.status == "pending",
                )
            ).one()
            assert scheduler.fire(session, deadline.id, t(at)), "the deadline did not fire"

        self.db.run(run)

    def escalation(self, instance_id: str, milestone: str) -> str:
        key = f"escalation:{instance_id}:{milestone}"
        return self.db.read(
            lambda s: s.scalars(select(ProcessInstance.id).where(ProcessInstance.business_key == key)).one()
        )

    # -- bulk rows -------------------------------------------------------------------------

    def insert_referral(
        self,
        received: str,
        variables: dict[str, Any],
        *,
        status: str = "running",
        end_state: str | None = None,
        milestones: dict[str, tuple[str, str | None]] | None = None,
    ) -> str:
        """A referral as rows. ``milestones``: name -> (deadline status, task completed at or None)."""

        def run(session):
            definition = session.scalars(
                select(ProcessDefinition).where(ProcessDefinition.key == "referral_casework")
            ).first()
            sla = slas.find(session, variables.get("sla_key"))
            start = t(received)
            instance = ProcessInstance(
                id=str(uuid.uuid4()),
                definition_id=definition.id,
                process_key="referral_casework",
                version=definition.version,
                status=status,
                end_state=end_state,
                variables={**variables, "received_at": start.isoformat()},
                waiting_messages={},
                state="{}",
                last_seq=0,
                started_at=start,
                ended_at=start + timedelta(days=20) if status in ("completed", "cancelled") else None,
            )
            session.add(instance)
            session.flush()
            # Rows written past the steps: the stored returns they count in are marked as a step would.
            touches.mark_instance(session, instance.process_key, instance.variables)
            for milestone, (deadline_status, done) in (milestones or {}).items():
                activity = "allocate_advocate" if milestone == "allocation" else milestone
                due = slas.due(sla, milestone, start, variables.get("urgency"))
                session.add(
                    Deadline(
                        instance_id=instance.id,
                        task_id=str(uuid.uuid4()),
                        activity_id=f"{milestone}_sla",
                        attached_to=activity,
                        kind="sla",
                        milestone=milestone,
                        due_at=due,
                        status=deadline_status,
                        fired_at=due if deadline_status == "fired" else None,
                        created_at=start,
                    )
                )
                task_status = (
                    "completed" if done else ("open" if deadline_status != "cancelled" else "cancelled")
                )
                session.add(
                    Task(
                        id=str(uuid.uuid4()),
                        instance_id=instance.id,
                        process_key="referral_casework",
                        activity_id=activity,
                        name=activity,
                        role="manager" if milestone == "allocation" else "advocate",
                        status=task_status,
                        created_at=start,
                        completed_at=t(done) if done else (start if task_status == "cancelled" else None),
                    )
                )
            return instance.id

        return self.db.run(run)

    def insert_escalation(
        self, source_id: str, *, status: str, end_state: str | None, reached: tuple[str, ...]
    ):
        """An sla_escalation as rows; ``reached``: user tasks it got to (completed)."""

        def run(session):
            definition = session.scalars(
                select(ProcessDefinition).where(ProcessDefinition.key == "sla_escalation")
            ).first()
            now = t("2026-02-20T12:00:00+00:00")
            instance = ProcessInstance(
                id=str(uuid.uuid4()),
                definition_id=definition.id,
                process_key="sla_escalation",
                version=definition.version,
                status=status,
                end_state=end_state,
                variables={"sla_key": "north", "source_instance_id": source_id, "milestone": "first_contact"},
                waiting_messages={},
                state="{}",
                last_seq=0,
                started_at=now,
            )
            session.add(instance)
            session.flush()
            touches.mark_instance(session, instance.process_key, instance.variables)  # as a step would
            steps = ("manager_review", *reached)
            for index, activity in enumerate(steps):
                done = status != "running" or index < len(steps) - 1
                session.add(
                    Task(
                        id=str(uuid.uuid4()),
                        instance_id=instance.id,
                        process_key="sla_escalation",
                        activity_id=activity,
                        name=activity,
                        role="manager" if activity == "manager_review" else "commissioner",
                        status="completed" if done else "open",
                        created_at=now,
                        completed_at=now if done else None,
                    )
                )
            return instance.id

        return self.db.run(run)

    def insert_cycle(
        self,
        *,
        stage: str | None,
        status: str,
        variables: dict,
        changes: list[tuple[str, str]],
        open_task: tuple[str, str] | None = None,
    ) -> str:
        """A commissioning cycle as rows, with a history event for each stage change (at, stage)."""

        def run(session):
            definition = session.scalars(
                select(ProcessDefinition).where(ProcessDefinition.key == "commissioning_cycle")
            ).first()
            start = t(changes[0][0])
            instance = ProcessInstance(
                id=str(uuid.uuid4()),
                definition_id=definition.id,
                process_key="commissioning_cycle",
                version=definition.version,
                status=status,
                stage=stage,
                variables=variables,
                waiting_messages={},
                state="{}",
                last_seq=len(changes),
                started_at=start,
            )
            session.add(instance)
            session.flush()
            touches.mark_instance(session, instance.process_key, instance.variables)  # as a step would
            for seq, (at, value) in enumerate(changes, start=1):
                data = {"stage": value, "variables": {"note": "stage"}}
                session.add(
                    HistoryEvent(
                        instance_id=instance.id,
                        seq=seq,
                        at=t(at).isoformat(timespec="microseconds"),
                        type="instance_started" if seq == 1 else "task_completed",
                        actor="commissioner1",
                        activity_id=None,
                        task_id=None,
                        data=json.dumps(data, sort_keys=True, separators=(",", ":")),
                        prev_hash="0" * 64,
                        hash=f"{seq:064d}",
                    )
                )
            if open_task:
                session.add(
                    Task(
                        id=str(uuid.uuid4()),
                        instance_id=instance.id,
                        process_key="commissioning_cycle",
                        activity_id=open_task[0],
                        name=open_task[1],
                        role="commissioner",
                        status="open",
                        created_at=start,
                    )
                )
            return instance.id

        return self.db.run(run)


NORTH = {
    "provider": "North Advocacy CIC",
    "commissioner": "North County Council",
    "targets": {"allocation": "P1D", "first_contact": "P2D", "escalation_response": "P1D"},
    "urgent": {"first_contact": "PT4H"},
    "calendar": "working_days",
    "breach_threshold": 10,
}


@pytest.fixture
def casework(service, deployment, monkeypatch) -> Casework:
    """Every diagram deployed, the SLAs ``north`` and ``south`` beside the default."""
    files, forms = deployment
    monkeypatch.setattr(definitions, "compile_deployment", _compile_once)
    service.db.run(definitions.deploy, files, forms, "admin1", strict_forms=False)

    def add_slas(session):
        now = datetime.now(UTC)
        for key in ("north", "south"):
            session.add(Sla(key=key, **NORTH, is_default=False, created_at=now, updated_at=now))

    service.db.run(add_slas)
    return Casework(service)
