"""Transactions (service/uow.py): reads that lock nothing, and what they may not do."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, select, text, update

from service.access import auth
from service.base.problems import Unauthorized
from service.store.models import ProcessInstance, User
from tests.api.helpers import CALL_DATA


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL readers never wait
def test_the_token_check_answers_while_another_process_holds_the_write_lock(service, database_url):
    """The check on every request must not wait for (or take) SQLite's single write lock."""
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    try:
        answer: list = []
        checker = threading.Thread(
            target=lambda: answer.append(service.db.peek(auth.authenticate, service.tokens["manager1"]))
        )
        checker.start()
        checker.join(10)  # the busy timeout is 30 s: a check that waited for the lock would still be here
        assert not checker.is_alive(), "the token check waited for the write lock"
        assert answer and answer[0].username == "manager1" and answer[0].role == "manager"
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_peek_sees_what_was_committed_and_refuses_to_write(service):
    """A peek runs outside any transaction: a write there would be committed at once, so it is refused."""
    db = service.db
    assert db.peek(auth.authenticate, service.tokens["advocate1"]).role == "advocate"
    db.run(lambda s: auth.deactivate_user(s, service.actor("admin1"), "advocate1"))
    with pytest.raises(Unauthorized):
        db.peek(auth.authenticate, service.tokens["advocate1"])  # revoked at once, no cache

    rename = update(User).where(User.username == "manager1").values(username="renamed")
    with pytest.raises(PermissionError, match="may only SELECT"):
        db.peek(lambda connection: connection.execute(rename))
    assert db.peek(lambda c: c.scalar(select(User.id).where(User.username == "renamed"))) is None
    assert db.peek(lambda c: c.scalar(select(User.id).where(User.username == "manager1"))) is not None


@pytest.mark.parametrize("bad", ["", "x" * 300, "not-a-token", "\u00e9\u00e9"])
def test_a_bad_token_is_refused_by_the_peek(service, bad):
    with pytest.raises(Unauthorized):
        service.db.peek(auth.authenticate, bad)


def test_threads_of_one_process_write_one_after_another_and_all_land(service):
    """Eight threads starting instances at once on one Database: none is lost, none fails."""
    deployed = service.deploy()
    assert deployed.status_code == 201, deployed.get_json()
    from service.cases import instances

    manager = service.actor("manager1")
    errors: list[BaseException] = []
    ids: list[str] = []
    lock = threading.Lock()

    def start(n: int) -> None:
        try:
            for k in range(5):
                instance = service.db.run(
                    instances.start_instance,
                    manager,
                    "example_callback",
                    {"caller_ref": f"t{n}-{k}", "priority": "normal"},
                )
                with lock:
                    ids.append(instance.id)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(set(ids)) == 40
    stored = service.get("/process-instances?limit=100", "manager1").get_json()
    assert {i["id"] for i in stored["items"]} == set(ids)


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)  # an embedded database has no connection to lose
def test_requests_carry_on_after_the_database_drops_every_connection(deployed, database_url):
    """PostgreSQL restarted or dropped idle connections: the next requests reconnect and succeed.

    The pool does not ping each connection before use; a dead one is found on its first
    statement, and the read or the step (nothing of it committed) is run again on a new connection.
    """
    s = deployed

    def drop_every_connection() -> None:
        held = [s.db.engine.connect() for _ in range(3)]  # fill the pool, and learn the server's pids
        pids = [c.exec_driver_sql("SELECT pg_backend_pid()").scalar() for c in held]
        for c in held:
            c.close()
        killer = create_engine(database_url)
        with killer.begin() as c:
            killed = c.execute(
                text("SELECT pg_terminate_backend(pid) FROM unnest(:p) AS pid"), {"p": pids}
            ).all()
        killer.dispose()
        assert killed and all(ok for (ok,) in killed)

    from service.cases import instances

    drop_every_connection()
    first = s.db.run(  # a step, straight after the drop: its first statement finds the dead connection
        instances.start_instance,
        s.actor("manager1"),
        "example_callback",
        {"caller_ref": "r-1", "priority": "normal"},
    )
    drop_every_connection()
    listed = s.get("/process-instances", "manager1")  # a request: the token check finds it
    assert listed.status_code == 200
    assert [i["id"] for i in listed.get_json()["items"]] == [first.id]  # started exactly once
    drop_every_connection()
    shown = s.db.read(lambda session: session.get(ProcessInstance, first.id).last_seq)
    history = s.get(f"/process-instances/{first.id}/history", "manager1").get_json()
    assert [e["seq"] for e in history["items"]] == list(range(1, shown + 1))
    drop_every_connection()
    task = s.get("/tasks", "manager1").get_json()["items"][0]["id"]
    drop_every_connection()
    # A completion reads its caller and task early, in the step's session: a dead connection found
    # there is dropped and the request goes the usual way (token check, then the step).
    done = s.post(f"/tasks/{task}/complete", "manager1", {"data": CALL_DATA})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed"
    assert s.db.engine.pool.checkedout() == 0
