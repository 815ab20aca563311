"""``POST /tasks/{id}/complete``: the caller's token is checked in the step's own first SELECT
(``Database.begin_early``); the answers come in the gate's order (401, 403, 415/422, then the view's
404, 403, 422), a refused request stores nothing, and it holds no session (on SQLite, no write lock)
once it is answered."""

from __future__ import annotations

import sqlite3
import threading
import uuid

import pytest
from flask import request_finished
from sqlalchemy import event, select, text, update

from service.access import auth
from service.cases import instances
from service.store.models import HistoryEvent, ProcessInstance, Task, User
from tests.api.helpers import CALL_DATA, assert_problem, only_task, start_ok


def _stored(s, instance_id: str) -> tuple:
    """The instance row, its history and its tasks, as stored."""

    def read(session):
        row = session.execute(
            select(ProcessInstance.state, ProcessInstance.row_version, ProcessInstance.status).where(
                ProcessInstance.id == instance_id
            )
        ).one()
        events = session.scalars(
            select(HistoryEvent.hash).where(HistoryEvent.instance_id == instance_id)
        ).all()
        tasks = session.execute(select(Task.id, Task.status).where(Task.instance_id == instance_id)).all()
        return tuple(row), list(events), sorted(tuple(t) for t in tasks)

    return s.db.read(read)


@pytest.fixture
def case(deployed):
    body = start_ok(deployed)
    return deployed, body["id"], only_task(body)["id"]


def _complete(s, task_id: str, headers: dict[str, str], **kw):
    if "data" not in kw:
        kw.setdefault("json", {"data": CALL_DATA})
    return s.client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, **kw)


def _revoke(s, user: str) -> None:
    assert s.db.run(auth.revoke, s.tokens[user])


def _deactivate(s, user: str) -> None:
    s.db.run(lambda session: session.execute(update(User).where(User.username == user).values(active=False)))


BAD_BODIES = [
    {"data": b"x", "content_type": "text/plain"},  # 415 for a caller who may make the request
    {"data": b'{"data": {"called_at": "\\u0000"}}', "content_type": "application/json"},  # 422 (NUL)
    {"json": {"data": CALL_DATA, "extra": 1}},  # 422 (the schema)
    {"json": {"data": {}}},  # 422 (the form)
]


@pytest.mark.parametrize("body", BAD_BODIES)
@pytest.mark.parametrize(
    "caller, status",
    [
        (None, 401),  # no token
        ("unknown", 401),
        ("revoked", 401),
        ("inactive", 401),
        ("auditor1", 403),  # a role that may not complete tasks
    ],
)
def test_a_caller_who_may_not_complete_is_refused_before_the_body_is_looked_at(case, caller, status, body):
    s, instance_id, task_id = case
    before = _stored(s, instance_id)
    if caller is None:
        headers = {}
    elif caller == "unknown":
        headers = {"Authorization": "Bearer " + "x" * 40}
    elif caller == "revoked":
        _revoke(s, "manager1")
        headers = s.headers("manager1")
    elif caller == "inactive":
        _deactivate(s, "manager1")
        headers = s.headers("manager1")
    else:
        headers = s.headers(caller)
    for task in (task_id, str(uuid.uuid4()), "not-a-task"):
        assert_problem(_complete(s, task, headers, **body), status)
    assert _stored(s, instance_id) == before


