"""The HTTP floor: the echo app (bench/echo_app.py) under gunicorn as ``advocacy-flow serve`` runs
the service (gthread, 4 threads, access log on), driven like the walk phase of http_rate.py: each
"case" is two POSTs with the walk's bodies.  Its cases/s is the most any service on this stack,
machine and client could reach; the service's rate is compared with it as well as with the engine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from .common import CALL_BACK_DATA, PYTHON, ROOT, Budget, Client, free_port, run_threads


@dataclass
class Floor:
    cases: int
    seconds: float

    @property
    def cases_per_s(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


class EchoServer:
    """bench/echo_app.py under gunicorn, served as ``advocacy-flow serve`` serves the service
    (gthread, 4 threads, access log on), on a free port of 127.0.0.1."""

    def __init__(self, workdir: Path, workers: int = 1) -> None:
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.log = open(workdir / f"echo-{self.port}.log", "w")  # noqa: SIM115 - closed in __exit__

    def __enter__(self) -> EchoServer:
        gunicorn = ["--workers", str(self.workers), "--worker-class", "gthread", "--threads", "4"]
        gunicorn += ["--timeout", "60", "--access-logfile", "-"]  # as service/cli/serve.py serves
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", *gunicorn, "bench.echo_app:app"],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.post(f"{self.base}/echo", json={}, timeout=2)
                return self
            except requests.RequestException:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.__exit__()
                    raise RuntimeError("the echo server did not start") from None
                time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(20)
        self.log.close()


def measure(workers: int, cases: int, seconds: float, workdir: Path) -> Floor:
    with EchoServer(workdir, workers) as echo:
        budget = Budget(cases, seconds)
        done = [0]

        def walk(i: int) -> None:
            client = Client(echo.base, "none")
            while (n := budget.take()) is not None:
                start = {
                    "process": "example_callback",
                    "variables": {"caller_ref": f"bench-{n}", "priority": "normal"},
                }
                assert client.post("/echo", start).status_code == 201
                assert client.post("/echo", {"data": CALL_BACK_DATA}).status_code == 201
                done[0] += 1

        t0 = time.perf_counter()
        run_threads(max(4, 3 * workers), walk)
        return Floor(done[0], time.perf_counter() - t0)
