"""The heat map of referral_casework over generated history, on PostgreSQL (or SQLite).

    .venv/bin/python -m bench.heatmap_bench [N] [--sqlite]     # default N = 15000 instances

Creates a private schema on BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
(with ``--sqlite``: a temporary SQLite file), migrates it, deploys bpmn/, and writes N referral instances
with their history as the service would: per instance ``instance_started``, then for each of the first
four user tasks a ``task_ready`` and, but for the last task of one instance in ten, a ``task_completed``
(the open ones also in the task index).  About 9 * N events (133,000 for the default N).  The hashes are
placeholders: the bench times the reads, not the chain.

Then times ``service.cases.heatmap.heatmap`` (a year's period: every completion counted) against a bare
``SELECT count(*)`` of the same process's events, and checks the heat map's counts against counts of
the generated rows.  The schema (or file) is removed at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RUNS = 5
KEY = "referral_casework"
CHUNK = 5_000
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

EVENT = text(
    "INSERT INTO history_events (instance_id, seq, at, type, actor, activity_id, task_id, data, prev_hash, hash) "
    "VALUES (:instance_id, :seq, :at, :type, :actor, :activity_id, :task_id, '{}', :prev_hash, :hash)"
)
INSTANCE = text(
    "INSERT INTO process_instances (id, definition_id, process_key, version, status, variables, "
    "waiting_messages, state, row_version, last_seq, started_at) "
    "VALUES (:id, :definition, :key, 1, 'waiting', '{}', '{}', '{}', 1, :last_seq, :started_at)"
)
TASK = text(
    "INSERT INTO tasks (id, instance_id, process_key, activity_id, name, role, status, created_at) "
    "VALUES (:id, :instance_id, :key, :activity_id, :activity_id, 'manager', 'open', :created_at)"
)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def generate(n: int, definition: int, activities: list[str]):
    """The rows of ``n`` instances, and per activity the counts the heat map must find."""
    instances, events, tasks = [], [], []
    expected = {a: {"completed": 0, "waiting_now": 0} for a in activities}
    for g in range(n):
        iid = str(uuid.UUID(int=g + 1))
        moment = START + timedelta(minutes=g % 50_000, seconds=g % 7)
        seq = 1
        events.append(_event(iid, seq, moment, "instance_started", None, None))
        for step, activity in enumerate(activities):
            task_id = str(uuid.UUID(int=(g + 1) * 16 + step))
            seq += 1
            events.append(_event(iid, seq, moment, "task_ready", activity, task_id))
            if step == len(activities) - 1 and g % 10 == 0:
                tasks.append(
                    {
                        "id": task_id,
                        "instance_id": iid,
                        "key": KEY,
                        "activity_id": activity,
                        "created_at": moment,
                    }
                )
                expected[activity]["waiting_now"] += 1
                break
            moment += timedelta(seconds=60 * (1 + (g * (step + 3)) % 600) + g % 11)
            seq += 1
            events.append(_event(iid, seq, moment, "task_completed", activity, task_id))
            expected[activity]["completed"] += 1
        instances.append(
            {"id": iid, "definition": definition, "key": KEY, "last_seq": seq, "started_at": START}
        )
    return instances, events, tasks, expected


def _event(iid: str, seq: int, moment: datetime, kind: str, activity: str | None, task_id: str | None):
    placeholder = f"{seq:064d}"
    return {
        "instance_id": iid,
        "seq": seq,
        "at": _iso(moment),
        "type": kind,
        "actor": "bench",
        "activity_id": activity,
        "task_id": task_id,
        "prev_hash": placeholder,
        "hash": placeholder,
    }


def _insert(engine, statement, rows) -> None:
    for i in range(0, len(rows), CHUNK):
        with engine.begin() as conn:
            conn.execute(statement, rows[i : i + CHUNK])


def main() -> None:
    from service.access.permissions import Actor
    from service.base.config import ROOT
    from service.cases import definitions, heatmap
    from service.store import migrate
    from service.store.db import make_engine, make_session_factory
    from service.store.uow import Database

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sqlite = "--sqlite" in sys.argv
    n = int(args[0]) if args else 15_000
    schema = f"bench_heatmap_{uuid.uuid4().hex[:8]}"
    folder = tempfile.TemporaryDirectory() if sqlite else None
    admin = None
    if sqlite:
        url = f"sqlite:///{Path(folder.name) / 'bench.sqlite3'}"
    else:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        database = Database(engine, make_session_factory(engine))
        files, forms = definitions.read_directory([ROOT / "bpmn"], ROOT / "forms")
        deployed = database.run(definitions.deploy, files, forms, "bench", strict_forms=False)
        definition = next(d.definition for d in deployed if d.definition.key == KEY)
        activities = list(definitions.model_of(definition).user_tasks)[:4]
        started = time.perf_counter()
        instances, events, tasks, expected = generate(n, definition.id, activities)
        _insert(engine, INSTANCE, instances)
        _insert(engine, EVENT, events)
        _insert(engine, TASK, tasks)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE" if sqlite else "ANALYZE process_instances, history_events, tasks"))
        print(
            f"{n} instances, {len(events)} events inserted in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
        )

        count_sql = text(
            "SELECT count(*) FROM history_events WHERE instance_id IN "
            "(SELECT id FROM process_instances WHERE process_key = :key)"
        )
        start, end = START - timedelta(days=1), START + timedelta(days=365)
        counts, timings = [], []
        for _ in range(RUNS):
            with engine.connect() as conn:
                t0 = time.perf_counter()
                total = conn.execute(count_sql, {"key": KEY}).scalar_one()
                counts.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            figures = database.read(heatmap.heatmap, Actor("bench", "auditor"), KEY, start, end)
            timings.append(time.perf_counter() - t0)
        assert total == len(events), (total, len(events))
        found = {i["activity_id"]: i for i in figures["items"]}
        for activity, want in expected.items():
            got = {k: found[activity][k] for k in want}
            assert got == want, (activity, got, want)
        heat_s, count_s = statistics.median(timings), statistics.median(counts)
        print(f"heat map:        {heat_s:.3f} s (median of {RUNS}; min {min(timings):.3f} s)")
        print(f"SELECT count(*): {count_s:.4f} s (median of {RUNS}) over the process's {total} events")
        print(f"ratio heat map / count(*): {heat_s / count_s:.1f}x")
        for activity in activities:
            item = found[activity]
            print(
                f"  {activity}: completed {item['completed']}, waiting {item['waiting_now']}, "
                f"median {item['median_wait_s']} s, p90 {item['p90_wait_s']} s"
            )
        engine.dispose()
    finally:
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        if folder is not None:
            folder.cleanup()


if __name__ == "__main__":
    main()
