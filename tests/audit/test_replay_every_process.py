"""Replay is exact for every process: the demo data walks all four (and escalations) through
tasks, timers, messages and breaches; replay at every seq folds, and at the last one it equals
the live instance."""

from __future__ import annotations

from sqlalchemy import select

from service import demo
from service.base.config import ROOT
from service.cases import definitions, slas
from service.cases.queries import events_of
from service.store.db import make_engine, make_session_factory
from service.store.models import ProcessInstance, Task
from service.store.uow import Database
from workflows.replay import replay


def test_replay_matches_every_demo_instance(database_url):
    engine = make_engine(database_url)
    db = Database(engine, make_session_factory(engine))
    try:
        files, forms = definitions.read_directory([ROOT / "bpmn"], ROOT / "forms")
        db.run(definitions.deploy, files, forms, "admin1", strict_forms=False)
        db.run(slas.ensure_default)
        lines = list(demo.load(db))
        assert any("manager1" in line for line in lines)

        def check(session) -> set[str]:
            seen = set()
            for instance in session.scalars(select(ProcessInstance)):
                seen.add(instance.process_key)
                events = events_of(session, instance.id)
                assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
                for seq in range(1, len(events) + 1):
                    assert replay(events, seq).seq == seq
                final = replay(events, len(events))
                where = f"{instance.process_key} {instance.id}"
                assert final.status == instance.status, where
                assert final.stage == instance.stage, where
                assert final.variables == instance.variables, where
                assert final.end_state == instance.end_state, where
                open_tasks = session.scalars(
                    select(Task.activity_id).where(Task.instance_id == instance.id, Task.status == "open")
                ).all()
                assert sorted(t["activity_id"] for t in final.active_tasks) == sorted(open_tasks), where
            return seen

        seen = db.read(check)
    finally:
        engine.dispose()
    assert seen >= {"referral_casework", "sla_escalation", "recruitment_vetting", "commissioning_cycle"}
