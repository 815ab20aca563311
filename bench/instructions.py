"""A task completion beside its limit, counted in CPU instructions (callgrind) instead of timed.

    .venv/bin/python -m bench.instructions [--completions 40] [--db sqlite,postgresql]

``bench.step_limit``'s three kinds, each run in its own process under ``valgrind --tool=callgrind``
with the count switched on only around the counted loop (``callgrind_control -i on|off``), after
a warm-up that is not counted:

- **engine step + save**: ``step_limit.engine_with_save`` (read the state text, ``Runner.complete``,
  write it back, commit);
- **floor**: ``bench/echo_app.py`` sent the same completion body through Flask's test client;
- **service**: ``POST /tasks/{id}/complete`` through the service's app and the same test client,
  each task of an example_callback instance started beforehand (not counted).

Why: on a shared machine the same timed run drifts by tens of per cent within the hour, so a change
of a few per cent cannot be seen in milliseconds; the instructions one completion executes are the
same run after run (to about 0.1 %), whatever else the machine does.  What a count leaves out: only
this process is counted (not PostgreSQL's server, not gunicorn nor the HTTP client, which are in
neither the floor nor the service here), and an instruction is not a time: the same instructions run
slower when the CPU's caches are cold, as they are between requests over HTTP (step_limit's
figure, the one the target is set on, pays that; this one does not).  valgrind must be installed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .common import CALL_BACK_DATA, PYTHON, ROOT, database, pg_available, say, tokens, workdir

KINDS = ("engine step + save", "floor", "service")
WARM_UP = 10


@contextmanager
def counted() -> Iterator[None]:
    """Callgrind counts this process's instructions inside the block only."""
    switch = ["callgrind_control", "-i"]
    subprocess.run([*switch, "on", str(os.getpid())], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run([*switch, "off", str(os.getpid())], check=True, capture_output=True)


def _engine(url: str, _token: str, count: int) -> None:
    from workflows.engine import Runner

    from .engine_rate import models
    from .step_limit import engine_with_save

    runner = Runner(models()["example_callback"])
    engine_with_save(runner, url, WARM_UP)
    engine_with_save(runner, url, count, around=counted)


def _floor(_url: str, _token: str, count: int) -> None:
    from .echo_app import app

    client = app.test_client()

    def post() -> None:
        assert client.post("/api/v1/echo", json={"data": CALL_BACK_DATA}).status_code == 201

    for _ in range(WARM_UP):
        post()
    with counted():
        for _ in range(count):
            post()


def _service(url: str, token: str, count: int) -> None:
    from service.base.config import Settings
    from service.http.app import create_app

    app = create_app(Settings(database_url=url, secret_key="bench", scheduler=False), start_scheduler=False)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def started(n: int) -> str:
        variables = {"caller_ref": f"bench-{n}", "priority": "normal"}
        r = client.post(
            "/api/v1/process-instances",
            json={"process": "example_callback", "variables": variables},
            headers=headers,
        )
        assert r.status_code == 201, r.get_data(as_text=True)
        return r.get_json()["active_tasks"][0]["id"]

    def complete(task_id: str) -> None:
        r = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": CALL_BACK_DATA}, headers=headers)
        assert r.status_code == 200 and r.get_json()["status"] == "completed", r.get_data(as_text=True)

    for n in range(WARM_UP):
        complete(started(n))
    tasks = [started(WARM_UP + n) for n in range(count)]
    with counted():
        for task_id in tasks:
            complete(task_id)


CHILDREN: dict[str, Callable[[str, str, int], None]] = dict(
    zip(KINDS, (_engine, _floor, _service), strict=True)
)


def instructions(kind: str, url: str, token: str, count: int) -> int:
    """Instructions per completion of ``kind``, counted by callgrind in a process of its own."""
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "valgrind.log"
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--log-file={log}"]
        command += [f"--callgrind-out-file={Path(scratch) / 'callgrind.out'}"]
        command += [PYTHON, "-m", "bench.instructions", "--child", json.dumps([kind, url, token, count])]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        text = log.read_text() if log.exists() else ""
        found = re.search(r"Collected : (\d+)", text)
        if done.returncode != 0 or found is None:
            raise RuntimeError(f"{kind}: exit {done.returncode}\n{done.stderr[-2000:]}\n{text[-2000:]}")
        return int(found.group(1)) // count


def report(db: str, got: dict[str, int]) -> None:
    limit = got["engine step + save"] + got["floor"]
    say(f"\n### {db}: instructions per completion (this process only; see the module's docstring)\n")
    say("| what | instructions |")
    say("|---|---|")
    for name in KINDS:
        say(f"| {name} | {got[name]:,} |")
    say(f"| limit = engine step + save + floor | {limit:,} |")
    say(f"\nservice / limit = {got['service'] / limit:.3f} (in instructions; step_limit times the target)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completions", type=int, default=40)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, url, token, count = json.loads(args.child)
        CHILDREN[kind](url, token, count)
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("bench.instructions needs valgrind (callgrind and callgrind_control) on the PATH")
    for db in args.db.split(","):
        if db == "postgresql" and (why := pg_available()):
            say(f"postgresql: skipped ({why})")
            continue
        with database(db, workdir()) as made:
            token = tokens(made.url)["bench_manager"]
            report(db, {kind: instructions(kind, made.url, token, args.completions) for kind in KINDS})


if __name__ == "__main__":
    main()
