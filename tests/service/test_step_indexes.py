"""A step reads and closes its own instance's task and deadline rows through an index on the instance:
its cost must not grow with every other case's open tasks and pending deadlines (migration 0010)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from service.access.permissions import Actor
from service.cases import instances
from tests.service.test_parsed_states import CALL_BACK, _open_task, _start

MANAGER = Actor("manager1", "manager")
INDEXES_OF_ONE_INSTANCE = (
    "ix_tasks_instance_status",
    "ix_deadlines_instance_status",
    "sqlite_autoindex_deadlines_1",  # the unique (instance_id, task_id)
    "sqlite_autoindex_tasks_1",  # the primary key (a task by its id)
)


def _plans_of_a_step(s, step) -> list[tuple[str, str]]:
    """(statement, plan line) for every statement of ``step`` that reads or writes tasks or deadlines."""
    seen: list[tuple[str, tuple]] = []

    def record(_conn, _cursor, statement, parameters, _context, many):  # type: ignore[no-untyped-def]
        if not many and any(f" {t} " in f" {statement} " for t in ("tasks", "deadlines")):
            seen.append((statement, parameters))

    event.listen(s.db.engine, "before_cursor_execute", record)
    try:
        s.db.run(step)
    finally:
        event.remove(s.db.engine, "before_cursor_execute", record)
    plans = []
    with s.db.engine.connect() as conn:
        for statement, parameters in seen:
            for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters):
                plans.append((statement, row[-1]))
    return plans


# SQLite only: PostgreSQL's planner chooses by table statistics; SQLite's plan is fixed by its indexes.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_step_finds_its_instances_rows_by_the_instance(deployed, database_url):
    for _ in range(5):  # other cases' open tasks and pending deadlines, in the status indexes too
        _start(deployed)
    instance_id = _start(deployed)
    task_id = _open_task(deployed, instance_id)

    plans = _plans_of_a_step(
        deployed, lambda session: instances.complete_task(session, MANAGER, task_id, dict(CALL_BACK))
    )

    closing = [p for p in plans if p[0].lstrip().upper().startswith("UPDATE")]
    assert {s.split()[1] for s, _ in closing} >= {"tasks", "deadlines"}, plans  # the step closed both
    searched = [(s, plan) for s, plan in plans if plan.split()[1:2] in (["tasks"], ["deadlines"])]
    assert searched, plans
    for statement, plan in searched:
        assert plan.startswith("SEARCH"), (statement, plan)  # not a SCAN of the table
        assert any(index in plan for index in INDEXES_OF_ONE_INSTANCE), (statement, plan)
