"""(2) The service rate over HTTP: a real gunicorn server, clients in threads on loopback.

Phase "walk": each client thread starts an example_callback instance and completes its call_back
task (documents_needed False, so the instance ends): cases walked start -> end per second.
Phase "complete": instances are started first (not timed), then all their tasks are completed
by the client threads: task completions per second.
Both are bounded by count and by time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .common import CALL_BACK_DATA, Budget, Client, Server, run_threads, start_callback, tokens


@dataclass
class HttpRate:
    db: str
    workers: int
    clients: int
    cases: int
    walk_seconds: float
    completions: int
    complete_seconds: float
    errors: int
    latencies: list[float] = field(default_factory=list)  # complete requests, seconds

    @property
    def cases_per_s(self) -> float:
        return self.cases / self.walk_seconds if self.walk_seconds else 0.0

    @property
    def completions_per_s(self) -> float:
        return self.completions / self.complete_seconds if self.complete_seconds else 0.0


def measure(db, workers: int, cases: int, seconds: float, workdir) -> HttpRate:
    token = tokens(db.url)["bench_manager"]
    clients = max(4, 3 * workers)
    with Server(db.url, workers, workdir) as server:
        lock = threading.Lock()
        counts = {"cases": 0, "errors": 0, "completions": 0}
        latencies: list[float] = []

        # warm-up: every worker parses the spec once, opens its pool
        warm = Client(server.base, token)
        for i in range(workers * 4):
            inst = start_callback(warm, -i)
            warm.post(f"/tasks/{inst['active_tasks'][0]['id']}/complete", {"data": CALL_BACK_DATA})

        budget = Budget(cases, seconds)

        def walk(i: int) -> None:
            client = Client(server.base, token)
            while (n := budget.take()) is not None:
                inst = start_callback(client, n)
                task_id = inst["active_tasks"][0]["id"]
                r = client.post(f"/tasks/{task_id}/complete", {"data": CALL_BACK_DATA})
                with lock:
                    if r.status_code == 200 and r.json()["status"] == "completed":
                        counts["cases"] += 1
                    else:
                        counts["errors"] += 1

        t0 = time.perf_counter()
        run_threads(clients, walk)
        walk_seconds = time.perf_counter() - t0

        # phase "complete": start the instances first
        prepared: list[str] = []
        starter = Budget(cases, seconds)

        def start(i: int) -> None:
            client = Client(server.base, token)
            while (n := starter.take()) is not None:
                inst = start_callback(client, n)
                with lock:
                    prepared.append(inst["active_tasks"][0]["id"])

        run_threads(clients, start)
        queue = list(prepared)

        def complete(i: int) -> None:
            client = Client(server.base, token)
            while True:
                with lock:
                    if not queue:
                        return
                    task_id = queue.pop()
                t = time.perf_counter()
                r = client.post(f"/tasks/{task_id}/complete", {"data": CALL_BACK_DATA})
                dt = time.perf_counter() - t
                with lock:
                    if r.status_code == 200:
                        counts["completions"] += 1
                        latencies.append(dt)
                    else:
                        counts["errors"] += 1

        t0 = time.perf_counter()
        run_threads(clients, complete)
        complete_seconds = time.perf_counter() - t0

    return HttpRate(
        db.kind,
        workers,
        clients,
        counts["cases"],
        walk_seconds,
        counts["completions"],
        complete_seconds,
        counts["errors"],
        latencies,
    )
