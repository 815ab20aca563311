"""(7) Concurrent load on PostgreSQL: several gunicorn workers (--no-scheduler) + one
``advocacy-flow scheduler`` process; many client threads complete tasks on the SAME few
bench_loop instances (they race: the loser of a race must get 409, never a lost or doubled
step), while bench_timer instances' deadlines fall due and are fired by the scheduler.

Afterwards, from the database:
- no lost update: every completion answered 200 is in the history (its unique marker, once);
- no phantom: each instance has exactly as many task_completed events as 200 answers;
- the counter the engine keeps (done_rounds) equals the accepted completions;
- no duplicated event, no gap: seq is exactly 1..n, last_seq == n, the hash chain verifies;
- every deadline fired once: each timer instance has one timer_fired event, its deadline row is
  'fired', and the instance completed.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests

from .common import Client, Server, run_threads, scheduler_process, service_db, tokens


@dataclass
class LoadResult:
    workers: int
    clients: int
    instances: int
    timers: int
    seconds: float
    attempts: int = 0
    accepted: int = 0
    conflicts: int = 0
    other: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    checks: dict[str, tuple[bool, str]] = field(default_factory=dict)
    timer_wait: float = 0.0
    stored_unanswered: int = 0  # completions stored whose answer never came (bench/kill_load.py)

    @property
    def ok(self) -> bool:
        return all(passed for passed, _ in self.checks.values())


def measure(
    db, workdir, *, workers: int, clients: int, instances: int, timers: int, seconds: float, max_attempts: int
) -> LoadResult:
    tok = tokens(db.url)
    result = LoadResult(workers, clients, instances, timers, seconds)
    accepted: dict[str, list[str]] = defaultdict(list)  # instance id -> markers answered 200
    lock = threading.Lock()
    with scheduler_process(db.url, workdir), Server(db.url, workers, workdir) as server:
        admin = Client(server.base, tok["bench_manager"])
        loops, timer_ids, last_due = start_cases(admin, instances, timers, seconds)
        stop_at = time.monotonic() + seconds

        def client(i: int) -> None:
            c = Client(server.base, tok["bench_manager"])
            rng = random.Random(i)
            while time.monotonic() < stop_at:
                with lock:
                    if result.attempts >= max_attempts:
                        return
                    result.attempts += 1
                instance_id = rng.choice(loops)
                r = c.get("/tasks", params={"instance": instance_id})
                items = r.json().get("items", []) if r.status_code == 200 else []
                if not items:
                    continue
                marker = uuid.uuid4().hex
                t0 = time.perf_counter()
                r = c.post(f"/tasks/{items[0]['id']}/complete", {"data": {"marker": marker, "client": i}})
                dt = time.perf_counter() - t0
                with lock:
                    result.latencies.append(dt)
                    record(result, accepted, instance_id, marker, r)

        run_threads(clients, client)

        # let every timer fire (bounded wait)
        limit = max(30.0, (last_due - datetime.now(UTC)).total_seconds() + 30)
        result.timer_wait = wait_for_timers(db.url, timer_ids, limit)
    _check(db.url, loops, timer_ids, accepted, result)
    return result


def start_cases(
    admin: Client, instances: int, timers: int, seconds: float
) -> tuple[list[str], list[str], datetime]:
    """The shared bench_loop instances, and bench_timer instances whose deadlines fall due over the
    next ``seconds`` (from 2 s on): their ids, and when the last one falls due."""
    loops = []
    for _ in range(instances):
        r = admin.post("/process-instances", {"process": "bench_loop", "variables": {"rounds": 10_000}})
        assert r.status_code == 201, r.text
        loops.append(r.json()["id"])
    timer_ids = []
    first = datetime.now(UTC) + timedelta(seconds=2)
    for n in range(timers):
        fire_at = first + timedelta(seconds=(seconds * n) / max(1, timers))
        r = admin.post(
            "/process-instances",
            {"process": "bench_timer", "variables": {"fire_at": fire_at.isoformat()}},
        )
        assert r.status_code == 201, r.text
        timer_ids.append(r.json()["id"])
    return loops, timer_ids, first + timedelta(seconds=seconds)


def record(
    result: LoadResult, accepted: dict[str, list[str]], instance_id: str, marker: str, r: requests.Response
) -> None:
    """Count a completion's answer (under the caller's lock): a 200's marker is kept as accepted."""
    if r.status_code == 200:
        result.accepted += 1
        accepted[instance_id].append(marker)
    elif r.status_code == 409:
        result.conflicts += 1
    else:
        result.other[f"{r.status_code} {r.text[:120]}"] += 1


