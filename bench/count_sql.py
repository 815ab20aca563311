"""Count SQL statements and transactions per request (in process, Flask test client).

.venv/bin/python -m bench.count_sql [sqlite|postgresql]

``counts(kind)`` is what ``bench.run`` prints; run as a script it also prints every statement.
BEGIN (SQLite's explicit BEGIN IMMEDIATE) and COMMIT are counted apart from the statements.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import event

from .common import CALL_BACK_DATA, database, tokens, workdir


@dataclass
class Count:
    label: str
    statements: list[str] = field(default_factory=list)  # without BEGIN and COMMIT
    commits: int = 0

    @property
    def kinds(self) -> dict[str, int]:
        return dict(Counter(s.split()[0].upper() for s in self.statements))


def counts(kind: str) -> list[Count]:
    """Statements of POST /process-instances, POST /tasks/{id}/complete and GET /tasks (warm)."""
    from service.base.config import Settings
    from service.http.app import create_app

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

        def start(n: int) -> str:
            r = client.post(
                "/api/v1/process-instances",
                json={
                    "process": "example_callback",
                    "variables": {"caller_ref": f"c-{n}", "priority": "high"},
                },
                headers=headers,
            )
            assert r.status_code == 201, r.get_data(as_text=True)
            return r.get_json()["active_tasks"][0]["id"]

        def take(label: str) -> Count:
            found = Count(label)
            for s in seen:
                word = s.split()[0].upper()
                if word == "COMMIT":
                    found.commits += 1
                elif word != "BEGIN":
                    found.statements.append(" ".join(s.split()))
            seen.clear()
            return found

        # warm: the first step of a process reads its parsed model once per worker
        client.post(f"/api/v1/tasks/{start(0)}/complete", json={"data": CALL_BACK_DATA}, headers=headers)
        client.get("/api/v1/tasks", headers=headers)
        seen.clear()
        task = start(1)
        result = [take("POST /process-instances")]
        r = client.post(f"/api/v1/tasks/{task}/complete", json={"data": CALL_BACK_DATA}, headers=headers)
        assert r.status_code == 200, r.get_data(as_text=True)
        result.append(take("POST /tasks/{id}/complete"))
        client.get("/api/v1/tasks", headers=headers)
        result.append(take("GET /tasks"))
        engine.dispose()
    return result


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "postgresql"
    for c in counts(kind):
        print(f"{c.label}: {len(c.statements)} statements {c.kinds}, {c.commits} transactions")
        for s in c.statements:
            print("   ", s[:150])


if __name__ == "__main__":
    main()
