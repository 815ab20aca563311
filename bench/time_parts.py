"""Where a walk's time goes, in process and unprofiled: each part timed with perf_counter.

    .venv/bin/python -m bench.time_parts [sqlite|postgresql] [cases]

Walks example_callback (start, then complete) through the Flask test client, as profile_http.py
does, with the engine step, persistence, commit, token check, task and definition loads and the
form check each wrapped in a timer.  "rest" is Flask, flask-smorest, marshmallow, the security
gate and the test client itself.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from .common import CALL_BACK_DATA, database, tokens, workdir


def _timed(owner: Any, name: str, label: str, spent: Counter) -> None:
    inner: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - t

    setattr(owner, name, timed)


def main() -> None:
    import service.cases.instances as instances
    import service.http.context as context
    import service.store.persist as persist
    import workflows.engine as engine
    from service.base.config import Settings
    from service.http.app import create_app

    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    spent: Counter = Counter()
    for owner, name, label in (
        (engine.Runner, "start", "engine step"),
        (engine.Runner, "complete", "engine step"),
        (persist, "apply", "persistence (persist.apply)"),
        (instances, "load_task", "task + instance load"),
        (instances, "get_definition", "definition load"),
        (instances, "form_errors", "form check"),
        (context, "authenticate", "token check"),
    ):
        _timed(owner, name, label, spent)
    with database(kind, workdir()) as db:
        token = tokens(db.url)["bench_manager"]
        app = create_app(
            Settings(database_url=db.url, secret_key="bench", scheduler=False), start_scheduler=False
        )
        _timed(app.extensions["advocacy_flow.db"].sessions.class_, "commit", "commit", spent)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def walk(n: int) -> None:
            start = {"process": "example_callback", "variables": {"caller_ref": f"t-{n}", "priority": "high"}}
            r = client.post("/api/v1/process-instances", json=start, headers=headers)
            task = r.get_json()["active_tasks"][0]["id"]
            r = client.post(f"/api/v1/tasks/{task}/complete", json={"data": CALL_BACK_DATA}, headers=headers)
            assert r.status_code == 200, r.get_data(as_text=True)

        for n in range(30):
            walk(n)
        spent.clear()
        t0 = time.perf_counter()
        for n in range(cases):
            walk(1000 + n)
        total = time.perf_counter() - t0
        print(f"{kind}: {cases} cases, {total / cases * 1000:.2f} ms per case (start + complete)")
        spent["rest"] = total - sum(spent.values())
        for label, seconds in spent.most_common():
            print(f"  {label:30s} {seconds / cases * 1000:6.2f} ms  {100 * seconds / total:5.1f} %")
        app.extensions["advocacy_flow.db"].engine.dispose()


if __name__ == "__main__":
    main()
