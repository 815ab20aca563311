"""(4) inbox latency with 100,000 open instances, (6) 10,000 pending deadlines after a restart.

A few hundred real example_callback instances are started through the use cases (each has one
open call_back task and one pending deadline, its 24-hour call-back timer); their rows (instance,
task, deadline, history) are then cloned with INSERT ... SELECT on PostgreSQL until there are
``target`` open instances.  Clones get new ids and spread created/due times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import text

from .common import Client, Server, median, pct, service_db, tokens


def seed(url: str, real: int) -> None:
    from service.access.permissions import Actor
    from service.cases import instances

    db = service_db(url)
    actor = Actor("bench_manager", "manager")
    for n in range(real):
        db.run(
            instances.start_instance,
            actor,
            "example_callback",
            {"caller_ref": f"seed-{n}", "priority": "high" if n % 3 == 0 else "normal"},
        )
    db.engine.dispose()


CLONE = """
CREATE TEMP TABLE bench_map AS
  SELECT i.id AS src, gen_random_uuid()::text AS dst, g AS n
  FROM process_instances i CROSS JOIN generate_series(1, :copies) g
  WHERE i.process_key = 'example_callback' AND i.status = 'running'
  LIMIT :limit;
INSERT INTO process_instances (id, definition_id, process_key, version, business_key, status, stage,
    end_state, variables, waiting_messages, state, row_version, last_seq, last_hash, started_at,
    ended_at, started_by)
  SELECT m.dst, i.definition_id, i.process_key, i.version, i.business_key, i.status, i.stage,
    i.end_state, i.variables, i.waiting_messages, i.state, i.row_version, i.last_seq, i.last_hash,
    i.started_at + m.n * interval '1 second', i.ended_at, i.started_by
  FROM bench_map m JOIN process_instances i ON i.id = m.src;
INSERT INTO tasks (id, instance_id, process_key, activity_id, name, role, assignee, status,
    created_at, due_at, completed_at, completed_by)
  SELECT gen_random_uuid()::text, m.dst, t.process_key, t.activity_id, t.name, t.role, t.assignee,
    t.status, t.created_at + m.n * interval '1 second', t.due_at + m.n * interval '1 second',
    t.completed_at, t.completed_by
  FROM bench_map m JOIN tasks t ON t.instance_id = m.src;
INSERT INTO deadlines (instance_id, task_id, activity_id, attached_to, kind, milestone, due_at,
    status, fired_at, lease_until, created_at)
  SELECT m.dst, d.task_id, d.activity_id, d.attached_to, d.kind, d.milestone,
    d.due_at + m.n * interval '1 second', d.status, d.fired_at, d.lease_until, d.created_at
  FROM bench_map m JOIN deadlines d ON d.instance_id = m.src;
INSERT INTO history_events (instance_id, seq, at, type, actor, activity_id, task_id, data,
    prev_hash, hash)
  SELECT m.dst, h.seq, h.at, h.type, h.actor, h.activity_id, h.task_id, h.data, h.prev_hash, h.hash
  FROM bench_map m JOIN history_events h ON h.instance_id = m.src;
DROP TABLE bench_map;
ANALYZE;
"""


def clone_to(url: str, target: int) -> int:
    """Clone running example_callback instances until there are ``target`` open tasks."""
    db = service_db(url)
    with db.engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM tasks WHERE status = 'open'")).scalar_one()
        real = conn.execute(
            text(
                "SELECT count(*) FROM process_instances WHERE process_key='example_callback' AND status='running'"
            )
        ).scalar_one()
        missing = target - have
        if missing > 0:
            copies = -(-missing // real)
            for statement in CLONE.split(";"):
                if statement.strip():
                    conn.execute(text(statement), {"copies": copies, "limit": missing})
        total = conn.execute(text("SELECT count(*) FROM tasks WHERE status = 'open'")).scalar_one()
    # What autovacuum does soon after a bulk insert (and long since, for tasks that piled up over
    # months): mark the new pages all-visible, so a count can read an index alone.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    db.engine.dispose()
    return total


@dataclass
class InboxResult:
    open_tasks: int
    seed_seconds: float
    clone_seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)


INBOX_QUERIES = {
    "GET /tasks (manager, default page)": {},
    "GET /tasks?mine=true": {"mine": "true"},
    "GET /tasks?overdue=true": {"overdue": "true"},
    "GET /tasks?offset=5000": {"offset": 5000},
}


def inbox(db, workdir, *, real: int, target: int, reads: int) -> InboxResult:
    t0 = time.perf_counter()
    seed(db.url, real)
    seeded = time.perf_counter() - t0
    t0 = time.perf_counter()
    total = clone_to(db.url, target)
    cloned = time.perf_counter() - t0
    result = InboxResult(total, seeded, cloned)
    tok = tokens(db.url)
    with Server(db.url, 1, workdir) as server:
        client = Client(server.base, tok["bench_manager"])
        for label, params in INBOX_QUERIES.items():
            for _ in range(3):
                client.get("/tasks", params=params)
            times = []
            for _ in range(reads):
                t = time.perf_counter()
                r = client.get("/tasks", params=params)
                times.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            result.latencies[label] = times
    return result


def inbox_summary(result: InboxResult) -> list[tuple[str, float, float]]:
    return [(label, median(t), pct(t, 95)) for label, t in result.latencies.items()]


@dataclass
class SyncResult:
    pending: int
    seconds: float
    jobs: int


def deadline_sync(url: str) -> SyncResult:
    """A fresh DeadlineScheduler (as after a restart) schedules every pending deadline: time start()."""
    from sqlalchemy import func, select

    from service.scheduler.enforcer import DeadlineScheduler
    from service.store.models import Deadline

    db = service_db(url)
    with db.sessions() as session:
        pending = session.scalar(select(func.count()).where(Deadline.status == "pending"))
    scheduler = DeadlineScheduler(db)
    t0 = time.perf_counter()
    scheduler.start()  # scheduler.start() + sync(): every pending deadline gets its job
    seconds = time.perf_counter() - t0
    jobs = len(scheduler.scheduler.get_jobs()) - 1  # minus the sync job
    scheduler.shutdown()
    db.engine.dispose()
    return SyncResult(pending, seconds, jobs)


def deadlines(db, *, real: int, target: int) -> SyncResult:
    seed(db.url, real)
    clone_to(db.url, target)
    return deadline_sync(db.url)
