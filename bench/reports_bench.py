"""The quarterly return over a quarter of N referrals on PostgreSQL: live, and stored (issue 18).

    .venv/bin/python -m bench.reports_bench --referrals 1000000    # default 100000
    .venv/bin/python -m bench.reports_bench --referrals 20000 --requests 50   # a quick run

Creates a private schema on BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
migrates it, fills one quarter (2026Q1, SLA ``default``) with N referrals by INSERT ... SELECT over
generate_series (variables, two SLA deadlines and two task rows per eligible case, an escalation for every
missed first contact; the time it took is printed), then prints in one run:

* a bare ``SELECT count(*)`` of the quarter's referrals (every referral here is in 2026Q1);
* the live computation (``compute_return``, what every read cost before stored returns);
* the refresh: one recompute of the dirty stored return, as the scheduler's job runs it;
* the stored read: p50 / p95 of ``GET /api/v1/reports/quarterly`` through the Flask test client (a manager,
  then a commissioner, whose suppression is applied on read), and of the commissioner's ``/dashboard``
  (one return per SLA: ``default`` and an empty ``north``), and the p95's ratio to the bare count;
* a check that the stored answer is the live one, figure by figure.

The schema is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
import uuid

from sqlalchemy import create_engine, text

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password-long-enough"

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


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def _timed(label: str, values: list[float]) -> str:
    return f"{label}: p50 {_pct(values, 50) * 1000:.1f} ms, p95 {_pct(values, 95) * 1000:.1f} ms (n={len(values)})"


def main() -> None:
    from datetime import UTC, datetime

    from service.access import auth
    from service.base.config import Settings
    from service.cases import slas
    from service.cases.reports import quarterly as reports
    from service.cases.reports import refresh
    from service.cases.reports.suppression import suppress
    from service.http.app import create_app
    from service.store import migrate, stored_returns
    from service.store.db import make_engine, make_session_factory
    from service.store.models import Sla
    from service.store.uow import Database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, help="the number of referrals (as --referrals)")
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument(
        "--runs", type=int, default=3, help="timed runs of the live computation and the count"
    )
    parser.add_argument("--requests", type=int, default=200, help="timed stored reads per kind")
    args = parser.parse_args()
    n = args.n or args.referrals
    schema = f"bench_reports_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        database = Database(engine, make_session_factory(engine))
        hashed = auth.hash_password(PASSWORD)

        def setup(session):
            slas.ensure_default(session)
            now = datetime.now(UTC)
            north = {k: v for k, v in slas.DEFAULT_SLA.items() if k != "key"}
            session.add(Sla(key="north", **north, is_default=False, created_at=now, updated_at=now))
            tokens = {}
            for name, role in (("bench_manager", "manager"), ("bench_commissioner", "commissioner")):
                user, _ = auth.create_user(session, name, role, PASSWORD, password_hash=hashed)
                tokens[role] = auth.issue_token(session, user, 4)[0]
            return tokens

        tokens = database.run(setup)
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
        generated = time.perf_counter() - started
        print(f"{n} referrals generated (INSERT ... SELECT generate_series) in {generated:.1f} s")
        started = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # As autovacuum would leave them: the visibility map set, so count(*) is an index-only scan.
            conn.execute(text("VACUUM ANALYZE process_instances, deadlines, tasks"))
        print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")

        count_sql = text("SELECT count(*) FROM process_instances WHERE process_key = 'referral_casework'")
        counts = []
        for _ in range(max(args.runs, 5)):
            with engine.connect() as conn:
                t0 = time.perf_counter()
                total = conn.execute(count_sql).scalar_one()
                counts.append(time.perf_counter() - t0)
        count_s = statistics.median(counts)
        print(
            f"bare SELECT count(*) of the quarter's referrals: {count_s * 1000:.1f} ms (median of {len(counts)})"
        )

        def live(session):
            sla = session.get(Sla, "default")
            return reports.compute_return(session, sla, "2026Q1", stories=50)

        timings = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            report, sizes = database.read(live)
            timings.append(time.perf_counter() - t0)
        assert report["referrals"]["total"] == total == n, (report["referrals"]["total"], total)
        live_s = statistics.median(timings)
        print(f"live computation: {live_s:.3f} s (median of {args.runs}; min {min(timings):.3f} s)")

        # The refresh: the return marked dirty (as a step would), recomputed as the scheduler's job does it.
        refreshes = []
        for _ in range(args.runs):
            database.run(lambda s: stored_returns.mark(s, [("default", "2026Q1"), ("north", "2026Q1")]))
            t0 = time.perf_counter()
            assert database.run(refresh.refresh_one, "default", "2026Q1")
            refreshes.append(time.perf_counter() - t0)
            database.run(refresh.refresh_one, "north", "2026Q1")
        print(
            f"refresh (recompute and store one return): {statistics.median(refreshes):.3f} s (median of {args.runs})"
        )

        app = create_app(
            Settings(database_url=url, secret_key="bench", scheduler=False), start_scheduler=False
        )
        app.config["TESTING"] = True
        client = app.test_client()
        api = "/api/v1/reports/quarterly?sla=default&quarter=2026Q1"
        results = {}
        for role in ("manager", "commissioner"):
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            client.get(api, headers=headers)  # warm
            times = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                response = client.get(api, headers=headers)
                times.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
            results[role] = (times, response.get_json())
            print(_timed(f"stored read GET /reports/quarterly ({role})", times))

        web = app.test_client()
        page = web.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        login = {"username": "bench_commissioner", "password": PASSWORD, "csrf_token": csrf}
        assert web.post("/login", data=login).status_code == 303
        web.get("/dashboard?quarter=2026Q1")
        pages = []
        for _ in range(max(1, args.requests // 4)):
            t0 = time.perf_counter()
            response = web.get("/dashboard?quarter=2026Q1")
            pages.append(time.perf_counter() - t0)
            assert response.status_code == 200
        print(_timed("stored read /dashboard (commissioner, 2 SLAs)", pages))
        p95 = _pct(results["manager"][0], 95)
        print(
            f"ratio stored read p95 / bare count(*): {p95 / count_s:.1f}x; live / stored p95: {live_s / p95:.0f}x"
        )

        def figures(body):
            return {k: v for k, v in body.items() if k not in ("as_of", "stale")}

        assert figures(results["manager"][1]) == report, "the stored return is not the live one"
        assert figures(results["commissioner"][1]) == suppress(report, sizes), "suppressed: not the live one"
        fc = report["response_times"]["first_contact"]
        print(
            f"check (stored = live, manager and commissioner): total {report['referrals']['total']}, "
            f"eligible {report['eligibility']['eligible']}, first contact met {fc['met']} missed {fc['missed']} "
            f"median {fc['median_working_hours']} h, escalations {report['escalations']['started']}, "
            f"closed {report['cases']['closed']}"
        )
        engine.dispose()
        app.extensions["advocacy_flow.db"].engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