def wait_for_timers(url: str, timer_ids: list[str], limit: float) -> float:
    """Wait (``limit`` seconds at most) until no deadline of ``timer_ids`` is pending; the seconds it
    took."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit and _pending_deadlines(url, timer_ids):
        time.sleep(0.5)
    waited = time.monotonic() - t0
    time.sleep(1)  # anything in flight
    return waited


def _pending_deadlines(url: str, instance_ids: list[str]) -> int:
    from sqlalchemy import func, select

    from service.store.models import Deadline

    db = service_db(url)
    try:
        with db.sessions() as session:
            return (
                session.scalar(
                    select(func.count()).where(
                        Deadline.instance_id.in_(instance_ids), Deadline.status == "pending"
                    )
                )
                or 0
            )
    finally:
        db.engine.dispose()


def _check(url, loops, timer_ids, accepted, result: LoadResult, unsure=None) -> None:
    """The history against the answers. ``unsure``: per instance, markers whose answer never came
    (the worker was killed, bench/kill_load.py): each may be in the history once, or not at all."""
    from sqlalchemy import select

    from service.cases.queries import events_of
    from service.store.models import Deadline, ProcessInstance
    from workflows.history import verify

    db = service_db(url)
    lost, phantom, counter, dup, gaps, chain_breaks, timer_bad = [], [], [], [], [], [], []
    with db.sessions() as session:
        for instance_id in loops + timer_ids:
            instance = session.get(ProcessInstance, instance_id)
            events = events_of(session, instance_id)
            seqs = [e["seq"] for e in events]
            if seqs != list(range(1, len(seqs) + 1)) or instance.last_seq != len(seqs):
                gaps.append(instance_id)
            if verify(events) is not None:
                chain_breaks.append(instance_id)
            keys = Counter((e["type"], e["task_id"]) for e in events if e["type"] != "record_read")
            if any(n > 1 for n in keys.values()):
                dup.append(instance_id)
            if instance_id in loops:
                markers = Counter(
                    (e["data"].get("data") or {}).get("marker")
                    for e in events
                    if e["type"] == "task_completed"
                )
                mine = accepted.get(instance_id, [])
                maybe = set((unsure or {}).get(instance_id, []))
                if any(markers[m] != 1 for m in mine):
                    lost.append(instance_id)
                if set(markers) - set(mine) - maybe or any(n != 1 for n in markers.values()):
                    phantom.append(instance_id)
                if (instance.variables or {}).get("done_rounds", 0) != sum(markers.values()):
                    counter.append(instance_id)
                result.stored_unanswered += len(maybe & set(markers))
            else:
                fired = [e for e in events if e["type"] == "timer_fired"]
                rows = session.scalars(select(Deadline).where(Deadline.instance_id == instance_id)).all()
                if len(fired) != 1 or [d.status for d in rows] != ["fired"] or instance.status != "completed":
                    timer_bad.append(
                        f"{instance_id}: {len(fired)} fired, {[d.status for d in rows]}, {instance.status}"
                    )
    db.engine.dispose()
    n = len(loops) + len(timer_ids)
    result.checks = {
        "no lost update (every 200 completion in history, once)": (not lost, f"{len(lost)} instances"),
        "no phantom completion (each task_completed is a 200 answer, or one never answered)": (
            not phantom,
            f"{len(phantom)} instances",
        ),
        "engine counter == completions in the history": (not counter, f"{len(counter)} instances"),
        "no duplicated event": (not dup, f"{len(dup)} instances"),
        "no gap (seq 1..n, last_seq == n)": (not gaps, f"{len(gaps)} of {n} instances"),
        "hash chain verifies": (not chain_breaks, f"{len(chain_breaks)} of {n} instances"),
        "every deadline fired exactly once": (
            not timer_bad,
            f"{len(timer_bad)} of {len(timer_ids)} bad {timer_bad[:3]}",
        ),
    }
