"""Profile the service in process (Flask test client, same use cases as over HTTP) with pyinstrument.

    .venv/bin/python -m bench.profile_http [sqlite|postgresql] [cases]

Prints the pyinstrument tree of `cases` start+complete walks of example_callback.
"""

from __future__ import annotations

import sys
import time

from .common import CALL_BACK_DATA, database, tokens, workdir


def main() -> None:
    from pyinstrument import Profiler

    from service.base.config import Settings
    from service.http.app import create_app

    kind = sys.argv[1] if len(sys.argv) > 1 else "postgresql"
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with database(kind, workdir()) as db:
        token = tokens(db.url)["bench_manager"]
        app = create_app(
            Settings(database_url=db.url, secret_key="bench", scheduler=False), start_scheduler=False
        )
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def walk(n: int) -> None:
            r = client.post(
                "/api/v1/process-instances",
                json={
                    "process": "example_callback",
                    "variables": {"caller_ref": f"p-{n}", "priority": "high"},
                },
                headers=headers,
            )
            task = r.get_json()["active_tasks"][0]["id"]
            r = client.post(f"/api/v1/tasks/{task}/complete", json={"data": CALL_BACK_DATA}, headers=headers)
            assert r.status_code == 200, r.get_data(as_text=True)

        for n in range(20):
            walk(n)
        profiler = Profiler(interval=0.0005)
        t0 = time.perf_counter()
        profiler.start()
        for n in range(cases):
            walk(1000 + n)
        profiler.stop()
        dt = time.perf_counter() - t0
        print(f"{cases} cases in {dt:.2f}s = {cases / dt:.1f} cases/s (in process, profiled)")
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        app.extensions["advocacy_flow.db"].engine.dispose()


if __name__ == "__main__":
    main()
