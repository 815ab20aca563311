"""The concurrent load of bench/load.py on PostgreSQL, with web workers and the scheduler killed.

    .venv/bin/python -m bench.kill_load [--seconds 40] [--workers 3] [--clients 12]

Client threads complete the open task of the same few bench_loop instances (racing: the loser gets
409) while bench_timer deadlines fall due; meanwhile a killer sends SIGKILL to a random gunicorn
worker every 1.5 s (the master starts another) and to the ``advocacy-flow scheduler`` process every
6 s (started again half a second later).  A request whose worker was killed gets no answer: its
completion may or may not be stored, so it is counted as unsure.  Afterwards the checks of
bench/load.py, from the database: every 200 in the history once, nothing in it that was neither
answered 200 nor unsure, each unsure at most once, the engine's counter equal to the history, no
duplicated event, no gap, the hash chain verified, every deadline fired exactly once.  Exit status 1
if a check fails.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict

import requests

from .common import PYTHON, ROOT, Client, Server, database, pg_available, run_threads, say, tokens, workdir
from .load import LoadResult, _check, record, start_cases, wait_for_timers

WORKER_EVERY = 1.5
SCHEDULER_EVERY = 4  # rounds of the killer


class Scheduler:
    """``advocacy-flow scheduler`` as a process that can be killed and started again."""

    def __init__(self, url: str, log) -> None:  # type: ignore[no-untyped-def]
        self.env = {**os.environ, "ADVOCACY_FLOW_DATABASE_URL": url}
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "service.cli", "scheduler"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)


def run(
    seconds: float, workers: int, clients: int, instances: int = 5, timers: int = 40
) -> tuple[LoadResult, int, int]:
    """The load with its kills; returns the result and how many workers and schedulers were killed."""
    work = workdir()
    result = LoadResult(workers, clients, instances, timers, seconds)
    accepted: dict[str, list[str]] = defaultdict(list)
    unsure: dict[str, list[str]] = defaultdict(list)
    lock = threading.Lock()
    worker_kills = 0
    with database("postgresql", work) as db, open(work / "scheduler.log", "a") as log:
        token = tokens(db.url)["bench_manager"]
        scheduler = Scheduler(db.url, log)
        scheduler.start()
        try:
            with Server(db.url, workers, work) as server:
                loops, timer_ids, _ = start_cases(Client(server.base, token), instances, timers, seconds)
                stop_at = time.monotonic() + seconds

                def killer() -> None:
                    nonlocal worker_kills
                    rng = random.Random(7)
                    rounds = 0
                    while time.monotonic() < stop_at:
                        time.sleep(WORKER_EVERY)
                        rounds += 1
                        found = subprocess.run(
                            ["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True, check=False
                        ).stdout.split()
                        if found:
                            os.kill(int(rng.choice(found)), signal.SIGKILL)
                            worker_kills += 1
                        if rounds % SCHEDULER_EVERY == 0:
                            scheduler.kill()
                            time.sleep(0.5)
                            scheduler.start()

                def client(i: int) -> None:
                    c = Client(server.base, token)
                    rng = random.Random(i)
                    while time.monotonic() < stop_at:
                        instance_id = rng.choice(loops)
                        try:
                            r = c.get("/tasks", params={"instance": instance_id})
                            items = r.json().get("items", []) if r.status_code == 200 else []
                        except (requests.RequestException, ValueError):
                            c = Client(server.base, token)  # its worker was killed: a new connection
                            continue
                        if not items:
                            continue
                        marker = uuid.uuid4().hex
                        with lock:
                            result.attempts += 1
                        try:
                            r = c.post(
                                f"/tasks/{items[0]['id']}/complete", {"data": {"marker": marker, "client": i}}
                            )
                        except requests.RequestException:
                            with lock:
                                unsure[instance_id].append(marker)
                                result.other["no answer (worker killed)"] += 1
                            c = Client(server.base, token)
                            continue
                        with lock:
                            record(result, accepted, instance_id, marker, r)
                            if r.status_code not in (200, 409):  # a 5xx may have been stored
                                unsure[instance_id].append(marker)

                kill_thread = threading.Thread(target=killer, daemon=True)
                kill_thread.start()
                run_threads(clients, client)
                kill_thread.join()
                # every timer fires, with the last scheduler started
                result.timer_wait = wait_for_timers(db.url, timer_ids, 120)
        finally:
            scheduler.stop()
        _check(db.url, loops, timer_ids, accepted, result, unsure)
    return result, worker_kills, scheduler.kills


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=12)
    args = parser.parse_args()
    if why := pg_available():
        sys.exit(f"bench.kill_load needs PostgreSQL: {why}")
    result, workers, schedulers = run(args.seconds, args.workers, args.clients)
    say(f"SIGKILL: {workers} web workers, {schedulers} schedulers, in {args.seconds:.0f} s")
    say(
        f"completions tried {result.attempts}: 200 {result.accepted}, 409 {result.conflicts}, "
        f"other {dict(result.other) or 0}; stored though never answered: {result.stored_unanswered}"
    )
    say(f"timers: all fired {result.timer_wait:.1f} s after the clients stopped\n")
    say("| check | result | detail |")
    say("|---|---|---|")
    for name, (ok, detail) in result.checks.items():
        say(f"| {name} | {'PASS' if ok else 'FAIL'} | {detail} |")
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