def test_a_caller_who_may_complete_gets_the_body_checked_first_then_the_task(case):
    s, instance_id, task_id = case
    before = _stored(s, instance_id)
    headers = s.headers("manager1")
    assert_problem(_complete(s, task_id, headers, **BAD_BODIES[0]), 415)
    for bad in BAD_BODIES[1:]:
        assert_problem(_complete(s, task_id, headers, **bad), 422)
    assert_problem(_complete(s, str(uuid.uuid4()), headers), 404)
    assert_problem(_complete(s, "not-a-task", headers), 404)
    assert _stored(s, instance_id) == before
    # A caller whose role may complete tasks, but not this one: the view's own check, nothing stored.
    assert_problem(_complete(s, task_id, s.headers("commissioner1")), 404)  # may not know of it
    assert _stored(s, instance_id) == before

    r = _complete(s, task_id, headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "completed"
    (_, row_version, status), events, tasks = _stored(s, instance_id)
    assert status == "completed" and row_version > before[0][1] and len(events) > len(before[1])
    assert tasks == [(task_id, "completed")]
    assert_problem(_complete(s, task_id, headers), 409)  # done once only


def _statements_of(s, request) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    event.listen(s.db.engine, "before_cursor_execute", record)
    try:
        request()
    finally:
        event.remove(s.db.engine, "before_cursor_execute", record)
    return seen


def test_the_token_is_checked_in_the_steps_first_select(case, database_url):
    s, _, task_id = case
    seen = _statements_of(s, lambda: _complete(s, task_id, s.headers("manager1")))
    reads = [q for q in seen if q.startswith("SELECT")]
    assert len(reads) == 1 and "api_tokens" in reads[0], seen
    assert "FROM tasks" not in reads[0] and "JOIN tasks" in reads[0], seen  # the task read with the token
    if database_url.startswith("postgresql"):
        assert len(seen) == 2, seen  # the SELECT and the step's one write statement
    else:  # SQLite: inside the step's transaction, which takes the write lock first; then the writes
        assert seen[:2] == ["BEGIN IMMEDIATE", reads[0]], seen
        assert all(q.split()[0] in ("INSERT", "UPDATE") for q in seen[2:]), seen
    checked_out = s.db.engine.pool.checkedout()
    assert checked_out == 0, f"{checked_out} connections left checked out"


def _writes_elsewhere(s) -> bool:
    """Whether another thread of this process can write now (with the process's writer lock and, on
    SQLite, the database's), within two seconds."""
    done = threading.Event()

    def write() -> None:
        s.db.run(lambda session: session.execute(text("UPDATE users SET active = active WHERE 1 = 0")))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    return done.wait(2)


def _locked_for_other_processes(database_url: str) -> bool:
    """SQLite: whether another connection (as another process would) is refused the write lock now."""
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        assert "locked" in str(err)
        return True
    finally:
        other.close()
    return False


GATE_REFUSALS = [  # (caller, body, status): refused by the gate, after the early read
    ("unknown", {}, 401),
    ("auditor1", {}, 403),
    ("manager1", BAD_BODIES[0], 415),
    ("manager1", BAD_BODIES[1], 422),
    ("manager1", {"json": {"data": CALL_DATA}, "query_string": {"x": "\x00"}}, 422),
]


@pytest.mark.parametrize("caller, body, status", GATE_REFUSALS)
def test_a_request_refused_by_the_gate_frees_its_session_before_it_is_answered(
    case, database_url, caller, body, status
):
    """The error response is built with no step's session open: on SQLite, no write lock held."""
    s, instance_id, task_id = case
    before = _stored(s, instance_id)
    headers = {"Authorization": "Bearer " + "x" * 40} if caller == "unknown" else s.headers(caller)
    seen: list[tuple[int, bool, bool]] = []

    def probe(_sender, response, **_extra):  # after the response is made, before the request's teardown
        sqlite = database_url.startswith("sqlite")
        seen.append(
            (response.status_code, _writes_elsewhere(s), sqlite and _locked_for_other_processes(database_url))
        )

    with request_finished.connected_to(probe, s.app):
        assert_problem(_complete(s, task_id, headers, **body), status)
    assert seen == [(status, True, False)]
    assert _stored(s, instance_id) == before


def test_a_refused_request_leaves_no_session_open(case, database_url):
    s, instance_id, task_id = case
    before = _stored(s, instance_id)
    refusals = [  # after the gate: by the schema, the view, the form, and the step done twice
        (s.headers("manager1"), BAD_BODIES[2], 422),
        (s.headers("manager1"), BAD_BODIES[3], 422),
        (s.headers("manager1"), {"json": {"data": CALL_DATA}, "task": str(uuid.uuid4())}, 404),
        (s.headers("manager1"), {"json": {"data": CALL_DATA}, "task": "not-a-task"}, 404),
        (s.headers("commissioner1"), {"json": {"data": CALL_DATA}}, 404),
    ]
    for headers, body, status in refusals:
        task = body.pop("task", task_id)
        assert_problem(_complete(s, task, headers, **body), status)
        assert s.db.engine.pool.checkedout() == 0
        assert _writes_elsewhere(s), (status, body)
        if database_url.startswith("sqlite"):
            assert not _locked_for_other_processes(database_url)
    assert _stored(s, instance_id) == before
    assert _complete(s, task_id, s.headers("manager1")).status_code == 200
    assert_problem(_complete(s, task_id, s.headers("manager1")), 409)
    assert s.db.engine.pool.checkedout() == 0 and _writes_elsewhere(s)


def test_a_step_begun_early_and_overtaken_runs_again_on_fresh_rows(case, database_url):
    """PostgreSQL: another writer moves the instance between the early read and the step: the step's
    version check refuses the first attempt, and the retry reads afresh and completes the task once."""
    s, instance_id, task_id = case
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite: the early read holds the write lock, so nothing can overtake it (next test)")
    token = s.tokens["manager1"]
    early = s.db.begin_early(instances.authenticate_for_task, token, task_id)
    assert early is not None
    who, session = early
    assert who.username == "manager1"

    def overtake(other):  # the caller's own claim: a history event, and the instance's version moves
        instances.claim_task(other, who, task_id)

    s.db.run(overtake)
    moved = _stored(s, instance_id)
    result = s.db.run(
        lambda session: instances.complete_task(session, who, task_id, dict(CALL_DATA)).id, begun=session
    )
    assert result == instance_id
    (_, row_version, status), events, tasks = _stored(s, instance_id)
    assert status == "completed" and row_version > moved[0][1]
    assert len(events) > len(moved[1]) and events[: len(moved[1])] == moved[1]  # the claim kept, in order
    assert tasks == [(task_id, "completed")]
    assert s.db.engine.pool.checkedout() == 0


def test_on_sqlite_nothing_writes_between_the_early_read_and_the_step(case, database_url):
    """SQLite: from the token check to the step's commit, another thread's write waits, and another
    process is refused the write lock; the waiting write then runs on what the step stored."""
    s, instance_id, task_id = case
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's early read locks nothing: the test above overtakes it")
    who, session = s.db.begin_early(instances.authenticate_for_task, s.tokens["manager1"], task_id)
    claimed: list = []

    def claim() -> None:
        try:
            claimed.append(s.db.run(lambda other: instances.claim_task(other, who, task_id).status))
        except Exception as err:  # the task is completed by then
            claimed.append(err)

    waiting = threading.Thread(target=claim, daemon=True)
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive() and claimed == []
    assert _locked_for_other_processes(database_url)
    s.db.run(lambda step: instances.complete_task(step, who, task_id, dict(CALL_DATA)).id, begun=session)
    waiting.join(5)
    assert not waiting.is_alive() and len(claimed) == 1
    assert "completed, not open" in str(claimed[0])
    (_, _, status), _, tasks = _stored(s, instance_id)
    assert status == "completed" and tasks == [(task_id, "completed")]
    assert not _locked_for_other_processes(database_url) and _writes_elsewhere(s)


def test_an_early_read_refused_closes_its_session_and_frees_the_lock(case, database_url):
    s, _, task_id = case
    with pytest.raises(Exception, match="unknown token"):
        s.db.begin_early(instances.authenticate_for_task, "y" * 40, task_id)
    assert s.db.engine.pool.checkedout() == 0
    assert _writes_elsewhere(s)
    if database_url.startswith("sqlite"):
        assert not _locked_for_other_processes(database_url)


def test_an_early_session_closed_twice_releases_its_lock_once(case):
    """``run`` closes the session it was handed; the request's teardown may close it again."""
    s, _, task_id = case
    who, session = s.db.begin_early(instances.authenticate_for_task, s.tokens["manager1"], task_id)
    s.db.close_early(session)
    s.db.close_early(session)  # no second release (an RLock released too often raises)
    assert _writes_elsewhere(s)
    who, session = s.db.begin_early(instances.authenticate_for_task, s.tokens["manager1"], task_id)
    s.db.run(lambda step: instances.complete_task(step, who, task_id, dict(CALL_DATA)).id, begun=session)
    s.db.close_early(session)
    assert _writes_elsewhere(s) and s.db.engine.pool.checkedout() == 0


def test_on_sqlite_locked_by_another_process_the_completion_is_refused_with_409_and_stores_nothing(
    case, database_url
):
    """Another process holds the write lock past the busy timeout (shortened here to 50 ms): the early
    read gives way to the usual path, whose retries end in a 409; nothing is stored, and the lock is
    not left held; once the other process lets go, the completion goes through."""
    s, instance_id, task_id = case
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no database-wide write lock")
    s.db.engine.dispose()  # connections made from now on wait 50 ms for a lock, not 30 s
    listener = event.listens_for(s.db.engine, "connect")(
        lambda dbapi_connection, _record: dbapi_connection.execute("PRAGMA busy_timeout = 50")
    )
    before = _stored(s, instance_id)
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        r = _complete(s, task_id, s.headers("manager1"))
        assert_problem(r, 409)
        assert "try again" in r.get_json()["detail"]
    finally:
        other.rollback()
        other.close()
    event.remove(s.db.engine, "connect", listener)
    assert _stored(s, instance_id) == before
    assert s.db.engine.pool.checkedout() == 0 and _writes_elsewhere(s)
    assert _complete(s, task_id, s.headers("manager1")).status_code == 200
