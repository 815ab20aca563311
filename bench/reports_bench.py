"""The quarterly return over 100,000 referrals on PostgreSQL.

    .venv/bin/python -m bench.reports_bench [N]      # default N = 100000

Creates a private schema on BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
migrates it, fills one quarter with N referrals by INSERT ... SELECT over generate_series (variables,
two SLA deadlines and two task rows per eligible case, an escalation for every missed first contact),
then times ``service.reports.quarterly`` against a plain ``SELECT count(*)`` over the same rows.
The schema is dropped at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid

from sqlalchemy import create_engine, text

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RUNS = 5

REFERRALS = """
INSERT INTO process_instances (id, definition_id, process_key, version, status, end_state, variables,
    waiting_messages, state, row_version, last_seq, started_at, ended_at)
SELECT md5('r' || g)::uuid::text, :definition, 'referral_casework', 1,
       CASE WHEN g % 10 = 0 OR g % 10 BETWEEN 2 AND 7 THEN 'completed' ELSE 'running' END,
       CASE WHEN g % 10 = 0 THEN 'not_eligible' WHEN g % 10 BETWEEN 2 AND 7 THEN 'closed' END,
       json_strip_nulls(json_build_object(
         'person_ref', 'P-' || g, 'sla_key', 'default',
         'referral_source', (ARRAY['self','family','social_worker','health','care_provider','other'])[1 + g % 6],
         'advocacy_type', (ARRAY['care_act','ipa_wales','imca','imha','generic'])[1 + g % 5],
         'urgency', CASE WHEN g % 7 = 0 THEN 'urgent' ELSE 'standard' END,
         'received_at', to_char(r, 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
         'eligible', CASE WHEN g % 10 = 0 THEN false WHEN g % 10 = 1 THEN NULL ELSE true END,
         'first_contact_at', CASE WHEN g % 10 > 1 THEN to_char(r + (g % 60) * interval '1 hour',
                                  'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') END,
         'outcome_informed', CASE WHEN g % 10 BETWEEN 2 AND 7 THEN (ARRAY['yes','partly','no'])[1 + g % 3] END,
         'outcome_involved', CASE WHEN g % 10 BETWEEN 2 AND 7 THEN (ARRAY['yes','partly','no'])[1 + g % 2] END,
         'outcome_negotiated', CASE WHEN g % 10 BETWEEN 2 AND 7 THEN 'yes' END,
         'outcome_personal_achieved', CASE WHEN g % 10 BETWEEN 2 AND 7 THEN 'partly' END,
         'outcome_empowered', CASE WHEN g % 10 BETWEEN 2 AND 7 THEN 'no' END,
         'voice_heard', CASE WHEN g % 10 BETWEEN 2 AND 7 THEN g % 4 <> 0 END,
         'outcome_story', CASE WHEN g % 10 BETWEEN 2 AND 7 THEN 'story ' || g END,
         'story_shareable', CASE WHEN g % 10 BETWEEN 2 AND 7 THEN g % 50 = 2 END,
         'instruction', CASE WHEN g % 10 > 1 THEN (ARRAY['instructed','non_instructed'])[1 + g % 2] END,
         'age_band', (ARRAY['under_18','25_34','65_74','85_plus',NULL])[1 + g % 5],
         'sex', (ARRAY['female','male','prefer_not_to_say',NULL])[1 + g % 4],
         'communication_needs', CASE WHEN g % 3 = 0 THEN json_build_array('bsl', 'easy_read') END,
         'welsh_medium_requested', g % 11 = 0)),
       '{}', '{}', 1, 0, r, NULL
FROM generate_series(1, :n) AS g,
     LATERAL (SELECT timestamptz '2026-01-01 00:00+00' + (g % 89) * interval '1 day'
                     + (8 + g % 9) * interval '1 hour' AS r) AS t
"""
DEADLINES = """
INSERT INTO deadlines (instance_id, task_id, activity_id, attached_to, kind, milestone, due_at, status,
                       fired_at, created_at)
SELECT md5('r' || g)::uuid::text, md5(m || g)::uuid::text, m || '_sla',
       CASE m WHEN 'allocation' THEN 'allocate_advocate' ELSE 'first_contact' END, 'sla', m,
       r + CASE m WHEN 'allocation' THEN interval '1 day' ELSE interval '2 days' END,
       CASE WHEN m = 'first_contact' AND g % 13 = 0 THEN 'fired' ELSE 'cancelled' END,
       CASE WHEN m = 'first_contact' AND g % 13 = 0 THEN r + interval '2 days' END, r
FROM generate_series(1, :n) AS g, unnest(ARRAY['allocation', 'first_contact']) AS m,
     LATERAL (SELECT timestamptz '2026-01-01 00:00+00' + (g % 89) * interval '1 day'
                     + (8 + g % 9) * interval '1 hour' AS r) AS t
WHERE g % 10 > 1
"""
TASKS = """
INSERT INTO tasks (id, instance_id, process_key, activity_id, name, role, status, created_at, completed_at)
SELECT md5('t' || m || g)::uuid::text, md5('r' || g)::uuid::text, 'referral_casework', m, m,
       'manager', 'completed', r,
       r + CASE m WHEN 'allocate_advocate' THEN interval '1 hour' ELSE (g % 60) * interval '1 hour' END
FROM generate_series(1, :n) AS g, unnest(ARRAY['allocate_advocate', 'first_contact']) AS m,
     LATERAL (SELECT timestamptz '2026-01-01 00:00+00' + (g % 89) * interval '1 day'
                     + (8 + g % 9) * interval '1 hour' AS r) AS t
WHERE g % 10 > 1
"""
ESCALATIONS = """
INSERT INTO process_instances (id, definition_id, process_key, version, status, end_state, variables,
    waiting_messages, state, row_version, last_seq, started_at)
SELECT md5('e' || g)::uuid::text, :definition, 'sla_escalation', 1, 'completed', 'resolved',
       json_build_object('sla_key', 'default', 'milestone', 'first_contact',
                         'source_instance_id', md5('r' || g)::uuid::text),
       '{}', '{}', 1, 0, timestamptz '2026-02-01 00:00+00'
FROM generate_series(1, :n) AS g WHERE g % 10 > 1 AND g % 13 = 0
"""


def main() -> None:
    from service.access.permissions import Actor
    from service.cases import slas
    from service.cases.reports import quarterly as reports
    from service.store import migrate
    from service.store.db import make_engine, make_session_factory
    from service.store.uow import Database

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    schema = f"bench_reports_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        database = Database(engine, make_session_factory(engine))
        database.run(slas.ensure_default)
        started = time.perf_counter()
        with engine.begin() as conn:
            definition = conn.execute(
                text(
                    "INSERT INTO process_definitions (key, version, name, checksum, model, deployed_at) "
                    "VALUES ('referral_casework', 1, 'bench', 'bench', '{}', now()) RETURNING id"
                )
            ).scalar_one()
            for statement in (REFERRALS, DEADLINES, TASKS, ESCALATIONS):
                conn.execute(text(statement), {"n": n, "definition": definition})
        with engine.begin() as conn:
            conn.execute(text("ANALYZE process_instances, deadlines, tasks"))
        print(f"{n} referrals inserted in {time.perf_counter() - started:.1f} s")

        count_sql = text("SELECT count(*) FROM process_instances WHERE process_key = 'referral_casework'")
        counts, timings = [], []
        for _ in range(RUNS):
            with engine.connect() as conn:
                t0 = time.perf_counter()
                total = conn.execute(count_sql).scalar_one()
                counts.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            report = database.read(reports.quarterly, Actor("bench", "manager"), "default", "2026Q1")
            timings.append(time.perf_counter() - t0)
        assert report["referrals"]["total"] == total == n, (report["referrals"]["total"], total)
        report_s, count_s = statistics.median(timings), statistics.median(counts)
        print(f"quarterly report: {report_s:.3f} s (median of {RUNS}; min {min(timings):.3f} s)")
        print(f"SELECT count(*):  {count_s:.4f} s (median of {RUNS})")
        print(f"ratio report / count(*): {report_s / count_s:.0f}x")
        fc = report["response_times"]["first_contact"]
        print(
            f"check: total {report['referrals']['total']}, eligible {report['eligibility']['eligible']}, "
            f"first contact met {fc['met']} missed {fc['missed']} median {fc['median_working_hours']} h, "
            f"escalations {report['escalations']['started']}, closed {report['cases']['closed']}"
        )
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
