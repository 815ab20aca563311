"""Profile the two slow reads in process: replay in a 1,000-event history and the inbox.

    .venv/bin/python -m bench.profile_reads [open_tasks]

Prints pyinstrument trees and EXPLAIN ANALYZE of the inbox queries (PostgreSQL).
"""

from __future__ import annotations

import sys

from sqlalchemy import text

from . import history, scale
from .common import database, tokens, workdir


def main() -> None:
    from pyinstrument import Profiler

    from service.base.config import Settings
    from service.http.app import create_app

    target = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with database("postgresql", workdir()) as db:
        scale.seed(db.url, 20)
        scale.clone_to(db.url, target)
        token = tokens(db.url)["bench_manager"]
        app = create_app(
            Settings(database_url=db.url, secret_key="bench", scheduler=False), start_scheduler=False
        )
        client = app.test_client()
        h = {"Authorization": f"Bearer {token}"}
        r = client.post(
            "/api/v1/process-instances",
            json={"process": "bench_loop", "variables": {"rounds": 99}},
            headers=h,
        )
        iid = r.get_json()["id"]
        history.pad_history(db.url, iid, 1000)
        for label, path in (
            ("REPLAY seq=500", f"/api/v1/process-instances/{iid}/replay?seq=500"),
            ("INBOX", "/api/v1/tasks"),
        ):
            for _ in range(3):
                client.get(path, headers=h)
            p = Profiler(interval=0.0005)
            p.start()
            for _ in range(20):
                assert client.get(path, headers=h).status_code == 200
            p.stop()
            print(f"===== {label}: 20 requests")
            print(p.output_text(unicode=False, color=False))
        engine = app.extensions["advocacy_flow.db"].engine
        with engine.connect() as conn:
            for sql in (
                "SELECT count(*) FROM tasks WHERE status='open' AND process_key NOT IN ('commissioning_cycle')",
                "SELECT * FROM tasks WHERE status='open' AND process_key NOT IN ('commissioning_cycle') "
                "ORDER BY due_at IS NULL, due_at, created_at, id LIMIT 50",
            ):
                print("=====", sql)
                for row in conn.execute(text("EXPLAIN ANALYZE " + sql)):
                    print("   ", row[0])
        engine.dispose()


if __name__ == "__main__":
    main()
