"""(3) Task completion cost vs history length, and (5) replay of a point in a 1,000-event history.

The bench_loop diagram repeats one user task until a counter reaches ``rounds``.  Each round
adds two events (task_completed, task_ready) but also three levels to SpiffWorkflow's task tree,
and the engine stops seeing tasks beyond ~1,000 levels (at ~333 rounds the instance silently
"completes").  So a 1,000-event history cannot come from the loop alone: the long instance gets
``LOOP_ROUNDS`` real rounds and is then padded to 1,000 events with ``record_read`` events
appended by service.persist.append_events (what an auditor's reads write).

(3a) history length alone: pairs of instances with the same engine state, one fresh and one with
     a 1,000-event history; their task completions are timed alternately over HTTP.
(3b) loop rounds: the same instance's completion time after k rounds (engine state grows).
(5)  GET /process-instances/{id}/replay?seq=N on the padded instance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .common import Client, Server, median, pct, service_db, tokens


@dataclass
class HistoryResult:
    pairs: int
    fresh: list[float] = field(default_factory=list)
    long: list[float] = field(default_factory=list)
    events_long: int = 0
    loop_points: list[tuple[int, int, float]] = field(default_factory=list)  # rounds, events, median s
    replay: dict[int, list[float]] = field(default_factory=dict)  # seq -> seconds
    replay_mode: str = ""

    @property
    def ratio(self) -> float:
        return median(self.long) / median(self.fresh)


def _start_loop(client: Client, rounds: int) -> dict:
    r = client.post("/process-instances", {"process": "bench_loop", "variables": {"rounds": rounds}})
    assert r.status_code == 201, r.text
    return r.json()


def _complete_open(client: Client, instance: dict) -> tuple[dict, float]:
    task_id = instance["active_tasks"][0]["id"]
    t0 = time.perf_counter()
    r = client.post(f"/tasks/{task_id}/complete", {"data": {"note": "bench"}})
    dt = time.perf_counter() - t0
    assert r.status_code == 200, r.text
    return r.json(), dt


def pad_history(url: str, instance_id: str, target_events: int) -> int:
    """Append record_read events until the instance's history has ``target_events`` events."""
    from service.store import persist
    from service.store.models import ProcessInstance
    from workflows.engine import EventDraft

    db = service_db(url)

    def pad(session):
        instance = session.get(ProcessInstance, instance_id)
        missing = target_events - instance.last_seq
        now = datetime.now(UTC)
        drafts = [
            EventDraft("record_read", actor="bench_auditor", data={"what": "history"}) for _ in range(missing)
        ]
        persist.append_events(session, instance, drafts, now)
        session.flush()
        return instance.last_seq

    try:
        return db.run(pad)
    finally:
        db.engine.dispose()


def measure(
    db,
    workdir,
    *,
    pairs: int,
    steps: int,
    loop_rounds: int,
    loop_points: list[int],
    replay_reads: int,
    events: int = 1000,
) -> HistoryResult:
    result = HistoryResult(pairs)
    tok = tokens(db.url)
    with Server(db.url, 1, workdir) as server:
        client = Client(server.base, tok["bench_manager"])
        for _ in range(3):  # warm up
            _complete_open(client, _start_loop(client, 5))

        # (3a) same engine state, different history length
        fresh, long_ = [], []
        for _ in range(pairs):
            a, b = _start_loop(client, 10_000), _start_loop(client, 10_000)
            for _ in range(loop_rounds):  # same number of real rounds on both
                a, _ = _complete_open(client, a)
                b, _ = _complete_open(client, b)
            result.events_long = pad_history(db.url, b["id"], events)
            fresh.append(a)
            long_.append(b)
        for step in range(steps):
            for i in range(pairs):
                order = [(fresh, result.fresh), (long_, result.long)]
                if step % 2:
                    order.reverse()
                for instances, times in order:
                    instances[i], dt = _complete_open(client, instances[i])
                    times.append(dt)

        # (3b) one instance, growing engine state
        inst = _start_loop(client, 10_000)
        done = 0
        for point in loop_points:
            while done < point - 1:
                inst, _ = _complete_open(client, inst)
                done += 1
            samples = []
            for _ in range(3):
                inst, dt = _complete_open(client, inst)
                samples.append(dt)
                done += 1
            result.loop_points.append((done, 2 * done + 2, median(samples)))

        # (5) replay of points in the padded 1,000-event history
        target = long_[0]["id"]
        probe = client.get(f"/process-instances/{target}/replay", params={"seq": 1})
        if probe.status_code == 200:
            result.replay_mode = "HTTP GET /api/v1/process-instances/{id}/replay?seq=N (manager; 1 worker)"
            for seq in (1, events // 2, events - 1, events):
                times = []
                for _ in range(replay_reads):
                    t0 = time.perf_counter()
                    r = client.get(f"/process-instances/{target}/replay", params={"seq": seq})
                    times.append(time.perf_counter() - t0)
                    assert r.status_code == 200, r.text
                result.replay[seq] = times
        else:
            result.replay_mode = f"workflows.replay in process (endpoint answered {probe.status_code})"
    if not result.replay:
        _replay_direct(db.url, long_[0]["id"], events, replay_reads, result)
    return result


def _replay_direct(url, instance_id, events, reads, result: HistoryResult) -> None:
    from service.cases.queries import events_of
    from workflows.replay import replay

    db = service_db(url)
    with db.sessions() as session:
        history = events_of(session, instance_id)
    for seq in (1, events // 2, events - 1, events):
        times = []
        for _ in range(reads):
            t0 = time.perf_counter()
            replay(history, seq)
            times.append(time.perf_counter() - t0)
        result.replay[seq] = times
    db.engine.dispose()


def summary_replay(result: HistoryResult) -> list[tuple[int, float, float]]:
    return [(seq, median(t), pct(t, 95)) for seq, t in result.replay.items()]
