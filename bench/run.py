"""The Advocacy Flow benchmark: ``make bench`` (full) or ``python -m bench.run --quick`` (< ~2 min).

Every number that depends on the machine is printed beside a baseline measured in the same run
(the raw engine rate, or a fresh instance), because this machine is shared and noisy.
Writes bench/RESULTS.md (full) or bench/RESULTS-quick.md (--quick); bench/FINDINGS.md, the
hand-written profiling notes, is appended to it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import common
from .common import CORES, database, median, ms, pct, say

FULL = dict(
    engine=(500, 30.0),
    http=(400, 45.0),
    http_configs=[("sqlite", 1), ("postgresql", 1), ("postgresql", 2), ("postgresql", 4)],
    history=dict(pairs=3, steps=10, loop_rounds=10, loop_points=[1, 25, 50, 100, 150], replay_reads=30),
    inbox=dict(real=300, target=100_000, reads=100),
    deadlines=dict(real=50, target=10_000),
    load=dict(workers=3, clients=16, instances=5, timers=50, seconds=45.0, max_attempts=5000),
)
QUICK = dict(
    engine=(60, 5.0),
    http=(30, 5.0),
    http_configs=[("sqlite", 1), ("postgresql", 1)],
    history=dict(pairs=1, steps=4, loop_rounds=3, loop_points=[1, 20], replay_reads=5),
    inbox=dict(real=20, target=10_000, reads=15),
    deadlines=None,  # measured on the inbox database (10,000 pending deadlines)
    load=dict(workers=2, clients=6, instances=3, timers=10, seconds=8.0, max_attempts=600),
)
TARGETS = {
    "http": 0.5,  # service cases/s with 1 worker >= 0.5 x raw engine per core
    "history": 1.5,
    "inbox_p95": 0.050,
    "replay": 0.100,
    "deadlines": 10.0,
}


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def machine() -> list[str]:
    load = os.getloadavg()
    cpu = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "?")
    try:
        pg = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version", "test"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = "?"
    from importlib.metadata import version

    import SpiffWorkflow  # noqa: F401

    return [
        f"- host: {platform.node()}, {platform.system()} {platform.release()}, {CORES} cores ({cpu})",
        f"- memory: {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB",
        f"- load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (shared machine: other test suites run)",
        f"- Python {platform.python_version()}, SpiffWorkflow {version('SpiffWorkflow')}, "
        f"SQLAlchemy {version('SQLAlchemy')}, gunicorn {version('gunicorn')}, PostgreSQL {pg or '?'}",
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts (CI time)")
    parser.add_argument(
        "--only",
        default="engine,http,history,inbox,deadlines,load",
        help="comma-separated sections: engine,http,history,inbox,deadlines,load",
    )
    parser.add_argument("--out", default=None, help="results file (default bench/RESULTS[-quick].md)")
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    only = set(args.only.split(","))
    out = Path(args.out) if args.out else common.BENCH / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    work = common.workdir()
    started = time.perf_counter()
    summary: list[str] = []
    pg_missing = common.pg_available()

    say(f"# Advocacy Flow benchmark ({'quick' if args.quick else 'full'})")
    say()
    say("## Machine")
    for line in machine():
        say(line)
    say()
    say(
        f"Command: `{' '.join([Path(sys.executable).name, '-m', 'bench.run', *sys.argv[1:]])}` "
        f"(from the repository root; `make bench` runs the full one)"
    )
    if pg_missing:
        say(f"PostgreSQL unavailable ({pg_missing}): its sections are skipped.")
    say()

    # (1) raw engine -----------------------------------------------------------------------
    from . import engine_rate

    raw = None
    if "engine" in only or "http" in only:
        cases, secs = cfg["engine"]
        raw = engine_rate.measure(cases, secs)
        say("## 1. Raw engine, in process (example_callback, JSON serialize/deserialize per step)")
        say()
        say("| baseline | cases | cases/s | task completions/s |")
        say("|---|---|---|---|")
        for name, label in (("runner", "workflows.engine.Runner"), ("spiff", "SpiffWorkflow alone")):
            r = raw[name]
            say(f"| {label} | {r.cases} | {r.cases_per_s:.1f} | {r.completions_per_s:.1f} |")
        say()
        say(
            f"Runner / SpiffWorkflow alone: {raw['runner'].cases_per_s / raw['spiff'].cases_per_s:.2f}x "
            "the cases/s (the Runner's own overhead: snapshots, diffs, deep copies)."
        )
        say()

    # (2) HTTP -------------------------------------------------------------------------------
    if "http" in only:
        from . import http_rate

        cases, secs = cfg["http"]
        say("## 2. Service over HTTP (gunicorn subprocess on loopback, example_callback)")
        say()
        say(
            f"Clients: threads with keep-alive sessions (max(4, 3 x workers)); each phase bounded by "
            f"{cases} cases and {secs:.0f} s. Ratio per core = service rate / (raw rate x min(workers, {CORES} cores)). "
            "Raw rate = Runner (what the service calls); [vs SpiffWorkflow alone] in brackets."
        )
        say()
        say(
            "| database | workers | cases/s | completions/s | complete p50 / p95 | cases ratio per core | completions ratio per core | target (1 worker) |"
        )
        say("|---|---|---|---|---|---|---|---|")
        from . import http_floor

        raw_now = engine_rate.runner_rate(engine_rate.models()["example_callback"], 60, 5)
        floor = http_floor.measure(1, cases, secs, work)
        floor_ratio = floor.cases_per_s / median([raw["runner"].cases_per_s, raw_now.cases_per_s])
        say(
            f"| (no service: bench/echo_app.py echoes the same two POSTs per case) | 1 | {floor.cases_per_s:.1f} | "
            f"- | - | {floor_ratio:.2f} [{floor.cases_per_s / raw['spiff'].cases_per_s:.2f}] | - | the HTTP floor |"
        )
        for kind, workers in cfg["http_configs"]:
            if kind == "postgresql" and pg_missing:
                continue
            with database(kind, work) as db:
                raw_now = engine_rate.runner_rate(engine_rate.models()["example_callback"], 60, 5)
                h = http_rate.measure(db, workers, cases, secs, work)
            cores = min(workers, CORES)
            # baseline: the rate measured at the start of the run, and again just before this config
            base_case = median([raw["runner"].cases_per_s, raw_now.cases_per_s])
            base_comp = median([raw["runner"].completions_per_s, raw_now.completions_per_s])
            rc = h.cases_per_s / (base_case * cores)
            rt = h.completions_per_s / (base_comp * cores)
            rs = h.cases_per_s / (raw["spiff"].cases_per_s * cores)
            target = verdict(rc >= TARGETS["http"]) if workers == 1 else "-"
            say(
                f"| {kind} | {workers} | {h.cases_per_s:.1f} | {h.completions_per_s:.1f} | "
                f"{ms(median(h.latencies))} / {ms(pct(h.latencies, 95))} | {rc:.2f} [{rs:.2f}] | {rt:.2f} | {target} |"
            )
            if h.errors:
                say(f"|  | errors: {h.errors} | | | | | | |")
            if workers == 1:
                summary.append(
                    f"- HTTP, 1 worker, {kind}: {rc:.2f}x the raw engine per core "
                    f"(target >= {TARGETS['http']}): {verdict(rc >= TARGETS['http'])}; "
                    f"{h.cases_per_s / floor.cases_per_s:.2f}x the HTTP floor"
                )
        say()
        say(
            f"The HTTP floor: a Flask app that only parses and echoes the JSON, under gunicorn as the "
            f"service is served, driven by the same clients, reaches {floor.cases_per_s:.1f} cases/s "
            f"({floor_ratio:.2f}x the raw engine). A service doing no work at all could not pass that "
            f"ratio; the engine step, the database and the checks all come on top of it."
        )
        say()

    if "http" in only:
        from . import count_sql

        say("SQL per request (in process, warm; bench/count_sql.py prints each statement):")
        say()
        say("| database | request | statements | kinds | transactions |")
        say("|---|---|---|---|---|")
        for kind in ("sqlite", "postgresql"):
            if kind == "postgresql" and pg_missing:
                continue
            for c in count_sql.counts(kind):
                kinds = ", ".join(f"{k} {n}" for k, n in sorted(c.kinds.items()))
                say(f"| {kind} | {c.label} | {len(c.statements)} | {kinds} | {c.commits} |")
        say()
        say(
            "(One SELECT of each request is the bearer-token check, run before the view on a read-only "
            "connection outside any transaction: `Database.peek`.)"
        )
        say()

    # (3) + (5) history ------------------------------------------------------------------------
    if "history" in only and not pg_missing:
        from . import history

        with database("postgresql", work) as db:
            res = history.measure(db, work, **cfg["history"])
        say("## 3. Task completion cost vs history length (PostgreSQL, 1 worker, bench_loop)")
        say()
        say(
            f"(a) {res.pairs} pair(s) of instances with the same engine state ({cfg['history']['loop_rounds']} "
            f"real loop rounds each); one padded to {res.events_long} events with record_read events; "
            f"completions timed alternately ({len(res.fresh)} each)."
        )
        say()
        say("| instance | events | complete p50 | p95 |")
        say("|---|---|---|---|")
        fresh_events = 2 * cfg["history"]["loop_rounds"] + 2
        say(f"| fresh | ~{fresh_events} | {ms(median(res.fresh))} | {ms(pct(res.fresh, 95))} |")
        say(f"| long history | {res.events_long} | {ms(median(res.long))} | {ms(pct(res.long, 95))} |")
        say()
        say(
            f"Ratio long / fresh (medians): **{res.ratio:.2f}x** (target <= {TARGETS['history']}): "
            f"{verdict(res.ratio <= TARGETS['history'])}"
        )
        summary.append(
            f"- 1,000-event history vs fresh: {res.ratio:.2f}x (target <= 1.5): "
            f"{verdict(res.ratio <= TARGETS['history'])}"
        )
        say()
        say(
            "(b) history made by the loop itself: one instance, completion time after k rounds "
            "(each round adds 2 events and 3 task-tree levels; the engine's ~1,000-level limit "
            "ends the loop at ~333 rounds, ~667 events, so a loop cannot reach 1,000 events):"
        )
        say()
        say("| rounds done | events | complete (median of 3) | vs round 1 |")
        say("|---|---|---|---|")
        first = res.loop_points[0][2]
        for rounds, events, t in res.loop_points:
            say(f"| {rounds} | {events} | {ms(t)} | {t / first:.1f}x |")
        summary.append(
            f"- completion after {res.loop_points[-1][0]} loop rounds vs round 1: "
            f"{res.loop_points[-1][2] / first:.1f}x (engine state grows with the loop; see findings)"
        )
        say()
        say("## 5. Replay of a point in a 1,000-event history")
        say()
        say(f"Mode: {res.replay_mode}")
        say()
        say("| seq | p50 | p95 |")
        say("|---|---|---|")
        worst = 0.0
        for seq, p50, p95 in history.summary_replay(res):
            worst = max(worst, p95)
            say(f"| {seq} | {ms(p50)} | {ms(p95)} |")
        say()
        say(f"Worst p95 {ms(worst)} (target < 100 ms): {verdict(worst < TARGETS['replay'])}")
        summary.append(
            f"- replay in a 1,000-event history, worst p95 {ms(worst)} (target < 100 ms): "
            f"{verdict(worst < TARGETS['replay'])}"
        )
        say()

    # (4) inbox, (6) deadlines ---------------------------------------------------------------
    if ("inbox" in only or "deadlines" in only) and not pg_missing:
        from . import scale

        with database("postgresql", work) as db:
            if "inbox" in only:
                inbox = scale.inbox(db, work, **cfg["inbox"])
                say(
                    f"## 4. Inbox latency with {inbox.open_tasks:,} open instances/tasks (PostgreSQL, 1 worker)"
                )
                say()
                say(
                    f"{cfg['inbox']['real']} real instances started through the use cases in "
                    f"{inbox.seed_seconds:.1f} s, cloned with INSERT ... SELECT and VACUUM ANALYZE (autovacuum's work after a bulk insert) in {inbox.clone_seconds:.1f} s; "
                    f"{cfg['inbox']['reads']} sequential reads per query, one client, manager token."
                )
                say()
                say("| request | p50 | p95 |")
                say("|---|---|---|")
                for label, p50, p95 in scale.inbox_summary(inbox):
                    say(f"| {label} | {ms(p50)} | {ms(p95)} |")
                p95 = pct(inbox.latencies["GET /tasks (manager, default page)"], 95)
                say()
                say(
                    f"Default inbox p95 {ms(p95)} (target < 50 ms at 100,000): {verdict(p95 < TARGETS['inbox_p95'])}"
                    + ("" if inbox.open_tasks >= 100_000 else " (quick mode: fewer rows than the target's)")
                )
                summary.append(
                    f"- inbox p95 at {inbox.open_tasks:,} open tasks: {ms(p95)} (target < 50 ms): "
                    f"{verdict(p95 < TARGETS['inbox_p95'])}"
                )
                say()
                if cfg["deadlines"] is None or "deadlines" in only:
                    sync = scale.deadline_sync(db.url)
                    say(
                        f"Restart with {sync.pending:,} pending deadlines (this database): "
                        f"DeadlineScheduler.start() scheduled {sync.jobs:,} jobs in {sync.seconds:.1f} s."
                    )
                    say()
                    if cfg["deadlines"] is None:
                        summary.append(
                            f"- {sync.pending:,} pending deadlines scheduled after a restart in "
                            f"{sync.seconds:.1f} s (target < 10 s for 10,000): "
                            f"{verdict(sync.seconds < TARGETS['deadlines'] or sync.pending > 10_000)}"
                        )
        if "deadlines" in only and cfg["deadlines"] is not None:
            with database("postgresql", work) as db:
                sync = scale.deadlines(db, **cfg["deadlines"])
            say(f"## 6. {sync.pending:,} pending deadlines scheduled after a restart")
            say()
            say(
                f"DeadlineScheduler(database).start() (APScheduler start + sync of every pending row): "
                f"{sync.jobs:,} jobs in **{sync.seconds:.2f} s** (target < 10 s): {verdict(sync.seconds < 10)}"
            )
            summary.append(
                f"- {sync.pending:,} pending deadlines scheduled in {sync.seconds:.2f} s "
                f"(target < 10 s): {verdict(sync.seconds < 10)}"
            )
            say()

    # (7) load -------------------------------------------------------------------------------
    if "load" in only and not pg_missing:
        from . import load

        with database("postgresql", work) as db:
            res = load.measure(db, work, **cfg["load"])
        say(
            f"## 7. Concurrent load (PostgreSQL, {res.workers} gunicorn workers --no-scheduler + 1 "
            f"`advocacy-flow scheduler` process)"
        )
        say()
        say(
            f"{res.clients} client threads for up to {res.seconds:.0f} s / {cfg['load']['max_attempts']} "
            f"attempts, all completing the open task of the same {res.instances} bench_loop instances; "
            f"{res.timers} bench_timer deadlines falling due during the run."
        )
        say()
        say(
            f"- attempts {res.attempts}, accepted (200) {res.accepted}, conflicts (409) {res.conflicts}, "
            f"other {dict(res.other) or 0}"
        )
        say(f"- complete latency p50 {ms(median(res.latencies))}, p95 {ms(pct(res.latencies, 95))}")
        say(f"- timers: all fired {res.timer_wait:.1f} s after the clients stopped")
        say()
        say("| check | result | detail |")
        say("|---|---|---|")
        for name, (ok, detail) in res.checks.items():
            say(f"| {name} | {'PASS' if ok else 'FAIL'} | {detail} |")
        summary.append(
            f"- concurrent load: {'all checks PASS' if res.ok else 'CHECKS FAILED'} "
            f"({res.accepted} accepted, {res.conflicts} conflicts)"
        )
        say()

    say("## Summary")
    say()
    for line in summary:
        say(line)
    say()
    say(f"Total bench time {time.perf_counter() - started:.0f} s.")
    common.rmtree(work)

    findings = common.BENCH / "FINDINGS.md"
    text = "\n".join(common.LOG) + "\n"
    if findings.exists():
        text += "\n" + findings.read_text()
    out.write_text(text)
    print(f"\nwritten to {out.relative_to(common.ROOT) if out.is_relative_to(common.ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
