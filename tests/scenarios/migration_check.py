"""What the migration scenarios share: deploy an edition, record the live state after each step, migrate,
check replay at every seq against what was recorded, verify the chain, and read the stored rows whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.access.permissions import Actor
from service.cases import definitions, migrations, verification
from service.cases.queries import events_of
from service.store.models import Deadline, HistoryEvent, ProcessInstance, Task
from tests.scenarios.driver import Driver
from workflows.history import verify
from workflows.replay import DiagramGraph, path, replay, versions_of

FIRST = Path(__file__).resolve().parent / "first_edition"
ADMIN = Actor("admin1", "admin")


def deploy(driver: Driver, root: Path, process: str | None = None) -> None:
    files, forms = definitions.read_directory([root / "bpmn"], root / "forms")
    if process is not None:
        files = [(name, text) for name, text in files if _belongs(name, text, process)]
    driver.db.run(definitions.deploy, files, forms, "admin1", strict_forms=False)


def _belongs(name: str, text: bytes | str, process: str) -> bool:
    content = text.decode() if isinstance(text, bytes) else text
    if name.endswith(".dmn"):
        return process == "referral_casework"
    return f'id="{process}"' in content


def version(driver: Driver, process: str) -> int:
    return driver.db.read(lambda s: definitions.get_definition(s, process).version)


def migrate(driver: Driver, process: str, to_version: int, **kw: Any) -> list[dict[str, Any]]:
    return migrations.migrate(driver.db, ADMIN, process, to_version, now=driver.now, **kw)


def rows(db: Any, instance_id: str) -> str:
    """Every stored row of the instance (instance, tasks, deadlines, history), as text: compared whole."""

    def read(session: Session) -> str:
        out: dict[str, Any] = {}
        for name, model, order in (
            ("instance", ProcessInstance, ProcessInstance.id),
            ("tasks", Task, Task.id),
            ("deadlines", Deadline, Deadline.id),
            ("history", HistoryEvent, HistoryEvent.seq),
        ):
            table = model.__table__
            key = table.c.id if name == "instance" else table.c.instance_id
            found = session.execute(select(table).where(key == instance_id).order_by(order)).mappings()
            out[name] = [{k: repr(v) for k, v in row.items()} for row in found]
        return json.dumps(out, sort_keys=True)

    return db.read(read)


class Recorder:
    """The live state of instances after each step, by the seq of their last event then."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.states: dict[str, dict[int, dict[str, Any]]] = {}

    def __call__(self, instance_id: str) -> None:
        def read(session: Session) -> tuple[int, dict[str, Any]]:
            row = session.get(ProcessInstance, instance_id)
            assert row is not None
            open_tasks = session.scalars(
                select(Task).where(Task.instance_id == instance_id, Task.status == "open")
            ).all()
            return row.last_seq, {
                "status": row.status,
                "stage": row.stage,
                "variables": row.variables,
                "end_state": row.end_state,
                "version": row.version,
                "active_tasks": sorted((t.activity_id, t.name) for t in open_tasks),
            }

        seq, state = self.driver.db.read(read)
        self.states.setdefault(instance_id, {})[seq] = state

    def check(self, instance_id: str) -> list[dict[str, Any]]:
        """Replay at every seq (diagram path included, on the version in force) equals what was recorded."""

        def read(session: Session) -> tuple[list[dict[str, Any]], dict[int, DiagramGraph], int]:
            instance = session.get(ProcessInstance, instance_id)
            assert instance is not None
            events = events_of(session, instance_id)
            graphs = {}
            for number in set(versions_of(events, instance.version)):
                definition = definitions.get_definition(session, instance.process_key, number)
                graphs[number] = DiagramGraph.from_xml(definitions.bpmn_xml(definition))
            return events, graphs, versions_of(events, instance.version)[0]

        events, graphs, first = self.driver.db.read(read)
        assert verify(events) is None
        assert self.driver.db.read(verification.verify_chains, instance_id)[2] == []
        recorded = self.states.get(instance_id, {})
        assert recorded, "nothing recorded"
        for seq in range(1, len(events) + 1):
            state = replay(events, seq, versions=graphs, version=first)
            graph = graphs[state.version]
            drawn = path(graph, state)
            assert set(drawn["completed"]) <= set(graph.kinds), seq
            assert set(drawn["active"]) <= set(graph.kinds), (seq, drawn["active"])
            assert set(drawn["taken_flows"]) <= set(graph.flows), seq
            if seq in recorded:
                live = recorded[seq]
                got = {
                    "status": state.status,
                    "stage": state.stage,
                    "variables": state.variables,
                    "end_state": state.end_state,
                    "version": state.version,
                    "active_tasks": sorted((t["activity_id"], t["name"]) for t in state.active_tasks),
                }
                assert got == live, f"seq {seq}: replay {got} != live {live}"
        return events
