"""Two checkouts' task completions side by side: how much a change moved the service, and the noise.

    .venv/bin/python -m bench.ab OLD_CHECKOUT [NEW_CHECKOUT] [--db sqlite] [--rounds 10] [--per-round 100]
        [--waiting 0]

Each checkout (a ``git worktree`` of the commit, with this repository's ``.venv`` linked in) gets
its own database, prepared by its own code (its migrations), and its own ``advocacy-flow serve``
with 1 worker; rounds of completions alternate between the two, in the order old-new, then
new-old, so a change of load on the machine hits both alike.  Prints each median and new / old.
Run it with the same checkout twice to see how far two identical servers differ on this machine.
``--waiting N`` first starts N cases on each server that stay open (an open task and a pending
deadline each) for the whole run: the case load every other completion works beside.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from . import common
from .step_limit import service

PREPARE = (
    "import json, sys; from pathlib import Path; from bench.common import new_database, tokens; "
    "db = new_database(sys.argv[1], Path(sys.argv[2])); "
    "print(json.dumps({'url': db.url, 'token': tokens(db.url)['bench_manager']}))"
)


def prepare(kind: str, root: Path, work: Path) -> dict[str, str]:
    """A bench database migrated and deployed by the code of ``root``."""
    out = subprocess.run(
        [sys.executable, "-c", PREPARE, kind, str(work)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def drop(url: str) -> None:
    """Remove a database ``prepare`` made."""
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(common.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path, nargs="?", default=common.ROOT)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=100)
    parser.add_argument("--waiting", type=int, default=0)
    args = parser.parse_args()
    work = common.workdir()
    roots = {"old": args.old.resolve(), "new": args.new.resolve()}
    dbs = {name: prepare(args.db, root, work) for name, root in roots.items()}
    got: dict[str, list[float]] = {name: [] for name in roots}
    with contextlib.ExitStack() as stack:
        for db in dbs.values():
            stack.callback(drop, db["url"])
        servers = {
            name: stack.enter_context(common.Server(dbs[name]["url"], 1, work, root=root))
            for name, root in roots.items()
        }
        for name in roots:
            client = common.Client(servers[name].base, dbs[name]["token"])
            for n in range(args.waiting):
                common.start_callback(client, n)
            service(servers[name], dbs[name]["token"], 30)  # warm up
        for r in range(args.rounds):
            for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
                got[name] += service(servers[name], dbs[name]["token"], args.per_round)
    for name, times in got.items():
        common.say(f"{args.db} {name} ({roots[name]}): median {statistics.median(times) * 1000:.3f} ms")
    common.say(f"{args.db} new / old = {statistics.median(got['new']) / statistics.median(got['old']):.3f}")


if __name__ == "__main__":
    main()
