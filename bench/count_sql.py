"""Count SQL statements and transactions per request (in process, Flask test client).

.venv/bin/python -m bench.count_sql [sqlite|postgresql]
"""

from __future__ import annotations

import sys
from collections import Counter

from sqlalchemy import event

from .common import CALL_BACK_DATA, database, tokens, workdir


def main() -> None:
    from service.app import create_app
    from service.config import Settings

    kind = sys.argv[1] if len(sys.argv) > 1 else "postgresql"
    with database(kind, workdir()) as db:
        token = tokens(db.url)["bench_manager"]
        app = create_app(
            Settings(database_url=db.url, secret_key="bench", scheduler=False), start_scheduler=False
        )
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        engine = app.extensions["advocacy_flow.db"].engine
        seen: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda c, cur, stmt, *a: seen.append(stmt))
        event.listen(engine, "commit", lambda c: seen.append("COMMIT"))

        def show(label: str) -> None:
            kinds = Counter(s.split()[0].upper() for s in seen)
            print(f"{label}: {len(seen)} statements {dict(kinds)}")
            for s in seen:
                print("   ", " ".join(s.split())[:150])
            seen.clear()

        client.get("/api/v1/tasks", headers=headers)
        seen.clear()
        r = client.post(
            "/api/v1/process-instances",
            json={"process": "example_callback", "variables": {"caller_ref": "c-1", "priority": "high"}},
            headers=headers,
        )
        show("POST /process-instances")
        task = r.get_json()["active_tasks"][0]["id"]
        client.post(f"/api/v1/tasks/{task}/complete", json={"data": CALL_BACK_DATA}, headers=headers)
        show("POST /tasks/{id}/complete")
        client.get("/api/v1/tasks", headers=headers)
        show("GET /tasks")


if __name__ == "__main__":
    main()
